/**
 * moto's server mode (from the Python virtual environment, `pip install 'moto[server]'`) for the conformance checks
 * that need AWS's protocols here: Glue, S3 and SQS on one endpoint. moto does not refuse an UpdateTable whose VersionId
 * is stale, as Glue does: startVersionCheck is a proxy that adds that check.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo, createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import { GlueClient } from '@aws-sdk/client-glue';

export const REGION = 'us-east-1';
export const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

export function glueClient(endpoint: string): GlueClient {
  return new GlueClient({ endpoint, region: REGION, credentials: CREDENTIALS, maxAttempts: 1 });
}

export async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

/** moto_server on a free port, once it answers. */
export async function startMoto(python: string): Promise<{ endpoint: string; proc: ChildProcess }> {
  const moto = join(python, '..', 'moto_server');
  if (!existsSync(moto)) throw new Error(`no ${moto}: ${join(python, '..', 'pip')} install 'moto[server]'`);
  const port = await freePort();
  const proc = spawn(moto, ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const endpoint = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (proc.exitCode !== null) throw new Error(`moto_server exited ${proc.exitCode}: ${stderr}`);
    const up = await fetch(`${endpoint}/moto-api/`).then(
      () => true,
      () => false,
    );
    if (up) return { endpoint, proc };
    await new Promise((r) => setTimeout(r, 100));
  }
  proc.kill();
  throw new Error(`moto_server did not answer on ${endpoint}: ${stderr}`);
}

/**
 * A proxy in front of moto with AWS's check on UpdateTable: one at a time, refused with ConcurrentModificationException
 * when its VersionId is not the table's current one. Everything else is passed through.
 */
export async function startVersionCheck(target: string): Promise<{ endpoint: string; server: Server; refused: () => number; checked: () => number }> {
  let queue: Promise<unknown> = Promise.resolve();
  let refused = 0;
  let checked = 0;
  const forward = async (req: IncomingMessage, body: Buffer, res: ServerResponse) => {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && !['host', 'connection', 'content-length'].includes(k)) headers[k] = v;
    const r = await fetch(`${target}${req.url ?? '/'}`, { method: req.method ?? 'POST', headers, ...(req.method === 'GET' || req.method === 'HEAD' ? {} : { body }) });
    const out = Buffer.from(await r.arrayBuffer());
    const h: Record<string, string> = {};
    r.headers.forEach((v, k) => {
      if (!['content-encoding', 'content-length', 'transfer-encoding', 'connection'].includes(k)) h[k] = v;
    });
    res.writeHead(r.status, h).end(out);
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const fail = (e: unknown) => res.writeHead(500).end(String(e));
      if (req.headers['x-amz-target'] !== 'AWSGlue.UpdateTable') {
        forward(req, body, res).catch(fail);
        return;
      }
      queue = queue.then(async () => {
        const q = JSON.parse(body.toString('utf8')) as { DatabaseName: string; TableInput: { Name: string }; VersionId?: string };
        if (q.VersionId !== undefined) {
          checked++;
          const current = (await fetch(`${target}/`, {
            method: 'POST',
            // moto routes by the Authorization header's credential scope (it checks no signature).
            headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSGlue.GetTable', authorization: req.headers.authorization ?? '' },
            body: JSON.stringify({ DatabaseName: q.DatabaseName, Name: q.TableInput.Name }),
          }).then((r) => r.json())) as { Table?: { VersionId?: string } };
          if (current.Table?.VersionId !== q.VersionId) {
            refused++;
            res
              .writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': 'ConcurrentModificationException' })
              .end(JSON.stringify({ __type: 'ConcurrentModificationException', Message: 'Update table failed due to concurrent modifications.' }));
            return;
          }
        }
        await forward(req, body, res);
      }).catch(fail);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, refused: () => refused, checked: () => checked };
}

/**
 * check_glue.py (pyiceberg's own GlueCatalog) over EXPECTED_JSON: a problem, or undefined when it passed. Not
 * spawnSync: the VersionId check answers pyiceberg's requests from this process's event loop.
 */
export async function checkGlue(python: string, expectedJson: string, env: Record<string, string>): Promise<string | undefined> {
  const py = spawn(python, [join(__dirname, 'check_glue.py'), expectedJson], { stdio: 'inherit', env: { ...process.env, ...env } });
  const [status, signal] = (await once(py, 'close')) as [number | null, NodeJS.Signals | null];
  return status === 0 ? undefined : `check_glue.py exited ${status ?? signal}`;
}

/** A conformance script's end: each problem on stderr, `<name>: ok` or the count, and the exit code. */
export function finish(name: string, run: () => Promise<string[]>): void {
  run().then(
    (problems) => {
      for (const p of problems) process.stderr.write(`FAIL ${p}\n`);
      process.stdout.write(`${name}: ${problems.length ? `${problems.length} problems` : 'ok'}\n`);
      process.exitCode = problems.length ? 1 : 0;
    },
    (e: unknown) => {
      process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
