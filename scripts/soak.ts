/**
 * Soak test of the memory bound: `npm run soak -- [--gb 2] [--max-rss-mb 256] [--dataset http_requests] [--hours 3] [--interleave] [--format ndjson|parquet] [--keep]`
 *
 * Streams one generated Logpush object of at least `--gb` GiB uncompressed (realistic lines from testkit/generate/,
 * gzip as Logpush writes it) through the real S3 handler, against s3rver over HTTP: GetObject streams the input,
 * the lake is written with multipart uploads, with the Lambda's own settings (S3Store's parts, loadConfig's defaults).
 * `--interleave` puts line i in event hour i % hours, the worst order for a writer that files rows by hour.
 * `--format parquet|ndjson` runs the handler with that `CFLOGS_OUTPUT_FORMAT`; the default is
 * whatever the environment says, Parquet when unset. The function's memory size is the stack's, 1,769 MB (one vCPU:
 * no scan thread), unless AWS_LAMBDA_FUNCTION_MEMORY_SIZE says otherwise (3538: the scan thread runs with Parquet).
 *
 * Only the handler runs in this process, as in Lambda. s3rver (the stand-in for S3) runs in a child process, and so
 * does the preparation of the input (generated and gzipped on the fly into .out/soak/, never held in memory, then
 * uploaded), so neither counts towards the measured memory. RSS is sampled every 250 ms while the object is
 * processed; the kernel's high-water mark (maxRSS) is reported too. Exit 1 if the peak exceeds --max-rss-mb.
 *
 * The generated input is kept in .out/soak/ and reused by later runs with the same options; s3rver's data
 * (input copy and output) is deleted at the end unless --keep.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { constants as perfConstants, PerformanceEntry, PerformanceObserver } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { createGzip } from 'node:zlib';
import { Upload } from '@aws-sdk/lib-storage';
import { Dataset, DATASETS, generateInterleaved, generateLines, logpushKey } from '../testkit/generate';
import { localS3Client, startLocalS3 } from '../testkit/local-s3';
import { handleS3Event, IngestReport } from '../lib/s3/handler';
import { S3Store } from '../lib/aws/s3-store';
import { silentLog } from '../lib/log';
import { wireS3 } from '../lib/wiring';
import { NODE_OPTIONS } from '../infra/stack/runtime';
import { LAKE_FORMATS } from '../lib/lake/format';

const INPUT = 'cflogs-soak-input';
const LAKE = 'cflogs-soak-lake';
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
/** s3Ingest's memory size in serverless.yml. */
const STACK_MEMORY_MB = 1769;
const ROOT = resolve(__dirname, '..', '.out', 'soak');

const { values: args } = parseArgs({
  options: {
    gb: { type: 'string', default: '2' },
    'max-rss-mb': { type: 'string', default: '256' },
    dataset: { type: 'string', default: 'http_requests' },
    hours: { type: 'string', default: '3' },
    keep: { type: 'boolean', default: false },
    interleave: { type: 'boolean', default: false },
    format: { type: 'string' },
    // Internal: the child processes.
    role: { type: 'string' },
    endpoint: { type: 'string' },
  },
  strict: true,
});

interface Prepared {
  key: string;
  file: string;
  size: number;
  eTag: string;
  lines: number;
  bytes: number;
}

function die(message: string): never {
  process.stderr.write(`soak: ${message}\n`);
  process.exit(2);
}

function options(): { bytes: number; dataset: Dataset; hours: number; maxRssMb: number } {
  const gb = Number(args.gb);
  const hours = Number(args.hours);
  const maxRssMb = Number(args['max-rss-mb']);
  if (!(gb > 0)) die(`--gb must be a positive number, got ${args.gb}`);
  if (!Number.isInteger(hours) || hours < 1 || hours > 48) die(`--hours must be an integer from 1 to 48, got ${args.hours}`);
  if (!(maxRssMb > 0)) die(`--max-rss-mb must be a positive number, got ${args['max-rss-mb']}`);
  if (!DATASETS.includes(args.dataset as Dataset)) die(`--dataset must be one of ${DATASETS.join(', ')}`);
  if (args.format !== undefined && !(LAKE_FORMATS as readonly string[]).includes(args.format)) die(`--format must be one of ${LAKE_FORMATS.join(', ')}`);
  return { bytes: Math.ceil(gb * GiB), dataset: args.dataset as Dataset, hours, maxRssMb };
}

