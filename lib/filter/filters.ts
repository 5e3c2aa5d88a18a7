import { BlockList, isIP } from 'node:net';
import { RE2JS, RE2Set } from 're2js';
import { ConfigError } from '../errors';
import { compileLinear } from '../regex';
import { ABSENT_COLUMN, type Columns } from '../record/normalise';
import { parseCloudflareTime } from '../record/timestamps';
import type { FieldSpec, LogSchema } from '../schema/model';

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
/** A normalised filter's test, on the columns the parser filled (no object is built per row). */
type RowTest = (cols: Columns) => boolean;
/** A column's position in the log type's Columns, or undefined when the schema has no such column. */
export type ColumnIndex = (name: string) => number | undefined;
/**
 * Filters are compiled before the log type is known (a global filter may serve several): field names are
 * bound to column positions once per input, by `FilterSet.bind`.
 */
type RowTestFactory = (columnOf: ColumnIndex) => RowTest;

/** One `{ field, <operator>: value }` leaf of a normalised filter, kept for the check against a log type's schema. */
export interface FieldCondition {
  field: string;
  op: Operator;
  arg: unknown;
}

export interface CompiledFilter {
  name: string;
  /** Where the filter is, for messages: `routes: filters[2] (drop-probes)`. */
  label: string;
  logType: string | undefined;
  action: 'include' | 'exclude';
  stage: 'raw' | 'normalised';
  raw?: RawTest;
  row?: RowTestFactory;
  /**
   * The field conditions of a normalised filter. Filters are compiled before the log type is known (a global
   * filter may serve several), so the router checks these against each schema the filter applies to.
   */
  conditions: FieldCondition[];
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

  /** The normalised filters bound to one log type's columns, for the rows of one input. */
  bind(columnOf: ColumnIndex): RowFilters {
    return new RowFilters(this.normalised.map((f) => ({ name: f.name, keep: f.action === 'include', test: (f.row as RowTestFactory)(columnOf) })));
  }

  forLogType(logType: string): FilterSet {
    return new FilterSet(this.filters.filter((f) => f.logType === undefined || f.logType === logType));
  }

  concat(other: FilterSet): FilterSet {
    return new FilterSet([...this.filters, ...other.filters]);
  }

  /** The same filters, those without a logType limited to `logType` (for an input whose log type is given). */
  withDefaultLogType(logType: string): FilterSet {
    return new FilterSet(this.filters.map((f) => (f.logType === undefined ? { ...f, logType } : f)));
  }
}

export const NO_FILTERS = new FilterSet([]);

export class RowFilters {
  constructor(private readonly tests: { name: string; keep: boolean; test: RowTest }[]) {}

  get empty(): boolean {
    return this.tests.length === 0;
  }

  /** Name of the normalised filter that drops this row, or undefined to keep it. */
  dropRow(cols: Columns): string | undefined {
    for (const t of this.tests) if (t.test(cols) !== t.keep) return t.name;
    return undefined;
  }
}

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
      const base = { name: spec.name, label, logType: spec.logType, action } as const;
      if ('raw' in cond) {
        if (Object.keys(cond).length !== 1) fail('raw cannot be combined with field conditions');
        return { ...base, stage: 'raw', raw: compileRaw(cond.raw, fail), conditions: [] };
      }
      const conditions: FieldCondition[] = [];
      return { ...base, stage: 'normalised', row: compileCondition(cond, fail, conditions), conditions };
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
    // Byte search on the undecoded line: no string is made for a line that is dropped. Within the line only: a
    // search from `start` to the end of the chunk would cost a whole chunk per line for a rare needle.
    const needle = Buffer.from(r.contains, 'utf8');
    return (buf, start, end) => buf.subarray(start, end).indexOf(needle) !== -1;
  }
  if (typeof r.regex === 'string') {
    const re = compileLinear(r.regex, fail);
    const required = literalPrefilter(re);
    const test = prefixSearch(re) ?? ((line: Buffer) => re.test(line));
    // RE2 reads UTF-8 bytes itself: the line is tested where it lies, without a string made of it.
    return required
      ? (buf, start, end) => {
          const line = buf.subarray(start, end);
          return required(line) && test(line);
        }
      : (buf, start, end) => test(buf.subarray(start, end));
  }
  return fail('raw.contains / raw.regex must be a string');
}

/** re2js's literal prefilter (not in its typings): literals any match must contain. Version pinned in package.json. */
interface PrefilterNode {
  type: number;
  subs: PrefilterNode[];
  bytes: ArrayLike<number> | null;
}
const PF_EXACT = 1;
const PF_AND = 2;
const PF_OR = 3;
const MAX_ALTERNATIVES = 16;

