import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig, parseRoutes, scanThreadOf, TWO_VCPU_MEMORY_MB } from '../../lib/config';
import { ConfigError } from '../../lib/errors';
import { DEFAULT_LIMITS } from '../../lib/pipeline/process';
import { Router } from '../../lib/route/router';
import { builtInRegistry } from '../../lib/record/registry';

const registry = builtInRegistry();

/** The ConfigError `fn` throws; fails when it throws nothing or something else. */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('Router: dataset path segments', () => {
  const router = new Router([], registry);

  test.each([
    ['logs/http_requests/20221115/20221115T000000Z_20221115T000030Z_9af500e2.log.gz', 'Cloudflare.HttpRequest'],
    ['firewall_events/20221115/x.log.gz', 'Cloudflare.Firewall'],
    ['a/b/spectrum_events/x.log.gz', 'Cloudflare.Spectrum'],
    ['account/audit_logs/2026/01/x.log.gz', 'Cloudflare.Audit'],
  ])('%s routes to %s', (key, logType) => {
    const m = router.route(key);
    expect(m?.entry.schema.logType).toBe(logType);
    expect(m?.via).toMatch(/^dataset /);
  });

  test('the dataset must be a whole path segment, and the file name does not count', () => {
    expect(router.route('logs/http_requests_old/x.log.gz')).toBeUndefined();
    expect(router.route('logs/my-http_requests/x.log.gz')).toBeUndefined();
    expect(router.route('logs/http_requests')).toBeUndefined();
    expect(router.route('http_requests')).toBeUndefined();
    expect(router.route('unrelated/x.log.gz')).toBeUndefined();
  });

  test('the first dataset segment in the key decides', () => {
    expect(router.route('firewall_events/http_requests/x.gz')?.entry.schema.logType).toBe('Cloudflare.Firewall');
  });
});

describe('Router: configured prefixes', () => {
  test('the longest configured prefix wins, whatever the order in the file', () => {
    const router = new Router(
      [
        { prefix: 'zone/', logType: 'Cloudflare.HttpRequest' },
        { prefix: 'zone/fw/', logType: 'Cloudflare.Firewall', sourceId: 'fw-src' },
        { prefix: 'zone/fw/spectrum/', logType: 'Cloudflare.Spectrum' },
      ],
      registry,
    );
    expect(router.route('zone/fw/spectrum/x.gz')?.entry.schema.logType).toBe('Cloudflare.Spectrum');
    const fw = router.route('zone/fw/x.gz');
    expect(fw?.entry.schema.logType).toBe('Cloudflare.Firewall');
    expect(fw?.via).toBe('prefix zone/fw/');
    expect(fw?.sourceId).toBe('fw-src');
    expect(router.route('zone/other/x.gz')?.entry.schema.logType).toBe('Cloudflare.HttpRequest');
  });

  test('a configured prefix beats a dataset segment in the key', () => {
    const router = new Router([{ prefix: 'odd/', logType: 'Cloudflare.Audit' }], registry);
    expect(router.route('odd/http_requests/x.gz')?.entry.schema.logType).toBe('Cloudflare.Audit');
    expect(router.route('plain/http_requests/x.gz')?.entry.schema.logType).toBe('Cloudflare.HttpRequest');
  });

  test('route source id/label override the defaults, which fill in otherwise', () => {
    const router = new Router(
      [{ prefix: 'a/', logType: 'Cloudflare.Audit', sourceLabel: 'audit label' }],
      registry,
      { sourceId: 'default-id', sourceLabel: 'default label' },
    );
    expect(router.route('a/x.gz')).toMatchObject({ sourceId: 'default-id', sourceLabel: 'audit label' });
    const byDataset = router.route('b/http_requests/x.gz');
    expect(byDataset).toMatchObject({ sourceId: 'default-id', sourceLabel: 'default label' });
  });

  test('no source id or label keys when none is configured', () => {
    const m = new Router([], registry).route('http_requests/x/y.gz');
    expect(m).toBeDefined();
    expect(m).not.toHaveProperty('sourceId');
    expect(m).not.toHaveProperty('sourceLabel');
  });

  test('an unknown log type in a route is a ConfigError naming it', () => {
    const e = configError(() => new Router([{ prefix: 'x/', logType: 'Cloudflare.Nope' }], registry));
    expect(e.message).toMatch(/Cloudflare\.Nope/);
    expect(e.message).toMatch(/"x\/"/);
  });
});

