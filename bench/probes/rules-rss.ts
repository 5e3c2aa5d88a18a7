/**
 * Peak RSS of the S3 handler on firewall objects built to stress the rules and alerts stages:
 *
 *   npx tsx bench/probes/rules-rss.ts [--blocks N] [--hits N] [--real-hit] [--enable RULE_ID,...] [--repeat N]
 *
 * `--blocks N`: N blocked requests, each from its own client IP (a group per row for HighVolumeEventsBlocked).
 * `--hits N`: N React2Shell hits, each from its own client IP (an alert per row).
 * `--real-hit`: one more React2Shell hit from a new client, as the object's last line.
 * The handler runs in this process with the functions' NODE_OPTIONS, its own wiring (lib/wiring.ts) and the
 * detection state in DynamoDB; S3 (s3rver), DynamoDB (dynalite) and SNS (the local endpoint) run in a child process,
 * so only the handler is measured. Prints the summary's counts, the alerts published and the peak RSS.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { localS3Client, startLocalS3 } from '../../testkit/local-s3';
import { startLocalDynamo, startLocalSns } from '../../testkit/local-alerts';
import { handleS3Event, IngestReport } from '../../lib/s3/handler';
import { S3Store } from '../../lib/lake/s3-store';
import { silentLog } from '../../lib/log';
import { wireS3 } from '../../lib/wiring';
import { nodeOptions } from '../../infra/stack/runtime';

const INPUT = 'cflogs-probe-input';
const LAKE = 'cflogs-probe-lake';
const TABLE = 'cflogs-probe-state';
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:cflogs-probe-alerts';
const REACT2SHELL_RULE = '33aa8a8a948b48b28d40450c5fb92fba';
const MiB = 1024 * 1024;

const { values: args } = parseArgs({
  options: {
    blocks: { type: 'string', default: '0' },
    hits: { type: 'string', default: '0' },
    'real-hit': { type: 'boolean', default: false },
    enable: { type: 'string', default: '' },
    repeat: { type: 'string', default: '1' },
    role: { type: 'string' },
  },
  strict: true,
});

/** Child: the AWS stand-ins until stdin closes; prints their endpoints, then on request the alerts published. */
async function serve(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cflogs-probe-'));
  const s3 = await startLocalS3({ directory: dir, buckets: [INPUT, LAKE] });
  const dynamo = await startLocalDynamo();
  await dynamo.createTable(TABLE);
  const sns = await startLocalSns();
  process.stdout.write(JSON.stringify({ s3: s3.endpoint, dynamo: dynamo.endpoint, sns: sns.endpoint }) + '\n');
  const rl = createInterface({ input: process.stdin });
  rl.on('line', () => process.stdout.write(JSON.stringify({ published: sns.published.length }) + '\n'));
  rl.on('close', () => {
    void Promise.all([s3.close(), dynamo.close(), sns.close()]).then(() => {
      rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    });
  });
}

/** The object: blocked requests, React2Shell hits, then the real hit; all within one minute of event time. */
function objectBody(blocks: number, hits: number, realHit: boolean): Buffer {
  const lines: string[] = [];
  const line = (i: number, ip: string, extra: Record<string, unknown>): string =>
    JSON.stringify({
      Action: 'block',
      ClientIP: ip,
      ClientRequestHost: 'app.example.com',
      ClientRequestPath: '/login',
      Datetime: `2026-11-01T09:00:${String(i % 60).padStart(2, '0')}Z`,
      EdgeColoCode: 'FRA',
      EdgeResponseStatus: 403,
      Kind: 'firewall',
      RayID: (0x7f000000 + i).toString(16),
      Source: 'firewallcustom',
      ...extra,
    });
  for (let i = 0; i < blocks; i++) lines.push(line(i, `2001:db8:1::${i.toString(16)}`, { RuleID: 'decoy' }));
  for (let i = 0; i < hits; i++) lines.push(line(blocks + i, `2001:db8:2::${i.toString(16)}`, { RuleID: REACT2SHELL_RULE, Source: 'firewallmanaged' }));
  if (realHit) lines.push(line(blocks + hits, '203.0.113.66', { RuleID: REACT2SHELL_RULE, Source: 'firewallmanaged' }));
  return gzipSync(lines.join('\n') + '\n');
}

