/**
 * Reference implementations, for tests and the benchmark only: a line -> a row object -> JSON.stringify, the
 * plain way. The pipeline does not run these: it fills reused Columns (lib/record/parser.ts LineParser) and
 * RowWriter writes the row text from them (lib/row/writer.ts). Tests hold the pipeline to these, byte for byte.
 */
import { LineReject, parseRecord } from '../lib/record/parser';
import { ABSENT_COLUMN, Columns, fillColumns, fillGeneric, NormaliseFailure, NormalisePlan, textSource } from '../lib/record/normalise';
import type { LogTypeEntry } from '../lib/record/registry';
import { P } from '../lib/row/contract';
import { IndicatorSet } from '../lib/row/indicators';
import { EnrichContext, EnrichedRow, rowId } from '../lib/row/writer';

export interface Normalised {
  /** Columns in schema order. */
  row: Record<string, unknown>;
  /** Input fields the schema does not know, or undefined when there are none. */
  unknown: Record<string, unknown> | undefined;
  /** Optional fields whose value did not fit, as received, or undefined when there are none. */
  invalid: Record<string, unknown> | undefined;
  eventTime: string | undefined;
}

export type LineResult = { ok: true; value: Normalised } | { ok: false; reject: LineReject };

export function isFailure(r: Normalised | NormaliseFailure): r is NormaliseFailure {
  return (r as NormaliseFailure).reason !== undefined;
}

/** A record as a row object in schema order, through the generated normaliser when the build has one. */
export function normalise(plan: NormalisePlan, raw: Record<string, unknown>, line: string): Normalised | NormaliseFailure {
  const cols = new Columns(plan.fields.length);
  return fillColumns(plan, raw, textSource(line), cols) ?? normalisedOf(plan, cols);
}

/** The same through the generic loop: the reference the generated normaliser is tested against. */
export function normaliseGeneric(plan: NormalisePlan, raw: Record<string, unknown>, line: string): Normalised | NormaliseFailure {
  const cols = new Columns(plan.fields.length);
  return fillGeneric(plan, raw, textSource(line), cols) ?? normalisedOf(plan, cols);
}

/** The columns as an object in schema order. */
export function rowOf(plan: NormalisePlan, cols: Columns): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const f of plan.fields) if (cols.state[f.index] !== ABSENT_COLUMN) row[f.name] = cols.values[f.index];
  return row;
}

function normalisedOf(plan: NormalisePlan, cols: Columns): Normalised {
  return { row: rowOf(plan, cols), unknown: cols.unknown, invalid: cols.invalid, eventTime: cols.eventTime };
}

/** One log line (text) -> a row object, or a reject value. */
export function parseLine(entry: LogTypeEntry, text: string): LineResult {
  const r = parseRecord(entry, text);
  if (!r.ok) return r;
  const n = normalise(entry.plan, r.raw, text);
  if (isFailure(n)) return { ok: false, reject: n };
  return { ok: true, value: n };
}

/**
 * The reference: adds the p_* fields to the row object in the contract's order and serialises it (numbers a double
 * cannot hold come out rounded here; RowWriter keeps them).
 */
export function enrich(plan: NormalisePlan, n: Normalised, lineNo: number, ctx: EnrichContext): EnrichedRow {
  const row = n.row;
  // Without an event time field Panther falls back to the parse time; so do we.
  const eventTime = n.eventTime ?? ctx.parseTime;
  row[P.p_log_type] = plan.logType;
  const id = rowId(ctx.rowIdPrefix, lineNo);
  row[P.p_row_id] = id;
  row[P.p_event_time] = eventTime;
  row[P.p_parse_time] = ctx.parseTime;
  if (ctx.sourceId !== undefined) row[P.p_source_id] = ctx.sourceId;
  if (ctx.sourceLabel !== undefined) row[P.p_source_label] = ctx.sourceLabel;
  if (plan.indicatorFields.length > 0) {
    const ind = new IndicatorSet();
    for (const f of plan.indicatorFields) {
      const v = row[f.name];
      if (v === undefined) continue;
      for (const kind of f.indicators) {
        if (Array.isArray(v)) for (const e of v) ind.add(kind, e);
        else ind.add(kind, v);
      }
    }
    ind.assignTo(row);
  }
  if (n.unknown !== undefined) row[P.p_unknown_fields] = n.unknown;
  if (n.invalid !== undefined) row[P.p_invalid_fields] = n.invalid;
  return { json: JSON.stringify(row), rowId: id, eventTime };
}
