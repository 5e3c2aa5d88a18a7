import { createHash } from 'node:crypto';
import type { FieldScanner } from '../record/fields';
import { stringifyExact } from '../record/json';
import { AS_IS, ABSENT_COLUMN, Columns, FieldPlan, IN_LINE, NormalisePlan, TextSpan } from '../record/normalise';
import { P, P_COLUMNS, PColumnName } from './contract';
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
 * One row as the row writer hands it to the lake: its NDJSON text, made on demand, or its columns for a columnar
 * file, read from the parsed line without the text. Valid until the writer's next row: a sink copies what it keeps.
 */
export interface Row {
  /** p_row_id. */
  readonly rowId: string;
  /** p_event_time; partitions the row. */
  readonly eventTime: string;
  /** About what the row costs in memory when its values are kept, in UTF-16 code units (the line's length). */
  readonly size: number;
  /** The schema's column names, by position: what `value` and `jsonText` index. The same array for every row of an input. */
  readonly columnNames: readonly string[];
  /** The row as NDJSON text (the output contract), built once per row. */
  json(): string;
  /** Column i's value, or undefined when the row has none; json columns are read with `jsonText`. */
  value(i: number): unknown;
  /** Columns#textSpan: where text column i's value is in the line, while it is not cut out. */
  textSpan?(i: number, span: TextSpan): boolean;
  /** Json column i as JSON text, digits as received, or undefined when the row has none. */
  jsonText(i: number): string | undefined;
  /** P_COLUMNS[k]'s value: text, an indicator array (sorted), or undefined when the row has none. */
  standard(k: number): string | readonly string[] | undefined;
}

/** Positions in P_COLUMNS that the row writer answers for itself (the rest are indicator arrays). */
function position(name: PColumnName): number {
  return P_COLUMNS.findIndex((c) => c.name === name);
}
const P_LOG_TYPE = position(P.p_log_type);
const P_ROW_ID = position(P.p_row_id);
const P_EVENT_TIME = position(P.p_event_time);
const P_PARSE_TIME = position(P.p_parse_time);
const P_SOURCE_ID = position(P.p_source_id);
const P_SOURCE_LABEL = position(P.p_source_label);
const P_UNKNOWN = position(P.p_unknown_fields);
const P_INVALID = position(P.p_invalid_fields);
const P_FIRST_INDICATOR = position(P.p_any_ip_addresses);

/** `"name":`, the start of a member of the row's JSON text. */
const member = (name: string): string => `${JSON.stringify(name)}:`;
const EVENT_TIME_MEMBER = '",' + member(P.p_event_time);
const UNKNOWN_MEMBER = ',' + member(P.p_unknown_fields);
const INVALID_MEMBER = ',' + member(P.p_invalid_fields);

/**
 * Writes rows from Columns, one input at a time. The text has the columns in schema order, then the p_* fields in
 * the contract's order, byte for byte what `enrich` (testkit/reference.ts) gives for the same row, without building
 * the row object: a value that came through unchanged, with canonical JSON in the input, is copied from the line,
 * and neighbouring such fields in the same order in both are copied as one piece (a Logpush line mostly lists
 * its fields in schema order). Everything else is serialised on its own.
 *
 * One departure from `enrich`: JSON.parse rounds numbers a double cannot hold, so on the rare line where a json
 * column or an unknown field holds one (`fields.inexact`), those values are written from the text read again
 * exactly (lib/record/json.ts), keeping the digits received; the row-writer test's reference does the same.
 *
 * The writer is itself the Row it hands out: one object per input, whatever the row count.
 */
export class RowWriter implements Row {
  rowId = '';
  eventTime = '';
  size = 0;
  readonly columnNames: readonly string[];
  private readonly cols: Columns;
  private readonly fields: FieldScanner;
  private readonly keys: string[];
  private readonly head: string;
  private readonly tail: string;
  private readonly parseTime: string;
  private readonly rowIdPrefix: string;
  private readonly sourceId: string | undefined;
  private readonly sourceLabel: string | undefined;
  private line = '';
  /** The current row's text and indicators, once asked for. */
  private text: string | undefined = undefined;
  private ind: IndicatorSet | undefined = undefined;

