import { readdirSync, readFileSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { SQSBatchResponse } from 'aws-lambda';
import { ListObjectsCommand } from '@aws-sdk/client-s3';
import { AttributeValue, ScanCommand } from '@aws-sdk/client-dynamodb';
import { Alerting, FLOOD_INDIVIDUAL } from '../../lib/alerts/alerting';
import { SNS_BATCH_BYTES, SnsEntryError, SnsPublisher } from '../../lib/aws/sns';
import { createLogpushServer } from '../../lib/http/server';
import { outputCodec } from '../../lib/lake/codec';
import { LocalStore } from '../../lib/lake/local-store';
import { S3Store } from '../../lib/aws/s3-store';
import { AlertRecord, alertRecord, AlertSummaryRecord } from '../../lib/rules/alert';
import { builtInRules } from '../../lib/rules/builtin';
import { dynamoDbStateStore } from '../../lib/aws/dynamodb-store';
import { RuleSet } from '../../lib/rules/engine';
import { parseState } from '../../lib/rules/windows';
import { handleS3Event } from '../../lib/s3/handler';
import { wireHttp } from '../../lib/wiring';
import { readLakeFile } from '../../testkit/lake-files';
import { LocalDynamo, LocalSns, startLocalDynamo, startLocalSns } from '../../testkit/local-alerts';
import { LocalS3, s3CreatedEvent, sqsEvent, startLocalS3 } from '../../testkit/local-s3';
import { INPUT, LAKE, objectDeps, put, readLakeLines, recordingLog, tempDir } from '../support/lake';

/**
 * Inputs that fire thousands of alerts at once, and inputs delivered twice at once, end to end: the S3 handler
 * against s3rver, dynalite and the local SNS endpoint, and `cflogs serve`'s HTTP handler. Every alert is in the lake
 * and the state once, and reaches SNS once: alone (the first FLOOD_INDIVIDUAL of a rule per input, by alert id) or
 * in its rule's one summary for that input.
 */

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:cflogs-alerts';
const NOW = new Date('2026-11-24T12:00:00Z');
const R2S = 'Cloudflare.Firewall.React2Shell.RCE';
const R2S_RULE = '33aa8a8a948b48b28d40450c5fb92fba';
const HITS = 2000;

let s3: LocalS3;
let dynamo: LocalDynamo;
let sns: LocalSns;
let tables = 0;

beforeAll(async () => {
  [s3, dynamo, sns] = await Promise.all([startLocalS3({ directory: tempDir('s3-flood'), buckets: [INPUT, LAKE] }), startLocalDynamo(), startLocalSns()]);
});
afterAll(async () => {
  await Promise.all([s3.close(), dynamo.close(), sns.close()]);
});

/** The S3 handler's deps with detections on, against `table` (a new one when not given). */
async function deps(table?: string) {
  const name = table ?? (await dynamo.createTable(`cflogs-flood-${++tables}`));
  const clock = () => NOW;
  const alerting = new Alerting({
    rules: new RuleSet(builtInRules()),
    state: dynamoDbStateStore(dynamo.client, name, { clock }),
    lake: { store: new S3Store(s3.client, LAKE, 5 * 1024 * 1024), prefix: '', codec: outputCodec('zstd') },
    publisher: new SnsPublisher(sns.client, TOPIC),
    clock,
  });
  const log = recordingLog();
  return { ...objectDeps(s3.client, log, NOW), log, alerting, table: name };
}

/** React2Shell hits from `n` client IPs (one alert each: the rule fires on every match, dedup by client IP). */
function hitLines(n: number, net: number): string[] {
  return Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      Datetime: `2026-11-01T10:00:${String(i % 60).padStart(2, '0')}Z`,
      Kind: 'firewall',
      Source: 'firewallManaged',
      Action: 'block',
      RuleID: R2S_RULE,
      ClientIP: `2001:db8:${net.toString(16)}::${i.toString(16)}`,
      ClientRequestHost: 'shop.example.com',
      RayID: `${(1e15 + net * 1e6 + i).toString(16)}`,
    }),
  );
}

const l7Lines = (n: number, net: number): string[] =>
  Array.from({ length: n }, (_, i) =>
    JSON.stringify({ Datetime: `2026-11-01T10:01:${String(i % 60).padStart(2, '0')}Z`, Kind: 'firewall', Source: 'l7ddos', Action: 'block', ClientIP: '203.0.113.9', RayID: `${(2e15 + net * 1e6 + i).toString(16)}` }),
  );

