import { existsSync, statSync } from 'node:fs';
import { AlertMetrics, Alerting } from './alerts/alerting';
import { randomBytes } from 'node:crypto';
import { dynamoDbClient, DynamoDBClient, glueClient, GlueClient, s3Client, S3Client, snsClient, SNSClient, sqsClient } from './aws/clients';
import { GlueCatalog } from './aws/glue-catalog';
import { s3MetadataFiles, sqsHandoffSender } from './aws/iceberg-io';
import type { HandoffSender, HandoffTarget } from './iceberg/handoff';
import type { CommitterLambdaDeps } from './iceberg/lambda';
import { icebergTableSpecs } from './iceberg/tables';
import { compileSigmaDir } from './sigma';
import { dynamoDbStateStore } from './aws/dynamodb-store';
import { S3Store } from './aws/s3-store';
import { s3ObjectSource } from './aws/s3-source';
import { powertoolsSecretFetchers } from './aws/secrets';
import { SnsPublisher } from './aws/sns';
import { powertoolsSqsBatch } from './aws/sqs-batch';
import { builtInRules, loadRuleSetSync } from './rules/builtin';
import { loadUserRulesSync } from './rules/load';
import type { Rule } from './rules/model';
import { rulesConfigFromEnv } from './rules/config';
import { AlertStateStore, MemoryStateStore } from './rules/store';
import { Config, loadCommitterConfig, loadConfig } from './config';
import { ConfigError, messageOf } from './errors';
import { processScanThread, ScanAhead } from './pipeline/scan-ahead';
import { HttpConfig, HttpConfigOptions, loadHttpConfig } from './http/config';
import type { HttpDeps } from './http/handler';
import type { Log } from './log';
import { Router } from './route/router';
import type { ObjectDeps, ObjectMetrics } from './s3/object';
import { builtInRegistry, CompiledLogType, SchemaRegistry } from './record/registry';
import type { ObjectStore } from './lake/types';
import type { LogSchema } from './schema/model';
import { loadSchemaDir } from './schema/load';
import { RuleSet } from './rules/engine';

/**
 * The composition root: configuration read once, the log types, clients and the router built once, for the two
 * Lambda functions, `cflogs parse`, `detect`, `serve` and the soak, so the same environment gives each the same
 * schemas, routes and rules. Only entry points (functions/, lib/cli, scripts/) import it.
 */
export interface WireOptions {
  /** Settings in place of the environment's (the soak writes without a prefix). */
  config?: Partial<Config>;
  /** The S3 client (a local S3 server's); by default one for AWS, created only when something needs it. */
  s3?: S3Client;
  /** Where the lake goes; by default S3 under CFLOGS_OUTPUT_BUCKET. */
  store?: ObjectStore;
  log: Log;
  clock?: () => Date;
  /** Counts of alerts fired and publishes failed (the functions' metrics). */
  alertMetrics?: AlertMetrics;
  /** The SNS and DynamoDB clients of the alerts (local servers'); by default ones for AWS, created when the rules need them. */
  sns?: SNSClient;
  dynamodb?: DynamoDBClient;
  /** Compiles CFLOGS_SCHEMAS_DIR's schemas at start (the CLI's, lib/cli/schemas.ts); without it that setting is refused. */
  compileSchemas?: SchemaCompiler;
  /** Where hand-offs go with CFLOGS_ICEBERG_QUEUE_URL set; by default SQS. */
  handoffSender?: HandoffSender;
  /** Names each attempt's data files apart (random by default). */
  attemptId?: () => string;
}

/**
 * Custom schemas compiled in memory, one loader per log type. Only the CLI passes one: the functions carry their
 * log types compiled by `npm run gen`, and the code generator stays out of their bundles.
 */
export type SchemaCompiler = (schemas: LogSchema[]) => Record<string, () => CompiledLogType>;

/** What every entry point shares. */
interface Wired {
  config: Config;
  router: Router;
  store: ObjectStore;
  clock: () => Date;
  log: Log;
  /** The rules stage and the alerts after it; absent with CFLOGS_RULES=false. */
  alerting?: Alerting;
  handoff?: HandoffTarget;
}

function wire(env: NodeJS.ProcessEnv, opts: WireOptions): { deps: Wired; s3: () => S3Client } {
  const config = { ...loadConfig(env), ...opts.config };
  let s3 = opts.s3;
  const client = (): S3Client => (s3 ??= s3Client({ forcePathStyle: config.s3ForcePathStyle }));
  let store = opts.store;
  if (!store) {
    if (!config.outputBucket) throw new ConfigError('CFLOGS_OUTPUT_BUCKET is required');
    store = new S3Store(client(), config.outputBucket);
  }
  const clock = opts.clock ?? (() => new Date());
  const registry = wireRegistry(config, opts.compileSchemas);
  const alerting = wireAlerting(env, {
    registry,
    config,
    store,
    clock,
    ...(opts.alertMetrics ? { metrics: opts.alertMetrics } : {}),
    ...(opts.sns ? { sns: opts.sns } : {}),
    ...(opts.dynamodb ? { dynamodb: opts.dynamodb } : {}),
  });
  const handoff = config.icebergQueueUrl === undefined ? undefined : wireHandoff(config, config.icebergQueueUrl, opts);
  const deps = {
    config,
    router: new Router(config.routes, registry, config),
    store,
    clock,
    log: opts.log,
    ...(alerting ? { alerting } : {}),
    ...(handoff ? { handoff } : {}),
  };
  return { deps, s3: client };
}

