import { REJECT_COLUMNS } from '../../lib/row/contract';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import { DecodeError, SinkError } from '../../lib/errors';
import { looksLikeFieldName } from '../../lib/pipeline/field-tally';
import { DEFAULT_LIMITS, InputInfo, Limits, processStream, ProcessSummary } from '../../lib/pipeline/process';
import { builtInRegistry } from '../../lib/record/registry';
import type { DecodedStream } from '../../lib/decode/decompress';
import { MemorySink } from '../../testkit/memory-sink';
import { tableColumns } from '../../lib/lake/catalog';
import { P_COLUMNS } from '../../lib/row/contract';
import { failure } from '../support/failure';

const registry = builtInRegistry();
const NOW = new Date('2026-11-24T12:00:00Z');
const PARSE_TIME = '2026-11-24 12:00:00.000000000';
const KEY = 'logs/http_requests/20260101/20260101T000000Z_20260101T000030Z_abcdef12.log.gz';

function input(extra: Partial<InputInfo> = {}): InputInfo {
  return {
    source: `s3://cf-logs/${KEY}`,
    identity: `cf-logs/${KEY}/etag-1`,
    entry: registry.require('Cloudflare.HttpRequest'),
    location: { bucket: 'cf-logs', key: KEY },
    ...extra,
  };
}

async function* chunks(buf: Buffer, size = buf.length || 1): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

async function run(
  body: Buffer,
  opts: { sink?: MemorySink; limits?: Partial<Limits>; chunkSize?: number; info?: Partial<InputInfo> } = {},
): Promise<{ sink: MemorySink; summary: ProcessSummary }> {
  const sink = opts.sink ?? new MemorySink();
  const summary = await processStream(chunks(body, opts.chunkSize), input(opts.info), {
    sink,
    now: NOW,
    limits: { ...DEFAULT_LIMITS, ...opts.limits },
    registry,
  });
  return { sink, summary };
}

const line = (ts: string | number, extra = ''): string => `{"EdgeStartTimestamp":${typeof ts === 'string' ? JSON.stringify(ts) : ts}${extra}}`;
const GOOD = [
  line(1506702504, ',"ClientIP":"192.0.2.1","RayID":"r1"'),
  line('2017-09-29T17:00:00.5Z', ',"ClientRequestHost":"www.example.com"'),
  line(1506702504433, ',"NewField":"x"'),
].join('\n');

const counted = (s: ProcessSummary): number => s.rows + s.rejected + s.filtered + s.blank;

