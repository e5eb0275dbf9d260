/** All rows of a batched reader (encoded file, CSV), in order. */
export async function collectBatches<T>(batches: AsyncIterable<T[]>): Promise<T[]> {
  const rows: T[] = [];
  for await (const b of batches) rows.push(...b);
  return rows;
}
