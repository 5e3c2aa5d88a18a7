import { PassThrough } from 'node:stream';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { SendMessageBatchCommand, SendMessageBatchCommandInput, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { runBackfill } from '../../lib/aws/backfill';
import { syntheticS3Event } from '../../lib/backfill/events';
import { encodeS3EventKey } from '../../lib/s3/events';
import { formatProgress, ProgressLine } from '../../lib/backfill/progress';
import { backfillCommand, parseSince, regionOfQueue, summary } from '../../lib/cli/backfill';
import { UsageError } from '../../lib/cli/usage';
import { CflogsError } from '../../lib/errors';
import { objectRefs, skipReason } from '../../lib/s3/events';

const s3Mock = mockClient(S3Client);
const sqsMock = mockClient(SQSClient);
const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/cflogs-prod-IngestQueue';

beforeEach(() => {
  s3Mock.reset();
  sqsMock.reset();
});
afterAll(() => {
  s3Mock.restore();
  sqsMock.restore();
});

/** S3 listing of `keys` (all 100 bytes unless given), in pages of `page`. */
function listing(objects: { key: string; size?: number; lastModified?: Date }[], page = 1000): void {
  s3Mock.on(ListObjectsV2Command).callsFake((input: { ContinuationToken?: string; StartAfter?: string; Prefix?: string }) => {
    const sorted = objects
      .filter((o) => o.key.startsWith(input.Prefix ?? '') && (input.StartAfter === undefined || o.key > input.StartAfter))
      .sort((a, b) => (a.key < b.key ? -1 : 1));
    const start = input.ContinuationToken ? Number(input.ContinuationToken) : 0;
    const slice = sorted.slice(start, start + page);
    const more = start + page < sorted.length;
    return {
      Contents: slice.map((o) => ({ Key: o.key, Size: o.size ?? 100, ETag: '"abc123"', LastModified: o.lastModified ?? new Date('2026-11-01T00:00:00Z') })),
      IsTruncated: more,
      ...(more ? { NextContinuationToken: String(start + page) } : {}),
    };
  });
}

function sentBodies(): string[] {
  return sqsMock.commandCalls(SendMessageBatchCommand).flatMap((c) => (c.args[0].input.Entries ?? []).map((e) => e.MessageBody!));
}

const okAll = (input: SendMessageBatchCommandInput) => ({
  Successful: (input.Entries ?? []).map((e) => ({ Id: e.Id, MessageId: `id-${e.Id}`, MD5OfMessageBody: 'x' })),
  Failed: [],
});

const clients = () => ({ s3: new S3Client({ region: 'eu-west-1' }), sqs: new SQSClient({ region: 'eu-west-1' }) });
const noSleep = async () => undefined;

describe('synthetic S3 events', () => {
  const keys = [
    'cloudflare/http_requests/20221115/20221115T000000Z_20221115T000030Z_9af500e2.log.gz',
    'logs with spaces/a b.log.gz',
    'plus+and%percent/x+y%41.gz',
    'ünïcödé/ログ.log.gz',
    'odd=chars&more?/[x](y)!*~\'.gz',
  ];

  test.each(keys)('objectRefs() reads back the decoded key: %s', (key) => {
    const body = syntheticS3Event({ bucket: 'cf-logs', key, size: 4321, eTag: '"0123abcd"', lastModified: new Date('2026-11-01T10:00:00Z') }, 'eu-west-1');
    // As the SQS handler sees it: the message body, parsed.
    const refs = objectRefs(JSON.parse(body));
    expect(refs).toEqual([{ bucket: 'cf-logs', key, size: 4321, eTag: '0123abcd' }]);
    expect(skipReason(refs[0]!)).toBeUndefined();
    // And wrapped in an SQS event, the way Lambda delivers it.
    expect(objectRefs({ Records: [{ eventSource: 'aws:sqs', body }] })).toEqual(refs);
  });

  test('keys are encoded the way S3 encodes them: spaces as +, + as %2B, / kept', () => {
    expect(encodeS3EventKey('a b/c+d/e=f.gz')).toBe('a+b/c%2Bd/e%3Df.gz');
    const rec = JSON.parse(syntheticS3Event({ bucket: 'b', key: 'a b.gz', size: 1 }, 'us-east-1')).Records[0];
    expect(rec).toMatchObject({ eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', awsRegion: 'us-east-1' });
    expect(rec.s3).toMatchObject({ configurationId: 'cflogs-backfill', bucket: { name: 'b', arn: 'arn:aws:s3:::b' }, object: { key: 'a+b.gz', size: 1 } });
  });
});

describe('runBackfill', () => {
  test('sends batches of 10, one record per message, and skips what the live path skips', async () => {
    const objects = Array.from({ length: 23 }, (_, i) => ({ key: `cf/http_requests/2026/${String(i).padStart(3, '0')}.log.gz` }));
    listing(
      [
        ...objects,
        { key: 'cf/http_requests/' }, // folder marker
        { key: 'cf/empty.log.gz', size: 0 },
        { key: 'cf/ownership-challenge-1a2b3c.txt' },
      ],
      7,
    );
    sqsMock.on(SendMessageBatchCommand).callsFake(okAll);
    const progress: number[] = [];
    const r = await runBackfill(
      { bucket: 'b', prefix: 'cf/', queueUrl: QUEUE, region: 'eu-west-1', concurrency: 2 },
      { ...clients(), sleep: noSleep, onProgress: (p) => progress.push(p.queued) },
    );
    expect(r).toMatchObject({ listed: 26, queued: 23, skipped: 3, failed: 0, listingDone: true });
    expect(r.skippedBy).toEqual({ folder: 1, empty: 1, ownership_challenge: 1 });
    const calls = sqsMock.commandCalls(SendMessageBatchCommand);
    expect(calls.map((c) => c.args[0].input.Entries!.length)).toEqual([10, 10, 3]);
    for (const c of calls) {
      expect(c.args[0].input.QueueUrl).toBe(QUEUE);
      const ids = c.args[0].input.Entries!.map((e) => e.Id);
      expect(new Set(ids).size).toBe(ids.length);
    }
    const bodies = sentBodies();
    for (const b of bodies) expect(JSON.parse(b).Records).toHaveLength(1);
    expect(bodies.flatMap((b) => objectRefs(JSON.parse(b)).map((x) => x.key)).sort()).toEqual(objects.map((o) => o.key));
    expect(r.resumeAfter).toBe(objects[22]!.key);
    expect(progress.length).toBeGreaterThan(0);
    expect(s3Mock.commandCalls(ListObjectsV2Command).length).toBe(4); // 26 keys in pages of 7
  });

  test('retries the entries SQS failed, not the ones it took; sender faults are not retried', async () => {
    listing(Array.from({ length: 10 }, (_, i) => ({ key: `k/${i}.gz` })));
    let call = 0;
    sqsMock.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => {
      call++;
      const entries = input.Entries ?? [];
      if (call === 1) {
        return {
          Successful: entries.filter((e) => !['m2', 'm5', 'm7'].includes(e.Id!)).map((e) => ({ Id: e.Id, MessageId: 'x', MD5OfMessageBody: 'x' })),
          Failed: [
            { Id: 'm2', Code: 'InternalError', SenderFault: false, Message: 'try again' },
            { Id: 'm5', Code: 'InternalError', SenderFault: false },
            { Id: 'm7', Code: 'InvalidMessageContents', SenderFault: true, Message: 'bad' },
          ],
        };
      }
      return okAll(input);
    });
    const sleeps: number[] = [];
    const r = await runBackfill(
      { bucket: 'b', queueUrl: QUEUE, region: 'us-east-1' },
      { ...clients(), sleep: async (ms) => void sleeps.push(ms) },
    );
    expect(r).toMatchObject({ listed: 10, queued: 9, failed: 1 });
    expect(r.failedKeys).toEqual([{ key: 'k/7.gz', error: 'InvalidMessageContents: bad' }]);
    const calls = sqsMock.commandCalls(SendMessageBatchCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1]!.args[0].input.Entries!.map((e) => e.Id)).toEqual(['m2', 'm5']);
    expect(sleeps).toEqual([200]);
  });

  test('a failing call is retried with backoff, then its objects count as failed', async () => {
    listing([{ key: 'a.gz' }, { key: 'b.gz' }]);
    sqsMock.on(SendMessageBatchCommand).rejects(new Error('AWS.SimpleQueueService.NonExistentQueue'));
    const sleeps: number[] = [];
    const r = await runBackfill(
      { bucket: 'b', queueUrl: QUEUE, region: 'us-east-1', maxAttempts: 4 },
      { ...clients(), sleep: async (ms) => void sleeps.push(ms) },
    );
    expect(r).toMatchObject({ queued: 0, failed: 2 });
    expect(r.failedKeys.map((f) => f.key)).toEqual(['a.gz', 'b.gz']);
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(4);
    expect(sleeps).toEqual([200, 400, 800]);
  });

  test('--since skips older objects; --start-after resumes; dry run sends nothing', async () => {
    listing([
      { key: 'a/1.gz', lastModified: new Date('2026-10-31T23:59:59Z') },
      { key: 'a/2.gz', lastModified: new Date('2026-11-01T00:00:00Z') },
      { key: 'a/3.gz', lastModified: new Date('2026-11-02T00:00:00Z') },
    ]);
    sqsMock.on(SendMessageBatchCommand).callsFake(okAll);
    const since = await runBackfill({ bucket: 'b', queueUrl: QUEUE, region: 'r', since: new Date('2026-11-01T00:00:00Z') }, clients());
    expect(since).toMatchObject({ listed: 3, queued: 2, skipped: 1, skippedBy: { before_since: 1 } });
    sqsMock.resetHistory();
    const resumed = await runBackfill({ bucket: 'b', queueUrl: QUEUE, region: 'r', startAfter: 'a/2.gz' }, clients());
    expect(resumed).toMatchObject({ listed: 1, queued: 1 });
    expect(objectRefs(JSON.parse(sentBodies()[0]!))[0]!.key).toBe('a/3.gz');
    sqsMock.resetHistory();
    const dry = await runBackfill({ bucket: 'b', region: 'r', dryRun: true }, { s3: clients().s3 });
    expect(dry).toMatchObject({ listed: 3, queued: 3, dryRun: true });
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
  });

  test('the resume point only passes batches that have completed', async () => {
    listing(Array.from({ length: 30 }, (_, i) => ({ key: `k/${String(i).padStart(2, '0')}` })));
    const release: (() => void)[] = [];
    sqsMock.on(SendMessageBatchCommand).callsFake(
      (input: SendMessageBatchCommandInput) =>
        new Promise((resolve) => {
          // The first batch is slow: later batches finish first.
          if (input.Entries![0]!.MessageBody!.includes('k/00')) release.push(() => resolve(okAll(input)));
          else resolve(okAll(input));
        }),
    );
    const seen: (string | undefined)[] = [];
    const done = runBackfill(
      { bucket: 'b', queueUrl: QUEUE, region: 'r', concurrency: 3 },
      { ...clients(), onProgress: (p) => seen.push(p.resumeAfter) },
    );
    while (release.length === 0) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 20));
    expect(seen.every((k) => k === undefined)).toBe(true); // batch 1 still in flight
    release[0]!();
    const r = await done;
    expect(r.resumeAfter).toBe('k/29');
  });
});

