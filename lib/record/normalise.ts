import type { FieldSpec, Indicator, LogSchema, ScalarType, TimeFormat } from '../schema/model';
import { exactFieldsOf, ExactFields, exactIntegerText, ExactNumber } from './json';
import {
  fromIntegerDigits,
  fromNumber,
  fromRfc3339,
  NOT_INTEGER_NANOS,
  parseCloudflareTime,
  parseHttpDate,
  whyNotCloudflareTime,
  whyNotHttpDate,
  whyNotRfc3339,
} from './timestamps';

/**
 * Turns a validated record into typed columns: each column gets one JSON type in every row (Parquet needs it),
 * timestamps become the output text form, and null means absent (omitted, never null-filled). An empty string
 * is a value in a string column (Cloudflare sends "" for "none", and Panther keeps it) but absent in a number,
 * boolean or timestamp column, which cannot hold it.
 * Built once per schema from the YAML. Per row, the build's generated normaliser (lib/codegen/normalisers.ts) runs
 * when there is one; the generic loop below is the reference it is tested against, and serves schemas that
 * were not compiled.
 */

/** Returned by a converter for a value it cannot accept; carries the reason for the reject. */
export class Invalid {
  constructor(readonly reason: 'schema' | 'invalid_timestamp', readonly detail: string) {}
}
const ABSENT = undefined;

/**
 * Where a converter finds the literal digits of a top-level integer JSON.parse rounded (unixnano timestamps):
 * a search of the line's text, or the field positions the fast path has already scanned (lib/record/fields.ts).
 */
export interface LineSource {
  integerText(key: string, parsed: number): string | undefined;
  /**
   * Top-level field `key` read again from the text, with the numbers JSON.parse rounded as ExactNumber; undefined
   * when it holds none (lib/record/json.ts).
   */
  exactValue(key: string): unknown;
}

/** The reference source: searches the text (lib/record/json.ts). */
export function textSource(line: string): LineSource {
  let exact: ExactFields | undefined;
  return {
    integerText: (key, parsed) => exactIntegerText(line, key, parsed),
    exactValue: (key) => (exact ??= exactFieldsOf(line)).get(key),
  };
}

/** For values that are never recovered from text (array elements: their array's converter reads them). */
const NO_SOURCE: LineSource = { integerText: () => undefined, exactValue: () => undefined };

type Converter = (v: unknown, src: LineSource, key: string) => unknown;

/** A column holds nothing, the input's value as it came (its JSON text can be copied), or a converted value. */
export const ABSENT_COLUMN = 0;
export const AS_IS = 1;
export const CONVERTED = 2;

/**
 * One record's columns, in schema order: what the normaliser fills and the row writer reads. Reused from line to
 * line of an input, so a row costs no object of its own; `values` of absent columns are stale, never read.
 */
export class Columns {
  readonly state: Uint8Array;
  readonly values: unknown[];
  /** Input fields the schema does not know, or undefined when there are none. */
  unknown: Record<string, unknown> | undefined = undefined;
  /**
   * Optional fields whose value does not fit their column, as received (field -> value), or undefined when there
   * are none: the row keeps them in p_invalid_fields instead of being rejected for them.
   */
  invalid: Record<string, unknown> | undefined = undefined;
  eventTime: string | undefined = undefined;
  constructor(count: number) {
    this.state = new Uint8Array(count);
    this.values = new Array<unknown>(count).fill(undefined);
  }
}

export interface FieldPlan {
  name: string;
  /** Position in the schema (and in Columns). */
  index: number;
  /** Input names to look under: the column name, then its aliases. */
  inputs: string[];
  convert: Converter;
  required: boolean;
  /** A json column: an explicit JSON null is a value it keeps, not an absent field. */
  keepsNull: boolean;
  indicators: Indicator[];
}

/** What a generated normaliser calls back into. */
export interface NormaliserRuntime {
  conv: Converter[];
  Invalid: typeof Invalid;
  fail(c: Invalid, key: string): NormaliseFailure;
  /** An optional field's value that does not fit its column: kept in cols.invalid, or a failure if unstorable. */
  keep(key: string, v: unknown, cols: Columns): NormaliseFailure | undefined;
  missing(name: string): NormaliseFailure;
  finish(raw: Record<string, unknown>, matched: number, eventTime: string | undefined, cols: Columns): NormaliseFailure | undefined;
  allStrings(a: unknown[]): boolean;
  allSafeIntegers(a: unknown[]): boolean;
}

/** Fills `cols` from a validated record; a failure when the record cannot be a row. */
export type CompiledNormaliser = (raw: Record<string, unknown>, src: LineSource, rt: NormaliserRuntime, cols: Columns) => NormaliseFailure | undefined;

