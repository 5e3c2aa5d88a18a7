import { ABSENT_COLUMN, IN_LINE } from './columns';
import type { LineParser } from './parser';

/**
 * The scanner's results for a batch of lines: what the scanner left in the parser's columns and positions for
 * each line it took, in flat arrays (which two threads can share: `scannedBatch` over SharedArrayBuffers) and a
 * few values besides. A thread that scans ahead fills one (`scanLines`); the thread that writes the rows puts
 * each line's results into its own parser (ScannedLines#take) and goes on as if its own scanner had read the
 * line. Lines not taken go the general way there.
 */
export interface ScannedBatch {
  /** Columns per line: the stride of the per-column arrays. */
  readonly columns: number;
  /** Per line: 1 when the scanner took it. */
  readonly taken: Uint8Array;
  /** Per line and column: Columns#state. */
  readonly state: Uint8Array;
  /** Per line and column: how the value is kept (VALUE_*), for columns that are neither absent nor in the line. */
  readonly kind: Uint8Array;
  readonly numbers: Float64Array;
  /** Per line and column: where an IN_LINE column's text is in the line. */
  readonly textStart: Int32Array;
  readonly textEnd: Int32Array;
  /** Per line: its fields, then per line and field their positions (FieldScanner). */
  readonly fieldCount: Int32Array;
  readonly keyStart: Int32Array;
  readonly valueStart: Int32Array;
  readonly valueEnd: Int32Array;
  readonly canonical: Uint8Array;
  readonly fieldOfColumn: Int32Array;
  /** Per line: Columns#eventTime and Columns#invalid (a scanned line has no unknown fields). */
  eventTimes: (string | undefined)[];
  invalid: (Record<string, unknown> | undefined)[];
  /** Per line: where its values begin in `others`. */
  readonly firstOther: Int32Array;
  /** The values that are neither numbers, booleans nor empty (text, arrays, objects, null), in line and column order. */
  others: unknown[];
}

const VALUE_NUMBER = 1;
const VALUE_TRUE = 2;
const VALUE_FALSE = 3;
const VALUE_OTHER = 4;
const VALUE_EMPTY_ARRAY = 5;
const VALUE_EMPTY_OBJECT = 6;

