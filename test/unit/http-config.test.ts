/** loadHttpConfig: defaults, validation that fails fast, and the three places the secret can live. */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { ConfigError } from '../../lib/errors';
import { DEFAULT_MAX_BODY_BYTES, HttpConfigOptions, loadHttpConfig as loadWith, SecretFetchers } from '../../lib/http/config';
import { builtInRegistry } from '../../lib/record/registry';
import { powertoolsSecretFetchers } from '../../lib/aws/secrets';

const SECRET = 'config-test-secret-5b1e';

/** The HTTP configuration with the built-in log types, as a deployment without custom schemas has it. */
const loadHttpConfig = (env: NodeJS.ProcessEnv, opts: Omit<HttpConfigOptions, 'registry'> = {}) => loadWith(env, { registry: builtInRegistry(), ...opts });

beforeAll(() => {
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID ??= 'test';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
});

function configError(f: () => unknown): ConfigError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

test('defaults: the Panther header, 6 MB, no default dataset', async () => {
  const c = loadHttpConfig({ CFLOGS_SHARED_SECRET: SECRET });
  expect(c.secretHeader).toBe('x-panther-cloudflare');
  expect(c.maxBodyBytes).toBe(DEFAULT_MAX_BODY_BYTES);
  expect(DEFAULT_MAX_BODY_BYTES).toBe(6 * 1024 * 1024);
  expect(c.defaultDataset).toBeUndefined();
  expect(c.secretSource).toBe('env');
  expect(await c.getSecret()).toBe(SECRET);
  // The config can be logged: the secret is in a closure, not a field.
  expect(JSON.stringify(c)).not.toContain(SECRET);
});

test('settings: header (lower-cased), size, default dataset; the secret trimmed', async () => {
  const c = loadHttpConfig({
    CFLOGS_SHARED_SECRET: ` ${SECRET}\n`,
    CFLOGS_SECRET_HEADER: 'X-Logpush-Secret',
    CFLOGS_MAX_BODY_BYTES: '1000',
    CFLOGS_DEFAULT_DATASET: 'firewall_events',
  });
  expect(c).toMatchObject({ secretHeader: 'x-logpush-secret', maxBodyBytes: 1000, defaultDataset: 'firewall_events' });
  expect(await c.getSecret()).toBe(SECRET);
  expect(loadHttpConfig({ CFLOGS_SHARED_SECRET: SECRET, CFLOGS_DEFAULT_DATASET: 'Cloudflare.Audit' }).defaultDataset).toBe('Cloudflare.Audit');
});

test('a command-line secret and dataset win over the environment', async () => {
  const c = loadHttpConfig({ CFLOGS_SECRET_PARAMETER: '/x', CFLOGS_DEFAULT_DATASET: 'audit_logs' }, { secret: SECRET, defaultDataset: 'http_requests' });
  expect(c.secretSource).toBe('cli');
  expect(c.defaultDataset).toBe('http_requests');
  expect(await c.getSecret()).toBe(SECRET);
});

