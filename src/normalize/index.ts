/** Normalization pre-step (see docs/encode.md and protocols/schemas/README.md). */
export * from './text.js';
export * from './dates.js';
export * from './codes.js';
export * from './errors.js';
export * from './steps.js';
export * from './placeholders.js';
