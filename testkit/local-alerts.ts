import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';

/**
 * The detections' AWS parts on loopback, for the demo and the integration tests: DynamoDB through dynalite (a real
 * DynamoDB-protocol server), and an SNS endpoint that speaks the Query protocol's Publish, as SNS does, and records
 * what it was sent (SNS has no local server on npm). The SDK clients go over HTTP exactly as they would to AWS.
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

export interface LocalSns {
  /** For AWS_ENDPOINT_URL_SNS. */
  endpoint: string;
  client: SNSClient;
  published: PublishedMessage[];
  /** Publish answers 500 (SNS's InternalError) this many more times. */
  failNext(n: number): void;
  close(): Promise<void>;
}

export async function startLocalSns(): Promise<LocalSns> {
  const published: PublishedMessage[] = [];
  let failures = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const xml = (status: number, body: string): void => {
        res.writeHead(status, { 'content-type': 'text/xml' });
        res.end(`<?xml version="1.0"?>\n${body}`);
      };
      if (form.get('Action') !== 'Publish') {
        xml(400, `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>only Publish</Message></Error><RequestId>0</RequestId></ErrorResponse>`);
        return;
      }
      if (failures > 0) {
        failures--;
        xml(500, `<ErrorResponse><Error><Type>Receiver</Type><Code>InternalError</Code><Message>injected</Message></Error><RequestId>0</RequestId></ErrorResponse>`);
        return;
      }
      const attributes: Record<string, string> = {};
      for (let i = 1; form.has(`MessageAttributes.entry.${i}.Name`); i++) {
        attributes[form.get(`MessageAttributes.entry.${i}.Name`) as string] = form.get(`MessageAttributes.entry.${i}.Value.StringValue`) ?? '';
      }
      const subject = form.get('Subject');
      published.push({ topicArn: form.get('TopicArn') ?? '', message: form.get('Message') ?? '', attributes, ...(subject !== null ? { subject } : {}) });
      xml(
        200,
        `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>m-${published.length}</MessageId></PublishResult>` +
          `<ResponseMetadata><RequestId>r-${published.length}</RequestId></ResponseMetadata></PublishResponse>`,
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
    failNext: (n) => void (failures = n),
    async close() {
      client.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
