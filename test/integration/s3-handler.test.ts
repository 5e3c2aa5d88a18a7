import { gzipSync, zstdCompressSync } from 'node:zlib';
import { DeleteObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import type { SQSBatchResponse } from 'aws-lambda';
import { LocalS3, s3CreatedEvent, sqsEvent, startLocalS3 } from '../../testkit/local-s3';
import { handleS3Event, IngestReport } from '../../lib/s3/handler';
import { loadConfig } from '../../lib/config';
import { wireS3 } from '../../lib/wiring';
import { readLakeFile, readParquetRows } from '../../testkit/lake-files';
import { failure } from '../support/failure';
import { INPUT, LAKE, lakeRows, listKeys, objectDeps, put, readBytes, readLakeLines, recordingLog, tempDir } from '../support/lake';

const HTTP_LINE = (i: number, ts = `"2026-11-01T10:00:0${i % 10}Z"`) =>
  `{"ClientIP":"203.0.113.${i}","ClientRequestHost":"www.example.com","EdgeStartTimestamp":${ts},"RayID":"8a1b2c3d4e5f60${String(i).padStart(2, '0')}","EdgeResponseStatus":200}`;
const FIREWALL_LINE = `{"Action":"block","ClientIP":"198.51.100.7","Datetime":1762000000123456789,"RayID":"8a1b2c3d4e5f6071","Source":"firewallrules"}`;
const SPECTRUM_LINE = `{"ClientAsn":64500,"ClientIP":"2001:db8::1","Event":"connect","OriginIP":"192.0.2.10","Timestamp":"2026-11-01T10:00:00.123456789Z","DisconnectTimestamp":0}`;
const AUDIT_LINE = `{"ActionResult":true,"ActionType":"login","ActorEmail":"Admin@Example.com","ActorIP":"192.0.2.44","ID":"2b0c7c4e-0000-4000-8000-000000000001","ResourceType":"account","When":1762000000}`;

function gz(lines: string[]): Buffer {
  return gzipSync(Buffer.from(lines.join('\n') + '\n'));
}

let s3: LocalS3;
beforeAll(async () => {
  s3 = await startLocalS3({ directory: tempDir('s3'), buckets: [INPUT, LAKE] });
});
afterAll(async () => {
  await s3.close();
});
afterEach(async () => {
  for (const b of [INPUT, LAKE]) {
    for (const k of await listKeys(s3.client, b)) await s3.client.send(new DeleteObjectCommand({ Bucket: b, Key: k }));
  }
});

async function created(key: string, body: Buffer | string) {
  const { size, eTag } = await put(s3.client, key, body);
  return { bucket: INPUT, key, size, eTag };
}

describe('the S3 handler against a real S3 protocol server', () => {
  it('lands all four log types from a direct S3 event as partitioned, enriched rows', async () => {
    const objs = [
      await created('cf/http_requests/20261101/20261101T100000Z_20261101T100030Z_a1.log.gz', gz([HTTP_LINE(1), HTTP_LINE(2)])),
      await created('cf/firewall_events/20251101/20251101T123320Z_20251101T123350Z_b2.log.gz', gz([FIREWALL_LINE])),
      await created('cf/spectrum_events/20261101/x.log.gz', gz([SPECTRUM_LINE])),
      await created('cf/audit_logs/20251101/y.log.gz', gz([AUDIT_LINE])),
    ];
    const log = recordingLog();
    const report = (await handleS3Event(s3CreatedEvent(objs), objectDeps(s3.client, log))) as IngestReport;
    expect(report.outcomes.map((o) => o.status)).toEqual(['processed', 'processed', 'processed', 'processed']);
    const lake = await lakeRows(s3.client);
    const keys = [...lake.keys()];
    expect(keys).toHaveLength(4);
    expect(keys[0]).toMatch(/^logs\/cloudflare_audit\/year=2025\/month=11\/day=01\/hour=12\/y-[0-9a-f]{12}\.json\.zst$/);
    expect(keys.some((k) => k.startsWith('logs/cloudflare_firewall/year=2025/month=11/day=01/hour=12/20251101T123320Z_20251101T123350Z_b2-'))).toBe(true);
    expect(keys.some((k) => k.startsWith('logs/cloudflare_httprequest/year=2026/month=11/day=01/hour=10/'))).toBe(true);
    expect(keys.some((k) => k.startsWith('logs/cloudflare_spectrum/year=2026/month=11/day=01/hour=10/'))).toBe(true);

    const firewall = [...lake.entries()].find(([k]) => k.includes('cloudflare_firewall'))?.[1][0];
    expect(firewall).toMatchObject({
      Datetime: '2025-11-01 12:26:40.123456789',
      p_log_type: 'Cloudflare.Firewall',
      p_event_time: '2025-11-01 12:26:40.123456789',
      p_parse_time: '2026-11-24 12:00:00.000000000',
      p_any_ip_addresses: ['198.51.100.7'],
      p_any_trace_ids: ['8a1b2c3d4e5f6071'],
    });
    const spectrum = [...lake.entries()].find(([k]) => k.includes('cloudflare_spectrum'))?.[1][0];
    expect(spectrum).toMatchObject({ ClientASN: 64500, DisconnectTimestamp: '1970-01-01 00:00:00.000000000' });
    expect(spectrum?.p_any_ip_addresses).toEqual(['192.0.2.10', '2001:db8::1']);
    const audit = [...lake.entries()].find(([k]) => k.includes('cloudflare_audit'))?.[1][0];
    expect(audit).toMatchObject({ p_any_emails: ['admin@example.com'], When: '2025-11-01 12:26:40.000000000' });

    const summaries = log.lines.filter((l) => l.message === 'object processed');
    expect(summaries).toHaveLength(4);
    expect(summaries[0]?.extra).toMatchObject({ linesRead: 2, rowsWritten: 2, blank: 0 });
  });

  it('retries exactly the SQS message whose object failed', async () => {
    const good = await created('cf/http_requests/20261101/good.log.gz', gz([HTTP_LINE(3)]));
    const truncated = gz([HTTP_LINE(4), HTTP_LINE(5)]);
    const bad = await created('cf/http_requests/20261101/bad.log.gz', truncated.subarray(0, truncated.length - 12));
    const event = sqsEvent([s3CreatedEvent([good]), s3CreatedEvent([bad]), { Event: 's3:TestEvent' }]);
    const log = recordingLog();
    const res = (await handleS3Event(event, objectDeps(s3.client, log))) as SQSBatchResponse;
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: 'msg-1' }]);
    const failure = log.lines.find((l) => l.level === 'error');
    expect(failure?.extra).toMatchObject({ key: 'cf/http_requests/20261101/bad.log.gz', errorName: 'DecodeError' });
    expect(String(failure?.extra.error)).toMatch(/truncated.*s3:\/\/cflogs-it-input\/cf\/http_requests\/20261101\/bad\.log\.gz/);
    // Only the good object's output exists: the failed attempt left nothing visible.
    const keys = await listKeys(s3.client);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toContain('/good-');
  });

  it('decodes URL-encoded keys with spaces and special characters', async () => {
    const obj = await created('cf/http_requests/my logs+2026/a&b é.log.gz', gz([HTTP_LINE(6)]));
    const report = (await handleS3Event(s3CreatedEvent([obj]), objectDeps(s3.client, recordingLog()))) as IngestReport;
    expect(report.outcomes[0]).toMatchObject({ status: 'processed', summary: { rows: 1, source: 's3://cflogs-it-input/cf/http_requests/my logs+2026/a&b é.log.gz' } });
  });

  it('skips ownership challenges, folders and empty objects without parsing or retrying them', async () => {
    const challenge = await created('cf/http_requests/ownership-challenge-0123abcd.txt', 'eyJhbGciOiJIUzI1NiJ9.e30.sig');
    const empty = await created('cf/http_requests/20261101/empty.log.gz', '');
    const folder = { bucket: INPUT, key: 'cf/http_requests/20261101/', size: 0 };
    // Neither a route, nor a dataset in the key, nor records that say which log type (an event time alone).
    const unrouted = await created('elsewhere/thing.log.gz', gz(['{"Datetime":"2026-11-01T10:00:00Z"}']));
    const log = recordingLog();
    const res = (await handleS3Event(sqsEvent([s3CreatedEvent([challenge, empty, folder, unrouted])]), objectDeps(s3.client, log))) as SQSBatchResponse;
    expect(res.batchItemFailures).toEqual([]);
    expect(log.lines.filter((l) => l.message.startsWith('object skipped')).map((l) => l.extra.reason)).toEqual([
      'ownership_challenge',
      'empty',
      'folder',
      'no_route',
    ]);
    expect(log.lines.find((l) => l.extra.reason === 'no_route')?.extra.why).toMatch(/^ambiguous: /);
    expect(await listKeys(s3.client)).toEqual([]);
  });

  it('routes an object whose key names no dataset by its records\' field names, and says so', async () => {
    const obj = await created('elsewhere/2026/11/01/batch.log.gz', gz([HTTP_LINE(8), HTTP_LINE(9)]));
    const log = recordingLog();
    const report = (await handleS3Event(s3CreatedEvent([obj]), objectDeps(s3.client, log))) as IngestReport;
    expect(report.outcomes[0]).toMatchObject({ status: 'processed', summary: { logType: 'Cloudflare.HttpRequest', rows: 2 } });
    expect(log.lines.find((l) => l.message === 'object processed')?.extra.route).toMatch(/^detected from its field names \(\d+% of the fields\)$/);
    expect((await listKeys(s3.client)).every((k) => k.startsWith('logs/cloudflare_httprequest/'))).toBe(true);
  });

  it('reads a plain-text object even when it is named .log.gz', async () => {
    const obj = await created('cf/http_requests/20261101/plain.log.gz', `${HTTP_LINE(1)}\r\n${HTTP_LINE(2)}`);
    const report = (await handleS3Event(s3CreatedEvent([obj]), objectDeps(s3.client, recordingLog()))) as IngestReport;
    expect(report.outcomes[0]).toMatchObject({ status: 'processed', summary: { compression: 'none', lines: 2, rows: 2 } });
  });

  it('reads every member of a multi-member gzip object', async () => {
    const body = Buffer.concat([gz([HTTP_LINE(1)]), gz([HTTP_LINE(2), HTTP_LINE(3)]), gz([HTTP_LINE(4)])]);
    const obj = await created('cf/http_requests/20261101/multi.log.gz', body);
    await handleS3Event(s3CreatedEvent([obj]), objectDeps(s3.client, recordingLog()));
    const rows = [...(await lakeRows(s3.client)).values()].flat();
    expect(rows.map((r) => r.ClientIP)).toEqual(['203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.4']);
  });

  it('fails a truncated object with a clear error, and a retry after repair leaves each row once', async () => {
    const lines = Array.from({ length: 3000 }, (_, i) => HTTP_LINE(i % 250, `"2026-11-01T1${i % 3}:00:00Z"`));
    const full = gz(lines);
    const key = 'cf/http_requests/20261101/retry.log.gz';
    const broken = await created(key, full.subarray(0, Math.floor(full.length * 0.6)));
    await expect(handleS3Event(s3CreatedEvent([broken]), objectDeps(s3.client, recordingLog()))).rejects.toMatchObject({
      name: 'DecodeError',
      location: { bucket: INPUT, key },
    });
    expect(await listKeys(s3.client)).toEqual([]);

    // The producer re-uploads the object; the same key is delivered again, twice (at-least-once).
    const fixed = await created(key, full);
    await handleS3Event(s3CreatedEvent([fixed]), objectDeps(s3.client, recordingLog()));
    await handleS3Event(s3CreatedEvent([fixed]), objectDeps(s3.client, recordingLog()));
    const lake = await lakeRows(s3.client);
    expect(lake.size).toBe(3); // three event hours
    const ids = [...lake.values()].flat().map((r) => r.p_row_id);
    expect(ids).toHaveLength(3000);
    expect(new Set(ids).size).toBe(3000);
  });

  it('writes reject records with the reason, line and raw line, and counts every line', async () => {
    const obj = await created(
      'cf/http_requests/20261101/mixed.log.gz',
      gz([HTTP_LINE(1), '{not json', '', '{"ClientIP":"203.0.113.9"}', '{"EdgeStartTimestamp":"yesterday"}', '[1,2]']),
    );
    const report = (await handleS3Event(s3CreatedEvent([obj]), objectDeps(s3.client, recordingLog()))) as IngestReport;
    expect(report.outcomes[0]).toMatchObject({
      summary: { lines: 6, rows: 1, blank: 1, rejected: 4, rejectsByReason: { invalid_json: 1, missing_required: 1, invalid_timestamp: 1, unsupported_format: 1 } },
    });
    const rejectKeys = await listKeys(s3.client, LAKE, 'rejects/');
    expect(rejectKeys).toHaveLength(1);
    // Filed under the input object's own hour (LastModified), so a redelivery hours later overwrites it.
    const head = await s3.client.send(new HeadObjectCommand({ Bucket: INPUT, Key: obj.key }));
    const hour = head.LastModified!.toISOString().replace(/^(\d+)-(\d+)-(\d+)T(\d+).*$/, 'year=$1/month=$2/day=$3/hour=$4');
    expect(rejectKeys[0]).toMatch(new RegExp(`^rejects/cloudflare_httprequest/${hour}/mixed-[0-9a-f]{12}\\.json\\.zst$`));
    const rejects = await readLakeLines(s3.client, rejectKeys[0] as string);
    expect(rejects.map((r) => [r.line, r.reason])).toEqual([
      [2, 'invalid_json'],
      [4, 'missing_required'],
      [5, 'invalid_timestamp'],
      [6, 'unsupported_format'],
    ]);
    expect(rejects[0]).toMatchObject({ source: 's3://cflogs-it-input/cf/http_requests/20261101/mixed.log.gz', raw: '{not json' });
    expect(rejects[2]?.message).toContain('EdgeStartTimestamp');
  });

  it('reads a zstd object named .log.gz (one frame by the zstd tool, with its checksum)', async () => {
    // One HTTP line compressed by the zstd tool: a whole frame, content checksum included.
    const zstd = Buffer.from(
      '28b52ffd04587101007b2245646765537461727454696d657374616d70223a22323032362d31312d30315431303a30303a30305a227d0a44ecbf2a',
      'hex',
    );
    const obj = await created('cf/http_requests/20261101/zstd.log.gz', zstd);
    const report = (await handleS3Event(s3CreatedEvent([obj]), objectDeps(s3.client, recordingLog()))) as IngestReport;
    expect(report.outcomes[0]).toMatchObject({ status: 'processed', summary: { compression: 'zstd', lines: 1, rows: 1, rejected: 0 } });
    const rows = [...(await lakeRows(s3.client)).values()].flat();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ EdgeStartTimestamp: '2026-11-01 10:00:00.000000000', p_log_type: 'Cloudflare.HttpRequest' });
  });

  const ZSTD_LINES = Array.from({ length: 20000 }, (_, i) =>
    HTTP_LINE(i % 250, `"2026-11-01T1${i % 3}:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}Z"`),
  );
  const ZSTD_TEXT = Buffer.from(ZSTD_LINES.join('\n') + '\n');
  const cut = Math.floor(ZSTD_TEXT.length / 3) + 17; // inside a line: the frames join as one stream
  const skippable = Buffer.concat([Buffer.from([0x50, 0x2a, 0x4d, 0x18]), Buffer.from([5, 0, 0, 0]), Buffer.from('hello')]);
  it.each([
    ['one zstdCompressSync frame', () => zstdCompressSync(ZSTD_TEXT)],
    ['two concatenated frames, split inside a line', () => Buffer.concat([zstdCompressSync(ZSTD_TEXT.subarray(0, cut)), zstdCompressSync(ZSTD_TEXT.subarray(cut))])],
    [
      'two frames with a skippable frame between them',
      () => Buffer.concat([zstdCompressSync(ZSTD_TEXT.subarray(0, cut)), skippable, zstdCompressSync(ZSTD_TEXT.subarray(cut))]),
    ],
  ])('reads every line of a zstd object: %s', async (name, encode) => {
    const body = encode();
    expect(body.readUInt32LE(0)).toBe(0xfd2fb528);
    const obj = await created(`cf/http_requests/20261101/${name.replace(/\W+/g, '_')}.log.zst`, body);
    const report = (await handleS3Event(s3CreatedEvent([obj]), objectDeps(s3.client, recordingLog()))) as IngestReport;
    expect(report.outcomes[0]).toMatchObject({
      status: 'processed',
      summary: { compression: 'zstd', lines: ZSTD_LINES.length, rows: ZSTD_LINES.length, rejected: 0, blank: 0 },
    });
    const lake = await lakeRows(s3.client);
    expect(lake.size).toBe(3); // three event hours
    const rows = [...lake.values()].flat();
    expect(rows).toHaveLength(ZSTD_LINES.length);
    // Every input line is a row, in input order within each hour.
    const expected = ZSTD_LINES.map((l) => JSON.parse(l) as { ClientIP: string; EdgeStartTimestamp: string });
    for (const [key, hourRows] of lake) {
      const hour = key.match(/hour=(\d\d)/)?.[1];
      expect(hourRows.map((r) => [r.ClientIP, String(r.EdgeStartTimestamp).slice(0, 19)])).toEqual(
        expected.filter((e) => e.EdgeStartTimestamp.slice(11, 13) === hour).map((e) => [e.ClientIP, e.EdgeStartTimestamp.slice(0, 19).replace('T', ' ')]),
      );
    }
    expect(new Set(rows.map((r) => r.p_row_id)).size).toBe(ZSTD_LINES.length);
  });

  it('fails an xz object named .log.gz with an error naming the compression, even at the salvage threshold, and writes nothing', async () => {
    // One HTTP line compressed by xz; cflogs reads gzip, zstd and plain text only.
    const xz = Buffer.from(
      'fd377a585a000004e6d6b4460200210116000000742fe5a301002d7b2245646765537461727454696d657374616d70223a22323032362d31312d30315431303a30303a30305a227d0a000000f7189b8d660bdad50001462e6750735a1fb6f37d010000000004595a',
      'hex',
    );
    const obj = await created('cf/http_requests/20261101/xz.log.gz', xz);
    // Receive count 3 is the salvage threshold (salvageAfterReceives: 3): still nothing to keep, so it fails.
    for (const receiveCount of [1, 3]) {
      const log = recordingLog();
      const res = (await handleS3Event(sqsEvent([s3CreatedEvent([obj])], { receiveCount }), objectDeps(s3.client, log))) as SQSBatchResponse;
      expect(res.batchItemFailures).toEqual([{ itemIdentifier: 'msg-0' }]);
      const failure = log.lines.find((l) => l.level === 'error');
      expect(failure?.extra).toMatchObject({ key: 'cf/http_requests/20261101/xz.log.gz', errorName: 'DecodeError' });
      expect(String(failure?.extra.error)).toMatch(/^input is xz-compressed, which cflogs does not read \(supported: gzip, zstd, uncompressed\)/);
      expect(log.lines.some((l) => l.message === 'object processed')).toBe(false);
      expect(await listKeys(s3.client, LAKE)).toEqual([]);
    }
  });

  it('with CFLOGS_OUTPUT_COMPRESSION=gzip writes .json.gz gzip files holding the same rows and rejects as the zstd default', async () => {
    const objs = [
      await created('cf/http_requests/20261101/20261101T100000Z_20261101T100030Z_c3.log.gz', gz([HTTP_LINE(1), HTTP_LINE(2, '"2026-11-01T11:00:00Z"'), '{not json'])),
      await created('cf/firewall_events/20251101/20251101T123320Z_20251101T123350Z_d4.log.gz', gz([FIREWALL_LINE])),
      await created('cf/audit_logs/20251101/z.log.gz', gz([AUDIT_LINE])),
    ];
    const run = async (env: NodeJS.ProcessEnv) => {
      const codec = loadConfig(env).codec;
      await handleS3Event(s3CreatedEvent(objs), objectDeps(s3.client, recordingLog(), undefined, codec));
      const keys = await listKeys(s3.client);
      const files = new Map<string, { magic: string; rows: Record<string, unknown>[] }>();
      for (const k of keys) files.set(k, { magic: (await readBytes(s3.client, k)).subarray(0, 4).toString('hex'), rows: await readLakeLines(s3.client, k) });
      for (const k of keys) await s3.client.send(new DeleteObjectCommand({ Bucket: LAKE, Key: k }));
      return files;
    };
    const zstd = await run({});
    const gzip = await run({ CFLOGS_OUTPUT_COMPRESSION: 'gzip' });
    expect(zstd.size).toBe(5); // http at 10 and 11, firewall, audit, and the http rejects
    expect([...zstd.keys()].some((k) => k.startsWith('rejects/'))).toBe(true);
    for (const [k, f] of zstd) {
      expect(k).toMatch(/\.json\.zst$/);
      expect(f.magic).toBe('28b52ffd');
    }
    for (const [k, f] of gzip) {
      expect(k).toMatch(/\.json\.gz$/);
      expect(f.magic.slice(0, 4)).toBe('1f8b');
    }
    // The same files but for the extension, the same rows in each.
    expect([...gzip.keys()]).toEqual([...zstd.keys()].map((k) => k.replace(/\.json\.zst$/, '.json.gz')));
    for (const [k, f] of zstd) expect(gzip.get(k.replace(/\.json\.zst$/, '.json.gz'))?.rows).toEqual(f.rows);
    expect([...zstd.values()].flatMap((f) => f.rows)).toHaveLength(5);
  });

  it('writes .parquet files by default, under the names CFLOGS_OUTPUT_FORMAT=ndjson gives .json.zst files, holding the same rows; rejects stay NDJSON', async () => {
    const objs = [
      await created('cf/http_requests/20261101/20261101T100000Z_20261101T100030Z_p1.log.gz', gz([HTTP_LINE(1), HTTP_LINE(2, '"2026-11-01T11:00:00Z"'), '{not json'])),
      await created('cf/firewall_events/20251101/20251101T123320Z_20251101T123350Z_p2.log.gz', gz([FIREWALL_LINE])),
    ];
    const run = async (env: NodeJS.ProcessEnv) => {
      const config = loadConfig(env);
      await handleS3Event(s3CreatedEvent(objs), objectDeps(s3.client, recordingLog(), undefined, config.codec, config.format));
      const files = new Map<string, Buffer>();
      for (const k of await listKeys(s3.client)) files.set(k, await readBytes(s3.client, k));
      for (const k of files.keys()) await s3.client.send(new DeleteObjectCommand({ Bucket: LAKE, Key: k }));
      return files;
    };
    const parquet = await run({});
    const ndjson = await run({ CFLOGS_OUTPUT_FORMAT: 'ndjson' });
    expect([...ndjson.keys()].filter((k) => k.startsWith('logs/'))).toHaveLength(3); // http at 10 and 11, firewall
    const asParquet = (k: string): string => (k.startsWith('logs/') ? k.replace(/\.json\.zst$/, '.parquet') : k);
    expect([...parquet.keys()].sort()).toEqual([...ndjson.keys()].map(asParquet).sort());
    for (const [k, body] of ndjson) {
      const p = parquet.get(asParquet(k)) as Buffer;
      if (k.startsWith('rejects/')) {
        expect(p.equals(body)).toBe(true);
        continue;
      }
      expect([k, p.subarray(0, 4).toString(), p.subarray(-4).toString()]).toEqual([k, 'PAR1', 'PAR1']);
      const rows = await readParquetRows(p, ['p_row_id', 'p_event_time_ns']);
      const expected = readLakeFile(body).trim().split('\n').map((l) => JSON.parse(l) as { p_row_id: string; p_event_time: string });
      expect(rows.map((r) => r.p_row_id)).toEqual(expected.map((r) => r.p_row_id));
      expect(rows.every((r) => typeof r.p_event_time_ns === 'bigint')).toBe(true);
    }
  });

  it('as the function wires it from an environment that names only the output bucket, writes rows as Parquet and rejects as NDJSON', async () => {
    const deps = wireS3({ CFLOGS_OUTPUT_BUCKET: LAKE }, { s3: s3.client, log: recordingLog(), clock: () => new Date('2026-11-24T12:00:00Z') });
    const obj = await created('cf/http_requests/20261101/20261101T100000Z_20261101T100030Z_w1.log.gz', gz([HTTP_LINE(1), HTTP_LINE(2), '{not json']));
    const report = (await handleS3Event(s3CreatedEvent([obj]), deps)) as IngestReport;
    expect(report.outcomes.map((o) => o.status)).toEqual(['processed']);
    const keys = await listKeys(s3.client);
    expect(keys).toEqual([
      expect.stringMatching(/^logs\/cloudflare_httprequest\/year=2026\/month=11\/day=01\/hour=10\/20261101T100000Z_20261101T100030Z_w1-[0-9a-f]{12}\.parquet$/),
      expect.stringMatching(/^rejects\/cloudflare_httprequest\/year=\d{4}\/month=\d\d\/day=\d\d\/hour=\d\d\/20261101T100000Z_20261101T100030Z_w1-[0-9a-f]{12}\.json\.zst$/),
    ]);
    const rows = await readParquetRows(await readBytes(s3.client, keys[0] as string), ['RayID', 'EdgeResponseStatus', 'p_event_time_ns']);
    expect(rows).toEqual([
      { RayID: '8a1b2c3d4e5f6001', EdgeResponseStatus: 200, p_event_time_ns: 1793527201000000000n },
      { RayID: '8a1b2c3d4e5f6002', EdgeResponseStatus: 200, p_event_time_ns: 1793527202000000000n },
    ]);
    expect(await readLakeLines(s3.client, keys[1] as string)).toEqual([expect.objectContaining({ line: 3, reason: 'invalid_json', raw: '{not json' })]);
  });

  it('keeps the readable rows of a permanently corrupt object on its third delivery instead of looping to the DLQ', async () => {
    const lines = Array.from({ length: 2000 }, (_, i) => HTTP_LINE(i % 250));
    const full = gz(lines);
    const obj = await created('cf/http_requests/20261101/corrupt.log.gz', full.subarray(0, Math.floor(full.length / 2)));
    const message = s3CreatedEvent([obj]);
    const first = (await handleS3Event(sqsEvent([message], { receiveCount: 2 }), objectDeps(s3.client, recordingLog()))) as SQSBatchResponse;
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: 'msg-0' }]);
    expect(await listKeys(s3.client)).toEqual([]);

    const log = recordingLog();
    const third = (await handleS3Event(sqsEvent([message], { receiveCount: 3 }), objectDeps(s3.client, log))) as SQSBatchResponse;
    expect(third.batchItemFailures).toEqual([]);
    const rows = [...(await lakeRows(s3.client)).values()].flat();
    expect(rows.length).toBeGreaterThan(100);
    expect(rows.length).toBeLessThan(2000);
    expect(rows.map((r) => r.RayID)).toEqual(lines.slice(0, rows.length).map((l) => (JSON.parse(l) as { RayID: string }).RayID));
    const [rejectKey] = await listKeys(s3.client, LAKE, 'rejects/');
    const rejects = await readLakeLines(s3.client, rejectKey as string);
    expect(rejects).toHaveLength(1);
    expect(rejects[0]).toMatchObject({ reason: 'corrupt_input', line: rows.length + 1 });
    expect(String(rejects[0]?.message)).toMatch(/truncated at compressed byte \d+/);
    expect(log.lines.some((l) => l.level === 'error' && l.message.startsWith('object is corrupt'))).toBe(true);
  });

  it('skips an object deleted before it is read (S3 answers 404 NoSuchKey) with a warning, and acknowledges its message', async () => {
    const gone = await created('cf/http_requests/20261101/deleted.log.gz', gz([HTTP_LINE(1)]));
    await s3.client.send(new DeleteObjectCommand({ Bucket: INPUT, Key: gone.key }));
    const log = recordingLog();
    const res = (await handleS3Event(sqsEvent([s3CreatedEvent([gone])], { receiveCount: 1 }), objectDeps(s3.client, log))) as SQSBatchResponse;
    expect(res.batchItemFailures).toEqual([]);
    expect(log.lines.filter((l) => l.level === 'error')).toEqual([]);
    const warning = log.lines.find((l) => l.level === 'warn');
    expect(warning?.message).toBe('object skipped: it no longer exists');
    expect(warning?.extra).toMatchObject({ bucket: INPUT, key: gone.key, reason: 'missing', messageId: 'msg-0', receiveCount: 1 });
    expect(await listKeys(s3.client)).toEqual([]);
  });
});