describe('processStream: rows', () => {
  test('plain NDJSON: every line becomes a row and the counts reconcile', async () => {
    const { sink, summary } = await run(Buffer.from(GOOD + '\n'));
    expect(summary).toMatchObject({ compression: 'none', lines: 3, rows: 3, rejected: 0, blank: 0, filtered: 0, logType: 'Cloudflare.HttpRequest' });
    expect(counted(summary)).toBe(summary.lines);
    expect(sink.rows.map((r) => r.table)).toEqual(['cloudflare_httprequest', 'cloudflare_httprequest', 'cloudflare_httprequest']);
    expect(sink.rows.map((r) => r.eventTime)).toEqual([
      '2017-09-29 16:28:24.000000000',
      '2017-09-29 17:00:00.500000000',
      '2017-09-29 16:28:24.433000000',
    ]);
    expect(sink.commits).toBe(1);
    expect(sink.aborts).toBe(0);
    expect(summary.outputs).toEqual([{ key: 'memory/events/cloudflare_httprequest', kind: 'events', table: 'cloudflare_httprequest', rows: 3, bytes: 0 }]);
  });

  test('gzip input gives byte-identical rows to the same plain input', async () => {
    const plain = await run(Buffer.from(GOOD));
    const gz = await run(gzipSync(Buffer.from(GOOD)), { chunkSize: 7 });
    expect(gz.summary.compression).toBe('gzip');
    expect(gz.sink.rows).toEqual(plain.sink.rows);
    expect(gz.summary.decompressedBytes).toBe(Buffer.byteLength(GOOD));
    expect(gz.summary.bytesIn).toBe(gzipSync(Buffer.from(GOOD)).length);
  });

  test('rows carry p_row_id from the identity and line number, and the injected parse time', async () => {
    const { sink } = await run(Buffer.from('\n' + GOOD));
    const prefix = createHash('sha256').update(`cf-logs/${KEY}/etag-1`).digest('hex').slice(0, 20);
    expect(sink.parsedRows().map((r) => r.p_row_id)).toEqual([prefix + '00000002', prefix + '00000003', prefix + '00000004']);
    expect(sink.parsedRows().every((r) => r.p_parse_time === PARSE_TIME)).toBe(true);
  });

  test('source id and label are written when given', async () => {
    const { sink } = await run(Buffer.from(GOOD), { info: { sourceId: 'id-1', sourceLabel: 'Label' } });
    expect(sink.parsedRows()[0]).toMatchObject({ p_source_id: 'id-1', p_source_label: 'Label' });
  });

  test('unknown field names are counted per row', async () => {
    const body = [line(1, ',"A":1'), line(2, ',"A":2,"B":3'), line(3)].join('\n');
    const { summary } = await run(Buffer.from(body));
    expect(summary.unknownFields).toEqual({ A: 2, B: 1 });
  });

  test('integers beyond 2^53 keep their digits in unknown fields, json columns and nested values', async () => {
    const body = [',"NewField":1506702504433000201', ',"RequestHeaders":{"x-id":12345678901234567891}', ',"Subrequests":[{"id":9007199254740993}]']
      .map((extra) => `{"EdgeStartTimestamp":1506702504433000201${extra}}`)
      .join('\n');
    const { sink, summary } = await run(gzipSync(Buffer.from(body)));
    expect(summary).toMatchObject({ rows: 3, rejected: 0 });
    const rows = sink.rows.map((r) => r.json);
    expect(rows[0]).toContain('"p_unknown_fields":{"NewField":1506702504433000201}');
    expect(rows[1]).toContain('"RequestHeaders":{"x-id":12345678901234567891}');
    expect(rows[2]).toContain('"Subrequests":[{"id":9007199254740993}]');
    expect(sink.rows.map((r) => r.eventTime)).toEqual(Array(3).fill('2017-09-29 16:28:24.433000201'));
  });

  test('blank lines (empty, spaces, tabs, CRLF) are counted, not rejected', async () => {
    const body = `\n${line(1)}\r\n  \n\t\r\n\n${line(2)}\n`;
    const { sink, summary } = await run(Buffer.from(body));
    expect(summary).toMatchObject({ lines: 6, rows: 2, blank: 4, rejected: 0 });
    expect(sink.rejects).toEqual([]);
    expect(counted(summary)).toBe(summary.lines);
  });

  test('a UTF-8 BOM on the first line is ignored', async () => {
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(GOOD)]);
    const { summary, sink } = await run(body);
    expect(summary.rows).toBe(3);
    expect(sink.rejects).toEqual([]);
  });

  test('an empty input is zero lines and still commits', async () => {
    const { summary, sink } = await run(Buffer.alloc(0));
    expect(summary).toMatchObject({ lines: 0, rows: 0, rejected: 0 });
    expect(sink.commits).toBe(1);
  });

  test('sink back-pressure is awaited between chunks', async () => {
    let waits = 0;
    const sink = new MemorySink({ pressure: () => (waits++ % 2 === 0 ? Promise.resolve() : undefined) });
    const { summary } = await run(Buffer.from(GOOD), { sink, chunkSize: 10 });
    expect(summary.rows).toBe(3);
    expect(sink.pressureCalls).toBeGreaterThan(1);
  });
});

