import { parse } from 'yaml';
import { conditionText, evaluate, parseCondition } from '../../lib/sigma/condition';
import { compileCorrelation, compileSigmaRule, timespanMinutes } from '../../lib/sigma/compile';
import { compileSigmaDocuments } from '../../lib/sigma/load';
import { parseSigmaDocument, parseSigmaFile, SigmaCorrelation, SigmaRule } from '../../lib/sigma/parse';
import { SigmaRefusal } from '../../lib/sigma/refusal';
import type { RuleEvent } from '../../lib/rules/model';

const NAMES = ['a', 'b', 'c', 'sel_1', 'sel_2', 'filter_x', '_hidden'];

describe('condition grammar', () => {
  const text = (c: string) => conditionText(parseCondition(c, NAMES));
  const truth = (c: string, on: string[]) => evaluate(parseCondition(c, NAMES), (n) => on.includes(n));

  it('not binds tighter than and, and tighter than or', () => {
    expect(text('a or b and c')).toBe('(a or (b and c))');
    expect(text('not a and b')).toBe('(not a and b)');
    expect(text('a and not b or c')).toBe('((a and not b) or c)');
    expect(text('not (a or b)')).toBe('not (a or b)');
    expect(truth('a or b and c', ['a'])).toBe(true);
    expect(truth('(a or b) and c', ['a'])).toBe(false);
    expect(truth('not a and b', ['b'])).toBe(true);
    expect(truth('not a and b', ['a', 'b'])).toBe(false);
  });

  it('1 of / all of patterns and them (which leaves out names starting with _)', () => {
    expect(text('1 of sel_*')).toBe('1 of [sel_1, sel_2]');
    expect(text('all of sel*')).toBe('all of [sel_1, sel_2]');
    expect(text('1 of them')).toBe('1 of [a, b, c, sel_1, sel_2, filter_x]');
    expect(truth('all of sel_*', ['sel_1'])).toBe(false);
    expect(truth('all of sel_*', ['sel_1', 'sel_2'])).toBe(true);
    expect(truth('1 of sel_* and not 1 of filter_*', ['sel_2'])).toBe(true);
    expect(truth('1 of sel_* and not 1 of filter_*', ['sel_2', 'filter_x'])).toBe(false);
    expect(truth('all of them', NAMES.filter((n) => n !== '_hidden'))).toBe(true);
    expect(truth('2 of sel_*', ['sel_1'])).toBe(false);
    expect(text('a and (1 of sel_* or all of filter_*)')).toBe('(a and (1 of [sel_1, sel_2] or all of [filter_x]))');
  });

  it('keywords are case-insensitive (AND, Not, OF)', () => {
    expect(text('a AND NOT b OR 1 OF sel_*')).toBe('((a and not b) or 1 of [sel_1, sel_2])');
  });

  it('refuses with the reason', () => {
    const why = (c: string) => {
      try {
        parseCondition(c, NAMES);
        return 'compiled';
      } catch (e) {
        expect(e).toBeInstanceOf(SigmaRefusal);
        return (e as Error).message;
      }
    };
    expect(why('a and missing')).toMatch(/missing names no selection/);
    expect(why('1 of nothing_*')).toMatch(/nothing_\* names no selection/);
    expect(why('(a or b')).toMatch(/not closed/);
    expect(why('a b')).toMatch(/unexpected b/);
    expect(why('a and')).toMatch(/ends too early/);
    expect(why('a | count() > 5')).toMatch(/aggregations/);
    expect(why('some of a')).toMatch(/count must be a number or all/);
  });
});

const rule = (yaml: string, file = 'test.yml'): SigmaRule => parseSigmaDocument(parse(yaml), file) as SigmaRule;
const row = (fields: Record<string, unknown>, logType = 'Cloudflare.HttpRequest'): RuleEvent => ({ p_log_type: logType, p_row_id: 'r', p_event_time: '2026-11-01 10:00:00.000000000', ...fields }) as RuleEvent;

const WEB = `
title: Test Rule
id: 11111111-2222-3333-4444-555555555555
status: test
description: A test.
author: Jane Doe
references: [https://example.com/a, https://example.com/b]
tags: [attack.initial-access, attack.t1190]
logsource: { category: webserver }
detection:
  selection:
    cs-method: POST
    cs-uri-stem|endswith: '.jsp'
  keywords:
    - 'jndi:'
  filter:
    cs-user-agent|contains: healthcheck
  condition: (selection or keywords) and not filter
falsepositives: [Scanners]
level: high
`;

