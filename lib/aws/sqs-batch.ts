import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { SqsBatchRunner } from '../s3/object';

/**
 * SQS partial batch responses through Powertools: only the messages whose handling threw are reported in
 * `batchItemFailures` (retried, then dead-lettered).
 */
export const powertoolsSqsBatch: SqsBatchRunner = (event, handleRecord, context) =>
  processPartialResponse(event, handleRecord, new BatchProcessor(EventType.SQS), {
    ...(context ? { context } : {}),
    // Sequential: one object's streams at a time keeps memory flat.
    processInParallel: false,
    throwOnFullBatchFailure: false,
  });
