import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { builtInRegistry } from '../../lib/record/registry';
import { builtInRules } from '../../lib/rules/builtin';
import { RuleSet } from '../../lib/rules/engine';
import type { RuleEvent } from '../../lib/rules/model';
import type { Condition } from '../../lib/sigma/condition';
import type { CompiledSigma, FieldCondition } from '../../lib/sigma/compile';
import { CATEGORIES, uriPath } from '../../lib/sigma/fields';
import { compileSigmaDir } from '../../lib/sigma/load';
import { base64Offsets, globParts } from '../../lib/sigma/values';
import { generateLines } from '../../testkit/generate';
import { enrich, parseLine } from '../../testkit/reference';

/**
 * SigmaHQ's webserver, proxy, dns and firewall rules (../shared/corpus-sigma, third-party, read here at run time and
 * never copied into the project) through the compiler: at least 90% compile for a Cloudflare dataset; every compiled
 * webserver rule fires on a row built from its own selections; and benign generated http_requests traffic fires
 * only the few rules listed in BENIGN_FIRES (docs/sigma.md, "Benign traffic").
 */
const CORPUS = join(__dirname, '..', '..', '..', 'shared', 'corpus-sigma', 'rules');
const present = existsSync(CORPUS);
const d = present ? describe : describe.skip;

/**
 * Rules that may fire on the generator's benign http_requests traffic (2,000 lines, seed 7), at most this often:
 * none today (docs/sigma.md, "Benign traffic"). A rule that starts firing there must be listed here, with a reason.
 */
const BENIGN_FIRES: Record<string, number> = {};

d('the SigmaHQ corpus', () => {
  const out = present ? compileSigmaDir(CORPUS) : { compiled: [], refused: [] };
  const total = out.compiled.length + out.refused.length;

  it('reads all 155 rules and compiles at least 90% of them for a Cloudflare dataset', () => {
    const byCategory: Record<string, string> = {};
    for (const cat of Object.keys(CATEGORIES)) {
      const n = out.compiled.filter((c) => c.category === cat).length;
      const r = out.refused.filter((c) => c.category === cat).length;
      byCategory[cat] = `${n} of ${n + r}`;
    }
    const refused = out.refused.map((r) => `  ${r.file}: ${r.reason}`).join('\n');
    console.log(`Sigma corpus: ${out.compiled.length} of ${total} compiled ${JSON.stringify(byCategory)}\nrefused:\n${refused}`);
    expect(total).toBe(155);
    expect(out.compiled.length / total).toBeGreaterThanOrEqual(0.9);
    // Every refusal says why.
    for (const r of out.refused) expect(r.reason.length).toBeGreaterThan(10);
  });

  it('the compiled rules form a rule set with the built-in rules (ids unique, log types known)', () => {
    const set = new RuleSet([...builtInRules(), ...out.compiled.map((c) => c.rule)], { knownLogTypes: builtInRegistry().logTypes(), trusted: builtInRules() });
    expect(set.rules.length).toBe(builtInRules().length + out.compiled.length);
    for (const c of out.compiled) {
      expect(c.rule.description).toContain(c.meta.author ?? 'an unnamed author');
      expect(c.rule.description).toContain('Detection Rule License (DRL) 1.1');
    }
  });

  const web = out.compiled.filter((c) => c.category === 'webserver');
  it.each(web.map((c) => [c.meta.file, c] as const))('%s fires on a row built from its selections', (_f, c) => {
    const rows = candidateRows(c);
    expect(rows.length).toBeGreaterThan(0);
    expect([c.meta.file, rows.some((r) => c.rule.rule(r))]).toEqual([c.meta.file, true]);
  });

  it('benign generated http_requests traffic fires only the documented few', () => {
    const entry = builtInRegistry().find('http_requests');
    if (!entry) throw new Error('no http_requests log type');
    const rows: RuleEvent[] = [];
    let n = 0;
    for (const line of generateLines({ dataset: 'http_requests', lines: 2000, seed: 7, timestampFormat: 'unixnano' })) {
      const p = parseLine(entry, line);
      if (!p.ok) throw new Error(`generated line rejected: ${JSON.stringify(p.reject)}`);
      const e = enrich(entry.plan, p.value, ++n, { rowIdPrefix: 'benign', parseTime: '2026-11-01 10:00:00.000000000' });
      rows.push(JSON.parse(e.json) as RuleEvent);
    }
    expect(rows).toHaveLength(2000);
    const fired: Record<string, number> = {};
    for (const c of web) {
      const k = rows.filter((r) => c.rule.rule(r)).length;
      if (k > 0) fired[`${c.rule.id} ${c.meta.title}`] = k;
    }
    console.log(`Sigma webserver rules firing on 2,000 benign http_requests rows: ${JSON.stringify(fired, null, 1)}`);
    // The rows are shaped as the rules expect: one of them with a Log4Shell probe in its user agent fires the
    // corpus's Log4Shell keyword rule.
    const probe = { ...(rows[0] as RuleEvent), ClientRequestUserAgent: '${jndi:ldap://203.0.113.9/a}' } as RuleEvent;
    expect(web.filter((c) => c.rule.rule(probe)).map((c) => c.meta.file)).toContain('rules-emerging-threats/2021/Exploits/CVE-2021-44228/web_cve_2021_44228_log4j.yml');
    for (const [rule, k] of Object.entries(fired)) {
      const id = rule.split(' ')[0] as string;
      expect([rule, k <= (BENIGN_FIRES[id] ?? 0)]).toEqual([rule, true]);
    }
  });
});

