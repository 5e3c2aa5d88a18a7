import { Writable } from 'node:stream';
import type { ObjectStore, WriteTarget } from '../lib/sink/types';

/** An ObjectStore that keeps nothing: each object's bytes are counted as they are written. */
export class DiscardStore implements ObjectStore {
  readonly sizes = new Map<string, number>();

  uri(key: string): string {
    return `discard://${key}`;
  }

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
    const result = new Promise<void>((resolve, reject) => {
      stream.once('finish', resolve);
      stream.once('error', reject);
    });
    result.catch(() => undefined);
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
