import { compileFilters } from '../../lib/filter/filters';
import { parseRoutesFile } from '../../lib/config';
import { ConfigError } from '../../lib/errors';
import { Router } from '../../lib/route/router';
import { builtInRegistry } from '../../lib/schema/registry';

const line = (s: string) => {
  const b = Buffer.from(`xx${s}yy`);
  return [b, 2, b.length - 2] as const;
};

/** Whether a normalised row is kept by a single filter. */
function keeps(filter: Record<string, unknown>, row: Record<string, unknown>): boolean {
  return compileFilters([{ name: 'f', ...filter }]).dropRow(row) === undefined;
}

const row = {
  ClientIP: '198.51.100.23',
  ClientRequestPath: '/health',
  EdgeResponseStatus: 503,
  EdgeStartTimestamp: '2026-11-01 10:00:00.500000000',
  SecurityActions: ['block', 'log'],
  RequestHeaders: { 'user-agent': 'kube-probe/1.29', 'x-forwarded-for': '10.0.0.1' },
  WorkerSubrequest: false,
};

describe('raw filters', () => {
  it('an exclude drops a line containing the text, looking only inside the line', () => {
    const f = compileFilters([{ name: 'health', exclude: { raw: { contains: '"/health"' } } }]);
    expect(f.dropRaw(...line('{"ClientRequestPath":"/health"}'))).toBe('health');
    expect(f.dropRaw(...line('{"ClientRequestPath":"/home"}'))).toBeUndefined();
    // The needle straddling the line's end is not inside the line.
    const b = Buffer.from('{"a":"/heal"}th"');
    expect(f.dropRaw(b, 0, 12)).toBeUndefined();
  });

  it('an include keeps only lines matching the regex', () => {
    const f = compileFilters([{ name: 'only-5xx', include: { raw: { regex: '"EdgeResponseStatus":5\\d\\d' } } }]);
    expect(f.dropRaw(...line('{"EdgeResponseStatus":503}'))).toBeUndefined();
    expect(f.dropRaw(...line('{"EdgeResponseStatus":200}'))).toBe('only-5xx');
  });

  it('matches multi-byte text on the undecoded bytes', () => {
    const f = compileFilters([{ name: 'u', exclude: { raw: { contains: 'é' } } }]);
    expect(f.dropRaw(...line('{"a":"café"}'))).toBe('u');
  });
});

