import type { FieldSpec, Indicator, LogSchema } from '../schema/model';
import { type Columns, missing, type NormaliseFailure, TEXT_IN_LINE } from './columns';
import { converterFor, type Converter, Invalid, type LineSource } from './converters';
import { keep, withUnknown } from './stored-json';

/**
 * The normaliser of one schema, built once from the YAML: a converter per field, and the runtime that generated code
 * calls back into.
 */

export interface FieldPlan {
  name: string;
  /** Position in the schema (and in Columns). */
  index: number;
  type: FieldSpec['type'];
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
  /** The scanner's mark for text left in the line. */
  inLine: typeof TEXT_IN_LINE;
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

/**
 * Fills `cols` from the values of a scanned line, by column (lib/record/scan.ts), with the key each column with aliases
 * was found under, as CompiledNormaliser would from its record; true when the line must be read the general way instead (it would be refused, or the validator decides).
 */
export type ScannedNormaliser = (vals: readonly unknown[], keys: readonly string[], src: LineSource, rt: NormaliserRuntime, cols: Columns) => boolean;

export interface NormalisePlan {
  logType: string;
  table: string;
  fields: FieldPlan[];
  known: Set<string>;
  eventTimeField: string;
  /** Indicator fields only, so the row writer and the rules' view do not walk every column. */
  indicatorFields: FieldPlan[];
  /** Per column: a json column, whose value the row writer writes as the input's JSON. */
  jsonColumns: boolean[];
  compiled?: CompiledNormaliser;
  /** The same normaliser for scanned lines; the build makes both. */
  scanned?: ScannedNormaliser;
  rt: NormaliserRuntime;
}

export function buildPlan(schema: LogSchema, compiled?: CompiledNormaliser, scanned?: ScannedNormaliser): NormalisePlan {
  const fields = schema.fields.map((f, index): FieldPlan => ({
    name: f.name,
    type: f.type,
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
    inLine: TEXT_IN_LINE,
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
    ...(scanned ? { scanned } : {}),
    rt,
  };
}

/** A column's position in Columns by its name (for filters bound to a log type). */
export function columnIndexOf(plan: NormalisePlan): (name: string) => number | undefined {
  const at = new Map(plan.fields.map((f) => [f.name, f.index]));
  return (name) => at.get(name);
}
