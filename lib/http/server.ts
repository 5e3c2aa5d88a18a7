import { randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { errorFields } from '../log';
import { handleLogpushRequest, HttpDeps, LogpushRequest } from './handler';

/**
 * The Logpush handler behind a node:http server (what `cflogs serve` runs). The body is read into memory up to
 * the size limit plus one byte; the rest of an oversized body is drained (and the connection dropped if it goes
 * on far beyond the limit), so the 413 reaches the client.
 */
export function createLogpushServer(deps: HttpDeps): Server {
  const server = createServer((req, res) => {
    void serve(req, res, deps);
  });
  server.on('clientError', (_e, socket) => socket.destroy());
  return server;
}

async function serve(req: IncomingMessage, res: ServerResponse, deps: HttpDeps): Promise<void> {
  const requestId = randomUUID();
  try {
    const { body, abandoned } = await readBody(req, deps.http.maxBodyBytes);
    if (abandoned) {
      // The unread rest of the body would otherwise be drained from the connection: close it instead.
      res.shouldKeepAlive = false;
      res.on('finish', () => req.socket.destroy());
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) if (!(k in query)) query[k] = v;
    const request: LogpushRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query,
      headers: req.headers,
      body,
      requestId,
    };
    const out = await handleLogpushRequest(request, deps);
    res.writeHead(out.status, out.headers).end(out.body);
  } catch (e) {
    deps.log.error('request failed', { requestId, ...errorFields(e) });
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
    res.end('{"error":"internal error"}');
  }
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
