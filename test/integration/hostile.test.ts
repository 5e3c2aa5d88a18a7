/**
 * Hostile and broken input. Every case ends as rows plus reject records with a clear reason (the object itself
 * succeeds and the counts reconcile), or, for what no line-level answer fits (a decompression bomb), as an
 * object error that names the object and leaves nothing written.
 */
import { gzipSync, zstdCompressSync } from 'node:zlib';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import type { SQSBatchResponse } from 'aws-lambda';
import { LocalS3, s3CreatedEvent, sqsEvent, startLocalS3 } from '../../testkit/local-s3';
import { DEFAULT_LIMITS, Limits, processStream, ProcessSummary } from '../../lib/pipeline/process';
import { handleS3Event } from '../../lib/s3/handler';
import { builtInRegistry } from '../../lib/record/registry';
import { MemorySink } from '../../testkit/memory-sink';
import { INPUT, LAKE, lakeRows, listKeys, objectDeps, put, recordingLog, tempDir } from '../support/lake';

type Row = Record<string, unknown>;
interface Reject {
  source: string;
  line: number;
  reason: string;
  message: string;
  raw: string;
  raw_base64?: string;
}
interface Result {
  summary: ProcessSummary;
  rows: Row[];
  rowJson: string[];
  rejects: Reject[];
}

const registry = builtInRegistry();
const NOW = new Date('2026-11-24T12:00:00Z');
const TS = '"EdgeStartTimestamp":"2026-11-01T10:00:00Z"';
/** A valid http_requests record with extra members appended. */
const rec = (extra = ''): string => `{${TS},"RayID":"8a1b2c3d4e5f6071"${extra}}`;

function ndjson(lines: (string | Buffer)[], eol = '\n'): Buffer {
  return Buffer.concat(lines.flatMap((l) => [typeof l === 'string' ? Buffer.from(l) : l, Buffer.from(eol)]));
}

async function run(
  body: Buffer | Iterable<Buffer> | AsyncIterable<Buffer>,
  opts: { logType?: string; limits?: Partial<Limits> } = {},
): Promise<Result> {
  const sink = new MemorySink();
  const summary = await processStream(
    Buffer.isBuffer(body) ? [body] : body,
    {
      source: 's3://hostile/input.log.gz',
      identity: 's3://hostile/input.log.gz#etag',
      entry: registry.require(opts.logType ?? 'Cloudflare.HttpRequest'),
      location: { bucket: 'hostile', key: 'input.log.gz' },
    },
    { sink, now: NOW, limits: { ...DEFAULT_LIMITS, ...opts.limits } },
  );
  // Nothing disappears: every line is a row, a reject, filtered or blank.
  expect(summary.lines).toBe(summary.rows + summary.rejected + summary.filtered + summary.blank);
  expect(sink.rows).toHaveLength(summary.rows);
  expect(sink.rejects).toHaveLength(summary.rejected);
  return {
    summary,
    rows: sink.rows.map((r) => JSON.parse(r.json) as Row),
    rowJson: sink.rows.map((r) => r.json),
    rejects: sink.rejects.map((r) => JSON.parse(r.json) as Reject),
  };
}

const withoutRowId = (r: Row): Row => {
  const { p_row_id: _, ...rest } = r;
  return rest;
};

