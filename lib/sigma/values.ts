import { RE2JS } from 're2js';
import { compileLinear } from '../regex';
import { refuse } from './refusal';

/**
 * Sigma's value matching (specification/sigma-appendix-modifiers.md, sigma-rules-specification.md): one field's
 * values and modifiers as a predicate over the field's value in a row. Strings compare case-insensitively (unless
 * `cased`), `*` and `?` are wildcards in plain values, `\` escapes them (and itself); a list of values is OR, or AND
 * with `all`. Every pattern runs in linear time: wildcards and `re` go through re2js, never through RegExp.
 */

export type ValuePredicate = (value: unknown) => boolean;

/** The modifiers understood; anything else refuses the rule, naming it. */
export const MODIFIERS = [
  'contains', 'startswith', 'endswith', 'all', 're', 'i', 'm', 's', 'cidr', 'base64', 'base64offset', 'windash', 'exists',
  'lt', 'lte', 'gt', 'gte', 'utf16', 'utf16le', 'utf16be', 'wide', 'cased',
] as const;
const KNOWN = new Set<string>(MODIFIERS);

/** Modifiers the specification defines that cflogs refuses, with the reason. */
const REFUSED: Record<string, string> = {
  fieldref: 'the fieldref modifier (comparing two fields) is not supported',
  expand: 'the expand modifier needs placeholders a pipeline fills; none is configured',
  minute: 'time-part modifiers (minute, hour, day, week, month, year) are not supported',
  hour: 'time-part modifiers (minute, hour, day, week, month, year) are not supported',
  day: 'time-part modifiers (minute, hour, day, week, month, year) are not supported',
  week: 'time-part modifiers (minute, hour, day, week, month, year) are not supported',
  month: 'time-part modifiers (minute, hour, day, week, month, year) are not supported',
  year: 'time-part modifiers (minute, hour, day, week, month, year) are not supported',
};

export function checkModifiers(field: string, modifiers: readonly string[]): void {
  for (const m of modifiers) {
    if (REFUSED[m] !== undefined) refuse(`${field}|${modifiers.join('|')}: ${REFUSED[m]}`);
    if (!KNOWN.has(m)) refuse(`${field}|${modifiers.join('|')}: unknown modifier ${JSON.stringify(m)}`);
  }
  const has = (m: string) => modifiers.includes(m);
  const n = (ms: readonly string[]) => ms.filter(has).length;
  if (n(['contains', 'startswith', 'endswith']) > 1) refuse(`${field}: contains, startswith and endswith exclude each other`);
  if ((has('i') || has('m') || has('s')) && !has('re')) refuse(`${field}: the i, m and s modifiers go with re`);
  if (has('re') && n(['contains', 'startswith', 'endswith', 'cidr', 'base64', 'base64offset', 'windash', 'exists', 'lt', 'lte', 'gt', 'gte']) > 0) {
    refuse(`${field}: re combines with no value-transforming modifier`);
  }
  if (n(['utf16', 'utf16le', 'utf16be', 'wide']) > 0 && !has('base64') && !has('base64offset')) {
    refuse(`${field}: utf16/wide encodings give bytes, which only base64 or base64offset can match in a text field`);
  }
}

/**
 * Unicode-aware lower case for the case-insensitive comparisons. One row's texts are folded once for all the rules
 * and values that look at them (the engine runs every rule on a row before the next row): a small cache, emptied
 * when full.
 */
const folded = new Map<string, string>();
const fold = (s: string): string => {
  let f = folded.get(s);
  if (f === undefined) {
    if (folded.size >= 512) folded.clear();
    f = s.toLowerCase();
    folded.set(s, f);
  }
  return f;
};

/** The text Sigma compares a field value as: strings, numbers and booleans; anything else does not match a string. */
function textOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  return undefined;
}

/** Applies `p` to the value, or to each element of an array value (any element matching matches). */
export function overElements(p: (v: unknown) => boolean): ValuePredicate {
  return (v) => (Array.isArray(v) ? v.some((e) => p(e)) : p(v));
}

