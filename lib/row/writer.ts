import { createHash } from 'node:crypto';
import type { FieldScanner } from '../record/fields';
import { stringifyExact } from '../record/json';
import { AS_IS, ABSENT_COLUMN, Columns, FieldPlan, NormalisePlan } from '../record/normalise';
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
  /** p_row_id, as in the text. */
  rowId: string;
  /** p_event_time; partitions the row. */
  eventTime: string;
}

/**
 * Writes rows as JSON text from Columns, one input at a time: the columns in schema order, then the p_* fields in
 * the contract's order. The text is byte for byte what `enrich` (below) gives for the same row, without building
 * the row object: a value that came through unchanged, with canonical JSON in the input, is copied from the line,
 * and neighbouring such fields in the same order in both are copied as one piece (a Logpush line mostly lists
 * its fields in schema order). Everything else is serialised on its own.
 *
 * One departure from `enrich`: JSON.parse rounds numbers a double cannot hold, so on the rare line where a json
 * column or an unknown field holds one (`fields.inexact`), those values are written from the text read again
 * exactly (lib/record/json.ts), keeping the digits received; the row-writer test's reference does the same.
 */
export class RowWriter {
  private readonly cols: Columns;
  private readonly fields: FieldScanner;
  private readonly keys: string[];
  private readonly head: string;
  private readonly tail: string;
  private readonly parseTime: string;
  private readonly rowIdPrefix: string;

  /** Writes the rows of the lines `parsed` (the parse stage) last parsed. */
  constructor(
    private readonly plan: NormalisePlan,
    ctx: EnrichContext,
    parsed: { readonly cols: Columns; readonly fields: FieldScanner },
  ) {
    this.cols = parsed.cols;
    this.fields = parsed.fields;
    this.keys = plan.fields.map((f) => `${JSON.stringify(f.name)}:`);
    this.head = `"p_log_type":${JSON.stringify(plan.logType)},"p_row_id":"`;
    this.rowIdPrefix = ctx.rowIdPrefix;
    this.tail =
      `,"p_parse_time":${JSON.stringify(ctx.parseTime)}` +
      (ctx.sourceId !== undefined ? `,"p_source_id":${JSON.stringify(ctx.sourceId)}` : '') +
      (ctx.sourceLabel !== undefined ? `,"p_source_label":${JSON.stringify(ctx.sourceLabel)}` : '');
    this.parseTime = ctx.parseTime;
  }

  /** The row of the line last scanned into `fields` and filled into `cols`. */
  write(line: string, lineNo: number): EnrichedRow {
    const { cols, fields, keys } = this;
    const { state, values } = cols;
    const copy = fields.usable;
    const { fieldOfColumn, keyStart, valueEnd, canonical } = fields;
    const inexact = fields.inexact;
    const jsonColumns = this.plan.jsonColumns;
    let json = '{';
    let sep = '';
    // The piece of the line being copied: [from, to), ending with field `last`.
    let from = -1;
    let to = -1;
    let last = -1;
    for (let i = 0; i < state.length; i++) {
      const st = state[i];
      if (st === ABSENT_COLUMN) continue;
      const f = copy && st === AS_IS ? (fieldOfColumn[i] as number) : -1;
      const copied = f >= 0 && canonical[f] === 1;
      // The next field of the line, right after a comma: the piece grows.
      if (copied && from >= 0 && f === last + 1 && keyStart[f] === to + 1) {
        to = valueEnd[f] as number;
        last = f;
        continue;
      }
      // Anything else ends the piece being copied.
      if (from >= 0) {
        json += sep + line.slice(from, to);
        sep = ',';
        from = -1;
      }
      if (copied) {
        from = keyStart[f] as number;
        to = valueEnd[f] as number;
        last = f;
      } else {
        const v = values[i];
        json += sep + (keys[i] as string) + (inexact && jsonColumns[i] === true ? this.exactJson(i, v) : JSON.stringify(v));
        sep = ',';
      }
    }
    if (from >= 0) {
      json += sep + line.slice(from, to);
      sep = ',';
    }
    // Without an event time field Panther falls back to the parse time; so do we.
    const eventTime = cols.eventTime ?? this.parseTime;
    const id = rowId(this.rowIdPrefix, lineNo);
    json += sep + this.head + id + '","p_event_time":' + JSON.stringify(eventTime) + this.tail;
    if (this.plan.indicatorFields.length > 0) json += this.indicators().json();
    if (cols.unknown !== undefined) json += ',"p_unknown_fields":' + (inexact ? this.exactFields(cols.unknown) : JSON.stringify(cols.unknown));
    // Always read exactly: these are typed columns' values, which the scan does not check for long numbers.
    if (cols.invalid !== undefined) json += ',"p_invalid_fields":' + this.exactFields(cols.invalid);
    return { json: json + '}', rowId: id, eventTime };
  }

  /** Json column i, whose value came unchanged from the first of its input names present in the record. */
  private exactJson(i: number, v: unknown): string {
    const { raw } = this.fields;
    for (const key of (this.plan.fields[i] as FieldPlan).inputs) {
      if (raw[key] === undefined) continue;
      const exact = this.fields.exactValue(key);
      return exact === undefined ? JSON.stringify(v) : stringifyExact(exact);
    }
    return JSON.stringify(v);
  }

  /** JSON.stringify(fields), with each top-level field that holds a rounded number written from its exact reading. */
  private exactFields(unknown: Record<string, unknown>): string {
    let out = '{';
    let sep = '';
    // A prototype-less object: for-in lists its own keys, in JSON.stringify's order.
    for (const key in unknown) {
      const exact = this.fields.exactValue(key);
      out += sep + JSON.stringify(key) + ':' + (exact === undefined ? JSON.stringify(unknown[key]) : stringifyExact(exact));
      sep = ',';
    }
    return out + '}';
  }

  private indicators(): IndicatorSet {
    const { state, values } = this.cols;
    const ind = new IndicatorSet();
    for (const f of this.plan.indicatorFields) {
      if (state[f.index] === ABSENT_COLUMN) continue;
      const v = values[f.index];
      for (const kind of f.indicators) {
        if (Array.isArray(v)) for (const e of v) ind.add(kind, e);
        else ind.add(kind, v);
      }
    }
    return ind;
  }
}