describe('Router.byName', () => {
  const router = new Router([], registry, { sourceLabel: 'L' });

  test('finds a log type by its name or its Logpush dataset', () => {
    expect(router.byName('Cloudflare.Firewall')?.entry.schema.logType).toBe('Cloudflare.Firewall');
    expect(router.byName('audit_logs')?.entry.schema.logType).toBe('Cloudflare.Audit');
    expect(router.byName('spectrum_events')).toMatchObject({ sourceLabel: 'L', via: 'name spectrum_events' });
  });

  test('anything else is undefined', () => {
    expect(router.byName('pizza_orders')).toBeUndefined();
    expect(router.byName('cloudflare.firewall')).toBeUndefined();
  });
});

describe('loadConfig', () => {
  test('defaults with an empty environment', () => {
    const c = loadConfig({});
    // toMatchObject: the config grows new settings; these are the ones with defaults here.
    expect(c).toMatchObject({
      outputBucket: undefined,
      outputPrefix: '',
      routes: [],
      limits: DEFAULT_LIMITS,
      codec: { compression: 'zstd', level: 3, extension: '.json.zst' },
      format: 'parquet',
      maxOpenFiles: 4,
    });
    expect(c.outputBucket).toBeUndefined();
    expect(c).not.toHaveProperty('sourceId');
    expect(c).not.toHaveProperty('sourceLabel');
    expect(c.limits).toEqual({ maxLineBytes: 1048576, maxDecompressedBytes: 68719476736 });
  });

  test('every variable is read, trimmed where it is free text', () => {
    const c = loadConfig({
      CFLOGS_OUTPUT_BUCKET: 'my-lake-bucket',
      CFLOGS_OUTPUT_PREFIX: 'cf/',
      CFLOGS_MAX_LINE_BYTES: '2048',
      CFLOGS_MAX_DECOMPRESSED_BYTES: '1000000',
      CFLOGS_OUTPUT_COMPRESSION: ' GZIP ',
      CFLOGS_OUTPUT_COMPRESSION_LEVEL: '9',
      CFLOGS_OUTPUT_FORMAT: 'ndjson',
      CFLOGS_MAX_OPEN_FILES: '32',
      CFLOGS_SOURCE_ID: ' src-1 ',
      CFLOGS_SOURCE_LABEL: 'Prod',
      CFLOGS_ROUTES: 'routes:\n  - prefix: a/\n    logType: Cloudflare.Audit\n',
    });
    expect(c).toMatchObject({
      outputBucket: 'my-lake-bucket',
      outputPrefix: 'cf/',
      routes: [{ prefix: 'a/', logType: 'Cloudflare.Audit' }],
      limits: { maxLineBytes: 2048, maxDecompressedBytes: 1000000 },
      codec: { compression: 'gzip', level: 9, extension: '.json.gz' },
      format: 'ndjson',
      maxOpenFiles: 32,
      sourceId: 'src-1',
      sourceLabel: 'Prod',
    });
  });

  test('blank optional variables count as unset', () => {
    const c = loadConfig({ CFLOGS_SOURCE_ID: '  ', CFLOGS_OUTPUT_BUCKET: '', CFLOGS_OUTPUT_COMPRESSION: ' ', CFLOGS_OUTPUT_COMPRESSION_LEVEL: '', CFLOGS_GZIP_LEVEL: '' });
    expect(c).not.toHaveProperty('sourceId');
    expect(c.outputBucket).toBeUndefined();
    expect(c.codec).toMatchObject({ compression: 'zstd', level: 3 });
  });

  test.each([
    [{ CFLOGS_OUTPUT_COMPRESSION: 'brotli' }, 'CFLOGS_OUTPUT_COMPRESSION must be one of zstd, gzip, got "brotli"'],
    [{ CFLOGS_OUTPUT_COMPRESSION_LEVEL: '22' }, 'CFLOGS_OUTPUT_COMPRESSION_LEVEL must be an integer from 1 to 19, got "22"'],
    [{ CFLOGS_OUTPUT_COMPRESSION: 'gzip', CFLOGS_OUTPUT_COMPRESSION_LEVEL: '12' }, 'CFLOGS_OUTPUT_COMPRESSION_LEVEL must be an integer from 0 to 9, got "12"'],
    [{ CFLOGS_GZIP_LEVEL: '6' }, 'CFLOGS_GZIP_LEVEL is no longer read: set CFLOGS_OUTPUT_COMPRESSION=gzip and CFLOGS_OUTPUT_COMPRESSION_LEVEL instead'],
    [{ CFLOGS_OUTPUT_FORMAT: 'orc' }, 'CFLOGS_OUTPUT_FORMAT must be one of ndjson, parquet, got "orc"'],
  ])('a bad output compression or format setting fails at start, naming the variable: %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(new ConfigError(message));
  });

  test('the lake format is Parquet unless CFLOGS_OUTPUT_FORMAT says ndjson (any case)', () => {
    expect(loadConfig({}).format).toBe('parquet');
    expect(loadConfig({ CFLOGS_OUTPUT_FORMAT: ' ' }).format).toBe('parquet');
    expect(loadConfig({ CFLOGS_OUTPUT_FORMAT: 'NDJSON' }).format).toBe('ndjson');
    expect(loadConfig({ CFLOGS_OUTPUT_FORMAT: 'Parquet' }).format).toBe('parquet');
  });

  test('a blank CFLOGS_ROUTES counts as unset: no routes', () => {
    expect(loadConfig({ CFLOGS_ROUTES: '' }).routes).toEqual([]);
  });

  test.each([
    ['CFLOGS_MAX_LINE_BYTES', 'abc'],
    ['CFLOGS_MAX_LINE_BYTES', '100'],
    ['CFLOGS_MAX_LINE_BYTES', '2048.5'],
    ['CFLOGS_MAX_LINE_BYTES', String(512 * 1024 * 1024)],
    ['CFLOGS_MAX_DECOMPRESSED_BYTES', '0'],
    ['CFLOGS_GZIP_LEVEL', '10'],
    ['CFLOGS_GZIP_LEVEL', '-1'],
    ['CFLOGS_MAX_OPEN_FILES', '1'],
    ['CFLOGS_OUTPUT_PREFIX', 'no-slash'],
    ['CFLOGS_OUTPUT_BUCKET', 'Not_A_Bucket'],
  ])('%s=%j is a ConfigError naming the variable', (name, value) => {
    const e = configError(() => loadConfig({ [name]: value }));
    expect(e.message).toContain(name);
  });

  test('routes can come from a file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cflogs-routes-'));
    const file = path.join(dir, 'routes.json');
    writeFileSync(file, JSON.stringify({ routes: [{ prefix: 'fw/', logType: 'Cloudflare.Firewall', sourceId: 'x' }] }));
    expect(loadConfig({ CFLOGS_ROUTES_FILE: file }).routes).toEqual([{ prefix: 'fw/', logType: 'Cloudflare.Firewall', sourceId: 'x' }]);
  });

  test('an unreadable routes file is a ConfigError naming the variable', () => {
    const e = configError(() => loadConfig({ CFLOGS_ROUTES_FILE: '/nonexistent/cflogs/routes.yml' }));
    expect(e.message).toContain('CFLOGS_ROUTES_FILE');
  });

  test('CFLOGS_ROUTES and CFLOGS_ROUTES_FILE both set is a ConfigError naming both', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cflogs-routes-'));
    const file = path.join(dir, 'routes.json');
    writeFileSync(file, JSON.stringify({ routes: [{ prefix: 'fw/', logType: 'Cloudflare.Firewall' }] }));
    const e = configError(() => loadConfig({ CFLOGS_ROUTES: '{"routes":[]}', CFLOGS_ROUTES_FILE: file }));
    expect(e.message).toMatch(/CFLOGS_ROUTES and CFLOGS_ROUTES_FILE are both set/);
  });

  test('a prefix routed twice is a ConfigError naming both routes', () => {
    const routes = 'routes:\n  - prefix: zone/\n    logType: Cloudflare.HttpRequest\n  - prefix: zone/\n    logType: Cloudflare.Firewall\n';
    const e = configError(() => loadConfig({ CFLOGS_ROUTES: routes }));
    expect(e.message).toBe('routes: routes[1]: prefix "zone/" is already routed by routes[0]');
  });

  test.each([
    [{ CFLOGS_SALVAGE_AFTER_RECEIVES: '5' }],
    [{ CFLOGS_SALVAGE_AFTER_RECEIVES: '6' }],
    [{ CFLOGS_SALVAGE_AFTER_RECEIVES: '3', CFLOGS_MAX_RECEIVE_COUNT: '3' }],
  ])('CFLOGS_SALVAGE_AFTER_RECEIVES at or above the queue\'s maxReceiveCount (default 5) is a ConfigError: %j', (env) => {
    const e = configError(() => loadConfig(env));
    expect(e.message).toMatch(/^CFLOGS_SALVAGE_AFTER_RECEIVES=\d+ must be below the queue's maxReceiveCount \(CFLOGS_MAX_RECEIVE_COUNT=\d+\)/);
  });

  test('salvage below the queue\'s maxReceiveCount, or never (0), is accepted', () => {
    expect(loadConfig({}).salvageAfterReceives).toBe(3);
    expect(loadConfig({ CFLOGS_SALVAGE_AFTER_RECEIVES: '4' }).salvageAfterReceives).toBe(4);
    expect(loadConfig({ CFLOGS_SALVAGE_AFTER_RECEIVES: '0', CFLOGS_MAX_RECEIVE_COUNT: '1' }).salvageAfterReceives).toBe(0);
    expect(loadConfig({ CFLOGS_SALVAGE_AFTER_RECEIVES: '9', CFLOGS_MAX_RECEIVE_COUNT: '10' }).salvageAfterReceives).toBe(9);
  });

  test.each(['../../', '../', './', 'a/../', 'a/./b/', 'a//', '//', '/', '/cf/'])(
    'CFLOGS_OUTPUT_PREFIX=%j (a leading /, an empty, . or .. segment) is a ConfigError',
    (prefix) => {
      const e = configError(() => loadConfig({ CFLOGS_OUTPUT_PREFIX: prefix }));
      expect(e.message).toMatch(/^CFLOGS_OUTPUT_PREFIX must be key segments each ending in '\/'/);
    },
  );

  test('a CFLOGS_OUTPUT_PREFIX too long to leave room for the layout under S3\'s 1024-byte keys is a ConfigError', () => {
    const long = `${'a'.repeat(200)}/`.repeat(3); // 603 bytes
    const e = configError(() => loadConfig({ CFLOGS_OUTPUT_PREFIX: long }));
    expect(e.message).toBe(
      'CFLOGS_OUTPUT_PREFIX is 603 bytes (UTF-8): S3 keys are at most 1024 bytes, and the lake layout needs up to 512 after the prefix; keep it to 512',
    );
    const multibyte = `${'é'.repeat(257)}/`; // 515 bytes in 258 characters
    expect(configError(() => loadConfig({ CFLOGS_OUTPUT_PREFIX: multibyte })).message).toMatch(/^CFLOGS_OUTPUT_PREFIX is 515 bytes/);
    const most = `${'a'.repeat(255)}/${'b'.repeat(255)}/`; // 512 bytes
    expect(loadConfig({ CFLOGS_OUTPUT_PREFIX: most }).outputPrefix).toBe(most);
  });

  test('CFLOGS_OUTPUT_PREFIX of ordinary segments is accepted', () => {
    for (const prefix of ['', 'cf/', 'cloudflare/lake-1/v2/', 'a..b/.hidden/']) expect(loadConfig({ CFLOGS_OUTPUT_PREFIX: prefix }).outputPrefix).toBe(prefix);
  });
});

