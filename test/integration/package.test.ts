/**
 * `npm run package` end to end, offline: bundles, `osls package` with no credentials, and the CloudFormation it
 * produces. A second packaging (existing input bucket, several prefixes, alarm and alert e-mails, routes, user
 * rules, rules enabled and disabled) checks the variant paths of infra/stack.js.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runOslsPackage } from '../../scripts/package';
import { readZip } from '../../scripts/package/zip';
import { ALERTS_TABLE, alertsTable, eventsTable, glueTableInput, lakeTables, REJECTS_TABLE, rejectsTable } from '../../lib/lake/catalog';
import { BUCKET_NAME, KIND_DIRS } from '../../lib/lake/layout';
import { loadSchemaDir } from '../../lib/schema/load';
import { builtInRegistry } from '../../lib/record/registry';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { powertoolsAlertMetrics, powertoolsMetrics } from '../../lib/aws/powertools';
import type { ProcessSummary } from '../../lib/pipeline/process';
import { measurementEnv } from '../../scripts/package/init-time';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const stack = require('../../infra/stack.js') as {
  _internal: {
    parsePrefixes(text: string): string[];
    tableLogicalId(table: string): string;
    parseReservedConcurrency(text: string): number;
    parseRuleIds(name: string, text: string): string[];
    inputListStatement(s: { inputPrefixes: string[]; existingInputBucket: string }): Json;
  };
};

// eslint-disable-next-line @typescript-eslint/no-require-imports
const dashboard = require('../../infra/stack/dashboard.js') as {
  METRICS_NAMESPACE: string;
  dashboardBody(s: { stage: string }, timeouts?: Record<string, number>): Json;
};

const ROOT = join(__dirname, '..', '..');
// Per process: two test runs at once (two developers, or a developer and CI) do not share output directories.
const OUT = join(ROOT, '.build', `test-package-${process.pid}`);
const OUT_DEFAULT = join(OUT, 'default');
const OUT_EXISTING = join(OUT, 'existing');
/** User rules for the second packaging (rulesDir): a rule importing the project's lib and a helper of its own. */
const RULES_DIR = join(OUT, 'my-rules');
const USER_RULE_ID = 'Test.Package.AdminBlocked';
const SIGMA_DIR = join(OUT, 'my-sigma');
const SIGMA_ID = '6f0a1c2e-5a1b-4c3d-8e9f-0123456789ab';

type Json = any; // CloudFormation is untyped JSON
interface Template {
  Resources: Record<string, { Type: string; Properties: Json; DependsOn?: string | string[]; DeletionPolicy?: string }>;
  Outputs: Record<string, Json>;
}

let tpl: Template;
let existing: Template;
let packageOutput = '';

const REPORT = join(ROOT, '.build', 'package-report.json');

beforeAll(() => {
  // The report goes to .build/ whatever --package says: remove an earlier run's, so only this run's can pass.
  rmSync(REPORT, { force: true });
  // Exactly what CI runs (npm's prepackage regenerates lib/generated), with one init-time run per function,
  // which also proves each bundle loads and exports `handler`.
  const r = spawnSync('npm', ['run', '--silent', 'package', '--', '--runs', '1', '--package', OUT_DEFAULT], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, npm_config_loglevel: 'error' },
    timeout: 170_000,
  });
  packageOutput = `${r.stdout}\n${r.stderr}`;
  if (r.status !== 0) throw new Error(`npm run package failed (${r.status ?? r.signal}):\n${packageOutput}`);
  tpl = readTemplate(OUT_DEFAULT);
  writeUserRules(RULES_DIR);
  writeSigmaRules(SIGMA_DIR);
  runOslsPackage([
    '--package',
    OUT_EXISTING,
    '--stage',
    'prod',
    '--param=existingInputBucket=corp-logpush',
    '--param=inputPrefixes=cf/http_requests/, cf/firewall_events/',
    '--param=alarmEmail=secops@example.com',
    '--param=alertEmail=soc@example.com',
    `--param=rulesDir=${RULES_DIR}`,
    `--param=sigmaDir=${SIGMA_DIR}`,
    '--param=rulesEnable=Cloudflare.HttpRequest.BotHighVolume',
    '--param=rulesDisable=Cloudflare.Firewall.HighVolumeEventsBlocked, Cloudflare.Firewall.L7DDoS',
    '--param=httpReservedConcurrency=50',
    '--param=outputCompression=gzip',
    '--param=outputCompressionLevel=9',
    // Any case, as the functions read it: the stack passes them, and builds the Glue tables for, `ndjson`.
    '--param=outputFormat=NDJSON',
    '--param=icebergTables=false',
    '--param=routes={"routes":[{"prefix":"cf/","logType":"Cloudflare.HttpRequest"}]}',
  ], { quiet: true });
  existing = readTemplate(OUT_EXISTING);
}, 180_000);

afterAll(() => rmSync(OUT, { recursive: true, force: true }));

function writeUserRules(dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'admin_blocked.ts'),
    [
      `import { defineRule } from ${JSON.stringify(join(ROOT, 'lib', 'rules', 'model'))};`,
      `import type { FirewallEvent } from ${JSON.stringify(join(ROOT, 'lib', 'rules', 'events'))};`,
      `import { isAdminPath } from './_paths';`,
      `export default defineRule<FirewallEvent>({`,
      `  id: ${JSON.stringify(USER_RULE_ID)},`,
      `  logTypes: ['Cloudflare.Firewall'],`,
      `  severity: 'Medium',`,
      `  threshold: 10,`,
      `  rule: (e) => e.Action === 'block' && isAdminPath(e.ClientRequestPath),`,
      `  dedup: (e) => e.ClientIP ?? 'unknown',`,
      `});`,
    ].join('\n'),
  );
  // A helper: bundled into the rule that imports it, never a rule file of its own.
  writeFileSync(join(dir, '_paths.ts'), `export const isAdminPath = (p?: string): boolean => (p ?? '').startsWith('/admin');\n`);
}

/** Two Sigma rules of our own: one that compiles for webserver logs, one refused (a field Cloudflare does not log). */
function writeSigmaRules(dir: string): void {
  mkdirSync(join(dir, 'web'), { recursive: true });
  const rule = (id: string, field: string) =>
    ['title: Package test probe', `id: ${id}`, 'status: test', 'level: medium', 'logsource:', '  category: webserver', 'detection:', '  selection:', `    ${field}|contains: '/wp-admin'`, '  condition: selection', ''].join('\n');
  writeFileSync(join(dir, 'web', 'probe.yml'), rule(SIGMA_ID, 'cs-uri-query'));
  writeFileSync(join(dir, 'refused.yml'), rule('6f0a1c2e-5a1b-4c3d-8e9f-0123456789ac', 'cs-username'));
}

function readTemplate(dir: string): Template {
  return JSON.parse(readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8')) as Template;
}

function ofType(t: Template, type: string): [string, Json][] {
  return Object.entries(t.Resources)
    .filter(([, r]) => r.Type === type)
    .map(([id, r]) => [id, r]);
}

function res(t: Template, id: string): Json {
  const r = t.Resources[id];
  if (!r) throw new Error(`no resource ${id}; have ${Object.keys(t.Resources).join(', ')}`);
  return r;
}

/** Evaluates Fn::Join / Ref / GetAtt Arn with made-up physical names, to compare generated values. */
function resolve(v: Json, names: Record<string, string>): Json {
  if (Array.isArray(v)) return v.map((x) => resolve(x, names));
  if (v && typeof v === 'object') {
    if ('Fn::Join' in v) {
      const [sep, parts] = v['Fn::Join'] as [string, Json[]];
      return parts.map((p) => resolve(p, names)).join(sep);
    }
    if ('Ref' in v) {
      const n = names[v.Ref as string];
      if (n === undefined) throw new Error(`no name for Ref ${v.Ref}`);
      return n;
    }
    if ('Fn::GetAtt' in v) {
      const [id, attr] = v['Fn::GetAtt'] as [string, string];
      if (attr === 'Arn' && names[id]) return `arn:aws:s3:::${names[id]}`;
      throw new Error(`cannot resolve GetAtt ${id}.${attr}`);
    }
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x, names)]));
  }
  return v;
}

/** Evaluates an Fn::Sub string with made-up values for its `${Name}` / `${Name.Attr}` placeholders. */
function resolveSub(sub: Json, values: Record<string, string>): string {
  const text = sub['Fn::Sub'] as string;
  expect(typeof text).toBe('string');
  return text.replace(/\$\{(!?)([^}]*)\}/g, (_m, escaped: string, name: string) => {
    if (escaped) return `\${${name}}`;
    const v = values[name];
    if (v === undefined) throw new Error(`no value for \${${name}}`);
    return v;
  });
}

