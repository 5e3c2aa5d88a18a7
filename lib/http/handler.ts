import type { HandoffTarget } from '../iceberg/handoff';
import type { Alerting } from '../alerts/alerting';
import type { Config } from '../config';
import { dispositionOf, httpStatusOf, messageOf } from '../errors';
import { errorFields, Log } from '../log';
import { ingest } from '../pipeline/ingest';
import type { RouteMatch, Router } from '../route/router';
import { deliveryBaseName, sha256Hex } from '../lake/layout';
import type { ObjectStore } from '../lake/types';
import { headerValue, secretMatches } from './auth';
import { BodyKind, classifyBody } from './body';
import type { HttpConfig } from './config';

/** The head of one HTTP request, transport-neutral: everything but the body. */
export interface LogpushRequestHead {
  method: string;
  /** The URL path, without the query string. */
  path: string;
  query: Record<string, string | undefined>;
  headers: Record<string, string | string[] | undefined>;
  requestId: string;
}

/** One HTTP request, transport-neutral: the function URL event and node:http both become this. */
export interface LogpushRequest extends LogpushRequestHead {
  /** The body as received (base64 already decoded; still gzip if it was sent gzip). */
  body: Buffer;
}

export interface LogpushResponse {
  status: number;
  headers: Record<string, string>;
  /** JSON text. */
  body: string;
}

export interface HttpDeps {
  http: Pick<HttpConfig, 'secretHeader' | 'getSecret' | 'maxBodyBytes' | 'defaultDataset'>;
  router: Router;
  /** Where output goes: S3Store for the Lambda, LocalStore for `cflogs serve`. */
  store: ObjectStore;
  config: Pick<Config, 'outputPrefix' | 'limits' | 'codec' | 'format' | 'maxOpenFiles'>;
  /** Detections and alerts after each batch's rows (none: no rules run). */
  alerting?: Alerting;
  /** The Iceberg committer's hand-off of each batch's Parquet files (none: files only). */
  handoff?: HandoffTarget;
  clock: () => Date;
  log: Log;
}

/**
 * Logpush's largest batch, uncompressed (max_upload_bytes is at most 1 GB): a body that decompresses to more is
 * not a Logpush batch but a decompression bomb, whatever CFLOGS_MAX_DECOMPRESSED_BYTES allows for S3 objects.
 */
export const MAX_BATCH_DECOMPRESSED_BYTES = 1024 ** 3;

/** The Logpush dataset names a request may use, for the 400 that lists them (log type names work too). */
function accepted(deps: HttpDeps): string[] {
  return deps.router.registry.datasets();
}

/**
 * One Logpush HTTP delivery, end to end. Order: method (405), shared secret (401, nothing about the body is
 * looked at), size (413), log type (400), validation request (200, nothing written), body sniffing (400 for
 * corrupt gzip or non-NDJSON), then the core into the lake. The first three are `checkRequestHead`, the rest
 * `handleAdmittedRequest`: transports that receive the body as a stream (`cflogs serve`) or encoded (a function
 * URL) call the two themselves, and read or decode the body only once the head is admitted.
 */
export async function handleLogpushRequest(req: LogpushRequest, deps: HttpDeps): Promise<LogpushResponse> {
  return (await checkRequestHead(req, deps, () => req.body.length)) ?? handleAdmittedRequest(req, deps);
}

/**
 * Everything decided from the request head alone, before a byte of the body is read or decoded: method (405),
 * shared secret (401; nothing about the body is looked at), and a body size over the limit when the size is
 * known in advance (`bodyBytes`, asked only once the secret matched: Content-Length, or the decoded length of an
 * encoded body) (413). `undefined` admits the request: read the body, then call `handleAdmittedRequest`. The
 * answer to a refused request never depends on its body, so an unauthenticated client cannot make the server
 * hold one.
 */
