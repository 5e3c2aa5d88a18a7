import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';

/**
 * The detections' AWS parts on loopback, for the demo and the integration tests: DynamoDB through dynalite (a real
 * DynamoDB-protocol server), and an SNS endpoint that speaks the Query protocol's Publish and PublishBatch as SNS
 * does (with its batch limits and per-entry failures), and records what it was sent (SNS has no local server on
 * npm). The SDK clients go over HTTP exactly as they would to AWS.
 */

const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export interface LocalDynamo {
  /** For AWS_ENDPOINT_URL_DYNAMODB. */
  endpoint: string;
  client: DynamoDBClient;
  /** A new table as the stack creates it: partition key `pk` (S), on demand. */
  createTable(name: string): Promise<string>;
  close(): Promise<void>;
}

export async function startLocalDynamo(): Promise<LocalDynamo> {
  // A dev dependency without types, loaded lazily so nothing in a Lambda bundle depends on it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const dynalite = require('dynalite') as (o: Record<string, number>) => Server;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: CREDENTIALS });
  return {
    endpoint,
    client,
    async createTable(name) {
      await client.send(
        new CreateTableCommand({
          TableName: name,
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
      return name;
    },
    async close() {
      client.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

export interface PublishedMessage {
  topicArn: string;
  subject?: string;
  message: string;
  attributes: Record<string, string>;
}

/** One request the endpoint answered: its action and, for PublishBatch, how many entries it carried. */
export interface SnsCall {
  action: string;
  entries: number;
}

export interface LocalSns {
  /** For AWS_ENDPOINT_URL_SNS. */
  endpoint: string;
  client: SNSClient;
  /** Every message accepted, from Publish and PublishBatch alike, in the order accepted. */
  published: PublishedMessage[];
  calls: SnsCall[];
  /** The next this many requests (Publish or PublishBatch) answer 500 (SNS's InternalError). */
  failNext(n: number): void;
  /** The next this many PublishBatch entries are listed as Failed (InternalError, not the sender's fault). */
  failEntries(n: number): void;
  close(): Promise<void>;
}

/** SNS's own limits on PublishBatch, which the endpoint enforces as SNS does. */
export const SNS_BATCH_ENTRIES = 10;
export const SNS_BATCH_BYTES = 256 * 1024;

const NS = 'xmlns="http://sns.amazonaws.com/doc/2010-03-31/"';
const escapeXml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Attributes of one message: `<prefix>MessageAttributes.entry.N.Name` / `.Value.StringValue`. */
function attributesOf(form: URLSearchParams, prefix: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (let i = 1; form.has(`${prefix}MessageAttributes.entry.${i}.Name`); i++) {
    attributes[form.get(`${prefix}MessageAttributes.entry.${i}.Name`) as string] = form.get(`${prefix}MessageAttributes.entry.${i}.Value.StringValue`) ?? '';
  }
  return attributes;
}

/** What SNS counts towards a batch's size: each message, its subject and its attributes' names, types and values. */
function entryBytes(form: URLSearchParams, prefix: string): number {
  let n = Buffer.byteLength(form.get(`${prefix}Message`) ?? '') + Buffer.byteLength(form.get(`${prefix}Subject`) ?? '');
  for (let i = 1; form.has(`${prefix}MessageAttributes.entry.${i}.Name`); i++) {
    for (const f of ['Name', 'Value.DataType', 'Value.StringValue']) n += Buffer.byteLength(form.get(`${prefix}MessageAttributes.entry.${i}.${f}`) ?? '');
  }
  return n;
}

export async function startLocalSns(): Promise<LocalSns> {
  const published: PublishedMessage[] = [];
  const calls: SnsCall[] = [];
  let failures = 0;
  let entryFailures = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const xml = (status: number, body: string): void => {
        res.writeHead(status, { 'content-type': 'text/xml' });
        res.end(`<?xml version="1.0"?>\n${body}`);
      };
      const error = (status: number, type: 'Sender' | 'Receiver', code: string, message: string): void =>
        xml(status, `<ErrorResponse><Error><Type>${type}</Type><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>0</RequestId></ErrorResponse>`);
      const action = form.get('Action') ?? '';
      if (action !== 'Publish' && action !== 'PublishBatch') return error(400, 'Sender', 'InvalidAction', 'only Publish and PublishBatch');
      const prefixes: string[] = [];
      if (action === 'PublishBatch') {
        for (let i = 1; form.has(`PublishBatchRequestEntries.member.${i}.Id`); i++) prefixes.push(`PublishBatchRequestEntries.member.${i}.`);
      }
      calls.push({ action, entries: prefixes.length });
      if (failures > 0) {
        failures--;
        return error(500, 'Receiver', 'InternalError', 'injected');
      }
      const topicArn = form.get('TopicArn') ?? '';
      const accept = (prefix: string): number => {
        const subject = form.get(`${prefix}Subject`);
        published.push({ topicArn, message: form.get(`${prefix}Message`) ?? '', attributes: attributesOf(form, prefix), ...(subject !== null ? { subject } : {}) });
        return published.length;
      };
      if (action === 'Publish') {
        const n = accept('');
        return xml(200, `<PublishResponse ${NS}><PublishResult><MessageId>m-${n}</MessageId></PublishResult><ResponseMetadata><RequestId>r-${n}</RequestId></ResponseMetadata></PublishResponse>`);
      }
      if (prefixes.length === 0) return error(400, 'Sender', 'EmptyBatchRequest', 'The batch request does not contain any entries.');
      if (prefixes.length > SNS_BATCH_ENTRIES) return error(400, 'Sender', 'TooManyEntriesInBatchRequest', `The batch request contains more entries than permissible.`);
      const ids = prefixes.map((p) => form.get(`${p}Id`) ?? '');
      if (new Set(ids).size !== ids.length) return error(400, 'Sender', 'BatchEntryIdsNotDistinct', 'Two or more batch entries in the request have the same Id.');
      if (prefixes.reduce((n, p) => n + entryBytes(form, p), 0) > SNS_BATCH_BYTES) {
        return error(400, 'Sender', 'BatchRequestTooLong', 'The length of all the messages put together is more than the limit.');
      }
      let ok = '';
      let failed = '';
      prefixes.forEach((p, i) => {
        const id = escapeXml(ids[i] as string);
        if (entryFailures > 0) {
          entryFailures--;
          failed += `<member><Id>${id}</Id><Code>InternalError</Code><Message>injected</Message><SenderFault>false</SenderFault></member>`;
        } else {
          ok += `<member><Id>${id}</Id><MessageId>m-${accept(p)}</MessageId></member>`;
        }
      });
      xml(
        200,
        `<PublishBatchResponse ${NS}><PublishBatchResult><Successful>${ok}</Successful><Failed>${failed}</Failed></PublishBatchResult>` +
          `<ResponseMetadata><RequestId>r-${calls.length}</RequestId></ResponseMetadata></PublishBatchResponse>`,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new SNSClient({ endpoint, region: 'us-east-1', credentials: CREDENTIALS, maxAttempts: 1 });
  return {
    endpoint,
    client,
    published,
    calls,
    failNext: (n) => void (failures = n),
    failEntries: (n) => void (entryFailures = n),
    async close() {
      client.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
