import { integerRange, type FieldSpec, type LogSchema } from '../schema/model';
import { parseCloudflareTime } from '../record/timestamps';
import type { FieldCondition } from './condition';
import type { CompiledFilter } from './filters';

/**
 * Why a filter cannot work on the rows of this log type, or undefined. A normalised filter sees each column as the
 * normaliser leaves it (lib/record/converters.ts): string -> string, smallint / int / bigint -> a safe integer
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

/** Why a row's value in this column can never equal `want`, or undefined. */
function equalsProblem(col: FieldSpec, want: unknown): string | undefined {
  const range = integerRange(col.type);
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
