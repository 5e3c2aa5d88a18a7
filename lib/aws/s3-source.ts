import { GetObjectCommand, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { SourceError } from '../errors';
import type { ObjectRef } from '../s3/events';
import type { ObjectSource, OpenedObject } from '../s3/object';

/** The S3 handler's source: GetObject on the client given (region, endpoint and retries are the caller's). */
export function s3ObjectSource(s3: S3Client): ObjectSource {
  return { open: (ref) => openS3Object(s3, ref) };
}

/**
 * Opens an object as a byte stream; `undefined` when it no longer exists (deleted since the event: 404 NoSuchKey,
 * or NoSuchVersion for a version id).
 *
 * S3 answers 404 for a missing key only to a caller allowed `s3:ListBucket` on it (the stack grants it on the input
 * prefixes); to anyone else it answers 403 AccessDenied, the same answer as for a real permission problem (the
 * role, the bucket policy, the object's KMS key, an object owned by another account). A 403 is therefore never
 * taken for a deleted object: it is a SourceError, retried and then dead-lettered, whose message says both causes.
 */
export async function openS3Object(s3: S3Client, ref: ObjectRef): Promise<OpenedObject | undefined> {
  try {
    const res = await s3.send(
      new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, ...(ref.versionId ? { VersionId: ref.versionId } : {}) }),
    );
    const body = res.Body as Readable | undefined;
    if (!body) throw new Error('GetObject returned no body');
    const version = res.VersionId ?? ref.versionId ?? res.ETag ?? ref.eTag ?? '';
    return {
      body: res.ContentLength === undefined ? body : ofLength(body, res.ContentLength),
      identity: `s3://${ref.bucket}/${ref.key}#${version}`,
      contentLength: res.ContentLength,
      lastModified: res.LastModified,
    };
  } catch (e) {
    const where = { bucket: ref.bucket, key: ref.key };
    const name = (e as { name?: string }).name;
    if (e instanceof NoSuchKey || name === 'NoSuchKey' || name === 'NoSuchVersion') return undefined;
    if (name === 'AccessDenied' || (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 403) {
      throw new SourceError(
        'GetObject was refused (403 AccessDenied): the function may not read this object (its role, the bucket ' +
          'policy, the KMS key of the object), or the object no longer exists and the role lacks s3:ListBucket on ' +
          'its prefix (S3 then answers 403 instead of 404)',
        where,
        { cause: e },
      );
    }
    throw new SourceError(`GetObject failed: ${(e as Error).message}`, where, { cause: e });
  }
}

/**
 * The body, failing as a read error if it ends with more or fewer bytes than the object has: the bytes read are then
 * the object's size, and the core checks that its decoder used every one of them.
 */
async function* ofLength(body: AsyncIterable<Buffer>, length: number): AsyncGenerator<Buffer> {
  let n = 0;
  for await (const b of body) {
    n += b.length;
    yield b;
  }
  if (n !== length) throw new Error(`GetObject body ended after ${n} of the object's ${length} bytes`);
}