async function main(): Promise<void> {
  const server: ChildProcess = spawn(process.execPath, [...process.execArgv, __filename, '--role', 'aws'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const rl = createInterface({ input: server.stdout as NodeJS.ReadableStream });
  const lines: string[] = [];
  const waiters: ((l: string) => void)[] = [];
  rl.on('line', (l) => (waiters.length > 0 ? (waiters.shift() as (l: string) => void)(l) : lines.push(l)));
  const next = (): Promise<string> => (lines.length > 0 ? Promise.resolve(lines.shift() as string) : new Promise((r) => waiters.push(r)));
  const ep = JSON.parse(await next()) as { s3: string; dynamo: string; sns: string };
  try {
    const s3 = localS3Client(ep.s3);
    const body = objectBody(Number(args.blocks), Number(args.hits), args['real-hit']);
    const key = 'firewall_events/20261101/20261101T090000Z_20261101T090100Z_probe.log.gz';
    const put = await s3.send(new PutObjectCommand({ Bucket: INPUT, Key: key, Body: body }));
    // The SDK clients read the region, credentials and endpoints from the process's environment.
    const env = Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: ep.dynamo,
      AWS_ENDPOINT_URL_SNS: ep.sns,
      CFLOGS_RULES_TABLE: TABLE,
      CFLOGS_ALERTS_TOPIC_ARN: TOPIC,
      ...(args.enable !== '' ? { CFLOGS_RULES_ENABLE: args.enable } : {}),
    });
    const deps = wireS3(env, { s3, store: new S3Store(s3, LAKE), config: { outputPrefix: '' }, log: silentLog });
    const event = {
      Records: [{ eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', s3: { bucket: { name: INPUT }, object: { key, size: body.length, eTag: (put.ETag ?? '').replace(/"/g, '') } } }],
    };
    global.gc?.();
    const rssStart = process.memoryUsage().rss;
    let peak = rssStart;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
    const started = Date.now();
    for (let i = 0; i < Number(args.repeat); i++) {
      const report = (await handleS3Event(event, deps)) as IngestReport;
      const o = report.outcomes[0];
      const s = o?.status === 'processed' ? o.summary : undefined;
      server.stdin?.write('published?\n');
      const { published } = JSON.parse(await next()) as { published: number };
      process.stdout.write(
        `run ${i + 1}: ${o?.status}${s ? `, ${s.lines} lines, ${s.rows} rows, matches ${JSON.stringify(s.detections?.matchesByRule ?? {})}, ` +
          `rule errors ${JSON.stringify((s.detections?.ruleErrors ?? []).map((e) => [e.ruleId, e.fn, e.count, e.message]))}, ` +
          `alerts fired ${s.alerts?.fired ?? 0} updated ${s.alerts?.updated ?? 0}` : ` ${JSON.stringify(o).slice(0, 600)}`}; SNS messages so far ${published}\n`,
      );
    }
    clearInterval(timer);
    const maxRss = process.resourceUsage().maxRSS * 1024;
    process.stdout.write(
      `peak RSS ${(Math.max(peak, maxRss) / MiB).toFixed(1)} MiB (sampled ${(peak / MiB).toFixed(1)}, high-water mark ${(maxRss / MiB).toFixed(1)}, at start ${(rssStart / MiB).toFixed(1)}); ` +
        `${((Date.now() - started) / 1000).toFixed(1)} s; NODE_OPTIONS ${process.env.NODE_OPTIONS ?? ''}\n`,
    );
    s3.destroy();
  } finally {
    server.stdin?.end();
    await new Promise((r) => server.once('exit', r));
  }
}

/** The handler runs with the functions' NODE_OPTIONS, or the peak would be another runtime's. */
function withLambdaNodeOptions(): boolean {
  const opts = nodeOptions(undefined);
  if ((process.env.NODE_OPTIONS ?? '').includes(opts)) return false;
  const proc = spawn(process.execPath, [...process.execArgv, __filename, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} ${opts}`.trim() },
  });
  proc.once('exit', (code) => process.exit(code ?? 1));
  return true;
}

const run = args.role === 'aws' ? serve : main;
if (!(run === main && withLambdaNodeOptions())) {
  run().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}
