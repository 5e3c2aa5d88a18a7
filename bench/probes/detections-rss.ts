/**
 * Probe (not part of `npm run bench`): peak RSS of inputs built to stress the rules and alerts stages.
 *
 *   npx tsx bench/probes/detections-rss.ts [--hits 2000] [--blocks 0] [--real-hit] [--enable RULE_ID,...] [--path s3|serve]
 *
 * One firewall batch of `--blocks` blocked requests, each from its own client IP (a group per row for
 * HighVolumeEventsBlocked, `--enable Cloudflare.Firewall.HighVolumeEventsBlocked`), then `--hits` React2Shell hits,
 * each from its own client IP (the rule fires on every match and deduplicates by client IP: one alert per line),
 * then with `--real-hit` one more React2Shell hit from a new client, goes through the S3 handler (the detection state in DynamoDB) and
 * through `cflogs serve` (the state in memory), each in a fresh process with the functions' NODE_OPTIONS
 * (infra/stack/runtime.js). S3 (s3rver), DynamoDB (dynalite) and SNS (the local Query-protocol endpoint) run in a
 * child process, so only the handler is measured. Prints one JSON line per path: the outcome, the SNS messages
 * (alerts published on their own and summaries), the alert records written, and the peak RSS (the kernel's
 * high-water mark, reset once everything is set up, so only the input counts).
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { ListObjectsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { localS3Client, startLocalS3 } from '../../testkit/local-s3';
import { startLocalDynamo, startLocalSns } from '../../testkit/local-alerts';
import { handleS3Event, IngestReport } from '../../lib/s3/handler';
import { S3Store } from '../../lib/aws/s3-store';
import { silentLog } from '../../lib/log';
import { wireS3 } from '../../lib/wiring';
import { serveCommand } from '../../lib/cli/serve';
import { NODE_OPTIONS } from '../../infra/stack/runtime';
import { peakMb, resetPeak } from './peak';

const INPUT = 'cflogs-probe-input';
const LAKE = 'cflogs-probe-lake';
const TABLE = 'cflogs-probe-state';
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:cflogs-probe-alerts';
const REACT2SHELL_RULE = '33aa8a8a948b48b28d40450c5fb92fba';
const MiB = 1024 * 1024;

const { values: args } = parseArgs({
  options: {
    hits: { type: 'string', default: '2000' },
    blocks: { type: 'string', default: '0' },
    'real-hit': { type: 'boolean', default: false },
    enable: { type: 'string', default: '' },
    path: { type: 'string' },
    role: { type: 'string' },
    endpoints: { type: 'string' },
  },
  strict: true,
});
const HITS = Number(args.hits);
const BLOCKS = Number(args.blocks);

/** Child: the AWS stand-ins until stdin closes; prints their endpoints, then the SNS messages on each line asked. */
async function aws(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cflogs-flood-'));
  const s3 = await startLocalS3({ directory: dir, buckets: [INPUT, LAKE] });
  const dynamo = await startLocalDynamo();
  await dynamo.createTable(TABLE);
  const sns = await startLocalSns();
  process.stdout.write(JSON.stringify({ s3: s3.endpoint, dynamo: dynamo.endpoint, sns: sns.endpoint }) + '\n');
  const rl = createInterface({ input: process.stdin });
  rl.on('line', () => {
    const messages = sns.published.map((m) => JSON.parse(m.message) as { summary?: { alerts: number } });
    const summaries = messages.filter((m) => m.summary !== undefined);
    const summarised = summaries.reduce((n, m) => n + (m.summary?.alerts ?? 0), 0);
    process.stdout.write(JSON.stringify({ messages: messages.length, individual: messages.length - summaries.length, summaries: summaries.length, summarised }) + '\n');
  });
  rl.on('close', () => {
    void Promise.all([s3.close(), dynamo.close(), sns.close()]).then(() => {
      rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    });
  });
}

