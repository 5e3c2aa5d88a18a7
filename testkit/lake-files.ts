import { gunzipSync, zstdDecompressSync } from 'node:zlib';

/**
 * The text of a lake file, whichever codec wrote it (the magic bytes say): for tests and the demo, which read
 * whole files. A lake file is one zstd frame or one gzip member, so the one-shot decoders are enough here.
 */
export function readLakeFile(bytes: Uint8Array): string {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length >= 4 && b.readUInt32LE(0) === 0xfd2fb528) return zstdDecompressSync(b).toString('utf8');
  if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) return gunzipSync(b).toString('utf8');
  throw new Error('not a lake file: neither zstd nor gzip');
}

/** Lake file names end in the codec's extension. */
export const LAKE_FILE = /\.json\.(zst|gz)$/;

/**
 * The rows of a Parquet lake file (hyparquet, with Node's zstd for the column chunks), as objects. Timestamps come
 * as Dates, or with `micros` as the bigint microseconds the file holds.
 */
export async function readParquetRows(bytes: Uint8Array, columns?: string[], opts: { micros?: boolean } = {}): Promise<Record<string, unknown>[]> {
  const { parquetReadObjects } = await import('hyparquet');
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return parquetReadObjects({
    file,
    ...(columns ? { columns } : {}),
    ...(opts.micros ? { parsers: { timestampFromMicroseconds: (v: bigint) => v } } : {}),
    compressors: { ZSTD: (input: Uint8Array) => new Uint8Array(zstdDecompressSync(input)) },
  });
}
