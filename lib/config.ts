import { bool, int, optional } from './env';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { ConfigError } from './errors';
import { DEFAULT_LIMITS, Limits } from './pipeline/process';
import { compileFilters, FilterSet, NO_FILTERS } from './filter/filters';
import { hasZstd, LEVELS, OUTPUT_COMPRESSIONS, OutputCodec, outputCodec, OutputCompression } from './lake/codec';
import { DEFAULT_LAKE_FORMAT, LAKE_FORMATS, LakeFormat } from './lake/format';
import { BUCKET_NAME } from './lake/layout';
import type { RouteSpec } from './route/router';

/** Everything the entry points need, parsed once from the environment at cold start. */
export interface Config {
  /** Where rows and rejects go (required for the Lambda; the CLI and demo write to a directory instead). */
  outputBucket: string | undefined;
  /** Key prefix for output ('' or ending in '/'). */
  outputPrefix: string;
  routes: RouteSpec[];
  /** Global ingestion filters (per log type via their `logType`). */
  filters: FilterSet;
  limits: Limits;
  /** How lake files are compressed: zstd (default) or gzip, and the level. */
  codec: OutputCodec;
  /** Rows as Parquet (default) or NDJSON files; rejects are NDJSON either way. */
  format: LakeFormat;
  maxOpenFiles: number;
  sourceId?: string;
  sourceLabel?: string;
  /**
   * From this SQS receive on, an object whose compression is corrupt keeps its readable rows plus a
   * `corrupt_input` reject instead of failing again (0: never). Below the queue's maxReceiveCount.
   */
  salvageAfterReceives: number;
  /** Path-style S3 addressing, for S3-compatible endpoints (AWS_ENDPOINT_URL_S3) such as the local demo. */
  s3ForcePathStyle: boolean;
  /** A directory of custom schema YAML files, log types besides the built-in ones (lib/wiring.ts loads them). */
  schemasDir?: string;
  /** The queue the Iceberg committer reads: each input's Parquet files are handed to it once written. */
  icebergQueueUrl?: string;
  /**
   * Scan lines on a second thread (lib/pipeline/scan-ahead.ts), from CFLOGS_SCAN_THREAD, the format and the CPUs
   * there are: `on` when asked for (a build without the thread is then refused), `auto` where it pays, else false.
   */
  scanThread: ScanThreadSetting;
}

/** Half of S3's 1024-byte key limit: the other half is for the layout's part of a key. */
const MAX_OUTPUT_PREFIX_BYTES = 512;

