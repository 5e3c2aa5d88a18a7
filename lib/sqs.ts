import type { SQSEvent } from 'aws-lambda';

/** A Lambda event from an SQS event source mapping: records, each from `aws:sqs`. */
export function isSqsEvent(e: unknown): e is SQSEvent {
  const records = (e as { Records?: { eventSource?: string }[] } | null)?.Records;
  return Array.isArray(records) && records.length > 0 && records.every((r) => r?.eventSource === 'aws:sqs');
}
