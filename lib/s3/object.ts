import type { Alerting } from '../alerts/alerting';
import type { HandoffTarget } from '../iceberg/handoff';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { Config } from '../config';
import type { Log } from '../log';
import type { Router } from '../route/router';
import { MissingObjectError } from '../errors';
import { objectBaseName } from '../lake/layout';
import type { ObjectStore } from '../lake/types';
import { ObjectRef, skipReason } from './events';
import { detectRoute } from '../pipeline/log-type';
import { ingest, IngestBody } from '../pipeline/ingest';
import type { ProcessSummary } from '../pipeline/process';
import type { ScanAhead } from '../pipeline/scan-ahead';

/** How many times this object's message has been received (SQS), when known. */
export interface Delivery {
  receiveCount?: number;
  messageId?: string;
}

export interface OpenedObject {
  body: AsyncIterable<Buffer>;
  /** bucket, key and version or ETag: what makes this content unique. */
  identity: string;
  contentLength: number | undefined;
  lastModified: Date | undefined;
}

/** Where objects are read from (lib/aws/s3-source.ts: GetObject); `undefined` when the object no longer exists. */
export interface ObjectSource {
  open(ref: ObjectRef): Promise<OpenedObject | undefined>;
}

/**
 * Runs an SQS batch one message at a time and answers with the messages that failed (a partial batch response);
 * lib/aws/sqs-batch.ts implements it with Powertools' batch processor.
 */
export type SqsBatchRunner = (
  event: SQSEvent,
  handleRecord: (record: SQSRecord) => Promise<void>,
  context?: Context,
) => Promise<SQSBatchResponse>;

export interface ObjectDeps {
  source: ObjectSource;
  /** Needed only for events that arrive through SQS. */
  sqsBatch?: SqsBatchRunner;
  /** Where output goes: S3Store for the Lambda, LocalStore for local runs. */
  store: ObjectStore;
  router: Router;
  config: Pick<Config, 'outputPrefix' | 'limits' | 'codec' | 'format' | 'maxOpenFiles'> & Partial<Pick<Config, 'salvageAfterReceives'>>;
  metrics?: ObjectMetrics;
  /** Detections and alerts after each object's rows (lib/wiring.ts builds it; none: no rules run). */
  alerting?: Alerting;
  /** The Iceberg committer's hand-off of each object's Parquet files (none: files only). */
  handoff?: HandoffTarget;
  /** A thread that scans lines ahead (lib/wiring.ts starts it where the configuration wants one). */
  scanAhead?: ScanAhead;
  clock: () => Date;
  log: Log;
}

/** Per-object counters for CloudWatch (lib/s3/metrics.ts maps outcomes to metrics; lib/aws/powertools.ts sends them as EMF). */
export interface ObjectMetrics {
  objectDone(outcome: ObjectOutcome): void;
  objectFailed(): void;
}

export type ObjectOutcome =
  | { status: 'processed'; summary: ProcessSummary }
  | { status: 'skipped'; reason: 'folder' | 'empty' | 'ownership_challenge' | 'no_route' | 'missing' };

/**
 * One S3 object, end to end: skip rules, routing, GetObject, the core, the lake. Throws for failures a retry can
 * fix or that must stay visible (I/O, corrupt input, sink errors), and a MissingObjectError for an object deleted
 * since its announcement; the handler acts on each error's disposition.
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
  const routed = deps.router.route(ref.key);
  const opened = await deps.source.open(ref);
  // Deleted between its announcement and now (S3 answered 404): nothing to read, and no retry would find it.
  if (!opened) throw new MissingObjectError('object no longer exists', where);
  if (opened.contentLength === 0) {
    deps.log.info('object skipped', { ...where, reason: 'empty' });
    return { status: 'skipped', reason: 'empty' };
  }
  let route = routed;
  let body: IngestBody = opened.body;
  if (!route) {
    // No route and no dataset in the key: the first records' field names may still say what it is.
    const found = await detectRoute(opened.body, deps.router, deps.config.limits.maxDecompressedBytes);
    if (!found.route) {
      deps.log.warn('object skipped: key routes to no log type and its records do not say which (add a route or put the dataset name in the path)', {
        ...where,
        reason: 'no_route',
        why: found.why,
      });
      return { status: 'skipped', reason: 'no_route' };
    }
    route = found.route;
    body = found.stream;
  }
  const summary = await ingest(
    body,
    { source: `s3://${ref.bucket}/${ref.key}`, identity: opened.identity, route, location: where, time: opened.lastModified },
    { store: deps.store, config: deps.config, baseName: objectBaseName(ref.key, opened.identity) },
    {
      now: deps.clock(),
      limits: deps.config.limits,
      salvageCorrupt: salvageThisTime(delivery, deps.config.salvageAfterReceives ?? 0),
      ...(deps.alerting ? { alerting: deps.alerting } : {}),
      ...(deps.handoff ? { handoff: deps.handoff } : {}),
      ...(deps.scanAhead ? { scanAhead: deps.scanAhead } : {}),
      registry: deps.router.registry,
      summary: { log: deps.log, message: 'object processed', fields: where },
    },
  );
  if (summary.salvaged) {
    deps.log.error('object is corrupt: kept its readable rows and recorded the rest as a corrupt_input reject', {
      ...where,
      receiveCount: delivery.receiveCount,
    });
  }
  return { status: 'processed', summary };
}

function salvageThisTime(d: Delivery, after: number): boolean {
  return after > 0 && d.receiveCount !== undefined && d.receiveCount >= after;
}