/** Each input's Parquet files handed to the Iceberg committer's queue, as s3:// URIs in the output bucket. */
function wireHandoff(config: Config, queueUrl: string, opts: WireOptions): HandoffTarget {
  const bucket = config.outputBucket;
  if (bucket === undefined) throw new ConfigError('CFLOGS_ICEBERG_QUEUE_URL needs CFLOGS_OUTPUT_BUCKET: the tables name their files in it');
  return {
    sender: opts.handoffSender ?? sqsHandoffSender(sqsClient(), queueUrl),
    locate: (key) => `s3://${bucket}/${key}`,
    attempt: opts.attemptId ?? (() => randomBytes(4).toString('hex')),
  };
}

/**
 * The Iceberg committer: its tables (every log type's, with this environment's custom schemas), the Glue Data Catalog
 * and the metadata files in S3.
 */
export function wireCommitter(
  env: NodeJS.ProcessEnv,
  opts: { log: Log; glue?: GlueClient; s3?: S3Client; clock?: () => Date; compileSchemas?: SchemaCompiler },
): CommitterLambdaDeps {
  const cc = loadCommitterConfig(env);
  const config = loadConfig(env);
  const specs = icebergTableSpecs(wireRegistry(config, opts.compileSchemas).schemas());
  const byName = new Map(specs.map((t) => [t.table, t]));
  const s3 = opts.s3 ?? s3Client({ forcePathStyle: config.s3ForcePathStyle });
  const files = s3MetadataFiles(s3);
  const clock = opts.clock ?? (() => new Date());
  return {
    catalog: new GlueCatalog({ client: opts.glue ?? glueClient(), database: cc.database, warehouse: cc.warehouse, files }),
    ...files,
    now: () => clock().getTime(),
    table: (name) => byName.get(name),
    specs,
    log: opts.log,
  };
}

/**
 * The log types of a deployment: the built-in ones, and the custom schemas under CFLOGS_SCHEMAS_DIR (checked and
 * compiled at start, so a mistake in one fails the cold start, not a delivery).
 */
export function wireRegistry(config: Pick<Config, 'schemasDir'>, compile?: SchemaCompiler): SchemaRegistry {
  if (config.schemasDir === undefined) return builtInRegistry();
  if (!compile) {
    throw new ConfigError(
      'CFLOGS_SCHEMAS_DIR is read by the command line only: the functions carry their log types compiled by `npm run gen` (put the schemas in schemas/ before packaging)',
    );
  }
  if (!existsSync(config.schemasDir) || !statSync(config.schemasDir).isDirectory()) {
    throw new ConfigError(`CFLOGS_SCHEMAS_DIR ${config.schemasDir} is not a directory`);
  }
  const schemas = loadSchemaDir(config.schemasDir);
  if (schemas.length === 0) throw new ConfigError(`CFLOGS_SCHEMAS_DIR ${config.schemasDir} holds no *.yml or *.yaml schema`);
  return builtInRegistry().with(schemas, compile(schemas));
}

/**
 * What `cflogs parse` and `detect` share with the functions: the configuration and the log types the same
 * environment gives them. They build their router from these once their flags have added to the configuration.
 */
export function wireLocal(env: NodeJS.ProcessEnv, compile?: SchemaCompiler): { config: Config; registry: SchemaRegistry } {
  const config = loadConfig(env);
  return { config, registry: wireRegistry(config, compile) };
}

/**
 * The rules a deployment runs: built-in and the rules directory's, switched on and off by the ids given (the
 * environment's, or `cflogs detect`'s flags), checked against the deployment's log types; plus compiled Sigma rules
 * when given (`cflogs detect --sigma DIR`, CFLOGS_SIGMA_DIR).
 */
export function wireRules(
  registry: SchemaRegistry,
  rc: { dir?: string; enable: readonly string[]; disable: readonly string[]; sigma?: readonly Rule[] },
): RuleSet {
  const opts = {
    ...(rc.dir !== undefined ? { dir: rc.dir } : {}),
    enable: rc.enable,
    disable: rc.disable,
    knownLogTypes: registry.logTypes(),
  };
  if (rc.sigma === undefined || rc.sigma.length === 0) return loadRuleSetSync(opts);
  // Compiled Sigma rules (lib/sigma: `cflogs detect --sigma DIR`) join the built-in and user rules, checked with them
  // and run within the time limits as user rules are.
  const user = rc.dir !== undefined ? loadUserRulesSync(rc.dir) : [];
  return new RuleSet([...builtInRules(), ...user, ...rc.sigma], { trusted: builtInRules(), ...opts });
}

