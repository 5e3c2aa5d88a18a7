/**
 * How each handler reacts to each disposition, without a network: the S3 handler with an in-memory object source
 * and lake, the HTTP handler with a failing stand-in at the core's boundary.
 */
import { PassThrough } from 'node:stream';
import { finished } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import type { SQSBatchResponse } from 'aws-lambda';
import { powertoolsSqsBatch } from '../../lib/aws/sqs-batch';
import { CflogsError, ConfigError, Disposition, Dispositions, InvariantError, MissingObjectError, SourceError } from '../../lib/errors';
import { handleLogpushRequest, HttpDeps, LogpushRequest } from '../../lib/http/handler';
import { outputCodec } from '../../lib/lake/codec';
import type { ObjectStore, WriteTarget } from '../../lib/lake/types';
import { DEFAULT_LIMITS } from '../../lib/pipeline/process';
import { builtInRegistry } from '../../lib/record/registry';
import { Router } from '../../lib/route/router';
import { handleS3Event, IngestReport } from '../../lib/s3/handler';
import type { ObjectDeps, ObjectMetrics, ObjectOutcome, ObjectSource, OpenedObject } from '../../lib/s3/object';
import { s3CreatedEvent, sqsEvent } from '../../testkit/local-s3';
import { RecordedLog, recordingLog } from '../support/lake';

const LINE = (i: number) => `{"ClientIP":"203.0.113.${i}","EdgeStartTimestamp":"2026-11-01T10:00:0${i}Z","RayID":"8a1b2c3d4e5f60${i}0","EdgeResponseStatus":200}`;
const KEY = 'cf/http_requests/20261101/20261101T100000Z_20261101T100030Z_a1.log.gz';
const GOOD = gzipSync(Buffer.from([LINE(1), LINE(2)].join('\n') + '\n'));
/** A gzip stream cut short after its first line: readable in part. */
const TRUNCATED = gzipSync(Buffer.from(Array.from({ length: 200 }, (_, i) => LINE(i % 10)).join('\n') + '\n')).subarray(0, 300);
/** bzip2 by its magic bytes: nothing of it can be read, whatever the attempt. */
const BZIP2 = Buffer.concat([Buffer.from('BZh9'), Buffer.alloc(64, 1)]);

/** Objects appear when their stream ends, as S3 objects do. */
class MemStore implements ObjectStore {
  readonly objects = new Map<string, Buffer>();
  openWrite(key: string): WriteTarget {
    const stream = new PassThrough();
    const chunks: Buffer[] = [];
    stream.on('data', (b: Buffer) => chunks.push(b));
    const result = finished(stream).then(() => void this.objects.set(key, Buffer.concat(chunks)));
    result.catch(() => undefined);
    return { stream, result, abort: async () => void stream.destroy() };
  }
}

/** Serves `body` for every key, or throws `fails`, or answers "no such object" when `body` is undefined. */
function source(body: Buffer | undefined, fails?: unknown): ObjectSource {
  return {
    async open(ref): Promise<OpenedObject | undefined> {
      if (fails !== undefined) throw fails;
      if (body === undefined) return undefined;
      return {
        body: (async function* () {
          yield body;
        })(),
        identity: `s3://${ref.bucket}/${ref.key}#v1`,
        contentLength: body.length,
        lastModified: new Date('2026-11-01T10:01:00Z'),
      };
    },
  };
}

function recordingMetrics(): ObjectMetrics & { done: ObjectOutcome[]; failed: number } {
  const m = { done: [] as ObjectOutcome[], failed: 0, objectDone: (o: ObjectOutcome) => void m.done.push(o), objectFailed: () => void m.failed++ };
  return m;
}

function s3Deps(src: ObjectSource, log: RecordedLog, metrics = recordingMetrics()): ObjectDeps & { store: MemStore } {
  return {
    source: src,
    sqsBatch: powertoolsSqsBatch,
    store: new MemStore(),
    router: new Router([], builtInRegistry()),
    config: { outputPrefix: '', limits: DEFAULT_LIMITS, codec: outputCodec('gzip'), format: 'ndjson', maxOpenFiles: 4, salvageAfterReceives: 3 },
    metrics,
    clock: () => new Date('2026-11-24T12:00:00Z'),
    log,
  };
}

const notification = () => s3CreatedEvent([{ bucket: 'input', key: KEY, size: 1, eTag: 'e1' }]);
const failedIds = (r: unknown) => (r as SQSBatchResponse).batchItemFailures.map((f) => f.itemIdentifier);

