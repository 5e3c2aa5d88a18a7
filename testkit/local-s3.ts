import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { S3Client } from '@aws-sdk/client-s3';
import type { SQSEvent } from 'aws-lambda';
import { Announcer, CreatedObject, s3CreatedRecord } from '../lib/s3/events';

/**
 * A real S3-protocol server (s3rver) on loopback, for the demo and the integration tests: the SDK, multipart
 * uploads and streaming bodies all go over HTTP exactly as they would to S3.
 */
export interface LocalS3 {
  endpoint: string;
  client: S3Client;
  close(): Promise<void>;
}

export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export async function startLocalS3(opts: { directory: string; buckets: string[]; port?: number }): Promise<LocalS3> {
  // s3rver is a dev dependency: loaded lazily so nothing in a Lambda bundle depends on it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const S3rver = require('s3rver') as new (o: Record<string, unknown>) => {
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
  };
  mkdirSync(opts.directory, { recursive: true });
  const server = new S3rver({
    address: '127.0.0.1',
    port: opts.port ?? 0,
    silent: true,
    directory: opts.directory,
    configureBuckets: opts.buckets.map((name) => ({ name })),
  });
  const addr = await server.run();
  const endpoint = `http://127.0.0.1:${addr.port}`;
  const client = localS3Client(endpoint);
  return {
    endpoint,
    client,
    close: async () => {
      client.destroy();
      await server.close();
    },
  };
}

export function localS3Client(endpoint: string): S3Client {
  return new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: LOCAL_CREDENTIALS });
}


const LOCAL_ANNOUNCER: Announcer = {
  region: 'us-east-1',
  eventTime: '2026-11-01T10:00:31.000Z',
  eventName: 'ObjectCreated:CompleteMultipartUpload',
  principalId: 'AWS:AIDAEXAMPLE',
  configurationId: 'cflogs',
};

/** An S3 ObjectCreated notification, as S3 sends it (to Lambda, SQS or SNS). */
export function s3CreatedEvent(objects: CreatedObject[]) {
  return { Records: objects.map((o) => s3CreatedRecord(o, LOCAL_ANNOUNCER)) };
}

/** An SQS batch whose messages carry the given bodies (S3 notifications, as S3 -> SQS delivers them). */
export function sqsEvent(bodies: unknown[], opts: { receiveCount?: number } = {}): SQSEvent {
  return {
    Records: bodies.map((b, i) => ({
      messageId: `msg-${i}`,
      receiptHandle: `rh-${i}`,
      body: JSON.stringify(b),
      attributes: {
        ApproximateReceiveCount: String(opts.receiveCount ?? 1),
        SentTimestamp: '1762000000000',
        SenderId: 'EXAMPLE',
        ApproximateFirstReceiveTimestamp: '1762000000000',
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:cflogs-ingest',
      awsRegion: 'us-east-1',
    })),
  };
}
