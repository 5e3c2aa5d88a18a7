import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { MetadataFiles } from './glue-catalog';
import { encodeHandoff, HandoffSender, TableHandoff } from '../iceberg/handoff';

/** The bucket and key of an s3:// URI. */
export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!m) throw new Error(`not an s3:// URI of an object: ${uri}`);
  return { bucket: m[1] as string, key: m[2] as string };
}

/** Iceberg's metadata files (metadata JSON, manifest lists, manifests) in S3, by their s3:// URIs. */
export function s3MetadataFiles(s3: S3Client): MetadataFiles {
  return {
    async read(location) {
      const { bucket, key } = parseS3Uri(location);
      const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (!res.Body) throw new Error(`GetObject ${location} returned no body`);
      return Buffer.from(await res.Body.transformToByteArray());
    },
    async write(location, bytes) {
      const { bucket, key } = parseS3Uri(location);
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes }));
    },
  };
}

/** Hand-offs as messages on the committer's queue, one per table and input (usually one per input). */
export function sqsHandoffSender(sqs: SQSClient, queueUrl: string): HandoffSender {
  return {
    async send(messages: readonly TableHandoff[]) {
      for (const m of messages) await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: encodeHandoff(m) }));
    },
  };
}
