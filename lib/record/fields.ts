import { closingQuote, endOfNested, exactFieldsOf, ExactFields, exactIntegerText, exactValueOf, hasLongNumber, skipSpace } from './json';
import type { LineSource } from './normalise';

/**
 * Where each top-level field of a log line is in its text, so the row writer can copy the JSON of values that
 * pass through unchanged instead of serialising them again, and the unixnano digits need no search.
 *
 * It runs on the lines the parser reads the general way (the scanner, lib/record/scan.ts, records the positions of
 * the others itself: `beginScan`), and only on lines JSON.parse has accepted, so it can skip rather than check the
 * grammar. Every line of a Logpush object has the same fields in the same order (the job's field list), so the scan
 * follows the previous line's shape; the record's `Object.keys` (same strings, compared by identity) confirms the shape first. A field
 * is "canonical" when its text is exactly what JSON.stringify writes for its value: no space around the colon,
 * strings without escapes, integers without fraction, exponent or minus zero, and only empty objects and arrays.
 * Anything else (duplicate keys, integer-like keys, escaped keys) makes the line unusable and every column is
 * serialised from its value. Lines come from Buffer#toString('utf8'), so a string holds no lone surrogate, the one
 * character JSON.stringify would escape that valid JSON text can hold unescaped.
 *
 * After the walk, the values of json columns and unknown fields are checked for a number a double may not keep
 * (lib/record/json.ts hasLongNumber): only then does the row writer read values again exactly. Typed columns are
 * not looked at (every unixnano timestamp has 19 digits).
 */
export class FieldScanner implements LineSource {
  /** For the current line: false when no field may be copied. */
  usable = false;
  /** Per field, in input order: where `"key"` starts, where its value starts and ends, and whether it is canonical. */
  readonly keyStart: Int32Array;
  readonly valueStart: Int32Array;
  readonly valueEnd: Int32Array;
  readonly canonical: Uint8Array;
  /** Per column: the input position of its field on the current shape, or -1. */
  readonly fieldOfColumn: Int32Array;
  /**
   * For the current line: a json column or an unknown field may hold a number JSON.parse rounded, so the row
   * writer must ask `exactValue` for them. Always false on a Logpush line without such numbers.
   */
  inexact = false;
  /** The current line's record, as JSON.parse made it. */
  raw: Record<string, unknown> = {};
  /** After a scanned line: how many fields it has (the positions' length). */
  fieldCount = 0;

  private line = '';
  private shapeKeys: string[] = [];
  /** shapeKeys is the shape the arrays were laid out for (false after a scanned line wrote them). */
  private shapeKnown = false;
  private shapeUsable = false;
  /** Per field of the shape: the length of `"key"` in the text (an escaped key is longer). */
  private quotedLength = new Int32Array(0);
  /** The shape's fields that are json columns or not columns (written in p_unknown_fields). */
  private jsonFields = new Int32Array(0);
  private fieldOfKey = new Map<string, number>();
  /** Exact values of the whole line, read when the fields' positions are not known. */
  private exactFields: ExactFields | undefined = undefined;
  private readonly columnOf: Map<string, number>;
  private readonly jsonColumn: readonly boolean[];

  /** `jsonColumn[i]`: column i is a json column (its value is written as the input's JSON). */
  constructor(columns: readonly string[], jsonColumn: readonly boolean[] = [], maxFields = MAX_SCANNED_FIELDS) {
    this.columnOf = new Map(columns.map((name, i) => [name, i]));
    this.jsonColumn = jsonColumn;
    this.fieldOfColumn = new Int32Array(columns.length).fill(-1);
    this.keyStart = new Int32Array(maxFields);
    this.valueStart = new Int32Array(maxFields);
    this.valueEnd = new Int32Array(maxFields);
    this.canonical = new Uint8Array(maxFields);
  }

  /** Scans `line`, whose JSON.parse result is `raw`. */
  scan(line: string, raw: Record<string, unknown>): void {
    this.line = line;
    this.raw = raw;
    this.exactFields = undefined;
    const keys = Object.keys(raw);
    if (!this.shapeKnown || !sameStrings(keys, this.shapeKeys)) this.learnShape(line, keys);
    this.usable = this.shapeUsable && this.follow(line);
    // Without positions, any long number may be in a json column or an unknown field.
    this.inexact = this.usable ? this.longInJson(line) : hasLongNumber(line, 0, line.length);
  }

