import { ABSENT_COLUMN, Columns, NormalisePlan } from '../record/normalise';
import { INDICATOR_COLUMNS } from '../row/contract';
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
export class ColumnsEvent {
  readonly event: RuleEvent;
  private rowId = '';
  private eventTime = '';
  private indicators: Record<string, unknown> | undefined;

  constructor(
    private readonly plan: NormalisePlan,
    private readonly cols: Columns,
    fixed: { p_parse_time: string; p_source_id?: string; p_source_label?: string },
  ) {
    const index = new Map(plan.fields.map((f) => [f.name, f.index]));
    const anyKeys = new Set<string>(INDICATOR_COLUMNS);
    const get = (key: string): unknown => {
      const i = index.get(key);
      if (i !== undefined) return cols.state[i] === ABSENT_COLUMN ? undefined : cols.values[i];
      switch (key) {
        case 'p_log_type':
          return plan.logType;
        case 'p_row_id':
          return this.rowId;
        case 'p_event_time':
          return this.eventTime;
        case 'p_parse_time':
          return fixed.p_parse_time;
        case 'p_source_id':
          return fixed.p_source_id;
        case 'p_source_label':
          return fixed.p_source_label;
        case 'p_unknown_fields':
          return cols.unknown;
        case 'p_invalid_fields':
          return cols.invalid;
      }
      return anyKeys.has(key) ? this.indicatorsOfRow()[key] : undefined;
    };
    const keys = (): string[] => {
      const out = plan.fields.filter((f) => cols.state[f.index] !== ABSENT_COLUMN).map((f) => f.name);
      out.push('p_log_type', 'p_row_id', 'p_event_time', 'p_parse_time');
      if (fixed.p_source_id !== undefined) out.push('p_source_id');
      if (fixed.p_source_label !== undefined) out.push('p_source_label');
      out.push(...Object.keys(this.indicatorsOfRow()));
      if (cols.unknown !== undefined) out.push('p_unknown_fields');
      if (cols.invalid !== undefined) out.push('p_invalid_fields');
      return out;
    };
    this.event = new Proxy(Object.create(null) as RuleEvent, {
      get: (_t, key) => (typeof key === 'string' ? get(key) : undefined),
      has: (_t, key) => typeof key === 'string' && get(key) !== undefined,
      ownKeys: () => keys(),
      getOwnPropertyDescriptor: (_t, key) => {
        const value = typeof key === 'string' ? get(key) : undefined;
        return value === undefined ? undefined : { value, enumerable: true, configurable: true, writable: false };
      },
      set: () => false,
      defineProperty: () => false,
      deleteProperty: () => false,
    });
  }

  /** The view of the row last parsed into the columns, with its p_row_id and p_event_time. */
  row(rowId: string, eventTime: string): RuleEvent {
    this.rowId = rowId;
    this.eventTime = eventTime;
    this.indicators = undefined;
    return this.event;
  }

  private indicatorsOfRow(): Record<string, unknown> {
    if (this.indicators) return this.indicators;
    const set = new IndicatorSet();
    for (const f of this.plan.indicatorFields) {
      if (this.cols.state[f.index] === ABSENT_COLUMN) continue;
      const v = this.cols.values[f.index];
      for (const kind of f.indicators) {
        if (Array.isArray(v)) for (const e of v) set.add(kind, e);
        else set.add(kind, v);
      }
    }
    const out: Record<string, unknown> = {};
    set.assignTo(out);
    return (this.indicators = out);
  }
}
