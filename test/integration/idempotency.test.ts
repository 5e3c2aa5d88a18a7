/**
 * At-least-once delivery in, exactly-once rows out: processing the same objects again (an SQS redelivery, a
 * Lambda retry, a backfill over objects already processed, the same object announced twice in one batch or
 * through another notification path) rewrites the same output keys with the same rows and the same p_row_ids.
 */
import { gzipSync } from 'node:zlib';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import type { SQSBatchResponse } from 'aws-lambda';
import { generateLines } from '../../testkit/generate';
import { sampleObjects } from '../../scripts/samples';
import { LocalS3, s3CreatedEvent, sqsEvent, startLocalS3 } from '../../testkit/local-s3';
import { handleS3Event, IngestReport } from '../../lib/s3/handler';
import type { ObjectDeps } from '../../lib/s3/object';
import { INPUT, LAKE, listKeys, objectDeps, put, readBytes, recordingLog, tempDir } from '../support/lake';
import { LAKE_FILE, readLakeFile } from '../../testkit/lake-files';

type Created = { bucket: string; key: string; size: number; eTag: string };
type Row = Record<string, unknown> & { p_row_id: string; p_parse_time: string };

const T1 = new Date('2026-11-24T12:00:00Z');
const T2 = new Date('2026-11-24T17:30:00Z'); // a redelivery hours later (e.g. from the DLQ, or a backfill)

let s3: LocalS3;
let samples: Created[];
/** Good lines per sample object (rows expected in the lake). */
let expectedRows: number;

async function lake(prefix = ''): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const k of await listKeys(s3.client, LAKE, prefix)) {
    expect(k).toMatch(LAKE_FILE);
    out.set(k, readLakeFile(await readBytes(s3.client, k)));
  }
  return out;
}

function rowsOf(files: Map<string, string>): Row[] {
  return [...files.values()].flatMap((t) => t.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Row));
}

function deps(now: Date, patch: Partial<ObjectDeps['config']> = {}): ObjectDeps {
  const d = objectDeps(s3.client, recordingLog(), now);
  return { ...d, config: { ...d.config, ...patch } };
}

async function viaSqs(objs: Created[], now: Date, receiveCount = 1): Promise<void> {
  const res = (await handleS3Event(sqsEvent(objs.map((o) => s3CreatedEvent([o])), { receiveCount }), deps(now))) as SQSBatchResponse;
  expect(res.batchItemFailures).toEqual([]);
}

beforeAll(async () => {
  s3 = await startLocalS3({ directory: tempDir('idempotency'), buckets: [INPUT, LAKE] });
  samples = [];
  for (const o of sampleObjects()) samples.push({ bucket: INPUT, key: o.key, ...(await put(s3.client, o.key, o.body)) });
  // Count what a first run lands, to check every later lake against an independent number.
  await viaSqs(samples, T1);
  expectedRows = rowsOf(await lake('logs/')).length;
});

afterAll(async () => {
  await s3.close();
});

beforeEach(async () => {
  for (const k of await listKeys(s3.client)) await s3.client.send(new DeleteObjectCommand({ Bucket: LAKE, Key: k }));
});

test('the samples land rows and rejects, with unique p_row_ids', async () => {
  await viaSqs(samples, T1);
  const rows = rowsOf(await lake('logs/'));
  expect(rows.length).toBeGreaterThan(900);
  expect(rows).toHaveLength(expectedRows);
  expect(new Set(rows.map((r) => r.p_row_id)).size).toBe(rows.length);
  expect((await lake('rejects/')).size).toBeGreaterThan(0);
});

test('a direct S3 event, then an SQS redelivery of every object: the lake is byte-for-byte the same', async () => {
  const direct = (await handleS3Event(s3CreatedEvent(samples), deps(T1))) as IngestReport;
  expect(direct.outcomes.filter((o) => o.status === 'processed')).toHaveLength(samples.length - 1); // the ownership challenge is skipped
  const first = await lake();

  await viaSqs(samples, T1, 2);
  const second = await lake();
  expect([...second.keys()]).toEqual([...first.keys()]);
  for (const [k, text] of second) expect(text === first.get(k)).toBe(true);
  const rows = rowsOf(await lake('logs/'));
  expect(rows).toHaveLength(expectedRows);
  expect(new Set(rows.map((r) => r.p_row_id)).size).toBe(expectedRows);
});

