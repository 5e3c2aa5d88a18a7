/**
 * End to end: the S3 Lambda's logic (`handleS3Event`) on an S3 ObjectCreated event, reading the object with
 * GetObject and writing the lake with multipart uploads, against s3rver on loopback. s3rver runs in a separate
 * process (on another core when there is one), started by this contender, which also uploads the object before the
 * clock starts. Reported, not compared: loopback HTTP and s3rver's disk writes are not what S3 costs.
 */
import { spawn, ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { loadConfig } from '../../lib/config';
import { localS3Client, s3CreatedEvent } from '../../testkit/local-s3';
import { silentLog } from '../../lib/log';
import { handleS3Event } from '../../lib/s3/handler';
import type { ObjectOutcome } from '../../lib/s3/object';
import { Router } from '../../lib/route/router';
import { builtInRegistry } from '../../lib/record/registry';
import { S3Store } from '../../lib/aws/s3-store';
import { s3ObjectSource } from '../../lib/aws/s3-source';
import type { Contender } from '../contender';

const INPUT = 'bench-input';
const LAKE = 'bench-lake';

let server: ChildProcess | undefined;
let dir: string | undefined;
let s3: S3Client | undefined;
let expectedBytes = 0;

interface Served {
  endpoint: string;
  eTag: string;
  size: number;
}

async function startServer(bundle: string, cpus: string | undefined, directory: string, file: string, key: string): Promise<Served> {
  const args = [bundle, directory, file, INPUT, key, LAKE];
  const child = cpus ? spawn('taskset', ['-c', cpus, process.execPath, ...args]) : spawn(process.execPath, args);
  child.stderr?.pipe(process.stderr);
  server = child;
  const rl = createInterface({ input: child.stdout! });
  for await (const line of rl) {
    rl.close();
    return JSON.parse(line) as Served;
  }
  throw new Error('s3 server exited before listening');
}

const e2e: Contender = {
  async prepare(corpus, params) {
    dir = mkdtempSync(join(String(params.tmpDir), 'e2e-'));
    const cpus = params.serverCpus as string | undefined;
    const served = await startServer(String(params.s3ServerBundle), cpus, dir, corpus.path, corpus.key);
    s3 = localS3Client(served.endpoint);
    const deps = {
      source: s3ObjectSource(s3),
      store: new S3Store(s3, LAKE),
      router: new Router([], builtInRegistry()),
      config: loadConfig({}),
      clock: () => new Date('2026-11-24T12:00:00Z'),
      log: silentLog,
    };
    const event = s3CreatedEvent([{ bucket: INPUT, key: corpus.key, size: served.size, eTag: served.eTag }]);

    return async () => {
      const r = await handleS3Event(event, deps);
      const outcomes = (r as { outcomes?: ObjectOutcome[] }).outcomes ?? [];
      const o = outcomes[0];
      if (outcomes.length !== 1 || o?.status !== 'processed') throw new Error(`unexpected outcome: ${JSON.stringify(r)}`);
      const s = o.summary;
      if (s.rejected !== 0 || s.lines !== corpus.lines) throw new Error(`e2e: ${s.lines} lines, ${s.rejected} rejects`);
      expectedBytes = s.outputs.reduce((a, f) => a + f.bytes, 0);
      const { codec } = deps.config;
      return {
        rows: s.rows,
        expectedRows: corpus.lines,
        bytesOut: expectedBytes,
        notes: { files: s.outputs.length, codec: `${codec.compression} ${codec.level}` },
      };
    };
  },

  /** Checks the lake really holds what the summary claims, then stops the server. */
  async teardown() {
    try {
      let stored = 0;
      let token: string | undefined;
      do {
        const r = await s3!.send(new ListObjectsV2Command({ Bucket: LAKE, ContinuationToken: token }));
        for (const o of r.Contents ?? []) stored += o.Size ?? 0;
        token = r.NextContinuationToken;
      } while (token);
      if (stored !== expectedBytes) throw new Error(`the lake holds ${stored} bytes, the summary says ${expectedBytes}`);
    } finally {
      s3?.destroy();
      server?.stdin?.end();
      if (server && server.exitCode === null) await new Promise((r) => server!.once('exit', r));
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default e2e;