let objects = 0;
async function firewallObject(lines: string[]) {
  const key = `cf/firewall_events/20261101/20261101T100000Z_20261101T100500Z_${(++objects).toString(16).padStart(8, '0')}.log.gz`;
  const { size, eTag } = await put(s3.client, key, gzipSync(lines.join('\n') + '\n'));
  return { bucket: INPUT, key, size, eTag };
}

/** Every key under `prefix` (ListObjects v1: s3rver's v2 continuation tokens need a cipher Node 24 lacks). */
async function keysUnder(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let marker: string | undefined;
  for (;;) {
    const r = await s3.client.send(new ListObjectsCommand({ Bucket: LAKE, Prefix: prefix, ...(marker !== undefined ? { Marker: marker } : {}) }));
    for (const o of r.Contents ?? []) if (o.Key) keys.push(o.Key);
    if (!r.IsTruncated || !r.Contents?.length) return keys;
    marker = r.Contents.at(-1)?.Key;
  }
}

async function lakeAlerts(ids: Set<string>): Promise<AlertRecord[]> {
  const keys = (await keysUnder('alerts/')).filter((k) => ids.has(/([0-9a-f]{32})\.json\.zst$/.exec(k)?.[1] ?? ''));
  const out: AlertRecord[] = [];
  for (let i = 0; i < keys.length; i += 50) out.push(...(await Promise.all(keys.slice(i, i + 50).map((k) => readLakeLines(s3.client, k)))).flat() as unknown as AlertRecord[]);
  return out;
}

