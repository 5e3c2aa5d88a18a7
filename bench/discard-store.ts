import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { ObjectStore, WriteTarget } from '../lib/lake/types';

/** "PAR1", a Parquet file's first and last four bytes, read little-endian. */
const PAR1 = 0x31524150;

/**
 * An ObjectStore that keeps nothing: each object's bytes are counted as they are written. With `keepEnds`, it also
 * keeps each object's first 4 bytes and its last write that ends in "PAR1" (a Parquet file's footer: the `cflogs_parquet` row reads
 * the row counts from it), a few kilobytes per file.
 */
export class DiscardStore implements ObjectStore {
  readonly sizes = new Map<string, number>();
  readonly ends = new Map<string, { head: Buffer; tail: Buffer }>();

  constructor(private readonly keepEnds = false) {}

  openWrite(key: string): WriteTarget {
    let bytes = 0;
    let head: Buffer | undefined;
    let tail: Buffer | undefined;
    const { sizes, ends, keepEnds } = this;
    const stream = new Writable({
      write(chunk: Buffer, _enc, cb) {
        bytes += chunk.length;
        if (keepEnds) {
          if (head === undefined) head = Buffer.from(chunk.subarray(0, 4));
          // Only a write that ends a Parquet file (its footer, "PAR1" last) is held, so no row group stays in memory.
          if (chunk.length >= 8 && chunk.readUInt32LE(chunk.length - 4) === PAR1) tail = chunk;
        }
        cb();
      },
      final(cb) {
        sizes.set(key, bytes);
        if (keepEnds) ends.set(key, { head: head ?? Buffer.alloc(0), tail: tail ?? Buffer.alloc(0) });
        cb();
      },
    });
    const result = finished(stream);
    result.catch(() => undefined); // observed by the writer
    return {
      stream,
      result,
      abort: async () => {
        stream.destroy();
      },
    };
  }

  totalBytes(): number {
    let n = 0;
    for (const b of this.sizes.values()) n += b;
    return n;
  }
}
