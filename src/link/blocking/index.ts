export * from './config.js';
export { bandCount, fillBandKeys, lshPermutations } from './keys.js';
export { countKeptPairs } from './recall.js';
