import { createHash } from 'node:crypto';
import type { Normalised, NormalisePlan } from '../parse/normalise';
import { IndicatorSet } from './indicators';

/** What is the same for every row of one input: fixed once per object so rows are deterministic. */
export interface EnrichContext {
  /** From `rowIdPrefix(identity)`. */
  rowIdPrefix: string;
  /** p_parse_time, already formatted; taken from the injected clock once per object. */
  parseTime: string;
  sourceId?: string;
  sourceLabel?: string;
}

/**
 * `p_row_id` = 20 hex digits of SHA-256 over the input's identity (bucket, key, version or ETag; or a request
 * body's hash) + the line number in hex. Deterministic, so a retry writes identical rows; 80 bits of object
 * hash keeps the lake collision-free far past any real object count. Computing the hash once per object
 * makes the per-row cost one small string concatenation.
 */
export function rowIdPrefix(identity: string): string {
  return createHash('sha256').update(identity).digest('hex').slice(0, 20);
}

export function rowId(prefix: string, lineNo: number): string {
  return prefix + lineNo.toString(16).padStart(8, '0');
}

export interface EnrichedRow {
  json: string;
  /** p_event_time; partitions the row. */
  eventTime: string;
}

/** Adds the p_* fields in the contract's order and serialises the row. */
export function enrich(plan: NormalisePlan, n: Normalised, lineNo: number, ctx: EnrichContext): EnrichedRow {
  const row = n.row;
  // Without an event time field Panther falls back to the parse time; so do we.
  const eventTime = n.eventTime ?? ctx.parseTime;
  row.p_log_type = plan.logType;
  row.p_row_id = rowId(ctx.rowIdPrefix, lineNo);
  row.p_event_time = eventTime;
  row.p_parse_time = ctx.parseTime;
  if (ctx.sourceId !== undefined) row.p_source_id = ctx.sourceId;
  if (ctx.sourceLabel !== undefined) row.p_source_label = ctx.sourceLabel;
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
  if (n.unknown !== undefined) row.p_unknown_fields = n.unknown;
  return { json: JSON.stringify(row), eventTime };
}
