import { Agent, createServer, IncomingMessage, request as httpRequest, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A fault-injecting HTTP proxy for the S3 protocol, on 127.0.0.1, between the AWS SDK and s3rver.
 *
 * The client under test points at `proxy.endpoint` (path-style: `/<bucket>/<key>?<query>`); every request is
 * classified as an S3 operation, matched against the rules in order, and either forwarded untouched or answered
 * with the first matching rule's fault:
 *   - `error`:    an S3 XML error (500 InternalError, 503 SlowDown, ...), the request never reaches s3rver;
 *   - `reset`:    the connection is reset (RST) without an answer, before forwarding (`when: 'request'`, the
 *                 request is lost) or after s3rver has handled it (`when: 'response'`, the answer is lost);
 *   - `truncate`: the request is forwarded, the status and headers (full Content-Length) are relayed, then the
 *                 first `afterBytes` bytes of the body, then the connection is closed (`close: 'fin'`, default)
 *                 or reset (`close: 'rst'`).
 * Rules count the requests they matched and the faults they injected; every request is logged with its
 * operation, key and final status, so tests can count the SDK's retries and check which uploads were aborted.
 */

export type S3Op =
  | 'GetObject'
  | 'HeadObject'
  | 'PutObject'
  | 'CopyObject'
  | 'DeleteObject'
  | 'DeleteObjects'
  | 'CreateMultipartUpload'
  | 'UploadPart'
  | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload'
  | 'ListParts'
  | 'ListObjects'
  | 'HeadBucket'
  | 'Other';

export type Fault =
  | { type: 'error'; status: number; code?: string; message?: string }
  | { type: 'reset'; when?: 'request' | 'response' }
  | { type: 'truncate'; afterBytes: number; close?: 'fin' | 'rst' };

export interface FaultRule {
  /** For failure messages. */
  name?: string;
  op?: S3Op;
  method?: string;
  bucket?: string;
  /** The decoded object key: exact, or a pattern. */
  key?: string | RegExp;
  /** Only multipart parts with this number (UploadPart). */
  partNumber?: number;
  /** Which of the matching requests get the fault (1-based occurrence numbers); default: every one. */
  nth?: number | number[];
  fault: Fault;
}

export interface RuleHandle {
  readonly rule: FaultRule;
  /** Requests that matched the rule (faulted or not). */
  readonly matched: number;
  /** Faults injected. */
  readonly injected: number;
}

export interface ProxiedRequest {
  op: S3Op;
  method: string;
  bucket: string;
  key: string;
  query: Record<string, string>;
  /** The status the client saw: s3rver's, the injected one, or 0 for a reset / truncated answer. */
  status: number;
  fault?: Fault['type'];
  /** Arrival time (ms since the epoch). */
  at: number;
}

export interface FaultProxy {
  endpoint: string;
  /** Adds a rule (checked in the order added); returns its live counters. */
  add(rule: FaultRule): RuleHandle;
  /** Drops every rule (counters of old handles stay readable). */
  clearRules(): void;
  /** Every request seen, in arrival order. */
  readonly requests: ProxiedRequest[];
  /** Requests of one operation (optionally on keys matching `key`). */
  count(op: S3Op, key?: string | RegExp): number;
  /** Multipart uploads (by upload id) that got parts but were neither completed (2xx) nor aborted. */
  danglingUploads(): string[];
  /** Upload ids for which an AbortMultipartUpload was sent. */
  abortedUploads(): string[];
  resetLog(): void;
  close(): Promise<void>;
}

const DEFAULT_ERRORS: Record<number, [string, string]> = {
  500: ['InternalError', 'We encountered an internal error. Please try again.'],
  503: ['SlowDown', 'Please reduce your request rate.'],
  403: ['AccessDenied', 'Access Denied'],
  404: ['NoSuchKey', 'The specified key does not exist.'],
};

export function s3ErrorXml(code: string, message: string, resource: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${code}</Code><Message>${message}</Message><Resource>${escapeXml(resource)}</Resource>` +
    `<RequestId>FAULTPROXY0001</RequestId><HostId>fault-proxy</HostId></Error>`
  );
}

export function classify(method: string, key: string, query: Record<string, string>, headers: IncomingMessage['headers']): S3Op {
  const has = (q: string) => Object.prototype.hasOwnProperty.call(query, q);
  switch (method) {
    case 'GET':
      if (key === '') return 'ListObjects';
      return has('uploadId') ? 'ListParts' : 'GetObject';
    case 'HEAD':
      return key === '' ? 'HeadBucket' : 'HeadObject';
    case 'PUT':
      if (key === '') return 'Other';
      if (has('uploadId') && has('partNumber')) return 'UploadPart';
      return headers['x-amz-copy-source'] ? 'CopyObject' : 'PutObject';
    case 'POST':
      if (key === '') return has('delete') ? 'DeleteObjects' : 'Other';
      if (has('uploads')) return 'CreateMultipartUpload';
      if (has('uploadId')) return 'CompleteMultipartUpload';
      return 'Other';
    case 'DELETE':
      if (key === '') return 'Other';
      return has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject';
    default:
      return 'Other';
  }
}

function keyMatches(want: string | RegExp | undefined, key: string): boolean {
  if (want === undefined) return true;
  return typeof want === 'string' ? want === key : want.test(key);
}

export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const target = new URL(upstream);
  const agent = new Agent({ keepAlive: true });
  const rules: { rule: FaultRule; matched: number; injected: number }[] = [];
  const requests: ProxiedRequest[] = [];
  const sockets = new Set<Socket>();

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const segments = url.pathname.split('/').slice(1);
    const bucket = decodeURIComponent(segments[0] ?? '');
    const key = segments.slice(1).map(decodeURIComponent).join('/');
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = v;
    const method = req.method ?? 'GET';
    const op = classify(method, key, query, req.headers);
    const entry: ProxiedRequest = { op, method, bucket, key, query, status: 0, at: Date.now() };
    requests.push(entry);

    let fault: Fault | undefined;
    for (const r of rules) {
      const { rule } = r;
      if (rule.op !== undefined && rule.op !== op) continue;
      if (rule.method !== undefined && rule.method !== method) continue;
      if (rule.bucket !== undefined && rule.bucket !== bucket) continue;
      if (!keyMatches(rule.key, key)) continue;
      if (rule.partNumber !== undefined && Number(query.partNumber) !== rule.partNumber) continue;
      r.matched++;
      const nth = rule.nth === undefined ? undefined : Array.isArray(rule.nth) ? rule.nth : [rule.nth];
      if (nth === undefined || nth.includes(r.matched)) {
        r.injected++;
        fault = rule.fault;
        entry.fault = fault.type;
        break;
      }
    }

    if (fault?.type === 'error') {
      const [dCode, dMessage] = DEFAULT_ERRORS[fault.status] ?? ['InternalError', 'Injected fault'];
      const body = s3ErrorXml(fault.code ?? dCode, fault.message ?? dMessage, `/${bucket}/${key}`);
      // Read the whole request first (as S3 does before it answers an upload), then answer with the error.
      drain(req, () => {
        entry.status = fault.status;
        res.writeHead(fault.status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body), 'x-amz-request-id': 'FAULTPROXY0001' });
        res.end(body);
      });
      return;
    }
    if (fault?.type === 'reset' && (fault.when ?? 'request') === 'request') {
      drain(req, () => reset(req.socket));
      return;
    }
    forward(req, res, entry, fault);
  });

  function forward(req: IncomingMessage, res: ServerResponse, entry: ProxiedRequest, fault: Fault | undefined): void {
    const up = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        // Unchanged, Host included: the SigV4 signature covers it, and s3rver checks it.
        headers: req.headers,
        agent,
      },
      (upRes) => {
        if (fault?.type === 'reset') {
          // s3rver has handled the request; its answer is lost on the way back.
          upRes.resume();
          upRes.on('end', () => reset(req.socket));
          return;
        }
        res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage ?? '', upRes.rawHeaders);
        if (fault?.type !== 'truncate') {
          entry.status = upRes.statusCode ?? 0;
          upRes.pipe(res);
          return;
        }
        let left = fault.afterBytes;
        let cut = false;
        const finish = () => {
          upRes.destroy();
          if (fault.close === 'rst') reset(req.socket);
          else req.socket.destroy();
        };
        upRes.on('data', (chunk: Buffer) => {
          if (cut) return;
          if (chunk.length < left) {
            left -= chunk.length;
            if (!res.write(chunk)) {
              upRes.pause();
              res.once('drain', () => upRes.resume());
            }
            return;
          }
          cut = true;
          res.write(chunk.subarray(0, left), () => finish());
        });
        upRes.on('end', () => {
          // The whole body was shorter than afterBytes: still cut the connection before the end of the answer.
          if (!cut) {
            cut = true;
            finish();
          }
        });
      },
    );
    up.on('error', () => {
      if (!res.headersSent) {
        res.writeHead(502);
        res.end();
      } else req.socket.destroy();
    });
    req.pipe(up);
  }

  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    add(rule) {
      const r = { rule, matched: 0, injected: 0 };
      rules.push(r);
      return {
        rule,
        get matched() {
          return r.matched;
        },
        get injected() {
          return r.injected;
        },
      };
    },
    clearRules() {
      rules.length = 0;
    },
    count(op, key) {
      return requests.filter((r) => r.op === op && keyMatches(key, r.key)).length;
    },
    danglingUploads() {
      const started = new Set(requests.filter((r) => r.op === 'UploadPart').map((r) => r.query.uploadId as string));
      for (const r of requests) {
        if (r.op === 'CompleteMultipartUpload' && r.status >= 200 && r.status < 300) started.delete(r.query.uploadId as string);
        if (r.op === 'AbortMultipartUpload') started.delete(r.query.uploadId as string);
      }
      return [...started];
    },
    abortedUploads() {
      return [...new Set(requests.filter((r) => r.op === 'AbortMultipartUpload').map((r) => r.query.uploadId as string))];
    },
    resetLog() {
      requests.length = 0;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function drain(req: IncomingMessage, then: () => void): void {
  if (req.complete) {
    then();
    return;
  }
  req.on('end', then);
  req.on('error', then);
  req.resume();
}

/** A TCP reset (RST), not an orderly close: what a dropped connection looks like to the client. */
function reset(socket: Socket): void {
  const s = socket as Socket & { resetAndDestroy?: () => Socket };
  if (typeof s.resetAndDestroy === 'function') s.resetAndDestroy();
  else s.destroy();
}

function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