test.each([
  ['no secret at all', {}, /no shared secret configured/],
  ['an empty secret', { CFLOGS_SHARED_SECRET: '   ' }, /no shared secret configured/],
  ['two secret sources', { CFLOGS_SHARED_SECRET: SECRET, CFLOGS_SECRET_ID: 'x' }, /only one of/],
  ['three secret sources', { CFLOGS_SHARED_SECRET: SECRET, CFLOGS_SECRET_ID: 'x', CFLOGS_SECRET_PARAMETER: '/p' }, /only one of/],
  ['a control character in the secret', { CFLOGS_SHARED_SECRET: `${SECRET}\u0000x` }, /control characters/],
  ['a non-ASCII letter in the secret', { CFLOGS_SHARED_SECRET: `${SECRET}-café` }, /^CFLOGS_SHARED_SECRET: the shared secret contains characters outside printable ASCII/],
  ['a non-breaking space after the secret', { CFLOGS_SHARED_SECRET: `${SECRET}\u00a0` }, /^CFLOGS_SHARED_SECRET: .* outside printable ASCII/],
  ['an emoji in the secret', { CFLOGS_SHARED_SECRET: `\u{1F511}${SECRET}` }, /^CFLOGS_SHARED_SECRET: .* outside printable ASCII/],
  ['a line break inside the secret', { CFLOGS_SHARED_SECRET: `${SECRET}\r\nx-other: 1` }, /^CFLOGS_SHARED_SECRET: .*control characters/],
  ['a bad header name', { CFLOGS_SHARED_SECRET: SECRET, CFLOGS_SECRET_HEADER: 'x panther' }, /not a valid HTTP header name/],
  ['a bad size', { CFLOGS_SHARED_SECRET: SECRET, CFLOGS_MAX_BODY_BYTES: '6MB' }, /CFLOGS_MAX_BODY_BYTES must be an integer/],
  ['a zero size', { CFLOGS_SHARED_SECRET: SECRET, CFLOGS_MAX_BODY_BYTES: '0' }, /CFLOGS_MAX_BODY_BYTES/],
  ['a bad cache age', { CFLOGS_SHARED_SECRET: SECRET, CFLOGS_SECRET_MAX_AGE_SECONDS: '-1' }, /CFLOGS_SECRET_MAX_AGE_SECONDS/],
  ['an unknown default dataset', { CFLOGS_SHARED_SECRET: SECRET, CFLOGS_DEFAULT_DATASET: 'pizza_orders' }, /unknown dataset "pizza_orders" \(known: .*http_requests/],
])('%s: ConfigError at load, never naming the secret', (_name, env, message) => {
  const e = configError(() => loadHttpConfig(env as NodeJS.ProcessEnv));
  expect(e.message).toMatch(message);
  expect(e.message).not.toContain(SECRET);
});

test('a secret a header cannot carry: refused from --secret at load and from SSM / Secrets Manager at fetch, naming where it came from, never the value', async () => {
  const bad = `${SECRET}-naïve`;
  for (const env of [{}, { CFLOGS_SHARED_SECRET: 'fine' }]) {
    const e = configError(() => loadHttpConfig(env, { secret: bad }));
    expect(e.message).toMatch(/^--secret: the shared secret contains characters outside printable ASCII/);
    expect(e.message).not.toContain(SECRET);
  }
  const fetchers: SecretFetchers = { getParameter: async () => bad, getSecret: async () => new TextEncoder().encode(bad) };
  for (const [env, where] of [
    [{ CFLOGS_SECRET_PARAMETER: '/cflogs/s' }, 'SSM parameter /cflogs/s'],
    [{ CFLOGS_SECRET_ID: 'cflogs/s' }, 'secret cflogs/s'],
  ] as const) {
    const err = await loadHttpConfig(env, { fetchers }).getSecret().catch((x: unknown) => x);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(new RegExp(`^${where}: the shared secret contains characters outside printable ASCII`));
    expect((err as Error).message).not.toContain(SECRET);
  }
});

test('printable ASCII with spaces inside is a usable secret; spaces, tabs and line breaks around it are dropped', async () => {
  const c = loadHttpConfig({ CFLOGS_SHARED_SECRET: `\t ${SECRET} with spaces!~\r\n` });
  expect(await c.getSecret()).toBe(`${SECRET} with spaces!~`);
  expect(await loadHttpConfig({}, { secret: ' !"#$%&()*+,-./:;<=>?@[\\]^_`{|}~ ' }).getSecret()).toBe('!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~');
});

describe('a secret in SSM or Secrets Manager', () => {
  test('fetched through the fetchers with decryption and a cache age; checked and trimmed', async () => {
    const calls: unknown[][] = [];
    const fetchers: SecretFetchers = {
      getParameter: async (...a) => (calls.push(['ssm', ...a]), `${SECRET}\n`),
      getSecret: async (...a) => (calls.push(['sm', ...a]), new TextEncoder().encode(SECRET)),
    };
    const ssm = loadHttpConfig({ CFLOGS_SECRET_PARAMETER: '/cflogs/secret', CFLOGS_SECRET_MAX_AGE_SECONDS: '60' }, { fetchers });
    expect(ssm.secretSource).toBe('ssm:/cflogs/secret');
    expect(await ssm.getSecret()).toBe(SECRET);
    const sm = loadHttpConfig({ CFLOGS_SECRET_ID: 'cflogs/secret' }, { fetchers });
    expect(sm.secretSource).toBe('secretsmanager:cflogs/secret');
    expect(await sm.getSecret()).toBe(SECRET);
    expect(calls).toEqual([
      ['ssm', '/cflogs/secret', { decrypt: true, maxAge: 60 }],
      ['sm', 'cflogs/secret', { maxAge: 300 }],
    ]);
  });

  test('without fetchers (the core alone) a stored secret is a ConfigError naming what is missing', async () => {
    await expect(loadHttpConfig({ CFLOGS_SECRET_PARAMETER: '/x' }).getSecret()).rejects.toThrow(/SSM parameter \/x: no SSM fetcher was given/);
    await expect(loadHttpConfig({ CFLOGS_SECRET_ID: 'x' }).getSecret()).rejects.toThrow(ConfigError);
  });

  test('a failed fetch or an unusable value is a ConfigError without the value', async () => {
    const failing = loadHttpConfig(
      { CFLOGS_SECRET_PARAMETER: '/nope' },
      { fetchers: { getParameter: async () => Promise.reject(new Error('ParameterNotFound')), getSecret: async () => undefined } },
    );
    await expect(failing.getSecret()).rejects.toThrow(/cannot read the shared secret from SSM parameter \/nope: ParameterNotFound/);
    const missing = loadHttpConfig({ CFLOGS_SECRET_ID: 'gone' }, { fetchers: { getParameter: async () => '', getSecret: async () => undefined } });
    await expect(missing.getSecret()).rejects.toThrow(ConfigError);
    const bad = loadHttpConfig({ CFLOGS_SECRET_ID: 'bad' }, { fetchers: { getParameter: async () => '', getSecret: async () => `${SECRET}\r\nx` } });
    const err = await bad.getSecret().catch((e: Error) => e);
    expect(String(err)).toMatch(/control characters/);
    expect(String(err)).not.toContain(SECRET);
  });

  test('SSM through Powertools: one GetParameter with decryption, then the cache', async () => {
    const ssm = mockClient(SSMClient);
    ssm.on(GetParameterCommand).resolves({ Parameter: { Name: '/cflogs/pt-ssm', Value: SECRET, Type: 'SecureString' } });
    try {
      const c = loadHttpConfig({ CFLOGS_SECRET_PARAMETER: '/cflogs/pt-ssm' }, { fetchers: powertoolsSecretFetchers });
      expect(await c.getSecret()).toBe(SECRET);
      expect(await c.getSecret()).toBe(SECRET);
      const calls = ssm.commandCalls(GetParameterCommand);
      expect(calls).toHaveLength(1);
      expect(calls[0]!.args[0].input).toEqual({ Name: '/cflogs/pt-ssm', WithDecryption: true });
    } finally {
      ssm.restore();
    }
  });

  test('Secrets Manager through Powertools: one GetSecretValue, then the cache', async () => {
    const sm = mockClient(SecretsManagerClient);
    sm.on(GetSecretValueCommand).resolves({ Name: 'cflogs/pt-sm', SecretString: SECRET });
    try {
      const c = loadHttpConfig({ CFLOGS_SECRET_ID: 'cflogs/pt-sm' }, { fetchers: powertoolsSecretFetchers });
      expect(await c.getSecret()).toBe(SECRET);
      expect(await c.getSecret()).toBe(SECRET);
      const calls = sm.commandCalls(GetSecretValueCommand);
      expect(calls).toHaveLength(1);
      expect(calls[0]!.args[0].input).toEqual({ SecretId: 'cflogs/pt-sm' });
    } finally {
      sm.restore();
    }
  });
});

describe('where the secret lives is checked at load, not at the first request', () => {
  test.each([
    ['CFLOGS_SECRET_ID', 'a space', 'my http secret'],
    ['CFLOGS_SECRET_ID', 'a #', 'cflogs/secret#1'],
    ['CFLOGS_SECRET_ID', '513 characters', 'x'.repeat(513)],
    ['CFLOGS_SECRET_ID', 'an ARN without secret:', 'arn:aws:secretsmanager:eu-west-1:123456789012:cflogs/http-AbCdEf'],
    ['CFLOGS_SECRET_ID', 'an SSM parameter ARN', 'arn:aws:ssm:eu-west-1:123456789012:parameter/cflogs/http'],
    ['CFLOGS_SECRET_PARAMETER', 'spaces', 'cflogs http secret'],
    ['CFLOGS_SECRET_PARAMETER', 'an @', '/cflogs/secret@prod'],
    ['CFLOGS_SECRET_PARAMETER', 'a Secrets Manager ARN', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:cflogs/http-AbCdEf'],
    ['CFLOGS_SECRET_PARAMETER', 'an ARN without parameter/', 'arn:aws:ssm:eu-west-1:123456789012:cflogs/http'],
  ])('%s that is neither a name nor an ARN of its service (%s) is a ConfigError naming the variable', (name, _why, value) => {
    const e = configError(() => loadHttpConfig({ [name]: value }));
    expect(e.message).toBe(`${name} is not ${name === 'CFLOGS_SECRET_ID' ? 'a Secrets Manager secret' : 'an SSM parameter'} name or ARN: ${JSON.stringify(value)}`);
  });

  test('names, versions or labels, and ARNs of every partition are accepted', () => {
    for (const id of ['cflogs/prod/http-secret', 'Cflogs_Secret+v2=a.b@c-d', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:cflogs/http-AbCdEf', 'arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:s']) {
      expect(loadHttpConfig({ CFLOGS_SECRET_ID: id }).secretSource).toBe(`secretsmanager:${id}`);
    }
    for (const p of ['/cflogs/shared-secret', 'cflogs_secret', '/cflogs/s:3', '/cflogs/s:prod-label', 'arn:aws:ssm:eu-west-1:123456789012:parameter/cflogs/s', 'arn:aws-us-gov:ssm:us-gov-west-1:123456789012:parameter/s']) {
      expect(loadHttpConfig({ CFLOGS_SECRET_PARAMETER: p }).secretSource).toBe(`ssm:${p}`);
    }
  });
});