describe('normalised filter operators', () => {
  it.each([
    [{ field: 'ClientRequestPath', equals: '/health' }, true],
    [{ field: 'ClientRequestPath', equals: '/' }, false],
    [{ field: 'EdgeResponseStatus', equals: 503 }, true],
    [{ field: 'EdgeResponseStatus', equals: '503' }, false],
    [{ field: 'WorkerSubrequest', equals: false }, true],
    [{ field: 'ClientRequestPath', not_equals: '/health' }, false],
    [{ field: 'EdgeResponseStatus', in: [500, 502, 503] }, true],
    [{ field: 'EdgeResponseStatus', not_in: [500, 502, 503] }, false],
    [{ field: 'ClientRequestPath', contains: 'eal' }, true],
    [{ field: 'SecurityActions', contains: 'block' }, true],
    [{ field: 'SecurityActions', contains: 'blo' }, false],
    [{ field: 'ClientRequestPath', starts_with: '/he' }, true],
    [{ field: 'ClientRequestPath', ends_with: 'lth' }, true],
    [{ field: 'ClientRequestPath', ends_with: '/he' }, false],
    [{ field: 'ClientRequestPath', regex: '^/(health|ready)$' }, true],
    [{ field: 'EdgeResponseStatus', gt: 500 }, true],
    [{ field: 'EdgeResponseStatus', gte: 503 }, true],
    [{ field: 'EdgeResponseStatus', lt: 503 }, false],
    [{ field: 'EdgeResponseStatus', lte: 503 }, true],
    [{ field: 'EdgeStartTimestamp', gt: '2026-11-01T10:00:00Z' }, true],
    [{ field: 'EdgeStartTimestamp', lt: 1762000000 }, false],
    [{ field: 'EdgeStartTimestamp', gte: '2026-11-01T10:00:00.5Z' }, true],
    [{ field: 'ClientIP', exists: true }, true],
    [{ field: 'OriginIP', exists: true }, false],
    [{ field: 'OriginIP', not_exists: true }, true],
    [{ field: 'ClientIP', cidr: '198.51.100.0/24' }, true],
    [{ field: 'ClientIP', cidr: ['203.0.113.0/24', '2001:db8::/32'] }, false],
    [{ field: 'RequestHeaders.user-agent', starts_with: 'kube-probe/' }, true],
    [{ field: 'RequestHeaders.x-forwarded-for', cidr: '10.0.0.0/8' }, true],
    [{ field: 'RequestHeaders.missing.deeper', exists: true }, false],
    [{ all: [{ field: 'EdgeResponseStatus', gte: 500 }, { field: 'ClientRequestPath', equals: '/health' }] }, true],
    [{ all: [{ field: 'EdgeResponseStatus', gte: 500 }, { field: 'ClientRequestPath', equals: '/' }] }, false],
    [{ any: [{ field: 'EdgeResponseStatus', lt: 500 }, { field: 'ClientRequestPath', equals: '/health' }] }, true],
    [{ not: { field: 'ClientRequestPath', equals: '/health' } }, false],
  ])('%j matches: %s', (cond, matches) => {
    expect(keeps({ include: cond }, row)).toBe(matches);
    expect(keeps({ exclude: cond }, row)).toBe(!matches);
  });

  it('an IPv6 address is tested against IPv6 blocks only', () => {
    expect(keeps({ include: { field: 'ClientIP', cidr: '2001:db8::/32' } }, { ClientIP: '2001:db8::7' })).toBe(true);
    expect(keeps({ include: { field: 'ClientIP', cidr: '0.0.0.0/0' } }, { ClientIP: '2001:db8::7' })).toBe(false);
  });

  it('the first filter that drops a row is the one counted', () => {
    const f = compileFilters([
      { name: 'keep-errors', include: { field: 'EdgeResponseStatus', gte: 500 } },
      { name: 'drop-health', exclude: { field: 'ClientRequestPath', equals: '/health' } },
    ]);
    expect(f.dropRow({ EdgeResponseStatus: 200, ClientRequestPath: '/health' })).toBe('keep-errors');
    expect(f.dropRow({ EdgeResponseStatus: 503, ClientRequestPath: '/health' })).toBe('drop-health');
    expect(f.dropRow({ EdgeResponseStatus: 503, ClientRequestPath: '/' })).toBeUndefined();
  });
});

