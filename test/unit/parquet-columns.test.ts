import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { ExactNumber, exactFieldsOf, hasLongNumber, stringifyExact } from '../../lib/record/json';
import { LineParser } from '../../lib/record/parser';
import { builtInRegistry } from '../../lib/record/registry';
import { formatDate, timestampMicros, timestampNanos } from '../../lib/record/timestamps';
import { eventColumns, EVENT_TIME_NS, LakeColumn } from '../../lib/lake/format';
import { ColumnBuffer, ParquetFile } from '../../lib/lake/parquet';
import { outputCodec } from '../../lib/lake/codec';
import { LakeWriter } from '../../lib/lake/writer';
import type { WriteTarget } from '../../lib/lake/types';
import { RowWriter, rowIdPrefix } from '../../lib/row/writer';
import type { ScalarType } from '../../lib/schema/model';
import { readParquetRows } from '../../testkit/lake-files';
import { jsonRow } from '../../testkit/rows';
import { generateLines } from '../../testkit/generate';

/**
 * A Parquet file takes each row's values from the row writer's columns, never from its text. The reference here
 * reads them the other way, from the NDJSON text the same row writer writes (JSON.parse, with long numbers read
 * exactly): for every golden input line, and lines with numbers a double cannot hold, every column of the file,
 * read back by hyparquet, must agree.
 */
const GOLDEN = join(__dirname, '..', 'fixtures', 'golden');

function floorMicros(ns: bigint): bigint {
  const q = ns / 1000n;
  return ns < 0n && q * 1000n !== ns ? q - 1n : q;
}

function scalar(t: ScalarType, v: unknown): unknown {
  if (v === undefined) return null;
  switch (t) {
    case 'json':
      return stringifyExact(v);
    case 'bigint':
      return v === null ? null : BigInt(v instanceof ExactNumber ? v.text : (v as number));
    case 'timestamp': {
      const ns = typeof v === 'string' ? timestampNanos(v) : undefined;
      return ns === undefined ? null : floorMicros(ns);
    }
    default:
      return v instanceof ExactNumber ? v.value : v;
  }
}

/** The column values of one row, read back from its text. */
function fromText(columns: readonly LakeColumn[], text: string): unknown[] {
  const row = JSON.parse(text) as Record<string, unknown>;
  const exact = hasLongNumber(text, 0, text.length) ? exactFieldsOf(text) : undefined;
  return columns.map((c) => {
    if (c.name === EVENT_TIME_NS) return timestampNanos(row.p_event_time as string) ?? null;
    const v = exact?.get(c.name) ?? row[c.name];
    if (c.type !== 'array') return scalar(c.type, v);
    if (!Array.isArray(v)) return null;
    const el = c.element ?? 'string';
    return el === 'string' ? v : v.map((e) => (e === null ? null : el === 'json' ? JSON.stringify(e) : scalar(el, e)));
  });
}

/** A write target in memory: the object's bytes once the stream has ended. */
function memoryTarget(): { target: WriteTarget; bytes: () => Buffer } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(c: Buffer, _e, cb) {
      chunks.push(c);
      cb();
    },
  });
  const result = new Promise<void>((resolve) => stream.on('finish', resolve));
  return { target: { stream, result, abort: async () => undefined }, bytes: () => Buffer.concat(chunks) };
}

async function compare(logType: string, lines: string[], ctx: { rowIdPrefix: string; parseTime: string; sourceId?: string; sourceLabel?: string }): Promise<number> {
  const entry = builtInRegistry().require(logType);
  const parser = new LineParser(entry);
  const writer = new RowWriter(entry.plan, ctx, parser);
  const columns = eventColumns(entry.schema, 'parquet');
  const { target, bytes } = memoryTarget();
  // Two rows per row group: the groups' chunks start over (dictionaries included) and still read back whole.
  const file = new ParquetFile('k', 'events', entry.plan.table, target, { columns, level: 3, maxRowGroups: 1000 });
  const want: unknown[][] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '' || parser.parse(line) !== undefined) return;
    const row = writer.write(line, i + 1);
    file.put(row);
    want.push(fromText(columns, row.json()));
    if (want.length % 2 === 0) file.writeRowGroup();
  });
  await file.close();
  const back = await readParquetRows(bytes(), undefined, { micros: true });
  expect(back).toHaveLength(want.length);
  back.forEach((r, n) => {
    // hyparquet reads a NULL list as undefined.
    expect(columns.map((c) => [c.name, r[c.name] ?? null])).toEqual(columns.map((c, j) => [c.name, (want[n] as unknown[])[j]]));
  });
  return want.length;
}

test.each(readdirSync(GOLDEN).sort())('%s: each row has the same column values as its NDJSON text', async (name) => {
  const meta = JSON.parse(readFileSync(join(GOLDEN, name, 'meta.json'), 'utf8')) as { logType: string; identity: string; parseTime: string; sourceId?: string; sourceLabel?: string };
  const lines = readFileSync(join(GOLDEN, name, 'input.ndjson'), 'utf8').split('\n');
  const ctx = {
    rowIdPrefix: rowIdPrefix(meta.identity),
    parseTime: formatDate(new Date(meta.parseTime)),
    ...(meta.sourceId !== undefined ? { sourceId: meta.sourceId } : {}),
    ...(meta.sourceLabel !== undefined ? { sourceLabel: meta.sourceLabel } : {}),
  };
  expect(await compare(meta.logType, lines, ctx)).toBeGreaterThan(0);
});

