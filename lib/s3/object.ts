import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../config';
import type { Log } from '../log';
import { formatDate } from '../parse/timestamps';
import type { Router } from '../route/router';
import { LakeWriter } from '../lake/writer';
import type { ObjectStore } from '../sink/types';
import { openS3Object } from './source';
import { ObjectRef, skipReason } from './events';
import type { ObjectMetrics } from './metrics';
import { processStream, ProcessSummary, summaryFields } from '../pipeline/process';

/** How many times this object's message has been received (SQS), when known. */
export interface Delivery {
  receiveCount?: number;
  messageId?: string;
}

export interface ObjectDeps {
  s3: S3Client;
  /** Where output goes: S3Store for the Lambda, LocalStore for local runs. */
  store: ObjectStore;
  router: Router;
  config: Pick<Config, 'outputPrefix' | 'limits' | 'gzipLevel' | 'maxOpenFiles'> & Partial<Pick<Config, 'salvageAfterReceives'>>;
  metrics?: ObjectMetrics;
  clock: () => Date;
  log: Log;
}

export type ObjectOutcome =
  | { status: 'processed'; summary: ProcessSummary }
  | { status: 'skipped'; reason: 'folder' | 'empty' | 'ownership_challenge' | 'no_route' | 'missing' };

/**
 * One S3 object, end to end: skip rules, routing, GetObject, the core, the lake. Throws (so the message is
 * retried) only for failures a retry can fix or that must stay visible: I/O, corrupt input, sink errors.
 */
export async function processS3Object(ref: ObjectRef, deps: ObjectDeps, delivery: Delivery = {}): Promise<ObjectOutcome> {
  const outcome = await processOne(ref, deps, delivery);
  deps.metrics?.objectDone(outcome);
  return outcome;
}

async function processOne(ref: ObjectRef, deps: ObjectDeps, delivery: Delivery): Promise<ObjectOutcome> {
  const where = { bucket: ref.bucket, key: ref.key };
  const skip = skipReason(ref);
  if (skip) {
    deps.log.info('object skipped', { ...where, reason: skip });
    return { status: 'skipped', reason: skip };
  }
  const route = deps.router.route(ref.key);
  if (!route) {
    deps.log.warn('object skipped: key routes to no log type (add a route or put the dataset name in the path)', {
      ...where,
      reason: 'no_route',
    });
    return { status: 'skipped', reason: 'no_route' };
  }
  const opened = await openS3Object(deps.s3, ref);
  if (!opened) {
    // Deleted between its announcement and now (S3 answered 404): nothing to read, and no retry would find it.
    deps.log.warn('object skipped: it no longer exists', { ...where, reason: 'missing', ...delivery });
    return { status: 'skipped', reason: 'missing' };
  }
  if (opened.contentLength === 0) {
    deps.log.info('object skipped', { ...where, reason: 'empty' });
    return { status: 'skipped', reason: 'empty' };
  }
  const now = deps.clock();
  const sink = new LakeWriter({
    store: deps.store,
    prefix: deps.config.outputPrefix,
    baseName: outputBaseName(ref.key, opened.identity),
    rejectTime: formatDate(opened.lastModified ?? now),
    gzipLevel: deps.config.gzipLevel,
    maxOpenFiles: deps.config.maxOpenFiles,
  });
  const summary = await processStream(
    opened.body,
    {
      source: `s3://${ref.bucket}/${ref.key}`,
      identity: opened.identity,
      entry: route.entry,
      filters: route.filters,
      ...(route.sourceId !== undefined ? { sourceId: route.sourceId } : {}),
      ...(route.sourceLabel !== undefined ? { sourceLabel: route.sourceLabel } : {}),
      location: where,
    },
    {
      sink,
      now,
      limits: deps.config.limits,
      salvageCorrupt: salvageThisTime(delivery, deps.config.salvageAfterReceives ?? 0),
    },
  );
  if (summary.salvaged) {
    deps.log.error('object is corrupt: kept its readable rows and recorded the rest as a corrupt_input reject', {
      ...where,
      receiveCount: delivery.receiveCount,
    });
  }
  deps.log.info('object processed', { ...where, route: route.via, ...summaryFields(summary) });
  return { status: 'processed', summary };
}

function salvageThisTime(d: Delivery, after: number): boolean {
  return after > 0 && d.receiveCount !== undefined && d.receiveCount >= after;
}

/**
 * Output file stem: the input's file name (readable) + a hash of its identity (unique, deterministic).
 * `20221115T000000Z_20221115T000030Z_9af500e2.log.gz` -> `20221115T000000Z_20221115T000030Z_9af500e2-<12 hex>`.
 */
export function outputBaseName(key: string, identity: string): string {
  const file = key.slice(key.lastIndexOf('/') + 1).replace(/\.(log|json|ndjson|txt)?(\.gz)?$/i, '');
  const readable = file.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80) || 'object';
  return `${readable}-${createHash('sha256').update(identity).digest('hex').slice(0, 12)}`;
}