test('a redelivery hours later rewrites the same files with the same rows; only p_parse_time changes', async () => {
  await viaSqs(samples, T1);
  const first = await lake('logs/');
  await viaSqs(samples, T2, 2);
  const second = await lake('logs/');
  expect([...second.keys()]).toEqual([...first.keys()]);
  for (const [k, text] of second) {
    const a = (first.get(k) as string).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Row);
    const b = text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Row);
    expect(b.map((r) => r.p_row_id)).toEqual(a.map((r) => r.p_row_id));
    expect(new Set(b.map((r) => r.p_parse_time))).toEqual(new Set(['2026-11-24 17:30:00.000000000']));
    // Byte-identical apart from p_parse_time (same field order, same values).
    const strip = (l: string) => l.replace(/"p_parse_time":"[^"]*"/, '"p_parse_time":""');
    expect(text.split('\n').map(strip)).toEqual((first.get(k) as string).split('\n').map(strip));
  }
  expect(rowsOf(second)).toHaveLength(expectedRows);
});

test('the same object announced three ways in one batch (S3 -> SQS, S3 -> SNS -> SQS, EventBridge) lands once', async () => {
  const obj = samples[0] as Created;
  await viaSqs([obj], T1);
  const once = await lake();

  for (const k of once.keys()) await s3.client.send(new DeleteObjectCommand({ Bucket: LAKE, Key: k }));
  const s3Notification = s3CreatedEvent([obj]);
  const sns = { Type: 'Notification', MessageId: 'sns-1', TopicArn: 'arn:aws:sns:us-east-1:123456789012:cflogs', Message: JSON.stringify(s3Notification) };
  const eventBridge = {
    version: '0',
    'detail-type': 'Object Created',
    source: 'aws.s3',
    detail: { bucket: { name: obj.bucket }, object: { key: obj.key, size: obj.size } }, // no ETag: GetObject supplies it
  };
  const res = (await handleS3Event(sqsEvent([s3Notification, sns, eventBridge]), deps(T1))) as SQSBatchResponse;
  expect(res.batchItemFailures).toEqual([]);
  const thrice = await lake();
  expect([...thrice.keys()]).toEqual([...once.keys()]);
  for (const [k, text] of thrice) expect(text === once.get(k)).toBe(true);
});

test('an object spread over more hours than open files: the same files, each row once, on every run', async () => {
  // 30 event hours visited twice in blocks of 20 rows, with at most 4 files open: the rows of hours without an
  // open file wait in memory (well under its budget here), so each hour still lands in one file, on every run.
  const lines: string[] = [];
  for (const pass of [0, 1]) {
    for (let hour = 0; hour < 30; hour++) {
      const start = new Date(Date.UTC(2026, 10, 1, hour, 10 + pass * 30));
      lines.push(...generateLines({ dataset: 'audit_logs', lines: 20, seed: 1000 + pass * 100 + hour, timestampFormat: 'rfc3339', start, spanSeconds: 60 }));
    }
  }
  const key = 'cf/audit_logs/20261101/20261101T000000Z_20261102T060000Z_5caffe1d.log.gz';
  const obj = { bucket: INPUT, key, ...(await put(s3.client, key, gzipSync(Buffer.from(lines.join('\n') + '\n')))) };
  const run = async (now: Date) => {
    const res = (await handleS3Event(sqsEvent([s3CreatedEvent([obj])]), deps(now, { maxOpenFiles: 4 }))) as SQSBatchResponse;
    expect(res.batchItemFailures).toEqual([]);
    return lake('logs/');
  };
  const first = await run(T1);
  expect(first.size).toBe(30);
  expect([...first.keys()].every((k) => k.endsWith('.json.zst'))).toBe(true);
  expect([...first.keys()].filter((k) => /-1\.json\.zst$/.test(k))).toHaveLength(0);
  const rows = rowsOf(first);
  expect(rows).toHaveLength(1200);
  expect(new Set(rows.map((r) => r.p_row_id)).size).toBe(1200);

  const second = await run(T2);
  expect([...second.keys()]).toEqual([...first.keys()]);
  for (const [k, text] of second) {
    const ids = (t: string) => t.split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as Row).p_row_id);
    expect(ids(text)).toEqual(ids(first.get(k) as string));
  }
});
