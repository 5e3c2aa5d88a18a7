/**
 * The floor: what any Node ingester must pay at least. gunzip, split lines on Buffers, JSON.parse each line, and
 * nothing else (no validation, no output). Lines are decoded with `buf.toString` of the line's range, the cheapest
 * way to hand a line to JSON.parse. gunzip writes 256 KiB chunks: zlib's default of 16 KiB costs a thread-pool round
 * trip per 16 KiB and makes the floor about 20% slower (measured), and a floor should not be handicapped.
 *
 * params.rewrite (the `floor_rewrite` row): also `JSON.stringify` each parsed record, UTF-8 encode it into 256 KiB
 * blocks and gzip them at level 6, as LakeWriter does. The least an ingester that rewrites every row (the output
 * contract's schema order) and stores gzip level 6 must do: no validation, normalisation or enrichment. Reported as
 * the ceiling for cflogs on the same core, not as a target.
 */
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { Writable } from 'node:stream';
import { createGunzip, createGzip, ZlibOptions } from 'node:zlib';
import type { Contender } from '../contender';

const GUNZIP_CHUNK = 256 * 1024;
const BLOCK = 256 * 1024;

const floor: Contender = {
  async prepare(corpus, params) {
    const rewrite = params.rewrite === true;
    return async () => {
      let rows = 0;
      let carry: Buffer | undefined;
      let bytesOut = 0;
      // The same gzip settings as LakeWriter's files; output bytes are counted and dropped.
      const gzip = rewrite ? createGzip({ level: 6, chunkSize: 64 * 1024, writableHighWaterMark: 4 * BLOCK } as ZlibOptions) : undefined;
      const done = gzip && once(gzip.pipe(new Writable({ write: (b: Buffer, _e, cb) => ((bytesOut += b.length), cb()) })), 'finish');
      let block = Buffer.allocUnsafe(rewrite ? BLOCK : 0);
      let used = 0;
      let drain: Promise<unknown> | undefined;
      const flush = (): void => {
        if (gzip === undefined || used === 0) return;
        if (!gzip.write(block.subarray(0, used)) && drain === undefined) drain = once(gzip, 'drain');
        block = Buffer.allocUnsafe(BLOCK);
        used = 0;
      };
      const onLine = (buf: Buffer, start: number, end: number): void => {
        if (end > start) {
          const record: unknown = JSON.parse(buf.toString('utf8', start, end));
          rows++;
          if (rewrite) {
            const json = JSON.stringify(record);
            if (json.length * 3 + 1 > BLOCK) throw new Error(`line ${rows} is too long for this probe's blocks`);
            if (used + json.length * 3 + 1 > BLOCK) flush();
            used += block.write(json, used, 'utf8');
            block[used++] = 0x0a;
          }
        }
      };
      for await (const chunk of createReadStream(corpus.path).pipe(createGunzip({ chunkSize: GUNZIP_CHUNK })) as AsyncIterable<Buffer>) {
        const buf = chunk;
        let pos = 0;
        let nl = buf.indexOf(10);
        if (carry !== undefined && nl !== -1) {
          // The line that straddles the chunk boundary: join only its two pieces.
          onLine(Buffer.concat([carry, buf.subarray(0, nl)]), 0, carry.length + nl);
          carry = undefined;
          pos = nl + 1;
          nl = buf.indexOf(10, pos);
        } else if (carry !== undefined) {
          carry = Buffer.concat([carry, buf]);
          continue;
        }
        while (nl !== -1) {
          onLine(buf, pos, nl);
          pos = nl + 1;
          nl = buf.indexOf(10, pos);
        }
        if (pos < buf.length) carry = buf.subarray(pos);
        if (drain !== undefined) {
          await drain;
          drain = undefined;
        }
      }
      if (carry !== undefined) onLine(carry, 0, carry.length);
      if (gzip) {
        flush();
        gzip.end();
        await done;
      }
      return { rows, expectedRows: corpus.lines, bytesOut };
    };
  },
};

export default floor;