/** Splits a plain Sigma string into literal text and wildcards, per the escaping rules. */
export type GlobPart = { lit: string } | { star: true } | { one: true };
export function globParts(value: string): GlobPart[] {
  const parts: GlobPart[] = [];
  let lit = '';
  const flush = () => {
    if (lit !== '') parts.push({ lit });
    lit = '';
  };
  for (let i = 0; i < value.length; i++) {
    const c = value[i] as string;
    if (c === '\\') {
      const next = value[i + 1];
      if (next === '*' || next === '?' || next === '\\') {
        lit += next;
        i++;
      } else lit += '\\';
    } else if (c === '*') {
      flush();
      parts.push({ star: true });
    } else if (c === '?') {
      flush();
      parts.push({ one: true });
    } else lit += c;
  }
  flush();
  return parts;
}

/**
 * A glob (from globParts) as a predicate over text folded to lower case (unless `cased`): indexOf fast paths where
 * there is no `?` inside, else re2js.
 */
export function globMatcher(parts: readonly GlobPart[], cased: boolean): (text: string) => boolean {
  const norm = cased ? (s: string) => s : (s: string) => s.toLowerCase();
  const lits = parts.filter((p): p is { lit: string } => 'lit' in p).map((p) => norm(p.lit));
  const stars = parts.filter((p) => 'star' in p).length;
  const ones = parts.filter((p) => 'one' in p).length;
  if (ones === 0 && lits.length <= 1) {
    const lit = lits[0] ?? '';
    const lead = parts.length > 0 && 'star' in (parts[0] as GlobPart);
    const trail = parts.length > 0 && 'star' in (parts[parts.length - 1] as GlobPart);
    // `text` comes folded already (lower case) unless cased.
    if (stars === 0) return (t) => t === lit;
    if (lead && trail) return (t) => t.includes(lit);
    if (trail) return (t) => t.startsWith(lit);
    if (lead) return (t) => t.endsWith(lit);
  }
  const pattern = parts.map((p) => ('lit' in p ? RE2JS.quote(p.lit) : 'star' in p ? '.*' : '.')).join('');
  const re = compileLinear(`^(?:${pattern})$`, (m) => refuse(m), RE2JS.DOTALL | (cased ? 0 : RE2JS.CASE_INSENSITIVE));
  return (t) => re.matches(t);
}

function ipBytes(text: string): number[] | undefined {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) {
    const b = text.split('.').map(Number);
    return b.every((x) => x <= 255) ? b : undefined;
  }
  if (!text.includes(':')) return undefined;
  let t = text;
  // An embedded IPv4 tail (::ffff:1.2.3.4).
  const v4 = /(\d{1,3}(?:\.\d{1,3}){3})$/.exec(t);
  let tail: number[] = [];
  if (v4) {
    const b = ipBytes(v4[1] as string);
    if (!b) return undefined;
    tail = b;
    t = t.slice(0, -(v4[1] as string).length) + (t.endsWith('::' + v4[1]) ? '' : '0');
    if (t.endsWith(':0')) t = t.slice(0, -2);
  }
  const halves = t.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const head = groups(halves[0] as string);
  const rest = halves.length === 2 ? groups(halves[1] as string) : [];
  const want = 8 - tail.length / 2;
  if (halves.length === 1 && head.length !== want) return undefined;
  if (head.length + rest.length > want) return undefined;
  const all = [...head, ...Array<string>(want - head.length - rest.length).fill('0'), ...rest];
  const out: number[] = [];
  for (const g of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    const n = parseInt(g, 16);
    out.push(n >> 8, n & 255);
  }
  return [...out, ...tail];
}

/** A `cidr` value (IPv4 or IPv6) as a predicate over an address; a bad network refuses the rule. */
export function cidrMatcher(cidr: string): (text: string) => boolean {
  const [addr, bitsText, extra] = cidr.split('/');
  const net = addr !== undefined ? ipBytes(addr) : undefined;
  const bits = bitsText === undefined ? (net ? net.length * 8 : 0) : Number(bitsText);
  if (!net || extra !== undefined || !Number.isInteger(bits) || bits < 0 || bits > net.length * 8) refuse(`cidr ${JSON.stringify(cidr)} is not an IPv4 or IPv6 network`);
  return (text) => {
    const ip = ipBytes(text.trim());
    if (!ip || ip.length !== net.length) return false;
    for (let i = 0, left = bits; left > 0; i++, left -= 8) {
      const mask = left >= 8 ? 255 : (0xff << (8 - left)) & 255;
      if (((ip[i] as number) & mask) !== ((net[i] as number) & mask)) return false;
    }
    return true;
  };
}