/** The blocked requests, the React2Shell hits and the real hit, each from its own client IP, within one minute of event time. */
function body(): Buffer {
  const lines: string[] = [];
  const line = (i: number, ip: string, extra: Record<string, unknown>): string =>
    JSON.stringify({
      Action: 'block',
      ClientIP: ip,
      ClientRequestHost: 'app.example.com',
      ClientRequestPath: '/_next/action',
      Datetime: `2026-11-01T09:00:${String(i % 60).padStart(2, '0')}Z`,
      EdgeColoCode: 'FRA',
      EdgeResponseStatus: 403,
      Kind: 'firewall',
      RayID: (0x7f000000 + i).toString(16),
      ...extra,
    });
  for (let i = 0; i < BLOCKS; i++) lines.push(line(i, `2001:db8:1::${i.toString(16)}`, { RuleID: 'decoy', Source: 'firewallcustom' }));
  for (let i = 0; i < HITS; i++) lines.push(line(BLOCKS + i, `2001:db8:2::${i.toString(16)}`, { RuleID: REACT2SHELL_RULE, Source: 'firewallmanaged' }));
  if (args['real-hit']) lines.push(line(BLOCKS + HITS, '203.0.113.66', { RuleID: REACT2SHELL_RULE, Source: 'firewallmanaged' }));
  return gzipSync(lines.join('\n') + '\n');
}

function countFiles(dir: string, under: string): number {
  let n = 0;
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.includes(under)) n++;
    }
  };
  walk(dir);
  return n;
}

