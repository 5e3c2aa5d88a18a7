import { createWriteStream, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { finished } from 'node:stream/promises';
import type { ObjectStore, WriteTarget } from './types';

let tmpCounter = 0;

/** The same layout as S3, in a directory. Files appear atomically (temp file + rename), as S3 objects do. */
export class LocalStore implements ObjectStore {
  constructor(private readonly root: string) {}

  openWrite(key: string): WriteTarget {
    const path = join(this.root, key);
    mkdirSync(dirname(path), { recursive: true });
    const tmp = `${path}.partial-${process.pid}-${tmpCounter++}`;
    const stream = createWriteStream(tmp);
    const result = finished(stream).then(() => renameSync(tmp, path));
    result.catch(() => undefined);
    return {
      stream,
      result,
      abort: async () => {
        stream.destroy();
        await result.catch(() => undefined);
        rmSync(tmp, { force: true });
      },
    };
  }
}
