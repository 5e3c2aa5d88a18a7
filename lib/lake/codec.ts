import * as zlib from 'node:zlib';
import type { Transform } from 'node:stream';

/**
 * How lake files are compressed. zstd by default: on Logpush rows it is several times faster than gzip and smaller
 * at once (bench/README.md), and Athena (engine v3), DuckDB, Trino, Spark and Snowflake read `.zst` text files.
 * gzip stays for readers that do not. The file extension says which, since that is how Athena and DuckDB tell.
 */
export type OutputCompression = 'zstd' | 'gzip';

export const OUTPUT_COMPRESSIONS: readonly OutputCompression[] = ['zstd', 'gzip'];

/** Levels each codec takes, and the default. */
export const LEVELS: Readonly<Record<OutputCompression, { min: number; max: number; default: number }>> = {
  zstd: { min: 1, max: 19, default: 3 },
  gzip: { min: 0, max: 9, default: 6 },
};

export interface OutputCodec {
  compression: OutputCompression;
  level: number;
  /** The file name's ending: `.json.zst` or `.json.gz`. */
  extension: string;
  /** A new compressing stream for one file. */
  create(opts: { chunkSize: number; writableHighWaterMark: number }): Transform;
}

/** True when this Node has zstd in zlib (22.15 and later). */
export function hasZstd(): boolean {
  // Typed as always there (@types/node follows the runtime cflogs is built for), checked because a Node 20
  // (the system one here) may still run the CLI.
  return typeof (zlib as Partial<typeof zlib>).createZstdCompress === 'function';
}

export function outputCodec(compression: OutputCompression, level = LEVELS[compression].default): OutputCodec {
  const range = LEVELS[compression];
  if (!Number.isInteger(level) || level < range.min || level > range.max) {
    throw new RangeError(`${compression} level ${level} is outside ${range.min}..${range.max}`);
  }
  if (compression === 'gzip') {
    return {
      compression,
      level,
      extension: '.json.gz',
      // memLevel 9 (zlib's default is 8) doubles the hash table and the literal buffer: a few per cent faster at
      // level 6 on log text and slightly smaller output, for 128 KiB more per open file.
      // (zlib passes stream options through to Transform; its typings do not list them.)
      create: (o) => zlib.createGzip({ level, memLevel: 9, ...o } as zlib.ZlibOptions),
    };
  }
  if (!hasZstd()) throw new RangeError(`zstd needs Node 22.15 or later, and this is Node ${process.versions.node}`);
  const { ZSTD_c_compressionLevel, ZSTD_c_checksumFlag } = zlib.constants;
  return {
    compression,
    level,
    extension: '.json.zst',
    create: (o) =>
      zlib.createZstdCompress({
        ...o,
        // A checksum per frame: a reader finds a corrupt file instead of reading wrong rows from it.
        params: { [ZSTD_c_compressionLevel]: level, [ZSTD_c_checksumFlag]: 1 },
      }),
  };
}
