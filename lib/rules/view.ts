import { ABSENT_COLUMN, Columns, NormalisePlan } from '../record/normalise';
import { INDICATOR_COLUMNS, P } from '../row/contract';
import { IndicatorSet } from '../row/indicators';
import type { RuleEvent } from './model';

/**
 * The row rules see, read from the parse stage's columns instead of an object per row: the same field names and
 * values as the row the lake writes (schema fields with their typed values, absent ones undefined; p_log_type,
 * p_row_id, p_event_time, p_parse_time, p_source_*, p_unknown_fields, p_invalid_fields; the p_any_* arrays computed
 * on first use, as the row writer computes them). A rule reads two or three fields of a row, so this costs a few
 * property lookups where building the object would cost one per column. The view is of the line last parsed: a
 * rule must not keep it (InputDetections copies what it keeps: strings, and a JSON copy of the alert context).
 */
/** A row as a view reads it: the columns of one line, and what the row writer adds. */
interface RowSource {
  cols: Columns;
  rowId: string;
  eventTime: string;
  indicators: Record<string, unknown> | undefined;
}

/**
 * The key under which a view hands out a copy of its row that outlives the next line (an engine that runs rules on
 * batches of rows keeps such copies): a function that, called, shows the copy through a second view and returns
 * it, valid until another copy is shown. Plain objects lack it: they are kept as they are.
 */
export const DETACH: unique symbol = Symbol('cflogs.detach');

export class ColumnsEvent {
  readonly event: RuleEvent;
  private readonly src: RowSource;
  private readonly makeEvent: (src: RowSource) => RuleEvent;
  /** The row a detached copy last showed, and its view. */
  private readonly detached: RowSource;
  private readonly detachedEvent: RuleEvent;

  constructor(plan: NormalisePlan, cols: Columns, fixed: { p_parse_time: string; p_source_id?: string; p_source_label?: string }) {
    const index = new Map(plan.fields.map((f) => [f.name, f.index]));
    const anyKeys = new Set<string>(INDICATOR_COLUMNS);
    const indicatorsOf = (src: RowSource): Record<string, unknown> => (src.indicators ??= indicatorsOfRow(plan, src.cols));
    const get = (src: RowSource, key: string): unknown => {
      const i = index.get(key);
      if (i !== undefined) return src.cols.value(i);
      switch (key) {
        case P.p_log_type:
          return plan.logType;
        case P.p_row_id:
          return src.rowId;
        case P.p_event_time:
          return src.eventTime;
        case P.p_parse_time:
          return fixed.p_parse_time;
        case P.p_source_id:
          return fixed.p_source_id;
        case P.p_source_label:
          return fixed.p_source_label;
        case P.p_unknown_fields:
          return src.cols.unknown;
        case P.p_invalid_fields:
          return src.cols.invalid;
      }
      return anyKeys.has(key) ? indicatorsOf(src)[key] : undefined;
    };
    const keys = (src: RowSource): string[] => {
      const { cols } = src;
      const out = plan.fields.filter((f) => cols.state[f.index] !== ABSENT_COLUMN).map((f) => f.name);
      out.push(P.p_log_type, P.p_row_id, P.p_event_time, P.p_parse_time);
      if (fixed.p_source_id !== undefined) out.push(P.p_source_id);
      if (fixed.p_source_label !== undefined) out.push(P.p_source_label);
      out.push(...Object.keys(indicatorsOf(src)));
      if (cols.unknown !== undefined) out.push(P.p_unknown_fields);
      if (cols.invalid !== undefined) out.push(P.p_invalid_fields);
      return out;
    };
    // A copy of the columns (values are not changed in place by the next line: the parser assigns new ones), shown
    // through one more view when called: a batch of copies costs no object per row beyond its arrays.
    const detach = (src: RowSource) => (): (() => RuleEvent) => {
      const cols = src.cols.copy();
      const { rowId, eventTime } = src;
      return () => {
        const shown = this.detached;
        shown.cols = cols;
        shown.rowId = rowId;
        shown.eventTime = eventTime;
        shown.indicators = undefined;
        return this.detachedEvent;
      };
    };
    this.makeEvent = (src) =>
      new Proxy(Object.create(null) as RuleEvent, {
        get: (_t, key) => (typeof key === 'string' ? get(src, key) : key === DETACH ? detach(src) : undefined),
        has: (_t, key) => typeof key === 'string' && get(src, key) !== undefined,
        ownKeys: () => keys(src),
        getOwnPropertyDescriptor: (_t, key) => {
          const value = typeof key === 'string' ? get(src, key) : undefined;
          return value === undefined ? undefined : { value, enumerable: true, configurable: true, writable: false };
        },
        set: () => false,
        defineProperty: () => false,
        deleteProperty: () => false,
      });
    this.src = { cols, rowId: '', eventTime: '', indicators: undefined };
    this.event = this.makeEvent(this.src);
    this.detached = { cols, rowId: '', eventTime: '', indicators: undefined };
    this.detachedEvent = this.makeEvent(this.detached);
  }

  /** The view of the row last parsed into the columns, with its p_row_id and p_event_time. */
  row(rowId: string, eventTime: string): RuleEvent {
    this.src.rowId = rowId;
    this.src.eventTime = eventTime;
    this.src.indicators = undefined;
    return this.event;
  }
}

/** The p_any_* arrays of a row, as the row writer computes them. */
function indicatorsOfRow(plan: NormalisePlan, cols: Columns): Record<string, unknown> {
  const set = new IndicatorSet();
  for (const f of plan.indicatorFields) {
    const v = cols.value(f.index);
    if (v === undefined) continue;
    for (const kind of f.indicators) {
      if (Array.isArray(v)) for (const e of v) set.add(kind, e);
      else set.add(kind, v);
    }
  }
  const out: Record<string, unknown> = {};
  set.assignTo(out);
  return out;
}
