/**
 * s3rver in its own process for the e2e contender, so the process measured (the handler's) does not also pay for
 * the server, nor for uploading the input. Creates the buckets, uploads the corpus object, prints
 * `{"endpoint", "eTag", "size"}` on stdout, and exits when its stdin closes.
 */
import { readFileSync } from 'node:fs';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { startLocalS3 } from '../testkit/local-s3';

async function serve(directory: string, file: string, bucket: string, key: string, lake: string): Promise<void> {
  const s3 = await startLocalS3({ directory, buckets: [bucket, lake] });
  const body = readFileSync(file);
  const put = await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  process.stdout.write(JSON.stringify({ endpoint: s3.endpoint, eTag: put.ETag ?? '', size: body.length }) + '\n');
  process.stdin.resume();
  process.stdin.on('end', () => {
    s3.close().finally(() => process.exit(0));
  });
}

const [directory, file, bucket, key, lake] = process.argv.slice(2);
if (!directory || !file || !bucket || !key || !lake) {
  process.stderr.write('usage: s3-server <directory> <file> <bucket> <key> <lake-bucket>\n');
  process.exit(2);
}
serve(directory, file, bucket, key, lake).catch((e: unknown) => {
  process.stderr.write(`s3-server: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
