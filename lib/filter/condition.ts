import { BlockList, isIP } from 'node:net';
import { compileLinear } from '../regex';
import type { Columns } from '../record/normalise';
import { parseCloudflareTime } from '../record/timestamps';

/** The conditions of normalised filters: each is compiled once, then bound to a log type's columns per input. */

export type Condition =
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition }
  | { field: string; [op: string]: unknown };

/** A normalised filter's test, on the columns the parser filled (no object is built per row). */
export type RowTest = (cols: Columns) => boolean;
/** A column's position in the log type's Columns, or undefined when the schema has no such column. */
export type ColumnIndex = (name: string) => number | undefined;
/**
 * Filters are compiled before the log type is known (a global filter may serve several): field names are
 * bound to column positions once per input, by `FilterSet.bind`.
 */
export type RowTestFactory = (columnOf: ColumnIndex) => RowTest;

/** One `{ field, <operator>: value }` leaf of a normalised filter, kept for the check against a log type's schema. */
export interface FieldCondition {
  field: string;
  op: Operator;
  arg: unknown;
}

const OPERATORS = [
  'equals', 'not_equals', 'in', 'not_in', 'contains', 'starts_with', 'ends_with', 'regex',
  'gt', 'gte', 'lt', 'lte', 'exists', 'not_exists', 'cidr',
] as const;
export type Operator = (typeof OPERATORS)[number];

export function compileCondition(c: unknown, fail: (m: string) => never, conditions: FieldCondition[]): RowTestFactory {
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
  const column: Get = (cols) => cols.value(i);
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
