import { compileFilters, FilterSet } from '../../lib/filter/filters';
import { Columns, columnIndexOf, CONVERTED } from '../../lib/record/normalise';
import { LineParser } from '../../lib/record/parser';
import { parseRoutesFile } from '../../lib/config';
import { ConfigError } from '../../lib/errors';
import { Router } from '../../lib/route/router';
import { builtInRegistry } from '../../lib/record/registry';
import { generateLines } from '../../testkit/generate';

const line = (s: string) => {
  const b = Buffer.from(`xx${s}yy`);
  return [b, 2, b.length - 2] as const;
};

/** The row filters of `set` on a row given as an object: its keys are the columns, in order. */
function dropRow(set: FilterSet | undefined, row: Record<string, unknown>): string | undefined {
  const names = Object.keys(row);
  const cols = new Columns(names.length);
  names.forEach((name, i) => {
    cols.state[i] = CONVERTED;
    cols.values[i] = row[name];
  });
  const columnOf = (name: string) => (names.includes(name) ? names.indexOf(name) : undefined);
  return (set as FilterSet).bind(columnOf).dropRow(cols);
}

/** Whether a normalised row is kept by a single filter. */
function keeps(filter: Record<string, unknown>, row: Record<string, unknown>): boolean {
  return dropRow(compileFilters([{ name: 'f', ...filter }]), row) === undefined;
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
    expect(dropRow(f, { EdgeResponseStatus: 200, ClientRequestPath: '/health' })).toBe('keep-errors');
    expect(dropRow(f, { EdgeResponseStatus: 503, ClientRequestPath: '/health' })).toBe('drop-health');
    expect(dropRow(f, { EdgeResponseStatus: 503, ClientRequestPath: '/' })).toBeUndefined();
  });
});