describe('the S3 handler acts on the disposition', () => {
  test('retry: a read failure puts the message in batchItemFailures', async () => {
    const log = recordingLog();
    const deps = s3Deps(source(undefined, new SourceError('GetObject failed: SlowDown', { bucket: 'input', key: KEY })), log);
    expect(failedIds(await handleS3Event(sqsEvent([notification()]), deps))).toEqual(['msg-0']);
    const failure = log.lines.find((l) => l.level === 'error');
    expect(failure).toMatchObject({ message: 'object failed; it will be retried', extra: { disposition: 'retry', key: KEY, messageId: 'msg-0' } });
    expect((deps.metrics as ReturnType<typeof recordingMetrics>).failed).toBe(1);
  });

  test('retry: an unexpected error (not a CflogsError) is retried as well', async () => {
    const deps = s3Deps(source(undefined, new TypeError('boom')), recordingLog());
    expect(failedIds(await handleS3Event(sqsEvent([notification()]), deps))).toEqual(['msg-0']);
  });

  test('salvage: a corrupt object fails an early receive, and a late receive keeps its readable rows and acknowledges it', async () => {
    const early = recordingLog();
    expect(failedIds(await handleS3Event(sqsEvent([notification()], { receiveCount: 1 }), s3Deps(source(TRUNCATED), early)))).toEqual(['msg-0']);
    expect(early.lines.find((l) => l.level === 'error')?.extra).toMatchObject({ disposition: 'salvage', errorName: 'DecodeError' });

    const late = recordingLog();
    const deps = s3Deps(source(TRUNCATED), late);
    expect(failedIds(await handleS3Event(sqsEvent([notification()], { receiveCount: 3 }), deps))).toEqual([]);
    expect(late.lines.some((l) => l.message.startsWith('object is corrupt: kept its readable rows'))).toBe(true);
    const done = (deps.metrics as ReturnType<typeof recordingMetrics>).done;
    expect(done).toEqual([expect.objectContaining({ status: 'processed', summary: expect.objectContaining({ salvaged: true }) })]);
    expect(deps.store.objects.size).toBeGreaterThan(0);
  });

  test('skip: an object deleted since its announcement is acknowledged with a warning', async () => {
    const log = recordingLog();
    const deps = s3Deps(source(undefined), log);
    expect(failedIds(await handleS3Event(sqsEvent([notification()]), deps))).toEqual([]);
    const warning = log.lines.find((l) => l.level === 'warn');
    expect(warning?.message).toBe('object skipped: it no longer exists');
    expect(warning?.extra).toMatchObject({ bucket: 'input', key: KEY, reason: 'missing', messageId: 'msg-0', receiveCount: 1 });
    expect((deps.metrics as ReturnType<typeof recordingMetrics>).done).toEqual([{ status: 'skipped', reason: 'missing' }]);
    expect(log.lines.filter((l) => l.level === 'error')).toEqual([]);
  });

  test('skip: any error whose disposition is skip is acknowledged, and a direct invocation reports it skipped', async () => {
    const deps = s3Deps(source(undefined, new MissingObjectError('object no longer exists', { bucket: 'input', key: KEY })), recordingLog());
    const report = (await handleS3Event(notification(), deps)) as IngestReport;
    expect(report.outcomes).toEqual([{ status: 'skipped', reason: 'missing' }]);
  });

  test('dead-letter: a message naming no object fails, so that it reaches the dead-letter queue', async () => {
    const log = recordingLog();
    const event = sqsEvent([{ hello: 'world' }, notification()]);
    expect(failedIds(await handleS3Event(event, s3Deps(source(GOOD), log)))).toEqual(['msg-0']);
    expect(log.lines.find((l) => l.level === 'error')?.extra).toMatchObject({ errorName: 'NotificationError', messageId: 'msg-0' });
  });

  test.each([
    ['InvariantError', new InvariantError('counts did not reconcile', { bucket: 'input', key: KEY })],
    ['ConfigError', new ConfigError('no such rule')],
  ])('dead-letter (%s): the message fails, and the log says no retry can fix it', async (_name, error) => {
    const log = recordingLog();
    expect(failedIds(await handleS3Event(sqsEvent([notification()]), s3Deps(source(undefined, error), log)))).toEqual(['msg-0']);
    const failure = log.lines.find((l) => l.level === 'error');
    expect(failure?.message).toMatch(/no retry can fix it/);
    expect(failure?.extra).toMatchObject({ disposition: 'dead-letter' });
  });

  test('client: an object nothing can read fails (no sender to answer), on late receives too', async () => {
    const log = recordingLog();
    expect(failedIds(await handleS3Event(sqsEvent([notification()], { receiveCount: 5 }), s3Deps(source(BZIP2), log)))).toEqual(['msg-0']);
    expect(log.lines.find((l) => l.level === 'error')?.extra).toMatchObject({ disposition: 'client', errorName: 'DecodeError' });
  });

  test('only the failed message is retried: the others in the batch are acknowledged', async () => {
    const log = recordingLog();
    const deps = s3Deps(source(GOOD), log);
    const event = sqsEvent([notification(), notification()]);
    // The second message's object fails: the source fails from its second open on.
    let opens = 0;
    const good = deps.source;
    deps.source = { open: (ref) => (++opens === 1 ? good.open(ref) : Promise.reject(new SourceError('reset', ref))) };
    expect(failedIds(await handleS3Event(event, deps))).toEqual(['msg-1']);
  });
});

