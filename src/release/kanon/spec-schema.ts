/**
 * JSON Schema (draft-07) of the kcheck spec, version 1. The same document is
 * published as protocols/kcheck-spec.schema.json (a test keeps them equal).
 */
const maxLevel = { type: 'integer', minimum: 0 } as const;

export const KCHECK_SPEC_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://p20link.example/protocols/kcheck-spec.schema.json',
  title: 'p20link kcheck spec (version 1)',
  type: 'object',
  additionalProperties: false,
  required: ['version'],
  properties: {
    format: { const: 'p20link-kcheck-spec' },
    version: { const: 1 },
    quasiIdentifiers: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1, uniqueItems: true },
    sensitive: { type: 'array', items: { type: 'string', minLength: 1 }, uniqueItems: true },
    k: { type: 'integer', minimum: 1 },
    l: { type: 'integer', minimum: 1 },
    entropyL: { type: 'boolean' },
    missingValues: { type: 'array', items: { type: 'string' }, uniqueItems: true },
    hierarchies: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        required: ['type'],
        properties: { type: { enum: ['interval', 'prefix', 'date', 'map', 'suppress'] } },
        allOf: [
          {
            if: { properties: { type: { const: 'interval' } } },
            then: {
              additionalProperties: false,
              required: ['widths'],
              properties: {
                type: true,
                widths: { type: 'array', items: { type: 'number', exclusiveMinimum: 0 }, minItems: 1 },
                origin: { type: 'number' },
                integer: { type: 'boolean' },
                maxLevel,
              },
            },
          },
          {
            if: { properties: { type: { const: 'prefix' } } },
            then: {
              additionalProperties: false,
              required: ['keep'],
              properties: {
                type: true,
                keep: { type: 'array', items: { type: 'integer', minimum: 1 }, minItems: 1 },
                maxLevel,
              },
            },
          },
          {
            if: { properties: { type: { const: 'date' } } },
            then: {
              additionalProperties: false,
              required: ['levels'],
              properties: {
                type: true,
                levels: { type: 'array', items: { enum: ['month', 'quarter', 'year'] }, minItems: 1, uniqueItems: true },
                format: { enum: ['YYYY-MM-DD', 'MM/DD/YYYY', 'YYYYMMDD'] },
                maxLevel,
              },
            },
          },
          {
            if: { properties: { type: { const: 'map' } } },
            then: {
              additionalProperties: false,
              required: ['levels'],
              properties: {
                type: true,
                levels: {
                  type: 'array',
                  minItems: 1,
                  items: {
                    type: 'object',
                    additionalProperties: false,
                    required: ['map'],
                    properties: {
                      map: { type: 'object', additionalProperties: { type: 'string' } },
                      other: { type: 'string' },
                    },
                  },
                },
                maxLevel,
              },
            },
          },
          {
            if: { properties: { type: { const: 'suppress' } } },
            then: { additionalProperties: false, properties: { type: true, maxLevel } },
          },
        ],
      },
    },
    repair: {
      type: 'object',
      additionalProperties: false,
      properties: {
        maxSuppressedFraction: { type: 'number', minimum: 0, maximum: 1 },
        strategy: { enum: ['auto', 'optimal', 'greedy', 'datafly'] },
        suppression: { enum: ['local', 'records'] },
      },
    },
  },
} as const;