describe('hostile and broken lines: a reject with a reason each, the rest of the object still lands', () => {
  test('invalid JSON: invalid_json, the message gives the position and never echoes the data', async () => {
    const bad = ['{"ClientIP": s3cr3t-value}', '{"ClientIP":"s3cr3t"', '{s3cr3t', '{"a":"s3cr3t"}}', '{"a":"s3cr3t",}'];
    const r = await run(ndjson([...bad, rec()]));
    expect(r.summary).toMatchObject({ lines: 6, rows: 1, rejected: 5, rejectsByReason: { invalid_json: 5 } });
    expect(r.rejects.map((x) => x.line)).toEqual([1, 2, 3, 4, 5]);
    for (const [i, x] of r.rejects.entries()) {
      expect(x.reason).toBe('invalid_json');
      expect(x.message).toMatch(/^invalid JSON( at character \d+)?$/);
      expect(x.message).not.toContain('s3cr3t');
      expect(x.raw).toBe(bad[i]); // the reject record (in S3, not in logs) keeps the line for a person
      expect(x.source).toBe('s3://hostile/input.log.gz');
    }
  });

  test('a JSON value that is not an object: not_an_object, naming its type', async () => {
    const r = await run(ndjson(['42', '"text"', 'null', 'true', '-1.5e3', rec()]));
    expect(r.summary).toMatchObject({ rows: 1, rejectsByReason: { not_an_object: 5 } });
    expect(r.rejects.map((x) => x.message)).toEqual([
      'line is a JSON number, not an object',
      'line is a JSON string, not an object',
      'line is a JSON null, not an object',
      'line is a JSON boolean, not an object',
      'line is a JSON number, not an object',
    ]);
  });

  test.each([
    ['plain', (b: Buffer) => b],
    ['gzip', (b: Buffer) => gzipSync(b)],
    ['zstd', (b: Buffer) => zstdCompressSync(b)],
  ])('a UTF-8 BOM before the first record is dropped (%s object)', async (_name, encode) => {
    const lines = [rec(',"ClientCity":"Zürich"'), rec(',"ClientCity":"Genève"')];
    const withBom = await run(encode(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), ndjson(lines)])));
    const without = await run(encode(ndjson(lines)));
    expect(withBom.summary).toMatchObject({ lines: 2, rows: 2, rejected: 0 });
    expect(withBom.rowJson).toEqual(without.rowJson);
    expect(withBom.rows[0]?.ClientCity).toBe('Zürich');
  });

  test('invalid UTF-8: invalid_utf8 with the exact bytes in raw_base64; a real U+FFFD is data and kept', async () => {
    const pre = Buffer.from(`{${TS},"ClientCity":"`);
    const post = Buffer.from('"}');
    const sequences = [
      [0xff], // never valid
      [0xc0, 0xaf], // overlong '/'
      [0x80], // lone continuation byte
      [0xe2, 0x82], // truncated 3-byte sequence
      [0xed, 0xa0, 0x80], // UTF-16 surrogate encoded in UTF-8
      [0xf4, 0x90, 0x80, 0x80], // beyond U+10FFFF
    ];
    const bad = sequences.map((s) => Buffer.concat([pre, Buffer.from(s), post]));
    const replacement = Buffer.concat([pre, Buffer.from([0xef, 0xbf, 0xbd]), post]);
    const r = await run(ndjson([...bad, replacement]));
    expect(r.summary).toMatchObject({ lines: 7, rows: 1, rejectsByReason: { invalid_utf8: 6 } });
    for (const [i, x] of r.rejects.entries()) {
      expect(x).toMatchObject({ line: i + 1, reason: 'invalid_utf8', message: 'line is not valid UTF-8' });
      expect(Buffer.from(x.raw_base64 as string, 'base64').equals(bad[i] as Buffer)).toBe(true);
    }
    expect(r.rows[0]?.ClientCity).toBe('\ufffd');
  });

  test('escaped lone surrogates are invalid_utf8 like their raw bytes, in every kind of column; the line is kept in raw, an escaped pair is data', async () => {
    // [the line's members, the lone escape the message points at]
    const bad: [string, string][] = [
      [',"ClientCity":"a\\ud800b"', '\\ud800'], // a typed string column
      [',"ClientCity":"a\\uD800"', '\\uD800'], // upper case, at the end of the string
      [',"ClientCity":"\\ud800\\u0041"', '\\ud800'], // a high surrogate followed by another escape
      [',"ClientCity":"\\ud83d\\ud83d\\ude00"', '\\ud83d'], // two highs: the first is alone
      [',"ClientCity":"\\udc00"', '\\udc00'], // a lone low surrogate
      [',"ClientCity":"\\ude00\\ud83d"', '\\ude00'], // a pair the wrong way round
      [',"BotTags":["ok","x\\udbff"]', '\\udbff'], // a string array
      [',"Cookies":{"k":"\\udfff"}', '\\udfff'], // a json column
      [',"Cookies":{"a":[{"\\ud800":"v"}]}', '\\ud800'], // a key nested in a json column
      [',"NewField":"\\ud800"', '\\ud800'], // an unknown field
      [',"\\ud800":1', '\\ud800'], // an unknown field's name
    ];
    const good = [
      ',"ClientCity":"\\ud83d\\ude00","BotTags":["\\uD83D\\uDE00"],"Cookies":{"\\ud83d\\ude00":"\\ud83d\\ude00"},"NewField":"\\ud83d\\ude00"',
      ',"ClientCity":"\\\\ud800"', // an escaped backslash, then the text "ud800"
      ',"ClientCity":"\\u00e9\\ud7ff\\ue000"', // the code points either side of the surrogates
    ];
    const lines = [...bad.map(([m]) => rec(m)), ...good.map((m) => rec(m))];
    const r = await run(ndjson(lines));
    expect(r.summary).toMatchObject({ lines: lines.length, rows: good.length, rejected: bad.length, rejectsByReason: { invalid_utf8: bad.length } });
    for (const [i, x] of r.rejects.entries()) {
      const line = lines[i] as string;
      const at = line.indexOf(bad[i]?.[1] as string);
      expect([x.line, x.reason, x.message]).toEqual([i + 1, 'invalid_utf8', `line is not valid UTF-8: a lone UTF-16 surrogate escaped at character ${at}`]);
      expect(x.raw).toBe(line); // the line as received, escape and all
      expect(x.raw_base64).toBeUndefined();
    }
    expect(r.rows.map((row) => row.ClientCity)).toEqual(['\u{1F600}', '\\ud800', '\u00e9\ud7ff\ue000']);
    expect(r.rows[0]).toMatchObject({ BotTags: ['\u{1F600}'], Cookies: { '\u{1F600}': '\u{1F600}' }, p_unknown_fields: { NewField: '\u{1F600}' } });
    // Well-formed text: a lone surrogate would not survive the round trip through UTF-8.
    for (const json of r.rowJson) expect(Buffer.from(json, 'utf8').toString('utf8')).toBe(json);
  });

  test('NUL bytes: raw NULs are invalid JSON; an escaped \\u0000 is data, written escaped', async () => {
    const r = await run(
      ndjson([
        `{${TS},"ClientCity":"a\u0000b"}`, // a raw NUL inside a string: not JSON
        '\u0000\u0000\u0000\u0000', // NUL padding (a preallocated or zero-filled file)
        `{${TS},\u0000"ClientCity":"x"}`, // a raw NUL between members
        `{${TS},"ClientCity":"a\\u0000b"}`,
        `{${TS},"nul\\u0000key":1}`,
      ]),
    );
    expect(r.summary).toMatchObject({ lines: 5, rows: 2, rejectsByReason: { invalid_json: 3 } });
    expect(r.rejects.map((x) => x.line)).toEqual([1, 2, 3]);
    expect(r.rows[0]?.ClientCity).toBe('a\u0000b');
    expect(r.rows[1]?.p_unknown_fields).toEqual({ 'nul\u0000key': 1 });
    for (const json of r.rowJson) expect(json).not.toContain('\u0000'); // escaped as \u0000 in the output text
    expect(r.rowJson[0]).toContain('"ClientCity":"a\\u0000b"');
  });

  test('CRLF line endings: the same rows as LF, CR never in the data, CRLF-only lines are blank', async () => {
    const lines = [rec(',"ClientCity":"Zürich"'), '', '{broken', rec(',"ClientRequestUserAgent":"curl/8.5.0"')];
    const crlf = await run(ndjson(lines, '\r\n'));
    const lf = await run(ndjson(lines, '\n'));
    expect(crlf.summary).toMatchObject({ lines: 4, rows: 2, blank: 1, rejectsByReason: { invalid_json: 1 } });
    expect(crlf.rowJson).toEqual(lf.rowJson);
    expect(crlf.rejects[0]?.raw).toBe('{broken');
    // A last line with CR but no LF.
    const tail = await run(Buffer.from(`${rec()}\r\n${rec()}\r`));
    expect(tail.summary).toMatchObject({ lines: 2, rows: 2 });
    expect(tail.rowJson[1]).not.toContain('\r');
  });

  test('a line at the limit is read, one byte over is line_too_long (CR not counted)', async () => {
    const limit = 2048;
    const sized = (n: number) => {
      const base = rec(',"ClientCity":""');
      return rec(`,"ClientCity":"${'x'.repeat(n - base.length)}"`);
    };
    const r = await run(ndjson([sized(limit), sized(limit + 1), sized(limit)], '\r\n'), { limits: { maxLineBytes: limit } });
    expect(r.summary).toMatchObject({ lines: 3, rows: 2, rejectsByReason: { line_too_long: 1 } });
    expect(r.rejects[0]).toMatchObject({ line: 2, reason: 'line_too_long' });
    expect(r.rejects[0]?.message).toBe(`line is ${limit + 1} bytes, over the limit of ${limit}; raw holds its first ${limit + 1} bytes`);
  });

  test('a 300 MB line is rejected as line_too_long without being buffered, and the next line is read', async () => {
    const MiB = 1024 * 1024;
    const total = 300 * MiB;
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const head = Buffer.from(`{${TS},"ClientCity":"`);
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    function* body(): Generator<Buffer> {
      yield head;
      for (let sent = 0; sent < total; sent += chunk.length) {
        if (sent % (4 * MiB) === 0) peak = Math.max(peak, process.memoryUsage().rss);
        yield chunk;
      }
      yield Buffer.from(`"}\n${rec()}\n`);
    }
    const r = await run(body(), { limits: { maxLineBytes: MiB } });
    const length = head.length + total + 2;
    expect(r.summary).toMatchObject({ lines: 2, rows: 1, rejectsByReason: { line_too_long: 1 } });
    expect(r.rejects[0]).toMatchObject({ line: 1, reason: 'line_too_long' });
    expect(r.rejects[0]?.message).toBe(`line is ${length} bytes, over the limit of ${MiB}; raw holds its first 4096 bytes`);
    expect(r.rejects[0]?.raw).toHaveLength(4096);
    expect(r.rows[0]?.p_row_id).toMatch(/00000002$/);
    expect(peak - rss0).toBeLessThan(64 * MiB);
  });

  test('deep nesting (thousands of levels) is a schema reject, not a stack overflow', async () => {
    const r = await run(
      ndjson([
        rec(`,"Extra":${'['.repeat(5000)}${']'.repeat(5000)}`),
        rec(`,"RequestHeaders":${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}`),
        rec(`,"Extra":${'['.repeat(200000)}${']'.repeat(200000)}`),
        rec(`,"Extra":${'{"a":'.repeat(32)}1${'}'.repeat(32)}`), // 32 levels: fine
      ]),
    );
    expect(r.summary).toMatchObject({ lines: 4, rows: 1, rejectsByReason: { schema: 3 } });
    expect(r.rejects.map((x) => x.message)).toEqual([
      'Extra: nests deeper than 32 levels',
      'RequestHeaders: nests deeper than 32 levels',
      'Extra: nests deeper than 32 levels',
    ]);
  });

  test.each([
    ['1e400 in a float column', ',"EdgeResponseCompressionRatio":1e400', /^EdgeResponseCompressionRatio: number out of range$/],
    ['1e400 in a bigint column', ',"ClientRequestBytes":1e400', /^ClientRequestBytes: number out of range$/],
    ['1e400 in a string column', ',"ClientCity":1e400', /^ClientCity: number out of range$/],
  ])('huge numbers: %s is a schema reject (no JSON reader could hold the value, not even in p_invalid_fields)', async (_name, extra, message) => {
    const r = await run(ndjson([rec(extra)]));
    expect(r.rejects).toHaveLength(1);
    expect(r.rejects[0]?.reason).toBe('schema');
    expect(r.rejects[0]?.message).toMatch(message);
  });

  test.each([
    ['99999999999999999999 in a bigint column', 'ClientRequestBytes'],
    ['99999999999999999999 in a smallint column', 'EdgeResponseStatus'],
  ])('huge numbers: %s keeps the row, the digits as received in p_invalid_fields', async (_name, field) => {
    const r = await run(ndjson([rec(`,"${field}":99999999999999999999`)]));
    expect(r.rejects).toHaveLength(0);
    expect(r.summary.invalidFields).toEqual({ [field]: 1 });
    expect(r.rowJson[0]).toContain(`"p_invalid_fields":{"${field}":99999999999999999999}`);
  });

  test('huge numbers: a 20-digit event time is invalid_timestamp; a 20-digit integer in a string column keeps its digits', async () => {
    const r = await run(ndjson(['{"EdgeStartTimestamp":99999999999999999999}', rec(',"ClientCity":99999999999999999999')]));
    expect(r.rejects[0]).toMatchObject({ reason: 'invalid_timestamp' });
    expect(r.rejects[0]?.message).toMatch(/^EdgeStartTimestamp: /);
    expect(r.rows[0]?.ClientCity).toBe('99999999999999999999');
  });

  test('__proto__ / constructor keys: no prototype pollution, kept as data in p_unknown_fields', async () => {
    const r = await run(
      ndjson([
        rec(',"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"toString":"x"'),
        rec(',"RequestHeaders":{"__proto__":{"polluted":true},"constructor":"c"}'),
      ]),
    );
    expect(r.summary).toMatchObject({ rows: 2, rejected: 0 });
    // The per-object summary (logged, and a metric) counts them, as names not shaped like field names.
    expect(JSON.stringify(r.summary.unknownFields)).toBe('{"(other)":3}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    expect(typeof ({} as { toString: unknown }).toString).toBe('function');
    const unknown = r.rows[0]?.p_unknown_fields as Record<string, unknown>;
    expect(Object.keys(unknown)).toEqual(['__proto__', 'constructor', 'toString']);
    expect(Object.getOwnPropertyDescriptor(unknown, '__proto__')?.value).toEqual({ polluted: true });
    expect(unknown.constructor).toEqual({ prototype: { polluted: true } });
    expect(r.rowJson[0]).toContain('"p_unknown_fields":{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"toString":"x"}');
    expect(r.rowJson[1]).toContain('"RequestHeaders":{"__proto__":{"polluted":true},"constructor":"c"}');
  });

  test('a CSV-format Logpush job: every line rejected with the job setting to change', async () => {
    const r = await run(
      ndjson([
        'ClientIP,ClientRequestHost,EdgeStartTimestamp,RayID',
        '203.0.113.7,www.example.com,2026-11-01T10:00:00Z,8a1b2c3d4e5f6071',
        '"203.0.113.8","www.example.com","2026-11-01T10:00:01Z","8a1b2c3d4e5f6072"',
      ]),
    );
    expect(r.summary).toMatchObject({ lines: 3, rows: 0, rejectsByReason: { invalid_json: 3 } });
    for (const x of r.rejects) {
      expect(x.message).toBe('line is not JSON (it looks like CSV): set the Logpush job output_options to the default NDJSON');
    }
  });

  test('a JSON-array batch on one line: unsupported_format, with the job setting to change', async () => {
    const r = await run(ndjson([`[${rec()},${rec(',"ClientIP":"203.0.113.9"')}]`, rec()]));
    expect(r.summary).toMatchObject({ lines: 2, rows: 1, rejectsByReason: { unsupported_format: 1 } });
    expect(r.rejects[0]?.message).toMatch(/batch_prefix \/ record_template/);
    expect(r.rejects[0]?.message).toMatch(/default output_options \(one JSON object per line\)/);
  });
});

