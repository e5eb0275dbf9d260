/** Disclosure control before release (shared by table suppression and kcheck; additive edits). */
export * from './kanon/index.js';
export * from './table/index.js';
