import { createHash } from 'node:crypto';

/**
 * The lake's layout: where each output file goes and what it is called. The writer, the Glue catalog and the
 * stack (infra/stack.js, through tsx) all take it from here, so a key the writer produces is always one the tables
 * and the IAM grants cover.
 *
 *   <prefix>logs/<table>/year=YYYY/month=MM/day=DD/hour=HH/<base>[-n].json.zst      rows, by event hour
 *   <prefix>rejects/<table>/year=YYYY/month=MM/day=DD/hour=HH/<base>[-n].json.zst   rejects, by the input's hour
 *   <prefix>alerts/year=YYYY/month=MM/day=DD/hour=HH/<alert id>.json.zst              alerts, by their window's start
 *
 * (`.json.gz` when the lake is configured for gzip: lib/lake/codec.ts names the extension.)
 */

/** A valid S3 bucket name (the lake's and the input's): the one rule lib/config.ts and the stack both check. */
export const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export type OutputKind = 'events' | 'rejects' | 'alerts';

/** The top-level folder of each kind of output, with its slash. */
export const KIND_DIRS: Readonly<Record<OutputKind, string>> = { events: 'logs/', rejects: 'rejects/', alerts: 'alerts/' };

/** Hive-style partition keys, in key order: each is `<name>=<zero-padded value>`. */
export const PARTITION_KEYS = ['year', 'month', 'day', 'hour'] as const;

/** The partition of an output timestamp (`YYYY-MM-DD HH:MM:SS...`): `year=YYYY/month=MM/day=DD/hour=HH`. */
export function partitionOf(ts: string): string {
  return `year=${ts.slice(0, 4)}/month=${ts.slice(5, 7)}/day=${ts.slice(8, 10)}/hour=${ts.slice(11, 13)}`;
}

/** The event hour (`YYYY-MM-DD HH`) a lake key is filed under, read back from its partition; undefined for another key. */
export function partitionHourOf(key: string): string | undefined {
  const m = /\/year=(\d{4})\/month=(\d\d)\/day=(\d\d)\/hour=(\d\d)\//.exec(key);
  return m ? `${m[1]}-${m[2]}-${m[3]} ${m[4]}` : undefined;
}

/** The same path with Glue's partition projection placeholders: `year=${year}/month=${month}/...`. */
export const PARTITION_TEMPLATE = PARTITION_KEYS.map((k) => `${k}=\${${k}}`).join('/');

/** `logs/<table>/` or `rejects/<table>/`: a table's folder, under which its partitions lie. */
export function tableDir(kind: OutputKind, table: string): string {
  return `${KIND_DIRS[kind]}${table}/`;
}

/**
 * The key of one output file. `part` counts the files a partition has had for one input (0 for the first, then
 * `-1`, `-2`... when the writer had to finish one early); `extension` is the codec's (`.json.zst`).
 */
export function outputKey(prefix: string, kind: OutputKind, table: string, time: string, baseName: string, part: number, extension: string): string {
  return `${prefix}${tableDir(kind, table)}${partitionOf(time)}/${baseName}${part === 0 ? '' : `-${part}`}${extension}`;
}

/**
 * The key of an alert's record: one file per alert, in the hour its window starts, named by the alert's id, so each
 * input that grows the alert rewrites the same object with the state it read.
 */
export function alertKey(prefix: string, windowStart: string, alertId: string, extension: string): string {
  return `${prefix}${KIND_DIRS.alerts}${partitionOf(windowStart)}/${alertId.replace(/[^A-Za-z0-9._-]/g, '_')}${extension}`;
}

/**
 * File stem for an S3 object: its file name (readable) + a hash of its identity (unique, deterministic, so a retry
 * overwrites). `20221115T000000Z_20221115T000030Z_9af500e2.log.gz` -> `20221115T000000Z_20221115T000030Z_9af500e2-<12 hex>`.
 */
export function objectBaseName(key: string, identity: string): string {
  const file = key.slice(key.lastIndexOf('/') + 1).replace(/\.(log|json|ndjson|txt)?(\.(gz|zst))?$/i, '');
  const readable = file.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80) || 'object';
  return `${readable}-${sha256Hex(identity).slice(0, 12)}`;
}

/** File stem for an HTTP delivery, which has no file name: the same body to the same log type lands in the same files. */
export function deliveryBaseName(identity: string): string {
  return `http-${sha256Hex(identity).slice(0, 32)}`;
}

/** Hex SHA-256 of a text or bytes: the hashes that name inputs and their files. */
export function sha256Hex(s: string | Buffer): string {
  return createHash('sha256').update(s).digest('hex');
}
