/** A non-empty string (column names and labels). */
const NAME = { type: 'string', minLength: 1 } as const;

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
    count: NAME,
    dimensions: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['column'],
        properties: {
          column: NAME,
          total: NAME,
          parents: { type: 'object', additionalProperties: NAME },
          partitions: {
            type: 'array',
            minItems: 1,
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['total', 'parts'],
              properties: {
                total: NAME,
                parts: { type: 'array', minItems: 1, uniqueItems: true, items: NAME },
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
          column: NAME,
          denominator: NAME,
          scale: { enum: [1, 100] },
          numerator: {
            type: 'object',
            additionalProperties: false,
            required: ['column', 'value'],
            properties: { column: NAME, value: NAME },
          },
        },
      },
    },
    minN: { type: 'integer', minimum: 1 },
    marker: NAME,
  },
} as const;
