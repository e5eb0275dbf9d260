/**
 * JSON Schema (draft-07) of the table spec, version 1. The same document is
 * published as protocols/table-spec.schema.json (a test keeps them equal).
 */
export const TABLE_SPEC_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://p20link.example/protocols/table-spec.schema.json',
  title: 'p20link table spec (version 1)',
  type: 'object',
  additionalProperties: false,
  required: ['version', 'count', 'dimensions'],
  properties: {
    format: { const: 'p20link-table-spec' },
    version: { const: 1 },
    count: { type: 'string', minLength: 1 },
    dimensions: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['column'],
        properties: {
          column: { type: 'string', minLength: 1 },
          total: { type: 'string', minLength: 1 },
          parents: { type: 'object', additionalProperties: { type: 'string', minLength: 1 } },
          partitions: {
            type: 'array',
            minItems: 1,
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['total', 'parts'],
              properties: {
                total: { type: 'string', minLength: 1 },
                parts: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', minLength: 1 } },
                complete: { type: 'boolean' },
              },
            },
          },
        },
      },
    },
    rates: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['column'],
        properties: {
          column: { type: 'string', minLength: 1 },
          denominator: { type: 'string', minLength: 1 },
          scale: { enum: [1, 100] },
        },
      },
    },
    minN: { type: 'integer', minimum: 1 },
    marker: { type: 'string', minLength: 1 },
  },
} as const;