test('numbers a double cannot hold keep their digits in json columns, unknown fields and invalid fields', async () => {
  const lines = [
    // Canonical and not (spaces, nesting) json columns, an unknown field and a mistyped ActionResult.
    '{"ActionType":"update","ActorEmail":"a@example.com","ActorIP":"198.51.100.7","Metadata":{"n":12345678901234567890},"NewValue":123456789012345678901,"OldValue": [1.00000000000000000001],"ID":"x","ResourceType":"zone","When":"2022-11-15T10:20:30Z","Extra":98765432109876543210}',
    '{"ActionType":"update","ActionResult":123456789012345678901,"ID":"y","ResourceType":"zone","When":"2022-11-15T10:20:30.123456789Z","NewValue":{"a":{"b":[9007199254740993]}}}',
    // Without long numbers, escapes and an explicit null in a json column.
    '{"ActionType":"up\\"date","ID":"z","ResourceType":"zone","When":"2022-11-15T10:20:30Z","Metadata":null,"NewValue":"é\\u0000"}',
  ];
  expect(await compare('Cloudflare.Audit', lines, { rowIdPrefix: rowIdPrefix('t'), parseTime: '2026-11-24 12:00:00.000000000', sourceId: 's' })).toBe(3);
});

test('timestamps become microseconds rounded down, before 1970 and in years 0001 and 9999 too', () => {
  expect(timestampMicros('2017-09-29 16:28:24.433000201')).toBe(1506702504433000);
  expect(timestampMicros('1970-01-01 00:00:00.000000999')).toBe(0);
  expect(timestampMicros('1969-12-31 23:59:59.999999999')).toBe(-1);
  for (const ts of ['0001-01-01 00:00:00.000000001', '1600-02-29 12:00:00.000001999', '9999-12-31 23:59:59.999999999', '2262-04-11 23:47:16.854775807']) {
    expect(BigInt(timestampMicros(ts) as bigint)).toBe(floorMicros(timestampNanos(ts) as bigint));
  }
  expect(timestampMicros('2017-09-29 16:28:24.433')).toBeUndefined();
  expect(timestampMicros('2017-09-29 16:28:24.43300020x')).toBeUndefined();
});

test('a row group of many rows reads back whole: text that goes PLAIN past the dictionary, lists, booleans, numbers and NULLs', async () => {
  const columns: LakeColumn[] = [
    { name: 'unique', type: 'string' },
    { name: 'few', type: 'string' },
    { name: 'tags', type: 'array', element: 'string' },
    { name: 'codes', type: 'array', element: 'int' },
    { name: 'ok', type: 'boolean' },
    { name: 'ratio', type: 'float' },
    { name: 'status', type: 'int' },
    { name: 'bytes', type: 'bigint' },
  ];
  const names = columns.map((c) => c.name);
  const rows = Array.from({ length: 5000 }, (_, i) => ({
    unique: `ray-${i}-${'é'.repeat(i % 3)}`,
    few: ['GET', 'POST', 'PUT'][i % 3],
    ...(i % 5 === 0 ? {} : { tags: i % 5 === 1 ? [] : i % 5 === 2 ? ['a', null, 'b'] : [`t${i % 7}`] }),
    ...(i % 4 === 0 ? {} : { codes: [i % 100, -1] }),
    ok: i % 3 === 0,
    ratio: i / 7,
    ...(i % 9 === 0 ? {} : { status: 200 + (i % 5) }),
    bytes: i * 1_000_003,
  }));
  const { target, bytes } = memoryTarget();
  const file = new ParquetFile('k', 'events', 't', target, { columns, level: 3, maxRowGroups: 10 });
  for (const r of rows) file.put(jsonRow('2026-11-01 00:00:00.000000000', JSON.stringify(r), names));
  expect(file.writeRowGroup()).toBeGreaterThan(0);
  await file.close();
  const back = await readParquetRows(bytes());
  expect(back.map((r) => names.map((n) => (typeof r[n] === 'bigint' ? Number(r[n]) : (r[n] ?? null))))).toEqual(
    rows.map((r) => names.map((n) => (r as Record<string, unknown>)[n] ?? null)),
  );
  const { parquetMetadata } = await import('hyparquet');
  const b = bytes();
  const meta = parquetMetadata(b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer);
  const encodings = Object.fromEntries((meta.row_groups[0]?.columns ?? []).map((c) => [c.meta_data?.path_in_schema[0], c.meta_data?.encodings]));
  expect(encodings.unique).not.toContain('RLE_DICTIONARY');
  expect(encodings.few).toContain('RLE_DICTIONARY');
  expect(meta.row_groups[0]?.columns.find((c) => c.meta_data?.path_in_schema[0] === 'status')?.meta_data?.statistics).toMatchObject({ min_value: 200, max_value: 204, null_count: 556n });
});