describe('SQS messages that announce no readable object', () => {
  // Each body carries a client IP: it must never reach a log line.
  const garbled: [string, string, string][] = [
    ['a body that is not JSON', '203.0.113.77 - - [01/Nov/2026] "GET / HTTP/1.1" 200', 'not_json'],
    ['JSON that is not an object', '["203.0.113.77"]', 'not_an_object'],
    ['a JSON object that is no notification (a log line)', HTTP_LINE(77), 'unknown_shape'],
    ['an S3 event with no records', '{"Records":[],"ClientIP":"203.0.113.77"}', 'no_records'],
    ['an ObjectCreated record without an object key', '{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"203.0.113.77"}}}]}', 'no_object'],
    ['an SNS envelope whose Message is not JSON', '{"Type":"Notification","Message":"203.0.113.77 was here"}', 'not_json'],
    ['an EventBridge Object Created event without its object', '{"source":"aws.s3","detail-type":"Object Created","detail":{"bucket":{"name":"203.0.113.77"}}}', 'no_object'],
  ];

  it.each(garbled)('%s is reported as failed with an error log naming the message and the reason, never the body', async (_name, body, reason) => {
    const good = await created('cf/http_requests/20261101/beside.log.gz', gz([HTTP_LINE(3)]));
    const event = sqsEvent([s3CreatedEvent([good]), null], { receiveCount: 2 });
    (event.Records[1] as { body: string }).body = body;
    const log = recordingLog();
    const res = (await handleS3Event(event, objectDeps(s3.client, log))) as SQSBatchResponse;
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: 'msg-1' }]);
    const errors = log.lines.filter((l) => l.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toMatch(/^message not understood/);
    expect(errors[0]?.extra).toMatchObject({
      messageId: 'msg-1',
      receiveCount: 2,
      reason,
      errorName: 'NotificationError',
      bodyBytes: Buffer.byteLength(body),
    });
    expect(JSON.stringify(log.lines)).not.toContain('203.0.113.77');
    // The other message of the batch is processed and acknowledged.
    expect((await listKeys(s3.client)).map((k) => k.includes('/beside-'))).toEqual([true]);
  });

  it("acknowledges S3's test event quietly, directly in SQS or in an SNS envelope", async () => {
    const testEvent = { Service: 'Amazon S3', Event: 's3:TestEvent', Time: '2026-11-01T10:00:00.000Z', Bucket: INPUT, RequestId: 'R', HostId: 'H' };
    const sns = { Type: 'Notification', MessageId: 'sns-1', TopicArn: 'arn:aws:sns:us-east-1:123456789012:cflogs', Message: JSON.stringify(testEvent) };
    const log = recordingLog();
    const res = (await handleS3Event(sqsEvent([testEvent, sns]), objectDeps(s3.client, log))) as SQSBatchResponse;
    expect(res.batchItemFailures).toEqual([]);
    expect(log.lines.filter((l) => l.level !== 'info')).toEqual([]);
    expect(log.lines.map((l) => l.extra)).toEqual([
      expect.objectContaining({ messageId: 'msg-0', testEvents: 1 }),
      expect.objectContaining({ messageId: 'msg-1', testEvents: 1 }),
    ]);
  });

  it('a direct invocation with an event it does not understand fails with a NotificationError', async () => {
    const log = recordingLog();
    const e = await failure(handleS3Event({ hello: 'world' }, objectDeps(s3.client, log)));
    expect(e).toMatchObject({ name: 'NotificationError', reason: 'unknown_shape' });
    expect(log.lines.filter((l) => l.level === 'error').map((l) => l.extra.reason)).toEqual(['unknown_shape']);
  });
});