/**
 * Variables (all optional except CFLOGS_OUTPUT_BUCKET for the Lambda):
 *   CFLOGS_OUTPUT_BUCKET, CFLOGS_OUTPUT_PREFIX,
 *   CFLOGS_ROUTES_FILE (YAML/JSON path) or CFLOGS_ROUTES (the same, inline; not both),
 *   CFLOGS_MAX_LINE_BYTES (1048576), CFLOGS_MAX_DECOMPRESSED_BYTES (68719476736),
 *   CFLOGS_OUTPUT_COMPRESSION (zstd | gzip), CFLOGS_OUTPUT_COMPRESSION_LEVEL (zstd 1-19, default 3; gzip 0-9,
 *   default 6), CFLOGS_OUTPUT_FORMAT (parquet | ndjson), CFLOGS_MAX_OPEN_FILES (4), CFLOGS_SOURCE_ID, CFLOGS_SOURCE_LABEL,
 *   CFLOGS_SALVAGE_AFTER_RECEIVES (3, below CFLOGS_MAX_RECEIVE_COUNT, 5), CFLOGS_S3_FORCE_PATH_STYLE (false),
 *   CFLOGS_SCHEMAS_DIR (custom schemas, *.yml below it), CFLOGS_ICEBERG_QUEUE_URL (hand each input's Parquet files
 *   to the Iceberg committer's queue; needs CFLOGS_OUTPUT_FORMAT=parquet), CFLOGS_SCAN_THREAD (auto | on | off).
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const routesFile = optional(env.CFLOGS_ROUTES_FILE);
  const routesInline = optional(env.CFLOGS_ROUTES);
  // Two sources of routes would leave one silently ignored.
  if (routesFile !== undefined && routesInline !== undefined) {
    throw new ConfigError('CFLOGS_ROUTES and CFLOGS_ROUTES_FILE are both set: give the routes one way, inline or as a file');
  }
  const routesText = routesInline ?? (routesFile ? readText(routesFile, 'CFLOGS_ROUTES_FILE') : undefined);
  const sourceId = optional(env.CFLOGS_SOURCE_ID);
  const schemasDir = optional(env.CFLOGS_SCHEMAS_DIR);
  const sourceLabel = optional(env.CFLOGS_SOURCE_LABEL);
  const outputPrefix = env.CFLOGS_OUTPUT_PREFIX ?? '';
  if (outputPrefix !== '' && !outputPrefix.endsWith('/')) {
    throw new ConfigError(`CFLOGS_OUTPUT_PREFIX must be empty or end with '/', got ${JSON.stringify(outputPrefix)}`);
  }
  // S3 keeps `..`, `.` and `//` in keys as they are, but tools that map keys to paths (the local lake, sync
  // clients, Athena's LOCATION) resolve or collapse them, so the output would land somewhere else.
  if (outputPrefix !== '' && (outputPrefix.startsWith('/') || outputPrefix.slice(0, -1).split('/').some((seg) => seg === '' || seg === '.' || seg === '..'))) {
    throw new ConfigError(
      `CFLOGS_OUTPUT_PREFIX must be key segments each ending in '/', without a leading '/', empty, '.' or '..' segments, got ${JSON.stringify(outputPrefix)}`,
    );
  }
  // Every write would fail (KeyTooLongError) once the layout's keys (up to ~190 bytes with the built-in tables,
  // more with a custom schema's longer table name) follow the prefix.
  const prefixBytes = Buffer.byteLength(outputPrefix, 'utf8');
  if (prefixBytes > MAX_OUTPUT_PREFIX_BYTES) {
    throw new ConfigError(
      `CFLOGS_OUTPUT_PREFIX is ${prefixBytes} bytes (UTF-8): S3 keys are at most 1024 bytes, and the lake layout needs up to ` +
        `${1024 - MAX_OUTPUT_PREFIX_BYTES} after the prefix; keep it to ${MAX_OUTPUT_PREFIX_BYTES}`,
    );
  }
  const bucket = optional(env.CFLOGS_OUTPUT_BUCKET);
  if (bucket !== undefined && !BUCKET_NAME.test(bucket)) {
    throw new ConfigError(`CFLOGS_OUTPUT_BUCKET is not a valid bucket name: ${JSON.stringify(bucket)}`);
  }
  const routing = routesText === undefined ? { routes: [], filters: NO_FILTERS } : parseRoutesFile(routesText);
  const format = outputFormat(env);
  const icebergQueueUrl = optional(env.CFLOGS_ICEBERG_QUEUE_URL);
  if (icebergQueueUrl !== undefined && format !== 'parquet') {
    throw new ConfigError(`CFLOGS_ICEBERG_QUEUE_URL is set but CFLOGS_OUTPUT_FORMAT is ${format}: Iceberg tables hold Parquet files`);
  }
  return {
    outputBucket: bucket,
    outputPrefix,
    routes: routing.routes,
    filters: routing.filters,
    limits: {
      maxLineBytes: int(env, 'CFLOGS_MAX_LINE_BYTES', DEFAULT_LIMITS.maxLineBytes, 1024, 256 * 1024 * 1024),
      maxDecompressedBytes: int(env, 'CFLOGS_MAX_DECOMPRESSED_BYTES', DEFAULT_LIMITS.maxDecompressedBytes, 1, Number.MAX_SAFE_INTEGER),
    },
    codec: codecOf(env),
    format,
    maxOpenFiles: int(env, 'CFLOGS_MAX_OPEN_FILES', 4, 2, 1000),
    salvageAfterReceives: salvageAfterReceives(env),
    s3ForcePathStyle: bool(env, 'CFLOGS_S3_FORCE_PATH_STYLE', false),
    scanThread: scanThreadOf(env, availableParallelism(), format),
    ...(sourceId !== undefined ? { sourceId } : {}),
    ...(sourceLabel !== undefined ? { sourceLabel } : {}),
    ...(schemasDir !== undefined ? { schemasDir } : {}),
    ...(icebergQueueUrl !== undefined ? { icebergQueueUrl } : {}),
  };
}

/** Lambda's memory size from which a function has a second vCPU (arm64: one per 1,769 MB). */
export const TWO_VCPU_MEMORY_MB = 3538;

/**
 * CFLOGS_SCAN_THREAD: `on`, `off`, or `auto` (the default): on for Parquet output where a second CPU is there to
 * run it, which in Lambda means from 3,538 MB (AWS_LAMBDA_FUNCTION_MEMORY_SIZE). With one CPU the thread would only
 * take turns with the main thread and cost the copies between them; with NDJSON output, compression already keeps
 * the second CPU busy, and the thread costs about what it saves (bench/README.md, "The scan thread").
 */