/**
 * CFLOGS_SIGMA_DIR's Sigma rules, compiled at start (the stack's sigmaDir, packaged under sigma/): a directory where
 * no rule compiles is a mistake to refuse; the rules that do not compile are reported by `cflogs rules sigma DIR`
 * (and the packaging), not applied in part.
 */
function wireSigma(dir: string): Rule[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ConfigError(`CFLOGS_SIGMA_DIR ${dir} is not a directory`);
  const { compiled, refused } = compileSigmaDir(dir);
  if (compiled.length === 0) throw new ConfigError(`CFLOGS_SIGMA_DIR ${dir}: no Sigma rule compiles (${refused.length} refused: cflogs rules sigma ${dir} says why)`);
  return compiled.map((c) => c.rule);
}

/**
 * The rules (built-in and CFLOGS_RULES_DIR's, checked at start), their state (DynamoDB when CFLOGS_RULES_TABLE is
 * set; else memory, for `cflogs serve`), alert records in the lake, and SNS when CFLOGS_ALERTS_TOPIC_ARN is set.
 */
function wireAlerting(
  env: NodeJS.ProcessEnv,
  o: { registry: SchemaRegistry; config: Config; store: ObjectStore; clock: () => Date; metrics?: AlertMetrics; sns?: SNSClient; dynamodb?: DynamoDBClient },
): Alerting | undefined {
  const rc = rulesConfigFromEnv(env);
  if (!rc.enabled) return undefined;
  const rules = wireRules(o.registry, { ...rc, ...(rc.sigmaDir !== undefined ? { sigma: wireSigma(rc.sigmaDir) } : {}) });
  // A function's state in memory would count each container's matches apart and forget them: refused.
  if (rc.table === undefined && env.AWS_LAMBDA_FUNCTION_NAME !== undefined) {
    throw new ConfigError('CFLOGS_RULES_TABLE is required in Lambda while the rules are on (or set CFLOGS_RULES=false)');
  }
  const state: AlertStateStore =
    rc.table !== undefined ? dynamoDbStateStore(o.dynamodb ?? dynamoDbClient(), rc.table, { clock: o.clock }) : new MemoryStateStore(o.clock);
  const sns = (): SNSClient => o.sns ?? snsClient();
  return new Alerting({
    rules,
    state,
    lake: { store: o.store, prefix: o.config.outputPrefix, codec: o.config.codec },
    ...(rc.topicArn !== undefined ? { publisher: new SnsPublisher(sns(), rc.topicArn) } : {}),
    ...(o.metrics ? { metrics: o.metrics } : {}),
    clock: o.clock,
  });
}

/** What the S3 handler needs: S3 events in, the lake out. */
export function wireS3(env: NodeJS.ProcessEnv, opts: WireOptions & { metrics?: ObjectMetrics }): ObjectDeps {
  const { deps, s3 } = wire(env, opts);
  const scanAhead = wireScanThread(deps.config, opts.log);
  return {
    ...deps,
    source: s3ObjectSource(s3()),
    sqsBatch: powertoolsSqsBatch,
    ...(opts.metrics ? { metrics: opts.metrics } : {}),
    ...(scanAhead ? { scanAhead } : {}),
  };
}

/**
 * The process's scan thread where the configuration wants one (CFLOGS_SCAN_THREAD; by default for Parquet with a
 * second CPU). `on` in a build without the thread's code is refused; `auto` then goes without.
 */
export function wireScanThread(config: Pick<Config, 'scanThread'>, log: Log): ScanAhead | undefined {
  if (!config.scanThread) return undefined;
  const thread = processScanThread((e) => log.warn('the scan thread failed: its lines are parsed on the main thread', { error: messageOf(e) }));
  if (thread === undefined && config.scanThread === 'on') {
    throw new ConfigError('CFLOGS_SCAN_THREAD is on, but this build has no scan thread (scan-thread.js beside its bundle)');
  }
  return thread;
}

/**
 * What the Logpush HTTP handler needs, with the whole HTTP configuration (where the secret comes from, for a
 * startup message).
 */
export function wireHttp(env: NodeJS.ProcessEnv, opts: WireOptions & { http?: Omit<HttpConfigOptions, 'registry'> }): HttpDeps & { http: HttpConfig } {
  const { deps } = wire(env, opts);
  return {
    ...deps,
    http: loadHttpConfig(env, { ...opts.http, registry: deps.router.registry, fetchers: opts.http?.fetchers ?? powertoolsSecretFetchers }),
  };
}
