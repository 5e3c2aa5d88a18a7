/**
 * Fault injection against the real S3 protocol: the AWS SDK (standard retry mode, 3 attempts, as the Lambda gets
 * it; only the backoff is shortened) talks to s3rver through a proxy that answers 500 / 503 SlowDown, resets
 * connections and cuts response bodies on chosen requests. Each case shows whether the SDK absorbs the fault (the object succeeds
 * and the lake is exactly what a clean run writes) or the object fails (its SQS message is in
 * batchItemFailures, the error names the object, no half-written file is visible) and that, after the retry,
 * the lake is complete and free of duplicates.
 */
import { gzipSync } from 'node:zlib';
import { DeleteObjectCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { generateLines } from '../../testkit/generate';
import { LOCAL_CREDENTIALS, LocalS3, localS3Client, s3CreatedEvent, sqsEvent, startLocalS3 } from '../../testkit/local-s3';
import { handleS3Event } from '../../lib/s3/handler';
import { outputCodec } from '../../lib/lake/codec';
import { readLakeFile } from '../../testkit/lake-files';
import type { ObjectDeps } from '../../lib/s3/object';
import { FaultProxy, FaultRule, S3Op, startFaultProxy } from '../support/fault-proxy';
import { INPUT, LAKE, listKeys, objectDeps, put, RecordedLog, recordingLog, tempDir } from '../support/lake';

const KEY = 'cf/firewall_events/20261101/20261101T100000Z_20261101T100030Z_fau17e57.log.gz';
const GOOD_LINES = 5000;
/** Two broken lines, so every run also writes a (small, single-PUT) rejects file next to the multipart events file. */
const BAD_AT = 100;
const BAD = ['{"Datetime":', '42'];

let s3: LocalS3;
let proxy: FaultProxy;
let client: S3Client;
let object: { bucket: string; key: string; size: number; eTag: string };
let inputRayIds: string[];
/** The lake after a clean run: key -> decompressed text. Every fault case must end exactly here. */
let baseline: Map<string, string>;
/** Requests per S3 operation in a clean run. */
let cleanCounts: Partial<Record<S3Op, number>>;

/**
 * The client under test: the SDK's standard retry strategy as the Lambda gets it by default (3 attempts, the same
 * classification of retryable errors, the same retry quota), with the backoff between attempts cut to 10 ms so
 * the suite stays fast (SlowDown's default backoff is up to 1 s, then 2 s).
 */
function sdkClient(endpoint: string): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: LOCAL_CREDENTIALS,
    retryStrategy: new ConfiguredRetryStrategy(3, 10),
  });
}

