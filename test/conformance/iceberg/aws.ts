/**
 * The deployed path of the Iceberg tables, end to end on AWS's protocols (moto's server: S3, SQS and Glue, the Glue
 * calls through the VersionId check of moto.ts), with the functions' own wiring (lib/wiring.ts) and no client
 * injected: every SDK client finds moto through AWS_ENDPOINT_URL, as the functions find AWS.
 *
 * 1. The stack's custom resource: the committer creates every log type's table (answering at a local ResponseURL).
 * 2. The demo's sample objects land in the input bucket; the S3 function ingests each twice (a redelivery), so each
 *    input is handed off twice, each time with files of its own.
 * 3. Two committer invocations take the queue's messages (ReceiveMessage, as Lambda's poller does), each object's
 *    two hand-offs one each, so they race on every table (the loser meets a stale VersionId, reads the table again and
 *    finds the input committed), and delete what they committed.
 * 4. check_glue.py: pyiceberg's own Glue catalog, reading the files from moto's S3, finds each table with exactly the
 *    rows of the objects (count, each p_row_id once), each input committed once.
 *
 * Prints each object's latency from PutObject to its rows in a snapshot, without the committer's batching window
 * (here the messages are taken as soon as the objects are ingested).
 *
 * usage: tsx test/conformance/iceberg/aws.ts [OUT_DIR]   (Python from CFLOGS_PYTHON)
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { CreateDatabaseCommand, GetTableCommand, GlueClient } from '@aws-sdk/client-glue';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { parseS3Uri } from '../../../lib/aws/iceberg-io';
import { committedInputs, currentDataFiles } from '../../../lib/iceberg/commit';
import { handleCommitterEvent } from '../../../lib/iceberg/lambda';
import type { TableMetadata } from '../../../lib/iceberg/metadata';
import { silentLog } from '../../../lib/log';
import { handleS3Event, IngestReport } from '../../../lib/s3/handler';
import { wireCommitter, wireS3 } from '../../../lib/wiring';
import { sampleObjects } from '../../../scripts/samples';
import { s3CreatedEvent } from '../../../testkit/local-s3';
import { checkGlue, CREDENTIALS, finish, REGION, startMoto, startVersionCheck } from './moto';

const ROOT = join(__dirname, '..', '..', '..');
const INPUT = 'cflogs-input';
const LAKE = 'cflogs-lake';
const DATABASE = 'cflogs_aws';

async function main(): Promise<string[]> {
  const out = process.argv[2] ?? join(ROOT, '.out', 'iceberg-aws');
  const python = process.env.CFLOGS_PYTHON ?? join(ROOT, '.out', 'pyenv', 'bin', 'python');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const { endpoint: motoEndpoint, proc } = await startMoto(python);
  const check = await startVersionCheck(motoEndpoint);
  const problems: string[] = [];
  const answers: { Status: string; Reason: string }[] = [];
  const cfn = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      answers.push(JSON.parse(Buffer.concat(chunks).toString()) as { Status: string; Reason: string });
      res.end();
    });
  });
  await new Promise<void>((r) => cfn.listen(0, '127.0.0.1', r));
  try {
    // The functions' environment, as the stack sets it; the SDK's clients go to moto (through the VersionId check).
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: check.endpoint,
      // SQS straight to moto, whose queue URLs name its own port.
      AWS_ENDPOINT_URL_SQS: motoEndpoint,
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      CFLOGS_S3_FORCE_PATH_STYLE: 'true',
      CFLOGS_OUTPUT_BUCKET: LAKE,
      CFLOGS_RULES: 'false',
      CFLOGS_ICEBERG_DATABASE: DATABASE,
      CFLOGS_ICEBERG_WAREHOUSE: `s3://${LAKE}/logs`,
    });
    const client = { endpoint: check.endpoint, region: REGION, credentials: CREDENTIALS };
    const s3 = new S3Client({ ...client, forcePathStyle: true });
    const sqs = new SQSClient({ ...client, endpoint: motoEndpoint });
    const glue = new GlueClient(client);
    for (const b of [INPUT, LAKE]) await s3.send(new CreateBucketCommand({ Bucket: b }));
    const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'cflogs-commit' }))).QueueUrl as string;
    process.env.CFLOGS_ICEBERG_QUEUE_URL = queueUrl;
    await glue.send(new CreateDatabaseCommand({ DatabaseInput: { Name: DATABASE } }));

    // 1. The stack creates the tables.
    const committer = () => wireCommitter(process.env, { log: silentLog });
    const created = await handleCommitterEvent(
      {
        RequestType: 'Create',
        ResponseURL: `http://127.0.0.1:${(cfn.address() as AddressInfo).port}/answer`,
        StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/cflogs/1',
        RequestId: 'create',
        LogicalResourceId: 'IcebergTables',
      },
      committer(),
    );
    const specs = committer().specs;
    if (!('tables' in created) || created.tables.length !== specs.length || answers[0]?.Status !== 'SUCCESS') {
      problems.push(`custom resource: created ${JSON.stringify(created)}, answered ${JSON.stringify(answers)}`);
    }
    process.stdout.write(`custom resource: ${specs.length} tables created in Glue, answered ${answers[0]?.Status}\n`);

    // 2. Objects land and are ingested twice each.
    const ingest = wireS3(process.env, { log: silentLog });
    const landed = new Map<string, number>();
    const rowsByTable = new Map<string, number>();
    const inputsByTable = new Map<string, number>();
    for (const o of sampleObjects()) {
      const put = await s3.send(new PutObjectCommand({ Bucket: INPUT, Key: o.key, Body: o.body }));
      const event = s3CreatedEvent([{ bucket: INPUT, key: o.key, size: o.body.length, eTag: (put.ETag ?? '').replace(/"/g, '') }]);
      landed.set(o.key, Date.now());
      for (let i = 0; i < 2; i++) {
        const r = (await handleS3Event(event, ingest)) as IngestReport;
        const done = r.outcomes[0];
        if (i === 0 && done?.status === 'processed') {
          const table = ingest.router.registry.require(done.summary.logType).schema.table;
          rowsByTable.set(table, (rowsByTable.get(table) ?? 0) + done.summary.rows);
          if (done.summary.rows > 0) inputsByTable.set(table, (inputsByTable.get(table) ?? 0) + 1);
        }
      }
    }

    // 3. Two committer invocations share the queue's messages and race.
    const messages: { id: string; receipt: string; body: string }[] = [];
    for (;;) {
      const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      if (!got.Messages?.length) break;
      for (const m of got.Messages) messages.push({ id: m.MessageId as string, receipt: m.ReceiptHandle as string, body: m.Body as string });
    }
    const event = (ms: typeof messages): SQSEvent =>
      ({ Records: ms.map((m) => ({ messageId: m.id, receiptHandle: m.receipt, body: m.body, eventSource: 'aws:sqs' })) }) as unknown as SQSEvent;
    // Each object's two hand-offs go to different invocations: they race on every table.
    const [a, b] = [committer(), committer()];
    const t0 = Date.now();
    const results = await Promise.all([
      handleCommitterEvent(event(messages.filter((_, i) => i % 2 === 0)), a),
      handleCommitterEvent(event(messages.filter((_, i) => i % 2 === 1)), b),
    ]);
    const committedAt = Date.now();
    const failed = results.flatMap((r) => ('batchItemFailures' in r ? r.batchItemFailures.map((f) => f.itemIdentifier) : []));
    if (failed.length > 0) problems.push(`${failed.length} hand-offs failed to commit`);
    for (const m of messages) if (!failed.includes(m.id)) await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.receipt }));
    process.stdout.write(
      `${messages.length} hand-offs (${landed.size} objects, each ingested twice) committed by two racing invocations in ${committedAt - t0} ms; ` +
        `VersionId check: ${check.checked()} UpdateTables, ${check.refused()} refused as stale\n`,
    );
    const latencies = [...landed.values()].map((t) => committedAt - t).sort((x, y) => x - y);
    process.stdout.write(`latency from PutObject to rows in a snapshot (no batching window): ${latencies[0]}-${latencies.at(-1)} ms\n`);

    // What the tables hold, by their metadata in S3.
    const expected: Record<string, { rows: number; rowIds: null; snapshots: number; inputs: string[] }> = {};
    const reader = committer();
    for (const [table, rows] of rowsByTable) {
      const params = (await glue.send(new GetTableCommand({ DatabaseName: DATABASE, Name: table }))).Table?.Parameters ?? {};
      const m = JSON.parse((await reader.read(params.metadata_location ?? '')).toString('utf8')) as TableMetadata;
      const files = await currentDataFiles(reader.read, m);
      const inputs = [...committedInputs(m)].sort();
      const tableProblems: string[] = [];
      if (!files.every((f) => parseS3Uri(f).bucket === LAKE && parseS3Uri(f).key.startsWith(`logs/${table}/`))) tableProblems.push('a data file outside the table');
      const objects = inputs.length;
      if (objects !== inputsByTable.get(table)) tableProblems.push(`${objects} inputs committed, ${inputsByTable.get(table)} objects with rows`);
      process.stdout.write(`${table}: ${rows} rows, ${files.length} data files, ${m.snapshots.length} snapshots, ${objects} inputs: ${tableProblems.length ? 'FAIL ' + tableProblems.join('; ') : 'ok'}\n`);
      problems.push(...tableProblems.map((t) => `${table}: ${t}`));
      expected[table] = { rows, rowIds: null, snapshots: m.snapshots.length, inputs };
    }
    writeFileSync(join(out, 'expected.json'), JSON.stringify(expected));

    // 4. pyiceberg reads them through Glue and S3.
    const checked = await checkGlue(python, join(out, 'expected.json'), { CFLOGS_GLUE_ENDPOINT: check.endpoint, CFLOGS_GLUE_DATABASE: DATABASE, CFLOGS_S3_ENDPOINT: motoEndpoint });
    if (checked !== undefined) problems.push(checked);
  } finally {
    cfn.close();
    check.server.close();
    proc.kill();
  }
  return problems;
}

finish('aws', main);
