import { randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { errorFields } from '../log';
import { checkRequestHead, handleAdmittedRequest, HttpDeps, LogpushRequestHead, LogpushResponse } from './handler';

/**
 * How long and how much a refused request's connection is still read from, its bytes discarded, before it is
 * closed (as nginx's lingering close). Closing a connection while the client is still sending makes the kernel
 * reset it, and a reset discards the answer the client has not read yet: a client that writes its whole body
 * before reading (node:http, Go's net/http, which Logpush uses) would see EPIPE or ECONNRESET instead of the 401
 * or 413. Every bound holds whatever the client does, so a client without the secret still cannot make the server
 * hold memory, or a connection for long.
 */
export interface LingerLimits {
  /** Longest a refused connection is read from, in all. */
  maxMs: number;
  /** Longest wait for the client's next bytes: a client that stops sending is not waited for. */
  idleMs: number;
  /** Most bytes read (and discarded) after the answer. */
  maxBytes: number;
  /** Most refused connections read from at once; past it a refused connection is closed at once. */
  maxConnections: number;
}

export const DEFAULT_LINGER: Omit<LingerLimits, 'maxBytes'> = { maxMs: 5000, idleMs: 2000, maxConnections: 64 };
/**
 * At least this much is read after a refusal, whatever the body limit: a Logpush batch over a small limit (as a
 * local `serve` may set) still gets its answer.
 */
const MIN_LINGER_BYTES = 8 * 1024 * 1024;

export interface LogpushServerOptions {
  linger?: Partial<LingerLimits>;
}

/**
 * The Logpush handler behind a node:http server (what `cflogs serve` runs). Each request is first judged on its
 * head alone (method, shared secret, an announced Content-Length over the limit): a refused request is answered
 * at once, with `Connection: close`, without its body being read into memory. A client that sends
 * `Expect: 100-continue` gets its 100 only once admitted. An admitted body is read into memory up to the size
 * limit plus one byte; past that it is answered 413 at once. After a refusal sent before the body was all
 * received, the connection lingers (LingerLimits): the rest of the body is read and dropped, never kept, until it
 * ends (then the connection is closed cleanly) or a bound is reached (then it is dropped).
 */
export function createLogpushServer(deps: HttpDeps, opts: LogpushServerOptions = {}): Server {
  const limits: LingerLimits = {
    ...DEFAULT_LINGER,
    maxBytes: Math.max(2 * deps.http.maxBodyBytes, MIN_LINGER_BYTES),
    ...opts.linger,
  };
  const linger = new Lingering(limits);
  const server = createServer((req, res) => {
    void serve(req, res, deps, false, linger);
  });
  // Without this listener node:http would answer "100 Continue" itself, before the head is checked.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    void serve(req, res, deps, true, linger);
  });
  server.on('clientError', (_e, socket) => socket.destroy());
  return server;
}

async function serve(req: IncomingMessage, res: ServerResponse, deps: HttpDeps, expectsContinue: boolean, linger: Lingering): Promise<void> {
  const requestId = randomUUID();
  try {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) if (!(k in query)) query[k] = v;
    const head: LogpushRequestHead = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query,
      headers: req.headers,
      requestId,
    };
    const refused = await checkRequestHead(head, deps, () => announcedLength(req));
    if (refused) {
      // The body, if any, is never kept.
      if (req.complete) send(res, refused);
      else linger.answerAndClose(req, res, refused);
      return;
    }
    if (expectsContinue) res.writeContinue();
    const { body, over } = await readBody(req, deps.http.maxBodyBytes);
    // Over the limit: answered (413) from the bytes kept, without waiting for the rest.
    const out = await handleAdmittedRequest({ ...head, body }, deps);
    if (over && !req.complete) linger.answerAndClose(req, res, out);
    else send(res, out);
  } catch (e) {
    deps.log.error('request failed', { requestId, ...errorFields(e) });
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json', connection: 'close' });
    res.end('{"error":"internal error"}');
  }
}

/** Writes the answer to a request whose body was read whole: the connection may carry the next request. */
function send(res: ServerResponse, out: LogpushResponse): void {
  res.writeHead(out.status, { ...out.headers, 'content-length': Buffer.byteLength(out.body) }).end(out.body);
}

/**
 * The refused connections being read from: each within the LingerLimits, and at most `maxConnections` of them, so
 * that many refused clients at once cost neither memory nor sockets beyond a fixed amount.
 */
class Lingering {
  private active = 0;

  constructor(private readonly limits: LingerLimits) {}

  /**
   * Answers a request whose body is not all received yet, with `Connection: close`, then reads and drops the rest
   * of the body until it ends or a bound is reached, and closes the connection. The response is written whole
   * but ended only then: node:http closes the connection when a `Connection: close` response ends.
   */
  answerAndClose(req: IncomingMessage, res: ServerResponse, out: LogpushResponse): void {
    res.shouldKeepAlive = false;
    res.writeHead(out.status, { ...out.headers, 'content-length': Buffer.byteLength(out.body), connection: 'close' });
    if (this.active >= this.limits.maxConnections) {
      // Not waiting for the client: node:http closes the connection once the answer is written.
      res.end(out.body);
      return;
    }
    this.active++;
    res.write(out.body);
    let read = 0;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      this.active--;
      clearTimeout(total);
      clearTimeout(idle);
      req.off('data', onData);
      req.off('end', finish);
      req.off('close', finish);
      const whole = req.complete;
      res.end();
      // A bound reached: the rest of the body is not waited for.
      if (!whole) res.socket?.destroy();
    };
    const onData = (chunk: Buffer): void => {
      read += chunk.length;
      if (read > this.limits.maxBytes) finish();
      else idle.refresh();
    };
    const total = setTimeout(finish, this.limits.maxMs);
    const idle = setTimeout(finish, this.limits.idleMs);
    req.on('data', onData);
    req.once('end', finish);
    req.once('close', finish);
    req.resume();
  }
}

/** The body's length when the head announces it (Content-Length without chunked transfer coding). */
function announcedLength(req: IncomingMessage): number | undefined {
  if (req.headers['transfer-encoding'] !== undefined) return undefined;
  const v = req.headers['content-length'];
  // node:http has already refused a malformed or conflicting Content-Length (400).
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

/**
 * The body, or its first `max + 1` bytes (`over`: enough to know it is too big) as soon as it has that many; the
 * rest is then left unread, for the caller to answer at once and drop it.
 */
function readBody(req: IncomingMessage, max: number): Promise<{ body: Buffer; over: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let kept = 0;
    const stop = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', reject);
      req.off('close', onClose);
    };
    const onData = (b: Buffer): void => {
      const take = b.subarray(0, max + 1 - kept);
      chunks.push(take);
      kept += take.length;
      if (kept > max) {
        stop();
        req.pause();
        resolve({ body: Buffer.concat(chunks), over: true });
      }
    };
    const onEnd = (): void => {
      stop();
      resolve({ body: Buffer.concat(chunks), over: false });
    };
    // The client went away before the end of its body: nothing to answer.
    const onClose = (): void => {
      stop();
      reject(new Error('the connection closed before the end of the request body'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', reject);
    req.on('close', onClose);
  });
}