/**
 * The literals RE2 itself requires of a match (e.g. `"Status":5` and one of `health` / `ready`), searched with
 * Buffer.indexOf (native) before the engine runs: most lines lack them, and re2js searches them in JavaScript,
 * up to ten times slower. A necessary condition only, so the result is the engine's; undefined when the pattern
 * has no such literals (case-insensitive ones, for instance).
 */
function literalPrefilter(re: RE2JS): ((line: Buffer) => boolean) | undefined {
  const root = (re.re2() as unknown as { prefilter?: PrefilterNode | null }).prefilter;
  return root ? nativePrefilter(root) : undefined;
}

/** Anchored tries at occurrences of the prefix before one unanchored search: at most this many + 1 passes over a line. */
const MAX_ANCHORED_TRIES = 8;

/**
 * A pattern with a literal prefix (`"ClientCountry":"(us|ca)"`) matches only where the prefix occurs, and re2js's
 * unanchored search steps through the whole line in JavaScript (16x slower than RegExp on such a pattern). So the
 * prefix is found with Buffer.indexOf and the pattern tried anchored there, where a mismatch ends within a few
 * bytes. The tries are bounded, then one unanchored search from the next occurrence decides: linear still.
 * Context before a match does not matter: a program with a literal prefix begins with it, not with `^` or `\b`.
 */
function prefixSearch(re: RE2JS): ((line: Buffer) => boolean) | undefined {
  const re2 = re.re2();
  const prefix = (re2 as unknown as { prefix?: unknown }).prefix;
  if (typeof prefix !== 'string' || prefix === '') return undefined;
  const needle = Buffer.from(prefix, 'utf8');
  return (line) => {
    let at = line.indexOf(needle);
    for (let tries = 0; at !== -1; tries++) {
      const rest = line.subarray(at);
      if (tries === MAX_ANCHORED_TRIES) return re.test(rest);
      // Anchored at the start of `rest`, no groups: RE2's DFA, which stops at the first match or dead end.
      if ((re2.matchWithGroup(rest, 0, rest.length, RE2Set.ANCHOR_START, 0) as [boolean, unknown])[0]) return true;
      at = line.indexOf(needle, at + 1);
    }
    return false;
  };
}

function nativePrefilter(n: PrefilterNode): ((line: Buffer) => boolean) | undefined {
  if (!n || !Array.isArray(n.subs)) return undefined;
  if (n.type === PF_EXACT) {
    if (!n.bytes || n.bytes.length === 0) return undefined;
    const needle = Buffer.from(Array.from(n.bytes));
    return (line) => line.indexOf(needle) !== -1;
  }
  const subs = n.subs.map(nativePrefilter);
  if (n.type === PF_AND) {
    const all = subs.filter((t): t is (line: Buffer) => boolean => t !== undefined);
    if (all.length === 0) return undefined;
    return (line) => {
      for (const t of all) if (!t(line)) return false;
      return true;
    };
  }
  if (n.type === PF_OR) {
    // An alternative without a literal can match anything: then so can the OR.
    if (subs.length === 0 || subs.length > MAX_ALTERNATIVES || subs.some((t) => t === undefined)) return undefined;
    const any = subs as ((line: Buffer) => boolean)[];
    return (line) => {
      for (const t of any) if (t(line)) return true;
      return false;
    };
  }
  return undefined;
}

const OPERATORS = [
  'equals', 'not_equals', 'in', 'not_in', 'contains', 'starts_with', 'ends_with', 'regex',
  'gt', 'gte', 'lt', 'lte', 'exists', 'not_exists', 'cidr',
] as const;
export type Operator = (typeof OPERATORS)[number];

function compileCondition(c: unknown, fail: (m: string) => never, conditions: FieldCondition[]): RowTestFactory {
  if (typeof c !== 'object' || c === null || Array.isArray(c)) return fail('a condition must be a mapping');
  const o = c as Record<string, unknown>;
  if ('all' in o || 'any' in o) {
    const key = 'all' in o ? 'all' : 'any';
    const list = o[key];
    if (Object.keys(o).length !== 1 || !Array.isArray(list) || list.length === 0) fail(`${key} takes a non-empty list and nothing else`);
    const factories = (list as unknown[]).map((x) => compileCondition(x, fail, conditions));
    return (columnOf) => {
      const tests = factories.map((f) => f(columnOf));
      return key === 'all' ? (cols) => tests.every((t) => t(cols)) : (cols) => tests.some((t) => t(cols));
    };
  }
  if ('not' in o) {
    if (Object.keys(o).length !== 1) fail('not takes one condition and nothing else');
    const factory = compileCondition(o.not, fail, conditions);
    return (columnOf) => {
      const t = factory(columnOf);
      return (cols) => !t(cols);
    };
  }
  if (typeof o.field !== 'string' || o.field === '') return fail('a condition needs field (or all / any / not)');
  const ops = Object.keys(o).filter((k) => k !== 'field');
  if (ops.length !== 1) fail(`give exactly one operator (${OPERATORS.join(', ')})`);
  const op = ops[0] as string;
  if (!(OPERATORS as readonly string[]).includes(op)) fail(`unknown operator ${op} (${OPERATORS.join(', ')})`);
  const field = o.field;
  const test = compileOperator(op as Operator, o[op], fail);
  conditions.push({ field, op: op as Operator, arg: o[op] });
  return (columnOf) => test(fieldGetter(field, columnOf));
}

