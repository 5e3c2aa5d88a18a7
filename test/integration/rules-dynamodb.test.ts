import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { LocalDynamo, startLocalDynamo } from '../../testkit/local-alerts';
import { builtInRules } from '../../lib/rules/builtin';
import { dynamoDbStateStore, DynamoDbGroupKv } from '../../lib/aws/dynamodb-store';
import { RuleSet } from '../../lib/rules/engine';
import type { RuleEvent } from '../../lib/rules/model';
import { DetectionStateStore, GroupKv, StateStoreError } from '../../lib/rules/store';
import { INPUT_MEMORY_MS, parseState } from '../../lib/rules/windows';

/**
 * The DynamoDB state store against dynalite, a DynamoDB-protocol server on loopback: the real wire protocol, the
 * real conditional writes. (dynalite has no TimeToLive settings and no transactions; the store needs neither: the
 * TTL attribute is only written, and each group is one item updated on its own.)
 */
const NOW = new Date('2026-03-02T12:00:00Z');
const clock = () => NOW;
const rules = new RuleSet(builtInRules());
let dynamo: LocalDynamo;
let client: DynamoDBClient;
let table = 0;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  client = dynamo.client;
});

afterAll(async () => {
  await dynamo.close();
});

/** A fresh table per test, created as the stack creates it: partition key pk (S), on demand. */
function newTable(): Promise<string> {
  return dynamo.createTable(`cflogs-detections-${++table}`);
}

let seq = 0;
function l7Rows(n: number, startSecond: number): RuleEvent[] {
  return Array.from({ length: n }, (_, i) => {
    const t = new Date(Date.UTC(2026, 2, 2, 10) + (startSecond + i) * 1000).toISOString();
    const time = `${t.slice(0, 10)} ${t.slice(11, 19)}.000000000`;
    return { Source: 'l7ddos', Action: 'log', ClientIP: '198.51.100.1', p_row_id: `row${++seq}`, p_event_time: time };
  });
}

function contributions(rows: RuleEvent[]) {
  const d = rules.forLogType('Cloudflare.Firewall')!.start();
  for (const r of rows) d.onRow(r);
  return d.contributions();
}

const L7_KEY = 'Cloudflare.Firewall.L7DDoS#Cloudflare: Detected L7 DDoS';

async function item(tableName: string, key: string) {
  return (await client.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: key } }, ConsistentRead: true }))).Item!;
}

test('the same input applied twice counts once; a second input crosses the threshold', async () => {
  const name = await newTable();
  const store = dynamoDbStateStore(client, name, { clock });
  const a = contributions(l7Rows(60, 0));
  expect(await store.apply('s3://logs/a.log.gz#v1', a)).toEqual({ fired: [], updated: [] });
  expect(await store.apply('s3://logs/a.log.gz#v1', a)).toEqual({ fired: [], updated: [] });
  expect(parseState((await item(name, L7_KEY)).state!.S!).windows.map((w) => w.count)).toEqual([60]);
  const b = await store.apply('s3://logs/b.log.gz#v1', contributions(l7Rows(60, 120)));
  expect(b.fired.map((x) => [x.ruleId, x.eventCount])).toEqual([['Cloudflare.Firewall.L7DDoS', 120]]);
  expect(Number((await item(name, L7_KEY)).version!.N)).toBe(2);
});

test('concurrent applies of two inputs to one group both count: the losing conditional write reads again and retries', async () => {
  const name = await newTable();
  const kv = new DynamoDbGroupKv(client, name, clock);
  // Both invocations read the group before either writes: the race a conditional write must settle.
  let gets = 0;
  let release!: () => void;
  const bothRead = new Promise<void>((r) => (release = r));
  const racing: GroupKv = {
    get: async (key) => {
      const rec = await kv.get(key);
      if (++gets <= 2) {
        if (gets === 2) release();
        await bothRead;
      }
      return rec;
    },
    put: (...args) => kv.put(...args),
  };
  const first = new DetectionStateStore(racing, { clock, sleep: async () => {} });
  const second = new DetectionStateStore(racing, { clock, sleep: async () => {} });
  const [x, y] = await Promise.all([first.apply('input-x', contributions(l7Rows(70, 0))), second.apply('input-y', contributions(l7Rows(70, 300)))]);
  expect(first.conflicts + second.conflicts).toBe(1);
  const state = parseState((await item(name, L7_KEY)).state!.S!);
  expect(state.windows.map((w) => [w.count, w.fired])).toEqual([[140, true]]);
  expect(state.inputs).toHaveLength(2);
  // Whichever wrote second crossed the threshold, and only it fired.
  expect([...x.fired, ...y.fired].map((a) => a.eventCount)).toEqual([140]);
});

test('the item has its version, rule id and a TTL attribute past the windows and the memory of inputs', async () => {
  const name = await newTable();
  await dynamoDbStateStore(client, name, { clock }).apply('in', contributions(l7Rows(5, 0)));
  const it = await item(name, L7_KEY);
  expect(it.version).toEqual({ N: '1' });
  expect(it.ruleId).toEqual({ S: 'Cloudflare.Firewall.L7DDoS' });
  expect(Number(it.expiresAt!.N)).toBe(Math.ceil((NOW.getTime() + INPUT_MEMORY_MS) / 1000));
  expect(it.updatedAt).toEqual({ S: NOW.toISOString() });
});

test('published flags round-trip: a retry re-publishes only what the earlier attempt did not mark published', async () => {
  const name = await newTable();
  const store = dynamoDbStateStore(client, name, { clock });
  const rows = l7Rows(100, 0);
  const first = await store.apply('s3://logs/c.log.gz#v1', contributions(rows));
  expect(first.fired).toHaveLength(1);
  // The attempt "crashed" before publishing: its retry is told to publish the same alert.
  const retry = await store.apply('s3://logs/c.log.gz#v1', contributions(rows));
  expect(retry.fired.map((a) => [a.alertId, a.published])).toEqual([[first.fired[0]!.alertId, false]]);
  await store.markPublished(retry.fired);
  expect(parseState((await item(name, L7_KEY)).state!.S!).windows[0]!.published).toBe(true);
  expect((await store.apply('s3://logs/c.log.gz#v1', contributions(rows))).fired).toEqual([]);
  // Marking again changes nothing (no write).
  const version = (await item(name, L7_KEY)).version!.N;
  await store.markPublished(first.fired);
  expect((await item(name, L7_KEY)).version!.N).toBe(version);
});

test('a missing table is a configuration error; an unreachable endpoint a retryable one; both keep the cause', async () => {
  const store = dynamoDbStateStore(client, 'no-such-table', { clock });
  const missing = await store.apply('in', contributions(l7Rows(1, 0))).catch((e: unknown) => e);
  expect(missing).toBeInstanceOf(StateStoreError);
  expect(missing).toMatchObject({ retryable: false, cause: { name: 'ResourceNotFoundException' } });
  const closed = new DynamoDBClient({ endpoint: 'http://127.0.0.1:9', region: 'us-east-1', credentials: { accessKeyId: 't', secretAccessKey: 't' }, maxAttempts: 1 });
  try {
    const down = await dynamoDbStateStore(closed, 'x', { clock }).apply('in', contributions(l7Rows(1, 0))).catch((e: unknown) => e);
    expect(down).toMatchObject({ name: 'StateStoreError', retryable: true });
    expect((down as Error).cause).toBeDefined();
  } finally {
    closed.destroy();
  }
});