describe('parseRoutes', () => {
  test('YAML and JSON both work', () => {
    const yaml = 'routes:\n  - prefix: zone/\n    logType: Cloudflare.HttpRequest\n    sourceLabel: Zone\n';
    expect(parseRoutes(yaml)).toEqual([{ prefix: 'zone/', logType: 'Cloudflare.HttpRequest', sourceLabel: 'Zone' }]);
    expect(parseRoutes('{"routes":[{"prefix":"","logType":"Cloudflare.Audit"}]}')).toEqual([{ prefix: '', logType: 'Cloudflare.Audit' }]);
  });

  test.each([
    ['routes: [', /not valid YAML/],
    ['', /^routes: /],
    ['routes: {}', /^routes: /],
    ['- prefix: a/\n  logType: Cloudflare.Audit', /^routes: /],
    ['routes: [3]', /routes\[0\]: expected a mapping/],
    ['routes: [{prefix: a/, logType: X, colour: red}]', /routes\[0\]: unknown key colour/],
    ['routes: [{logType: X}]', /routes\[0\]: prefix must be a string/],
    ['routes: [{prefix: a/}]', /routes\[0\]: logType is required/],
    ['routes: [{prefix: a/, logType: ""}]', /routes\[0\]: logType is required/],
    ['routes: [{prefix: a/, logType: X}, {prefix: b/, logType: X, sourceId: 5}]', /routes\[1\]: sourceId must be a string/],
  ])('%j is refused: %s', (text, message) => {
    expect(configError(() => parseRoutes(text)).message).toMatch(message);
  });
});

