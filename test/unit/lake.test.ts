import { Writable } from 'node:stream';
import { outputCodec } from '../../lib/lake/codec';
import { readLakeFile, readParquetRows } from '../../testkit/lake-files';
import { LakeWriter } from '../../lib/lake/writer';
import type { ObjectStore, WriteTarget } from '../../lib/lake/types';
import { jsonRow } from '../../testkit/rows';

/** An in-memory store whose uploads finish a little after their stream ends, like S3. */
function slowStore() {
  const objects = new Map<string, Buffer>();
  let unfinished = 0;
  let maxUnfinished = 0;
  const store: ObjectStore = {
    openWrite(key): WriteTarget {
      unfinished++;
      maxUnfinished = Math.max(maxUnfinished, unfinished);
      const chunks: Buffer[] = [];
      let finish!: () => void;
      const result = new Promise<void>((r) => (finish = r));
      const stream = new Writable({
        write(c: Buffer, _e, cb) {
          chunks.push(c);
          cb();
        },
        final(cb) {
          setTimeout(() => {
            objects.set(key, Buffer.concat(chunks));
            unfinished--;
            finish();
          }, 5);
          cb();
        },
      });
      return { stream, result, abort: async () => void unfinished-- };
    },
  };
  return { store, objects, max: () => maxUnfinished };
}

const ts = (h: number) => `2026-11-01 ${String(h % 24).padStart(2, '0')}:00:00.000000000`.replace('11-01', `11-${String(1 + Math.floor(h / 24)).padStart(2, '0')}`);

/** Where `text` (NDJSON) stops matching `rows`: compact, where a failing toBe on megabytes would print them all. */
function firstDifference(text: string, rows: string[]): string | undefined {
  const lines = text.split('\n');
  if (lines.pop() !== '') return 'the output does not end with a newline';
  for (let i = 0; i < Math.max(lines.length, rows.length); i++) {
    if (lines[i] !== rows[i]) return `line ${i + 1} of ${rows.length} differs`;
  }
  return undefined;
}

