import type { Context, SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { CflogsError, Disposition, dispositionOf, NotificationError, SkipReason } from '../errors';
import { errorFields } from '../log';
import { Notification, ObjectRef, readNotification, readNotificationText } from './events';
import { Delivery, ObjectDeps, ObjectOutcome, processS3Object } from './object';
import { isSqsEvent } from '../sqs';

export interface IngestReport {
  outcomes: ObjectOutcome[];
}

/**
 * Entry logic of the S3 Lambda. SQS batches answer with `batchItemFailures` (only the messages whose objects
 * failed are retried, then dead-lettered); direct S3 / SNS / EventBridge invocations process every record and
 * throw if any object failed, so Lambda's async retry takes over. A message that names no readable object (not
 * JSON, or not a notification this function understands) fails the same way, with an error log: acknowledging it
 * would lose whatever it was meant to announce without a trace. S3's test events are acknowledged quietly. What
 * a failed object does is its error's disposition (docs/errors.md): `skip` is acknowledged, anything else fails.
 */
export async function handleS3Event(
  event: unknown,
  deps: ObjectDeps,
  context?: Context,
): Promise<SQSBatchResponse | IngestReport> {
  if (isSqsEvent(event)) {
    // The runner (lib/aws/sqs-batch.ts) is the composition root's: this module stays free of AWS packages.
    if (!deps.sqsBatch) throw new CflogsError('an SQS event arrived but no SQS batch runner was given (ObjectDeps.sqsBatch)');
    const handleRecord = async (record: SQSRecord): Promise<void> => {
      const receiveCount = Number(record.attributes?.ApproximateReceiveCount);
      const delivery: Delivery = { messageId: record.messageId, ...(Number.isInteger(receiveCount) ? { receiveCount } : {}) };
      const refs = readable(readNotificationText(record.body), deps, { ...delivery, bodyBytes: Buffer.byteLength(record.body) });
      await processAll(refs, deps, delivery);
    };
    return deps.sqsBatch(event, handleRecord, context);
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
      const d = dispositionOf(e);
      const where = { bucket: ref.bucket, key: ref.key };
      if (d.kind === 'skip') {
        // Nothing left to process (the object was deleted since it was announced): a retry would find nothing either.
        const outcome: ObjectOutcome = { status: 'skipped', reason: d.reason };
        deps.log.warn(`object skipped: ${SKIPPED[d.reason]}`, { ...where, reason: d.reason, ...delivery });
        deps.metrics?.objectDone(outcome);
        outcomes.push(outcome);
        continue;
      }
      // Every other disposition fails the message: SQS can only redeliver it, and once its receives run out it
      // reaches the dead-letter queue. A salvageable object is salvaged by a late receive (lib/s3/object.ts).
      deps.metrics?.objectFailed();
      deps.log.error(FAILED[d.kind], { ...where, ...delivery, disposition: d.kind, ...errorFields(e) });
      failures.push(e);
    }
  }
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) throw new CflogsError(`${failures.length} objects failed`, { cause: failures });
  return outcomes;
}

const SKIPPED: Record<SkipReason, string> = { missing: 'it no longer exists' };

const FAILED: Record<Exclude<Disposition['kind'], 'skip'>, string> = {
  retry: 'object failed; it will be retried',
  salvage: 'object failed: it is corrupt; it will be retried, and salvaged once its receives reach CFLOGS_SALVAGE_AFTER_RECEIVES',
  client: 'object failed: its content cannot be processed; it will be retried, then dead-lettered',
  'dead-letter': 'object failed: no retry can fix it; it will be retried, then dead-lettered',
};
