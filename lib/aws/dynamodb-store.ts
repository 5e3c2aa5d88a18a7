import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { messageOf } from '../errors';
import { DetectionStateStore, GroupKv, GroupRecord, StateStoreError, StateStoreOptions } from '../rules/store';
import { groupLabel, parseState } from '../rules/windows';

/**
 * Detection state in one DynamoDB table. Key schema: partition key `pk` (S) = `ruleId#dedup` (the dedup string
 * hashed when long or when it starts with the reserved `sha256:`; lib/rules/engine.ts groupKey); no sort key. Attributes: `state` (S, the group's windows and applied inputs as JSON),
 * `version` (N, raised by every write), `expiresAt` (N, epoch seconds: the table's TTL attribute), `ruleId` (S) and
 * `updatedAt` (S) for a person reading the table. Reads are consistent GetItems; writes are PutItems conditioned
 * on the version read (or on the item's absence), so two invocations updating one group never lose a count: the
 * loser reads again and retries (DetectionStateStore). One item per group and no transactions: each group's
 * update is atomic on its own, and an input that fails half way is retried whole, the groups it already updated
 * recognising it. Claims on alerts being published are fields of `state`, and flood summaries items of their own,
 * written the same way.
 */

const RETRYABLE = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'LimitExceededException',
  'ExpiredTokenException',
  'TimeoutError',
]);

/** Whether a DynamoDB (or network) failure may pass on a retry; a missing table or a denied permission will not. */
export function isRetryable(e: unknown): boolean {
  const err = e as { name?: string; $fault?: string; $metadata?: { httpStatusCode?: number }; code?: string };
  if (err?.name && RETRYABLE.has(err.name)) return true;
  // No HTTP status: the request did not get an answer (connection reset, DNS, timeout).
  if (err?.$metadata?.httpStatusCode === undefined) return true;
  return err.$fault === 'server';
}

function storeError(what: string, e: unknown): StateStoreError {
  const retryable = isRetryable(e);
  const name = (e as { name?: string })?.name ?? 'Error';
  return new StateStoreError(`detection state ${what}: ${name}: ${messageOf(e)}${retryable ? '' : ' (check the table name and the function\'s permissions)'}`, retryable, {
    cause: e,
  });
}

export class DynamoDbGroupKv implements GroupKv {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async get(key: string): Promise<GroupRecord | undefined> {
    let item;
    try {
      item = (await this.client.send(new GetItemCommand({ TableName: this.table, Key: { pk: { S: key } }, ConsistentRead: true }))).Item;
    } catch (e) {
      throw storeError(`read of ${groupLabel(key)} from table ${this.table}`, e);
    }
    if (!item) return undefined;
    const json = item.state?.S;
    const version = Number(item.version?.N);
    if (json === undefined || !Number.isInteger(version)) {
      throw new StateStoreError(`detection state ${groupLabel(key)} in table ${this.table}: item without state or version`, false);
    }
    try {
      return { state: parseState(json), version };
    } catch (e) {
      throw new StateStoreError(`detection state ${groupLabel(key)} in table ${this.table}: ${messageOf(e)}`, false, { cause: e });
    }
  }

  async put(key: string, json: string, ruleId: string, expected: number | undefined, expiresAt: number): Promise<boolean> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: {
            pk: { S: key },
            state: { S: json },
            version: { N: String((expected ?? 0) + 1) },
            expiresAt: { N: String(expiresAt) },
            ruleId: { S: ruleId },
            updatedAt: { S: this.clock().toISOString() },
          },
          ...(expected === undefined
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : { ConditionExpression: '#v = :v', ExpressionAttributeNames: { '#v': 'version' }, ExpressionAttributeValues: { ':v': { N: String(expected) } } }),
        }),
      );
      return true;
    } catch (e) {
      if ((e as { name?: string })?.name === 'ConditionalCheckFailedException') return false;
      throw storeError(`write of ${groupLabel(key)} to table ${this.table}`, e);
    }
  }
}

/** The state store on a DynamoDB table (CFLOGS_RULES_TABLE); the client is the caller's (region, endpoint, retries). */
export function dynamoDbStateStore(client: DynamoDBClient, table: string, opts: StateStoreOptions): DetectionStateStore {
  return new DetectionStateStore(new DynamoDbGroupKv(client, table, opts.clock), opts);
}
