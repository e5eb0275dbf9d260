/**
 * clkhash 0.18.3's per-feature value handling: validation (FieldSpec.validate)
 * and the formatting applied before tokenizing (FieldSpec.format_value).
 *
 *  - missingValue: a raw value equal to the sentinel (exactly) skips
 *    validation and is hashed as replaceWith, with no re-formatting.
 *  - integer: validated and formatted as str(int(v, 10)) ("+42", " 42",
 *    "0042", "٤٢" all become "42").
 *  - date: validated with strptime(format), formatted as "%Y%m%d".
 *  - string / enum: hashed unchanged (no case folding, trimming or Unicode
 *    normalisation); validation checks pattern (whole value) or
 *    minLength / maxLength (code points) and case, enum membership.
 *  - Every value must be encodable in the string format's encoding.
 *
 * Messages never quote the value itself (it is PII); the pipeline reports
 * file, line and column.
 */
import type { HashedFeature } from '../schema/types.js';
import { compilePythonPattern } from '../schema/pattern.js';
import { compileStrptime, formatYmd, type DateParser } from '../schema/strptime.js';
import { pythonInt, pythonIntString } from './pynum.js';
import { encodingProblem } from './tokenize.js';

/** Thrown by a formatter when a value cannot be formatted (clkhash InvalidEntryError). */
export class InvalidValueError extends Error {}

export interface FeatureValueRules {
  /** The string hashed for a raw value (missing-value replacement and re-formatting applied). */
  format(raw: string): string;
  /** clkhash's validation: null when valid, otherwise what was expected. */
  problem(raw: string): string | null;
}

export function featureValueRules(f: HashedFeature): FeatureValueRules {
  const mv = f.hashing.missingValue;
  const fmt = f.format;
  const encoding = fmt.type === 'string' ? fmt.encoding : 'utf-8';
  let formatRegular: (raw: string) => string;
  let validateRegular: (raw: string) => string | null;

  switch (fmt.type) {
    case 'integer': {
      const min = fmt.minimum !== undefined ? BigInt(fmt.minimum) : undefined;
      const max = fmt.maximum !== undefined ? BigInt(fmt.maximum) : undefined;
      formatRegular = (raw) => {
        const s = pythonIntString(raw);
        if (s === null) throw new InvalidValueError('expected an integer');
        return s;
      };
      validateRegular = (raw) => {
        if (min === undefined && max === undefined) return pythonIntString(raw) === null ? 'expected an integer' : null;
        const v = pythonInt(raw);
        if (v === null) return 'expected an integer';
        if (min !== undefined && v < min) return `expected an integer of at least ${fmt.minimum}`;
        if (max !== undefined && v > max) return `expected an integer of at most ${fmt.maximum}`;
        return null;
      };
      break;
    }
    case 'date': {
      const parse: DateParser = compileStrptime(fmt.format);
      formatRegular = (raw) => {
        const d = parse(raw);
        if (d === null) throw new InvalidValueError(`expected a date in format "${fmt.format}"`);
        return formatYmd(d);
      };
      validateRegular = (raw) => (parse(raw) === null ? `expected a valid date in format "${fmt.format}"` : null);
      break;
    }
    case 'enum': {
      const values = new Set(fmt.values);
      formatRegular = (raw) => raw;
      validateRegular = (raw) =>
        values.has(raw) ? null : `expected one of ${fmt.values.length <= 12 ? fmt.values.map((v) => JSON.stringify(v)).join(', ') : `the ${fmt.values.length} enum values`}`;
      break;
    }
    case 'string': {
      formatRegular = (raw) => raw;
      if (fmt.pattern !== undefined) {
        const re = compilePythonPattern(fmt.pattern);
        validateRegular = (raw) => (re.test(raw) ? null : `expected text matching the pattern ${JSON.stringify(fmt.pattern)}`);
      } else {
        const { minLength, maxLength } = fmt;
        const textCase = fmt.case;
        validateRegular = (raw) => {
          if (minLength !== undefined || maxLength !== undefined) {
            const len = codePointLength(raw);
            if (minLength !== undefined && len < minLength) return `expected at least ${minLength} characters (found ${len})`;
            if (maxLength !== undefined && len > maxLength) return `expected at most ${maxLength} characters (found ${len})`;
          }
          if (textCase === 'upper' && raw.toUpperCase() !== raw) return 'expected upper case text';
          if (textCase === 'lower' && raw.toLowerCase() !== raw) return 'expected lower case text';
          return null;
        };
      }
      break;
    }
  }

  return {
    format(raw) {
      if (mv !== undefined && raw === mv.sentinel) return mv.replaceWith;
      return formatRegular(raw);
    },
    problem(raw) {
      if (mv !== undefined && raw === mv.sentinel) return null;
      return encodingProblem(raw, encoding) ?? validateRegular(raw);
    },
  };
}

function codePointLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}
