/**
 * `npm start`: the main job on an embedded default. Starts an S3-protocol server (s3rver) on loopback,
 * uploads the project's sample Logpush objects, invokes the real Lambda handler (functions/s3-ingest.ts) with
 * real S3 event payloads, prints a table per object, and mirrors the lake to .out/demo/lake. The detection rules
 * keep their state in dynalite (a DynamoDB-protocol server) and publish to an SNS endpoint on loopback, whose
 * messages are printed.
 *
 * `npm start -- --bucket B --key K` runs the handler once against real S3 (default AWS credential chain);
 * set CFLOGS_OUTPUT_BUCKET to the output bucket.
 */
import { queryCommand } from '../lib/cli/query';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { startLocalDynamo, startLocalSns } from '../testkit/local-alerts';
import { LOCAL_CREDENTIALS, s3CreatedEvent, startLocalS3 } from '../testkit/local-s3';
import type { IngestReport } from '../lib/s3/handler';
import type { ObjectOutcome } from '../lib/s3/object';
import { COMPACTION_DEFAULTS, compactionLine, compactTables } from '../lib/cli/compact';
import { commitLocal, localWarehouse } from '../lib/cli/iceberg';
import { eventColumns } from '../lib/lake/format';
import { builtInRegistry } from '../lib/record/registry';
import { tableLines, TableRow, useColour } from './demo-output';
import { sampleObjects } from './samples';

const ROOT = join(__dirname, '..');
const OUT = join(ROOT, '.out', 'demo');
const INPUT_BUCKET = 'cflogs-demo-logpush';
const LAKE_BUCKET = 'cflogs-demo-lake';
const STATE_TABLE = 'cflogs-demo-detections';
const ALERT_TOPIC = 'arn:aws:sns:us-east-1:000000000000:cflogs-demo-alerts';

const context = {
  functionName: 'cflogs-s3-ingest',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:cflogs-s3-ingest',
  memoryLimitInMB: '1024',
  awsRequestId: 'local-demo',
  logGroupName: '/aws/lambda/cflogs-s3-ingest',
  logStreamName: 'local',
  getRemainingTimeInMillis: () => 900000,
} as unknown as Context;

type Handler = (event: unknown, ctx: Context) => Promise<unknown>;
async function loadHandler(): Promise<Handler> {
  // Required only now: the handler reads its configuration from the environment at module load, like a cold start.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('../functions/s3-ingest') as { handler: Handler }).handler;
}

async function realS3(bucket: string, key: string): Promise<void> {
  if (!process.env.CFLOGS_OUTPUT_BUCKET) throw new Error('set CFLOGS_OUTPUT_BUCKET to the output bucket');
  const handler = await loadHandler();
  const event = s3CreatedEvent([{ bucket, key, size: 1 }]);
  const report = (await handler(event, context)) as IngestReport;
  printTable(report.outcomes.map((o) => ({ key, note: '', outcome: o })));
}

async function localDemo(): Promise<void> {
  rmSync(OUT, { recursive: true, force: true });
  const s3 = await startLocalS3({ directory: join(OUT, 's3rver'), buckets: [INPUT_BUCKET, LAKE_BUCKET] });
  const [dynamo, sns] = await Promise.all([startLocalDynamo(), startLocalSns()]);
  try {
    console.log(`S3-compatible server (s3rver) on ${s3.endpoint}; buckets ${INPUT_BUCKET} -> ${LAKE_BUCKET}`);
    const table = await dynamo.createTable(STATE_TABLE);
    console.log(`Detection state in DynamoDB (dynalite) table ${table}; alerts to SNS ${ALERT_TOPIC} (a local endpoint)\n`);
    Object.assign(process.env, {
      CFLOGS_RULES_TABLE: table,
      CFLOGS_ALERTS_TOPIC_ARN: ALERT_TOPIC,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_SNS: sns.endpoint,
      CFLOGS_OUTPUT_BUCKET: LAKE_BUCKET,
      CFLOGS_S3_FORCE_PATH_STYLE: 'true',
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
      // CloudWatch EMF records are for Lambda; here the table below says the same.
      POWERTOOLS_METRICS_DISABLED: process.env.POWERTOOLS_METRICS_DISABLED ?? 'true',
    });
    const handler = await loadHandler();
    const rows: { key: string; note: string; outcome: ObjectOutcome }[] = [];
    for (const sample of sampleObjects()) {
      const put = await s3.client.send(new PutObjectCommand({ Bucket: INPUT_BUCKET, Key: sample.key, Body: sample.body }));
      const event = s3CreatedEvent([{ bucket: INPUT_BUCKET, key: sample.key, size: sample.body.length, eTag: put.ETag ?? '' }]);
      const report = (await handler(event, context)) as IngestReport;
      for (const outcome of report.outcomes) rows.push({ key: sample.key, note: sample.note, outcome });
    }
    printTable(rows);
    console.log(`\nAlerts published to SNS (${sns.published.length}):`);
    for (const m of sns.published) {
      const a = JSON.parse(m.message) as { severity: string; title: string; eventCount: number; firstEventTime: string; lastEventTime: string };
      console.log(`  ${a.severity.padEnd(6)} ${a.title} (${a.eventCount} event${a.eventCount === 1 ? "" : "s"}, ${a.firstEventTime.slice(11, 19)}-${a.lastEventTime.slice(11, 19)})`);
    }
    const lakeDir = join(OUT, 'lake');
    const files = await mirror(s3.client, LAKE_BUCKET, lakeDir);
    const firstHttp = files.find((f) => f.startsWith('logs/cloudflare_httprequest/'));
    console.log(`\nThe lake (${files.length} files) is in ${relative(process.cwd(), lakeDir) || '.'}/ :`);
    for (const f of files) console.log(`  ${f}`);
    console.log(`(rejects/ is partitioned by the hour each object arrived, its LastModified: here this run's hour, not its rows' event hours as in logs/)`);
    await commitToIceberg(lakeDir, rows);
    if (firstHttp) await showFirstRow(lakeDir);
    await askTheLake(lakeDir);
  } finally {
    await Promise.all([s3.close(), dynamo.close(), sns.close()]);
  }
}