/** Every alert (fired window) in a state table, with its delivery. */
async function stateAlerts(table: string) {
  const out: { alertId: string; published: boolean; summary?: string }[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await dynamo.client.send(new ScanCommand({ TableName: table, ConsistentRead: true, ...(start ? { ExclusiveStartKey: start } : {}) }));
    for (const item of page.Items ?? []) {
      const st = parseState(item.state?.S ?? '');
      if (st.kind === 'summary') continue;
      for (const w of st.windows) if (w.fired) out.push({ alertId: w.alertId, published: w.published, ...(w.summary !== undefined ? { summary: w.summary } : {}) });
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return out;
}

const messages = (from = 0) => sns.published.slice(from).map((m) => JSON.parse(m.message) as AlertRecord | AlertSummaryRecord);
const isSummary = (m: AlertRecord | AlertSummaryRecord): m is AlertSummaryRecord => 'summary' in m;

/** Each alert reached SNS once, alone or in a summary; the lake's records say which. */
function expectDeliveredOnce(sent: (AlertRecord | AlertSummaryRecord)[], records: AlertRecord[]) {
  const alone = sent.filter((m) => !isSummary(m)).map((m) => m.alertId);
  expect(new Set(alone).size).toBe(alone.length);
  const summaries = sent.filter(isSummary);
  expect(new Set(summaries.map((s) => s.alertId)).size).toBe(summaries.length);
  const summarised = records.filter((r) => r.summaryAlertId !== null);
  for (const s of summaries) expect(summarised.filter((r) => r.summaryAlertId === s.alertId)).toHaveLength(s.summary.alerts);
  expect(alone.sort()).toEqual(records.filter((r) => r.summaryAlertId === null).map((r) => r.alertId).sort());
  expect(alone.length + summaries.reduce((n, s) => n + s.summary.alerts, 0)).toBe(records.length);
}

describe('an input that fires 2,000 alerts', () => {
  it('through the S3 handler: succeeds; 50 published alone and one summary of 1,950, each once, by PublishBatch; every alert in the lake and the state; a redelivery publishes nothing new', async () => {
    const d = await deps();
    const from = sns.published.length;
    const calls = sns.calls.length;
    const event = sqsEvent([s3CreatedEvent([await firewallObject(hitLines(HITS, 1))])]);
    const r1 = (await handleS3Event(event, d)) as SQSBatchResponse;
    expect(r1.batchItemFailures).toEqual([]);

    const sent = messages(from);
    const summaries = sent.filter(isSummary);
    expect(sent.filter((m) => !isSummary(m))).toHaveLength(FLOOD_INDIVIDUAL);
    expect(summaries.map((s) => [s.ruleId, s.severity, s.summary.alerts])).toEqual([[R2S, 'HIGH', HITS - FLOOD_INDIVIDUAL]]);
    expect(sns.published.slice(from).find((m) => m.message.includes('"summary"'))?.attributes).toMatchObject({ severity: 'HIGH', ruleId: R2S, summarisedAlerts: '1950' });
    // Ten messages a call at most, and no message published on its own call.
    expect(sns.calls.slice(calls).every((c) => c.action === 'PublishBatch' && c.entries <= 10)).toBe(true);
    expect(sns.calls.length - calls).toBeLessThanOrEqual(Math.ceil((FLOOD_INDIVIDUAL + 1) / 10) + 1);

    const state = await stateAlerts(d.table);
    expect(state).toHaveLength(HITS);
    expect(state.every((a) => a.published)).toBe(true);
    const records = await lakeAlerts(new Set(state.map((a) => a.alertId)));
    expect(records).toHaveLength(HITS);
    expectDeliveredOnce(sent, records);
    expect(new Map(state.map((a) => [a.alertId, a.summary ?? null]))).toEqual(new Map(records.map((r) => [r.alertId, r.summaryAlertId])));

    const r2 = (await handleS3Event(event, d)) as SQSBatchResponse;
    expect(r2.batchItemFailures).toEqual([]);
    expect(sns.published.length - from).toBe(FLOOD_INDIVIDUAL + 1);
  }, 180_000);

  it('through cflogs serve (lib/http, the state in memory): 200; the same counts; the same batch posted again publishes nothing new', async () => {
    const dir = tempDir('serve-flood');
    const deps = wireHttp(
      { CFLOGS_ALERTS_TOPIC_ARN: TOPIC },
      { store: new LocalStore(dir), log: { info() {}, warn() {}, error() {} }, http: { secret: 'flood-secret' }, sns: sns.client, clock: () => NOW },
    );
    const server = createLogpushServer(deps);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/firewall_events`;
    const body = gzipSync(hitLines(HITS, 2).join('\n') + '\n');
    const post = () => fetch(url, { method: 'POST', body, headers: { 'x-panther-cloudflare': 'flood-secret', 'content-encoding': 'gzip' } });
    try {
      const from = sns.published.length;
      const res = await post();
      expect([res.status, await res.text()]).toEqual([200, expect.stringContaining(`"rows":${HITS}`)]);
      const sent = messages(from);
      expect(sent.filter((m) => !isSummary(m))).toHaveLength(FLOOD_INDIVIDUAL);
      expect(sent.filter(isSummary).map((s) => s.summary.alerts)).toEqual([HITS - FLOOD_INDIVIDUAL]);
      const files: string[] = [];
      const walk = (p: string): void => {
        for (const n of readdirSync(p)) statSync(join(p, n)).isDirectory() ? walk(join(p, n)) : files.push(join(p, n));
      };
      walk(join(dir, 'alerts'));
      const records = files.map((f) => JSON.parse(readLakeFile(readFileSync(f))) as AlertRecord);
      expect(records).toHaveLength(HITS);
      expectDeliveredOnce(sent, records);

      const again = await post();
      expect(again.status).toBe(200);
      expect(sns.published.length - from).toBe(FLOOD_INDIVIDUAL + 1);
    } finally {
      await new Promise((r) => server.close(r));
    }
  }, 180_000);
});

describe('one object delivered to two invocations at once', () => {
  it('publishes each alert once (an L7 DDoS alert, 50 React2Shell alerts alone and a summary of 10), 8 times over', async () => {
    for (let round = 0; round < 8; round++) {
      const a = await deps();
      const b = await deps(a.table);
      const from = sns.published.length;
      const event = sqsEvent([s3CreatedEvent([await firewallObject([...l7Lines(100, 100 + round), ...hitLines(FLOOD_INDIVIDUAL + 10, 100 + round)])])]);
      const outcomes = (await Promise.all([handleS3Event(event, a), handleS3Event(event, b)])) as SQSBatchResponse[];
      // Both succeed in the normal case; one that met a claim it could not wait out fails, to be delivered again.
      const failed = outcomes.filter((o) => o.batchItemFailures.length > 0).length;
      if (failed > 0) {
        const logged = [...a.log.lines, ...b.log.lines].filter((l) => l.level === 'error');
        expect(logged.map((l) => l.extra.errorName ?? l.extra.name)).toEqual(expect.arrayContaining(['AlertClaimedError']));
        expect(((await handleS3Event(event, a)) as SQSBatchResponse).batchItemFailures).toEqual([]);
      }
      const sent = messages(from);
      expect({ round, messages: sent.length }).toEqual({ round, messages: 1 + FLOOD_INDIVIDUAL + 1 });
      const state = await stateAlerts(a.table);
      expect(state.every((x) => x.published)).toBe(true);
      expectDeliveredOnce(sent, await lakeAlerts(new Set(state.map((x) => x.alertId))));
      // A later redelivery publishes nothing.
      await handleS3Event(event, a);
      expect(sns.published.length - from).toBe(sent.length);
    }
  }, 300_000);
});

describe('SnsPublisher against the local SNS endpoint (PublishBatch, with SNS\'s limits)', () => {
  const record = (i: number, contextBytes: number): AlertRecord =>
    alertRecord(undefined, {
      groupKey: `R#${i}`, alertId: `a${String(i).padStart(31, '0')}`, ruleId: 'Test.Rule', dedup: `d${i}`,
      windowStart: '2026-11-01 10:00:00.000000000', windowEnd: '2026-11-01 11:00:00.000000000', eventCount: 1,
      firstEventTime: '2026-11-01 10:00:00.000000000', lastEventTime: '2026-11-01 10:00:00.000000000', rowIds: ['r'], title: `t${i}`,
      severity: 'Low', alertContext: { padding: 'é'.repeat(contextBytes / 2) }, createdAt: '2026-11-01 10:00:00.000000000', published: false,
    }, NOW);

  it('splits ten messages that together pass 256 KiB across calls, and sends each once', async () => {
    const from = sns.published.length;
    const calls = sns.calls.length;
    const big = Array.from({ length: 10 }, (_, i) => record(i, 40 * 1024));
    expect(big.reduce((n, r) => n + Buffer.byteLength(JSON.stringify(r)), 0)).toBeGreaterThan(SNS_BATCH_BYTES);
    const outcomes = await new SnsPublisher(sns.client, TOPIC).publish(big);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(messages(from).map((m) => m.alertId)).toEqual(big.map((r) => r.alertId));
    expect(sns.calls.slice(calls).map((c) => c.action)).toEqual(['PublishBatch', 'PublishBatch']);
  });

  it('reports an entry SNS lists as failed on that message alone; a failed call fails every message of it', async () => {
    const publisher = new SnsPublisher(sns.client, TOPIC);
    const from = sns.published.length;
    sns.failEntries(1);
    const [first, ...rest] = await publisher.publish([record(1, 10), record(2, 10), record(3, 10)]);
    expect(first).toEqual({ ok: false, error: expect.any(SnsEntryError) });
    expect((first as { error: SnsEntryError }).error).toMatchObject({ code: 'InternalError', senderFault: false });
    expect((first as { error: SnsEntryError }).error.disposition).toEqual({ kind: 'retry' });
    expect(rest).toEqual([{ ok: true }, { ok: true }]);
    expect(messages(from).map((m) => m.alertId)).toEqual([record(2, 10).alertId, record(3, 10).alertId]);
    sns.failNext(1);
    const down = await publisher.publish([record(4, 10), record(5, 10)]);
    expect(down.map((o) => o.ok)).toEqual([false, false]);
    expect(sns.published.length - from).toBe(2);
  });

  it('a message SNS fails in a PublishBatch fails the object; its redelivery publishes only that one', async () => {
    const d = await deps();
    const from = sns.published.length;
    const event = sqsEvent([s3CreatedEvent([await firewallObject(hitLines(12, 3))])]);
    sns.failEntries(1);
    const r1 = (await handleS3Event(event, d)) as SQSBatchResponse;
    expect(r1.batchItemFailures).toHaveLength(1);
    expect(d.log.lines.find((l) => l.level === 'error')?.extra).toMatchObject({ errorName: 'AlertPublishError', cause: expect.stringMatching(/^SnsEntryError/) });
    expect(sns.published.length - from).toBe(11);
    const r2 = (await handleS3Event(event, d)) as SQSBatchResponse;
    expect(r2.batchItemFailures).toEqual([]);
    const ids = messages(from).map((m) => m.alertId);
    expect(ids).toHaveLength(12);
    expect(new Set(ids).size).toBe(12);
    expect((await stateAlerts(d.table)).every((a) => a.published)).toBe(true);
  });
});
