/**
 * Deterministic zips for Lambda artifacts, written with yazl: deflated entries, a fixed timestamp and mode,
 * entries in the order given. The same bundle always gives the same zip bytes, so the function's CodeSha256 only
 * changes when the code does and a re-deploy of unchanged code updates nothing. yauzl reads them back for tests.
 */
import { buffer } from 'node:stream/consumers';
import * as yauzl from 'yauzl';
import { ZipFile } from 'yazl';

export interface ZipEntry {
  name: string;
  data: Buffer;
}

/**
 * 1980-01-01 00:00, the earliest DOS time, as local time: yazl encodes the DOS timestamp from the local fields,
 * so this gives the same bytes in every time zone.
 */
const MTIME = new Date(1980, 0, 1, 0, 0, 0);
/** -rw-r--r-- regular file. */
const FILE_MODE = 0o100644;

export async function createZip(entries: ZipEntry[]): Promise<Buffer> {
  const zip = new ZipFile();
  for (const e of entries) {
    // No Info-ZIP "UT" field: it would carry the epoch time, which is all the DOS field needs to say.
    zip.addBuffer(e.data, e.name, { mtime: MTIME, mode: FILE_MODE, compressionLevel: 9, forceDosTimestamp: true });
  }
  zip.end();
  return buffer(zip.outputStream);
}

/** Reads a zip: name -> content. */
export async function readZip(zip: Buffer): Promise<Map<string, Buffer>> {
  const file = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.fromBuffer(zip, { lazyEntries: true }, (e, f) => (e ? reject(e) : resolve(f))),
  );
  const out = new Map<string, Buffer>();
  await new Promise<void>((resolve, reject) => {
    file.on('error', reject);
    file.on('end', () => resolve());
    file.on('entry', (entry: yauzl.Entry) => {
      file.openReadStream(entry, (e, stream) => {
        if (e) return reject(e);
        buffer(stream).then((data) => {
          out.set(entry.fileName, data);
          file.readEntry();
        }, reject);
      });
    });
    file.readEntry();
  });
  return out;
}