async function lakeSnapshot(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const k of await listKeys(s3.client)) {
    const r = await s3.client.send(new GetObjectCommand({ Bucket: LAKE, Key: k }));
    const bytes = Buffer.from(await (r.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
    out.set(k, readLakeFile(bytes));
  }
  return out;
}

async function clearLake(): Promise<void> {
  for (const k of await listKeys(s3.client)) await s3.client.send(new DeleteObjectCommand({ Bucket: LAKE, Key: k }));
}

/**
 * The Lambda's deps, through the proxy; gzip level 0 (stored, not compressed: no zstd level is that large) makes
 * the 5000 rows a 2-part multipart upload (5 MiB parts).
 */
function deps(log: RecordedLog): ObjectDeps {
  const d = objectDeps(client, log);
  return { ...d, config: { ...d.config, codec: outputCodec('gzip', 0), salvageAfterReceives: 3 } };
}

function delivery(receiveCount = 1, obj = object): SQSEvent {
  return sqsEvent([s3CreatedEvent([obj])], { receiveCount });
}

async function deliver(receiveCount = 1, obj = object): Promise<{ res: SQSBatchResponse; log: RecordedLog }> {
  const log = recordingLog();
  const res = (await handleS3Event(delivery(receiveCount, obj), deps(log))) as SQSBatchResponse;
  return { res, log };
}

function opCounts(): Partial<Record<S3Op, number>> {
  const c: Partial<Record<S3Op, number>> = {};
  for (const r of proxy.requests) if (r.bucket === INPUT || r.bucket === LAKE) c[r.op] = (c[r.op] ?? 0) + 1;
  return c;
}

/** The lake holds every good input line exactly once, under the same keys and with the same rows as a clean run. */
async function expectCompleteLake(): Promise<void> {
  const lake = await lakeSnapshot();
  expect([...lake.keys()]).toEqual([...baseline.keys()]);
  for (const [k, text] of lake) expect(text === baseline.get(k)).toBe(true);
  const rows = [...lake.entries()]
    .filter(([k]) => k.startsWith('logs/'))
    .flatMap(([, t]) => t.split('\n').filter((l) => l !== ''))
    .map((l) => JSON.parse(l) as { p_row_id: string; RayID: string });
  expect(rows).toHaveLength(GOOD_LINES);
  expect(new Set(rows.map((r) => r.p_row_id)).size).toBe(GOOD_LINES);
  expect(rows.map((r) => r.RayID).sort()).toEqual(inputRayIds);
}

/** After a failed attempt: no multipart upload left open, and any visible file is whole (never a prefix of one). */
async function expectNothingHalfWritten(): Promise<void> {
  expect(proxy.danglingUploads()).toEqual([]);
  for (const [k, text] of await lakeSnapshot()) {
    expect(baseline.has(k)).toBe(true);
    expect(text === baseline.get(k)).toBe(true);
  }
}

beforeAll(async () => {
  s3 = await startLocalS3({ directory: tempDir('faults'), buckets: [INPUT, LAKE] });
  proxy = await startFaultProxy(s3.endpoint);
  const lines = [...generateLines({ dataset: 'firewall_events', lines: GOOD_LINES, seed: 61 })];
  inputRayIds = lines.map((l) => (JSON.parse(l) as { RayID: string }).RayID).sort();
  lines.splice(BAD_AT, 0, ...BAD);
  const body = gzipSync(Buffer.from(lines.join('\n') + '\n'));
  object = { bucket: INPUT, key: KEY, ...(await put(s3.client, KEY, body)) };
  client = sdkClient(proxy.endpoint);
  const { res } = await deliver();
  expect(res.batchItemFailures).toEqual([]);
  baseline = await lakeSnapshot();
  cleanCounts = opCounts();
}, 60_000);

afterAll(async () => {
  client?.destroy();
  await proxy?.close();
  await s3?.close();
});

beforeEach(async () => {
  await clearLake();
  proxy.clearRules();
  proxy.resetLog();
  // A fresh client per case: the SDK's retry quota and connection pool start full, as in a new Lambda container.
  client.destroy();
  client = sdkClient(proxy.endpoint);
});

test('the clean run is a multi-read, multipart-output object with a single-PUT rejects file', () => {
  expect(object.size).toBeGreaterThan(256 * 1024); // GetObject streams it in many reads
  expect(cleanCounts).toMatchObject({ GetObject: 1, CreateMultipartUpload: 1, CompleteMultipartUpload: 1, PutObject: 1 });
  expect(cleanCounts.UploadPart).toBeGreaterThanOrEqual(2);
  expect([...baseline.keys()].map((k) => k.split('/')[0])).toEqual(['logs', 'rejects']);
});

describe('faults the SDK retries transparently: the object succeeds and the lake is exactly a clean run', () => {
  const cases: [string, FaultRule, number][] = [
    ['GetObject: 503 SlowDown twice', { op: 'GetObject', nth: [1, 2], fault: { type: 'error', status: 503 } }, 2],
    ['GetObject: 500 InternalError once', { op: 'GetObject', nth: 1, fault: { type: 'error', status: 500 } }, 1],
    ['GetObject: connection reset before the answer', { op: 'GetObject', nth: 1, fault: { type: 'reset' } }, 1],
    ['CreateMultipartUpload: 503 SlowDown once', { op: 'CreateMultipartUpload', nth: 1, fault: { type: 'error', status: 503 } }, 1],
    ['UploadPart: 503 SlowDown twice on part 2', { op: 'UploadPart', partNumber: 2, nth: [1, 2], fault: { type: 'error', status: 503 } }, 2],
    ['UploadPart: connection reset before the part is stored', { op: 'UploadPart', partNumber: 1, nth: 1, fault: { type: 'reset' } }, 1],
    ['UploadPart: answer lost after the part was stored', { op: 'UploadPart', partNumber: 1, nth: 1, fault: { type: 'reset', when: 'response' } }, 1],
    ['CompleteMultipartUpload: 500 InternalError once', { op: 'CompleteMultipartUpload', nth: 1, fault: { type: 'error', status: 500 } }, 1],
    ['PutObject (rejects file): 503 SlowDown twice', { op: 'PutObject', key: /^rejects\//, nth: [1, 2], fault: { type: 'error', status: 503 } }, 2],
  ];

  test.each(cases)('%s', async (_name, rule, retries) => {
    const h = proxy.add(rule);
    const { res, log } = await deliver();
    expect(res.batchItemFailures).toEqual([]);
    expect(log.lines.filter((l) => l.level === 'error')).toEqual([]);
    expect(h.injected).toBe(retries);
    // Each injected fault cost exactly one extra request: the SDK retried it and nothing else.
    const op = rule.op as S3Op;
    expect(opCounts()[op]).toBe((cleanCounts[op] ?? 0) + retries);
    expect(proxy.abortedUploads()).toEqual([]);
    await expectCompleteLake();
  });
});

describe('faults that fail the object: retried by SQS, nothing half-written, complete after the retry', () => {
  const where = `s3://${INPUT}/${KEY}`;
  const cases: [string, FaultRule, { errorName: string; attempts?: number; position: boolean }][] = [
    [
      'GetObject body cut after 256 KiB (full Content-Length announced, then FIN)',
      { op: 'GetObject', nth: 1, fault: { type: 'truncate', afterBytes: 256 * 1024 } },
      { errorName: 'SourceError', position: true },
    ],
    [
      'GetObject connection reset after 256 KiB of the body',
      { op: 'GetObject', nth: 1, fault: { type: 'truncate', afterBytes: 256 * 1024, close: 'rst' } },
      { errorName: 'SourceError', position: true },
    ],
    [
      'GetObject: 500 on every attempt',
      { op: 'GetObject', fault: { type: 'error', status: 500 } },
      { errorName: 'SourceError', attempts: 3, position: false },
    ],
    [
      'UploadPart: 500 on every attempt at part 2',
      { op: 'UploadPart', partNumber: 2, fault: { type: 'error', status: 500 } },
      { errorName: 'SinkError', attempts: 3, position: false },
    ],
    [
      'CompleteMultipartUpload: 500 on every attempt',
      { op: 'CompleteMultipartUpload', fault: { type: 'error', status: 500 } },
      { errorName: 'SinkError', attempts: 3, position: false },
    ],
    [
      'PutObject (rejects file): 503 SlowDown on every attempt',
      { op: 'PutObject', key: /^rejects\//, fault: { type: 'error', status: 503 } },
      { errorName: 'SinkError', attempts: 3, position: false },
    ],
    [
      'CompleteMultipartUpload: answer lost, the retried Complete finds no upload',
      { op: 'CompleteMultipartUpload', nth: 1, fault: { type: 'reset', when: 'response' } },
      { errorName: 'SinkError', position: false },
    ],
  ];

  test.each(cases)('%s', async (_name, rule, expected) => {
    const h = proxy.add(rule);
    const { res, log } = await deliver();
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: 'msg-0' }]);
    if (expected.attempts !== undefined) expect(h.matched).toBe(expected.attempts); // the SDK's whole retry budget
    const failure = log.lines.find((l) => l.level === 'error');
    expect(failure?.extra).toMatchObject({ bucket: INPUT, key: KEY, messageId: 'msg-0', errorName: expected.errorName });
    expect(String(failure?.extra.error)).toContain(where);
    if (expected.position) {
      const loc = failure?.extra.location as { line: number; byteOffset: number };
      expect(loc.line).toBeGreaterThan(1);
      expect(loc.line).toBeLessThan(GOOD_LINES);
      expect(loc.byteOffset).toBeGreaterThan(0);
      expect(loc.byteOffset).toBeLessThan(object.size);
      expect(String(failure?.extra.error)).toMatch(new RegExp(`line ${loc.line}, byte ${loc.byteOffset}`));
    }
    await expectNothingHalfWritten();

    // SQS delivers the message again; S3 is healthy now.
    proxy.clearRules();
    const retry = await deliver(2);
    expect(retry.res.batchItemFailures).toEqual([]);
    await expectCompleteLake();
  });

  test("the Lambda's default SDK client (default backoff) also gives up after 3 attempts", async () => {
    client.destroy();
    client = localS3Client(proxy.endpoint);
    const h = proxy.add({ op: 'GetObject', fault: { type: 'error', status: 500 } });
    const { res, log } = await deliver();
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: 'msg-0' }]);
    expect(h.matched).toBe(3);
    expect(log.lines.find((l) => l.level === 'error')?.extra.errorName).toBe('SourceError');
    expect(await listKeys(s3.client)).toEqual([]);
  });

  test('a failed redelivery leaves the earlier complete output in place, unchanged', async () => {
    expect((await deliver()).res.batchItemFailures).toEqual([]);
    proxy.add({ op: 'UploadPart', partNumber: 2, fault: { type: 'error', status: 500 } });
    const { res } = await deliver(2);
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: 'msg-0' }]);
    expect(proxy.danglingUploads()).toEqual([]);
    await expectCompleteLake();
  });
});