const SECRET = 'disposition-secret';

function httpDeps(over: Partial<HttpDeps> = {}): HttpDeps & { log: RecordedLog } {
  return {
    http: { secretHeader: 'x-secret', getSecret: async () => SECRET, maxBodyBytes: 1 << 20, defaultDataset: undefined },
    router: new Router([], builtInRegistry()),
    store: new MemStore(),
    config: { outputPrefix: 'lake/', limits: { maxLineBytes: 4096, maxDecompressedBytes: 1 << 20 }, codec: outputCodec('zstd', 1), format: 'ndjson', maxOpenFiles: 4 },
    clock: () => new Date('2026-03-04T05:06:07Z'),
    log: recordingLog(),
    ...over,
  } as HttpDeps & { log: RecordedLog };
}

function post(body: Buffer): LogpushRequest {
  return { method: 'POST', path: '/http_requests', query: {}, headers: { 'x-secret': SECRET }, body, requestId: 'req-1' };
}

/** A failure with whatever disposition a test asks for. */
class Failing extends CflogsError {
  constructor(private readonly d: Disposition) {
    super(`failing with ${d.kind}`);
  }
  override get disposition(): Disposition {
    return this.d;
  }
}

/**
 * The clock is read as the core starts, inside the handler's guard around it: a clock that throws stands in for any
 * failure the core raises.
 */
const failingClock = (e: unknown) => () => {
  throw e;
};

describe('the HTTP handler answers the status the disposition says', () => {
  test.each<[string, number, Disposition]>([
    ['retry', 500, Dispositions.retry],
    ['dead-letter', 500, Dispositions.deadLetter],
    ['salvage', 400, Dispositions.salvage],
    ['client 400', 400, Dispositions.client(400)],
    ['client 413', 413, Dispositions.client(413)],
    ['skip', 500, Dispositions.skip('missing')],
  ])('%s answers %i', async (_name, status, d) => {
    const deps = httpDeps({ clock: failingClock(new Failing(d)) });
    const res = await handleLogpushRequest(post(Buffer.from(LINE(1) + '\n')), deps);
    expect(res.status).toBe(status);
    expect(res.headers['x-request-id']).toBe('req-1');
    const logged = deps.log.lines.find((l) => l.level === (status < 500 ? 'warn' : 'error'));
    expect(logged?.extra).toMatchObject({ requestId: 'req-1', status });
  });

  test('an unexpected error (not a CflogsError) is a 500, so that Logpush retries', async () => {
    const res = await handleLogpushRequest(post(Buffer.from(LINE(1) + '\n')), httpDeps({ clock: failingClock(new TypeError('boom')) }));
    expect(res.status).toBe(500);
    expect(JSON.parse(res.body)).toEqual({ error: 'writing the output failed; retry' });
  });

  test('salvage: a corrupt gzip body is the client\'s 400 (a retry sends the same bytes)', async () => {
    const res = await handleLogpushRequest(post(TRUNCATED), httpDeps());
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error).toMatch(/^undecodable body: /);
  });

  test('client: a body in a compression cflogs cannot read is a 400', async () => {
    const res = await handleLogpushRequest(post(BZIP2), httpDeps());
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error).toMatch(/^undecodable body: .*bzip2/);
  });

  test('retry: a failing sink is a 500', async () => {
    const store: ObjectStore = {
      openWrite(): WriteTarget {
        const stream = new PassThrough();
        stream.resume();
        const result = finished(stream).then(() => {
          throw new Error('SlowDown');
        });
        result.catch(() => undefined);
        return { stream, result, abort: async () => void stream.destroy() };
      },
    };
    const res = await handleLogpushRequest(post(Buffer.from(LINE(1) + '\n')), httpDeps({ store }));
    expect(res.status).toBe(500);
  });
});