export function scanThreadOf(env: NodeJS.ProcessEnv, cpus: number, format: LakeFormat): ScanThreadSetting {
  const v = optional(env.CFLOGS_SCAN_THREAD) ?? 'auto';
  if (v === 'on') return 'on';
  if (v === 'off') return false;
  if (v !== 'auto') throw new ConfigError(`CFLOGS_SCAN_THREAD must be auto, on or off, got ${JSON.stringify(v)}`);
  const memory = optional(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE);
  return format === 'parquet' && cpus >= 2 && (memory === undefined || Number(memory) >= TWO_VCPU_MEMORY_MB) ? 'auto' : false;
}

export type ScanThreadSetting = 'on' | 'auto' | false;

/** The Iceberg committer's settings. */
export interface CommitterConfig {
  /** The Glue database of the tables (it must exist; the stack creates it). */
  database: string;
  /** Where tables are: `<warehouse>/<table>`, an s3:// URI (the lake's `logs/` folder, so data files lie under their table). */
  warehouse: string;
}

/** CFLOGS_ICEBERG_DATABASE and CFLOGS_ICEBERG_WAREHOUSE (`s3://bucket/prefix`), both required. */
export function loadCommitterConfig(env: NodeJS.ProcessEnv = process.env): CommitterConfig {
  const database = optional(env.CFLOGS_ICEBERG_DATABASE);
  if (database === undefined || !/^[a-z0-9_]{1,255}$/.test(database)) {
    throw new ConfigError(`CFLOGS_ICEBERG_DATABASE must name a Glue database (lower case letters, digits, _), got ${JSON.stringify(database ?? '')}`);
  }
  const warehouse = optional(env.CFLOGS_ICEBERG_WAREHOUSE);
  const m = warehouse === undefined ? null : /^s3:\/\/([^/]+)(\/.*)?$/.exec(warehouse);
  if (!m || !BUCKET_NAME.test(m[1] as string) || (warehouse as string).endsWith('/')) {
    throw new ConfigError(`CFLOGS_ICEBERG_WAREHOUSE must be s3://bucket[/prefix] without a trailing '/', got ${JSON.stringify(warehouse ?? '')}`);
  }
  return { database, warehouse: warehouse as string };
}

function codecOf(env: NodeJS.ProcessEnv): OutputCodec {
  const { compression, level } = outputCompressionSettings(env);
  if (compression === 'zstd' && !hasZstd()) {
    throw new ConfigError(
      `CFLOGS_OUTPUT_COMPRESSION=zstd needs Node 22.15 or later, and this is Node ${process.versions.node}: run cflogs through npm ` +
        '(the project pins its Node), or set CFLOGS_OUTPUT_COMPRESSION=gzip',
    );
  }
  return outputCodec(compression, level);
}

/** CFLOGS_OUTPUT_FORMAT, checked: also what the stack checks its `outputFormat` param with. */
export function outputFormat(env: NodeJS.ProcessEnv): LakeFormat {
  const name = (optional(env.CFLOGS_OUTPUT_FORMAT) ?? DEFAULT_LAKE_FORMAT).toLowerCase();
  if (!(LAKE_FORMATS as readonly string[]).includes(name)) {
    throw new ConfigError(`CFLOGS_OUTPUT_FORMAT must be one of ${LAKE_FORMATS.join(', ')}, got ${JSON.stringify(name)}`);
  }
  // Parquet column chunks are compressed with zstd whatever CFLOGS_OUTPUT_COMPRESSION says (it names the NDJSON codec).
  if (name === 'parquet' && !hasZstd()) {
    throw new ConfigError(`CFLOGS_OUTPUT_FORMAT=parquet needs Node 22.15 or later (zstd), and this is Node ${process.versions.node}`);
  }
  return name as LakeFormat;
}

/**
 * CFLOGS_OUTPUT_COMPRESSION and its level, checked: also what the stack checks its `outputCompression` params with
 * (infra/stack/settings.js), before any Node runs them.
 */
export function outputCompressionSettings(env: NodeJS.ProcessEnv): { compression: OutputCompression; level: number } {
  // The old name, read no more: a level set there must not be silently ignored.
  if (optional(env.CFLOGS_GZIP_LEVEL) !== undefined) {
    throw new ConfigError('CFLOGS_GZIP_LEVEL is no longer read: set CFLOGS_OUTPUT_COMPRESSION=gzip and CFLOGS_OUTPUT_COMPRESSION_LEVEL instead');
  }
  const name = (optional(env.CFLOGS_OUTPUT_COMPRESSION) ?? 'zstd').toLowerCase();
  if (!(OUTPUT_COMPRESSIONS as readonly string[]).includes(name)) {
    throw new ConfigError(`CFLOGS_OUTPUT_COMPRESSION must be one of ${OUTPUT_COMPRESSIONS.join(', ')}, got ${JSON.stringify(name)}`);
  }
  const compression = name as OutputCompression;
  const range = LEVELS[compression];
  return { compression, level: int(env, 'CFLOGS_OUTPUT_COMPRESSION_LEVEL', range.default, range.min, range.max) };
}