test("a column set's meter counts what its buffers hold: nothing while empty, a little for one row, nothing after its row group", async () => {
  const entry = builtInRegistry().require('Cloudflare.HttpRequest');
  const columns = eventColumns(entry.schema, 'parquet');
  const names = entry.plan.fields.map((f) => f.name);
  const buffer = new ColumnBuffer(columns);
  expect(buffer.meter.bytes).toBe(0);
  const row = jsonRow('2026-11-01 10:00:00.000000000', JSON.stringify({ RayID: 'r1', ClientIP: '198.51.100.7', EdgeResponseStatus: 200 }), names);
  buffer.add(row);
  // Every column holds a definition level, three hold values: far from a row group's room.
  expect(buffer.meter.bytes).toBeGreaterThan(0);
  expect(buffer.meter.bytes).toBeLessThan(columns.length * 1024);
  const { target } = memoryTarget();
  const file = new ParquetFile('k', 'events', entry.plan.table, target, { columns, level: 3, maxRowGroups: 10 });
  file.adopt(buffer);
  file.writeRowGroup();
  expect(buffer.meter.bytes).toBe(0);
  await file.close();
});

test('Parquet rows of many event hours, each waiting for a file, are counted against the waiting budget: files open while rows still come', async () => {
  const entry = builtInRegistry().require('Cloudflare.HttpRequest');
  const columns = eventColumns(entry.schema, 'parquet');
  const names = entry.plan.fields.map((f) => f.name);
  let opened = 0;
  const store = {
    openWrite() {
      opened++;
      return memoryTarget().target;
    },
  };
  const w = new LakeWriter({
    store, prefix: '', baseName: 'b', rejectTime: '2026-11-01 00:00:00.000000000', codec: outputCodec('zstd', 1),
    maxOpenFiles: 2, waitingBytes: 1024 * 1024, format: { name: 'parquet', columns: () => columns },
  });
  const hours = 400;
  let openedWhileRowsCame = 0;
  for (let h = 0; h < hours; h++) {
    const d = new Date(Date.UTC(2026, 0, 1) + h * 3_600_000).toISOString();
    const t = `${d.slice(0, 10)} ${d.slice(11, 19)}.000000000`;
    if (w.row(entry.plan.table, jsonRow(t, JSON.stringify({ RayID: `r${h}`, EdgeResponseStatus: 200 }), names))) {
      const p = w.pressure();
      if (p) await p;
    }
    openedWhileRowsCame = opened;
  }
  // One row per hour in a file of its own; with 1 MiB for waiting rows, most had their file before the input ended.
  expect(openedWhileRowsCame).toBeGreaterThan(hours / 2);
  const files = await w.commit();
  expect(files).toHaveLength(hours);
  expect(files.reduce((n, f) => n + f.rows, 0)).toBe(hours);
});

test('text left in the line is looked up in the dictionary where it is: the same file as with every value cut out', async () => {
  const entry = builtInRegistry().require('Cloudflare.HttpRequest');
  const columns = eventColumns(entry.schema, 'parquet');
  const ctx = { rowIdPrefix: rowIdPrefix('b/k'), parseTime: '2026-11-01 00:00:00.000000000' };
  // Repeated values, new ones, and a column past its dictionary's bound (2,500 distinct paths): every leaf's paths.
  const lines = [...generateLines({ dataset: 'http_requests', lines: 2500, seed: 3 })].map((l, i) => l.replace(/"ClientRequestPath":"[^"]*"/, `"ClientRequestPath":"/p/${i}"`));
  const write = async (spans: boolean): Promise<{ file: Buffer; inLine: number }> => {
    const parser = new LineParser(entry);
    const writer = new RowWriter(entry.plan, ctx, parser);
    const { target, bytes } = memoryTarget();
    const file = new ParquetFile('k', 'events', entry.plan.table, target, { columns, level: 3, maxRowGroups: 1000 });
    let inLine = 0;
    lines.forEach((line, i) => {
      expect(parser.parse(line)).toBeUndefined();
      const row = writer.write(line, i + 1);
      const span = { line: '', start: 0, end: 0 };
      inLine += row.columnNames.filter((_, c) => writer.textSpan(c, span)).length;
      // Without textSpan, a sink reads every value with `value`, which cuts it.
      file.put(spans ? row : { ...jsonRow(row.eventTime, row.json(), row.columnNames), value: (c) => row.value(c), jsonText: (c) => row.jsonText(c), standard: (k) => row.standard(k) });
      if (i % 1000 === 999) file.writeRowGroup();
    });
    await file.close();
    return { file: bytes(), inLine };
  };
  const cut = await write(false);
  const spans = await write(true);
  expect(spans.inLine).toBeGreaterThan(lines.length * 10);
  expect(spans.file.equals(cut.file)).toBe(true);
  expect(await readParquetRows(spans.file, undefined, { micros: true })).toHaveLength(lines.length);
});
