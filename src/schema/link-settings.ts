/**
 * The one place link settings are resolved: explicit options (the CLI's
 * flags or the library caller's values) over the linkage schema's
 * `p20link.link` hints over the built-in defaults. The schema must be the
 * one the inputs were encoded with: its fingerprint is compared with every
 * input header's (already read by the caller), and a mismatch is refused
 * (LINK_SCHEMA_MISMATCH). Used by `linkFiles` (and so by `p20link link`).
 */
import { P20Error } from '../errors.js';
import { parseExtension } from './extension.js';
import { loadLinkageSchema, schemaFingerprint } from './linkage-schema.js';

/** Match threshold when neither the caller nor the schema gives one. */
export const DEFAULT_LINK_THRESHOLD = 0.8;
/** Blocking spec when neither the caller nor the schema gives one. */
export const DEFAULT_LINK_BLOCKING = 'lsh';
/**
 * Match model ('fs') decision point: a candidate pair is a link when its
 * match probability reaches this. 0.5 is the Bayes decision (a link is more
 * likely right than wrong); it does not depend on file sizes, because the
 * model's prior is estimated on each run's own data (docs/match-model.md).
 */
export const DEFAULT_MATCH_PROBABILITY = 0.5;
/**
 * Match model ('fs'): most records of one party in one entity when the party
 * is not declared deduplicated and no max-per-party is given (a person may
 * appear a few times in one extract; the cap stops chains of weak links).
 */
export const DEFAULT_FS_MAX_PER_PARTY = 5;

export interface LinkSettingsRequest {
  /** Linkage schema file the inputs were encoded with (its link hints become the defaults). */
  schema?: string;
  /** Each input's file and the schema fingerprint of its header. */
  inputs: readonly { file: string; schemaFingerprint: string }[];
  threshold?: number;
  reviewThreshold?: number;
  /** Blocking spec text (see --blocking), when the caller chose one. */
  blocking?: string;
}

export interface LinkSettings {
  threshold: number;
  reviewThreshold?: number;
  /** Blocking spec text: the caller's, else the schema's keys plus LSH, else "lsh". */
  blocking: string;
}

/** The link hints of a schema as settings (each absent when the schema has no hint). */
export interface SchemaLinkHints {
  threshold?: number;
  reviewThreshold?: number;
  blocking?: string;
}

async function schemaHints(schemaPath: string, inputs: LinkSettingsRequest['inputs']): Promise<SchemaLinkHints> {
  const schema = await loadLinkageSchema(schemaPath);
  const ext = parseExtension(schema.p20link, schema.source, schema);
  const fp = schemaFingerprint(schema);
  for (const h of inputs) {
    if (h.schemaFingerprint !== fp) {
      throw new P20Error(
        'LINK_SCHEMA_MISMATCH',
        `was encoded with a different linkage schema than ${schemaPath} (fingerprint ${h.schemaFingerprint}, schema file has ${fp}); refusing to take link settings from it`,
        { file: h.file },
      );
    }
  }
  const hints = ext.link ?? {};
  const out: SchemaLinkHints = {};
  if (hints.threshold !== undefined) out.threshold = hints.threshold;
  if (hints.reviewThreshold !== undefined) out.reviewThreshold = hints.reviewThreshold;
  if (hints.blocking && hints.blocking.length > 0) {
    const lsh = hints.lsh === false ? [] : [hints.lsh ?? 'lsh'];
    out.blocking = [...hints.blocking.map((k) => `keys:${k}`), ...lsh].join('+');
  } else if (typeof hints.lsh === 'string') {
    out.blocking = hints.lsh;
  }
  return out;
}

export async function resolveLinkSettings(req: LinkSettingsRequest): Promise<LinkSettings> {
  const hints = req.schema !== undefined ? await schemaHints(req.schema, req.inputs) : {};
  const out: LinkSettings = {
    threshold: req.threshold ?? hints.threshold ?? DEFAULT_LINK_THRESHOLD,
    blocking: req.blocking ?? hints.blocking ?? DEFAULT_LINK_BLOCKING,
  };
  // the schema's review band applies only with the schema's threshold
  const review = req.reviewThreshold ?? (req.threshold === undefined ? hints.reviewThreshold : undefined);
  if (review !== undefined) out.reviewThreshold = review;
  return out;
}
