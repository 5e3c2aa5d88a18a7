import { BlockList, isIP } from 'node:net';
import safeRegex from 'safe-regex2';
import { ConfigError } from '../errors';
import { parseCloudflareTime } from '../parse/timestamps';

/**
 * Ingestion filters, as Panther has them: raw filters test the line as received (before JSON.parse, so a
 * dropped line costs almost nothing), normalised filters test typed fields after normalisation. Each is an
 * include (keep only what matches) or an exclude (drop what matches). A line is dropped by the first filter
 * that rejects it, and that filter's count goes up.
 *
 * Config (in the routes file, under `filters:` globally or per route):
 *   - name: drop-health-checks
 *     logType: Cloudflare.HttpRequest      # optional, global filters only
 *     exclude: { raw: { contains: '"ClientRequestPath":"/health"' } }
 *   - name: keep-blocked
 *     include: { field: Action, in: [block, challenge] }
 */

export type Condition =
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition }
  | { field: string; [op: string]: unknown };

export interface FilterSpec {
  name: string;
  logType?: string;
  include?: unknown;
  exclude?: unknown;
}

type RawTest = (buf: Buffer, start: number, end: number) => boolean;
type RowTest = (row: Record<string, unknown>) => boolean;

export interface CompiledFilter {
  name: string;
  logType: string | undefined;
  action: 'include' | 'exclude';
  stage: 'raw' | 'normalised';
  raw?: RawTest;
  row?: RowTest;
}

/** The filters that apply to one input, split by stage, in order. */
export class FilterSet {
  readonly raw: CompiledFilter[];
  readonly normalised: CompiledFilter[];

  constructor(readonly filters: CompiledFilter[]) {
    this.raw = filters.filter((f) => f.stage === 'raw');
    this.normalised = filters.filter((f) => f.stage === 'normalised');
  }

  get empty(): boolean {
    return this.filters.length === 0;
  }

  /** Name of the raw filter that drops this line, or undefined to keep it. */
  dropRaw(buf: Buffer, start: number, end: number): string | undefined {
    for (const f of this.raw) {
      if ((f.raw as RawTest)(buf, start, end) !== (f.action === 'include')) return f.name;
    }
    return undefined;
  }

  /** Name of the normalised filter that drops this row, or undefined to keep it. */
  dropRow(row: Record<string, unknown>): string | undefined {
    for (const f of this.normalised) {
      if ((f.row as RowTest)(row) !== (f.action === 'include')) return f.name;
    }
    return undefined;
  }

  forLogType(logType: string): FilterSet {
    return new FilterSet(this.filters.filter((f) => f.logType === undefined || f.logType === logType));
  }

  concat(other: FilterSet): FilterSet {
    return new FilterSet([...this.filters, ...other.filters]);
  }
}

export const NO_FILTERS = new FilterSet([]);

/** Compiles and checks filter specs; every error names the filter. Regexes are compiled once, here. */
export function compileFilters(specs: unknown, where = 'filters'): FilterSet {
  if (specs === undefined || specs === null) return NO_FILTERS;
  if (!Array.isArray(specs)) throw new ConfigError(`${where}: expected a list`);
  const names = new Set<string>();
  return new FilterSet(
    specs.map((s: unknown, i: number): CompiledFilter => {
      const spec = s as FilterSpec;
      const label = `${where}[${i}]${typeof spec?.name === 'string' ? ` (${spec.name})` : ''}`;
      const fail = (msg: string): never => {
        throw new ConfigError(`${label}: ${msg}`);
      };
      if (typeof spec !== 'object' || spec === null) return fail('expected a mapping');
      for (const k of Object.keys(spec)) if (!['name', 'logType', 'include', 'exclude'].includes(k)) fail(`unknown key ${k}`);
      if (typeof spec.name !== 'string' || spec.name === '') fail('name is required');
      if (names.has(spec.name)) fail('name is used twice');
      names.add(spec.name);
      if (spec.logType !== undefined && typeof spec.logType !== 'string') fail('logType must be a string');
      if ((spec.include === undefined) === (spec.exclude === undefined)) fail('give exactly one of include or exclude');
      const action = spec.include !== undefined ? 'include' : 'exclude';
      const cond = (spec.include ?? spec.exclude) as Record<string, unknown>;
      if (typeof cond !== 'object' || cond === null) fail(`${action} must be a mapping`);
      const base = { name: spec.name, logType: spec.logType, action } as const;
      if ('raw' in cond) {
        if (Object.keys(cond).length !== 1) fail('raw cannot be combined with field conditions');
        return { ...base, stage: 'raw', raw: compileRaw(cond.raw, fail) };
      }
      return { ...base, stage: 'normalised', row: compileCondition(cond, fail) };
    }),
  );
}