  /** Writes the rows of the lines `parsed` (the parse stage) last parsed. */
  constructor(
    private readonly plan: NormalisePlan,
    ctx: EnrichContext,
    parsed: { readonly cols: Columns; readonly fields: FieldScanner },
  ) {
    this.cols = parsed.cols;
    this.fields = parsed.fields;
    this.columnNames = plan.fields.map((f) => f.name);
    this.keys = plan.fields.map((f) => member(f.name));
    this.head = `${member(P.p_log_type)}${JSON.stringify(plan.logType)},${member(P.p_row_id)}"`;
    this.rowIdPrefix = ctx.rowIdPrefix;
    this.tail =
      `,${member(P.p_parse_time)}${JSON.stringify(ctx.parseTime)}` +
      (ctx.sourceId !== undefined ? `,${member(P.p_source_id)}${JSON.stringify(ctx.sourceId)}` : '') +
      (ctx.sourceLabel !== undefined ? `,${member(P.p_source_label)}${JSON.stringify(ctx.sourceLabel)}` : '');
    this.parseTime = ctx.parseTime;
    this.sourceId = ctx.sourceId;
    this.sourceLabel = ctx.sourceLabel;
  }

  /** The row of the line last scanned into `fields` and filled into `cols`. */
  write(line: string, lineNo: number): Row {
    this.line = line;
    this.size = line.length;
    this.text = undefined;
    this.ind = undefined;
    // Without an event time field Panther falls back to the parse time; so do we.
    this.eventTime = this.cols.eventTime ?? this.parseTime;
    this.rowId = rowId(this.rowIdPrefix, lineNo);
    return this;
  }

  json(): string {
    return (this.text ??= this.serialise());
  }

  value(i: number): unknown {
    return this.cols.value(i);
  }

  textSpan(i: number, span: TextSpan): boolean {
    return this.cols.textSpan(i, span);
  }

  jsonText(i: number): string | undefined {
    const cols = this.cols;
    const st = cols.state[i];
    if (st === ABSENT_COLUMN) return undefined;
    const fields = this.fields;
    if (fields.usable && (st === AS_IS || st === IN_LINE)) {
      const f = fields.fieldOfColumn[i] as number;
      if (f >= 0 && fields.canonical[f] === 1) return this.line.slice(fields.valueStart[f], fields.valueEnd[f]);
    }
    return fields.inexact ? this.exactJson(i, cols.value(i)) : JSON.stringify(cols.value(i));
  }

  standard(k: number): string | readonly string[] | undefined {
    switch (k) {
      case P_LOG_TYPE:
        return this.plan.logType;
      case P_ROW_ID:
        return this.rowId;
      case P_EVENT_TIME:
        return this.eventTime;
      case P_PARSE_TIME:
        return this.parseTime;
      case P_SOURCE_ID:
        return this.sourceId;
      case P_SOURCE_LABEL:
        return this.sourceLabel;
      case P_UNKNOWN: {
        const unknown = this.cols.unknown;
        return unknown === undefined ? undefined : this.fields.inexact ? this.exactFields(unknown) : JSON.stringify(unknown);
      }
      case P_INVALID:
        return this.cols.invalid === undefined ? undefined : this.exactFields(this.cols.invalid);
      default:
        return this.indicators().sorted(k - P_FIRST_INDICATOR);
    }
  }

  private serialise(): string {
    const { cols, fields, keys, line } = this;
    const { state } = cols;
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
      const f = copy && (st === AS_IS || st === IN_LINE) ? (fieldOfColumn[i] as number) : -1;
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
        const v = cols.value(i);
        json += sep + (keys[i] as string) + (inexact && jsonColumns[i] === true ? this.exactJson(i, v) : JSON.stringify(v));
        sep = ',';
      }
    }
    if (from >= 0) {
      json += sep + line.slice(from, to);
      sep = ',';
    }
    json += sep + this.head + this.rowId + EVENT_TIME_MEMBER + JSON.stringify(this.eventTime) + this.tail;
    if (this.plan.indicatorFields.length > 0) json += this.indicators().json();
    if (cols.unknown !== undefined) json += UNKNOWN_MEMBER + (inexact ? this.exactFields(cols.unknown) : JSON.stringify(cols.unknown));
    // Always read exactly: these are typed columns' values, which the scan does not check for long numbers.
    if (cols.invalid !== undefined) json += INVALID_MEMBER + this.exactFields(cols.invalid);
    return json + '}';
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
    if (this.ind !== undefined) return this.ind;
    const cols = this.cols;
    const ind = (this.ind = new IndicatorSet());
    for (const f of this.plan.indicatorFields) {
      const v = cols.value(f.index);
      if (v === undefined) continue;
      for (const kind of f.indicators) {
        if (Array.isArray(v)) for (const e of v) ind.add(kind, e);
        else ind.add(kind, v);
      }
    }
    return ind;
  }
}