export interface NormalisePlan {
  logType: string;
  table: string;
  fields: FieldPlan[];
  known: Set<string>;
  eventTimeField: string;
  /** Indicator fields only, so the enricher does not walk every column. */
  indicatorFields: FieldPlan[];
  /** Per column: a json column, whose value the row writer writes as the input's JSON. */
  jsonColumns: boolean[];
  compiled?: CompiledNormaliser;
  rt: NormaliserRuntime;
}

export function buildPlan(schema: LogSchema, compiled?: CompiledNormaliser): NormalisePlan {
  const fields = schema.fields.map((f, index): FieldPlan => ({
    name: f.name,
    index,
    inputs: [f.name, ...f.aliases],
    convert: converterFor(f),
    required: f.required,
    keepsNull: f.type === 'json',
    indicators: f.indicators,
  }));
  const known = new Set<string>();
  for (const f of fields) for (const n of f.inputs) known.add(n);
  const rt: NormaliserRuntime = {
    conv: fields.map((f) => f.convert),
    Invalid,
    fail: (c, key) => ({ reason: c.reason, message: `${key}: ${c.detail}` }),
    keep,
    missing,
    allStrings: (a) => {
      for (let i = 0; i < a.length; i++) if (typeof a[i] !== 'string') return false;
      return true;
    },
    allSafeIntegers: (a) => {
      for (let i = 0; i < a.length; i++) if (!Number.isSafeInteger(a[i])) return false;
      return true;
    },
    finish: (raw, matched, eventTime, cols) => {
      cols.eventTime = eventTime;
      // Every input key was a column: nothing unknown to look for.
      if (Object.keys(raw).length === matched) {
        cols.unknown = undefined;
        return undefined;
      }
      return withUnknown(known, raw, cols);
    },
  };
  return {
    logType: schema.logType,
    table: schema.table,
    fields,
    known,
    eventTimeField: schema.eventTimeField,
    indicatorFields: fields.filter((f) => f.indicators.length > 0),
    jsonColumns: schema.fields.map((f) => f.type === 'json'),
    ...(compiled ? { compiled } : {}),
    rt,
  };
}

/**
 * Schema drift costs no row: an optional field whose value does not fit its column (`"BotTags":"bing"` where an
 * array of objects is expected, a word in a number column) is kept as received in p_invalid_fields. Only a value
 * no reader could take (nested deeper than 32 levels, a number beyond double range) still refuses the row, as in
 * p_unknown_fields. Null prototype: a `__proto__` field name stays a plain key.
 */
function keep(key: string, v: unknown, cols: Columns): NormaliseFailure | undefined {
  const bad = unfitJson(v, 1);
  if (bad !== undefined) return { reason: 'schema', message: `${key}: ${bad}` };
  (cols.invalid ??= Object.create(null) as Record<string, unknown>)[key] = v;
  return undefined;
}

function missing(name: string): NormaliseFailure {
  return { reason: 'missing_required', message: `${name}: required field is missing, null or empty` };
}

export type NormaliseFailure = { reason: 'schema' | 'invalid_timestamp' | 'missing_required'; message: string };

/** Fills `cols` from a validated record (the generated normaliser when the build has one). */
export function fillColumns(plan: NormalisePlan, raw: Record<string, unknown>, src: LineSource, cols: Columns): NormaliseFailure | undefined {
  return plan.compiled ? plan.compiled(raw, src, plan.rt, cols) : fillGeneric(plan, raw, src, cols);
}

/** A column's position in Columns by its name (for filters bound to a log type). */
export function columnIndexOf(plan: NormalisePlan): (name: string) => number | undefined {
  const at = new Map(plan.fields.map((f) => [f.name, f.index]));
  return (name) => at.get(name);
}

/** The generic loop over the plan's fields: for schemas without a generated normaliser, and as the reference. */
export function fillGeneric(plan: NormalisePlan, raw: Record<string, unknown>, src: LineSource, cols: Columns): NormaliseFailure | undefined {
  let eventTime: string | undefined;
  cols.invalid = undefined;
  for (const f of plan.fields) {
    cols.state[f.index] = ABSENT_COLUMN;
    let v = raw[f.name];
    let key = f.name;
    if (v === undefined && f.inputs.length > 1) {
      for (let i = 1; i < f.inputs.length && v === undefined; i++) {
        key = f.inputs[i] as string;
        v = raw[key];
      }
    }
    if (v !== undefined && (v !== null || (f.keepsNull && !f.required))) {
      const c = f.convert(v, src, key);
      if (c instanceof Invalid) {
        if (f.required) return { reason: c.reason, message: `${key}: ${c.detail}` };
        const failure = keep(key, v, cols);
        if (failure) return failure;
        continue;
      }
      // A required field must say something: "" in a required column (an audit ID) is as good as missing.
      if (c !== ABSENT && !(c === '' && f.required)) {
        // The generated code's fast checks accept exactly the values converters return unchanged.
        cols.state[f.index] = c === v ? AS_IS : CONVERTED;
        cols.values[f.index] = c;
        if (f.name === plan.eventTimeField) eventTime = c as string;
        continue;
      }
    }
    if (f.required) return missing(f.name);
  }
  cols.eventTime = eventTime;
  cols.unknown = undefined;
  return withUnknown(plan.known, raw, cols);
}