describe('processStream: rejects', () => {
  test('a reject record has source, line, reason, message and raw (then log type and parse time)', async () => {
    const bad = '{"EdgeStartTimestamp":"not a time"}';
    const { sink, summary } = await run(Buffer.from(`${line(1)}\n${bad}\n`));
    expect(summary).toMatchObject({ lines: 2, rows: 1, rejected: 1, rejectsByReason: { invalid_timestamp: 1 } });
    expect(sink.rejects.map((r) => r.table)).toEqual(['cloudflare_httprequest']);
    const rec = sink.parsedRejects()[0] as Record<string, unknown>;
    expect(Object.keys(rec)).toEqual(['source', 'line', 'reason', 'message', 'raw', 'log_type', 'parse_time']);
    expect(rec).toEqual({
      source: `s3://cf-logs/${KEY}`,
      line: 2,
      reason: 'invalid_timestamp',
      message: expect.stringMatching(/^EdgeStartTimestamp: /) as unknown,
      raw: bad,
      log_type: 'Cloudflare.HttpRequest',
      parse_time: PARSE_TIME,
    });
  });

  test('a timestamp that does not exist is invalid_timestamp with a message saying what is wrong with it', async () => {
    const body = [
      line('2020-02-30'), // 1
      line('0000-01-01'), // 2
      line('2017-09-29T16:28:24+99:99'), // 3
      line('2017-09-29T16:28:60Z'), // 4
      '{"EdgeStartTimestamp":1506702504433000200.5}', // 5: fractional unixnano, which JSON.parse rounds
      '{"EdgeStartTimestamp":1.5067025044330002e18}', // 6: the same in exponent form
      line(1506702504, ',"EdgeEndTimestamp":"2021-02-29T00:00:00Z"'), // 7: not the event time: a row, the value kept
      line('yesterday'), // 8: not shaped like a timestamp at all
      '{"EdgeStartTimestamp":1506702504433000201}', // 9 ok: integer digits stay exact
    ].join('\n');
    const { sink, summary } = await run(Buffer.from(body));
    expect(summary).toMatchObject({ lines: 9, rows: 2, rejected: 7, rejectsByReason: { invalid_timestamp: 7 }, invalidFields: { EdgeEndTimestamp: 1 } });
    expect(sink.parsedRejects().map((r) => [r.line, r.reason, r.message])).toEqual([
      [1, 'invalid_timestamp', 'EdgeStartTimestamp: not a valid date: the month has no such day'],
      [2, 'invalid_timestamp', "EdgeStartTimestamp: outside the years 0001..9999 (UTC) that the lake's timestamps hold"],
      [3, 'invalid_timestamp', 'EdgeStartTimestamp: not a valid UTC offset: RFC 3339 allows hours 00-23 and minutes 00-59'],
      [4, 'invalid_timestamp', 'EdgeStartTimestamp: not a valid time of day: a leap second is 23:59:60 UTC on the last day of a month'],
      [5, 'invalid_timestamp', 'EdgeStartTimestamp: a number beyond 2^53 with a fraction or an exponent: only integer digits are read exactly as nanoseconds'],
      [6, 'invalid_timestamp', 'EdgeStartTimestamp: a number beyond 2^53 with a fraction or an exponent: only integer digits are read exactly as nanoseconds'],
      [8, 'invalid_timestamp', 'EdgeStartTimestamp: cannot read a string as a timestamp (cloudflare)'],
    ]);
    expect(sink.parsedRows()[0]?.p_invalid_fields).toEqual({ EdgeEndTimestamp: '2021-02-29T00:00:00Z' });
    expect(sink.parsedRows()[1]?.EdgeStartTimestamp).toBe('2017-09-29 16:28:24.433000201');
  });

  test('every kind of bad line is a reject and the counts reconcile', async () => {
    const body = [
      line(1), // 1 ok
      '{not json', // 2
      '[1,2]', // 3
      '"text"', // 4
      '{"ClientIP":"192.0.2.1"}', // 5
      line(2, ',"ClientSrcPort":"abc"'), // 6 ok: the value that does not fit is kept in p_invalid_fields
      '', // 7 blank
      line(3), // 8 ok
    ].join('\n');
    const { sink, summary } = await run(Buffer.from(body));
    expect(summary).toMatchObject({
      lines: 8,
      rows: 3,
      blank: 1,
      rejected: 4,
      rejectsByReason: { invalid_json: 1, unsupported_format: 1, not_an_object: 1, missing_required: 1 },
      invalidFields: { ClientSrcPort: 1 },
    });
    expect(counted(summary)).toBe(summary.lines);
    expect(sink.parsedRejects().map((r) => [r.line, r.reason])).toEqual([
      [2, 'invalid_json'],
      [3, 'unsupported_format'],
      [4, 'not_an_object'],
      [5, 'missing_required'],
    ]);
  });

  test('invalid UTF-8 is rejected as invalid_utf8 with the exact bytes in raw_base64', async () => {
    const badBytes = Buffer.concat([Buffer.from('{"EdgeStartTimestamp":1,"ClientCity":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]);
    const body = Buffer.concat([Buffer.from(line(1) + '\n'), badBytes, Buffer.from('\n' + line(2))]);
    const { sink, summary } = await run(body);
    expect(summary).toMatchObject({ lines: 3, rows: 2, rejectsByReason: { invalid_utf8: 1 } });
    const rec = sink.parsedRejects()[0] as Record<string, unknown>;
    expect(rec.reason).toBe('invalid_utf8');
    expect(rec.line).toBe(2);
    expect(Buffer.from(rec.raw_base64 as string, 'base64').equals(badBytes)).toBe(true);
    expect(typeof rec.raw).toBe('string');
  });

  test('a real U+FFFD character in valid UTF-8 is not an encoding error', async () => {
    const { summary, sink } = await run(Buffer.from(line(1, ',"ClientCity":"a\ufffdb"')));
    expect(summary.rows).toBe(1);
    expect(sink.parsedRows()[0]?.ClientCity).toBe('a\ufffdb');
  });

  test('a line over the limit is line_too_long with its length in the message, and the next line is read', async () => {
    const long = line(1, `,"ClientCity":"${'x'.repeat(3000)}"`);
    const body = `${long}\n${line(2)}\n`;
    const { sink, summary } = await run(Buffer.from(body), { limits: { maxLineBytes: 1024 }, chunkSize: 100 });
    expect(summary).toMatchObject({ lines: 2, rows: 1, rejectsByReason: { line_too_long: 1 } });
    const rec = sink.parsedRejects()[0] as Record<string, unknown>;
    expect(rec).toMatchObject({ line: 1, reason: 'line_too_long' });
    expect(rec.message).toContain(`${Buffer.byteLength(long)} bytes`);
    expect(rec.message).toContain('1024');
    expect(long.startsWith(rec.raw as string)).toBe(true);
    expect((rec.raw as string).length).toBeGreaterThan(1024);
  });
});

describe('processStream: failures of the whole input', () => {
  test('a truncated gzip aborts the sink and throws a DecodeError naming the key and line', async () => {
    const many = Array.from({ length: 2000 }, (_, i) => line(1506702504 + i, `,"RayID":"${i.toString(16)}"`)).join('\n');
    const gz = gzipSync(Buffer.from(many));
    const sink = new MemorySink();
    const e = await failure(run(gz.subarray(0, Math.floor(gz.length * 0.6)), { sink, chunkSize: 512 }));
    expect(e).toBeInstanceOf(DecodeError);
    const err = e as DecodeError;
    expect(err.message).toContain(KEY);
    expect(err.message).toMatch(/line \d+/);
    expect(err.message).toMatch(/truncated/);
    expect(err.location).toMatchObject({ bucket: 'cf-logs', key: KEY });
    expect(err.location.line).toBeGreaterThan(1);
    expect(sink.aborts).toBe(1);
    expect(sink.commits).toBe(0);
  });

  test('a decompressed size over the limit is a DecodeError too', async () => {
    const sink = new MemorySink();
    const e = await failure(run(gzipSync(Buffer.from(GOOD)), { sink, limits: { maxDecompressedBytes: 10 } }));
    expect(e).toBeInstanceOf(DecodeError);
    expect(sink.aborts).toBe(1);
  });

  test('a failing sink commit aborts and throws a SinkError', async () => {
    const sink = new MemorySink({ commitFails: true });
    const e = await failure(run(Buffer.from(GOOD), { sink }));
    expect(e).toBeInstanceOf(SinkError);
    expect(sink.aborts).toBe(1);
  });

  test('a sink that throws while taking a row is a SinkError naming the output and the line, not a read failure', async () => {
    const sink = new MemorySink({ rowFails: new Error('logs/t/year=2026/month=11/day=24/hour=12/x.json.gz: row added after the file was closed') });
    const e = await failure(run(Buffer.from(`\n${GOOD}`), { sink }));
    expect(e).toBeInstanceOf(SinkError);
    expect((e as SinkError).message).toContain('writing output failed: logs/t/year=2026/month=11/day=24/hour=12/x.json.gz: row added');
    expect((e as SinkError).location).toMatchObject({ key: KEY, line: 2 });
    expect(sink.aborts).toBe(1);
  });

  test('a bug in a stage is thrown as it is, not disguised as an input read error', async () => {
    const sink = new MemorySink({ pressure: () => undefined });
    const bug = new TypeError('cannot read properties of undefined');
    const throwing = { ...input(), filters: { raw: [1], normalised: [], bind: () => ({ empty: true }), dropRaw: () => { throw bug; } } as unknown as InputInfo['filters'] };
    const e = await failure(processStream([Buffer.from(GOOD)], throwing, { sink, now: NOW, limits: DEFAULT_LIMITS }));
    expect(e).toBe(bug);
    expect(sink.aborts).toBe(1);
  });

  test('failing back-pressure aborts and throws a SinkError', async () => {
    const sink = new MemorySink({ pressure: () => Promise.reject(new Error('upload failed')) });
    const e = await failure(run(Buffer.from(GOOD), { sink, chunkSize: 10 }));
    expect(e).toBeInstanceOf(SinkError);
    expect(sink.aborts).toBe(1);
  });
});

describe('which unknown field names the summary may log', () => {
  test('every field name of the built-in schemas is shaped like a field name', () => {
    const reg = builtInRegistry();
    const names = reg.logTypes().flatMap((lt) => reg.get(lt)?.schema.fields.flatMap((f) => [f.name, ...f.aliases]) ?? []);
    expect(names.length).toBeGreaterThan(100);
    expect(names.filter((n) => !looksLikeFieldName(n))).toEqual([]);
  });

  test.each(['198.51.100.77', '2001:db8::1', 'alice@example.com', 'Bearer eyJhbGciOiJIUzI1NiJ9', 'eyJhbGciOiJIUzI1NiJ9', 'AKIAIOSFODNN7EXAMPLE', 'x7Fj3kQ9LmZ2pW8r', 'Q9x7fJ3kLmZ2pW8r', 'A1234', '', 'K'.repeat(65), '__proto__', 'toString'])(
    '%s is not',
    (name) => expect(looksLikeFieldName(name)).toBe(false),
  );
});

describe('processStream: what it releases and keeps when a line or the output goes wrong', () => {
  const entry = registry.require('Cloudflare.HttpRequest');

  test('the raw of a line_too_long reject holds only that line, not the lines after it', async () => {
    const long = `{"EdgeStartTimestamp":1,"ClientCity":"${'x'.repeat(1100)}"}`;
    const next = '{"EdgeStartTimestamp":2,"ClientIP":"192.0.2.99"}';
    const sink = new MemorySink();
    await processStream([Buffer.from(`${long}\n${next}\n`)], { source: 's3://b/k', identity: 'b/k', entry, location: { bucket: 'b', key: 'k' } }, {
      sink,
      now: new Date(0),
      limits: { ...DEFAULT_LIMITS, maxLineBytes: 1024 },
    });
    expect(sink.parsedRejects()[0]?.raw).toBe(long);
  });

  test.each([
    ['plain', (b: Buffer) => b],
    ['gzip', (b: Buffer) => gzipSync(b)],
  ])('a %s source is released when the output fails part way', async (_kind, encode) => {
    const line = (i: number) => `{"EdgeStartTimestamp":${1762000000 + i},"RayID":"r${i}","ClientRequestPath":"/${'x'.repeat(200)}"}\n`;
    const payload = encode(Buffer.from(Array.from({ length: 20000 }, (_, i) => line(i)).join('')));
    const chunks = Array.from({ length: Math.ceil(payload.length / 16384) }, (_, i) => payload.subarray(i * 16384, (i + 1) * 16384));
    const source = Readable.from(chunks, { objectMode: false });
    let waits = 0;
    // An upload that dies mid-object: the third wait fails.
    const sink = new MemorySink({ pressure: () => (++waits >= 3 ? Promise.reject(new Error('upload failed')) : Promise.resolve(undefined)) });
    await expect(
      processStream(source, { source: 's', identity: 's', entry, location: { key: 's' } }, { sink, now: new Date(), limits: DEFAULT_LIMITS }),
    ).rejects.toThrow('writing output failed');
    expect(sink.aborts).toBe(1);
    await new Promise((r) => setImmediate(r));
    expect(source.destroyed).toBe(true);
  });
});

describe('the p_* columns', () => {
  test('a row carries its p_* columns in the contract order, and the Glue table declares each of them', async () => {
    const body = `{"EdgeStartTimestamp":1506702504,"ClientIP":"192.0.2.1","ClientRequestHost":"www.example.com","RayID":"abc","NewField":1}`;
    const { sink } = await run(Buffer.from(body), { info: { sourceId: 'id-1', sourceLabel: 'Label' } });
    const keys = Object.keys(sink.parsedRows()[0] ?? {}).filter((k) => k.startsWith('p_'));
    const order = P_COLUMNS.map((c) => c.name);
    expect(keys.length).toBeGreaterThan(8);
    expect(keys).toEqual(order.filter((n) => keys.includes(n)));
    // The NDJSON table's: the Parquet one adds p_event_time_ns, a column of the file, not of the row's text.
    const glue = tableColumns(registry.require('Cloudflare.HttpRequest').schema, 'ndjson').map((c) => c.Name);
    expect(glue.filter((n) => n.startsWith('p_'))).toEqual(order);
  });
});

describe('rows that look like another log type', () => {
  const dnsLine = (i: number) =>
    JSON.stringify({ Datetime: `2026-11-01T10:00:0${i}Z`, QueryName: 'example.com.', QueryType: 1, SrcIP: '192.0.2.1', ResolverDecision: 'allowedOnNoPolicyMatch', RCode: 0 });

  test('gateway_dns lines forced through Firewall: rows still written, counted as suspect, Gateway DNS named as the fit', async () => {
    const { sink, summary } = await run(Buffer.from([dnsLine(1), dnsLine(2)].join('\n')), { info: { entry: registry.require('Cloudflare.Firewall') } });
    expect(summary).toMatchObject({ rows: 2, rejected: 0, suspectLogType: { rows: 2, bestFit: 'Cloudflare.GatewayDNS' } });
    expect(sink.parsedRows()[0]?.p_unknown_fields).toMatchObject({ QueryName: 'example.com.' });
  });

  test('rows of the right log type are never suspect, even with unknown fields', async () => {
    const { summary } = await run(Buffer.from(line(1, ',"ClientIP":"192.0.2.1","BrandNewField":1')));
    expect(summary.rows).toBe(1);
    expect(summary.suspectLogType).toBeUndefined();
  });
});

describe('reject records', () => {
  test('carry the fields of the rejects table, in its order (lib/row/contract.ts REJECT_COLUMNS)', async () => {
    const bad = Buffer.concat([Buffer.from('{not json\n{"EdgeStartTimestamp":1,"ClientCity":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n')]);
    const { sink } = await run(bad);
    const names = REJECT_COLUMNS.map((c) => c.name);
    const rejects = sink.parsedRejects();
    expect(rejects).toHaveLength(2);
    for (const r of rejects) expect(Object.keys(r)).toEqual(names.filter((n) => n in r));
    expect(Object.keys(rejects[1]!)).toContain('raw_base64');
  });
});

describe('processStream: every byte of the input is read or the input fails', () => {
  const lines = (n: number, from = 0): Buffer =>
    Buffer.from(Array.from({ length: n }, (_, i) => line(1506702504 + from + i, `,"RayID":"r${from + i}"`) + '\n').join(''));
  const first = gzipSync(lines(10));
  /** 10 lines, one zero byte, then 990 more lines that only a reader going past the zero byte sees. */
  const padded = Buffer.concat([first, Buffer.from([0x00]), gzipSync(lines(990, 10))]);

  test('data after the end of the gzip stream is a DecodeError naming the object and the byte where the unread data starts', async () => {
    const sink = new MemorySink();
    const e = await failure(run(padded, { sink, chunkSize: 300 }));
    expect(e).toBeInstanceOf(DecodeError);
    expect((e as DecodeError).message).toBe(
      `the gzip stream ends before the input does: the bytes after it are not a gzip member (s3://cf-logs/${KEY}, line 11, byte ${first.length})`,
    );
    expect((e as DecodeError).location).toMatchObject({ bucket: 'cf-logs', key: KEY, byteOffset: first.length });
    expect(sink.commits).toBe(0);
    expect(sink.aborts).toBe(1);
  });

  test('on the last attempts it is salvaged like corruption: the rows before it, then one corrupt_input reject naming the offset', async () => {
    const sink = new MemorySink();
    const summary = await processStream(chunks(padded, 300), input(), { sink, now: NOW, limits: DEFAULT_LIMITS, salvageCorrupt: true });
    expect(summary).toMatchObject({ salvaged: true, lines: 11, rows: 10, rejected: 1, rejectsByReason: { corrupt_input: 1 } });
    expect(sink.parsedRejects()).toEqual([
      expect.objectContaining({
        line: 11,
        reason: 'corrupt_input',
        message: `the gzip stream ends before the input does: the bytes after it are not a gzip member at compressed byte ${first.length}: the rest of the input could not be read`,
      }),
    ]);
  });

  test('the summary checks it of any decoded stream: one whose decoder stopped short, quietly, fails at the first unread byte', async () => {
    const text = lines(10);
    const stopped = (consumed: number, ended: boolean): DecodedStream => ({
      compression: 'gzip',
      chunks: (async function* () {
        yield text;
      })(),
      bytesIn: () => 100,
      bytesConsumed: () => consumed,
      sourceEnded: () => ended,
      bytesOut: () => text.length,
    });
    for (const [consumed, ended, at] of [
      [54, true, 54],
      [100, false, 100],
    ] as const) {
      const sink = new MemorySink();
      const e = await failure(processStream(stopped(consumed, ended), input(), { sink, now: NOW, limits: DEFAULT_LIMITS }));
      expect(e).toBeInstanceOf(DecodeError);
      expect((e as DecodeError).message).toBe(`the input was not decoded to its end (s3://cf-logs/${KEY}, line 11, byte ${at})`);
      expect(sink.commits).toBe(0);
    }
    const whole = await processStream(stopped(100, true), input(), { sink: new MemorySink(), now: NOW, limits: DEFAULT_LIMITS });
    expect([whole.rows, whole.bytesIn]).toEqual([10, 100]);
  });

  test('a whole input of any compression reports as many bytes in as it has, all of them decoded', async () => {
    const text = lines(500);
    const multi = Buffer.concat([gzipSync(text.subarray(0, 1000)), gzipSync(text.subarray(1000))]);
    const frames = Buffer.concat([zstdCompressSync(text.subarray(0, 1000)), zstdCompressSync(text.subarray(1000))]);
    for (const body of [text, gzipSync(text), multi, frames]) {
      const { summary } = await run(body, { chunkSize: 999 });
      expect([summary.compression, summary.bytesIn, summary.decompressedBytes, summary.rows]).toEqual([summary.compression, body.length, text.length, 500]);
    }
  });
});