export async function checkRequestHead(
  head: LogpushRequestHead,
  deps: HttpDeps,
  bodyBytes: () => number | undefined = () => undefined,
): Promise<LogpushResponse | undefined> {
  const { log } = deps;
  const requestId = head.requestId;
  const refuse = refuser(log, requestId);

  const method = head.method.toUpperCase();
  if (method !== 'POST') {
    return refuse(405, { error: 'method not allowed: Logpush delivers with POST' }, { reason: 'method', method: method.slice(0, 16) }, { allow: 'POST' });
  }

  const presented = headerValue(head.headers, deps.http.secretHeader);
  if (presented === undefined) return refuse(401, { error: 'unauthorized' }, { reason: 'missing_secret' });
  let expected: string;
  try {
    expected = await deps.http.getSecret();
  } catch (e) {
    // Never the client's fault, whatever the error says: its request was not looked at yet.
    log.error('shared secret unavailable', { requestId, status: 500, ...errorFields(e) });
    return respond(500, { error: 'internal error' }, { 'x-request-id': requestId });
  }
  if (!secretMatches(presented, expected)) return refuse(401, { error: 'unauthorized' }, { reason: 'wrong_secret' });

  const size = bodyBytes();
  if (size !== undefined && size > deps.http.maxBodyBytes) return tooLarge(refuse, size, deps.http.maxBodyBytes);
  return undefined;
}

/**
 * A request whose head `checkRequestHead` admitted, with its body: size (413), log type (400), validation
 * request (200, nothing written), body sniffing (400 for corrupt gzip or non-NDJSON), then the core into the
 * lake. 200 only once the output is durably written; 500 only when writing failed, so Logpush retries; a retry
 * of the same body overwrites the same files. Never call it for a request the head check did not admit.
 *
 * Logs carry the request id, status, counts and error names: never the secret, a header value, the query
 * string (Cloudflare's `header_` parameters may sit there) or any body content.
 */
export async function handleAdmittedRequest(req: LogpushRequest, deps: HttpDeps): Promise<LogpushResponse> {
  const { log } = deps;
  const requestId = req.requestId;
  const refuse = refuser(log, requestId);

  if (req.body.length > deps.http.maxBodyBytes) return tooLarge(refuse, req.body.length, deps.http.maxBodyBytes);

  const routed = resolveLogType(req, deps);
  if ('error' in routed) {
    return refuse(400, { error: routed.error, accepted: accepted(deps) }, { reason: 'unknown_log_type' });
  }
  const route = routed.route;

  const limits = {
    ...deps.config.limits,
    maxDecompressedBytes: Math.min(deps.config.limits.maxDecompressedBytes, MAX_BATCH_DECOMPRESSED_BYTES),
  };
  let kind: BodyKind;
  try {
    kind = await classifyBody(req.body, limits.maxDecompressedBytes);
  } catch (e) {
    // Here the client's faults are its body's bytes (corrupt, an unsupported compression, too large decoded).
    const status = httpStatusOf(dispositionOf(e));
    if (status < 500) return refuse(status, { error: `undecodable body: ${messageOf(e)}` }, { reason: 'undecodable', ...errorFields(e) });
    log.error('request failed', { requestId, status, ...errorFields(e) });
    return respond(status, { error: 'internal error' }, { 'x-request-id': requestId });
  }
  if (kind.kind === 'validation') {
    log.info('validation request answered', { requestId, status: 200, logType: route.entry.schema.logType });
    return respond(200, { ok: true, validation: true }, { 'x-request-id': requestId });
  }
  if (kind.kind === 'empty') return refuse(400, { error: 'empty body: expected NDJSON log lines' }, { reason: 'empty' });
  if (kind.kind === 'not_ndjson') return refuse(400, { error: kind.message }, { reason: 'not_ndjson' });

  const bodySha256 = sha256Hex(req.body);
  const identity = httpIdentity(route.entry.schema.logType, bodySha256);
  const source = `http:${requestId}`;
  try {
    const s = await ingest(
      kind.decoded,
      { source, identity, route, location: { source } },
      { store: deps.store, config: deps.config, baseName: deliveryBaseName(identity) },
      {
        now: deps.clock(),
        limits,
        ...(deps.alerting ? { alerting: deps.alerting } : {}),
        ...(deps.handoff ? { handoff: deps.handoff } : {}),
        registry: deps.router.registry,
        summary: { log, message: 'batch processed', fields: { requestId, status: 200, bodySha256 } },
      },
    );
    return respond(
      200,
      { ok: true, logType: s.logType, lines: s.lines, rows: s.rows, rejects: s.rejected, filtered: s.filtered, blank: s.blank },
      { 'x-request-id': requestId },
    );
  } catch (e) {
    // A 4xx is the client's to fix (its body cannot be decoded: no retry sends other bytes); anything else is
    // ours, and nothing from this attempt is visible, so Logpush retries on the 5xx.
    const status = httpStatusOf(dispositionOf(e));
    if (status < 500) {
      return refuse(status, { error: `undecodable body: ${messageOf(e)}` }, { reason: 'undecodable', bodySha256, ...errorFields(e) });
    }
    log.error('batch failed; Logpush will retry', { requestId, status, bodySha256, ...errorFields(e) });
    return respond(status, { error: 'writing the output failed; retry' }, { 'x-request-id': requestId });
  }
}