describe('batched jobs and numbers beyond range', () => {
  test('a batch wrapped by batch_prefix on one line, or spread over lines: unsupported_format naming the settings', async () => {
    const wrapped = `{"logs":[${rec()},${rec()}]}`;
    const spread = ['{"logs":[', `${rec()},`, `${rec()}`, ']}'];
    const r = await run(ndjson([wrapped, ...spread]));
    expect(r.rejects.map((x) => [x.line, x.reason])).toEqual([
      [1, 'unsupported_format'],
      [2, 'unsupported_format'],
      [3, 'unsupported_format'],
      [5, 'unsupported_format'],
    ]);
    // The last record of a spread batch has no trailing comma: it is a record like any other.
    expect(r.summary.rows).toBe(1);
    expect(r.rejects[0]?.message).toMatch(/line holds 2 records in "logs".*batch_prefix/);
    expect(r.rejects[1]?.message).toMatch(/part of a batch.*record_delimiter/);
  });

  test('1e400 in an unknown field or a json column is refused, never written as null', async () => {
    const r = await run(ndjson([rec(',"NewField":1e400'), rec(',"RequestHeaders":{"x":[1,2,-1e999]}'), rec(',"NewField":1e300')]));
    expect(r.rejects.map((x) => [x.line, x.reason, x.message])).toEqual([
      [1, 'schema', 'NewField: number out of range'],
      [2, 'schema', 'RequestHeaders: number out of range'],
    ]);
    expect(r.rows[0]?.p_unknown_fields).toEqual({ NewField: 1e300 });
  });

  test('the summary names only unknown fields shaped like field names; IPs, e-mails and tokens are counted, not logged', async () => {
    const long = 'Kk'.repeat(2500);
    const keys = [long, 'bad\\nname\\u0000', 'Fine_Name.1', '198.51.100.77', 'alice@example.com', 'Bearer abc', 'AKIAIOSFODNN7EXAMPLE', 'x7Fj3kQ9LmZ2pW8r', 'NewField', 'JA4Hash', 'ClientIPs'];
    const r = await run(ndjson(keys.map((k, i) => rec(`,"${k}":${i}`))));
    expect(r.summary.unknownFields).toEqual({ '(other)': 8, NewField: 1, JA4Hash: 1, ClientIPs: 1 });
    // The rows keep the names exactly: only the log summary shortens them.
    expect(Object.keys(r.rows[0]?.p_unknown_fields as object)).toEqual([long]);
  });
});