function encode(text: string, modifiers: readonly string[]): Buffer {
  if (modifiers.includes('utf16le') || modifiers.includes('wide')) return Buffer.from(text, 'utf16le');
  if (modifiers.includes('utf16be')) return Buffer.from(text, 'utf16le').swap16();
  if (modifiers.includes('utf16')) return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
  return Buffer.from(text, 'utf8');
}

/** Sigma's base64offset: the three encodings of the value at each offset modulo 3, with the unstable edges cut. */
export function base64Offsets(bytes: Buffer): string[] {
  const out: string[] = [];
  for (let i = 0; i < 3; i++) {
    const enc = Buffer.concat([Buffer.alloc(i), bytes]).toString('base64');
    const start = [0, 2, 3][i] as number;
    const end = [0, -3, -2][(bytes.length + i) % 3] as number;
    out.push(enc.slice(start, end === 0 ? undefined : enc.length + end));
  }
  return out;
}

/** windash: each `-` starting a word may also be `/`, en dash, em dash or horizontal bar. */
function windash(text: string): string[] {
  const dashes = ['-', '/', '\u2013', '\u2014', '\u2015'];
  return dashes.map((d) => text.replace(/(^|\s)-/g, `$1${d}`)).filter((v, i, a) => a.indexOf(v) === i);
}

/**
 * One value (already a JavaScript value from the YAML) with the field's modifiers as a predicate over a field value.
 * `field` names it in refusals.
 */
export function valueMatcher(field: string, raw: unknown, modifiers: readonly string[]): ValuePredicate {
  const has = (m: string) => modifiers.includes(m);
  const cased = has('cased');
  if (has('exists')) {
    if (typeof raw !== 'boolean') refuse(`${field}|exists takes true or false, got ${JSON.stringify(raw)}`);
    return (v) => (v !== undefined && v !== null && v !== '') === raw;
  }
  if (raw === null) {
    // Sigma's null: the field is absent or empty; Cloudflare logs a missing header as '' (a web log's "-").
    return (v) => v === undefined || v === null || v === '' || v === '-';
  }
  for (const cmp of ['lt', 'lte', 'gt', 'gte'] as const) {
    if (!has(cmp)) continue;
    const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
    if (!Number.isFinite(n)) refuse(`${field}|${cmp} needs a number, got ${JSON.stringify(raw)}`);
    const test = { lt: (x: number) => x < n, lte: (x: number) => x <= n, gt: (x: number) => x > n, gte: (x: number) => x >= n }[cmp];
    return overElements((v) => {
      const x = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
      return Number.isFinite(x) && test(x);
    });
  }
  if (typeof raw === 'object') refuse(`${field}: a value must be a string, number, boolean or null, got ${JSON.stringify(raw)}`);
  if (has('cidr')) {
    if (typeof raw !== 'string') refuse(`${field}|cidr needs a network, got ${JSON.stringify(raw)}`);
    const m = cidrMatcher(raw);
    return overElements((v) => typeof v === 'string' && m(v));
  }
  if (has('re')) {
    if (typeof raw !== 'string') refuse(`${field}|re needs a pattern, got ${JSON.stringify(raw)}`);
    // Sigma's re is case-sensitive unless `i`; it searches (unanchored), as a regex search in a backend does.
    const flags = (has('i') ? RE2JS.CASE_INSENSITIVE : 0) | (has('m') ? RE2JS.MULTILINE : 0) | (has('s') ? RE2JS.DOTALL : 0);
    const re = compileLinear(raw, (m) => refuse(`${field}|re: ${m}`), flags);
    return overElements((v) => {
      const t = textOf(v);
      return t !== undefined && re.matcher(t).find();
    });
  }
  if ((typeof raw === 'number' || typeof raw === 'boolean') && modifiers.some((m) => ['contains', 'startswith', 'endswith', 'windash', 'base64', 'base64offset'].includes(m))) {
    // A number under a text modifier is its text (`sc-status|startswith: 5`).
    return textMatcher(textTests(field, [String(raw)], modifiers), 'some');
  }
  if (typeof raw === 'number' || typeof raw === 'boolean') {
    if (modifiers.some((m) => m !== 'all' && m !== 'cased')) refuse(`${field}|${modifiers.join('|')}: modifiers on a ${typeof raw} value ${raw}`);
    const text = String(raw);
    return overElements((v) => v === raw || textOf(v) === text);
  }
  if (typeof raw !== 'string') refuse(`${field}: unsupported value ${JSON.stringify(raw)}`);
  return textMatcher(textTests(field, [raw], modifiers), 'some');
}