describe('compiling a rule', () => {
  const c = compileSigmaRule(rule(WEB));

  it('carries the metadata: id, title, severity, tags, reference, credit', () => {
    expect(c.rule).toMatchObject({
      id: 'Sigma.11111111-2222-3333-4444-555555555555',
      displayName: 'Test Rule',
      severity: 'High',
      tags: ['attack.initial-access', 'attack.t1190'],
      reference: 'https://example.com/a',
      threshold: 1,
      logTypes: ['Cloudflare.HttpRequest'],
      enabled: true,
    });
    expect(c.rule.description).toContain('by Jane Doe, licensed under the Detection Rule License (DRL) 1.1');
    expect(c.rule.description).toContain('False positives: Scanners.');
    const hit = row({ ClientIP: '1.2.3.4', ClientRequestMethod: 'POST', ClientRequestPath: '/x/a.JSP', ClientRequestURI: '/x/a.JSP?q=1' });
    expect(c.rule.alertContext?.(hit)).toMatchObject({ sigma: { id: c.meta.id, author: 'Jane Doe', license: expect.stringContaining('DRL') }, client: '1.2.3.4' });
    expect(c.rule.dedup?.(hit)).toBe('1.2.3.4');
    expect(c.rule.title?.(hit)).toBe('Test Rule from 1.2.3.4');
  });

  it('matches through the field mapping and the condition', () => {
    const r = c.rule.rule;
    expect(r(row({ ClientRequestMethod: 'post', ClientRequestPath: '/a.jsp', ClientRequestURI: '/a.jsp' }))).toBe(true);
    expect(r(row({ ClientRequestMethod: 'GET', ClientRequestPath: '/a.jsp', ClientRequestURI: '/a.jsp' }))).toBe(false);
    // The stem is split from the URI when the path column is absent.
    expect(r(row({ ClientRequestMethod: 'POST', ClientRequestURI: '/a.jsp?x=1' }))).toBe(true);
    // Keywords: anywhere in the request line's text columns.
    expect(r(row({ ClientRequestMethod: 'GET', ClientRequestURI: '/', ClientRequestUserAgent: '${JNDI:ldap://x}' }))).toBe(true);
    // The filter.
    expect(r(row({ ClientRequestMethod: 'POST', ClientRequestURI: '/a.jsp', ClientRequestUserAgent: 'HealthCheck/1' }))).toBe(false);
    // Another log type's row never matches.
    expect(r(row({ ClientRequestMethod: 'POST', ClientRequestURI: '/a.jsp' }, 'Cloudflare.Firewall'))).toBe(false);
  });

  it('maps levels onto severities', () => {
    for (const [level, sev] of [['informational', 'Info'], ['low', 'Low'], ['medium', 'Medium'], ['high', 'High'], ['critical', 'Critical']]) {
      expect(compileSigmaRule(rule(WEB.replace('level: high', `level: ${level}`))).rule.severity).toBe(sev);
    }
  });

  it('a dns rule runs on both DNS datasets, each with its columns', () => {
    const dns = compileSigmaRule(
      rule(`
title: TXT lookups
id: dns-1
logsource: { category: dns }
detection:
  selection: { query|endswith: '.evil.top', record_type: TXT }
  condition: selection
level: low
`),
    );
    expect(dns.logTypes).toEqual(['Cloudflare.GatewayDNS', 'Cloudflare.DNS']);
    expect(dns.rule.rule(row({ QueryName: 'a.EVIL.top', QueryTypeName: 'TXT', SrcIP: '1.1.1.1' }, 'Cloudflare.GatewayDNS'))).toBe(true);
    expect(dns.rule.rule(row({ QueryName: 'a.evil.top', QueryType: 16 }, 'Cloudflare.DNS'))).toBe(true);
    expect(dns.rule.rule(row({ QueryName: 'a.evil.top', QueryType: 1 }, 'Cloudflare.DNS'))).toBe(false);
  });

  it('proxy: the URL and its derived parts', () => {
    const p = compileSigmaRule(
      rule(`
title: proxy
id: proxy-1
logsource: { category: proxy }
detection:
  selection:
    c-uri-extension: exe
    c-uri-query|contains: 'id='
    c-uri-stem|startswith: '/dl/'
    dst_ip|cidr: 203.0.113.0/24
  condition: selection
level: low
`),
    );
    const gw = (URL: string) => row({ URL, DestinationIP: '203.0.113.9' }, 'Cloudflare.GatewayHTTP');
    expect(p.rule.rule(gw('https://x.example/dl/a.EXE?id=1'))).toBe(true);
    expect(p.rule.rule(gw('https://x.example/dl/a.exe'))).toBe(false);
    expect(p.rule.rule(gw('https://x.example/up/a.exe?id=1'))).toBe(false);
  });

  it('list of maps is OR; field lists with |all; keyword maps with |all', () => {
    const p = compileSigmaRule(
      rule(`
title: t
id: t-1
logsource: { category: webserver }
detection:
  selection:
    - cs-uri-query|contains|all: [a=1, b=2]
    - cs-user-agent: curl*
  kw:
    '|all': [foo, bar]
  condition: selection or kw
level: low
`),
    );
    expect(p.rule.rule(row({ ClientRequestURI: '/?b=2&a=1' }))).toBe(true);
    expect(p.rule.rule(row({ ClientRequestURI: '/?b=2' }))).toBe(false);
    expect(p.rule.rule(row({ ClientRequestURI: '/', ClientRequestUserAgent: 'curl/8' }))).toBe(true);
    expect(p.rule.rule(row({ ClientRequestURI: '/foo', ClientRequestUserAgent: 'bar' }))).toBe(true);
    expect(p.rule.rule(row({ ClientRequestURI: '/foo' }))).toBe(false);
  });

  it('refuses whole rules with the reason', () => {
    const why = (yaml: string) => {
      try {
        compileSigmaRule(rule(yaml));
        return 'compiled';
      } catch (e) {
        expect(e).toBeInstanceOf(SigmaRefusal);
        return (e as Error).message;
      }
    };
    const base = (det: string, ls = '{ category: webserver }') => `title: t\nid: x-1\nlogsource: ${ls}\ndetection:\n${det}\nlevel: low\n`;
    expect(why(base('  s: { cs-username: x, cs-method: GET }\n  condition: s'))).toMatch(/unmapped field for category webserver: cs-username/);
    expect(why(base('  s: { Image: x, CommandLine: y }\n  condition: s'))).toMatch(/unmapped fields for category webserver: CommandLine, Image/);
    expect(why(base('  s: { query: x }\n  condition: s', '{ category: process_creation, product: windows }'))).toMatch(/product windows is not a Cloudflare log/);
    expect(why(base('  s: { query: x }\n  condition: s', '{ category: process_creation }'))).toMatch(/category "process_creation" has no Cloudflare dataset/);
    expect(why(base('  s: { cs-method|fieldref: x }\n  condition: s'))).toMatch(/fieldref/);
    expect(why(base('  s: { cs-method: x }\n  timeframe: 5m\n  condition: s | count() > 5'))).toMatch(/timeframe/);
    expect(why(base('  s: { cs-method: x }'))).toMatch(/no condition/);
    expect(why(base('  s: [x]\n  condition: s', '{ category: firewall }'))).toMatch(/keyword searches have no text columns/);
    expect(why(base('  s: { cs-method: x }\n  condition: s').replace('level: low', 'level: urgent'))).toMatch(/level "urgent"/);
  });
});

