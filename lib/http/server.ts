import { randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { errorFields } from '../log';
import { checkRequestHead, handleAdmittedRequest, HttpDeps, LogpushRequestHead, LogpushResponse } from './handler';

/**
 * The Logpush handler behind a node:http server (what `cflogs serve` runs). Each request is first judged on its
 * head alone (method, shared secret, an announced Content-Length over the limit): a refused request is answered
 * at once, with `Connection: close`, and its connection closed without its body being read, so a client without
 * the secret can make the server hold neither memory nor a connection by sending a body slowly. A client that
 * sends `Expect: 100-continue` gets its 100 only once admitted. An admitted body is read into memory up to the
 * size limit plus one byte; the rest of an oversized chunked body is drained (and the connection dropped if it
 * goes on far beyond the limit), so the 413 reaches the client.
 */
export function createLogpushServer(deps: HttpDeps): Server {
  const server = createServer((req, res) => {
    void serve(req, res, deps, false);
  });
  // Without this listener node:http would answer "100 Continue" itself, before the head is checked.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    void serve(req, res, deps, true);
  });
  server.on('clientError', (_e, socket) => socket.destroy());
  return server;
}

async function serve(req: IncomingMessage, res: ServerResponse, deps: HttpDeps, expectsContinue: boolean): Promise<void> {
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
      // The body, if any, is never read: answer, then close the connection rather than drain it.
      send(res, refused, !req.complete);
      return;
    }
    if (expectsContinue) res.writeContinue();
    const { body, abandoned } = await readBody(req, deps.http.maxBodyBytes);
    const out = await handleAdmittedRequest({ ...head, body }, deps);
    // The unread rest of an abandoned body would otherwise be drained from the connection: close it instead.
    send(res, out, abandoned);
  } catch (e) {
    deps.log.error('request failed', { requestId, ...errorFields(e) });
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json', connection: 'close' });
    res.end('{"error":"internal error"}');
  }
}

/**
 * Writes the answer. `close`: the request's body was not (all) read, so the connection cannot carry another
 * request: `Connection: close`, and node:http ends and destroys the socket once the answer is written (it does not
 * wait for the body).
 */
function send(res: ServerResponse, out: LogpushResponse, close: boolean): void {
  const headers: Record<string, string | number> = { ...out.headers, 'content-length': Buffer.byteLength(out.body) };
  if (close) {
    res.shouldKeepAlive = false;
    headers.connection = 'close';
  }
  res.writeHead(out.status, headers).end(out.body);
}

/** The body's length when the head announces it (Content-Length without chunked transfer coding). */
function announcedLength(req: IncomingMessage): number | undefined {
  if (req.headers['transfer-encoding'] !== undefined) return undefined;
  const v = req.headers['content-length'];
  // node:http has already refused a malformed or conflicting Content-Length (400).
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

/**
 * Up to `max + 1` bytes of the body (enough to see it is too big); the rest is read and dropped. `abandoned`
 * when the body went on far beyond the limit: then we stop reading and answer at once.
 */
function readBody(req: IncomingMessage, max: number): Promise<{ body: Buffer; abandoned: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let kept = 0;
    let seen = 0;
    const onData = (b: Buffer): void => {
      seen += b.length;
      if (kept <= max) {
        const take = b.subarray(0, max + 1 - kept);
        chunks.push(take);
        kept += take.length;
      } else if (seen > 4 * max + 1024 * 1024) {
        req.off('data', onData);
        req.pause();
        resolve({ body: Buffer.concat(chunks), abandoned: true });
      }
    };
    req.on('data', onData);
    req.on('end', () => resolve({ body: Buffer.concat(chunks), abandoned: false }));
    req.on('error', reject);
  });
}