describe('the lake writer', () => {
  /** Rows cycling through `hours` event hours, as a hostile or unsorted batch would send them. */
  const cycling = (n: number, hours: number) =>
    Array.from({ length: n }, (_, i) => ({ time: ts(i % hours), json: `{"i":${i},"h":${i % hours},"pad":"${'x'.repeat(200)}"}` }));

  /**
   * Writes rows as processStream does: pressure() awaited when row() asks for it and after every `chunk` rows.
   * Returns the store's objects, decompressed.
   */
  async function writeAll(rows: { time: string; json: string }[], chunk: number, opts: { maxOpenFiles: number; waitingBytes?: number }) {
    const { store, objects, max } = slowStore();
    const w = new LakeWriter({ store, prefix: 'p/', baseName: 'obj', rejectTime: ts(0), codec: outputCodec('zstd', 1), ...opts });
    let asked = 0;
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i] as { time: string; json: string };
      const must = w.row('t', jsonRow(r.time, r.json));
      if (must) asked++;
      if (must || i % chunk === chunk - 1) {
        const p = w.pressure();
        if (p) await p;
      }
    }
    const files = await w.commit();
    const text = new Map([...objects].map(([k, b]) => [k, readLakeFile(b)]));
    return { files, text, maxInFlight: max(), asked };
  }

  it('keeps the files in flight bounded when event hours interleave, waiting only where a row asks it to', async () => {
    // 40 hours cycling, a small budget for waiting rows: files are evicted and reopened all the time, and
    // pressure() is otherwise awaited only every 500 rows (an input chunk's worth).
    const rows = cycling(6000, 40);
    const { files, text, maxInFlight, asked } = await writeAll(rows, 500, { maxOpenFiles: 4, waitingBytes: 512 * 1024 });
    expect(asked).toBeGreaterThan(0);
    // Open files, at most a couple finishing, plus the one being opened.
    expect(maxInFlight).toBeLessThanOrEqual(4 + 2 + 1);
    // Every row is in exactly one file; an evicted hour continues in a numbered part.
    const all = [...text.values()].flatMap((t) => t.trim().split('\n'));
    expect(all).toHaveLength(rows.length);
    expect(new Set(all).size).toBe(rows.length);
    expect(files.reduce((n, f) => n + f.rows, 0)).toBe(rows.length);
    expect(files.some((f) => /\/obj-1\.json\.zst$/.test(f.key))).toBe(true);
  });

  it('writes each event hour in one file when interleaved hours fit the waiting budget', async () => {
    // 6 hours cycling with 4 open files: two hours' rows wait in memory, and each hour still ends up in one file.
    const rows = cycling(20_000, 6);
    const { files, text } = await writeAll(rows, 500, { maxOpenFiles: 4 });
    expect(files.map((f) => f.key.replace(/.*\/hour=(\d\d)\/.*/, '$1'))).toEqual(['00', '01', '02', '03', '04', '05']);
    for (const f of files) {
      const h = Number(f.key.replace(/.*\/hour=(\d\d)\/.*/, '$1'));
      const want = rows.filter((_, i) => i % 6 === h).map((r) => r.json);
      expect(firstDifference(text.get(f.key) as string, want)).toBeUndefined();
    }
  });

  it('writes the same files with the same rows whatever the moments its pressure is awaited', async () => {
    // A retry must overwrite the same keys with the same rows: the split into parts depends on the rows alone,
    // not on when the reader (at input chunk boundaries, which vary with the network) waits.
    const rows = cycling(6000, 40);
    const opts = { maxOpenFiles: 3, waitingBytes: 512 * 1024 };
    const a = await writeAll(rows, 1, opts);
    const b = await writeAll(rows, 997, opts);
    expect(a.files.length).toBeGreaterThan(45);
    expect(a.files.length).toBeLessThan(200);
    expect([...b.text.keys()].sort()).toEqual([...a.text.keys()].sort());
    for (const [k, t] of a.text) expect(b.text.get(k) === t).toBe(true);
  });

  it.each(['zstd', 'gzip'] as const)('writes the same %s bytes whether the compressor still holds the last block at commit or not', async (codec) => {
    // A retry writes the same bytes, not only the same rows: how the compressed stream ends must not depend on
    // whether the compressor, on libuv's pool, has taken the last block when the file is closed.
    const write = async (settle: boolean) => {
      const { store, objects } = slowStore();
      const w = new LakeWriter({ store, prefix: '', baseName: 'same', rejectTime: ts(0), codec: outputCodec(codec), maxOpenFiles: 4 });
      for (let i = 0; i < 12_000; i++) w.row('t', jsonRow(ts(1), `{"i":${i},"pad":"${(i * 2654435761).toString(36).repeat(12)}"}`));
      if (settle) await new Promise((r) => setTimeout(r, 300));
      await w.commit();
      return [...objects.values()];
    };
    const [busy] = await write(false);
    const [idle] = await write(true);
    expect(busy!.length).toBeGreaterThan(1000);
    expect(busy!.equals(idle!)).toBe(true);
  });

  it('writes every byte of rows that span many blocks, in order, while earlier blocks are still being compressed', async () => {
    // Blocks are reused once gzip has read them; reusing one too early would corrupt rows. About 8 MB of rows, all
    // different, written without waiting for backpressure, so several blocks queue up for gzip; the loop yields to
    // the event loop now and then, so gzip finishes some of them (and they are reused) while others still wait.
    const { store, objects } = slowStore();
    const w = new LakeWriter({ store, prefix: '', baseName: 'big', rejectTime: ts(0), codec: outputCodec('gzip'), maxOpenFiles: 4 });
    const expected: string[] = [];
    for (let i = 0; i < 40_000; i++) {
      const row = `{"i":${i},"pad":"${(i * 2654435761).toString(36).repeat(20)}","u":"é€${i % 97}"}`;
      expected.push(row);
      w.row('t', jsonRow(ts(1), row));
      if (i % 16_000 === 15_999) await new Promise((r) => setImmediate(r));
    }
    const [file] = await w.commit();
    expect(file?.rows).toBe(40_000);
    const text = readLakeFile(objects.get(file?.key ?? '') as Buffer);
    expect(text.length).toBeGreaterThan(8_000_000);
    expect(firstDifference(text, expected)).toBeUndefined();
  });

  it('keeps every file intact when blocks pass from closed files to new ones', async () => {
    // Two open files at most and bursts of about 2.5 MB per event hour over five hours: files are evicted and
    // reopened (as numbered parts), each flushes blocks mid-file, and new files write into blocks closed ones gave back.
    const { store, objects } = slowStore();
    const w = new LakeWriter({ store, prefix: '', baseName: 'churn', rejectTime: ts(0), codec: outputCodec('zstd', 1), maxOpenFiles: 2, waitingBytes: 1024 * 1024 });
    const rowsByHour = new Map<number, string[]>();
    let i = 0;
    for (let burst = 0; burst < 12; burst++) {
      const hour = (burst * 3) % 5;
      for (let k = 0; k < 5_000; k++, i++) {
        const row = `{"i":${i},"h":${hour},"pad":"${(i * 40503).toString(36).repeat(70)}"}`;
        let rows = rowsByHour.get(hour);
        if (rows === undefined) rowsByHour.set(hour, (rows = []));
        rows.push(row);
        w.row('t', jsonRow(ts(hour), row));
        const p = w.pressure();
        if (p) await p;
        else if (k % 2_000 === 1_999) await new Promise((r) => setImmediate(r));
      }
    }
    const files = await w.commit();
    expect(files.length).toBeGreaterThan(5);
    for (const [hour, rows] of rowsByHour) {
      const keys = files.map((f) => f.key).filter((k) => k.includes(`/hour=${String(hour).padStart(2, '0')}/`));
      // Parts in the order they were written: churn.json.zst, churn-1.json.zst, ...
      keys.sort((a, b) => a.length - b.length || a.localeCompare(b));
      const text = keys.map((k) => readLakeFile(objects.get(k) as Buffer)).join('');
      expect(firstDifference(text, rows)).toBeUndefined();
    }
  });

  it('Parquet: rows of interleaved hours land in their own hour files, over row groups and parts (evicted or full), in order', async () => {
    const { store, objects } = slowStore();
    const columns = [
      { name: 'i', type: 'bigint' as const },
      { name: 'h', type: 'int' as const },
      { name: 'p_event_time', type: 'timestamp' as const },
      { name: 'p_event_time_ns', type: 'bigint' as const },
    ];
    const w = new LakeWriter({
      store, prefix: '', baseName: 'pq', rejectTime: ts(0), codec: outputCodec('zstd', 1), maxOpenFiles: 2, waitingBytes: 64 * 1024,
      columnBufferChars: 16 * 1024, maxRowGroups: 3, format: { name: 'parquet', columns: () => columns },
    });
    const rowsByHour = new Map<number, number[]>();
    const names = ['i', 'h'];
    for (let i = 0; i < 6_000; i++) {
      const hour = Math.floor(i / 100) % 4;
      rowsByHour.set(hour, [...(rowsByHour.get(hour) ?? []), i]);
      if (w.row('t', jsonRow(ts(hour), `{"i":${i},"h":${hour},"p_event_time":"${ts(hour).slice(0, 20)}${String(i).padStart(9, '0')}"}`, names))) {
        const p = w.pressure();
        if (p) await p;
      }
    }
    const files = await w.commit();
    expect(files.every((f) => f.key.endsWith('.parquet'))).toBe(true);
    expect(files.length).toBeGreaterThan(4); // evicted partitions continue in -1, -2 ...
    for (const [hour, expected] of rowsByHour) {
      const keys = files.map((f) => f.key).filter((k) => k.includes(`/hour=${String(hour).padStart(2, '0')}/`));
      keys.sort((a, b) => a.length - b.length || a.localeCompare(b));
      const rows = (await Promise.all(keys.map((k) => readParquetRows(objects.get(k) as Buffer)))).flat();
      expect(rows.map((r) => Number(r.i))).toEqual(expected);
      // The exact time beside the microsecond one.
      const base = BigInt(Date.parse(`${ts(hour).slice(0, 10)}T${ts(hour).slice(11, 19)}Z`)) * 1_000_000n;
      expect(rows.map((r) => r.p_event_time_ns)).toEqual(expected.map((i) => base + BigInt(i)));
      expect(rows.map((r) => (r.p_event_time as Date).getTime())).toEqual(expected.map((i) => Number((base + BigInt(i)) / 1_000_000n)));
    }
    const { parquetMetadata } = await import('hyparquet');
    const groups = files.map((f) => parquetMetadata(new Uint8Array(objects.get(f.key) as Buffer).slice().buffer).row_groups.length);
    expect(Math.max(...groups)).toBe(3);
    // A full file (3 row groups here) is finished and its hour goes on in the next part.
    expect(files.filter((f) => /hour=00\/pq-\d+\.parquet$/.test(f.key)).length).toBeGreaterThan(1);
  });

  it('Parquet: an event time past what 64-bit nanoseconds hold keeps its row, with p_event_time_ns NULL', async () => {
    const { store, objects } = slowStore();
    const columns = [
      { name: 'p_event_time', type: 'timestamp' as const },
      { name: 'p_event_time_ns', type: 'bigint' as const },
    ];
    const w = new LakeWriter({ store, prefix: '', baseName: 'old', rejectTime: ts(0), codec: outputCodec('zstd', 1), maxOpenFiles: 4, format: { name: 'parquet', columns: () => columns } });
    for (const t of ['0001-01-01 00:00:00.000000001', '1969-12-31 23:59:59.999999999', '9999-12-31 23:59:59.999999999']) w.row('t', jsonRow(t, `{"p_event_time":"${t}"}`));
    const files = await w.commit();
    const rows = (await Promise.all(files.map((f) => readParquetRows(objects.get(f.key) as Buffer)))).flat();
    // (The reader turns microseconds into a Date by truncating: -1 us shows as the epoch.)
    expect(rows.map((r) => [(r.p_event_time as Date).getUTCFullYear(), r.p_event_time_ns])).toEqual([
      [1, null],
      [1970, -1n],
      [9999, null],
    ]);
  });

  it('names the output object when a store fails', async () => {
    const failing: ObjectStore = {
      openWrite(): WriteTarget {
        const result = Promise.reject(Object.assign(new Error('We encountered an internal error'), { name: 'InternalError', $metadata: { httpStatusCode: 500 } }));
        result.catch(() => undefined);
        return { stream: new Writable({ write: (_c, _e, cb) => cb() }), result, abort: async () => undefined };
      },
    };
    const w = new LakeWriter({ store: failing, prefix: '', baseName: 'obj', rejectTime: ts(0), codec: outputCodec('zstd', 1), maxOpenFiles: 4 });
    w.row('t', jsonRow(ts(3), '{}'));
    await expect(w.commit()).rejects.toThrow(
      'logs/t/year=2026/month=11/day=01/hour=03/obj.json.zst: InternalError: HTTP 500: We encountered an internal error',
    );
  });
});