/**
 * Log type: a path segment naming a dataset or log type (`/http_requests`, `/prod/firewall_events`; the last
 * such segment wins), else the `dataset` query parameter, else the configured default.
 */
export function resolveLogType(
  req: Pick<LogpushRequest, 'path' | 'query'>,
  deps: Pick<HttpDeps, 'router' | 'http'>,
): { route: RouteMatch } | { error: string } {
  const segments = req.path.split('/').filter((s) => s !== '').map(safeDecode);
  let fromPath: RouteMatch | undefined;
  for (let i = segments.length - 1; i >= 0 && !fromPath; i--) fromPath = deps.router.byName(segments[i] as string);
  const asked = req.query.dataset;
  let fromQuery: RouteMatch | undefined;
  if (asked !== undefined && asked !== '') {
    fromQuery = deps.router.byName(asked);
    if (!fromQuery) return { error: `unknown dataset ${JSON.stringify(asked.slice(0, 100))} in ?dataset=` };
  }
  if (fromPath && fromQuery && fromPath.entry !== fromQuery.entry) {
    return { error: `the path names ${fromPath.entry.schema.logType} but ?dataset= names ${fromQuery.entry.schema.logType}` };
  }
  if (fromPath) return { route: { ...fromPath, via: 'path' } };
  if (fromQuery) return { route: { ...fromQuery, via: 'query' } };
  const dflt = deps.http.defaultDataset !== undefined ? deps.router.byName(deps.http.defaultDataset) : undefined;
  if (dflt) return { route: { ...dflt, via: 'default' } };
  const last = segments[segments.length - 1];
  return {
    error:
      last !== undefined
        ? `unknown log type ${JSON.stringify(last.slice(0, 100))} in the path`
        : 'no log type: put the dataset in the path (/http_requests) or the query (?dataset=http_requests)',
  };
}

/** Identity of one delivery: the log type and the SHA-256 of the body as received. Seeds p_row_id. */
export function httpIdentity(logType: string, bodySha256: string): string {
  return `http:${logType}:${bodySha256}`;
}

type Refuse = (status: number, body: Record<string, unknown>, fields: Record<string, unknown>, headers?: Record<string, string>) => LogpushResponse;

/** A refusal: logged as a warning with the request id and the reason, answered with the request id. */
function refuser(log: Log, requestId: string): Refuse {
  return (status, body, fields, headers = {}) => {
    log.warn('request refused', { requestId, status, ...fields });
    return respond(status, body, { ...headers, 'x-request-id': requestId });
  };
}

function tooLarge(refuse: Refuse, bytes: number, limit: number): LogpushResponse {
  return refuse(
    413,
    { error: `body too large: the limit is ${limit} bytes as received; lower the job's max_upload_bytes` },
    { reason: 'too_large', bytes, limit },
  );
}

function respond(status: number, body: Record<string, unknown>, headers: Record<string, string>): LogpushResponse {
  return {
    status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
    body: JSON.stringify(body),
  };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
