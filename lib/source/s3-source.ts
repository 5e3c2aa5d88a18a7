import { GetObjectCommand, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { SourceError } from '../errors';
import type { ObjectRef } from './s3-events';

export interface OpenedObject {
  body: AsyncIterable<Buffer>;
  /** bucket, key and version or ETag: what makes this content unique. */
  identity: string;
  contentLength: number | undefined;
  lastModified: Date | undefined;
}

/** Opens an object as a byte stream; `undefined` when it no longer exists (deleted since the event). */
export async function openS3Object(s3: S3Client, ref: ObjectRef): Promise<OpenedObject | undefined> {
  try {
    const res = await s3.send(
      new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, ...(ref.versionId ? { VersionId: ref.versionId } : {}) }),
    );
    const body = res.Body as Readable | undefined;
    if (!body) throw new Error('GetObject returned no body');
    const version = res.VersionId ?? ref.versionId ?? res.ETag ?? ref.eTag ?? '';
    return {
      body,
      identity: `s3://${ref.bucket}/${ref.key}#${version}`,
      contentLength: res.ContentLength,
      lastModified: res.LastModified,
    };
  } catch (e) {
    if (e instanceof NoSuchKey || (e as { name?: string }).name === 'NoSuchKey') return undefined;
    throw new SourceError(`GetObject failed: ${(e as Error).message}`, { bucket: ref.bucket, key: ref.key }, { cause: e });
  }
}
