import type { Writable } from 'node:stream';
import type { BackfillResult } from '../backfill/backfill';
import { runBackfill, S3Client, SQSClient } from '../aws/backfill';
import { ProgressLine } from '../backfill/progress';
import { bool } from '../env';
import { CliOptions, parseCommandArgs, UsageError } from './usage';

export const BACKFILL_USAGE =
  'cflogs backfill --bucket B [--prefix P] [--since DATE] [--start-after KEY] --queue URL [--dry-run] [--concurrency N]';

/** What `cflogs backfill --help` says besides the options. */
export const BACKFILL_HELP = `Enqueues one synthetic S3 "object created" message per existing object under s3://B/P on the ingest queue
(the IngestQueueUrl output of the stack), so history is processed by the deployed functions. Skips folders, empty
objects and ownership-challenge files, like the live path does. Needs s3:ListBucket on the bucket and
sqs:SendMessage on the queue. Exits 0 when every object was queued, 1 when some could not be.`;

export interface BackfillIo {
  stdout: Writable;
  stderr: Writable & { isTTY?: boolean; columns?: number };
  /** Injected by tests; otherwise built from the environment. */
  s3?: S3Client;
  sqs?: SQSClient;
}

export const BACKFILL_OPTIONS = {
  bucket: { type: 'string', value: 'B', description: 'the bucket Logpush writes to' },
  prefix: { type: 'string', value: 'P', description: 'only objects under this key prefix' },
  since: { type: 'string', value: 'DATE', description: 'only objects last modified at or after DATE (2026-11-01[T12:00:00Z])' },
  'start-after': { type: 'string', value: 'KEY', description: 'resume: list the keys after KEY' },
  queue: { type: 'string', value: 'URL', description: 'the ingest queue (stack output IngestQueueUrl)' },
  'dry-run': { type: 'boolean', description: 'list and count, send nothing' },
  concurrency: { type: 'string', value: 'N', description: 'SendMessageBatch calls in flight (default 4)' },
} satisfies CliOptions;

export async function backfillCommand(argv: string[], io: BackfillIo): Promise<number> {
  const args = parseCommandArgs({
    args: argv,
    allowPositionals: false,
    options: BACKFILL_OPTIONS,
  }, BACKFILL_USAGE);
  const o = args.values;
  if (!o.bucket) throw new UsageError(`--bucket is required\nusage: ${BACKFILL_USAGE}`);
  const dryRun = o['dry-run'] === true;
  if (!dryRun && !o.queue) throw new UsageError(`--queue is required (or --dry-run)\nusage: ${BACKFILL_USAGE}`);
  const since = o.since !== undefined ? parseSince(o.since) : undefined;
  const concurrency = o.concurrency !== undefined ? Number(o.concurrency) : 4;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new UsageError('--concurrency must be an integer from 1 to 64');

  const queueRegion = o.queue ? regionOfQueue(o.queue) : undefined;
  const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? queueRegion ?? 'us-east-1';
  // Only the S3 addressing setting matters here: the Lambda's routes, filters and limits are not this command's.
  const forcePathStyle = bool(process.env, 'CFLOGS_S3_FORCE_PATH_STYLE', false);
  const s3 = io.s3 ?? new S3Client({ region, forcePathStyle, followRegionRedirects: true });
  const sqs = dryRun ? undefined : (io.sqs ?? new SQSClient({ region: queueRegion ?? region }));
  const label = `s3://${o.bucket}/${o.prefix ?? ''}`;
  const progress = new ProgressLine(io.stderr, { label, dryRun });

  let last: BackfillResult | undefined;
  const onSigint = () => {
    io.stderr.write(`\ninterrupted${last?.resumeAfter ? `; resume with --start-after ${JSON.stringify(last.resumeAfter)}` : ''}\n`);
    process.exit(130);
  };
  process.once('SIGINT', onSigint);
  let result: BackfillResult;
  try {
    result = await runBackfill(
      {
        bucket: o.bucket,
        region,
        dryRun,
        concurrency,
        ...(o.prefix !== undefined ? { prefix: o.prefix } : {}),
        ...(since ? { since } : {}),
        ...(o['start-after'] !== undefined ? { startAfter: o['start-after'] } : {}),
        ...(o.queue !== undefined ? { queueUrl: o.queue } : {}),
      },
      {
        s3,
        ...(sqs ? { sqs } : {}),
        onProgress: (p) => {
          last = p as BackfillResult;
          progress.update(p);
        },
      },
    );
  } catch (e) {
    if (last) progress.finish(last);
    io.stderr.write(
      `backfill stopped: ${(e as Error).message}${last?.resumeAfter ? `\nresume with --start-after ${JSON.stringify(last.resumeAfter)}` : ''}\n`,
    );
    return 1;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
  progress.finish(result);
  io.stdout.write(summary(result, label, o.queue) + '\n');
  if (result.failed > 0) {
    for (const f of result.failedKeys) io.stderr.write(`not queued: ${f.key}: ${f.error}\n`);
    if (result.failed > result.failedKeys.length) io.stderr.write(`... and ${result.failed - result.failedKeys.length} more\n`);
    return 1;
  }
  return 0;
}

export function summary(r: BackfillResult, label: string, queue: string | undefined): string {
  const skipped = Object.entries(r.skippedBy)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([why, n]) => `${why} ${n}`)
    .join(', ');
  const head = r.dryRun ? `dry run: would queue ${r.queued}` : `queued ${r.queued}`;
  return (
    `${head} of ${r.listed} objects listed under ${label}${queue && !r.dryRun ? ` to ${queue}` : ''}; ` +
    `skipped ${r.skipped}${skipped ? ` (${skipped})` : ''}; failed ${r.failed}`
  );
}

/** `2026-11-01` (UTC midnight) or any ISO 8601 date-time with a zone. */
export function parseSince(text: string): Date {
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(text);
  const d = new Date(dateOnly ? `${text}T00:00:00Z` : text);
  if (Number.isNaN(d.getTime()) || (!dateOnly && !/(Z|[+-]\d{2}:?\d{2})$/i.test(text))) {
    throw new UsageError(`--since: expected a date (2026-11-01) or a date-time with a zone (2026-11-01T12:00:00Z), got ${JSON.stringify(text)}`);
  }
  return d;
}

/** https://sqs.eu-west-1.amazonaws.com/123456789012/name -> eu-west-1 */
export function regionOfQueue(url: string): string | undefined {
  const m = /^https?:\/\/sqs[.-]([a-z0-9-]+)\.amazonaws\.com(\.cn)?\//.exec(url);
  return m?.[1];
}
