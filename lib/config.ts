import { bool, int, optional } from './env';
import { readFileSync } from 'node:fs';
import { ConfigError } from './errors';
import { DEFAULT_LIMITS, Limits } from './pipeline/process';
import { compileFilters, FilterSet, NO_FILTERS } from './filter/filters';
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
  gzipLevel: number;
  maxOpenFiles: number;
  sourceId?: string;
  sourceLabel?: string;
  /**
   * From this SQS receive on, an object whose compression is corrupt keeps its readable rows plus a
   * `corrupt_input` reject instead of failing again (0: never). Below the DLQ's maxReceiveCount (5).
   */
  salvageAfterReceives: number;
  /** Path-style S3 addressing, for S3-compatible endpoints (AWS_ENDPOINT_URL_S3) such as the local demo. */
  s3ForcePathStyle: boolean;
}

/**
 * Variables (all optional except CFLOGS_OUTPUT_BUCKET for the Lambda):
 *   CFLOGS_OUTPUT_BUCKET, CFLOGS_OUTPUT_PREFIX,
 *   CFLOGS_ROUTES_FILE (YAML/JSON path) or CFLOGS_ROUTES (the same, inline),
 *   CFLOGS_MAX_LINE_BYTES (1048576), CFLOGS_MAX_DECOMPRESSED_BYTES (68719476736),
 *   CFLOGS_GZIP_LEVEL (0-9), CFLOGS_MAX_OPEN_FILES (4), CFLOGS_SOURCE_ID, CFLOGS_SOURCE_LABEL,
 *   CFLOGS_SALVAGE_AFTER_RECEIVES (3), CFLOGS_S3_FORCE_PATH_STYLE (false).
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const routesFile = optional(env.CFLOGS_ROUTES_FILE);
  const routesText = optional(env.CFLOGS_ROUTES) ?? (routesFile ? readText(routesFile, 'CFLOGS_ROUTES_FILE') : undefined);
  const sourceId = optional(env.CFLOGS_SOURCE_ID);
  const sourceLabel = optional(env.CFLOGS_SOURCE_LABEL);
  const outputPrefix = env.CFLOGS_OUTPUT_PREFIX ?? '';
  if (outputPrefix !== '' && !outputPrefix.endsWith('/')) {
    throw new ConfigError(`CFLOGS_OUTPUT_PREFIX must be empty or end with '/', got ${JSON.stringify(outputPrefix)}`);
  }
  const bucket = optional(env.CFLOGS_OUTPUT_BUCKET);
  if (bucket !== undefined && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new ConfigError(`CFLOGS_OUTPUT_BUCKET is not a valid bucket name: ${JSON.stringify(bucket)}`);
  }
  const routing = routesText === undefined ? { routes: [], filters: NO_FILTERS } : parseRoutesFile(routesText);
  return {
    outputBucket: bucket,
    outputPrefix,
    routes: routing.routes,
    filters: routing.filters,
    limits: {
      maxLineBytes: int(env, 'CFLOGS_MAX_LINE_BYTES', DEFAULT_LIMITS.maxLineBytes, 1024, 256 * 1024 * 1024),
      maxDecompressedBytes: int(env, 'CFLOGS_MAX_DECOMPRESSED_BYTES', DEFAULT_LIMITS.maxDecompressedBytes, 1, Number.MAX_SAFE_INTEGER),
    },
    gzipLevel: int(env, 'CFLOGS_GZIP_LEVEL', 6, 0, 9),
    maxOpenFiles: int(env, 'CFLOGS_MAX_OPEN_FILES', 4, 2, 1000),
    salvageAfterReceives: int(env, 'CFLOGS_SALVAGE_AFTER_RECEIVES', 3, 0, 1000),
    s3ForcePathStyle: bool(env, 'CFLOGS_S3_FORCE_PATH_STYLE', false),
    ...(sourceId !== undefined ? { sourceId } : {}),
    ...(sourceLabel !== undefined ? { sourceLabel } : {}),
  };
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