/** The metric widgets' SEARCH expressions and metric arrays, with the widget each is on. */
function dashboardMetrics(body: Json): { title: string; expression?: string; metric?: Json[] }[] {
  return (body.widgets as Json[])
    .filter((w) => w.type === 'metric')
    .flatMap((w) => (w.properties.metrics as Json[][]).map((m) => ({ title: w.properties.title as string, ...(m[0]?.expression ? { expression: m[0].expression as string } : { metric: m }) })));
}

const NAMES = {
  'AWS::Partition': 'aws',
  'AWS::AccountId': '123456789012',
  'AWS::Region': 'us-east-1',
  OutputBucket: 'example-output',
  InputBucket: 'cflogs-dev-input-123456789012-us-east-1',
};

function list<T>(x: T | T[] | undefined): T[] {
  return x === undefined ? [] : Array.isArray(x) ? x : [x];
}

describe('npm run package', () => {
  test('prints bundle sizes and init times and writes the report', () => {
    expect(packageOutput).toMatch(/s3-ingest\s+\d+ KiB/);
    expect(packageOutput).toMatch(/http-ingest\s+\d+ KiB/);
    expect(packageOutput).toMatch(/\d+ ms \(min \d+\)/);
    const report = JSON.parse(readFileSync(REPORT, 'utf8'));
    expect(report.functions['s3-ingest'].zipBytes).toBeGreaterThan(10_000);
    expect(report.functions['s3-ingest'].initMs.median).toBeGreaterThan(0);
  });

  test('artifacts: one zip per function with the bundle and its source map, handler index.handler', async () => {
    // With `package.artifact`, osls deploys the zip where it is (the state file says which) under its own name.
    const state = JSON.parse(readFileSync(join(OUT_DEFAULT, 'serverless-state.json'), 'utf8'));
    for (const [id, fn] of ofType(tpl, 'AWS::Lambda::Function')) {
      expect(fn.Properties.Handler).toBe('index.handler');
      const name = id.charAt(0).toLowerCase() + id.slice(1).replace('LambdaFunction', '');
      const artifact = state.service.functions[name].package.artifact as string;
      const key = fn.Properties.Code.S3Key as string;
      expect(key.slice(key.lastIndexOf('/') + 1)).toBe(artifact.slice(artifact.lastIndexOf('/') + 1));
      const zip = join(ROOT, artifact);
      expect(existsSync(zip)).toBe(true);
      const files = await readZip(readFileSync(zip));
      expect([...files.keys()]).toEqual(expect.arrayContaining(['index.js', 'index.js.map']));
      expect(files.get('index.js')!.toString('utf8')).toContain('sourceMappingURL=index.js.map');
      expect(id).toMatch(/^(S3Ingest|HttpIngest|IcebergCommit)LambdaFunction$/);
      // The S3 function may start the scan thread (lib/pipeline/scan-ahead.ts): its code beside index.js.
      expect(files.has('scan-thread.js')).toBe(id === 'S3IngestLambdaFunction');
    }
    expect(ofType(tpl, 'AWS::Lambda::Function')).toHaveLength(3);
  });

  test('functions: nodejs24.x on arm64, each with its own role, logs retained', () => {
    for (const [id, fn] of ofType(tpl, 'AWS::Lambda::Function')) {
      expect(fn.Properties.Runtime).toBe('nodejs24.x');
      expect(fn.Properties.Architectures).toEqual(['arm64']);
      expect(fn.Properties.Role).toEqual({ 'Fn::GetAtt': [id.replace('LambdaFunction', 'Role'), 'Arn'] });
      expect(fn.Properties.Environment.Variables.CFLOGS_OUTPUT_BUCKET).toEqual({ Ref: 'OutputBucket' });
      // V8's young and old generations held down to what the soak measures (infra/stack/runtime.js).
      expect(fn.Properties.Environment.Variables.NODE_OPTIONS).toBe('--max-semi-space-size=16 --max-old-space-size=160');
    }
    expect(tpl.Resources.IamRoleLambdaExecution).toBeUndefined();
    const groups = ofType(tpl, 'AWS::Logs::LogGroup');
    expect(groups).toHaveLength(3);
    for (const [, g] of groups) expect(g.Properties.RetentionInDays).toBeGreaterThan(0);
  });

  test('queue: DLQ after 5 receives, visibility >= 6x the function timeout, partial batch failures', () => {
    const q = res(tpl, 'IngestQueue').Properties;
    expect(q.RedrivePolicy).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': ['IngestDeadLetterQueue', 'Arn'] }, maxReceiveCount: 5 });
    // The function learns the count from the same parameter (lib/config.ts keeps salvage below it).
    expect(String(res(tpl, 'S3IngestLambdaFunction').Properties.Environment.Variables.CFLOGS_MAX_RECEIVE_COUNT)).toBe('5');
    const timeout = res(tpl, 'S3IngestLambdaFunction').Properties.Timeout as number;
    expect(q.VisibilityTimeout).toBeGreaterThanOrEqual(6 * timeout);
    expect(q.SqsManagedSseEnabled).toBe(true);
    expect(res(tpl, 'IngestDeadLetterQueue').Type).toBe('AWS::SQS::Queue');
    const [[, esm]] = ofType(tpl, 'AWS::Lambda::EventSourceMapping') as [[string, Json]];
    expect(esm.Properties.EventSourceArn).toEqual({ 'Fn::GetAtt': ['IngestQueue', 'Arn'] });
    expect(esm.Properties.FunctionName).toEqual({ 'Fn::GetAtt': ['S3IngestLambdaFunction', 'Arn'] });
    expect(esm.Properties.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    expect(esm.Properties.BatchSize).toBeGreaterThanOrEqual(1);
    expect(esm.Properties.BatchSize).toBeLessThanOrEqual(10);
    expect(esm.Properties.MaximumBatchingWindowInSeconds).toBeGreaterThan(0);
  });

  test('input bucket: ObjectCreated:* to the queue per prefix, multipart aborts, Logpush may write', () => {
    const b = res(tpl, 'InputBucket');
    expect(b.DependsOn).toEqual(['IngestQueuePolicy']);
    expect(b.DeletionPolicy).toBe('Retain');
    expect(resolve(b.Properties.BucketName, NAMES)).toBe(NAMES.InputBucket);
    expect(b.Properties.NotificationConfiguration.QueueConfigurations).toEqual([
      {
        Event: 's3:ObjectCreated:*',
        Queue: { 'Fn::GetAtt': ['IngestQueue', 'Arn'] },
        Filter: { S3Key: { Rules: [{ Name: 'prefix', Value: 'cloudflare/' }] } },
      },
    ]);
    const rules = b.Properties.LifecycleConfiguration.Rules as Json[];
    expect(rules.some((r) => r.Status === 'Enabled' && r.AbortIncompleteMultipartUpload?.DaysAfterInitiation >= 1)).toBe(true);
    expectPrivateEncrypted(b.Properties);
    const policy = resolve(res(tpl, 'InputBucketPolicy').Properties.PolicyDocument, NAMES);
    expect(policy.Statement).toContainEqual({
      Sid: 'AllowCloudflareLogpush',
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::391854517948:user/cloudflare-logpush' },
      Action: 's3:PutObject',
      Resource: [`arn:aws:s3:::${NAMES.InputBucket}/cloudflare/*`],
    });
    expectTlsOnly(policy);
    const qp = resolve(res(tpl, 'IngestQueuePolicy').Properties.PolicyDocument, { ...NAMES, IngestQueue: 'q' });
    const allow = (qp.Statement as Json[]).find((s) => s.Effect === 'Allow');
    expect(allow.Principal).toEqual({ Service: 's3.amazonaws.com' });
    expect(allow.Condition.ArnEquals['aws:SourceArn']).toBe(`arn:aws:s3:::${NAMES.InputBucket}`);
  });

  test('output bucket: encrypted, private, TLS only, rejects/ expire, retained', () => {
    const b = res(tpl, 'OutputBucket');
    expect(b.DeletionPolicy).toBe('Retain');
    expectPrivateEncrypted(b.Properties);
    const rules = b.Properties.LifecycleConfiguration.Rules as Json[];
    expect(rules).toContainEqual(expect.objectContaining({ Prefix: 'rejects/', Status: 'Enabled', ExpirationInDays: expect.any(Number) }));
    expect(rules.some((r) => r.AbortIncompleteMultipartUpload)).toBe(true);
    expectTlsOnly(resolve(res(tpl, 'OutputBucketPolicy').Properties.PolicyDocument, NAMES));
    expectPrivateEncrypted(res(tpl, 'AthenaResultsBucket').Properties);
  });

  test('HTTP function: URL with AuthType NONE, public invoke permissions, a generated shared secret', () => {
    const [[, url]] = ofType(tpl, 'AWS::Lambda::Url') as [[string, Json]];
    expect(url.Properties.AuthType).toBe('NONE');
    expect(url.Properties.TargetFunctionArn).toEqual({ 'Fn::GetAtt': ['HttpIngestLambdaFunction', 'Arn'] });
    const perms = ofType(tpl, 'AWS::Lambda::Permission').map(([, p]) => p.Properties);
    expect(perms).toContainEqual(expect.objectContaining({ Action: 'lambda:InvokeFunctionUrl', FunctionUrlAuthType: 'NONE', Principal: '*' }));
    const secret = res(tpl, 'HttpSharedSecret').Properties;
    expect(secret.GenerateSecretString.ExcludePunctuation).toBe(true);
    const env = res(tpl, 'HttpIngestLambdaFunction').Properties.Environment.Variables;
    expect(env.CFLOGS_SECRET_ID).toEqual({ Ref: 'HttpSharedSecret' });
    expect(env.CFLOGS_SECRET_HEADER).toBe('x-panther-cloudflare');
    expect(tpl.Outputs.HttpIngestLambdaFunctionUrl).toBeDefined();
  });

  test('Glue: one table per lake table (each schema, rejects, alerts), equal to glueTableInput, with Glue placeholders intact', () => {
    const db = res(tpl, 'GlueDatabase').Properties;
    expect(db.DatabaseInput.Name).toBe('cflogs_dev');
    const tables = ofType(existing, 'AWS::Glue::Table');
    const schemas = loadSchemaDir(join(ROOT, 'schemas'));
    // Without Iceberg tables, every table of the lake (lib/lake/catalog.ts): one per log type, the rejects' and the alerts'.
    const lake = lakeTables(schemas, `s3://${NAMES.OutputBucket}`);
    expect(tables).toHaveLength(lake.length);
    expect(tables.map(([id]) => id).sort()).toEqual(lake.map((t) => stack._internal.tableLogicalId(t.name)).sort());
    // With them (the default), the log types' tables are the committer's: only the rejects' and the alerts' are Hive tables.
    expect(ofType(tpl, 'AWS::Glue::Table').map(([id]) => id).sort()).toEqual(
      [REJECTS_TABLE, 'cflogs_alerts'].map((t) => stack._internal.tableLogicalId(t)).sort(),
    );
    expect(resolve(res(tpl, stack._internal.tableLogicalId(REJECTS_TABLE)).Properties.TableInput, NAMES)).toEqual(
      glueTableInput(rejectsTable(schemas.map((s) => s.table), `s3://${NAMES.OutputBucket}`)),
    );
    // Alert records under alerts/ (the detections), in both formats of the lake.
    for (const t of [tpl, existing]) {
      expect(resolve(res(t, stack._internal.tableLogicalId(ALERTS_TABLE)).Properties.TableInput, NAMES)).toEqual(
        glueTableInput(alertsTable(`s3://${NAMES.OutputBucket}`)),
      );
    }
    // The YAML and the generated registry (what the bundles carry) agree.
    expect(schemas.map((s) => s.table).sort()).toEqual(builtInRegistry().schemas().map((s) => s.table).sort());
    for (const schema of schemas) {
      const t = res(existing, stack._internal.tableLogicalId(schema.table)).Properties;
      expect(t.DatabaseName).toEqual({ Ref: 'GlueDatabase' });
      const input = resolve(t.TableInput, NAMES);
      expect(input).toEqual(glueTableInput(eventsTable(schema, `s3://${NAMES.OutputBucket}`, 'ndjson')));
      expect(input.Parameters['storage.location.template']).toBe(
        `s3://${NAMES.OutputBucket}/logs/${schema.table}/year=\${year}/month=\${month}/day=\${day}/hour=\${hour}`,
      );
    }
  });

  test('Iceberg (the default): the committer creates the table of every log type, and each gets the three Glue optimizers', () => {
    const tables = [...new Set(loadSchemaDir(join(ROOT, 'schemas')).map((s) => s.table))].sort();
    const custom = res(tpl, 'IcebergTables');
    expect(custom.Type).toBe('Custom::IcebergTables');
    expect(custom.Properties.ServiceToken).toEqual({ 'Fn::GetAtt': ['IcebergCommitLambdaFunction', 'Arn'] });
    const optimizers = ofType(tpl, 'AWS::Glue::TableOptimizer').map(([, o]) => o);
    expect(optimizers).toHaveLength(3 * tables.length);
    for (const type of ['compaction', 'retention', 'orphan_file_deletion']) {
      expect(optimizers.filter((o) => o.Properties.Type === type).map((o) => o.Properties.TableName).sort()).toEqual(tables);
    }
    for (const o of optimizers) {
      expect(o.DependsOn).toEqual(['IcebergTables']);
      expect(o.Properties.TableOptimizerConfiguration).toMatchObject({ Enabled: true, RoleArn: { 'Fn::GetAtt': ['IcebergOptimizerRole', 'Arn'] } });
    }
    const retention = optimizers.find((o) => o.Properties.Type === 'retention')!;
    expect(retention.Properties.TableOptimizerConfiguration.RetentionConfiguration.IcebergConfiguration.SnapshotRetentionPeriodInDays).toBe(5);
    // The ingest functions hand off to the committer's queue; the committer is told its database and warehouse.
    for (const id of ['S3IngestLambdaFunction', 'HttpIngestLambdaFunction']) {
      expect(res(tpl, id).Properties.Environment.Variables.CFLOGS_ICEBERG_QUEUE_URL).toEqual({ Ref: 'CommitQueue' });
      expect(res(existing, id).Properties.Environment.Variables.CFLOGS_ICEBERG_QUEUE_URL).toBeUndefined();
    }
    const committer = res(tpl, 'IcebergCommitLambdaFunction').Properties.Environment.Variables;
    expect(committer.CFLOGS_ICEBERG_DATABASE).toEqual({ Ref: 'GlueDatabase' });
    expect(resolve(committer.CFLOGS_ICEBERG_WAREHOUSE, NAMES)).toBe(`s3://${NAMES.OutputBucket}/logs`);
    const mapping = res(tpl, 'IcebergCommitEventSourceMappingSQSCommitQueue').Properties;
    expect(mapping).toMatchObject({ BatchSize: 1000, MaximumBatchingWindowInSeconds: 60, FunctionResponseTypes: ['ReportBatchItemFailures'], ScalingConfig: { MaximumConcurrency: 2 } });
    expect(ofType(existing, 'AWS::Glue::TableOptimizer')).toHaveLength(0);
    expect(existing.Resources.IcebergTables).toBeUndefined();
  });

  test('Glue: with outputFormat=ndjson the log type tables read JSON; the rejects table stays JSON', () => {
    const schemas = loadSchemaDir(join(ROOT, 'schemas'));
    for (const schema of schemas) {
      const json = resolve(res(existing, stack._internal.tableLogicalId(schema.table)).Properties.TableInput, NAMES);
      expect(json).toEqual(glueTableInput(eventsTable(schema, `s3://${NAMES.OutputBucket}`, 'ndjson')));
      expect(json.Parameters.classification).toBe('json');
      expect(json.StorageDescriptor.Columns).not.toContainEqual(expect.objectContaining({ Name: 'p_event_time_ns' }));
    }
    for (const t of [tpl, existing]) {
      expect(resolve(res(t, stack._internal.tableLogicalId(REJECTS_TABLE)).Properties.TableInput, NAMES).Parameters.classification).toBe('json');
    }
    // The functions are told the format either way.
    for (const [t, format] of [[tpl, 'parquet'], [existing, 'ndjson']] as const) {
      for (const [, fn] of ofType(t, 'AWS::Lambda::Function')) {
        expect(fn.Properties.Environment.Variables.CFLOGS_OUTPUT_FORMAT).toBe(format);
        // Both formats' garbage needs a smaller old generation than V8 derives from the function's memory (bench/README.md).
        expect(fn.Properties.Environment.Variables.NODE_OPTIONS).toBe('--max-semi-space-size=16 --max-old-space-size=160');
      }
    }
  });

  test('Athena workgroup writes results to its own bucket, enforced, with a scan cutoff', () => {
    const wg = res(tpl, 'AthenaWorkGroup').Properties;
    expect(wg.Name).toBe('cflogs-dev');
    const conf = wg.WorkGroupConfiguration;
    expect(conf.EnforceWorkGroupConfiguration).toBe(true);
    expect(conf.BytesScannedCutoffPerQuery).toBeGreaterThan(0);
    expect(resolve(conf.ResultConfiguration.OutputLocation, { AthenaResultsBucket: 'r' })).toBe('s3://r/results/');
  });

  test('alarms: DLQ not empty, errors and throttles of both functions, to the alarm topic', () => {
    const alarms = ofType(tpl, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    const find = (metric: string, dim: Json) =>
      alarms.find((a) => a.MetricName === metric && JSON.stringify(a.Dimensions[0].Value) === JSON.stringify(dim));
    expect(find('ApproximateNumberOfMessagesVisible', { 'Fn::GetAtt': ['IngestDeadLetterQueue', 'QueueName'] })).toMatchObject({
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    for (const fn of ['S3IngestLambdaFunction', 'HttpIngestLambdaFunction']) {
      expect(find('Errors', { Ref: fn })).toBeDefined();
      expect(find('Throttles', { Ref: fn })).toBeDefined();
    }
    expect(find('ApproximateNumberOfMessagesVisible', { 'Fn::GetAtt': ['CommitDeadLetterQueue', 'QueueName'] })).toMatchObject({ Threshold: 0 });
    expect(find('Errors', { Ref: 'IcebergCommitLambdaFunction' })).toBeDefined();
    for (const a of alarms) expect(a.AlarmActions).toEqual([{ Ref: 'AlarmTopic' }]);
  });

  test('dashboard: its body is JSON graphing rows, rejects, fields, lag, the DLQ, objects, both functions and the detections', () => {
    const [[id, d]] = ofType(tpl, 'AWS::CloudWatch::Dashboard') as [[string, Json]];
    expect(ofType(tpl, 'AWS::CloudWatch::Dashboard')).toHaveLength(1);
    // Every placeholder of the Fn::Sub is a pseudo parameter or a resource of this template (a typo fails here,
    // not in CloudFormation).
    const placeholders = [...new Set((d.Properties.DashboardBody['Fn::Sub'] as string).match(/\$\{[^!}][^}]*\}/g) ?? [])];
    for (const p of placeholders) {
      const name = p.slice(2, -1).split('.')[0]!;
      if (!name.startsWith('AWS::')) expect(Object.keys(tpl.Resources)).toContain(name);
    }
    const values = {
      'AWS::Region': 'us-east-1',
      'AWS::StackName': 'cflogs-dev',
      'IngestQueue.QueueName': 'ingest-q',
      'IngestDeadLetterQueue.QueueName': 'dead-q',
      S3IngestLambdaFunction: 's3-fn',
      HttpIngestLambdaFunction: 'http-fn',
    };
    // Global to the account: the name carries the region.
    expect(resolveSub(d.Properties.DashboardName, values)).toBe('cflogs-dev-us-east-1');
    expect(tpl.Outputs.DashboardName.Value).toEqual({ Ref: id });
    const body = JSON.parse(resolveSub(d.Properties.DashboardBody, values));
    const metrics = dashboardMetrics(body);
    for (const w of body.widgets as Json[]) if (w.type === 'metric') expect(w.properties.region).toBe('us-east-1');
    const searches = metrics.flatMap((m) => (m.expression ? [m.expression] : []));
    const ns = dashboard.METRICS_NAMESPACE;
    expect(searches).toEqual(
      expect.arrayContaining([
        `SEARCH('{${ns},service,logType} MetricName="RowsWritten"', 'Sum', 60)`,
        `SEARCH('{${ns},service,logType,reason} MetricName="RejectsByReason"', 'Sum', 60)`,
        `SEARCH('{${ns},service,logType} MetricName="UnknownFieldNames"', 'Maximum', 300)`,
        `SEARCH('{${ns},service,logType,field} MetricName="InvalidFields"', 'Sum', 300)`,
        `SEARCH('{${ns},service} MetricName="ObjectsFailed"', 'Sum', 300)`,
        `SEARCH('{${ns},service,logType} MetricName="ObjectsSalvaged"', 'Sum', 300)`,
        `SEARCH('{${ns},service,ruleId} MetricName="AlertsFired"', 'Sum', 60)`,
        `SEARCH('{${ns},service,ruleId} MetricName="RuleMatches"', 'Sum', 60)`,
        `SEARCH('{${ns},service} MetricName="AlertPublishFailures"', 'Sum', 300)`,
        `SEARCH('{${ns},service,ruleId} MetricName="RuleErrors"', 'Sum', 300)`,
      ]),
    );
    const arrays = metrics.flatMap((m) => (m.metric ? [m.metric.slice(0, 4).join(' ')] : []));
    expect(arrays).toEqual(
      expect.arrayContaining([
        'AWS/SQS ApproximateAgeOfOldestMessage QueueName ingest-q', // the lag the stack can see (no event-time metric)
        'AWS/SQS ApproximateNumberOfMessagesVisible QueueName dead-q',
        ...['s3-fn', 'http-fn'].flatMap((fn) => ['Errors', 'Throttles', 'Duration'].map((m) => `AWS/Lambda ${m} FunctionName ${fn}`)),
      ]),
    );
    // The s3Ingest duration graph marks the function's timeout.
    const duration = (body.widgets as Json[]).find((w) => w.properties.title === 's3Ingest: duration (ms)');
    expect(duration.properties.annotations.horizontal).toEqual([
      { label: 'timeout', value: res(tpl, 'S3IngestLambdaFunction').Properties.Timeout * 1000 },
    ]);
    // Widgets sit on CloudWatch's 24-column grid without overlapping.
    const cells = new Set<string>();
    for (const w of body.widgets as Json[]) {
      expect(w.x + w.width).toBeLessThanOrEqual(24);
      for (let x = w.x; x < w.x + w.width; x++) for (let y = w.y; y < w.y + w.height; y++) {
        expect(cells.has(`${x},${y}`)).toBe(false);
        cells.add(`${x},${y}`);
      }
    }
    expect(resolveSub(res(existing, 'Dashboard').Properties.DashboardName, { ...values, 'AWS::StackName': 'cflogs-prod' })).toBe('cflogs-prod-us-east-1');
  });

  test('IAM: no * action and no * resource; each role holds only what its function does', () => {
    for (const t of [tpl, existing]) {
      const statements = identityStatements(t);
      expect(statements.length).toBeGreaterThan(0);
      for (const { role, s } of statements) {
        for (const a of list<string>(s.Action)) {
          expect({ role, action: a }).toEqual({ role, action: expect.not.stringMatching(/(^\*$)|(:\*$)/) });
        }
        for (const r of list<Json>(s.Resource)) expect({ role, resource: r }).not.toEqual({ role, resource: '*' });
        expect(s.NotAction).toBeUndefined();
        expect(s.NotResource).toBeUndefined();
      }
      // Resource policies: '*' only in Deny statements (TLS-only), never an Allow to everyone.
      for (const [, p] of [...ofType(t, 'AWS::S3::BucketPolicy'), ...ofType(t, 'AWS::SQS::QueuePolicy')]) {
        for (const s of p.Properties.PolicyDocument.Statement as Json[]) {
          if (s.Effect === 'Allow') {
            expect(s.Principal).not.toBe('*');
            for (const a of list<string>(s.Action)) expect(a).not.toMatch(/(^\*$)|(:\*$)/);
          }
        }
      }
    }
    const s3 = byRole(tpl, 'S3IngestRole');
    expect(resolve(s3.ReadInputPrefixes.Resource, NAMES)).toEqual([`arn:aws:s3:::${NAMES.InputBucket}/cloudflare/*`]);
    expect(s3.ReadInputPrefixes.Action).toEqual(['s3:GetObject', 's3:GetObjectVersion']);
    // Every folder of the lake (lib/lake/layout.ts), alert records included, and nothing else.
    const lakeArns = [
      `arn:aws:s3:::${NAMES.OutputBucket}/logs/*`,
      `arn:aws:s3:::${NAMES.OutputBucket}/rejects/*`,
      `arn:aws:s3:::${NAMES.OutputBucket}/alerts/*`,
    ];
    expect(Object.values(KIND_DIRS).map((d) => `arn:aws:s3:::${NAMES.OutputBucket}/${d}*`).sort()).toEqual([...lakeArns].sort());
    expect(resolve(s3.WriteLake.Resource, { ...NAMES })).toEqual(lakeArns);
    expect(s3.WriteLake.Action).toEqual(['s3:PutObject', 's3:AbortMultipartUpload']);
    expect(s3.ConsumeIngestQueue.Resource).toEqual({ 'Fn::GetAtt': ['IngestQueue', 'Arn'] });
    expect(s3.WriteOwnLogs.Resource).toEqual({ 'Fn::GetAtt': ['S3IngestLogGroup', 'Arn'] });
    const detections = ['DetectionState', 'EncryptAlerts', 'PublishAlerts', 'HandOffToCommitter'];
    expect(Object.keys(s3).sort()).toEqual(['ConsumeIngestQueue', ...detections, 'ListInputPrefixes', 'ReadInputPrefixes', 'WriteLake', 'WriteOwnLogs'].sort());
    const http = byRole(tpl, 'HttpIngestRole');
    expect(Object.keys(http).sort()).toEqual([...detections, 'ReadSharedSecret', 'WriteLake', 'WriteOwnLogs'].sort());
    for (const role of [s3, http]) expect(role.HandOffToCommitter).toMatchObject({ Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': ['CommitQueue', 'Arn'] } });
    // The committer: its queue, the tables' metadata files (never data files), and the tables in Glue, no more.
    const committer = byRole(tpl, 'IcebergCommitRole');
    expect(Object.keys(committer).sort()).toEqual(['ConsumeCommitQueue', 'RegisterTables', 'TableMetadataFiles', 'WriteOwnLogs']);
    expect(resolve(committer.TableMetadataFiles.Resource, NAMES)).toBe(`arn:aws:s3:::${NAMES.OutputBucket}/logs/*/metadata/*`);
    expect(committer.TableMetadataFiles.Action).toEqual(['s3:GetObject', 's3:PutObject']);
    expect(committer.RegisterTables.Action).toEqual(['glue:GetTable', 'glue:CreateTable', 'glue:UpdateTable']);
    // The optimizers: the tables' files under logs/ (they rewrite and delete them) and the tables, assumed by Glue alone.
    const optimizers = byRole(tpl, 'IcebergOptimizerRole');
    expect(Object.keys(optimizers).sort()).toEqual(['CommitToTables', 'ListTableFiles', 'OptimizerLogs', 'TableFiles']);
    expect(resolve(optimizers.TableFiles.Resource, NAMES)).toBe(`arn:aws:s3:::${NAMES.OutputBucket}/logs/*`);
    expect(res(tpl, 'IcebergOptimizerRole').Properties.AssumeRolePolicyDocument.Statement[0].Principal).toEqual({ Service: 'glue.amazonaws.com' });
    expect(resolve(http.WriteLake.Resource, { ...NAMES })).toEqual(lakeArns);
    expect(http.ReadSharedSecret.Resource).toEqual({ Ref: 'HttpSharedSecret' });
  });

  test('IAM: the S3 role may list the input bucket only under the input prefixes, so a deleted key answers 404, not 403', () => {
    expect(resolve(byRole(tpl, 'S3IngestRole').ListInputPrefixes, NAMES)).toEqual({
      Sid: 'ListInputPrefixes',
      Effect: 'Allow',
      Action: 's3:ListBucket',
      Resource: `arn:aws:s3:::${NAMES.InputBucket}`,
      Condition: { StringLike: { 's3:prefix': ['cloudflare/*'] } },
    });
    expect(resolve(byRole(existing, 'S3IngestRole').ListInputPrefixes, NAMES)).toEqual({
      Sid: 'ListInputPrefixes',
      Effect: 'Allow',
      Action: 's3:ListBucket',
      Resource: 'arn:aws:s3:::corp-logpush',
      Condition: { StringLike: { 's3:prefix': ['cf/http_requests/*', 'cf/firewall_events/*'] } },
    });
    // No other statement of any role lists anything, but the table optimizers' under logs/ (orphan files are found by listing).
    for (const t of [tpl, existing]) {
      const listing = identityStatements(t).filter(({ s }) => list<string>(s.Action).some((a) => /^s3:List/.test(a)));
      expect(listing.map(({ role, s }) => `${role}/${s.Sid}`).sort()).toEqual(['IcebergOptimizerRole/ListTableFiles', 'S3IngestRole/ListInputPrefixes']);
    }
    expect(resolve(byRole(tpl, 'IcebergOptimizerRole').ListTableFiles, NAMES)).toMatchObject({
      Resource: `arn:aws:s3:::${NAMES.OutputBucket}`,
      Condition: { StringLike: { 's3:prefix': 'logs/*' } },
    });
  });

  test('HTTP function: reserved concurrency (httpReservedConcurrency, default 20) caps what a flood on its public URL can take', () => {
    expect(res(tpl, 'HttpIngestLambdaFunction').Properties.ReservedConcurrentExecutions).toBe(20);
    expect(res(existing, 'HttpIngestLambdaFunction').Properties.ReservedConcurrentExecutions).toBe(50);
    // The queue-driven function is bounded by the event source's maximumConcurrency instead.
    expect(res(tpl, 'S3IngestLambdaFunction').Properties.ReservedConcurrentExecutions).toBeUndefined();
  });

  test('alarm topic: encrypted with its own KMS key, whose policy lets only CloudWatch alarms of this account use it', () => {
    for (const t of [tpl, existing]) {
      const topic = res(t, 'AlarmTopic').Properties;
      // A customer managed key: CloudWatch cannot use the AWS managed alias/aws/sns, whose policy is fixed.
      expect(topic.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': ['AlarmTopicKey', 'Arn'] });
      const key = res(t, 'AlarmTopicKey');
      expect(key.Type).toBe('AWS::KMS::Key');
      expect(key.Properties.EnableKeyRotation).toBe(true);
      expect(res(t, 'AlarmTopicKeyAlias').Properties.TargetKeyId).toEqual({ Ref: 'AlarmTopicKey' });
      const names = { ...NAMES, 'AWS::Region': 'us-east-1' };
      const statements = resolve(key.Properties.KeyPolicy.Statement, names) as Json[];
      expect(statements.find((x) => x.Principal.Service === 'cloudwatch.amazonaws.com')).toEqual({
        Sid: 'AllowCloudWatchAlarmsToPublish',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Resource: '*', // in a key policy: this key
        Condition: {
          StringEquals: { 'aws:SourceAccount': '123456789012' },
          ArnLike: { 'aws:SourceArn': 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:*' },
        },
      });
      for (const st of statements) {
        expect(st.Effect).toBe('Allow');
        expect(st.Principal).not.toBe('*');
        expect(st.Principal.AWS ?? st.Principal.Service).toMatch(/^(arn:aws:iam::123456789012:root|cloudwatch\.amazonaws\.com)$/);
        for (const a of list<string>(st.Action)) expect(a).not.toMatch(/(^\*$)|(:\*$)/);
      }
      // The account administers the key (CloudFormation included) but cannot encrypt or decrypt with it.
      const admin = statements.find((x) => x.Principal.AWS) as Json;
      expect(admin.Action).toEqual(expect.arrayContaining(['kms:PutKeyPolicy', 'kms:ScheduleKeyDeletion', 'kms:TagResource', 'kms:EnableKeyRotation']));
      for (const a of admin.Action as string[]) expect(a).not.toMatch(/^kms:(Encrypt|Decrypt|ReEncrypt|GenerateDataKey)/);
      // Every alarm publishes to the encrypted topic.
      for (const [, a] of ofType(t, 'AWS::CloudWatch::Alarm')) expect(a.Properties.AlarmActions).toEqual([{ Ref: 'AlarmTopic' }]);
    }
  });

  test('detection state: one DynamoDB table keyed by pk alone, on demand, TTL on expiresAt, encrypted, no point-in-time recovery', () => {
    for (const t of [tpl, existing]) {
      const table = res(t, 'RulesTable');
      expect(table.Type).toBe('AWS::DynamoDB::Table');
      expect(table.Properties).toEqual({
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        SSESpecification: { SSEEnabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: false },
      });
      expect(ofType(t, 'AWS::DynamoDB::Table')).toHaveLength(1);
      expect(t.Outputs.RulesTableName.Value).toEqual({ Ref: 'RulesTable' });
    }
  });

  test('alerts topic: encrypted with its own KMS key, usable only through SNS by the principals IAM lets (the function roles)', () => {
    for (const [t, stage] of [[tpl, 'dev'], [existing, 'prod']] as const) {
      expect(res(t, 'AlertsTopic').Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': ['AlertsTopicKey', 'Arn'] });
      const key = res(t, 'AlertsTopicKey');
      expect(key.Type).toBe('AWS::KMS::Key');
      expect(key.Properties.EnableKeyRotation).toBe(true);
      expect(res(t, 'AlertsTopicKeyAlias').Properties).toEqual({ AliasName: `alias/cflogs-${stage}-alerts`, TargetKeyId: { Ref: 'AlertsTopicKey' } });
      const [admin, publish, ...more] = resolve(key.Properties.KeyPolicy.Statement, NAMES) as Json[];
      expect(more).toEqual([]);
      // Administered like the alarm key: through IAM, with no encryption or decryption.
      expect(admin).toEqual(resolve(res(t, 'AlarmTopicKey').Properties.KeyPolicy.Statement[0], NAMES));
      expect(admin.Sid).toBe('AdministerKeyThroughIam');
      for (const a of admin.Action as string[]) expect(a).not.toMatch(/^kms:(Encrypt|Decrypt|ReEncrypt|GenerateDataKey)/);
      expect(publish).toEqual({
        Sid: 'PublishThroughSnsForIamGrantees',
        Effect: 'Allow',
        Principal: { AWS: 'arn:aws:iam::123456789012:root' }, // this account's principals, as their IAM policies allow
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Resource: '*', // in a key policy: this key
        Condition: { StringEquals: { 'kms:CallerAccount': '123456789012', 'kms:ViaService': 'sns.us-east-1.amazonaws.com' } },
      });
      expect(t.Outputs.AlertsTopicArn.Value).toEqual({ Ref: 'AlertsTopic' });
    }
  });

  test('alerts topic: an e-mail subscription only when alertEmail is given', () => {
    const subscriptions = (t: Template) => ofType(t, 'AWS::SNS::Subscription').map(([id, r]) => ({ id, ...r.Properties }));
    expect(subscriptions(tpl)).toEqual([]);
    expect(subscriptions(existing)).toEqual(
      expect.arrayContaining([
        { id: 'AlertEmailSubscription', TopicArn: { Ref: 'AlertsTopic' }, Protocol: 'email', Endpoint: 'soc@example.com' },
        { id: 'AlarmEmailSubscription', TopicArn: { Ref: 'AlarmTopic' }, Protocol: 'email', Endpoint: 'secops@example.com' },
      ]),
    );
    expect(subscriptions(existing)).toHaveLength(2);
  });

  test('IAM: each function may get and put the detection state, publish to the alerts topic and use its key through SNS, no more', () => {
    for (const t of [tpl, existing]) {
      for (const role of ['S3IngestRole', 'HttpIngestRole']) {
        const st = byRole(t, role);
        expect(st.DetectionState).toEqual({
          Sid: 'DetectionState',
          Effect: 'Allow',
          Action: ['dynamodb:GetItem', 'dynamodb:PutItem'],
          Resource: { 'Fn::GetAtt': ['RulesTable', 'Arn'] }, // the table, not its indexes or streams
        });
        expect(st.PublishAlerts).toEqual({ Sid: 'PublishAlerts', Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: 'AlertsTopic' } });
        expect(resolve({ ...st.EncryptAlerts, Resource: 'key' }, NAMES)).toEqual({
          Sid: 'EncryptAlerts',
          Effect: 'Allow',
          Action: ['kms:GenerateDataKey*', 'kms:Decrypt'],
          Resource: 'key',
          Condition: { StringEquals: { 'kms:ViaService': 'sns.us-east-1.amazonaws.com' } },
        });
        expect(st.EncryptAlerts.Resource).toEqual({ 'Fn::GetAtt': ['AlertsTopicKey', 'Arn'] });
      }
      // Nothing else in any role touches DynamoDB, SNS or KMS.
      const touching = identityStatements(t).filter(({ s }) => list<string>(s.Action).some((a) => /^(dynamodb|sns|kms):/.test(a)));
      expect(touching.map(({ role, s }) => `${role}/${s.Sid}`).sort()).toEqual(
        ['S3IngestRole', 'HttpIngestRole'].flatMap((r) => ['DetectionState', 'PublishAlerts', 'EncryptAlerts'].map((sid) => `${r}/${sid}`)).sort(),
      );
    }
  });

  test('alarms: alerts that could not be published (AlertPublishFailures >= 1 in 5 minutes), per function, to the alarm topic', () => {
    // The service dimension Powertools adds is the serviceName each entry point gives its Metrics.
    const services = ['s3-ingest', 'http-ingest'].map((f) => {
      const entry = readFileSync(join(ROOT, 'functions', `${f}.ts`), 'utf8');
      const [, namespace, service] = /new Metrics\(\{ namespace: '([^']+)', serviceName: '([^']+)' \}\)/.exec(entry) ?? [];
      expect(namespace).toBe(dashboard.METRICS_NAMESPACE);
      return service!;
    });
    expect(services).toEqual(['cflogs-s3-ingest', 'cflogs-http-ingest']);
    for (const t of [tpl, existing]) {
      const alarms = ofType(t, 'AWS::CloudWatch::Alarm').filter(([, a]) => a.Properties.MetricName === 'AlertPublishFailures');
      expect(alarms.map(([id]) => id).sort()).toEqual(['HttpIngestAlertPublishFailuresAlarm', 'S3IngestAlertPublishFailuresAlarm']);
      for (const [id, a] of alarms) {
        const fn = id.replace('AlertPublishFailuresAlarm', 'LambdaFunction');
        const service = res(t, fn).Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME as string;
        expect(services).toContain(service);
        expect(service).toBe(services[fn.startsWith('S3') ? 0 : 1]);
        expect(a.Properties).toEqual({
          AlarmDescription: expect.any(String),
          Namespace: dashboard.METRICS_NAMESPACE,
          MetricName: 'AlertPublishFailures',
          Dimensions: [{ Name: 'service', Value: service }], // exactly what is emitted: no other dimension
          Statistic: 'Sum',
          Period: 300,
          EvaluationPeriods: 1,
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          TreatMissingData: 'notBreaching',
          AlarmActions: [{ Ref: 'AlarmTopic' }],
          OKActions: [{ Ref: 'AlarmTopic' }],
        });
      }
    }
  });

  test('functions: both are given the state table and the alerts topic; user rules and rule lists only when set', () => {
    for (const t of [tpl, existing]) {
      for (const [, fn] of ofType(t, 'AWS::Lambda::Function')) {
        const env = fn.Properties.Environment.Variables;
        expect(env.CFLOGS_RULES_TABLE).toEqual({ Ref: 'RulesTable' });
        expect(env.CFLOGS_ALERTS_TOPIC_ARN).toEqual({ Ref: 'AlertsTopic' });
      }
    }
    const rulesEnv = (t: Template) =>
      ofType(t, 'AWS::Lambda::Function').filter(([id]) => id !== 'IcebergCommitLambdaFunction').map(([, fn]) => {
        const env = fn.Properties.Environment.Variables;
        return [env.CFLOGS_RULES_DIR, env.CFLOGS_RULES_ENABLE, env.CFLOGS_RULES_DISABLE];
      });
    expect(rulesEnv(tpl)).toEqual([[undefined, undefined, undefined], [undefined, undefined, undefined]]);
    const set = ['/var/task/rules', 'Cloudflare.HttpRequest.BotHighVolume', 'Cloudflare.Firewall.HighVolumeEventsBlocked,Cloudflare.Firewall.L7DDoS'];
    expect(rulesEnv(existing)).toEqual([set, set]);
    for (const id of ['S3IngestLambdaFunction', 'HttpIngestLambdaFunction']) {
      expect(res(existing, id).Properties.Environment.Variables.CFLOGS_SIGMA_DIR).toBe('/var/task/sigma');
      expect(res(tpl, id).Properties.Environment.Variables.CFLOGS_SIGMA_DIR).toBeUndefined();
    }
  });

  test('user rules (rulesDir): compiled into both artifacts under rules/, self-contained, and the packaged functions start with them', async () => {
    const state = JSON.parse(readFileSync(join(OUT_EXISTING, 'serverless-state.json'), 'utf8'));
    const task = mkdtempSync(join(tmpdir(), 'cflogs-task-'));
    try {
      for (const [fn, name] of [['s3Ingest', 's3-ingest'], ['httpIngest', 'http-ingest']] as const) {
        const artifact = state.service.functions[fn].package.artifact as string;
        expect(artifact).toMatch(new RegExp(`^\\.build/with-rules/${name}-[0-9a-f]{16}\\.zip$`));
        const files = await readZip(readFileSync(join(ROOT, artifact)));
        // The helper (_paths.ts) is inside the rule that imports it, not a rule file of its own.
        expect([...files.keys()].filter((f) => f.startsWith('rules/')).sort()).toEqual(['rules/admin_blocked.js', 'rules/package.json']);
        expect(JSON.parse(files.get('rules/package.json')!.toString('utf8'))).toEqual({ type: 'commonjs' });
        // The function's own files are its bundle's, unchanged.
        const bundle = await readZip(readFileSync(join(ROOT, '.build', `${name}.zip`)));
        expect([...files.keys()].filter((f) => !f.startsWith('rules/') && !f.startsWith('sigma/'))).toEqual([...bundle.keys()]);
        // The Sigma files as they are, compiled by the function at start.
        expect([...files.keys()].filter((f) => f.startsWith('sigma/')).sort()).toEqual(['sigma/refused.yml', 'sigma/web/probe.yml']);
        for (const [f, data] of bundle) expect(files.get(f)!.equals(data)).toBe(true);
        // Bundled: the project's lib/rules code and the helper are in the file; it requires no file of the project.
        const code = files.get('rules/admin_blocked.js')!.toString('utf8');
        expect(code).toContain('startsWith("/admin")');
        expect(code).toContain('function defineRule(');
        expect(code).not.toMatch(/require\(["'][./]/);

        // A cold start from the unpacked artifact, with the template's environment: the rule set builds, and it has
        // the user rule (disabling an id no rule has would fail the start).
        const dir = join(task, name);
        for (const [f, data] of files) {
          mkdirSync(join(dir, f, '..'), { recursive: true });
          writeFileSync(join(dir, f), data);
        }
        const vars = res(existing, `${fn.charAt(0).toUpperCase()}${fn.slice(1)}LambdaFunction`).Properties.Environment.Variables as Record<string, Json>;
        const env: Record<string, string> = {
          ...measurementEnv(),
          ...Object.fromEntries(Object.entries(vars).filter(([, v]) => typeof v === 'string' || typeof v === 'number').map(([k, v]) => [k, String(v)])),
          CFLOGS_RULES_DIR: join(dir, 'rules'), // /var/task/rules in Lambda
          CFLOGS_SIGMA_DIR: join(dir, 'sigma'), // /var/task/sigma in Lambda
          // Disabling ids no rule has would fail the start: the user rule and the Sigma rule are loaded.
          CFLOGS_RULES_DISABLE: `${vars.CFLOGS_RULES_DISABLE},${USER_RULE_ID},Sigma.${SIGMA_ID}`,
          PATH: process.env.PATH ?? '',
        };
        const probe =
          'try { const m = require(process.argv[1]); process.stdout.write(typeof m.handler); } ' +
          'catch (e) { process.stdout.write(`${e.name}: ${e.message}`); } process.exit(0);';
        const out = execFileSync(process.execPath, ['--no-warnings', '-e', probe, join(dir, 'index.js')], { cwd: task, env, encoding: 'utf8', timeout: 60_000 });
        expect(`${name}: ${out}`).toBe(`${name}: function`);
      }
    } finally {
      rmSync(task, { recursive: true, force: true });
    }
  }, 120_000);

  test('existing input bucket: EventBridge rule per prefixes, no bucket created, reads scoped to it', () => {
    expect(existing.Resources.InputBucket).toBeUndefined();
    const rule = res(existing, 'InputObjectCreatedRule').Properties;
    expect(rule.EventPattern).toEqual({
      source: ['aws.s3'],
      'detail-type': ['Object Created'],
      detail: { bucket: { name: ['corp-logpush'] }, object: { key: [{ prefix: 'cf/http_requests/' }, { prefix: 'cf/firewall_events/' }] } },
    });
    expect(rule.Targets).toEqual([{ Id: 'ingest-queue', Arn: { 'Fn::GetAtt': ['IngestQueue', 'Arn'] } }]);
    const qp = res(existing, 'IngestQueuePolicy').Properties.PolicyDocument.Statement as Json[];
    expect(qp.find((s) => s.Effect === 'Allow')).toMatchObject({
      Principal: { Service: 'events.amazonaws.com' },
      Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': ['InputObjectCreatedRule', 'Arn'] } } },
    });
    expect(resolve(byRole(existing, 'S3IngestRole').ReadInputPrefixes.Resource, NAMES)).toEqual([
      'arn:aws:s3:::corp-logpush/cf/http_requests/*',
      'arn:aws:s3:::corp-logpush/cf/firewall_events/*',
    ]);
    expect(res(existing, 'AlarmEmailSubscription').Properties).toMatchObject({ Protocol: 'email', Endpoint: 'secops@example.com' });
    expect(res(existing, 'GlueDatabase').Properties.DatabaseInput.Name).toBe('cflogs_prod');
    const env = res(existing, 'S3IngestLambdaFunction').Properties.Environment.Variables;
    expect(JSON.parse(env.CFLOGS_ROUTES)).toEqual({ routes: [{ prefix: 'cf/', logType: 'Cloudflare.HttpRequest' }] });
    expect([env.CFLOGS_OUTPUT_COMPRESSION, String(env.CFLOGS_OUTPUT_COMPRESSION_LEVEL)]).toEqual(['gzip', '9']);
    const dflt = res(tpl, 'S3IngestLambdaFunction').Properties.Environment.Variables;
    expect([dflt.CFLOGS_OUTPUT_COMPRESSION, dflt.CFLOGS_OUTPUT_COMPRESSION_LEVEL]).toEqual(['zstd', undefined]);
    expect(existing.Outputs.InputBucketName.Value).toBe('corp-logpush');
    // Unset optional settings are left out rather than set to '' (an empty CFLOGS_ROUTES would not parse).
    expect(res(tpl, 'S3IngestLambdaFunction').Properties.Environment.Variables.CFLOGS_ROUTES).toBeUndefined();
  });
});

describe('infra/stack.js', () => {
  test('an existing input bucket is checked by the same bucket-name rule as CFLOGS_OUTPUT_BUCKET (lib/lake/layout.ts)', () => {
    // In a plain node process, as osls loads the stack: it reads lib/ through tsx, which jest's loader cannot host.
    const arns = (bucket: string): string => {
      const vars = {
        'self:service': 'cflogs',
        'sls:stage': 'dev',
        'self:functions.s3Ingest.timeout': 900,
        'param:httpReservedConcurrency': '20',
        'param:existingInputBucket': bucket,
      };
      const script =
        `require(${JSON.stringify(join(ROOT, 'infra', 'stack.js'))}).inputReadArns({ resolveVariable: async (k) => (${JSON.stringify(vars)})[k] })` +
        '.then((a) => console.log(JSON.stringify(a)), (e) => console.log(e.message))';
      return execFileSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' }).trim();
    };
    expect(arns('Corp_Logpush!')).toBe('existingInputBucket is not a valid bucket name: "Corp_Logpush!"');
    expect(BUCKET_NAME.test('Corp_Logpush!')).toBe(false);
    expect(arns('corp-logpush')).toContain('"corp-logpush","/*"');
  });

  test('the output compression params are checked by the rule the functions apply (lib/config.ts)', () => {
    const environment = (params: Record<string, string>): string => {
      const vars = { 'self:service': 'cflogs', 'sls:stage': 'dev', 'self:functions.s3Ingest.timeout': 900, 'param:httpReservedConcurrency': '20', ...params };
      const script =
        `require(${JSON.stringify(join(ROOT, 'infra', 'stack.js'))}).environment({ resolveVariable: async (k) => (${JSON.stringify(vars)})[k] })` +
        '.then((a) => console.log(JSON.stringify(a)), (e) => console.log(e.message))';
      return execFileSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' }).trim();
    };
    expect(environment({ 'param:outputCompression': 'brotli' })).toBe(
      'outputCompression / outputCompressionLevel: CFLOGS_OUTPUT_COMPRESSION must be one of zstd, gzip, got "brotli"',
    );
    expect(environment({ 'param:outputCompression': 'gzip', 'param:outputCompressionLevel': '12' })).toBe(
      'outputCompression / outputCompressionLevel: CFLOGS_OUTPUT_COMPRESSION_LEVEL must be an integer from 0 to 9, got "12"',
    );
    expect(JSON.parse(environment({ 'param:outputCompression': 'zstd', 'param:outputCompressionLevel': '19' }))).toMatchObject({
      CFLOGS_OUTPUT_COMPRESSION: 'zstd',
      CFLOGS_OUTPUT_COMPRESSION_LEVEL: '19',
    });
  });

  test('the dashboard searches the namespace s3Ingest emits to, with the exact dimension sets Powertools writes', () => {
    // The namespace is a literal in the function's entry point; the dashboard must use the same one.
    const entry = readFileSync(join(ROOT, 'functions', 's3-ingest.ts'), 'utf8');
    const [, namespace, service] = /new Metrics\(\{ namespace: '([^']+)', serviceName: '([^']+)' \}\)/.exec(entry) ?? [];
    expect(namespace).toBe(dashboard.METRICS_NAMESPACE);
    // Every metric lib/s3/metrics.ts emits for a processed object with rejects, drift and salvage, and a failure,
    // as EMF: namespace, metric name and dimension names.
    const summary: ProcessSummary = {
      source: 's3://b/k', logType: 'Cloudflare.Firewall', compression: 'gzip', bytesIn: 1, decompressedBytes: 1, lines: 3, rows: 1,
      rejectsByReason: { schema: 1 }, rejected: 1, filtered: 0, filteredBy: {}, blank: 1, unknownFields: { New: 1 },
      invalidFields: { BotScore: 1 }, outputs: [], durationMs: 1, salvaged: true,
      detections: {
        rows: 1, matches: 1, matchesByRule: { 'Cloudflare.Firewall.L7DDoS': 1 }, contributions: [],
        ruleErrors: [{ ruleId: 'Cloudflare.Firewall.L7DDoS', fn: 'title', count: 1, message: 'boom' }],
      },
    };
    const lines: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => (lines.push(String(c)), true));
    try {
      const m = powertoolsMetrics(new Metrics({ namespace, serviceName: service }));
      m.objectDone({ status: 'processed', summary });
      m.objectFailed();
      // The detections' own metrics (both functions emit them, each with its service).
      const alerts = powertoolsAlertMetrics(new Metrics({ namespace, serviceName: service }));
      alerts.fired('Cloudflare.Firewall.L7DDoS', 1);
      alerts.publishFailed(1);
    } finally {
      write.mockRestore();
    }
    const emitted = new Set(
      lines.join('').split('\n').filter((l) => l.startsWith('{')).flatMap((l) => {
        const { CloudWatchMetrics } = JSON.parse(l)._aws as { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
        return CloudWatchMetrics.flatMap((c) => c.Metrics.flatMap((x) => c.Dimensions.map((d) => `{${[c.Namespace, ...[...d].sort()].join(',')}} ${x.Name}`)));
      }),
    );
    expect(emitted.size).toBeGreaterThan(5);
    const searched = dashboardMetrics(dashboard.dashboardBody({ stage: 'dev' }))
      .flatMap((m) => (m.expression ? [/^SEARCH\('\{([^}]*)\} MetricName="(\w+)"'/.exec(m.expression)!] : []))
      .map(([, schema, name]) => {
        const [ns, ...dims] = schema!.split(',');
        return `{${[ns, ...dims.sort()].join(',')}} ${name}`;
      });
    expect(searched.length).toBeGreaterThan(5);
    for (const s of searched) expect(emitted).toContain(s);
    // The detections' dimension sets, as the alarms (infra/detections.yml) and the dashboard expect them.
    for (const s of [`{${namespace},ruleId,service} AlertsFired`, `{${namespace},service} AlertPublishFailures`, `{${namespace},ruleId,service} RuleErrors`]) {
      expect(emitted).toContain(s);
    }
  });

  test('detection params: alertEmail is an address; rule ids are checked, and a rule set the functions would refuse fails the packaging', () => {
    const { parseRuleIds } = stack._internal;
    expect(parseRuleIds('rulesEnable', ' a.B , c:d,,a.B')).toEqual(['a.B', 'c:d']);
    expect(parseRuleIds('rulesEnable', '')).toEqual([]);
    expect(() => parseRuleIds('rulesDisable', 'My Rule')).toThrow('rulesDisable: "My Rule" is not a rule id');
    // The rest in a plain node process, as osls loads the stack (lib/ through tsx).
    const environment = (params: Record<string, string>): string => {
      const vars = { 'self:service': 'cflogs', 'sls:stage': 'dev', 'self:functions.s3Ingest.timeout': 900, 'param:httpReservedConcurrency': '20', ...params };
      const script =
        `require(${JSON.stringify(join(ROOT, 'infra', 'stack.js'))}).environment({ resolveVariable: async (k) => (${JSON.stringify(vars)})[k] })` +
        '.then((a) => console.log(JSON.stringify(a)), (e) => console.log(e.message))';
      return execFileSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    };
    expect(environment({ 'param:alertEmail': 'soc at example.com' })).toBe('alertEmail is not an e-mail address: soc at example.com');
    expect(environment({ 'param:rulesDisable': 'Cloudflare.Firewall.Nope' })).toBe(
      'the detection rules would not load: CFLOGS_RULES_ENABLE/DISABLE name "Cloudflare.Firewall.Nope", which is no rule\'s id',
    );
    expect(environment({ 'param:rulesDir': 'no/such/dir' })).toBe(`rulesDir "no/such/dir" is not a directory (resolved to ${join(ROOT, 'no/such/dir')})`);
    const bad = join(OUT, 'bad-rules');
    mkdirSync(bad, { recursive: true });
    writeFileSync(join(bad, 'typo.ts'), `export default { id: 'My.Rule', logTypes: ['Cloudflare.Firewal'], severity: 'Low', rule: () => true };\n`);
    expect(environment({ 'param:rulesDir': bad })).toMatch(
      new RegExp(`^the detection rules would not load: rule My\\.Rule in ${join(bad, 'typo.ts').replace(/[.]/g, '\\.')} \\(compiled\\): unknown log type "Cloudflare\\.Firewal"`),
    );
    writeFileSync(join(bad, 'typo.ts'), 'export default { id: ;\n');
    expect(environment({ 'param:rulesDir': bad })).toMatch(/^rulesDir .*bad-rules: the rules do not compile: .*\ntypo\.ts:1:/s);
    const empty = join(OUT, 'no-rules');
    mkdirSync(empty, { recursive: true });
    writeFileSync(join(empty, '_helper.ts'), 'export const x = 1;\n');
    expect(environment({ 'param:rulesDir': empty })).toBe(`rulesDir ${empty} holds no rule file (*.ts or *.js, not starting with _ or .)`);
    expect(JSON.parse(environment({ 'param:rulesEnable': 'Cloudflare.HttpRequest.BotHighVolume' }))).toMatchObject({
      CFLOGS_RULES_ENABLE: 'Cloudflare.HttpRequest.BotHighVolume',
      CFLOGS_RULES_TABLE: { Ref: 'RulesTable' },
      CFLOGS_ALERTS_TOPIC_ARN: { Ref: 'AlertsTopic' },
    });
  }, 120_000);

  test('input prefixes: trimmed, de-duplicated, empty means the whole bucket, wildcards refused', () => {
    const { parsePrefixes } = stack._internal;
    expect(parsePrefixes(' a/ , b/,a/')).toEqual(['a/', 'b/']);
    expect(parsePrefixes('')).toEqual(['']);
    expect(parsePrefixes('/')).toEqual(['']);
    expect(parsePrefixes('cf/, cf/http_requests/, other/')).toEqual(['cf/', 'other/']); // S3 refuses overlaps
    expect(() => parsePrefixes('/abs/')).toThrow(/must not start/);
    expect(() => parsePrefixes('logs/*')).toThrow(/must not contain/);
  });

  test('httpReservedConcurrency: a whole number from 1; 0 (the function switched off), negatives and text refused', () => {
    const { parseReservedConcurrency } = stack._internal;
    expect(parseReservedConcurrency('20')).toBe(20);
    expect(parseReservedConcurrency('1')).toBe(1);
    for (const bad of ['0', '-5', '2.5', '', 'ten', '1e3', '20000']) {
      expect(() => parseReservedConcurrency(bad)).toThrow(/httpReservedConcurrency must be a whole number/);
    }
  });

  test('ListBucket on a whole-bucket input carries no prefix condition; on prefixes, one pattern per prefix', () => {
    const { inputListStatement } = stack._internal;
    const whole = inputListStatement({ inputPrefixes: [''], existingInputBucket: 'corp-logpush' });
    expect(whole).toMatchObject({ Action: 's3:ListBucket' });
    expect(whole.Condition).toBeUndefined();
    const some = inputListStatement({ inputPrefixes: ['a/', 'b'], existingInputBucket: 'corp-logpush' });
    expect(some.Condition).toEqual({ StringLike: { 's3:prefix': ['a/*', 'b*'] } });
  });
});

function expectPrivateEncrypted(props: Json): void {
  expect(props.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('AES256');
  expect(props.PublicAccessBlockConfiguration).toEqual({
    BlockPublicAcls: true,
    BlockPublicPolicy: true,
    IgnorePublicAcls: true,
    RestrictPublicBuckets: true,
  });
}

function expectTlsOnly(policy: Json): void {
  expect(policy.Statement).toContainEqual(
    expect.objectContaining({ Effect: 'Deny', Principal: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
  );
}

/** Every statement of every identity policy in the template (inline role policies and managed policies). */
function identityStatements(t: Template): { role: string; s: Json }[] {
  const out: { role: string; s: Json }[] = [];
  for (const [id, r] of ofType(t, 'AWS::IAM::Role')) {
    for (const p of list<Json>(r.Properties.Policies)) for (const s of list<Json>(p.PolicyDocument.Statement)) out.push({ role: id, s });
    expect(r.Properties.ManagedPolicyArns).toBeUndefined();
  }
  for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
    for (const [id, r] of ofType(t, type)) for (const s of list<Json>(r.Properties.PolicyDocument.Statement)) out.push({ role: id, s });
  }
  return out;
}

function byRole(t: Template, role: string): Record<string, Json> {
  const statements = list<Json>(res(t, role).Properties.Policies).flatMap((p) => list<Json>(p.PolicyDocument.Statement));
  return Object.fromEntries(statements.map((s) => [s.Sid as string, s]));
}