function asBuffer(a: Uint8Array): Buffer {
  return Buffer.isBuffer(a) ? a : Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

export function sharedBuffer(size: number): Buffer {
  return Buffer.from(new SharedArrayBuffer(size));
}

/** Room for the results of `lines` lines of `columns` columns, in memory two threads share. */
export function scannedBatch(lines: number, columns: number): ScannedBatch {
  const size = lines * columns;
  const shared = <T>(Type: { new (b: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number }, length: number): T =>
    new Type(new SharedArrayBuffer(length * Type.BYTES_PER_ELEMENT));
  return {
    columns,
    taken: shared(Uint8Array, lines),
    state: shared(Uint8Array, size),
    kind: shared(Uint8Array, size),
    numbers: shared(Float64Array, size),
    textStart: shared(Int32Array, size),
    textEnd: shared(Int32Array, size),
    fieldCount: shared(Int32Array, lines),
    keyStart: shared(Int32Array, size),
    valueStart: shared(Int32Array, size),
    valueEnd: shared(Int32Array, size),
    canonical: shared(Uint8Array, size),
    fieldOfColumn: shared(Int32Array, size),
    firstOther: shared(Int32Array, lines),
    eventTimes: [],
    invalid: [],
    others: [],
  };
}

/** A line's text as the parser reads it: UTF-8, without a byte order mark. */
export function lineText(buf: Uint8Array, start: number, end: number): string {
  const text = asBuffer(buf).toString('utf8', start, end);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * Scans `count` lines, [starts[r], ends[r]) of `bytes`, with `parser`'s scanner alone, into `out` (room for them, of
 * the parser's columns). A line with U+FFFD (bytes that may not be UTF-8, which the writing thread checks) or that
 * the scanner does not take is left untaken.
 */
export function scanLines(
  parser: LineParser,
  bytes: Uint8Array,
  starts: Int32Array,
  ends: Int32Array,
  count: number,
  out: ScannedBatch,
): void {
  const n = parser.cols.state.length;
  if (out.columns !== n || out.taken.length < count) throw new Error(`no room for ${count} lines of ${n} columns`);
  out.others = [];
  out.eventTimes = new Array<string | undefined>(count).fill(undefined);
  out.invalid = new Array<Record<string, unknown> | undefined>(count).fill(undefined);
  const { cols, fields } = parser;
  const { others, kind, numbers } = out;
  for (let r = 0; r < count; r++) {
    out.taken[r] = 0;
    const start = starts[r] as number;
    const end = ends[r] as number;
    if (end <= start) continue;
    const text = lineText(bytes, start, end);
    if (text.includes('\ufffd') || !parser.scanOnly(text)) continue;
    out.taken[r] = 1;
    const at = r * n;
    out.state.set(cols.state, at);
    out.textStart.set(cols.textStart, at);
    out.textEnd.set(cols.textEnd, at);
    out.fieldOfColumn.set(fields.fieldOfColumn, at);
    const fieldCount = fields.fieldCount;
    out.fieldCount[r] = fieldCount;
    out.keyStart.set(fields.keyStart.subarray(0, fieldCount), at);
    out.valueStart.set(fields.valueStart.subarray(0, fieldCount), at);
    out.valueEnd.set(fields.valueEnd.subarray(0, fieldCount), at);
    out.canonical.set(fields.canonical.subarray(0, fieldCount), at);
    out.eventTimes[r] = cols.eventTime;
    out.invalid[r] = cols.invalid;
    out.firstOther[r] = others.length;
    const { state, values } = cols;
    for (let i = 0; i < n; i++) {
      const st = state[i];
      let k = 0;
      if (st !== ABSENT_COLUMN && st !== IN_LINE) {
        const v = values[i];
        if (typeof v === 'number') {
          k = VALUE_NUMBER;
          numbers[at + i] = v;
        } else if (typeof v === 'boolean') k = v ? VALUE_TRUE : VALUE_FALSE;
        else if (Array.isArray(v) && v.length === 0) k = VALUE_EMPTY_ARRAY;
        else if (isEmptyObject(v)) k = VALUE_EMPTY_OBJECT;
        else {
          k = VALUE_OTHER;
          others.push(v);
        }
      }
      kind[at + i] = k;
    }
  }
}

/** `{}`, as JSON.parse or the scanner makes it. */
function isEmptyObject(v: unknown): boolean {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  for (const _ in v) return false;
  return Object.getPrototypeOf(v) === Object.prototype;
}

/**
 * Reads a batch's lines back: `take(r, text)` puts line r's results into `parser` as its scanner would have left
 * them for `text` (the same line, decoded by `lineText`).
 */
export class ScannedLines {
  constructor(
    private readonly batch: ScannedBatch,
    private readonly parser: LineParser,
  ) {
    if (batch.columns !== parser.cols.state.length) throw new Error(`a scanned batch of ${batch.columns} columns for a log type of ${parser.cols.state.length}`);
  }

  taken(r: number): boolean {
    return this.batch.taken[r] === 1;
  }


  /** Line r, which was taken, into the parser's columns and positions. */
  take(r: number, text: string): void {
    const b = this.batch;
    const { cols, fields } = this.parser;
    const n = b.columns;
    const at = r * n;
    const { state, values } = cols;
    let other = b.firstOther[r] as number;
    state.set(b.state.subarray(at, at + n));
    cols.textStart.set(b.textStart.subarray(at, at + n));
    cols.textEnd.set(b.textEnd.subarray(at, at + n));
    for (let i = 0; i < n; i++) {
      switch (b.kind[at + i]) {
        case VALUE_NUMBER:
          values[i] = b.numbers[at + i];
          break;
        case VALUE_TRUE:
          values[i] = true;
          break;
        case VALUE_FALSE:
          values[i] = false;
          break;
        case VALUE_EMPTY_ARRAY:
          values[i] = [];
          break;
        case VALUE_EMPTY_OBJECT:
          values[i] = {};
          break;
        case VALUE_OTHER:
          values[i] = b.others[other++];
      }
    }
    cols.line = text;
    cols.eventTime = b.eventTimes[r];
    cols.unknown = undefined;
    const invalid = b.invalid[r];
    // A copy from another thread has Object's prototype again; p_invalid_fields' keys stay plain keys without one.
    cols.invalid = invalid === undefined ? undefined : Object.assign(Object.create(null) as Record<string, unknown>, invalid);
    fields.beginScan(text);
    const count = b.fieldCount[r] as number;
    fields.fieldOfColumn.set(b.fieldOfColumn.subarray(at, at + n));
    fields.keyStart.set(b.keyStart.subarray(at, at + count));
    fields.valueStart.set(b.valueStart.subarray(at, at + count));
    fields.valueEnd.set(b.valueEnd.subarray(at, at + count));
    fields.canonical.set(b.canonical.subarray(at, at + count));
    fields.scanned(count);
    this.parser.scannedLines++;
  }
}
