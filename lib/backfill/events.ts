/**
 * Synthetic S3 "object created" notifications for objects that already exist, so that history goes through the
 * same queue, the same handler and the same retries as new objects. One record per message: the handler answers
 * SQS with per-message batch item failures, so one object per message keeps retries per object.
 */

import { encodeS3EventKey } from '../source/s3-events';

/** What a listing tells us about an object. */
export interface ListedObject {
  bucket: string;
  key: string;
  size: number;
  /** As ListObjectsV2 returns it (quoted); notifications carry it unquoted. */
  eTag?: string;
  lastModified?: Date;
}

/** The body of one SQS message: an S3 event notification with one ObjectCreated record, as S3 would send it. */
export function syntheticS3Event(obj: ListedObject, region: string): string {
  const eTag = obj.eTag?.replace(/^"|"$/g, '');
  return JSON.stringify({
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: region,
        eventTime: (obj.lastModified ?? new Date(0)).toISOString(),
        eventName: 'ObjectCreated:Put',
        userIdentity: { principalId: 'cflogs-backfill' },
        requestParameters: { sourceIPAddress: '127.0.0.1' },
        responseElements: {},
        s3: {
          s3SchemaVersion: '1.0',
          // Marks the message as a backfill, for anyone reading the queue or the dead-letter queue.
          configurationId: 'cflogs-backfill',
          bucket: { name: obj.bucket, ownerIdentity: { principalId: 'cflogs-backfill' }, arn: `arn:aws:s3:::${obj.bucket}` },
          object: { key: encodeS3EventKey(obj.key), size: obj.size, ...(eTag ? { eTag } : {}) },
        },
      },
    ],
  });
}
