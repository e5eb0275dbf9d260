/**
 * Typed form of a linkage schema (clkhash linkage schema version 3), as
 * src/schema/linkage-schema.ts produces it after validation. Defaults that
 * clkhash 0.18.3 applies are filled in here, so the encoder never has to
 * guess: string encoding utf-8, case mixed, ngram positional false, hash
 * blakeHash, prevent_singularity false, missingValue.replaceWith = sentinel,
 * kdf hash SHA256, keySize 64, salt/info empty, xor_folds 0.
 */

export type StringEncoding = 'ascii' | 'utf-8' | 'utf-16' | 'utf-32';

export interface StringFormat {
  type: 'string';
  encoding: StringEncoding;
  case: 'upper' | 'lower' | 'mixed';
  minLength?: number;
  maxLength?: number;
  /** Python regular expression the whole value must match (validation only). */
  pattern?: string;
  description?: string;
}

export interface IntegerFormat {
  type: 'integer';
  minimum?: number;
  maximum?: number;
  description?: string;
}

export interface DateFormat {
  type: 'date';
  /** strptime format, e.g. "%Y-%m-%d". Values are re-formatted as "%Y%m%d" before hashing. */
  format: string;
  description?: string;
}

export interface EnumFormat {
  type: 'enum';
  values: string[];
  description?: string;
}

export type FeatureFormat = StringFormat | IntegerFormat | DateFormat | EnumFormat;

export type Comparison =
  | { type: 'ngram'; n: number; positional: boolean }
  | { type: 'exact' }
  | { type: 'numeric'; thresholdDistance: number; resolution: number; fractionalPrecision: number };

export type Strategy = { type: 'bitsPerToken'; bitsPerToken: number } | { type: 'bitsPerFeature'; bitsPerFeature: number };

export type HashFunction = { type: 'doubleHash'; preventSingularity: boolean } | { type: 'blakeHash' };

export interface MissingValue {
  /** A raw value equal to this string (exactly) is missing. */
  sentinel: string;
  /** What a missing value is hashed as (defaults to the sentinel itself). */
  replaceWith: string;
}

export interface Hashing {
  comparison: Comparison;
  strategy: Strategy;
  hash: HashFunction;
  missingValue?: MissingValue;
}

export interface HashedFeature {
  identifier: string;
  ignored: false;
  description?: string;
  format: FeatureFormat;
  hashing: Hashing;
}

export interface IgnoredFeature {
  identifier: string;
  ignored: true;
  description?: string;
}

export type Feature = HashedFeature | IgnoredFeature;

export interface KdfConfig {
  type: 'HKDF';
  hash: 'SHA256' | 'SHA512';
  /** Decoded salt bytes (empty when absent). */
  salt: Uint8Array;
  /** Decoded info bytes (empty when absent). */
  info: Uint8Array;
  /** Bytes per derived key (two keys per feature). */
  keySize: number;
}

export interface ClkConfig {
  /** CLK length in bits after folding. */
  l: number;
  kdf: KdfConfig;
  /** Number of XOR folds (clkConfig.xor_folds; the camelCase xorFolds key is ignored, as clkhash does). */
  xorFolds: number;
}

export interface LinkageSchema {
  version: 3;
  /** Every feature in schema order, ignored ones included (they are CSV columns too). */
  features: Feature[];
  clkConfig: ClkConfig;
  /** Where the schema came from (file path or a label), for error messages. */
  source: string;
  /** The parsed JSON document exactly as read (the fingerprint is computed over it). */
  raw: unknown;
  /** The top-level "p20link" extension object, if any (validated by src/schema/extension.ts). */
  p20link?: Record<string, unknown>;
}
