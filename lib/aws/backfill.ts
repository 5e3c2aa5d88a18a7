import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { backfill, BackfillOptions, BackfillProgress, BackfillQueue, BackfillResult, QueueFailure } from '../backfill/backfill';
import type { ListedObject } from '../backfill/events';

/** The clients `cflogs backfill` uses, for callers (and tests) that bring their own. */
export { S3Client, SQSClient };

export interface AwsBackfillDeps {
  s3: S3Client;
  sqs?: SQSClient;
  onProgress?: (p: BackfillProgress) => void;
  sleep?: (ms: number) => Promise<void>;
}

/** lib/backfill/backfill.ts on S3 (ListObjectsV2) and SQS (SendMessageBatch to `opts.queueUrl`). */
export function runBackfill(opts: BackfillOptions, deps: AwsBackfillDeps): Promise<BackfillResult> {
  const { s3, sqs, ...rest } = deps;
  return backfill(opts, {
    ...rest,
    list: (o) => listObjects(s3, o),
    ...(sqs && opts.queueUrl ? { queue: sqsQueue(sqs, opts.queueUrl) } : {}),
  });
}

/** SendMessageBatch: SQS answers per entry; an entry it lists as neither sent nor failed counts as failed. */
export function sqsQueue(sqs: SQSClient, queueUrl: string): BackfillQueue {
  return {
    async sendBatch(messages) {
      const res = await sqs.send(
        new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: messages.map((m) => ({ Id: m.id, MessageBody: m.body })) }),
      );
      const failed = new Map<string, QueueFailure>(
        (res.Failed ?? []).map((f) => [f.Id ?? '', { error: `${f.Code ?? 'error'}: ${f.Message ?? ''}`, permanent: f.SenderFault === true }]),
      );
      // Entries neither successful nor failed do not happen; count them as failed rather than as queued.
      const ok = new Set((res.Successful ?? []).map((s) => s.Id));
      for (const m of messages) if (!ok.has(m.id) && !failed.has(m.id)) failed.set(m.id, { error: 'no result', permanent: false });
      return failed;
    },
  };
}

/** ListObjectsV2, every page, in key order. */
export async function* listObjects(
  s3: S3Client,
  opts: Pick<BackfillOptions, 'bucket' | 'prefix' | 'startAfter' | 'pageSize'>,
): AsyncGenerator<ListedObject> {
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: opts.bucket,
        ...(opts.prefix ? { Prefix: opts.prefix } : {}),
        ...(opts.startAfter && !token ? { StartAfter: opts.startAfter } : {}),
        ...(token ? { ContinuationToken: token } : {}),
        MaxKeys: opts.pageSize ?? 1000,
      }),
    );
    for (const o of page.Contents ?? []) {
      if (o.Key === undefined) continue;
      yield {
        bucket: opts.bucket,
        key: o.Key,
        size: o.Size ?? 0,
        ...(o.ETag !== undefined ? { eTag: o.ETag } : {}),
        ...(o.LastModified !== undefined ? { lastModified: o.LastModified } : {}),
      };
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}
