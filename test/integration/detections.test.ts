import { gzipSync } from 'node:zlib';
import type { SQSBatchResponse } from 'aws-lambda';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { Alerting } from '../../lib/alerts/alerting';
import { SnsPublisher } from '../../lib/aws/sns';
import { outputCodec } from '../../lib/lake/codec';
import { S3Store } from '../../lib/aws/s3-store';
import type { AlertRecord } from '../../lib/rules/alert';
import { builtInRules } from '../../lib/rules/builtin';
import { dynamoDbStateStore } from '../../lib/aws/dynamodb-store';
import { RuleSet } from '../../lib/rules/engine';
import { handleS3Event } from '../../lib/s3/handler';
import { LocalDynamo, LocalSns, startLocalDynamo, startLocalSns } from '../../testkit/local-alerts';
import { LocalS3, s3CreatedEvent, sqsEvent, startLocalS3 } from '../../testkit/local-s3';
import { INPUT, LAKE, listKeys, objectDeps, put, readLakeLines, recordingLog, tempDir } from '../support/lake';

/**
 * Detections end to end through the S3 handler: rows land in the lake (s3rver), the rules' matches go to the
 * detection state in DynamoDB (dynalite), alert records to the lake's alerts/, fired alerts to SNS (a Query-protocol
 * endpoint on loopback). Each test has its own table and topic.
 */

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:cflogs-alerts';
const NOW = new Date('2026-11-24T12:00:00Z');
const R2S_RULE = '33aa8a8a948b48b28d40450c5fb92fba';

let s3: LocalS3;
let dynamo: LocalDynamo;
let sns: LocalSns;
let tables = 0;

beforeAll(async () => {
  [s3, dynamo, sns] = await Promise.all([startLocalS3({ directory: tempDir('s3-detect'), buckets: [INPUT, LAKE] }), startLocalDynamo(), startLocalSns()]);
});
afterAll(async () => {
  await Promise.all([s3.close(), dynamo.close(), sns.close()]);
});
afterEach(async () => {
  sns.published.length = 0;
  for (const b of [INPUT, LAKE]) {
    for (const k of await listKeys(s3.client, b)) await s3.client.send(new DeleteObjectCommand({ Bucket: b, Key: k }));
  }
});

/** The S3 handler's deps with detections on, against a new state table. */
async function deps() {
  const table = await dynamo.createTable(`cflogs-detections-${++tables}`);
  const clock = () => NOW;
  const alerting = new Alerting({
    rules: new RuleSet(builtInRules()),
    state: dynamoDbStateStore(dynamo.client, table, { clock }),
    lake: { store: new S3Store(s3.client, LAKE, 5 * 1024 * 1024), prefix: '', codec: outputCodec('zstd') },
    publisher: new SnsPublisher(sns.client, TOPIC),
    clock,
  });
  return { ...objectDeps(s3.client, recordingLog(), NOW), alerting, table };
}

/** A firewall event at `second` seconds past 2026-11-01 10:00:00 UTC. */
function firewallLine(second: number, fields: Record<string, unknown>): string {
  const t = new Date(Date.UTC(2026, 10, 1, 10, 0, second)).toISOString().replace('.000Z', 'Z');
  return JSON.stringify({ Datetime: t, Kind: 'firewall', ClientRequestHost: 'shop.example.com', RayID: `${(1e15 + second).toString(16)}`, ...fields });
}

let objects = 0;
async function firewallObject(lines: string[]) {
  const key = `cf/firewall_events/20261101/20261101T100000Z_20261101T100500Z_${(++objects).toString(16).padStart(8, '0')}.log.gz`;
  const { size, eTag } = await put(s3.client, key, gzipSync(lines.join('\n') + '\n'));
  return { bucket: INPUT, key, size, eTag };
}

async function alertRecords(): Promise<AlertRecord[]> {
  const keys = (await listKeys(s3.client, LAKE)).filter((k) => k.startsWith('alerts/'));
  return (await Promise.all(keys.map((k) => readLakeLines(s3.client, k)))).flat() as unknown as AlertRecord[];
}

const published = (): AlertRecord[] => sns.published.map((m) => JSON.parse(m.message) as AlertRecord);

const l7ddos = (n: number): string[] => Array.from({ length: n }, (_, i) => firewallLine(i, { Source: 'l7ddos', Action: 'block', ClientIP: `203.0.113.${i % 200}` }));