/** Child: one path, measured. */
async function one(path: string, ep: { s3: string; dynamo: string; sns: string }): Promise<Record<string, unknown>> {
  // The SDK clients read the region, credentials and endpoints from the process's environment, as in Lambda.
  const env = Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: ep.dynamo,
    AWS_ENDPOINT_URL_SNS: ep.sns,
    CFLOGS_ALERTS_TOPIC_ARN: TOPIC,
    ...(args.enable !== '' ? { CFLOGS_RULES_ENABLE: args.enable } : {}),
  });
  const gz = body();
  if (path === 's3') {
    const s3 = localS3Client(ep.s3);
    const key = `firewall_events/20261101/20261101T090000Z_20261101T090100Z_probe-${BLOCKS}-${HITS}.log.gz`;
    const put = await s3.send(new PutObjectCommand({ Bucket: INPUT, Key: key, Body: gz }));
    const deps = wireS3({ ...env, CFLOGS_RULES_TABLE: TABLE }, { s3, store: new S3Store(s3, LAKE), config: { outputPrefix: '' }, log: silentLog });
    const event = {
      Records: [{ eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', s3: { bucket: { name: INPUT }, object: { key, size: gz.length, eTag: (put.ETag ?? '').replace(/"/g, '') } } }],
    };
    global.gc?.();
    resetPeak();
    const started = Date.now();
    const report = (await handleS3Event(event, deps)) as IngestReport;
    const seconds = (Date.now() - started) / 1000;
    const peak = peakMb();
    const o = report.outcomes[0];
    // ListObjects v1: s3rver's v2 continuation tokens need a cipher Node 24 no longer has.
    let records = 0;
    let marker: string | undefined;
    for (;;) {
      const page = await s3.send(new ListObjectsCommand({ Bucket: LAKE, Prefix: 'alerts/', ...(marker !== undefined ? { Marker: marker } : {}) }));
      records += page.Contents?.length ?? 0;
      if (!page.IsTruncated || !page.Contents?.length) break;
      marker = page.Contents.at(-1)?.Key;
    }
    s3.destroy();
    const d = o?.status === 'processed' ? o.summary.detections : undefined;
    return {
      path,
      blocks: BLOCKS,
      hits: HITS,
      outcome: o?.status,
      ...(o?.status === 'processed' ? {} : { error: JSON.stringify(o).slice(0, 400) }),
      ...(d ? { matches: d.matchesByRule, ruleErrors: d.ruleErrors.map((e) => [e.ruleId, e.fn, e.count]), groups: d.contributions.length } : {}),
      alertRecords: records,
      seconds,
      peakRssMb: Math.round(peak),
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'cflogs-flood-serve-'));
  try {
    const stop = new AbortController();
    let url = '';
    await new Promise<void>((r) => {
      void serveCommand(['--port', '0', '--secret', 'probe-secret', '--out', dir], {
        stdout: new PassThrough(),
        stderr: new PassThrough(),
        env: { ...env, CFLOGS_MAX_BODY_BYTES: String(gz.length + 1) },
        signal: stop.signal,
        log: silentLog,
        onListening: (u) => {
          url = u;
          r();
        },
      });
    });
    global.gc?.();
    resetPeak();
    const started = Date.now();
    const res = await fetch(`${url}/firewall_events`, { method: 'POST', body: gz, headers: { 'x-panther-cloudflare': 'probe-secret', 'content-encoding': 'gzip' } });
    const text = await res.text();
    const seconds = (Date.now() - started) / 1000;
    const peak = peakMb();
    stop.abort();
    return {
      path,
      blocks: BLOCKS,
      hits: HITS,
      status: res.status,
      ...(res.status === 200 ? {} : { error: text.slice(0, 400) }),
      alertRecords: countFiles(dir, '/alerts/'),
      seconds,
      peakRssMb: Math.round(peak),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const server: ChildProcess = spawn(process.execPath, [...process.execArgv, __filename, '--role', 'aws'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const rl = createInterface({ input: server.stdout as NodeJS.ReadableStream });
  const lines: string[] = [];
  const waiters: ((l: string) => void)[] = [];
  rl.on('line', (l) => (waiters.length > 0 ? (waiters.shift() as (l: string) => void)(l) : lines.push(l)));
  const next = (): Promise<string> => (lines.length > 0 ? Promise.resolve(lines.shift() as string) : new Promise((r) => waiters.push(r)));
  const endpoints = await next();
  try {
    for (const path of args.path !== undefined ? [args.path] : ['s3', 'serve']) {
      const before = JSON.parse((server.stdin?.write('?\n'), await next())) as { messages: number; individual: number; summaries: number; summarised: number };
      // Each path in a fresh process with the functions' NODE_OPTIONS: the peak is that process's alone.
      const pass = [...(args['real-hit'] ? ['--real-hit'] : []), ...(args.enable !== '' ? ['--enable', args.enable] : [])];
      const r = spawnSync(process.execPath, [...process.execArgv, '--expose-gc', __filename, '--role', 'path', '--path', path, '--hits', String(HITS), '--blocks', String(BLOCKS), ...pass, '--endpoints', endpoints], {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} ${NODE_OPTIONS}`.trim() },
        maxBuffer: 16 * MiB,
      });
      const after = JSON.parse((server.stdin?.write('?\n'), await next())) as typeof before;
      const last = r.stdout.toString('utf8').trim().split('\n').pop() ?? '';
      const result = (last.startsWith('{') ? JSON.parse(last) : { error: `the ${path} process ended with ${r.status ?? r.signal}` }) as Record<string, unknown>;
      process.stdout.write(
        JSON.stringify({
          ...result,
          exit: r.status,
          snsMessages: after.messages - before.messages,
          publishedAlone: after.individual - before.individual,
          summaries: after.summaries - before.summaries,
          summarisedAlerts: after.summarised - before.summarised,
          nodeOptions: NODE_OPTIONS,
        }) + '\n',
      );
      if (r.status !== 0) process.exitCode = 1;
    }
  } finally {
    server.stdin?.end();
    await new Promise((r) => server.once('exit', r));
  }
}

if (args.role === 'aws') {
  void aws();
} else if (args.role === 'path') {
  one(args.path ?? 's3', JSON.parse(args.endpoints ?? '{}') as { s3: string; dynamo: string; sns: string }).then(
    (r) => {
      process.stdout.write(JSON.stringify(r) + '\n');
      process.exit(0);
    },
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    },
  );
} else {
  void main();
}
