/**
 * Synthetic S3 "object created" notifications for objects that already exist, so that history goes through the
 * same queue, the same handler and the same retries as new objects. One record per message: the handler answers
 * SQS with per-message batch item failures, so one object per message keeps retries per object.
 */

import { CreatedObject, s3CreatedRecord } from '../s3/events';

/** What a listing tells us about an object (its ETag quoted, as ListObjectsV2 returns it). */
export interface ListedObject extends CreatedObject {
  lastModified?: Date;
}

/** The body of one SQS message: an S3 event notification with one ObjectCreated record, as S3 would send it. */
export function syntheticS3Event(obj: ListedObject, region: string): string {
  const record = s3CreatedRecord(obj, {
    region,
    eventTime: (obj.lastModified ?? new Date(0)).toISOString(),
    eventName: 'ObjectCreated:Put',
    principalId: 'cflogs-backfill',
    // Marks the message as a backfill, for anyone reading the queue or the dead-letter queue.
    configurationId: 'cflogs-backfill',
  });
  return JSON.stringify({ Records: [record] });
}