// --- rows that satisfy a compiled rule's condition, derived from its selections ---

type Need = FieldCondition;

/** Alternative sets of field conditions that together satisfy the condition (negations ask for nothing). */
function needs(c: Condition, s: CompiledSigma, limit = 64): Need[][] {
  const cross = (sets: Need[][][]): Need[][] =>
    sets.reduce<Need[][]>((acc, alts) => acc.flatMap((a) => alts.map((b) => [...a, ...b])).slice(0, limit), [[]]);
  const sel = (name: string): Need[][] => (s.detection.selections[name]?.maps ?? []).map((m) => [...m]);
  switch (c.kind) {
    case 'ref':
      return sel(c.name);
    case 'not':
      return [[]];
    case 'and':
      return cross(c.of.map((x) => needs(x, s, limit)));
    case 'or':
      return c.of.flatMap((x) => needs(x, s, limit)).slice(0, limit);
    case 'of':
      return c.count === 'all' ? cross(c.names.map(sel)) : c.names.flatMap(sel).slice(0, limit);
  }
}

/** A text the value (with its modifiers) matches. */
function example(v: unknown, mods: readonly string[]): string | number | null {
  if (v === null) return null;
  if (typeof v === 'number' || typeof v === 'boolean') return typeof v === 'number' ? v : String(v);
  const t = String(v);
  if (mods.includes('re')) return regexExample(t);
  if (mods.includes('base64')) return Buffer.from(t).toString('base64');
  if (mods.includes('base64offset')) return base64Offsets(Buffer.from(t))[0] as string;
  if (mods.includes('cidr')) return t.split('/')[0] as string;
  return globParts(t)
    .map((p) => ('lit' in p ? p.lit : 'one' in p ? 'x' : ''))
    .join('');
}

/** A string a simple regex matches: literals, escapes, classes, groups (first alternative), quantifiers (their minimum, at least one). */
function regexExample(re: string): string {
  let i = 0;
  const seq = (): string => {
    let out = '';
    while (i < re.length && re[i] !== '|' && re[i] !== ')') {
      let atom = '';
      const ch = re[i] as string;
      if (ch === '(') {
        i++;
        if (re[i] === '?') {
          while (i < re.length && re[i] !== ')' && re[i] !== ':') i++;
          if (re[i] === ')') {
            i++;
            continue;
          }
          i++;
        }
        atom = seq();
        while (re[i] === '|') {
          i++;
          seq();
        }
        i++;
      } else if (ch === '[') {
        i++;
        if (re[i] === '^') {
          i++;
          atom = '#';
        }
        const first = re[i] === '\\' ? (re[i + 1] as string) : (re[i] as string);
        if (!atom) atom = first === 'd' && re[i] === '\\' ? '1' : first;
        while (i < re.length && re[i] !== ']') i += re[i] === '\\' ? 2 : 1;
        i++;
      } else if (ch === '\\') {
        const e = re[i + 1] as string;
        atom = ({ d: '1', w: 'a', s: ' ', D: 'a', W: '-', S: 'a' } as Record<string, string>)[e] ?? e;
        i += 2;
      } else if (ch === '^' || ch === '$') {
        i++;
        continue;
      } else {
        atom = ch === '.' ? 'a' : ch;
        i++;
      }
      let times = 1;
      const q = re[i];
      if (q === '?' || q === '*') {
        i++;
        times = q === '?' ? 0 : 0;
        times = 1;
      } else if (q === '+') i++;
      else if (q === '{') {
        const close = re.indexOf('}', i);
        times = Math.max(1, Number(re.slice(i + 1, close).split(',')[0]));
        i = close + 1;
      }
      out += atom.repeat(times);
    }
    return out;
  };
  const first = seq();
  return first;
}

