import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { CflogsError } from '../errors';
import { errorFields } from '../log';
import { objectRefs } from '../source/s3-events';
import { Delivery, ObjectDeps, ObjectOutcome, processS3Object } from './s3-object';

export interface IngestReport {
  outcomes: ObjectOutcome[];
}

/**
 * Entry logic of the S3 Lambda. SQS batches answer with `batchItemFailures` (only the messages whose objects
 * failed are retried, then dead-lettered); direct S3 / SNS / EventBridge invocations process every record and
 * throw if any object failed, so Lambda's async retry takes over.
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
      await processAll(objectRefs(safeParse(record.body)), deps, {
        messageId: record.messageId,
        ...(Number.isInteger(receiveCount) ? { receiveCount } : {}),
      });
    };
    return processPartialResponse(event, handleRecord, processor, {
      ...(context ? { context } : {}),
      // Sequential: one object's streams at a time keeps memory flat.
      processInParallel: false,
      throwOnFullBatchFailure: false,
    });
  }
  return { outcomes: await processAll(objectRefs(event), deps) };
}

async function processAll(refs: ReturnType<typeof objectRefs>, deps: ObjectDeps, delivery: Delivery = {}): Promise<ObjectOutcome[]> {
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

function safeParse(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}
