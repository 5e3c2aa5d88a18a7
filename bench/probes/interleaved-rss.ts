/**
 * Probe (not part of `npm run bench`): peak RSS of `cflogs serve` when a batch's rows arrive in event-hour order
 * and when their hours interleave (line i in hour i % hours). `npx tsx bench/probes/interleaved-rss.ts [--lines
 * 20000] [--hours 6]` runs each order in a fresh process and prints one line per order: peak RSS (the kernel's
 * high-water mark, reset once the server listens, so only the request counts), rows landed and files written. The
 * S3 handler's counterpart is the soak, which keeps s3rver out of the measured process:
 * `npm run soak -- --gb 0.0522 --hours 6 [--interleave]` (about 20,000 lines).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { readLakeFile } from '../../testkit/lake-files';
import { generateInterleaved, generateLines } from '../../testkit/generate';
import { serveCommand } from '../../lib/cli/serve';
import { peakMb, resetPeak } from './peak';

const { values: args } = parseArgs({
  options: {
    lines: { type: 'string', default: '20000' },
    hours: { type: 'string', default: '6' },
    order: { type: 'string' },
  },
  strict: true,
});
const LINES = Number(args.lines);
const HOURS = Number(args.hours);
const quiet = { info() {}, warn() {}, error() {} };

async function one(order: string): Promise<void> {
  const gen = { dataset: 'http_requests' as const, lines: LINES, seed: 3, start: new Date('2026-11-01T06:00:00Z'), spanSeconds: HOURS * 3600 };
  const lines = [...(order === 'interleaved' ? generateInterleaved(gen, HOURS) : generateLines(gen))];
  const body = gzipSync(Buffer.from(lines.join('\n') + '\n'));
  lines.length = 0;
  const dir = mkdtempSync(join(tmpdir(), 'cflogs-rss-'));
  let rows = 0;
  let files = 0;
  try {
    const stop = new AbortController();
    let url = '';
    const ready = new Promise<void>((r) => {
      void serveCommand(['--port', '0', '--secret', 'probe-secret', '--out', dir], {
        stdout: new PassThrough(),
        stderr: new PassThrough(),
        env: { CFLOGS_MAX_BODY_BYTES: String(body.length + 1) },
        signal: stop.signal,
        log: quiet,
        onListening: (u) => {
          url = u;
          r();
        },
      });
    });
    await ready;
    global.gc?.();
    resetPeak();
    const res = await fetch(`${url}/http_requests`, { method: 'POST', body, headers: { 'x-panther-cloudflare': 'probe-secret', 'content-encoding': 'gzip' } });
    if (res.status !== 200) throw new Error(`serve answered ${res.status}: ${await res.text()}`);
    stop.abort();
    const walk = (d: string): void => {
      for (const n of readdirSync(d)) {
        const p = join(d, n);
        if (statSync(p).isDirectory()) walk(p);
        else if (p.includes('/logs/')) {
          files++;
          rows += readLakeFile(readFileSync(p)).split('\n').filter(Boolean).length;
        }
      }
    };
    walk(dir);
    process.stdout.write(JSON.stringify({ path: 'serve', order, lines: LINES, hours: HOURS, rows, files, peakRssMb: Math.round(peakMb()) }) + '\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (args.order !== undefined) {
  one(args.order).then(
    () => process.exit(0),
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    },
  );
} else {
  for (const order of ['hour', 'interleaved']) {
    const r = spawnSync(process.execPath, [...process.execArgv, '--expose-gc', __filename, '--order', order, '--lines', String(LINES), '--hours', String(HOURS)], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    if (r.status !== 0) process.exitCode = 1;
  }
}