describe('a decompression bomb', () => {
  let s3: LocalS3;
  beforeAll(async () => {
    s3 = await startLocalS3({ directory: tempDir('hostile'), buckets: [INPUT, LAKE] });
  });
  afterAll(async () => {
    await s3.close();
  });
  afterEach(async () => {
    for (const k of await listKeys(s3.client)) await s3.client.send(new DeleteObjectCommand({ Bucket: LAKE, Key: k }));
  });

  test.each([
    ['gzip', (b: Buffer) => gzipSync(b)],
    ['zstd', (b: Buffer) => zstdCompressSync(b)],
  ])('fails the object with a DecodeError naming it, over the configured limit, and writes nothing (%s)', async (name, compress) => {
    const MiB = 1024 * 1024;
    // 200 good records, then 64 MiB of zeros: about 70 KB of gzip, a few KB of zstd.
    const good = ndjson(Array.from({ length: 200 }, () => rec()));
    const body = compress(Buffer.concat([good, Buffer.alloc(64 * MiB)]));
    expect(body.length).toBeLessThan(MiB);
    const key = `cf/http_requests/20261101/20261101T100000Z_20261101T100030Z_b0mb-${name}.log.gz`;
    const obj = { bucket: INPUT, key, ...(await put(s3.client, key, body)) };
    const log = recordingLog();
    const d = objectDeps(s3.client, log);
    const deps = { ...d, config: { ...d.config, limits: { ...DEFAULT_LIMITS, maxDecompressedBytes: MiB } } };
    const res = (await handleS3Event(sqsEvent([s3CreatedEvent([obj])]), deps)) as SQSBatchResponse;
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: 'msg-0' }]);
    const failure = log.lines.find((l) => l.level === 'error');
    expect(failure?.extra).toMatchObject({ errorName: 'DecodeError', bucket: INPUT, key });
    expect(String(failure?.extra.error)).toMatch(
      new RegExp(`^decompressed size exceeds the limit of ${MiB} bytes \\(s3://${INPUT}/${key}, line \\d+, byte \\d+\\)$`),
    );
    expect(await listKeys(s3.client)).toEqual([]);
  });
});