describe('progress line', () => {
  const state = { listed: 120, queued: 40, skipped: 20, failed: 0, listingDone: false, resumeAfter: undefined };

  test('format: a bar against what is listed so far, then exact', () => {
    expect(formatProgress(state, { label: 's3://b/p', dryRun: false, elapsedMs: 2000, barWidth: 10 })).toBe(
      's3://b/p [####......] queued 40/100+, skipped 20, listed 120 (listing), 20/s',
    );
    expect(formatProgress({ ...state, queued: 98, failed: 2, listingDone: true }, { label: 'x', dryRun: false, elapsedMs: 1000, barWidth: 0 })).toBe(
      'x queued 98 (+2 failed)/100, skipped 20, listed 120, 100/s',
    );
    expect(formatProgress({ ...state, listed: 0, skipped: 0, queued: 0, listingDone: true }, { label: 'x', dryRun: true, elapsedMs: 0, barWidth: 4 })).toBe(
      'x [####] would queue 0/0, skipped 0, listed 0, 0/s',
    );
  });

  test('not a terminal: periodic plain lines', () => {
    const out = new PassThrough();
    let now = 0;
    const p = new ProgressLine(out, { label: 'L', dryRun: false, intervalMs: 1000, clock: () => now });
    p.update(state); // first draw
    now = 500;
    p.update(state); // too soon
    now = 1600;
    p.update({ ...state, queued: 60 });
    p.finish({ ...state, queued: 100, listingDone: true });
    const lines = String(out.read()).split('\n').filter(Boolean);
    expect(lines).toHaveLength(3);
    expect(lines[2]).toContain('queued 100/100,');
    expect(lines.join('')).not.toContain('\r');
  });

  test('a terminal: one line redrawn in place, ended by a newline', () => {
    const out = Object.assign(new PassThrough(), { isTTY: true, columns: 200 });
    let now = 0;
    const p = new ProgressLine(out, { label: 'L', dryRun: false, clock: () => now });
    p.update(state);
    now = 50;
    p.update(state); // within 100 ms: not drawn
    now = 200;
    p.update(state);
    p.finish({ ...state, listingDone: true });
    const text = String(out.read());
    expect(text.split('\r\x1b[2K')).toHaveLength(4);
    expect(text.endsWith('\n')).toBe(true);
    expect(text.slice(0, -1)).not.toContain('\n');
  });
});

