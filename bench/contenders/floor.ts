/**
 * The floor: what any Node ingester must pay at least. gunzip, split lines on Buffers, JSON.parse each line, and
 * nothing else (no validation, no output). Lines are decoded with `buf.toString` of the line's range, the cheapest
 * way to hand a line to JSON.parse. gunzip writes 256 KiB chunks: zlib's default of 16 KiB costs a thread-pool round
 * trip per 16 KiB and makes the floor about 20% slower (measured), and a floor should not be handicapped.
 *
 * params.rewrite (the `floor_rewrite` row): also `JSON.stringify` each parsed record and write it through cflogs'
 * LakeWriter (its blocks, backpressure, and cflogs' output codec from `loadConfig`: zstd level 3 by default) into
 * the discarding store. The least an ingester that rewrites every row (the output contract's schema order) and
 * compresses as cflogs does must do: no validation, normalisation or enrichment. Reported, not a target.
 */
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { loadConfig } from '../../lib/config';
import { LakeWriter } from '../../lib/lake/writer';
import type { Contender } from '../contender';
import { jsonRow } from '../../testkit/rows';
import { DiscardStore } from '../discard-store';

const GUNZIP_CHUNK = 256 * 1024;
/** One event hour for every row: the rows all go to one file, as the corpus's do in cflogs. */
const EVENT_TIME = '2026-11-01 10:00:00.000000000';

const floor: Contender = {
  async prepare(corpus, params) {
    const rewrite = params.rewrite === true;
    // cflogs' own output settings (its contender takes the same), so floor_rewrite stays its ceiling.
    const { codec, maxOpenFiles } = loadConfig({});
    return async () => {
      let rows = 0;
      let carry: Buffer | undefined;
      const store = new DiscardStore();
      const sink = rewrite
        ? new LakeWriter({ store, prefix: '', baseName: 'floor', rejectTime: EVENT_TIME, codec, maxOpenFiles })
        : undefined;
      const onLine = (buf: Buffer, start: number, end: number): void => {
        if (end > start) {
          const record: unknown = JSON.parse(buf.toString('utf8', start, end));
          rows++;
          sink?.row('floor', jsonRow(EVENT_TIME, JSON.stringify(record)));
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
        const p = sink?.pressure();
        if (p) await p;
      }
      if (carry !== undefined) onLine(carry, 0, carry.length);
      if (sink) await sink.commit();
      return {
        rows,
        expectedRows: corpus.lines,
        bytesOut: store.totalBytes(),
        ...(rewrite ? { notes: { codec: `${codec.compression} ${codec.level}` } } : {}),
      };
    };
  },
};

export default floor;