const BASE: Record<string, unknown> = {
  p_log_type: 'Cloudflare.HttpRequest',
  p_row_id: 'built',
  p_event_time: '2026-11-01 10:00:00.000000000',
  ClientIP: '192.0.2.10',
  ClientRequestMethod: 'GET',
  ClientRequestHost: 'www.example.com',
  ClientRequestScheme: 'https',
  ClientRequestURI: '/',
  ClientRequestPath: '/',
  ClientRequestUserAgent: 'Mozilla/5.0',
  ClientRequestReferer: 'https://www.example.com/',
  EdgeResponseStatus: 200,
};

/** A webserver row meeting a set of field conditions (the values of each field put together: start, middles, end). */
function rowOf(set: Need[]): RuleEvent {
  const parts = new Map<string, { exact?: string | number | null; starts: string[]; mids: string[]; ends: string[] }>();
  const keywords: string[] = [];
  for (const n of set) {
    const chosen = n.modifiers.includes('all') ? n.values : n.values.slice(0, 1);
    if (n.field === '') {
      keywords.push(...chosen.map((v) => String(example(v, n.modifiers))));
      continue;
    }
    const p = parts.get(n.field) ?? { starts: [], mids: [], ends: [] };
    parts.set(n.field, p);
    for (const v of chosen) {
      const x = example(v, n.modifiers);
      if (n.modifiers.includes('startswith')) p.starts.push(String(x));
      else if (n.modifiers.includes('endswith')) p.ends.push(String(x));
      else if (n.modifiers.includes('contains') || n.modifiers.includes('re') || n.modifiers.includes('base64offset')) p.mids.push(String(x));
      else p.exact = x;
    }
  }
  const valueOf = (f: string): string | number | null | undefined => {
    const p = parts.get(f);
    if (!p) return undefined;
    if (p.exact !== undefined) return p.exact;
    return [...p.starts, ...p.mids, ...p.ends].join('');
  };
  const row: Record<string, unknown> = { ...BASE };
  const fields = CATEGORIES.webserver?.[0]?.fields ?? {};
  for (const f of parts.keys()) {
    const v = valueOf(f);
    const from = fields[f]?.from ?? '';
    if (/^[A-Za-z]+$/.test(from)) row[from] = v === null ? '' : v;
  }
  const uri = valueOf('cs-uri-query') ?? valueOf('cs-uri');
  const stem = valueOf('cs-uri-stem') ?? valueOf('c-uri-stem');
  if (typeof uri === 'string' || uri === null) row.ClientRequestURI = uri ?? '';
  if (typeof stem === 'string' || stem === null) {
    row.ClientRequestPath = stem ?? '';
    if (uri === undefined) row.ClientRequestURI = stem ?? '';
  } else if (typeof row.ClientRequestURI === 'string') row.ClientRequestPath = uriPath(row.ClientRequestURI);
  if (keywords.length > 0) {
    const free = ['ClientRequestReferer', 'ClientRequestUserAgent', 'ClientRequestHost'].find((col) => ![...parts.keys()].some((f) => fields[f]?.from === col));
    if (free) row[free] = keywords.join(' ');
  }
  return row as RuleEvent;
}

function candidateRows(c: CompiledSigma): RuleEvent[] {
  return needs(c.detection.condition, c).map(rowOf);
}