describe('filter configuration errors name the filter', () => {
  it.each([
    [[{ exclude: { raw: { contains: 'x' } } }], /filters\[0\]: name is required/],
    [[{ name: 'a', include: { raw: { contains: 'x' } }, exclude: { raw: { contains: 'y' } } }], /\(a\): give exactly one of include or exclude/],
    [[{ name: 'a', exclude: { raw: { contains: '' } } }], /\(a\): raw.contains must not be empty/],
    [[{ name: 'a', exclude: { raw: { grep: 'x' } } }], /\(a\): raw takes exactly one of contains or regex/],
    [[{ name: 'bad', exclude: { field: 'X', regex: '(' } }], /\(bad\): regex "\(" is refused: .*missing closing \).*RE2 syntax/],
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

describe('the filter examples of docs/filters.md', () => {
  it('are valid configuration and do what the comments say', () => {
    const readme = require('node:fs').readFileSync(require('node:path').join(__dirname, '../../docs/filters.md'), 'utf8') as string;
    const section = readme.slice(readme.indexOf('# Ingestion filters'));
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    const file = parseRoutesFile(yaml, 'docs/filters.md');
    const router = new Router(file.routes, builtInRegistry(), { filters: file.filters });
    const http = router.route('cloudflare/http_requests/x.log.gz')?.filters;
    const fw = router.route('cloudflare/firewall_events/x.log.gz')?.filters;
    expect(http?.dropRaw(...line('{"ClientRequestPath":"/health","EdgeStartTimestamp":1}'))).toBe('drop-health-checks');
    expect(dropRow(http, { ClientIP: '192.0.2.7', EdgeResponseStatus: 200 })).toBe('drop-monitoring-probes');
    expect(dropRow(http, { ClientIP: '192.0.2.7', EdgeResponseStatus: 502 })).toBeUndefined();
    expect(dropRow(fw, { Action: 'log' })).toBe('keep-blocked');
    expect(dropRow(fw, { Action: 'block' })).toBeUndefined();
    expect(dropRow(router.route('cloudflare/zone-a/x.log.gz')?.filters, { RequestHeaders: { 'user-agent': 'kube-probe/1.30' } })).toBe('drop-kube-probes');
  });
});

describe('filter regexes match in linear time (RE2 syntax)', () => {
  // Known catastrophic patterns on inputs a little beyond the usual demonstrations (40 characters instead of 28, a 34 KB User-Agent instead
  // of 17 KB: the old engine took 26 s on that one here), so that a backtracking engine hangs for minutes on each.
  const cases: [string, string, string][] = [
    ['^(a|a)*$', 'a'.repeat(40), '!'],
    ['bot.*bot.*spider', 'bot '.repeat(4096), 'spider'],
    ['^Mozilla/.*(Chrome|Safari).*Mobile.*Bot', `Mozilla/5.0 ${'Chrome Safari Mobile '.repeat(1640)}`, 'Bot'],
  ];

  it.each(cases)('%s on a hostile field value finishes, with the right answer (regex operator)', (pattern, hostile, tail) => {
    const f = compileFilters([{ name: 'ua', exclude: { field: 'ClientRequestUserAgent', regex: pattern } }]);
    const noMatch = pattern.startsWith('^(a|a)') ? hostile + tail : hostile;
    const match = pattern.startsWith('^(a|a)') ? hostile : hostile + tail;
    expect(noMatch.length).toBeGreaterThanOrEqual(pattern.startsWith('^(a|a)') ? 28 : 16 * 1024);
    expect(dropRow(f, { ClientRequestUserAgent: noMatch })).toBeUndefined();
    expect(dropRow(f, { ClientRequestUserAgent: match })).toBe('ua');
  });

  it.each(cases)('%s on a hostile line finishes, with the right answer (raw regex)', (pattern, hostile, tail) => {
    const f = compileFilters([{ name: 'raw', exclude: { raw: { regex: pattern } } }]);
    const noMatch = pattern.startsWith('^(a|a)') ? hostile + tail : hostile;
    const match = pattern.startsWith('^(a|a)') ? hostile : hostile + tail;
    expect(f.dropRaw(...line(noMatch))).toBeUndefined();
    expect(f.dropRaw(...line(match))).toBe('raw');
  });

  it.each([
    ['(a)\\1', /backreferences .* not supported/],
    ['(?<n>a)\\k<n>', /backreferences .* not supported/],
    ['foo(?=bar)', /lookahead and lookbehind .* not supported/],
    ['(?<!x)bot', /lookahead and lookbehind .* not supported/],
  ])('%s is refused at start, naming the filter and the accepted syntax', (pattern, why) => {
    for (const cond of [{ raw: { regex: pattern } }, { field: 'ClientRequestUserAgent', regex: pattern }]) {
      const e = (() => {
        try {
          compileFilters([{ name: 'perlish', exclude: cond }]);
        } catch (err) {
          return err as Error;
        }
        throw new Error('expected a ConfigError');
      })();
      expect(e).toBeInstanceOf(ConfigError);
      expect(e.message).toMatch(/^filters\[0\] \(perlish\): regex /);
      expect(e.message).toMatch(why);
      expect(e.message).toContain('RE2 syntax (https://github.com/google/re2/wiki/Syntax)');
    }
  });

  it('a raw regex reads only the line, as UTF-8 text, with or without the literals it needs', () => {
    const f = (regex: string) => compileFilters([{ name: 'r', include: { raw: { regex } } }]);
    // Literals RE2 requires ("ClientRequestPath":"/ and health" or ready") are searched before the engine runs.
    const paths = f('"ClientRequestPath":"/(health|ready)"');
    expect(paths.dropRaw(...line('{"ClientRequestPath":"/ready"}'))).toBeUndefined();
    expect(paths.dropRaw(...line('{"ClientRequestPath":"/ping","x":"ready\\""}'))).toBe('r');
    const b = Buffer.from('{"ClientRequestPath":"/he|alth"}');
    expect(paths.dropRaw(b, 0, 24)).toBe('r');
    expect(f('health').dropRaw(Buffer.from('{"a":1}health'), 0, 7)).toBe('r');
    // Multi-byte characters are one character to `.`; case folding has no literal to search.
    expect(f('caf.$').dropRaw(...line('café'))).toBeUndefined();
    expect(f('(?i)CAFÉ').dropRaw(...line('{"a":"café"}'))).toBeUndefined();
    expect(f('^\\{"a":\\d+\\}$').dropRaw(...line('{"a":12}'))).toBeUndefined();
  });

  it('a raw regex with a literal prefix finds a match at any occurrence of it, however many come first', () => {
    const f = compileFilters([{ name: 'r', include: { raw: { regex: '"a":"(x|y)"$' } } }]);
    expect(f.dropRaw(...line('{"a":"z","b":{"a":"y"}'))).toBe('r');
    expect(f.dropRaw(...line('{"a":"z","b":{"a":"y"'))).toBeUndefined();
    // Past the anchored tries at the first occurrences, one search over the rest decides.
    const many = '{"a":"z",'.repeat(20);
    expect(f.dropRaw(...line(`${many}"a":"x"`))).toBeUndefined();
    expect(f.dropRaw(...line(`${many}"a":"w"`))).toBe('r');
    // Many occurrences of the prefix, every other literal present, no match: still quick, still no.
    const bots = compileFilters([{ name: 'bots', exclude: { raw: { regex: 'bot.*bot.*spider' } } }]);
    expect(bots.dropRaw(...line(`spider ${'bot '.repeat(4096)}`))).toBeUndefined();
    expect(bots.dropRaw(...line(`bot bot ${'x'.repeat(4096)} spider`))).toBe('bots');
  });

  it('a raw regex decides every generated Logpush line as JavaScript\'s RegExp does, for patterns both accept', () => {
    const lines = [...generateLines({ dataset: 'http_requests', lines: 300, seed: 11 })];
    const patterns = [
      '"EdgeResponseStatus":5\\d\\d',
      '"ClientRequestPath":"/(api|static)/',
      '"ClientCountry":"(us|ca|de)"',
      '"ClientRequestMethod":"(POST|PUT)".*"EdgeResponseStatus":4',
      'Mozilla/.*(Chrome|Safari).*Mobile',
      '"ClientIP":"(1[0-9]{2}|2[0-9]{2})\\.',
      '(?i)"ClientRequestUserAgent":"[^"]*(bot|spider|crawler)',
      '"CacheCacheStatus":"(hit|miss)"',
      '^\\{"RayID":"[0-9a-f]{15}[0-7]"',
      '"WAFAttackScore":[6-7][0-9],',
    ];
    let mixed = 0;
    for (const pattern of patterns) {
      const f = compileFilters([{ name: 'p', include: { raw: { regex: pattern } } }]);
      const js = new RegExp(pattern.replace('(?i)', ''), pattern.startsWith('(?i)') ? 'i' : '');
      const hits = lines.filter((l) => js.test(l)).length;
      if (hits > 0 && hits < lines.length) mixed++;
      for (const l of lines) expect([pattern, f.dropRaw(...line(l)) === undefined]).toEqual([pattern, js.test(l)]);
    }
    // The comparison means something: most patterns match some lines and miss others.
    expect(mixed).toBeGreaterThanOrEqual(7);
  });
});

describe('filters are checked against the schema of each log type they apply to, when the router is built', () => {
  const registry = builtInRegistry();
  /** The ConfigError building a router over this routes file throws, or undefined when it builds. */
  function routerError(yaml: string): ConfigError | undefined {
    const file = parseRoutesFile(yaml);
    try {
      new Router(file.routes, registry, { filters: file.filters });
    } catch (e) {
      if (e instanceof ConfigError) return e;
      throw e;
    }
    return undefined;
  }
  const global = (cond: string, logType = 'Cloudflare.HttpRequest') =>
    `filters:\n  - name: f\n    logType: ${logType}\n    exclude: ${cond}\n`;

  it('a field that is not a column (the issue\'s ClientIp typo) names the filter, the field and the log type', () => {
    const e = routerError(global('{ field: ClientIp, cidr: 192.0.2.0/24 }'));
    expect(e?.message).toBe('routes: filters[0] (f): field ClientIp: ClientIp is not a column of Cloudflare.HttpRequest (did you mean ClientIP?)');
  });

  it('equals "200" on the smallint EdgeResponseStatus is refused; equals 200 is fine', () => {
    const e = routerError(global('{ field: EdgeResponseStatus, equals: "200" }'));
    expect(e?.message).toMatch(/^routes: filters\[0\] \(f\): equals "200" never holds on EdgeResponseStatus, a smallint column of Cloudflare\.HttpRequest: .*write 200 without quotes/);
    expect(routerError(global('{ field: EdgeResponseStatus, equals: 200 }'))).toBeUndefined();
  });

  it('a global filter without logType is checked against every log type, and the message says to add one', () => {
    const e = routerError('filters:\n  - name: probes\n    exclude: { field: ClientIP, cidr: 192.0.2.0/24 }\n');
    expect(e?.message).toMatch(/\(probes\): field ClientIP: ClientIP is not a column of Cloudflare\.\w+ .*no logType.*add logType/);
    // Raw filters test bytes, not columns: nothing to check.
    expect(routerError('filters:\n  - name: raw\n    exclude: { raw: { contains: x } }\n')).toBeUndefined();
  });

  it('a route filter is checked against the route\'s log type, and nested conditions are checked too', () => {
    const e = routerError(
      'routes:\n  - prefix: fw/\n    logType: Cloudflare.Firewall\n    filters:\n' +
        '      - name: deep\n        exclude: { not: { any: [{ field: Action, equals: block }, { field: BotScore, lt: 30 }] } }\n',
    );
    expect(e?.message).toMatch(/^routes: routes\[0\]\.filters\[0\] \(deep\): field BotScore: BotScore is not a column of Cloudflare\.Firewall$/);
  });

  it.each([
    ['{ field: ClientIP.v4, exists: true }', /field ClientIP\.v4: only json columns have keys inside, and ClientIP, a string column/],
    ['{ field: EdgeResponseStatus, equals: 70000 }', /integers from -32768 to 32767/],
    ['{ field: BotScore, equals: 9007199254740993 }', /BotScore, a bigint column .*integers from -9007199254740991 to 9007199254740991/],
    ['{ field: EdgeResponseStatus, in: [500, "502"] }', /in \[500,"502"\] never holds .*write 502 without quotes/],
    ['{ field: ClientIP, equals: 7 }', /the column holds strings: write "7"/],
    ['{ field: WorkerSubrequest, equals: "false" }', /WorkerSubrequest, a boolean column .*true or false/],
    ['{ field: EdgeStartTimestamp, equals: "2026-11-01T10:00:00Z" }', /rows hold timestamps as "2026-11-01 10:00:00\.000000000"/],
    ['{ field: SecurityActions, equals: block }', /SecurityActions, an array<string> column .*use contains/],
    ['{ field: EdgeResponseStatus, gt: "499" }', /compare it with a number \(no quotes\)/],
    ['{ field: EdgeStartTimestamp, lt: 1762000000 }', /compare it with a timestamp string/],
    ['{ field: ClientRequestPath, gte: 5 }', /gte takes a number or timestamp column/],
    ['{ field: EdgeResponseStatus, contains: "5" }', /contains takes a string or string-array column/],
    ['{ field: EdgeResponseStatus, regex: "^5" }', /regex takes a string column/],
    ['{ field: EdgeResponseStatus, starts_with: "5" }', /starts_with takes a string column/],
    ['{ field: EdgeStartTimestamp, cidr: 10.0.0.0/8 }', /cidr takes a string column/],
  ])('%s is refused', (cond, message) => {
    const e = routerError(global(cond));
    expect(e?.message).toMatch(/^routes: filters\[0\] \(f\): /);
    expect(e?.message).toMatch(message);
  });

  // Every condition the check accepts, on a line normalised the way the pipeline does it: each holds, so the check
  // refuses only what could never hold.
  const realLine = JSON.stringify({
    RayID: '9a0000000000001',
    EdgeStartTimestamp: 1762000000500000000,
    ClientIP: '198.51.100.23',
    ClientRequestPath: '/health',
    ClientRequestUserAgent: 'kube-probe/1.29',
    EdgeResponseStatus: 503,
    BotScore: 9007199254740991,
    WorkerSubrequest: false,
    SecurityActions: ['block', 'log'],
    RequestHeaders: { 'user-agent': 'kube-probe/1.29', 'x-forwarded-for': '10.0.0.1', n: 7 },
  });
  it.each([
    '{ field: EdgeResponseStatus, equals: 503 }',
    '{ field: EdgeResponseStatus, in: [500, 503] }',
    '{ field: EdgeResponseStatus, not_equals: 200 }',
    '{ field: BotScore, equals: 9007199254740991 }',
    '{ field: ClientIP, equals: 198.51.100.23 }',
    '{ field: WorkerSubrequest, equals: false }',
    '{ field: EdgeStartTimestamp, equals: "2025-11-01 12:26:40.500000000" }',
    '{ field: EdgeStartTimestamp, gte: "2025-11-01T12:26:40.5Z" }',
    '{ field: EdgeStartTimestamp, starts_with: "2025-11-01 12:" }',
    '{ field: EdgeResponseStatus, gt: 499.5 }',
    '{ field: SecurityActions, contains: block }',
    '{ field: ClientRequestPath, contains: eal }',
    '{ field: ClientRequestUserAgent, regex: "^kube-probe/\\\\d" }',
    '{ field: ClientIP, cidr: 198.51.100.0/24 }',
    '{ field: RequestHeaders.user-agent, starts_with: kube-probe/ }',
    '{ field: RequestHeaders.x-forwarded-for, cidr: 10.0.0.0/8 }',
    '{ field: RequestHeaders.n, gt: 6 }',
    '{ field: RequestHeaders, exists: true }',
    '{ field: OriginIP, not_exists: true }',
  ])('%s is accepted, and holds on a row as the pipeline normalises it', (cond) => {
    expect(routerError(global(cond))).toBeUndefined();
    const file = parseRoutesFile(global(cond));
    const router = new Router([], registry, { filters: file.filters });
    const route = router.byName('Cloudflare.HttpRequest');
    // The pipeline's path: the parser fills its columns and the filters, bound to them, read them.
    const parser = new LineParser(route!.entry);
    expect(parser.parse(realLine)).toBeUndefined();
    expect(route!.filters.bind(columnIndexOf(route!.entry.plan)).dropRow(parser.cols)).toBe('f');
  });
});
