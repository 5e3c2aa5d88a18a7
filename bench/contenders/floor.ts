/**
 * The floor: what any Node ingester must pay at least. gunzip, split lines on Buffers, JSON.parse each line, and
 * nothing else (no validation, no output). Lines are decoded with `buf.toString` of the line's range, the cheapest
 * way to hand a line to JSON.parse. gunzip writes 256 KiB chunks: zlib's default of 16 KiB costs a thread-pool round
 * trip per 16 KiB and makes the floor about 20% slower (measured), and a floor should not be handicapped.
 */
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { Contender } from '../contender';

const GUNZIP_CHUNK = 256 * 1024;

const floor: Contender = {
  async prepare(corpus) {
    return async () => {
      let rows = 0;
      let carry: Buffer | undefined;
      const onLine = (buf: Buffer, start: number, end: number): void => {
        if (end > start) {
          JSON.parse(buf.toString('utf8', start, end));
          rows++;
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
      }
      if (carry !== undefined) onLine(carry, 0, carry.length);
      return { rows, expectedRows: corpus.lines, bytesOut: 0 };
    };
  },
};

export default floor;
