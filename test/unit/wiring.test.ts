import { LocalStore } from '../../lib/lake/local-store';
import { silentLog } from '../../lib/log';
import { wireHttp, wireS3 } from '../../lib/wiring';

describe('wiring', () => {
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
    expect(deps.s3).toBeDefined();
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
    // Disabled by default, as in Panther: HTTP requests have no enabled rule, so their rows skip the stage.
    expect(on.alerting?.rules.forLogType('Cloudflare.HttpRequest')).toBeUndefined();
    expect(wireS3({ ...env, CFLOGS_RULES_ENABLE: 'Cloudflare.HttpRequest.BotHighVolume' }, { log: silentLog }).alerting?.rules.forLogType('Cloudflare.HttpRequest')).toBeDefined();
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
