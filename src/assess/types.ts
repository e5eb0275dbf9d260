/**
 * Shared types of the attack harness (docs/attacks.md).
 *
 * The attacker is an honest-but-curious linker: it holds the encoded file
 * (encodings and keyed blocking values), the public linkage schema (so it
 * knows the tokenization, the hardening methods and the blocking transforms,
 * but not the secret) and a plaintext reference population of a similar
 * distribution. Attack code receives exactly that (AttackInput) and nothing
 * else; the victims' true plaintext is only ever seen by the scorer
 * (score.ts).
 */
import type { P20linkExtension } from '../schema/extension.js';
import type { LinkageSchema } from '../schema/types.js';

/** A normalized plaintext person: feature identifier → normalized value ("" = missing). */
export type PlainRecord = Record<string, string>;

/** Which schema features hold the attributes the harness scores. */
export interface Targets {
  first: string;
  last: string;
  /** Date feature the birth year comes from. */
  birth: string;
}

export const DEFAULT_TARGETS: Targets = { first: 'first_name', last: 'last_name', birth: 'birth_date' };

export interface AttackInput {
  schema: LinkageSchema;
  ext: P20linkExtension;
  /** Bits per encoding. */
  l: number;
  /** The victims' encodings, in file order. */
  clks: readonly Uint8Array[];
  /** Keyed blocking values per block column name, one per victim ("" = missing). */
  blocks: Readonly<Record<string, readonly string[]>>;
  /** The attacker's plaintext reference population (normalized as the schema says). */
  reference: readonly PlainRecord[];
  targets: Targets;
  /** Seed of any sampling the attack does (the result is deterministic given it). */
  seed: number;
  /** Work limits (defaults suit 50k–200k victims in minutes). */
  limits?: Partial<AttackLimits>;
  /**
   * The column of the encoded file under attack: "clk" (default) or
   * "ev:<name>" for an evidence filter (then `schema` is the filter's
   * template as a linkage schema, and `reference` carries the template's
   * slot values beside the plain features: evidence.ts).
   */
  column?: string;
  /** Schema feature whose tokens stand for a target attribute when it is not the target's own feature (evidence filters). */
  tokenFeatures?: Partial<Record<keyof Targets, string>>;
  /** Plaintext keys the cluster-frequency attack aligns cluster sizes with (default: every combination it knows). */
  clusterKeys?: readonly ClusterKey[];
}

/** A plaintext key of the cluster-frequency attack: the features (of a reference record) whose values together identify a cluster. */
export interface ClusterKey {
  name: string;
  features: string[];
  /** The values' order does not matter (a filter that hashes them with one key). */
  orderFree?: boolean;
}

export interface AttackLimits {
  /** Encodings used to mine patterns. */
  mineSample: number;
  /** Victims whose names are inferred (the rest are counted as not guessed). */
  inferSample: number;
  /** Nodes per side of the graph-matching attack. */
  graphNodes: number;
  /** Reference values considered per attribute when inferring. */
  candidates: number;
}

export const DEFAULT_LIMITS: AttackLimits = { mineSample: 10000, inferSample: 20000, graphNodes: 2000, candidates: 1500 };

/** What an attack claims about one victim (undefined = no claim). */
export interface Guess {
  first?: string;
  last?: string;
  year?: string;
}

export interface AttackResult {
  attack: string;
  /** What the attack ran on (e.g. the block column), for the report. */
  detail?: string;
  /** One entry per victim (sparse: missing = no guess). */
  guesses: (Guess | undefined)[];
  /** Free-form diagnostics (patterns found, tokens aligned, ...). */
  notes: Record<string, number | string>;
}

export interface Attack {
  name: string;
  run(input: AttackInput): AttackResult[];
}
