export * from './config.js';
export { bandCount, fillBandKeys, lshPositions } from './keys.js';
export { countKeptPairs } from './recall.js';