describe('correlation rules', () => {
  const base = rule(`
title: Login failure
id: base-1
name: login_failure
logsource: { category: webserver }
detection:
  s: { cs-uri-stem: /login, sc-status: 401 }
  condition: s
level: low
`);
  const corr = (c: string) => parseSigmaDocument(parse(`title: Brute force\nid: corr-1\nauthor: A\nlevel: high\ncorrelation:\n${c}`), 'c.yml') as SigmaCorrelation;

  it('event_count with group-by and timespan: a threshold, deduplicated by the group, over the timespan', () => {
    const out = compileSigmaDocuments([base, corr('  type: event_count\n  rules: [login_failure]\n  group-by: [c-ip]\n  timespan: 10m\n  condition: { gte: 20 }')]);
    expect(out.refused).toEqual([]);
    // The base rule does not alert alone (generate defaults to false).
    expect(out.compiled.map((c) => c.rule.id)).toEqual(['Sigma.corr-1']);
    const r = out.compiled[0]?.rule;
    expect(r).toMatchObject({ threshold: 20, dedupPeriodMinutes: 10, severity: 'High' });
    const hit = row({ ClientIP: '9.9.9.9', ClientRequestURI: '/login', EdgeResponseStatus: 401 });
    expect(r?.rule(hit)).toBe(true);
    expect(r?.dedup?.(hit)).toBe('9.9.9.9');
    expect(timespanMinutes('2h')).toBe(120);
  });

  it('value_count, temporal and unmappable conditions are refused with the reason', () => {
    const b = compileSigmaRule(base);
    const why = (c: string) => {
      try {
        compileCorrelation(corr(c), () => b);
        return 'compiled';
      } catch (e) {
        return (e as Error).message;
      }
    };
    expect(why('  type: value_count\n  rules: [x]\n  timespan: 5m\n  condition: { gte: 3, field: cs-uri-stem }')).toMatch(/distinct values/);
    expect(why('  type: temporal\n  rules: [x, y]\n  timespan: 5m')).toMatch(/several rules/);
    expect(why('  type: event_count\n  rules: [x]\n  timespan: 5m\n  condition: { lt: 3 }')).toMatch(/only gte or gt/);
    expect(why('  type: event_count\n  rules: [x]\n  timespan: 30s\n  condition: { gte: 3 }')).toMatch(/whole minutes/);
  });
});

