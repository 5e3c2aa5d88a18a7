import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { ObjectStore, WriteTarget } from '../lib/lake/types';

/** An ObjectStore that keeps nothing: each object's bytes are counted as they are written. */
export class DiscardStore implements ObjectStore {
  readonly sizes = new Map<string, number>();

  openWrite(key: string): WriteTarget {
    let bytes = 0;
    const sizes = this.sizes;
    const stream = new Writable({
      write(chunk: Buffer, _enc, cb) {
        bytes += chunk.length;
        cb();
      },
      final(cb) {
        sizes.set(key, bytes);
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