describe('scanThreadOf: CFLOGS_SCAN_THREAD', () => {
  test('auto: for Parquet where a second CPU is there; in Lambda from 3,538 MB', () => {
    expect(scanThreadOf({}, 2, 'parquet')).toBe('auto');
    expect(scanThreadOf({ CFLOGS_SCAN_THREAD: 'auto' }, 8, 'parquet')).toBe('auto');
    expect(scanThreadOf({}, 1, 'parquet')).toBe(false);
    // NDJSON: compression already keeps the second CPU busy.
    expect(scanThreadOf({}, 2, 'ndjson')).toBe(false);
    expect(scanThreadOf({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1769' }, 2, 'parquet')).toBe(false);
    expect(scanThreadOf({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(TWO_VCPU_MEMORY_MB) }, 2, 'parquet')).toBe('auto');
  });

  test('on and off whatever the CPUs and format; anything else is refused at start', () => {
    expect(scanThreadOf({ CFLOGS_SCAN_THREAD: 'on' }, 1, 'ndjson')).toBe('on');
    expect(scanThreadOf({ CFLOGS_SCAN_THREAD: 'off' }, 8, 'parquet')).toBe(false);
    expect(() => scanThreadOf({ CFLOGS_SCAN_THREAD: 'yes' }, 2, 'parquet')).toThrow(ConfigError);
    expect(() => loadConfig({ CFLOGS_SCAN_THREAD: '2' })).toThrow(/CFLOGS_SCAN_THREAD must be auto, on or off/);
  });
});