function compileRaw(spec: unknown, fail: (m: string) => never): RawTest {
  const r = spec as { contains?: unknown; regex?: unknown };
  if (typeof r !== 'object' || r === null) return fail('raw must be a mapping with contains or regex');
  const keys = Object.keys(r);
  if (keys.length !== 1 || !['contains', 'regex'].includes(keys[0] as string)) fail('raw takes exactly one of contains or regex');
  if (typeof r.contains === 'string') {
    if (r.contains === '') fail('raw.contains must not be empty');
    // Byte search on the undecoded line: no string is made for a line that is dropped.
    const needle = Buffer.from(r.contains, 'utf8');
    return (buf, start, end) => {
      const i = buf.indexOf(needle, start);
      return i !== -1 && i + needle.length <= end;
    };
  }
  if (typeof r.regex === 'string') {
    const re = compileRegex(r.regex, fail);
    return (buf, start, end) => re.test(buf.toString('utf8', start, end));
  }
  return fail('raw.contains / raw.regex must be a string');
}

function compileRegex(pattern: string, fail: (m: string) => never): RegExp {
  let re: RegExp;
  try {
    re = new RegExp(pattern);
  } catch (e) {
    return fail(`invalid regex: ${(e as Error).message}`);
  }
  // Catastrophic backtracking would let one crafted line stall the function: refuse such patterns up front.
  if (!safeRegex(re)) fail(`regex ${JSON.stringify(pattern)} may backtrack catastrophically; simplify it (no nested quantifiers)`);
  return re;
}

const OPERATORS = [
  'equals', 'not_equals', 'in', 'not_in', 'contains', 'starts_with', 'ends_with', 'regex',
  'gt', 'gte', 'lt', 'lte', 'exists', 'not_exists', 'cidr',
] as const;

function compileCondition(c: unknown, fail: (m: string) => never): RowTest {
  if (typeof c !== 'object' || c === null || Array.isArray(c)) return fail('a condition must be a mapping');
  const o = c as Record<string, unknown>;
  if ('all' in o || 'any' in o) {
    const key = 'all' in o ? 'all' : 'any';
    const list = o[key];
    if (Object.keys(o).length !== 1 || !Array.isArray(list) || list.length === 0) fail(`${key} takes a non-empty list and nothing else`);
    const tests = (list as unknown[]).map((x) => compileCondition(x, fail));
    return key === 'all' ? (row) => tests.every((t) => t(row)) : (row) => tests.some((t) => t(row));
  }
  if ('not' in o) {
    if (Object.keys(o).length !== 1) fail('not takes one condition and nothing else');
    const t = compileCondition(o.not, fail);
    return (row) => !t(row);
  }
  if (typeof o.field !== 'string' || o.field === '') return fail('a condition needs field (or all / any / not)');
  const ops = Object.keys(o).filter((k) => k !== 'field');
  if (ops.length !== 1) fail(`give exactly one operator (${OPERATORS.join(', ')})`);
  const op = ops[0] as string;
  if (!(OPERATORS as readonly string[]).includes(op)) fail(`unknown operator ${op} (${OPERATORS.join(', ')})`);
  const get = fieldGetter(o.field);
  return compileOperator(op as (typeof OPERATORS)[number], o[op], get, fail);
}

/** `RequestHeaders.user-agent`: the column, then keys inside a JSON column. */
function fieldGetter(path: string): (row: Record<string, unknown>) => unknown {
  const [head, ...rest] = path.split('.');
  const col = head as string;
  if (rest.length === 0) return (row) => row[col];
  return (row) => {
    let v: unknown = row[col];
    for (const k of rest) {
      if (typeof v !== 'object' || v === null || !Object.prototype.hasOwnProperty.call(v, k)) return undefined;
      v = (v as Record<string, unknown>)[k];
    }
    return v;
  };
}