describe('data after the end of the compressed stream', () => {
  let s3: LocalS3;
  beforeAll(async () => {
    s3 = await startLocalS3({ directory: tempDir('hostile-trailing'), buckets: [INPUT, LAKE] });
  });
  afterAll(async () => {
    await s3.close();
  });
  afterEach(async () => {
    for (const k of await listKeys(s3.client)) await s3.client.send(new DeleteObjectCommand({ Bucket: LAKE, Key: k }));
  });

  test.each([
    ['gzip', (b: Buffer) => gzipSync(b), 'the gzip stream ends before the input does: the bytes after it are not a gzip member'],
    ['zstd', (b: Buffer) => zstdCompressSync(b), 'data after a zstd frame is not a zstd frame'],
  ])(
    '%s: 10 lines, a zero byte, 990 more lines: a DecodeError naming the object and the offset while SQS retries, then 10 rows and one corrupt_input reject, never reported complete',
    async (name, compress, message) => {
      const lines = Array.from({ length: 1000 }, (_, i) => rec(`,"ClientRequestPath":"/${i}"`));
      const first = compress(ndjson(lines.slice(0, 10)));
      const body = Buffer.concat([first, Buffer.from([0x00]), compress(ndjson(lines.slice(10)))]);
      const key = `cf/http_requests/20261101/20261101T100000Z_20261101T100030Z_7a11-${name}.log.gz`;
      const obj = { bucket: INPUT, key, ...(await put(s3.client, key, body)) };
      const deliver = async (receiveCount: number) => {
        const log = recordingLog();
        const res = (await handleS3Event(sqsEvent([s3CreatedEvent([obj])], { receiveCount }), objectDeps(s3.client, log))) as SQSBatchResponse;
        return { res, log };
      };
      for (const receiveCount of [1, 2]) {
        const { res, log } = await deliver(receiveCount);
        expect(res.batchItemFailures).toEqual([{ itemIdentifier: 'msg-0' }]);
        const failure = log.lines.find((l) => l.level === 'error');
        expect(failure?.extra).toMatchObject({ errorName: 'DecodeError', bucket: INPUT, key });
        expect(String(failure?.extra.error)).toBe(`${message} (s3://${INPUT}/${key}, line 11, byte ${first.length})`);
        expect(log.lines.find((l) => l.message === 'object processed')).toBeUndefined();
        expect(await listKeys(s3.client)).toEqual([]);
      }
      const { res, log } = await deliver(3);
      expect(res.batchItemFailures).toEqual([]);
      expect(log.lines.find((l) => l.message === 'object processed')?.extra).toMatchObject({
        linesRead: 11,
        rowsWritten: 10,
        rejectsByReason: { corrupt_input: 1 },
        salvaged: true,
      });
      const rows = [...(await lakeRows(s3.client)).values()].flat();
      expect(rows.map((r) => r.ClientRequestPath)).toEqual(lines.slice(0, 10).map((_, i) => `/${i}`));
      const rejects = [...(await lakeRows(s3.client, 'rejects/')).values()].flat();
      expect(rejects).toEqual([
        expect.objectContaining({ line: 11, reason: 'corrupt_input', message: `${message} at compressed byte ${first.length}: the rest of the input could not be read` }),
      ]);
    },
  );
});