/** Whether plain text tests (textTests) can take these values: strings, without a modifier that is not about text. */
function isText(values: readonly unknown[], modifiers: readonly string[]): values is string[] {
  const other = ['exists', 'lt', 'lte', 'gt', 'gte', 'cidr', 're'];
  return values.every((v) => typeof v === 'string') && !modifiers.some((m) => other.includes(m));
}

/** Plain string values (wildcards, contains/startswith/endswith, base64, windash) as tests of one folded text each. */
export interface TextTests {
  cased: boolean;
  tests: Array<(normalised: string) => boolean>;
}

export function textTests(field: string, values: readonly string[], modifiers: readonly string[]): TextTests {
  const has = (m: string) => modifiers.includes(m);
  // Base64 is case-sensitive text.
  const cased = has('cased') || has('base64') || has('base64offset');
  const wrap = (g: GlobPart[]): GlobPart[] => [
    ...(has('contains') || has('endswith') ? [{ star: true } as GlobPart] : []),
    ...g,
    ...(has('contains') || has('startswith') ? [{ star: true } as GlobPart] : []),
  ];
  const tests = values.map((raw) => {
    let globs: GlobPart[][];
    if (has('base64') || has('base64offset')) {
      // The value is encoded as written: the specification applies wildcards after encoding, which cannot be.
      if (/(?<!\\)[*?]/.test(raw)) refuse(`${field}: wildcards in a base64 value cannot be matched`);
      const bytes = encode(raw.replace(/\\([*?\\])/g, '$1'), modifiers);
      const encoded = has('base64offset') ? base64Offsets(bytes) : [bytes.toString('base64')];
      globs = encoded.map((e) => [{ lit: e }]);
    } else {
      globs = (has('windash') ? windash(raw) : [raw]).map(globParts);
    }
    const ms = globs.map((g) => globMatcher(wrap(g), cased));
    return ms.length === 1 ? (ms[0] as (t: string) => boolean) : (t: string) => ms.some((m) => m(t));
  });
  return { cased, tests };
}

/** Text tests as a value predicate: the value folded once, then any (or every) test. */
export function textMatcher(t: TextTests, combine: 'some' | 'every'): ValuePredicate {
  const { tests, cased } = t;
  return overElements((v) => {
    const text = textOf(v);
    if (text === undefined) return false;
    const n = cased ? text : fold(text);
    return combine === 'some' ? tests.some((f) => f(n)) : tests.every((f) => f(n));
  });
}

/** A field's value list with its modifiers: OR over the values, or AND with `all`. An empty list refuses. */
export function fieldMatcher(field: string, values: unknown, modifiers: readonly string[]): ValuePredicate {
  checkModifiers(field, modifiers);
  const list = Array.isArray(values) ? values : [values];
  if (list.length === 0) refuse(`${field}: an empty value list`);
  const mods = modifiers.filter((m) => m !== 'all');
  if (isText(list, mods)) return textMatcher(textTests(field, list, mods), modifiers.includes('all') ? 'every' : 'some');
  const ps = list.map((v) => valueMatcher(field, v, mods));
  if (modifiers.includes('all')) return (v) => ps.every((p) => p(v));
  return ps.length === 1 ? (ps[0] as ValuePredicate) : (v) => ps.some((p) => p(v));
}
