import { CflogsError } from '../errors';
import { skipReason, SkipReason } from '../s3/events';
import { ListedObject, syntheticS3Event } from './events';

/**
 * `cflogs backfill`: list existing objects and enqueue one synthetic S3 notification per object on the ingest
 * queue, in SendMessageBatch calls of 10, so history is processed by the same fleet (and the same retries and
 * dead-letter queue) as live traffic. Listing and sending overlap; a few batches are in flight at once.
 */

export interface BackfillOptions {
  bucket: string;
  prefix?: string;
  /** Only objects last modified at or after this instant. */
  since?: Date;
  /** Resume after this key (ListObjectsV2 StartAfter): the last key a previous run reported. */
  startAfter?: string;
  /** Required unless dryRun. */
  queueUrl?: string;
  dryRun?: boolean;
  /** `awsRegion` of the synthetic records (the handler does not use it). */
  region: string;
  /** SendMessageBatch calls in flight at once (default 4). */
  concurrency?: number;
  /** Keys per ListObjectsV2 page (default 1000, S3's maximum). */
  pageSize?: number;
  /** Attempts per message before it counts as failed (default 5). */
  maxAttempts?: number;
}

export interface BackfillProgress {
  listed: number;
  queued: number;
  skipped: number;
  failed: number;
  /** True once listing has finished: `listed - skipped` is then the total to queue. */
  listingDone: boolean;
  /**
   * Every object with a key up to this one has been queued, skipped or reported as failed: where a later run can
   * resume (--start-after). Batches complete out of order, so this trails the newest key a little.
   */
  resumeAfter: string | undefined;
}

export interface BackfillResult extends BackfillProgress {
  skippedBy: Partial<Record<SkipReason | 'before_since', number>>;
  /** Keys that could not be queued (first 100). */
  failedKeys: { key: string; error: string }[];
  dryRun: boolean;
}

/** Why a message was not queued, and whether sending it again can help. */
export interface QueueFailure {
  error: string;
  permanent: boolean;
}

/** The ingest queue (lib/aws/backfill.ts: SQS SendMessageBatch). */
export interface BackfillQueue {
  /**
   * One call for up to 10 messages: the ids of those not queued. Throws when the whole call failed (after the
   * client's own retries of throttling and network errors).
   */
  sendBatch(messages: { id: string; body: string }[]): Promise<Map<string, QueueFailure>>;
}

/** Lists the bucket (lib/aws/backfill.ts: ListObjectsV2), every page, in key order. */
export type ObjectLister = (opts: Pick<BackfillOptions, 'bucket' | 'prefix' | 'startAfter' | 'pageSize'>) => AsyncIterable<ListedObject>;

export interface BackfillDeps {
  list: ObjectLister;
  /** Required unless dryRun. */
  queue?: BackfillQueue;
  onProgress?: (p: BackfillProgress) => void;
  sleep?: (ms: number) => Promise<void>;
}

const BATCH_SIZE = 10; // SendMessageBatch's maximum

export async function backfill(opts: BackfillOptions, deps: BackfillDeps): Promise<BackfillResult> {
  const dryRun = opts.dryRun === true;
  if (!dryRun && (!opts.queueUrl || !deps.queue)) throw new CflogsError('a queue URL and an SQS client are required unless dry-run');
  const concurrency = Math.max(1, opts.concurrency ?? 4);
  const maxAttempts = Math.max(1, opts.maxAttempts ?? 5);
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const state: BackfillResult = {
    listed: 0,
    queued: 0,
    skipped: 0,
    failed: 0,
    listingDone: false,
    resumeAfter: undefined,
    skippedBy: {},
    failedKeys: [],
    dryRun,
  };
  const report = () => deps.onProgress?.(state);
  const skip = (why: SkipReason | 'before_since') => {
    state.skipped++;
    state.skippedBy[why] = (state.skippedBy[why] ?? 0) + 1;
  };
  const inFlight = new Set<Promise<void>>();
  // Batches in listing order: the resume point advances over the completed prefix of this list.
  const batches: { lastKey: string; done: boolean }[] = [];
  let completed = 0;
  const send = (batch: ListedObject[]): void => {
    const slot = { lastKey: batch[batch.length - 1]!.key, done: false };
    batches.push(slot);
    const p = sendBatch(batch).finally(() => {
      inFlight.delete(p);
      slot.done = true;
      while (completed < batches.length && batches[completed]!.done) state.resumeAfter = batches[completed++]!.lastKey;
      report();
    });
    inFlight.add(p);
  };

  /** Sends up to 10 objects; retries the entries SQS refused (and whole-call failures) with backoff. */
  async function sendBatch(batch: ListedObject[]): Promise<void> {
    let pending = batch.map((obj, i) => ({ id: `m${i}`, obj, body: syntheticS3Event(obj, opts.region) }));
    for (let attempt = 1; pending.length > 0; attempt++) {
      let failedIds: Map<string, QueueFailure>;
      try {
        failedIds = await deps.queue!.sendBatch(pending.map((e) => ({ id: e.id, body: e.body })));
      } catch (err) {
        // The SDK has already retried throttling and network errors; a whole-call failure counts for every entry.
        const message = (err as Error).message;
        failedIds = new Map(pending.map((e) => [e.id, { error: message, permanent: false }]));
      }
      const next: typeof pending = [];
      for (const e of pending) {
        const f = failedIds.get(e.id);
        if (!f) {
          state.queued++;
        } else if (f.permanent || attempt >= maxAttempts) {
          state.failed++;
          if (state.failedKeys.length < 100) state.failedKeys.push({ key: e.obj.key, error: f.error });
        } else {
          next.push(e);
        }
      }
      report();
      pending = next;
      if (pending.length) await sleep(Math.min(200 * 2 ** (attempt - 1), 5000));
    }
  }

  let batch: ListedObject[] = [];
  for await (const obj of deps.list(opts)) {
    state.listed++;
    const why = skipReason({ bucket: obj.bucket, key: obj.key, size: obj.size });
    if (why) skip(why);
    else if (opts.since && obj.lastModified && obj.lastModified < opts.since) skip('before_since');
    else if (dryRun) {
      state.queued++; // "would be queued"
      state.resumeAfter = obj.key;
    } else {
      batch.push(obj);
      if (batch.length === BATCH_SIZE) {
        send(batch);
        batch = [];
        while (inFlight.size >= concurrency) await Promise.race(inFlight);
      }
    }
    report();
  }
  if (batch.length) send(batch);
  state.listingDone = true;
  await Promise.all(inFlight);
  report();
  return state;
}