describe('cflogs backfill (command)', () => {
  function io() {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    return { stdout, stderr, ...clients(), text: () => ({ out: String(stdout.read() ?? ''), err: String(stderr.read() ?? '') }) };
  }

  test('a wrong command line is a UsageError, part of the CflogsError hierarchy', async () => {
    await expect(backfillCommand([], io())).rejects.toThrow(/--bucket is required/);
    await expect(backfillCommand([], io())).rejects.toBeInstanceOf(CflogsError);
    await expect(backfillCommand(['--bucket', 'b'], io())).rejects.toThrow(/--queue is required/);
    await expect(backfillCommand(['--bucket', 'b', '--queue', QUEUE, '--bogus'], io())).rejects.toThrow(UsageError);
    await expect(backfillCommand(['--bucket', 'b', '--queue', QUEUE, '--since', 'yesterday'], io())).rejects.toThrow(/--since/);
    await expect(backfillCommand(['--bucket', 'b', '--queue', QUEUE, '--concurrency', '0'], io())).rejects.toThrow(/--concurrency/);
  });

  test('queues, prints a final count, exit 0; exit 1 with the keys that failed', async () => {
    listing([{ key: 'cf/a.gz' }, { key: 'cf/b.gz' }, { key: 'cf/' }]);
    sqsMock.on(SendMessageBatchCommand).callsFake(okAll);
    const a = io();
    expect(await backfillCommand(['--bucket', 'b', '--prefix', 'cf/', '--queue', QUEUE], a)).toBe(0);
    const t = a.text();
    expect(t.out).toBe(`queued 2 of 3 objects listed under s3://b/cf/ to ${QUEUE}; skipped 1 (folder 1); failed 0\n`);
    expect(t.err).toContain('queued 2/2, skipped 1, listed 3');

    sqsMock.reset();
    sqsMock.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => ({
      Successful: [],
      Failed: (input.Entries ?? []).map((e) => ({ Id: e.Id, Code: 'InvalidParameterValue', SenderFault: true, Message: 'nope' })),
    }));
    const b = io();
    expect(await backfillCommand(['--bucket', 'b', '--queue', QUEUE], b)).toBe(1);
    const tb = b.text();
    expect(tb.out).toContain('queued 0 of 3');
    expect(tb.err).toContain('not queued: cf/a.gz: InvalidParameterValue: nope');
  });

  test('--dry-run lists and counts without a queue', async () => {
    listing([{ key: 'x/1.gz' }, { key: 'x/2.gz', size: 0 }]);
    const a = io();
    expect(await backfillCommand(['--bucket', 'b', '--dry-run'], a)).toBe(0);
    expect(a.text().out).toBe('dry run: would queue 1 of 2 objects listed under s3://b/; skipped 1 (empty 1); failed 0\n');
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
  });

  test('helpers', () => {
    expect(parseSince('2026-11-01').toISOString()).toBe('2026-11-01T00:00:00.000Z');
    expect(parseSince('2026-11-01T12:30:00+02:00').toISOString()).toBe('2026-11-01T10:30:00.000Z');
    expect(() => parseSince('2026-11-01T12:30:00')).toThrow(UsageError); // no zone: ambiguous
    expect(regionOfQueue(QUEUE)).toBe('eu-west-1');
    expect(regionOfQueue('https://sqs.cn-north-1.amazonaws.com.cn/1/q')).toBe('cn-north-1');
    expect(regionOfQueue('http://localhost:9324/queue/q')).toBeUndefined();
    expect(
      summary(
        { listed: 5, queued: 3, skipped: 2, failed: 0, listingDone: true, resumeAfter: 'k', skippedBy: { empty: 2 }, failedKeys: [], dryRun: false },
        's3://b/',
        QUEUE,
      ),
    ).toBe(`queued 3 of 5 objects listed under s3://b/ to ${QUEUE}; skipped 2 (empty 2); failed 0`);
  });
});