  /**
   * Takes a line the scanner (lib/record/scan.ts) reads: it writes the positions itself, every field a column (under
   * its name, or an alias, whose value is never copied). Until `scanned` the positions are not usable; the next line
   * scanned the general way lays out its shape again.
   */
  beginScan(line: string): void {
    this.line = line;
    this.raw = NO_RECORD;
    this.exactFields = undefined;
    this.usable = false;
    this.inexact = false;
    this.shapeKnown = false;
    this.fieldOfKey = NO_KEYS;
    this.fieldOfColumn.fill(-1);
  }

  /** The scanner has recorded the `count` fields of the line begun, and no json column holds a long number. */
  scanned(count: number): void {
    this.usable = true;
    this.fieldCount = count;
  }

  /** Whether a json column or an unknown field of the line just followed holds a long number. */
  private longInJson(line: string): boolean {
    const fields = this.jsonFields;
    for (let k = 0; k < fields.length; k++) {
      const f = fields[k] as number;
      const start = this.valueStart[f] as number;
      const end = this.valueEnd[f] as number;
      // `{}`, `[]` and two-character literals cannot hold one.
      if (end - start > 2 && hasLongNumber(line, start, end)) return true;
    }
    return false;
  }

  /**
   * The value of top-level field `key` read exactly (numbers JSON.parse rounded as ExactNumber), or undefined
   * when it holds no such number (or is absent): then its parsed value is exact.
   */
  exactValue(key: string): unknown {
    if (this.usable) {
      // A column under its own name, else any other field of the shape (none on a scanned line).
      const col = this.columnOf.get(key);
      const at = col === undefined ? -1 : (this.fieldOfColumn[col] as number);
      const f = at >= 0 ? at : this.fieldOfKey.get(key);
      return f === undefined ? undefined : exactValueOf(this.line, this.valueStart[f] as number, this.valueEnd[f] as number);
    }
    this.exactFields ??= exactFieldsOf(this.line);
    return this.exactFields.get(key);
  }

  /** The literal digits of a top-level integer field, from the scan when it can say, else by search. */
  integerText(key: string, parsed: number): string | undefined {
    const col = this.usable ? this.columnOf.get(key) : undefined;
    const f = col === undefined ? -1 : (this.fieldOfColumn[col] as number);
    if (f >= 0) {
      const text = this.line.slice(this.valueStart[f], this.valueEnd[f]);
      if (INTEGER.test(text) && Number(text) === parsed) return text;
    }
    return exactIntegerText(this.line, key, parsed);
  }

  /** A line with other fields than the last: read its keys from the text and check they are the record's. */
  private learnShape(line: string, keys: string[]): void {
    this.shapeKeys = keys;
    this.shapeKnown = true;
    this.fieldOfColumn.fill(-1);
    this.quotedLength = new Int32Array(keys.length);
    // Integer-like keys come first in Object.keys whatever the text says, so their order proves nothing.
    let usable = keys.length <= this.keyStart.length && !keys.some((k) => ARRAY_INDEX.test(k));
    if (usable) {
      let i = openBrace(line);
      for (let f = 0; f < keys.length; f++) {
        i = nextField(line, i);
        if (line.charCodeAt(i) !== QUOTE) {
          usable = false; // fewer fields in the text than keys: impossible after JSON.parse, but cheap to refuse
          break;
        }
        const end = endOfString(line, i);
        // Text order must be key order: duplicates, integer-like keys (listed first) and escapes all break it.
        if (line.slice(i + 1, end - 1) !== keys[f]) {
          usable = false;
          break;
        }
        this.quotedLength[f] = end - i;
        i = endOfValue(line, skipSpace(line, skipSpace(line, end) + 1));
      }
      if (usable && line.charCodeAt(nextField(line, i)) !== CLOSE_BRACE) usable = false;
    }
    this.shapeUsable = usable;
    if (!usable) return;
    const jsonFields: number[] = [];
    this.fieldOfKey = new Map();
    for (let f = 0; f < keys.length; f++) {
      const col = this.columnOf.get(keys[f] as string);
      if (col !== undefined) this.fieldOfColumn[col] = f;
      this.fieldOfKey.set(keys[f] as string, f);
      if (col === undefined || this.jsonColumn[col] === true) jsonFields.push(f);
    }
    this.jsonFields = Int32Array.from(jsonFields);
  }

