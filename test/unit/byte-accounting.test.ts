/**
 * The bytes of an S3 object are its size: a GetObject body that ends short of or beyond the object's Content-Length
 * is a read failure (retried), never an object read whole.
 */
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import type { S3Client } from '@aws-sdk/client-s3';
import { SourceError } from '../../lib/errors';
import { DEFAULT_LIMITS, processStream } from '../../lib/pipeline/process';
import { builtInRegistry } from '../../lib/record/registry';
import { openS3Object } from '../../lib/aws/s3-source';
import { MemorySink } from '../../testkit/memory-sink';
import { failure } from '../support/failure';

const REF = { bucket: 'cf-logs', key: 'http_requests/20261101/20261101T100000Z_20261101T100030Z_0b1ec7.log.gz' };
const LINES = Buffer.from(Array.from({ length: 200 }, (_, i) => `{"EdgeStartTimestamp":"2026-11-01T10:00:00Z","RayID":"r${i}"}\n`).join(''));

/** An S3 client whose GetObject answers `body` in 1000-byte chunks, announcing `contentLength`. */
const s3 = (body: Buffer, contentLength: number): S3Client =>
  ({
    send: async () => ({
      Body: Readable.from(Array.from({ length: Math.ceil(body.length / 1000) }, (_, i) => body.subarray(i * 1000, (i + 1) * 1000))),
      ContentLength: contentLength,
      ETag: '"e"',
    }),
  }) as unknown as S3Client;

async function ingest(body: Buffer, contentLength: number) {
  const opened = await openS3Object(s3(body, contentLength), REF);
  if (!opened) throw new Error('no object');
  const sink = new MemorySink();
  const summary = processStream(
    opened.body,
    {
      source: `s3://${REF.bucket}/${REF.key}`,
      identity: opened.identity,
      entry: builtInRegistry().require('Cloudflare.HttpRequest'),
      location: REF,
    },
    { sink, now: new Date('2026-11-24T12:00:00Z'), limits: DEFAULT_LIMITS },
  );
  return { summary, sink };
}

describe('an S3 object is read to exactly its size', () => {
  const gz = gzipSync(LINES);

  test('a body as long as the object: every byte read and decoded', async () => {
    const { summary } = await ingest(gz, gz.length);
    expect(await summary).toMatchObject({ bytesIn: gz.length, rows: 200 });
  });

  test.each([
    ['shorter', gz.length + 10, `GetObject body ended after ${gz.length} of the object's ${gz.length + 10} bytes`],
    ['longer', gz.length - 10, `GetObject body ended after ${gz.length} of the object's ${gz.length - 10} bytes`],
  ])('a body %s than the Content-Length is a SourceError naming the object and both sizes, nothing committed', async (_, length, message) => {
    const { summary, sink } = await ingest(gz, length);
    const e = await failure(summary);
    expect(e).toBeInstanceOf(SourceError);
    expect((e as SourceError).message).toMatch(new RegExp(`^reading input failed: ${message} \\(s3://${REF.bucket}/${REF.key}, line \\d+, byte ${gz.length}\\)$`));
    expect([sink.committed, sink.aborted]).toEqual([false, true]);
  });
});