/**
 * Each object's Parquet files committed to the lake's Iceberg tables (lake/iceberg), once per object, as the
 * committer does in AWS; the queries below then read each table's current snapshot.
 */
async function commitToIceberg(lakeDir: string, rows: { outcome: ObjectOutcome }[]): Promise<void> {
  const registry = builtInRegistry();
  const snapshots = new Map<string, number>();
  for (const { outcome } of rows) {
    if (outcome.status !== 'processed') continue;
    const { schema } = registry.require(outcome.summary.logType);
    const c = await commitLocal(lakeDir, schema.table, eventColumns(schema, 'parquet'), outcome.summary.source, outcome.summary.outputs, () => Date.now());
    if (c.snapshotId !== undefined) snapshots.set(schema.table, (snapshots.get(schema.table) ?? 0) + 1);
  }
  const lake = relative(process.cwd(), lakeDir) || '.';
  console.log(`\nIceberg tables in ${lake}/iceberg/ (each object's Parquet files committed once, one snapshot each):`);
  for (const [table, n] of [...snapshots].sort()) console.log(`  ${table}: ${n} snapshot${n === 1 ? '' : 's'}`);
  // Compacted as Glue's compaction optimizer would (bin-pack): an event hour's files rewritten into one, one replace
  // snapshot per table; the queries below read the compacted files and answer as before.
  console.log(`\n$ npm run --silent cflogs -- compact --lake ${lake}`);
  const compacted = await compactTables(localWarehouse(lakeDir), [...snapshots.keys()].sort(), COMPACTION_DEFAULTS);
  for (const r of compacted) console.log(`  ${compactionLine(r)}`);
}

/**
 * The earliest HttpRequest row's timestamps and p_* fields, read back through `cflogs query` (DuckDB), which reads
 * Parquet and NDJSON files alike; absent fields (NULL) left out, as the NDJSON text leaves them out.
 */
async function showFirstRow(lakeDir: string): Promise<void> {
  const sql = "SELECT COLUMNS('^p_|Timestamp$') FROM cloudflare_httprequest ORDER BY p_event_time, p_row_id LIMIT 1";
  let text = '';
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString('utf8');
      done();
    },
  });
  const code = await queryCommand(['--lake', lakeDir, '--json', sql], { stdout: out, stderr: process.stderr });
  if (code !== 0) throw new Error(`the demo's query failed (exit ${code})`);
  const row = JSON.parse(text.split('\n')[0] ?? '{}') as Record<string, unknown>;
  const fields = Object.fromEntries(Object.entries(row).filter(([, v]) => v !== null));
  console.log(`\nAn HttpRequest row's timestamps and p_* fields (DuckDB over the lake: microseconds; p_event_time_ns exact):`);
  console.log(JSON.stringify(fields, null, 2));
}

/** Two questions to the lake just written, through `cflogs query` (DuckDB over the files), and how to ask more. */
async function askTheLake(lakeDir: string): Promise<void> {
  const lake = relative(process.cwd(), lakeDir) || '.';
  const questions = [
    'SELECT EdgeResponseStatus, count(*) AS n, min(p_event_time) AS first FROM cloudflare_httprequest GROUP BY ALL ORDER BY n DESC LIMIT 5',
    'SELECT table_name, reason, count(*) AS n FROM cflogs_rejects GROUP BY ALL ORDER BY n DESC',
    'SELECT ruleId, severity, eventCount, firstEventTime FROM cflogs_alerts ORDER BY firstEventTime',
  ];
  for (const sql of questions) {
    console.log(`\n$ npm run --silent cflogs -- query "${sql}"`);
    const code = await queryCommand(['--lake', lake, sql], { stdout: process.stdout, stderr: process.stderr });
    if (code !== 0) throw new Error(`the demo's query failed (exit ${code})`);
  }
  console.log(`\nAsk the lake more: npm run --silent cflogs -- query "SELECT ..." (tables: the log types' as in Athena, cflogs_rejects and cflogs_alerts)`);
}

function printTable(rows: TableRow[]): void {
  for (const l of tableLines(rows, useColour(process.stdout, process.env))) console.log(l);
}

async function mirror(client: import('@aws-sdk/client-s3').S3Client, bucket: string, dir: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const r = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    for (const o of r.Contents ?? []) if (o.Key) keys.push(o.Key);
    token = r.NextContinuationToken;
  } while (token);
  for (const key of keys) {
    const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const path = join(dir, key);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, await (r.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
  }
  return keys.sort();
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { bucket: { type: 'string' }, key: { type: 'string' } } });
  if (values.bucket !== undefined || values.key !== undefined) {
    if (!values.bucket || !values.key) throw new Error('--bucket and --key go together');
    await realS3(values.bucket, values.key);
  } else {
    await localDemo();
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? `${e.name}: ${e.message}` : e);
  process.exitCode = 1;
});
