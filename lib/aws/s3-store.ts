import { PassThrough } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { ObjectStore, WriteTarget } from '../lake/types';

/** Streams each output object to S3 with a multipart upload (one part in memory at a time per file). */
export class S3Store implements ObjectStore {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    // 5 MiB is S3's smallest part; with one part in flight an open file holds ~10 MiB at most.
    private readonly partSize = 5 * 1024 * 1024,
  ) {}

  openWrite(key: string): WriteTarget {
    const body = new PassThrough({ highWaterMark: 1024 * 1024 });
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: key, Body: body, ContentType: 'application/x-ndjson' },
      partSize: this.partSize,
      queueSize: 1,
      leavePartsOnError: false,
    });
    const result = upload.done().then(() => undefined);
    result.catch(() => undefined); // observed by the writer; avoid an unhandled rejection meanwhile
    return {
      stream: body,
      result,
      abort: async () => {
        body.destroy();
        await upload.abort().catch(() => undefined);
        await result.catch(() => undefined);
      },
    };
  }
}