describe('filter configuration errors name the filter', () => {
  it.each([
    [[{ exclude: { raw: { contains: 'x' } } }], /filters\[0\]: name is required/],
    [[{ name: 'a', include: { raw: { contains: 'x' } }, exclude: { raw: { contains: 'y' } } }], /\(a\): give exactly one of include or exclude/],
    [[{ name: 'a', exclude: { raw: { contains: '' } } }], /\(a\): raw.contains must not be empty/],
    [[{ name: 'a', exclude: { raw: { grep: 'x' } } }], /\(a\): raw takes exactly one of contains or regex/],
    [[{ name: 'evil', exclude: { raw: { regex: '(a+)+$' } } }], /\(evil\): regex .* may backtrack catastrophically/],
    [[{ name: 'bad', exclude: { field: 'X', regex: '(' } }], /\(bad\): invalid regex/],
    [[{ name: 'op', exclude: { field: 'X', like: 'y' } }], /\(op\): unknown operator like/],
    [[{ name: 'two', exclude: { field: 'X', equals: 1, in: [1] } }], /\(two\): give exactly one operator/],
    [[{ name: 'cidr', exclude: { field: 'ClientIP', cidr: '10.0.0.0' } }], /\(cidr\): cidr takes CIDR blocks/],
    [[{ name: 'cidr6', exclude: { field: 'ClientIP', cidr: '10.0.0.0/33' } }], /\(cidr6\): cidr prefix too long/],
    [[{ name: 'gt', exclude: { field: 'X', gt: 'soon' } }], /\(gt\): gt takes a number or a timestamp/],
    [[{ name: 'in', exclude: { field: 'X', in: [] } }], /\(in\): in takes a non-empty list/],
    [[{ name: 'all', exclude: { all: [] } }], /\(all\): all takes a non-empty list/],
    [[{ name: 'd' , exclude: { field: 'X', exists: true } }, { name: 'd', exclude: { field: 'Y', exists: true } }], /\(d\): name is used twice/],
    [[{ name: 'k', exclude: { field: 'X', exists: true }, when: 1 }], /\(k\): unknown key when/],
  ])('%j', (spec, message) => {
    expect(() => compileFilters(spec)).toThrow(ConfigError);
    expect(() => compileFilters(spec)).toThrow(message);
  });

  it('a filter for an unknown log type fails at cold start', () => {
    const file = parseRoutesFile('filters:\n  - name: x\n    logType: Cloudflare.Nope\n    exclude: { field: A, exists: true }\n');
    expect(() => new Router([], builtInRegistry(), { filters: file.filters })).toThrow(/filter x: unknown log type Cloudflare.Nope/);
  });
});

describe('filters in the routes file', () => {
  const file = parseRoutesFile(`
filters:
  - name: drop-health
    logType: Cloudflare.HttpRequest
    exclude: { raw: { contains: '"ClientRequestPath":"/health"' } }
  - name: blocked-only
    logType: Cloudflare.Firewall
    include: { field: Action, in: [block, challenge] }
routes:
  - prefix: zone-a/
    logType: Cloudflare.HttpRequest
    filters:
      - name: drop-probes
        exclude: { field: ClientIP, cidr: 192.0.2.0/24 }
`);

  it('global filters apply to their log type, route filters after them', () => {
    const router = new Router(file.routes, builtInRegistry(), { filters: file.filters });
    expect(router.route('zone-a/x.log.gz')?.filters.filters.map((f) => f.name)).toEqual(['drop-health', 'drop-probes']);
    expect(router.route('logs/firewall_events/x.log.gz')?.filters.filters.map((f) => f.name)).toEqual(['blocked-only']);
    expect(router.route('logs/audit_logs/x.log.gz')?.filters.empty).toBe(true);
  });
});

describe('the README filter examples', () => {
  it('are valid configuration and do what the comments say', () => {
    const readme = require('node:fs').readFileSync(require('node:path').join(__dirname, '../../README.md'), 'utf8') as string;
    const section = readme.slice(readme.indexOf('## Ingestion filters'));
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    const file = parseRoutesFile(yaml, 'README');
    const router = new Router(file.routes, builtInRegistry(), { filters: file.filters });
    const http = router.route('cloudflare/http_requests/x.log.gz')?.filters;
    const fw = router.route('cloudflare/firewall_events/x.log.gz')?.filters;
    expect(http?.dropRaw(...line('{"ClientRequestPath":"/health","EdgeStartTimestamp":1}'))).toBe('drop-health-checks');
    expect(http?.dropRow({ ClientIP: '192.0.2.7', EdgeResponseStatus: 200 })).toBe('drop-monitoring-probes');
    expect(http?.dropRow({ ClientIP: '192.0.2.7', EdgeResponseStatus: 502 })).toBeUndefined();
    expect(fw?.dropRow({ Action: 'log' })).toBe('keep-blocked');
    expect(fw?.dropRow({ Action: 'block' })).toBeUndefined();
    expect(router.route('cloudflare/zone-a/x.log.gz')?.filters.dropRow({ RequestHeaders: { 'user-agent': 'kube-probe/1.30' } })).toBe('drop-kube-probes');
  });
});
