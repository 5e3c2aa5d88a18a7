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
});