/** Child: s3rver on loopback until its stdin closes. */
async function serveS3(): Promise<void> {
  const s3 = await startLocalS3({ directory: join(ROOT, 's3'), buckets: [INPUT, LAKE] });
  process.stdout.write(JSON.stringify({ endpoint: s3.endpoint }) + '\n');
  process.stdin.resume();
  process.stdin.on('end', () => {
    void s3.close().then(() => process.exit(0));
  });
}

/**
 * Child: generates the object (gzip, streamed to a file; reused when it exists) and uploads it. Lines come from
 * the deterministic generator, events spread evenly over `hours` hours in time order, as in a long Logpush batch.
 */
async function prepare(): Promise<void> {
  const { bytes, dataset, hours } = options();
  const endpoint = args.endpoint ?? die('--endpoint is required');
  mkdirSync(ROOT, { recursive: true });
  // Enough lines for `bytes`: measure the average line length on a sample of the same generator.
  let sampleBytes = 0;
  const SAMPLE = 2000;
  for (const l of generateLines({ dataset, lines: SAMPLE, seed: 7 })) sampleBytes += Buffer.byteLength(l) + 1;
  const lines = Math.ceil((bytes / (sampleBytes / SAMPLE)) * 1.01);
  const gen = { dataset, lines, seed: 7, timestampFormat: 'unixnano' as const, start: new Date('2026-11-01T09:00:00Z'), spanSeconds: hours * 3600 };
  const key = logpushKey('soak', gen);
  const file = join(ROOT, `${dataset}-${lines}-${hours}h${args.interleave ? '-interleaved' : ''}.log.gz`);
  const meta = `${file}.json`;
  let written: { lines: number; bytes: number };
  if (existsSync(file) && existsSync(meta)) {
    written = JSON.parse(readFileSync(meta, 'utf8')) as { lines: number; bytes: number };
  } else {
    written = { lines: 0, bytes: 0 };
    const tmp = `${file}.partial`;
    await pipeline(
      Readable.from(
        (function* () {
          // Join lines into ~1 MiB blocks: one write per block, not per line.
          let block: string[] = [];
          let size = 0;
          for (const l of args.interleave ? generateInterleaved(gen, hours) : generateLines(gen)) {
            block.push(l);
            size += l.length + 1;
            written.lines++;
            if (size >= MiB) {
              const b = Buffer.from(block.join('\n') + '\n');
              written.bytes += b.length;
              yield b;
              block = [];
              size = 0;
            }
          }
          if (block.length) {
            const b = Buffer.from(block.join('\n') + '\n');
            written.bytes += b.length;
            yield b;
          }
        })(),
      ),
      createGzip({ level: 6 }),
      createWriteStream(tmp),
    );
    renameSync(tmp, file);
    writeFileSync(meta, JSON.stringify(written));
  }
  const size = statSync(file).size;
  const client = localS3Client(endpoint);
  const up = new Upload({ client, params: { Bucket: INPUT, Key: key, Body: createReadStream(file), ContentLength: size }, partSize: 16 * MiB, queueSize: 2 });
  const res = await up.done();
  client.destroy();
  const out: Prepared = { key, file, size, eTag: (res.ETag ?? '').replace(/"/g, ''), ...written };
  process.stdout.write(JSON.stringify(out) + '\n');
}

function child(role: string, extra: string[] = []): { proc: ChildProcess; firstLine: Promise<Record<string, unknown>> } {
  const proc = spawn(process.execPath, [...process.execArgv, __filename, '--role', role, ...extra, ...process.argv.slice(2)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const firstLine = new Promise<Record<string, unknown>>((resolveLine, reject) => {
    const rl = createInterface({ input: proc.stdout as NodeJS.ReadableStream });
    rl.once('line', (l) => resolveLine(JSON.parse(l) as Record<string, unknown>));
    proc.once('exit', (code) => reject(new Error(`soak: the ${role} process exited with code ${code}`)));
  });
  return { proc, firstLine };
}

const mb = (n: number) => (n / MiB).toFixed(1);

/** What the lake files are, from their names (rejects are NDJSON in either format). */
function outputKind(keys: string[]): string {
  const kinds = new Set(keys.map((k) => (k.endsWith('.parquet') ? 'Parquet (zstd)' : k.endsWith('.json.gz') ? 'gzip NDJSON' : k.endsWith('.json.zst') ? 'zstd NDJSON' : 'other')));
  return [...kinds].join(' + ');
}

async function main(): Promise<void> {
  const { bytes, dataset, hours, maxRssMb } = options();
  rmSync(join(ROOT, 's3'), { recursive: true, force: true });
  const server = child('s3');
  let exitCode = 1;
  try {
    const { endpoint } = (await server.firstLine) as { endpoint: string };
    process.stdout.write(
      `soak: preparing a ${dataset} object of ${mb(bytes)} MiB uncompressed over ${hours} event hours${args.interleave ? ', interleaved' : ''} (cached in ${ROOT})\n`,
    );
    const t0 = Date.now();
    const prep = (await child('prepare', ['--endpoint', endpoint]).firstLine) as unknown as Prepared;
    process.stdout.write(
      `soak: input s3://${INPUT}/${prep.key}: ${mb(prep.size)} MiB gzip, ${mb(prep.bytes)} MiB, ${prep.lines} lines (ready in ${((Date.now() - t0) / 1000).toFixed(0)} s)\n`,
    );

    // Everything below is what a Lambda invocation does, in this process.
    const s3 = localS3Client(endpoint);
    // The Lambda's own wiring, defaults and CFLOGS_* overrides, so the soak measures what is deployed.
    // --format sets the handler's CFLOGS_OUTPUT_FORMAT, as the stack's outputFormat parameter does.
    const env = {
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(STACK_MEMORY_MB),
      ...process.env,
      ...(args.format === undefined ? {} : { CFLOGS_OUTPUT_FORMAT: args.format }),
    };
    const deps = wireS3(env, { s3, store: new S3Store(s3, LAKE), config: { outputPrefix: '' }, log: silentLog });
    const event = {
      Records: [
        {
          eventSource: 'aws:s3',
          eventName: 'ObjectCreated:CompleteMultipartUpload',
          s3: { bucket: { name: INPUT }, object: { key: prep.key, size: prep.size, eTag: prep.eTag } },
        },
      ],
    };
    global.gc?.();
    const rssStart = process.memoryUsage().rss;
    let peak = rssStart;
    let samples = 0;
    // Where the memory is: V8's heap (in use and reserved) and off-heap (Buffers, ArrayBuffers), each at its own peak.
    const peaks = { heapUsed: 0, heapTotal: 0, external: 0, arrayBuffers: 0, rssAtHeapPeak: 0 };
    const timer = setInterval(() => {
      const m = process.memoryUsage();
      samples++;
      if (m.rss > peak) peak = m.rss;
      if (m.heapUsed > peaks.heapUsed) {
        peaks.heapUsed = m.heapUsed;
        peaks.rssAtHeapPeak = m.rss;
      }
      if (m.heapTotal > peaks.heapTotal) peaks.heapTotal = m.heapTotal;
      if (m.external > peaks.external) peaks.external = m.external;
      if (m.arrayBuffers > peaks.arrayBuffers) peaks.arrayBuffers = m.arrayBuffers;
    }, 250);
    // The heap in use just after each full (mark-compact) GC: about what is live then. The gap between it and the
    // peak above is garbage the collector had not yet come for.
    const majors = { count: 0, maxLive: 0 };
    const gcObserver = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        if ((e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind !== perfConstants.NODE_PERFORMANCE_GC_MAJOR) continue;
        majors.count++;
        const used = process.memoryUsage().heapUsed;
        if (used > majors.maxLive) majors.maxLive = used;
      }
    });
    gcObserver.observe({ entryTypes: ['gc'] });
    const started = Date.now();
    let report: IngestReport;
    try {
      report = (await handleS3Event(event, deps)) as IngestReport;
    } finally {
      clearInterval(timer);
      gcObserver.disconnect();
      s3.destroy();
    }
    const seconds = (Date.now() - started) / 1000;
    const maxRss = process.resourceUsage().maxRSS * 1024;
    const outcome = report.outcomes[0];
    if (outcome?.status !== 'processed') throw new Error(`soak: the object was not processed: ${JSON.stringify(outcome)}`);
    const s = outcome.summary;
    const out = s.outputs.reduce((a, f) => a + f.bytes, 0);
    const worst = Math.max(peak, maxRss);
    const ok = worst <= maxRssMb * MiB && s.lines === prep.lines && s.rows + s.rejected + s.filtered + s.blank === s.lines;
    process.stdout.write(
      [
        `soak: ${ok ? 'PASS' : 'FAIL'}`,
        `  input        ${mb(s.bytesIn)} MiB gzip -> ${mb(s.decompressedBytes)} MiB (${(s.decompressedBytes / GiB).toFixed(2)} GiB) uncompressed`,
        `  lines        ${s.lines} read = ${s.rows} rows + ${s.rejected} rejects + ${s.filtered} filtered + ${s.blank} blank (generated ${prep.lines})`,
        `  output       ${s.outputs.length} files, ${mb(out)} MiB ${outputKind(s.outputs.map((f) => f.key))}`,
        `  duration     ${seconds.toFixed(1)} s, ${(s.decompressedBytes / MiB / seconds).toFixed(1)} MiB/s uncompressed, ${Math.round(s.lines / seconds)} lines/s`,
        `  RSS          ${mb(rssStart)} MiB at start, peak ${mb(peak)} MiB (${samples} samples every 250 ms), kernel high-water mark ${mb(maxRss)} MiB; limit ${maxRssMb} MiB`,
        `  memory       peaks: V8 heap used ${mb(peaks.heapUsed)} MiB (RSS then ${mb(peaks.rssAtHeapPeak)}), heap reserved ${mb(peaks.heapTotal)} MiB, off-heap ${mb(peaks.external)} MiB (of which ArrayBuffers ${mb(peaks.arrayBuffers)}); ` +
          `after the ${majors.count} full GCs at most ${mb(majors.maxLive)} MiB in use`,
        `  node         ${process.version}, heap limit ${mb(getHeapStatistics().heap_size_limit)} MiB, NODE_OPTIONS ${process.env.NODE_OPTIONS ?? ''}`,
      ].join('\n') + '\n',
    );
    exitCode = ok ? 0 : 1;
  } finally {
    server.proc.stdin?.end();
    await new Promise((r) => server.proc.once('exit', r));
    if (!args.keep) rmSync(join(ROOT, 's3'), { recursive: true, force: true });
  }
  process.exit(exitCode);
}

/** The handler runs here: with the functions' NODE_OPTIONS, or the peak would be another runtime's. */
function withLambdaNodeOptions(): boolean {
  const LAMBDA_NODE_OPTIONS = NODE_OPTIONS;
  if ((process.env.NODE_OPTIONS ?? '').includes(LAMBDA_NODE_OPTIONS)) return false;
  const proc = spawn(process.execPath, [...process.execArgv, __filename, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} ${LAMBDA_NODE_OPTIONS}`.trim() },
  });
  proc.once('exit', (code) => process.exit(code ?? 1));
  return true;
}

const run = args.role === 's3' ? serveS3 : args.role === 'prepare' ? prepare : main;
if (!(run === main && withLambdaNodeOptions())) {
  run().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}