describe('GetObject refused or not found: a permission problem is never taken for a deleted object', () => {
  test('403 AccessDenied fails the message with a SourceError naming the object and both causes; processed once access is fixed', async () => {
    const h = proxy.add({ op: 'GetObject', fault: { type: 'error', status: 403 } });
    const { res, log } = await deliver(2);
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: 'msg-0' }]);
    expect(h.matched).toBe(1); // not an error the SDK retries: SQS does
    const failure = log.lines.find((l) => l.level === 'error');
    expect(failure?.extra).toMatchObject({ bucket: INPUT, key: KEY, messageId: 'msg-0', receiveCount: 2, errorName: 'SourceError' });
    expect(String(failure?.extra.error)).toContain(`s3://${INPUT}/${KEY}`);
    expect(String(failure?.extra.error)).toMatch(/403 AccessDenied.*may not read this object.*no longer exists.*s3:ListBucket/);
    expect(log.lines.some((l) => l.message.startsWith('object skipped'))).toBe(false);
    expect(await listKeys(s3.client)).toEqual([]);

    proxy.clearRules();
    expect((await deliver(3)).res.batchItemFailures).toEqual([]);
    await expectCompleteLake();
  });

  test('404 NoSuchVersion (a version deleted since its event) is skipped as missing, like NoSuchKey, and acknowledged', async () => {
    proxy.add({ op: 'GetObject', fault: { type: 'error', status: 404, code: 'NoSuchVersion', message: 'The specified version does not exist.' } });
    const { res, log } = await deliver();
    expect(res.batchItemFailures).toEqual([]);
    expect(log.lines.filter((l) => l.level === 'error')).toEqual([]);
    expect(log.lines.find((l) => l.level === 'warn')?.extra).toMatchObject({ bucket: INPUT, key: KEY, reason: 'missing' });
    expect(await listKeys(s3.client)).toEqual([]);
  });
});