type Get = (row: Record<string, unknown>) => unknown;

function compileOperator(op: (typeof OPERATORS)[number], arg: unknown, get: Get, fail: (m: string) => never): RowTest {
  const scalar = (a: unknown): string | number | boolean =>
    typeof a === 'string' || typeof a === 'number' || typeof a === 'boolean' ? a : fail(`${op} takes a string, number or boolean`);
  const text = (a: unknown): string => (typeof a === 'string' ? a : fail(`${op} takes a string`));
  switch (op) {
    case 'equals': {
      const want = scalar(arg);
      return (row) => same(get(row), want);
    }
    case 'not_equals': {
      const want = scalar(arg);
      return (row) => !same(get(row), want);
    }
    case 'in':
    case 'not_in': {
      if (!Array.isArray(arg) || arg.length === 0) fail(`${op} takes a non-empty list`);
      const wants = (arg as unknown[]).map(scalar);
      const inList = (row: Record<string, unknown>) => {
        const v = get(row);
        return wants.some((w) => same(v, w));
      };
      return op === 'in' ? inList : (row) => !inList(row);
    }
    case 'contains': {
      const want = text(arg);
      return (row) => {
        const v = get(row);
        if (typeof v === 'string') return v.includes(want);
        if (Array.isArray(v)) return v.some((e) => e === want);
        return false;
      };
    }
    case 'starts_with': {
      const want = text(arg);
      return (row) => {
        const v = get(row);
        return typeof v === 'string' && v.startsWith(want);
      };
    }
    case 'ends_with': {
      const want = text(arg);
      return (row) => {
        const v = get(row);
        return typeof v === 'string' && v.endsWith(want);
      };
    }
    case 'regex': {
      const re = compileRegex(text(arg), fail);
      return (row) => {
        const v = get(row);
        return typeof v === 'string' && re.test(v);
      };
    }
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const bound = comparable(arg, fail, op);
      const cmp = { gt: (d: number) => d > 0, gte: (d: number) => d >= 0, lt: (d: number) => d < 0, lte: (d: number) => d <= 0 }[op];
      return (row) => {
        const v = get(row);
        if (typeof bound === 'number') return typeof v === 'number' && cmp(v - bound);
        // Output timestamps have a fixed width, so string order is time order.
        return typeof v === 'string' && cmp(v < bound ? -1 : v > bound ? 1 : 0);
      };
    }
    case 'exists':
    case 'not_exists': {
      if (arg !== true) fail(`${op} takes true`);
      return op === 'exists' ? (row) => get(row) !== undefined : (row) => get(row) === undefined;
    }
    case 'cidr': {
      const list = new BlockList();
      for (const c of Array.isArray(arg) ? arg : [arg]) {
        const m = typeof c === 'string' ? /^([^/]+)\/(\d{1,3})$/.exec(c) : null;
        const family = m ? isIP(m[1] as string) : 0;
        if (!m || family === 0) fail(`cidr takes CIDR blocks like 192.0.2.0/24 or 2001:db8::/32, got ${JSON.stringify(c)}`);
        const prefix = Number((m as RegExpExecArray)[2]);
        if (prefix > (family === 4 ? 32 : 128)) fail(`cidr prefix too long in ${c}`);
        list.addSubnet((m as RegExpExecArray)[1] as string, prefix, family === 4 ? 'ipv4' : 'ipv6');
      }
      return (row) => {
        const v = get(row);
        if (typeof v !== 'string') return false;
        const family = isIP(v);
        if (family === 0) return false;
        return list.check(v, family === 4 ? 'ipv4' : 'ipv6');
      };
    }
  }
}

function same(v: unknown, want: string | number | boolean): boolean {
  return v === want;
}

/** A bound for gt/lt: a number, or a time (any form the parser accepts) as output timestamp text. */
function comparable(arg: unknown, fail: (m: string) => never, op: string): number | string {
  if (typeof arg === 'number') return arg;
  if (typeof arg === 'string') {
    const ts = parseCloudflareTime(arg);
    if (ts !== undefined) return ts;
  }
  return fail(`${op} takes a number or a timestamp`);
}