  /**
   * Records every field's positions following the shape; false where the text departs from it. Given the same
   * Object.keys, it can only depart by a duplicate key (a field past the shape's last) or an escaped key (longer).
   */
  private follow(line: string): boolean {
    const quoted = this.quotedLength;
    let nextEscape = line.indexOf('\\');
    if (nextEscape === -1) nextEscape = NONE;
    let i = openBrace(line);
    for (let f = 0; ; f++) {
      i = nextField(line, i);
      if (line.charCodeAt(i) !== QUOTE) break;
      const keyEnd = endOfString(line, i);
      // Past the shape's last field, quoted[f] is undefined: a departure too.
      if (keyEnd - i !== quoted[f]) return false;
      this.keyStart[f] = i;
      const colon = skipSpace(line, keyEnd);
      const start = skipSpace(line, colon + 1);
      let canonical = colon === keyEnd && start === colon + 1;
      const c = line.charCodeAt(start);
      if (c === QUOTE) {
        i = endOfString(line, start);
        if (nextEscape < start) {
          nextEscape = line.indexOf('\\', start);
          if (nextEscape === -1) nextEscape = NONE;
        }
        if (nextEscape < i) canonical = false;
      } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        i = endOfNested(line, start);
        if (i - start !== 2) canonical = false;
      } else {
        i = endOfLiteral(line, start);
        if (c === MINUS && line.charCodeAt(start + 1) === ZERO) canonical = false;
        else if (c !== TRUE_T && c !== FALSE_F && !digitsOnly(line, start, i)) canonical = false;
      }
      this.valueStart[f] = start;
      this.valueEnd[f] = i;
      this.canonical[f] = canonical ? 1 : 0;
    }
    return true;
  }
}

/** More top-level fields than this and a line is written without copying (the validator allows MAX_FIELDS, fewer). */
const MAX_SCANNED_FIELDS = 1024;
const NO_RECORD: Record<string, unknown> = Object.freeze(Object.create(null) as Record<string, unknown>);
const NO_KEYS = new Map<string, number>();
const NONE = 0x7fffffff;
const QUOTE = 34;
const COMMA = 44;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const MINUS = 45;
const ZERO = 48;
const TRUE_T = 116;
const FALSE_F = 102;
const INTEGER = /^-?\d+$/;
const ARRAY_INDEX = /^(?:0|[1-9]\d*)$/;

function sameStrings(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  // Property keys from JSON.parse are internalised strings, so equal keys compare by identity here.
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

function openBrace(line: string): number {
  return skipSpace(line, 0) + 1;
}

/** Past spaces and the comma before a field: at its opening quote, or at the record's closing brace. */
function nextField(line: string, i: number): number {
  for (;;) {
    const c = line.charCodeAt(i);
    if (c !== COMMA && !isSpace(c)) return i;
    i++;
  }
}

/** `i` at an opening quote: the index after the closing one (the line is valid JSON). */
function endOfString(line: string, i: number): number {
  return closingQuote(line, i) + 1;
}

/** A number, true, false or null: up to the next comma, brace or space. */
function endOfLiteral(line: string, i: number): number {
  const n = line.length;
  while (i < n) {
    const c = line.charCodeAt(i);
    if (c === COMMA || c === CLOSE_BRACE || isSpace(c)) return i;
    i++;
  }
  return i;
}

/**
 * `-?[0-9]{1,15}`: a number JSON.stringify writes the same way. A fraction or exponent may be normalised, and
 * beyond 15 digits a double may not hold the integer (or is written with an exponent).
 */
function digitsOnly(line: string, start: number, end: number): boolean {
  let i = line.charCodeAt(start) === MINUS ? start + 1 : start;
  if (i === end || end - i > 15) return false;
  for (; i < end; i++) {
    const c = line.charCodeAt(i);
    if (c < ZERO || c > 57) return false;
  }
  return true;
}

function endOfValue(line: string, i: number): number {
  const c = line.charCodeAt(i);
  if (c === QUOTE) return endOfString(line, i);
  if (c === OPEN_BRACE || c === OPEN_BRACKET) return endOfNested(line, i);
  return endOfLiteral(line, i);
}