/**
 * CFLOGS_MAX_RECEIVE_COUNT is the ingest queue's redrive maxReceiveCount, set by the stack from the same parameter
 * as the redrive policy (serverless.yml `maxReceiveCount`). Salvage must start below it: at it, the salvaging
 * receive is the last one and gets no retry; above it, the message is in the dead-letter queue first.
 */
export const DEFAULT_MAX_RECEIVE_COUNT = 5;
function salvageAfterReceives(env: NodeJS.ProcessEnv): number {
  const maxReceives = int(env, 'CFLOGS_MAX_RECEIVE_COUNT', DEFAULT_MAX_RECEIVE_COUNT, 1, 1000);
  const after = int(env, 'CFLOGS_SALVAGE_AFTER_RECEIVES', 3, 0, 1000);
  if (after >= maxReceives) {
    throw new ConfigError(
      `CFLOGS_SALVAGE_AFTER_RECEIVES=${after} must be below the queue's maxReceiveCount (CFLOGS_MAX_RECEIVE_COUNT=${maxReceives}), ` +
        'or 0 for never: from that receive on a corrupt object is salvaged, and a message that reaches the count goes ' +
        'to the dead-letter queue instead',
    );
  }
  return after;
}

/**
 * The routes file: `routes: [{prefix, logType, sourceId?, sourceLabel?, filters?}]` and global `filters:`.
 * Either list may be absent (a file with only `filters:` serves `cflogs parse --filters`).
 */
export function parseRoutesFile(text: string, name = 'routes'): { routes: RouteSpec[]; filters: FilterSet } {
  let doc: unknown;
  try {
    doc = parseDocument(text);
  } catch (e) {
    throw new ConfigError(`${name}: not valid YAML/JSON: ${(e as Error).message}`, { cause: e });
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new ConfigError(`${name}: expected a mapping with routes: and/or filters:`);
  const top = doc as Record<string, unknown>;
  for (const k of Object.keys(top)) if (k !== 'routes' && k !== 'filters') throw new ConfigError(`${name}: unknown key ${k}`);
  const list = top.routes ?? [];
  if (!Array.isArray(list)) throw new ConfigError(`${name}: routes must be a list`);
  const prefixes = new Map<string, number>();
  const routes = list.map((r: unknown, i: number): RouteSpec => {
    const o = r as Record<string, unknown> | null;
    const where = `${name}: routes[${i}]`;
    if (typeof o !== 'object' || o === null) throw new ConfigError(`${where}: expected a mapping`);
    for (const k of Object.keys(o)) {
      if (!['prefix', 'logType', 'sourceId', 'sourceLabel', 'filters'].includes(k)) throw new ConfigError(`${where}: unknown key ${k}`);
    }
    if (typeof o.prefix !== 'string') throw new ConfigError(`${where}: prefix must be a string`);
    if (typeof o.logType !== 'string' || o.logType === '') throw new ConfigError(`${where}: logType is required`);
    for (const k of ['sourceId', 'sourceLabel'] as const) {
      if (o[k] !== undefined && typeof o[k] !== 'string') throw new ConfigError(`${where}: ${k} must be a string`);
    }
    // With two routes for one prefix only the first could ever match.
    if (prefixes.has(o.prefix)) throw new ConfigError(`${where}: prefix ${JSON.stringify(o.prefix)} is already routed by routes[${prefixes.get(o.prefix)}]`);
    prefixes.set(o.prefix, i);
    const filters = compileFilters(o.filters, `${where}.filters`);
    return {
      prefix: o.prefix,
      logType: o.logType,
      ...(typeof o.sourceId === 'string' ? { sourceId: o.sourceId } : {}),
      ...(typeof o.sourceLabel === 'string' ? { sourceLabel: o.sourceLabel } : {}),
      ...(filters.empty ? {} : { filters }),
    };
  });
  return { routes, filters: compileFilters(top.filters, `${name}: filters`) };
}

/** Only the routes of a routes file. */
export function parseRoutes(text: string): RouteSpec[] {
  return parseRoutesFile(text).routes;
}

/**
 * JSON (what a deploy usually passes in CFLOGS_ROUTES) is parsed directly; only YAML loads the YAML parser,
 * which keeps it out of the cold start of most functions.
 */
function parseDocument(text: string): unknown {
  const t = text.trimStart();
  if (t.startsWith('{')) {
    try {
      return JSON.parse(t);
    } catch {
      // Not JSON after all: YAML flow style also starts with '{'.
    }
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('yaml') as typeof import('yaml')).parse(text);
}

function readText(path: string, name: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`${name}: cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
}
