import type { RuleEvent } from '../lib/rules/model';
import type { Condition } from '../lib/sigma/condition';
import type { CompiledSigma, FieldCondition } from '../lib/sigma/compile';
import { CATEGORIES, uriPath } from '../lib/sigma/fields';
import { base64Offsets, globParts } from '../lib/sigma/values';

/**
 * Rows that satisfy a compiled Sigma rule's condition, built from its own selections: the corpus test
 * (test/integration/sigma-corpus.test.ts) and the differential check against pySigma (test/conformance/sigma).
 */


export type Need = FieldCondition;

/** Alternative sets of field conditions that together satisfy the condition (negations ask for nothing). */
export function needs(c: Condition, s: CompiledSigma, limit = 64): Need[][] {
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
export function example(v: unknown, mods: readonly string[]): string | number | null {
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
export function regexExample(re: string): string {
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
export function rowOf(set: Need[], category = 'webserver', base: Record<string, unknown> = BASE): RuleEvent {
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
  const row: Record<string, unknown> = { ...base };
  const fields = CATEGORIES[category]?.[0]?.fields ?? {};
  for (const f of parts.keys()) {
    const v = valueOf(f);
    const from = fields[f]?.from ?? '';
    if (/^[A-Za-z]+$/.test(from)) row[from] = v === null ? '' : v;
  }
  if (category === 'proxy') {
    proxyUrl(row, valueOf);
  } else if (category === 'webserver') webUri(row, valueOf);
  if (keywords.length > 0) {
    const keywordColumns = CATEGORIES[category]?.[0]?.keywords ?? [];
    const free = ['ClientRequestReferer', 'ClientRequestUserAgent', 'ClientRequestHost', 'Referer', 'UserAgent', 'QueryName'].find(
      (col) => keywordColumns.includes(col) && ![...parts.keys()].some((f) => fields[f]?.from === col),
    );
    if (free) row[free] = keywords.join(' ');
  }
  return row as RuleEvent;
}

type ValueOf = (f: string) => string | number | null | undefined;
const text = (v: string | number | null | undefined): string | undefined => (v === undefined ? undefined : v === null ? '' : String(v));

/** The webserver request's URI and path from the URI fields a rule names. */
function webUri(row: Record<string, unknown>, valueOf: ValueOf): void {
  const full = text(valueOf('c-uri'));
  if (full !== undefined) {
    const m = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/([^/?#]*)(.*)$/.exec(full);
    row.ClientRequestURI = m ? m[2] || '/' : full;
    if (m) row.ClientRequestHost = m[1];
    row.ClientRequestPath = uriPath(row.ClientRequestURI as string);
  }
  const query = text(valueOf('c-uri-query'));
  const ext = text(valueOf('c-uri-extension'));
  if (query !== undefined || ext !== undefined) {
    const path = ext !== undefined ? `/index.${ext}` : ((row.ClientRequestPath as string | undefined) ?? '/');
    row.ClientRequestPath = path;
    row.ClientRequestURI = query !== undefined ? `${path}?${query}` : path;
  }
  const uri = valueOf('cs-uri-query') ?? valueOf('cs-uri');
  const stem = valueOf('cs-uri-stem') ?? valueOf('c-uri-stem');
  if (typeof uri === 'string' || uri === null) row.ClientRequestURI = uri ?? '';
  if (typeof stem === 'string' || stem === null) {
    row.ClientRequestPath = stem ?? '';
    if (uri === undefined) row.ClientRequestURI = stem ?? '';
  } else if (typeof row.ClientRequestURI === 'string') row.ClientRequestPath = uriPath(row.ClientRequestURI);
}

/** The proxy request's URL from the URI fields a rule names. */
function proxyUrl(row: Record<string, unknown>, valueOf: ValueOf): void {
  const full = text(valueOf('c-uri') ?? valueOf('cs-uri'));
  const stem = text(valueOf('c-uri-stem') ?? valueOf('cs-uri-stem'));
  const query = text(valueOf('c-uri-query'));
  const ext = text(valueOf('c-uri-extension'));
  if (full !== undefined) {
    row.URL = full;
    return;
  }
  if (stem === undefined && query === undefined && ext === undefined) return;
  const host = typeof row.HTTPHost === 'string' && row.HTTPHost !== '' ? row.HTTPHost : 'www.example.com';
  const path = stem ?? (ext !== undefined ? `/index.${ext}` : '/');
  row.URL = `https://${host}${path.startsWith('/') ? '' : '/'}${path}${query !== undefined ? `?${query}` : ''}`;
}

export function candidateRows(c: CompiledSigma, category = 'webserver', base: Record<string, unknown> = BASE): RuleEvent[] {
  return needs(c.detection.condition, c).map((set) => rowOf(set, category, base));
}