describe('a permanently corrupt object', () => {
  const key = 'cf/firewall_events/20261101/20261101T110000Z_20261101T110030Z_c0rrup7e.log.gz';
  let lines: string[];
  let corrupt: typeof object;

  beforeAll(async () => {
    lines = [...generateLines({ dataset: 'firewall_events', lines: 3000, seed: 62, start: new Date('2026-11-01T11:00:00Z') })];
    const full = gzipSync(Buffer.from(lines.join('\n') + '\n'));
    corrupt = { bucket: INPUT, key, ...(await put(s3.client, key, full.subarray(0, Math.floor(full.length * 0.6)))) };
  });

  test('fails with a DecodeError while SQS still retries it, then keeps its readable rows plus one corrupt_input reject', async () => {
    for (const receiveCount of [1, 2]) {
      const { res, log } = await deliver(receiveCount, corrupt);
      expect(res.batchItemFailures).toEqual([{ itemIdentifier: 'msg-0' }]);
      const failure = log.lines.find((l) => l.level === 'error');
      expect(failure?.extra).toMatchObject({ errorName: 'DecodeError', key });
      expect(String(failure?.extra.error)).toMatch(new RegExp(`truncated .*s3://${INPUT}/${key}, line \\d+, byte \\d+`));
      expect(await listKeys(s3.client)).toEqual([]);
    }

    const third = await deliver(3, corrupt);
    expect(third.res.batchItemFailures).toEqual([]);
    const processed = third.log.lines.find((l) => l.message === 'object processed');
    const lake = await lakeSnapshot();
    const rows = [...lake.entries()]
      .filter(([k]) => k.startsWith('logs/'))
      .flatMap(([, t]) => t.split('\n').filter((l) => l !== ''))
      .map((l) => JSON.parse(l) as { p_row_id: string; RayID: string });
    const rejects = [...lake.entries()]
      .filter(([k]) => k.startsWith('rejects/'))
      .flatMap(([, t]) => t.split('\n').filter((l) => l !== ''))
      .map((l) => JSON.parse(l) as { line: number; reason: string; message: string; source: string });
    // Every line before the corruption is kept, in order, each once; the rest is one reject record.
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThan(lines.length);
    expect(rows.map((r) => r.RayID)).toEqual(lines.slice(0, rows.length).map((l) => (JSON.parse(l) as { RayID: string }).RayID));
    expect(rejects).toHaveLength(1);
    expect(rejects[0]).toMatchObject({ reason: 'corrupt_input', line: rows.length + 1, source: `s3://${INPUT}/${key}` });
    expect(rejects[0]?.message).toMatch(/truncated/);
    expect(processed?.extra).toMatchObject({ linesRead: rows.length + 1, rowsWritten: rows.length, rejectsByReason: { corrupt_input: 1 } });

    // A later redelivery (the message was already deleted, but at-least-once) changes nothing.
    const before = lake;
    expect((await deliver(4, corrupt)).res.batchItemFailures).toEqual([]);
    expect(await lakeSnapshot()).toEqual(before);
  });

  test('a body cut by the network is never taken for corruption, even on the last receives', async () => {
    proxy.add({ op: 'GetObject', nth: 1, fault: { type: 'truncate', afterBytes: 256 * 1024 } });
    const { res, log } = await deliver(5);
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: 'msg-0' }]);
    expect(log.lines.find((l) => l.level === 'error')?.extra.errorName).toBe('SourceError');
    await expectNothingHalfWritten();
  });
});