function withUnknown(known: Set<string>, raw: Record<string, unknown>, cols: Columns): NormaliseFailure | undefined {
  let unknown: Record<string, unknown> | undefined;
  for (const k in raw) {
    if (!known.has(k)) {
      // Null prototype: a `__proto__` key stays a plain key and cannot reach Object.prototype.
      if (unknown === undefined) unknown = Object.create(null) as Record<string, unknown>;
      const v = raw[k];
      const bad = unfitJson(v, 1);
      if (bad !== undefined) return { reason: 'schema', message: `${k}: ${bad}` };
      unknown[k] = v;
    }
  }
  cols.unknown = unknown;
  return undefined;
}

function converterFor(f: FieldSpec): Converter {
  if (f.type === 'array') {
    const type = f.element?.type ?? 'string';
    const el = scalarConverter(type, f.element?.timeFormats ?? []);
    return (value, src, key) => {
      // A scalar where a list is expected (a job that sends one value bare) is a list of one.
      const wrapped = !Array.isArray(value);
      const v: unknown[] = wrapped ? [value] : (value as unknown[]);
      if (v.length > MAX_ITEMS) return new Invalid('schema', `more than ${MAX_ITEMS} items`);
      const out: unknown[] = new Array(v.length);
      // The array read again from the text, once, when a number becomes a string element.
      let exact: unknown = null;
      for (let i = 0; i < v.length; i++) {
        const e = v[i];
        if (e === null || e === undefined) {
          out[i] = null;
          continue;
        }
        if (type === 'string' && typeof e === 'number') {
          if (exact === null) exact = src.exactValue(key);
          const x = wrapped ? exact : Array.isArray(exact) ? (exact[i] as unknown) : undefined;
          if (x instanceof ExactNumber) {
            out[i] = x.text;
            continue;
          }
        }
        // Integers are not recovered from text: an unsafe integer in a bigint array is out of range.
        const c = el(e, NO_SOURCE, key);
        if (c instanceof Invalid) return new Invalid(c.reason, `[${i}] ${c.detail}`);
        out[i] = c === ABSENT ? null : c;
      }
      return out;
    };
  }
  return scalarConverter(f.type, f.timeFormats);
}

