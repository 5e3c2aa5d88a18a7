import { ConfigError } from '../../lib/errors';
import { LocalStore } from '../../lib/lake/local-store';
import { silentLog } from '../../lib/log';
import { builtInRegistry } from '../../lib/record/registry';
import { wireHttp, wireS3, wireScanThread } from '../../lib/wiring';

describe('wiring', () => {
  it('starts the scan thread where the configuration wants one (one for the process), and none where it does not', () => {
    expect(wireScanThread({ scanThread: false }, silentLog)).toBeUndefined();
    const thread = wireScanThread({ scanThread: 'auto' }, silentLog);
    expect(thread?.takes(builtInRegistry().require('Cloudflare.HttpRequest'))).toBe(true);
    expect(wireScanThread({ scanThread: 'auto' }, silentLog)).toBe(thread);
    // The functions' default, Parquet, on a machine with a second CPU and no Lambda memory size: on.
    const deps = wireS3({ CFLOGS_OUTPUT_BUCKET: 'lake-bucket', CFLOGS_SCAN_THREAD: 'on' }, { log: silentLog });
    expect(deps.scanAhead).toBe(thread);
    expect(wireS3({ CFLOGS_OUTPUT_BUCKET: 'lake-bucket', CFLOGS_SCAN_THREAD: 'off' }, { log: silentLog }).scanAhead).toBeUndefined();
    expect(wireS3({ CFLOGS_OUTPUT_BUCKET: 'lake-bucket', AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1769' }, { log: silentLog }).scanAhead).toBeUndefined();
  });

  it('refuses to start without an output bucket unless a store is given', () => {
    expect(() => wireS3({}, { log: silentLog })).toThrow(/CFLOGS_OUTPUT_BUCKET is required/);
    expect(() => wireHttp({ CFLOGS_SHARED_SECRET: 's' }, { log: silentLog })).toThrow(/CFLOGS_OUTPUT_BUCKET is required/);
    expect(wireHttp({ CFLOGS_SHARED_SECRET: 's' }, { log: silentLog, store: new LocalStore('/tmp/x') }).store).toBeInstanceOf(LocalStore);
  });

  it("builds the S3 handler's deps from the environment, with the overrides on top", () => {
    const env = { CFLOGS_OUTPUT_BUCKET: 'lake-bucket', CFLOGS_OUTPUT_PREFIX: 'env/', CFLOGS_MAX_OPEN_FILES: '3' };
    const deps = wireS3(env, { log: silentLog, config: { outputPrefix: '' } });
    expect(deps.config).toMatchObject({ outputBucket: 'lake-bucket', outputPrefix: '', maxOpenFiles: 3 });
    expect(deps.router.route('cf/firewall_events/20260101/a.log.gz')?.entry.plan.logType).toBe('Cloudflare.Firewall');
    expect(deps.source).toBeDefined();
  });

  it('gives the HTTP handler its secret settings from the environment or the command line', async () => {
    const deps = wireHttp({ CFLOGS_OUTPUT_BUCKET: 'lake-bucket', CFLOGS_SHARED_SECRET: 'from-env' }, { log: silentLog, http: { secret: 'from-cli' } });
    expect(deps.http.secretSource).toBe('cli');
    expect(await deps.http.getSecret()).toBe('from-cli');
  });

  it('runs the rules by default, with state in memory off Lambda; CFLOGS_RULES=false turns the stage off', () => {
    const env = { CFLOGS_OUTPUT_BUCKET: 'lake-bucket' };
    const on = wireS3(env, { log: silentLog });
    expect(on.alerting?.rules.forLogType('Cloudflare.Firewall')?.rules.map((r) => r.id)).toContain('Cloudflare.Firewall.L7DDoS');
    // Disabled by default, as in Panther; switched on by id.
    expect(on.alerting?.rules.forLogType('Cloudflare.HttpRequest')?.rules.map((r) => r.id)).not.toContain('Cloudflare.HttpRequest.BotHighVolume');
    expect(wireS3({ ...env, CFLOGS_RULES_ENABLE: 'Cloudflare.HttpRequest.BotHighVolume' }, { log: silentLog }).alerting?.rules.forLogType('Cloudflare.HttpRequest')?.rules.map((r) => r.id)).toContain('Cloudflare.HttpRequest.BotHighVolume');
    // A log type with no enabled rule skips the stage.
    expect(on.alerting?.rules.forLogType('Cloudflare.Spectrum')).toBeUndefined();
    expect(wireS3({ ...env, CFLOGS_RULES: 'false' }, { log: silentLog }).alerting).toBeUndefined();
  });

  it('refuses to start a function with rules but no state table, or with rules that do not load', () => {
    const env = { CFLOGS_OUTPUT_BUCKET: 'lake-bucket', AWS_LAMBDA_FUNCTION_NAME: 'cflogs-s3-ingest' };
    expect(() => wireS3(env, { log: silentLog })).toThrow(/CFLOGS_RULES_TABLE is required in Lambda/);
    expect(wireS3({ ...env, CFLOGS_RULES_TABLE: 'state' }, { log: silentLog }).alerting).toBeDefined();
    expect(() => wireS3({ ...env, CFLOGS_RULES_TABLE: 'state', CFLOGS_RULES_DIR: '/no/such/dir' }, { log: silentLog })).toThrow(/rules directory \/no\/such\/dir/);
    expect(() => wireS3({ ...env, CFLOGS_RULES_TABLE: 'state', CFLOGS_RULES_DISABLE: 'Not.A.Rule' }, { log: silentLog })).toThrow(/Not\.A\.Rule/);
  });
});

/**
 * Detection settings that would be accepted and then fail (or silently lose) later, at a publish, a state write or
 * a rule switch: refused when the function starts, with a ConfigError naming the variable.
 */
describe('detection settings that cannot work are refused at start', () => {
  const env = { CFLOGS_OUTPUT_BUCKET: 'lake-bucket' };
  const BOT = 'Cloudflare.HttpRequest.BotHighVolume';
  const start = (extra: Record<string, string>): unknown => wireS3({ ...env, ...extra }, { log: silentLog });
  function configError(extra: Record<string, string>): string {
    try {
      start(extra);
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as Error).message;
    }
    throw new Error(`accepted: ${JSON.stringify(extra)}`);
  }

  it('a rule both in CFLOGS_RULES_ENABLE and CFLOGS_RULES_DISABLE is a ConfigError naming both variables and the rule', () => {
    for (const [enable, disable] of [
      [BOT, BOT],
      [`Cloudflare.Firewall.HighVolumeEventsBlocked, ${BOT}`, `Cloudflare.Firewall.L7DDoS,${BOT}`],
    ] as const) {
      expect(configError({ CFLOGS_RULES_ENABLE: enable, CFLOGS_RULES_DISABLE: disable })).toBe(
        `CFLOGS_RULES_ENABLE and CFLOGS_RULES_DISABLE both name ${BOT}: switch a rule on or off, not both`,
      );
    }
    expect(() => wireHttp({ ...env, CFLOGS_SHARED_SECRET: 's', CFLOGS_RULES_ENABLE: BOT, CFLOGS_RULES_DISABLE: BOT }, { log: silentLog })).toThrow(ConfigError);
  });

  it.each([
    ['CFLOGS_RULES_ENABLE', `${BOT},,Cloudflare.Firewall.HighVolumeEventsBlocked`, 'an empty item'],
    ['CFLOGS_RULES_ENABLE', `${BOT},`, 'an empty item'],
    ['CFLOGS_RULES_DISABLE', ' ,Cloudflare.Firewall.L7DDoS', 'an empty item'],
    ['CFLOGS_RULES_DISABLE', 'Cloudflare.Firewall.L7DDoS, Cloudflare.Firewall.L7DDoS', 'Cloudflare.Firewall.L7DDoS twice'],
  ])('%s=%j (a list with an empty item or a duplicate) is a ConfigError naming the variable', (name, value, what) => {
    expect(configError({ [name]: value })).toMatch(new RegExp(`^${name} (has|names) ${what.replace(/\./g, '\\.')}`));
  });

  it.each([
    ['free text', 'my alerts topic'],
    ['a topic name alone', 'cflogs-alerts'],
    ['no topic name', 'arn:aws:sns:eu-west-1:123456789012'],
    ['an empty topic name', 'arn:aws:sns:eu-west-1:123456789012:'],
    ['another service', 'arn:aws:sqs:eu-west-1:123456789012:cflogs-alerts'],
    ['an 11-digit account', 'arn:aws:sns:eu-west-1:12345678901:cflogs-alerts'],
    ['no region', 'arn:aws:sns::123456789012:cflogs-alerts'],
    ['a space in the name', 'arn:aws:sns:eu-west-1:123456789012:cflogs alerts'],
    ['a dot in the name that is not .fifo', 'arn:aws:sns:eu-west-1:123456789012:cflogs.alerts'],
    ['a subscription ARN', 'arn:aws:sns:eu-west-1:123456789012:cflogs-alerts:3f1c2a8e-subscription'],
    ['a 257-character name', `arn:aws:sns:eu-west-1:123456789012:${'a'.repeat(257)}`],
    ['a partition that is not AWS', 'arn:azure:sns:eu-west-1:123456789012:cflogs-alerts'],
  ])('CFLOGS_ALERTS_TOPIC_ARN that is not an SNS topic ARN (%s) is a ConfigError naming the variable', (_why, arn) => {
    expect(configError({ CFLOGS_ALERTS_TOPIC_ARN: arn })).toBe(
      `CFLOGS_ALERTS_TOPIC_ARN is not an SNS topic ARN (arn:<partition>:sns:<region>:<12-digit account>:<topic name>): ${JSON.stringify(arn)}`,
    );
  });

  it('SNS topic ARNs of every partition, standard or FIFO, are accepted', () => {
    for (const arn of [
      'arn:aws:sns:eu-west-1:123456789012:cflogs-alerts',
      'arn:aws:sns:us-east-1:123456789012:Alerts_2.fifo',
      'arn:aws-cn:sns:cn-north-1:123456789012:cflogs-alerts',
      'arn:aws-us-gov:sns:us-gov-west-1:123456789012:cflogs-alerts',
      `arn:aws:sns:ap-southeast-7:123456789012:${'a'.repeat(256)}`,
    ]) {
      expect(wireS3({ ...env, CFLOGS_ALERTS_TOPIC_ARN: arn }, { log: silentLog }).alerting).toBeDefined();
    }
  });

  it('a topic or table ARN in another region than AWS_REGION is a ConfigError naming both (SNS and DynamoDB answer only in their region)', () => {
    const topic = 'arn:aws:sns:us-east-1:123456789012:cflogs-alerts';
    expect(configError({ AWS_REGION: 'eu-west-1', CFLOGS_ALERTS_TOPIC_ARN: topic })).toBe(
      'CFLOGS_ALERTS_TOPIC_ARN is a topic in us-east-1, and this runs in eu-west-1 (AWS_REGION): SNS publishes only to topics of its own region',
    );
    const table = 'arn:aws:dynamodb:us-east-1:123456789012:table/cflogs-detections';
    expect(configError({ AWS_REGION: 'eu-west-1', CFLOGS_RULES_TABLE: table })).toBe(
      'CFLOGS_RULES_TABLE is a table in us-east-1, and this runs in eu-west-1 (AWS_REGION): DynamoDB serves only tables of its own region',
    );
    expect(wireS3({ ...env, AWS_REGION: 'us-east-1', CFLOGS_ALERTS_TOPIC_ARN: topic, CFLOGS_RULES_TABLE: table }, { log: silentLog }).alerting).toBeDefined();
  });

  it.each([
    ['a space', 'my table'],
    ['2 characters', 'ab'],
    ['256 characters', 'a'.repeat(256)],
    ['a slash', 'cflogs/detections'],
    ['an ARN without table/', 'arn:aws:dynamodb:eu-west-1:123456789012:cflogs-detections'],
    ['an ARN without a name', 'arn:aws:dynamodb:eu-west-1:123456789012:table/'],
    ['a stream ARN', 'arn:aws:dynamodb:eu-west-1:123456789012:table/cflogs-detections/stream/2026-01-01T00:00:00.000'],
    ['an ARN of another service', 'arn:aws:sns:eu-west-1:123456789012:cflogs-detections'],
  ])('CFLOGS_RULES_TABLE that is neither a DynamoDB table name nor a table ARN (%s) is a ConfigError naming the variable', (_why, table) => {
    expect(configError({ CFLOGS_RULES_TABLE: table })).toBe(
      `CFLOGS_RULES_TABLE is neither a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -) nor a table ARN: ${JSON.stringify(table)}`,
    );
  });

  it('DynamoDB table names and table ARNs are accepted', () => {
    for (const table of ['abc', 'cflogs-prod-detections', 'Detections_v2.1', 'a'.repeat(255), 'arn:aws:dynamodb:eu-west-1:123456789012:table/cflogs-detections']) {
      expect(wireS3({ ...env, CFLOGS_RULES_TABLE: table }, { log: silentLog }).alerting).toBeDefined();
    }
  });
});