/** `RequestHeaders.user-agent`: the column, then keys inside a JSON column. */
function fieldGetter(path: string, columnOf: ColumnIndex): Get {
  const [head, ...rest] = path.split('.');
  const i = columnOf(head as string);
  // The router refuses a filter on a column its log type lacks; this keeps a test of one honest all the same.
  if (i === undefined) return () => undefined;
  const column: Get = (cols) => (cols.state[i] !== ABSENT_COLUMN ? cols.values[i] : undefined);
  if (rest.length === 0) return column;
  return (cols) => {
    let v: unknown = column(cols);
    for (const k of rest) {
      if (typeof v !== 'object' || v === null || !Object.prototype.hasOwnProperty.call(v, k)) return undefined;
      v = (v as Record<string, unknown>)[k];
    }
    return v;
  };
}

type Get = (cols: Columns) => unknown;

/** Checks the operator's argument now; the returned function makes the test once the field's getter is known. */
function compileOperator(op: Operator, arg: unknown, fail: (m: string) => never): (get: Get) => RowTest {
  const scalar = (a: unknown): string | number | boolean =>
    typeof a === 'string' || typeof a === 'number' || typeof a === 'boolean' ? a : fail(`${op} takes a string, number or boolean`);
  const text = (a: unknown): string => (typeof a === 'string' ? a : fail(`${op} takes a string`));
  switch (op) {
    case 'equals': {
      const want = scalar(arg);
      return (get) => (cols) => same(get(cols), want);
    }
    case 'not_equals': {
      const want = scalar(arg);
      return (get) => (cols) => !same(get(cols), want);
    }
    case 'in':
    case 'not_in': {
      if (!Array.isArray(arg) || arg.length === 0) fail(`${op} takes a non-empty list`);
      const wants = (arg as unknown[]).map(scalar);
      return (get) => {
        const inList = (cols: Columns) => {
          const v = get(cols);
          return wants.some((w) => same(v, w));
        };
        return op === 'in' ? inList : (cols) => !inList(cols);
      };
    }
    case 'contains': {
      const want = text(arg);
      return (get) => (cols) => {
        const v = get(cols);
        if (typeof v === 'string') return v.includes(want);
        if (Array.isArray(v)) return v.some((e) => e === want);
        return false;
      };
    }
    case 'starts_with': {
      const want = text(arg);
      return (get) => (cols) => {
        const v = get(cols);
        return typeof v === 'string' && v.startsWith(want);
      };
    }
    case 'ends_with': {
      const want = text(arg);
      return (get) => (cols) => {
        const v = get(cols);
        return typeof v === 'string' && v.endsWith(want);
      };
    }
    case 'regex': {
      const re = compileLinear(text(arg), fail);
      return (get) => (cols) => {
        const v = get(cols);
        return typeof v === 'string' && re.test(v);
      };
    }
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const bound = comparable(arg, fail, op);
      const cmp = { gt: (d: number) => d > 0, gte: (d: number) => d >= 0, lt: (d: number) => d < 0, lte: (d: number) => d <= 0 }[op];
      return (get) => (cols) => {
        const v = get(cols);
        if (typeof bound === 'number') return typeof v === 'number' && cmp(v - bound);
        // Output timestamps have a fixed width, so string order is time order.
        return typeof v === 'string' && cmp(v < bound ? -1 : v > bound ? 1 : 0);
      };
    }
    case 'exists':
    case 'not_exists': {
      if (arg !== true) fail(`${op} takes true`);
      return op === 'exists' ? (get) => (cols) => get(cols) !== undefined : (get) => (cols) => get(cols) === undefined;
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
      return (get) => (cols) => {
        const v = get(cols);
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

/**
 * Why a filter cannot work on the rows of this log type, or undefined. A normalised filter sees each column as the
 * normaliser leaves it (lib/record/normalise.ts): string -> string, smallint / int / bigint -> a safe integer
 * (number), float -> number, boolean -> boolean, timestamp -> its output text `YYYY-MM-DD HH:MM:SS.fffffffff`,
 * json -> the JSON value as parsed, array -> an array of its element's values. A condition that can never hold
 * on those values (a misspelt field, `equals: "200"` on a smallint) would silently keep or drop every line.
 */
export function schemaProblem(f: CompiledFilter, schema: LogSchema): string | undefined {
  for (const c of f.conditions) {
    const problem = conditionProblem(c, schema);
    if (problem !== undefined) return `${f.label}: ${problem}`;
  }
  return undefined;
}

function conditionProblem(c: FieldCondition, schema: LogSchema): string | undefined {
  const [head, ...rest] = c.field.split('.') as [string, ...string[]];
  const col = schema.fields.find((f) => f.name === head);
  if (!col) return `field ${c.field}: ${head} is not a column of ${schema.logType}${suggestion(head, schema)}`;
  const type = typeName(col);
  const column = `${head}, ${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type} column of ${schema.logType}`;
  if (rest.length > 0) {
    // Keys inside a JSON value: their types are not in the schema, every operator may hold.
    return col.type === 'json' ? undefined : `field ${c.field}: only json columns have keys inside, and ${column} has none`;
  }
  if (col.type === 'json') return undefined;
  const never = (why: string): string => `${c.op} ${JSON.stringify(c.arg)} never holds on ${column}: ${why}`;
  const element = col.type === 'array' ? (col.element?.type ?? 'string') : undefined;
  switch (c.op) {
    case 'exists':
    case 'not_exists':
      return undefined;
    case 'equals':
    case 'not_equals':
    case 'in':
    case 'not_in': {
      for (const want of Array.isArray(c.arg) ? (c.arg as unknown[]) : [c.arg]) {
        const why = equalsProblem(col, want);
        if (why !== undefined) return never(why);
      }
      return undefined;
    }
    case 'contains':
      if (col.type === 'string' || col.type === 'timestamp' || element === 'string' || element === 'timestamp') return undefined;
      return never(element ? `contains finds a string in an array of strings, and this array holds ${element} values` : 'contains takes a string or string-array column');
    case 'starts_with':
    case 'ends_with':
    case 'regex':
      return col.type === 'string' || col.type === 'timestamp' ? undefined : never(`${c.op} takes a string column`);
    case 'cidr':
      return col.type === 'string' ? undefined : never('cidr takes a string column holding IP addresses');
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      if (isNumeric(col.type)) return typeof c.arg === 'number' ? undefined : never('compare it with a number (no quotes)');
      if (col.type === 'timestamp') {
        return typeof c.arg === 'string' ? undefined : never('compare it with a timestamp string, such as "2026-11-01T10:00:00Z"');
      }
      return never(`${c.op} takes a number or timestamp column`);
  }
}

const INT_RANGES: Partial<Record<string, [number, number]>> = {
  smallint: [-32768, 32767],
  int: [-2147483648, 2147483647],
  bigint: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

/** Why a row's value in this column can never equal `want`, or undefined. */
function equalsProblem(col: FieldSpec, want: unknown): string | undefined {
  const range = INT_RANGES[col.type];
  if (range) {
    if (typeof want === 'string' && want.trim() !== '' && Number.isFinite(Number(want))) return `the column holds numbers: write ${want.trim()} without quotes`;
    if (typeof want !== 'number' || !Number.isInteger(want)) return 'the column holds integers';
    // Beyond 2^53 the config's own number was rounded when it was read, and the column holds safe integers only.
    if (want < range[0] || want > range[1]) return `the column holds integers from ${range[0]} to ${range[1]}`;
    return undefined;
  }
  switch (col.type) {
    case 'float':
      return typeof want === 'number' ? undefined : 'the column holds numbers: write the value without quotes';
    case 'boolean':
      return typeof want === 'boolean' ? undefined : 'the column holds true or false (no quotes)';
    case 'string':
      return typeof want === 'string' ? undefined : `the column holds strings: write ${JSON.stringify(String(want))}`;
    case 'timestamp': {
      const ts = typeof want === 'string' || typeof want === 'number' ? parseCloudflareTime(want) : undefined;
      if (ts === undefined) return 'the column holds timestamps';
      // Rows hold the output form; equality with another spelling of the same time would never hold.
      return ts === want ? undefined : `rows hold timestamps as "${ts}" (UTC, nine digits): write that, or use gte / lt for a range`;
    }
    case 'array':
      return 'the column holds arrays: use contains to test an element';
    default:
      return undefined;
  }
}

function isNumeric(t: FieldSpec['type']): boolean {
  return t === 'smallint' || t === 'int' || t === 'bigint' || t === 'float';
}

function typeName(col: FieldSpec): string {
  return col.type === 'array' ? `array<${col.element?.type ?? 'string'}>` : col.type;
}

/** `(did you mean ClientIP?)` for a different case or an input alias of a column. */
function suggestion(name: string, schema: LogSchema): string {
  const lower = name.toLowerCase();
  const hit = schema.fields.find((f) => f.name.toLowerCase() === lower || f.aliases.some((a) => a.toLowerCase() === lower));
  return hit ? ` (did you mean ${hit.name}?)` : '';
}
