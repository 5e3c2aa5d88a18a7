import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { CflogsError, NotificationError } from '../errors';
import { errorFields } from '../log';
import { Notification, ObjectRef, readNotification, readNotificationText } from './events';
import { Delivery, ObjectDeps, ObjectOutcome, processS3Object } from './object';

export interface IngestReport {
  outcomes: ObjectOutcome[];
}

/**
 * Entry logic of the S3 Lambda. SQS batches answer with `batchItemFailures` (only the messages whose objects
 * failed are retried, then dead-lettered); direct S3 / SNS / EventBridge invocations process every record and
 * throw if any object failed, so Lambda's async retry takes over. A message that names no readable object (not
 * JSON, or not a notification this function understands) fails the same way, with an error log: acknowledging it
 * would lose whatever it was meant to announce without a trace. S3's test events are acknowledged quietly.
 */
export async function handleS3Event(
  event: unknown,
  deps: ObjectDeps,
  context?: Context,
): Promise<SQSBatchResponse | IngestReport> {
  if (isSqsEvent(event)) {
    const processor = new BatchProcessor(EventType.SQS);
    const handleRecord = async (record: SQSRecord): Promise<void> => {
      const receiveCount = Number(record.attributes?.ApproximateReceiveCount);
      const delivery: Delivery = { messageId: record.messageId, ...(Number.isInteger(receiveCount) ? { receiveCount } : {}) };
      const refs = readable(readNotificationText(record.body), deps, { ...delivery, bodyBytes: Buffer.byteLength(record.body) });
      await processAll(refs, deps, delivery);
    };
    return processPartialResponse(event, handleRecord, processor, {
      ...(context ? { context } : {}),
      // Sequential: one object's streams at a time keeps memory flat.
      processInParallel: false,
      throwOnFullBatchFailure: false,
    });
  }
  return { outcomes: await processAll(readable(readNotification(event), deps, {}), deps) };
}

/**
 * The objects a notification names; throws a NotificationError (logged with the reason, the delivery and the
 * body's size, never its content) when it names none that can be read.
 */
function readable(n: Notification, deps: ObjectDeps, where: Record<string, unknown>): ObjectRef[] {
  if (!n.ok) {
    const e = new NotificationError(n.message, n.reason);
    deps.log.error('message not understood: no object can be read from it; failed so that it reaches the dead-letter queue', {
      ...where,
      reason: n.reason,
      ...errorFields(e),
    });
    throw e;
  }
  if (n.refs.length === 0) {
    // An S3 test event, or only events of other kinds (ObjectRemoved, ...): understood, nothing to ingest.
    deps.log.info('message acknowledged: it announces no created object', { ...where, testEvents: n.tests, otherEvents: n.ignored });
  }
  return n.refs;
}

async function processAll(refs: ObjectRef[], deps: ObjectDeps, delivery: Delivery = {}): Promise<ObjectOutcome[]> {
  const outcomes: ObjectOutcome[] = [];
  const failures: unknown[] = [];
  for (const ref of refs) {
    try {
      outcomes.push(await processS3Object(ref, deps, delivery));
    } catch (e) {
      deps.metrics?.objectFailed();
      deps.log.error('object failed; it will be retried', { bucket: ref.bucket, key: ref.key, ...delivery, ...errorFields(e) });
      failures.push(e);
    }
  }
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) throw new CflogsError(`${failures.length} objects failed`, { cause: failures });
  return outcomes;
}

function isSqsEvent(e: unknown): e is SQSEvent {
  const first = (e as { Records?: { eventSource?: string }[] })?.Records?.[0];
  return first?.eventSource === 'aws:sqs';
}