describe('detections through the S3 handler, DynamoDB and SNS', () => {
  it('150 l7ddos events within a few minutes raise exactly one L7DDoS alert, published once and recorded in the lake', async () => {
    const d = await deps();
    await handleS3Event(s3CreatedEvent([await firewallObject(l7ddos(150))]), d);
    const sent = published();
    expect(sent.map((a) => [a.ruleId, a.eventCount, a.severity])).toEqual([['Cloudflare.Firewall.L7DDoS', 150, 'INFO']]);
    expect(sns.published[0]?.attributes).toEqual({ severity: 'INFO', ruleId: 'Cloudflare.Firewall.L7DDoS' });
    // Panther's alert payload fields, and what matched.
    expect(Object.keys(sent[0] as object)).toEqual(expect.arrayContaining(['id', 'alertId', 'title', 'severity', 'type', 'createdAt', 'alertContext', 'description', 'runbook', 'reference', 'tags']));
    expect(sent[0]?.rowIds).toHaveLength(10);
    expect([sent[0]?.firstEventTime, sent[0]?.lastEventTime]).toEqual(['2026-11-01 10:00:00.000000000', '2026-11-01 10:02:29.000000000']);
    const lake = await alertRecords();
    expect(lake.map((a) => [a.alertId, a.eventCount])).toEqual([[sent[0]?.alertId, 150]]);
    expect((await listKeys(s3.client, LAKE)).filter((k) => k.startsWith('alerts/'))).toEqual([
      `alerts/year=2026/month=11/day=01/hour=10/${sent[0]?.alertId}.json.zst`,
    ]);
  });

  it('99 l7ddos events raise none, and the 100th, in a later object of the same hour, fires it', async () => {
    const d = await deps();
    await handleS3Event(s3CreatedEvent([await firewallObject(l7ddos(99))]), d);
    expect(published()).toEqual([]);
    expect(await alertRecords()).toEqual([]);
    await handleS3Event(s3CreatedEvent([await firewallObject([firewallLine(200, { Source: 'l7ddos', Action: 'block', ClientIP: '203.0.113.9' })])]), d);
    expect(published().map((a) => [a.ruleId, a.eventCount])).toEqual([['Cloudflare.Firewall.L7DDoS', 100]]);
  });

  it('React2Shell hits from two client IPs raise two alerts; a third hit from the first IP joins its alert', async () => {
    const d = await deps();
    const hit = (second: number, ip: string) => firewallLine(second, { Source: 'firewallManaged', Action: 'block', ClientIP: ip, RuleID: R2S_RULE });
    await handleS3Event(s3CreatedEvent([await firewallObject([hit(1, '198.51.100.1'), hit(2, '198.51.100.2')])]), d);
    const first = published();
    // Deduplicated by the title, which names the client IP (Panther's rule).
    const ipOf = (a: AlertRecord): string | undefined => /198\.51\.100\.\d+/.exec(a.dedup)?.[0];
    expect(first.map((a) => [a.ruleId, ipOf(a), a.severity]).sort()).toEqual([
      ['Cloudflare.Firewall.React2Shell.RCE', '198.51.100.1', 'HIGH'],
      ['Cloudflare.Firewall.React2Shell.RCE', '198.51.100.2', 'HIGH'],
    ]);
    await handleS3Event(s3CreatedEvent([await firewallObject([hit(30, '198.51.100.1')])]), d);
    // No new publish; the first IP's alert has grown in the lake.
    expect(sns.published).toHaveLength(2);
    const lake = await alertRecords();
    expect(lake.map((a) => [ipOf(a), a.eventCount]).sort()).toEqual([
      ['198.51.100.1', 2],
      ['198.51.100.2', 1],
    ]);
  });

  it('the same S3 event delivered twice leaves the state, the alert records and the published alerts as one delivery does', async () => {
    const d = await deps();
    const event = s3CreatedEvent([await firewallObject([...l7ddos(120), firewallLine(5, { Source: 'firewallManaged', Action: 'block', ClientIP: '198.51.100.7', RuleID: R2S_RULE })])]);
    await handleS3Event(event, d);
    const state = async () => (await dynamo.client.send(new ScanCommand({ TableName: d.table, ConsistentRead: true }))).Items?.map((i) => [i.pk?.S, i.state?.S]).sort();
    const after1 = { state: await state(), records: await alertRecords(), sent: published() };
    expect(after1.sent.map((a) => [a.ruleId, a.eventCount]).sort()).toEqual([
      ['Cloudflare.Firewall.L7DDoS', 120],
      ['Cloudflare.Firewall.React2Shell.RCE', 1],
    ]);
    await handleS3Event(event, d);
    expect(published()).toEqual(after1.sent);
    expect(await state()).toEqual(after1.state);
    expect((await alertRecords()).map((a) => [a.alertId, a.eventCount])).toEqual(after1.records.map((a) => [a.alertId, a.eventCount]));
  });

  it('a publish that fails fails the object; its redelivery publishes the alert once and counts nothing twice', async () => {
    const d = await deps();
    const event = sqsEvent([s3CreatedEvent([await firewallObject(l7ddos(100))])]);
    sns.failNext(1);
    const r1 = (await handleS3Event(event, d)) as SQSBatchResponse;
    expect(r1?.batchItemFailures).toHaveLength(1);
    expect(sns.published).toEqual([]);
    const r2 = (await handleS3Event(event, d)) as SQSBatchResponse;
    expect(r2?.batchItemFailures).toEqual([]);
    expect(published().map((a) => [a.ruleId, a.eventCount])).toEqual([['Cloudflare.Firewall.L7DDoS', 100]]);
    await handleS3Event(event, d);
    expect(sns.published).toHaveLength(1);
  });
});