/** The text forms a number column reads from a string (what JSON writes, digits only, no hex or Infinity). */
const INTEGER_TEXT = /^-?[0-9]{1,19}$/;
const FLOAT_TEXT = /^-?[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?$/;

/** Items an array column holds at most: a longer list is kept in p_invalid_fields, not as a column. */
export const MAX_ITEMS = 10000;

const INT_LIMITS: Partial<Record<ScalarType, [number, number]>> = {
  smallint: [-32768, 32767],
  int: [-2147483648, 2147483647],
  bigint: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

function scalarConverter(type: ScalarType, timeFormats: TimeFormat[]): Converter {
  switch (type) {
    case 'string':
      return (v, src, key) => {
        if (typeof v === 'string') return v;
        if (typeof v === 'number') {
          // 1e400: JSON.parse made it Infinity, and the text of a number that no reader can hold is no column value.
          if (!Number.isFinite(v)) return new Invalid('schema', 'number out of range');
          // A number where text is expected becomes its text: the digits received when the double lost some.
          const exact = src.exactValue(key);
          return exact instanceof ExactNumber ? exact.text : String(v);
        }
        if (typeof v === 'boolean') return String(v);
        return new Invalid('schema', `must be a string, got ${kindOf(v)}`);
      };
    case 'boolean':
      return (v) => {
        if (typeof v === 'boolean') return v;
        if (v === 'true') return true;
        if (v === 'false') return false;
        if (v === '') return ABSENT;
        return new Invalid('schema', `must be a boolean, got ${kindOf(v)}`);
      };
    case 'bigint':
    case 'int':
    case 'smallint': {
      const [min, max] = INT_LIMITS[type] as [number, number];
      return (v) => {
        let n: number;
        if (typeof v === 'number') n = v;
        else if (typeof v === 'string') {
          const t = v.trim();
          if (t === '') return ABSENT;
          // Decimal digits only: Number() would also take "0x1A", "1e3" and "131.0".
          if (!INTEGER_TEXT.test(t)) return new Invalid('schema', `must be an integer, got ${kindOf(v)}`);
          n = Number(t);
        } else return new Invalid('schema', `must be an integer, got ${kindOf(v)}`);
        if (!Number.isInteger(n)) return new Invalid('schema', `must be an integer, got ${kindOf(v)}`);
        if (n < min || n > max) return new Invalid('schema', `integer out of range for ${type}`);
        return n;
      };
    }
    case 'float':
      return (v) => {
        if (typeof v === 'number') return Number.isFinite(v) ? v : new Invalid('schema', 'number out of range');
        if (typeof v === 'string') {
          const t = v.trim();
          if (t === '') return ABSENT;
          const n = FLOAT_TEXT.test(t) ? Number(t) : NaN;
          if (Number.isFinite(n)) return n;
        }
        return new Invalid('schema', `must be a number, got ${kindOf(v)}`);
      };
    case 'timestamp':
      return timestampConverter(timeFormats);
    case 'json':
      return (v) => {
        const bad = unfitJson(v, 1);
        return bad === undefined ? v : new Invalid('schema', bad);
      };
  }
}

function timestampConverter(formats: TimeFormat[]): Converter {
  const parsers = formats.map((f): Converter => {
    switch (f) {
      case 'cloudflare':
      case 'unix':
        return (v, src, key) => {
          if (typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v)) {
            const exact = src.integerText(key, v);
            if (exact !== undefined) return fromIntegerDigits(exact);
            // Not integer digits in the text (a fraction or an exponent), and JSON.parse has rounded the value:
            // refused rather than read to the nearest double (1506702504433000200.5 is not .433000192).
            return src === NO_SOURCE ? fromNumber(v) : undefined;
          }
          return parseCloudflareTime(v);
        };
      case 'rfc3339':
        return (v) => (typeof v === 'string' ? fromRfc3339(v.trim()) : undefined);
      case 'rfc1123':
        return (v) => parseHttpDate(v);
    }
  });
  return (v, src, key) => {
    if (v === '') return ABSENT;
    for (const p of parsers) {
      const ts = p(v, src, key);
      if (ts !== undefined) return ts;
    }
    return new Invalid('invalid_timestamp', whyNotTimestamp(formats, v, src, key));
  };
}

/** The reject message for a value no parser of the column read: the first format it is shaped like says why. */
function whyNotTimestamp(formats: TimeFormat[], v: unknown, src: LineSource, key: string): string {
  for (const f of formats) {
    let why: string | undefined;
    if (f === 'rfc3339') why = typeof v === 'string' ? whyNotRfc3339(v.trim()) : undefined;
    else if (f === 'rfc1123') why = whyNotHttpDate(v);
    else if (typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v) && src !== NO_SOURCE) {
      const exact = src.integerText(key, v);
      why = exact === undefined ? NOT_INTEGER_NANOS : whyNotCloudflareTime(v, exact);
    } else why = whyNotCloudflareTime(v);
    if (why !== undefined) return why;
  }
  return `cannot read ${kindOf(v)} as a timestamp (${formats.join(', ')})`;
}

/** For messages: the kind of value, never the value (it may be personal data). */
export function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return /^\s*-?\d/.test(v) ? 'a malformed number in a string' : 'a string';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'number') return Number.isInteger(v) ? 'an integer' : 'a fractional number';
  return `a ${typeof v}`;
}

/**
 * Why a JSON value cannot be stored as it came, or undefined. Downstream readers (Glue, DuckDB, analysts' JSON
 * tools) choke on pathological nesting; and a number beyond double range (1e400) parses as Infinity, which
 * JSON.stringify would silently write as null.
 */
export const MAX_DEPTH = 32;
function unfitJson(v: unknown, depth: number): string | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? undefined : 'number out of range';
  if (typeof v !== 'object' || v === null) return undefined;
  if (depth > MAX_DEPTH) return `nests deeper than ${MAX_DEPTH} levels`;
  if (Array.isArray(v)) {
    for (const x of v) {
      if (typeof x === 'number' || (typeof x === 'object' && x !== null)) {
        const bad = unfitJson(x, depth + 1);
        if (bad !== undefined) return bad;
      }
    }
    return undefined;
  }
  for (const k in v) {
    const x = (v as Record<string, unknown>)[k];
    if (typeof x === 'number' || (typeof x === 'object' && x !== null)) {
      const bad = unfitJson(x, depth + 1);
      if (bad !== undefined) return bad;
    }
  }
  return undefined;
}
