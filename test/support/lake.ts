import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Router } from '../../lib/route/router';
import { builtInRegistry } from '../../lib/record/registry';
import { S3Store } from '../../lib/aws/s3-store';
import { s3ObjectSource } from '../../lib/aws/s3-source';
import { powertoolsSqsBatch } from '../../lib/aws/sqs-batch';
import type { LakeFormat } from '../../lib/lake/format';
import type { ObjectDeps } from '../../lib/s3/object';
import type { Log } from '../../lib/log';
import { DEFAULT_LIMITS } from '../../lib/pipeline/process';
import { OutputCodec, outputCodec } from '../../lib/lake/codec';
import { readLakeFile } from '../../testkit/lake-files';

export const INPUT = 'cflogs-it-input';
export const LAKE = 'cflogs-it-lake';

export function tempDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `cflogs-${name}-`));
}

/** Every file under `dir` (a local lake), relative to it, sorted. */
export function filesUnder(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else found.push(relative(dir, p));
    }
  };
  walk(dir);
  return found.sort();
}

export async function put(s3: S3Client, key: string, body: Buffer | string): Promise<{ size: number; eTag: string }> {
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  const r = await s3.send(new PutObjectCommand({ Bucket: INPUT, Key: key, Body: buf }));
  return { size: buf.length, eTag: r.ETag ?? '' };
}

export async function listKeys(s3: S3Client, bucket = LAKE, prefix = ''): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const r = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of r.Contents ?? []) if (o.Key) keys.push(o.Key);
    token = r.NextContinuationToken;
  } while (token);
  return keys.sort();
}

/** The raw bytes of an object. */
export async function readBytes(s3: S3Client, key: string, bucket = LAKE): Promise<Buffer> {
  const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await (r.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
}

/** The rows of a lake file, whichever codec wrote it (zstd or gzip). */
export async function readLakeLines(s3: S3Client, key: string, bucket = LAKE): Promise<Record<string, unknown>[]> {
  return readLakeFile(await readBytes(s3, key, bucket))
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Every row in the lake (`logs/`), keyed by output file. */
export async function lakeRows(s3: S3Client, prefix = 'logs/'): Promise<Map<string, Record<string, unknown>[]>> {
  const out = new Map<string, Record<string, unknown>[]>();
  for (const k of await listKeys(s3, LAKE, prefix)) out.set(k, await readLakeLines(s3, k));
  return out;
}

export interface RecordedLog extends Log {
  lines: { level: string; message: string; extra: Record<string, unknown> }[];
}

export function recordingLog(): RecordedLog {
  const lines: RecordedLog['lines'] = [];
  const at = (level: string) => (message: string, ...extra: Record<string, unknown>[]) =>
    lines.push({ level, message, extra: Object.assign({}, ...extra) });
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}

/** The Lambda's deps against `s3`; rows as NDJSON (what most tests read) in the default codec (zstd) unless told. */
export function objectDeps(s3: S3Client, log: Log, now = new Date('2026-11-24T12:00:00Z'), codec: OutputCodec = outputCodec('zstd'), format: LakeFormat = 'ndjson'): ObjectDeps {
  return {
    source: s3ObjectSource(s3),
    sqsBatch: powertoolsSqsBatch,
    store: new S3Store(s3, LAKE, 5 * 1024 * 1024),
    router: new Router([], builtInRegistry()),
    config: { outputPrefix: '', limits: DEFAULT_LIMITS, codec, format, maxOpenFiles: 16, salvageAfterReceives: 3 },
    clock: () => now,
    log,
  };
}