describe('files', () => {
  it('a file of several documents; unreadable YAML and a missing id are refusals, not errors', () => {
    const docs = parseSigmaFile('title: a\n---\n: : :\n', 'x.yml');
    expect(docs).toHaveLength(1);
    expect(docs[0]).toMatchObject({ file: 'x.yml', reason: expect.stringMatching(/YAML/) });
    expect(parseSigmaFile('title: a\nlogsource: {category: webserver}\n', 'y.yml')[0]).toMatchObject({ reason: 'the rule has no id' });
  });

  it('a duplicate id is refused for the second file', () => {
    const out = compileSigmaDocuments([rule(WEB, 'one.yml'), rule(WEB, 'two.yml')]);
    expect(out.compiled).toHaveLength(1);
    expect(out.refused).toEqual([expect.objectContaining({ file: 'two.yml', reason: expect.stringMatching(/also another rule/) })]);
  });
});

describe('the mapping as data (for the differential check against pySigma)', () => {
  it('names a column per field and computes the derived ones from a row', () => {
    const { CATEGORIES: cats, derivedColumns: derive, fieldColumns: columns } = jest.requireActual<typeof import('../../lib/sigma/fields')>('../../lib/sigma/fields');
    const web = cats.webserver?.[0];
    if (!web) throw new Error('no webserver mapping');
    expect(columns(web)).toMatchObject({ 'cs-method': 'ClientRequestMethod', 'cs-uri-query': 'ClientRequestURI', 'cs-uri-stem': 'sigma_uri_stem', 'c-uri-extension': 'sigma_uri_extension' });
    const row = { ClientRequestScheme: 'https', ClientRequestHost: 'h.example', ClientRequestURI: '/a/b.PHP?x=1', ClientRequestPath: '/a/b.PHP' };
    expect(derive(web, row)).toEqual({ sigma_uri_stem: '/a/b.PHP', sigma_uri_query: 'x=1', sigma_url: 'https://h.example/a/b.PHP?x=1', sigma_uri_extension: 'PHP' });
    for (const m of Object.values(cats).flat()) for (const [f, s] of Object.entries(m.fields)) expect([f, s.get(row as never) === undefined || s.column.length > 0]).toEqual([f, true]);
  });
});

describe('rules as hostile input', () => {
  const doc = (detection: string, category = 'webserver') =>
    `title: t\nid: 11111111-2222-4333-8444-555555555555\nlevel: low\nlogsource:\n  category: ${category}\ndetection:\n${detection}`;
  const compile = (text: string) => compileSigmaDocuments(parseSigmaFile(text, 'hostile.yml'));

  it('refuses fields, selections and categories named after Object.prototype members, instead of rules that throw on every row', () => {
    for (const text of [
      doc('  sel:\n    constructor: x\n  condition: sel'),
      doc('  sel:\n    __proto__|contains: x\n  condition: sel'),
      doc("  sel:\n    cs-method: GET\n  condition: sel", 'constructor'),
    ]) {
      const r = compile(text);
      expect(r.compiled).toHaveLength(0);
      expect(r.refused).toHaveLength(1);
    }
    // A selection named `constructor` is a selection like any other.
    const ok = compile(doc("  constructor:\n    cs-method: POST\n  condition: constructor"));
    expect(ok.compiled).toHaveLength(1);
    expect(ok.compiled[0]!.rule.rule({ ClientRequestMethod: 'POST', p_row_id: 'r', p_event_time: '2026-01-01 00:00:00.000000000' } as RuleEvent)).toBe(true);
  });

  it('refuses a condition nested past the limit, and `all of them` over no selection', () => {
    const deep = `${'('.repeat(20_000)}sel${')'.repeat(20_000)}`;
    expect(compile(doc(`  sel:\n    cs-method: GET\n  condition: ${deep}`)).refused[0]!.reason).toMatch(/nested more than 64 deep/);
    expect(compile(doc(`  sel:\n    cs-method: GET\n  condition: ${'not '.repeat(200)}sel`)).refused[0]!.reason).toMatch(/nested more than 64 deep/);
    expect(compile(doc('  _only:\n    cs-method: GET\n  condition: all of them')).refused[0]!.reason).toMatch(/them names no selection/);
  });
});
