import { MAX_FIELDS } from '../schema/limits';
import { type Columns, TEXT_IN_LINE } from './columns';
import type { FieldScanner } from './fields';
import { closingQuote, endOfNested, hasLongNumber, loneSurrogateEscape } from './json';
import type { FieldPlan, NormalisePlan, ScannedNormaliser } from './plan';

/**
 * The parser's fast path: one pass over a log line's text, driven by the log type's columns, with no record object.
 * It finds each field, records where each value is for the row writer to copy, and makes the value each column's
 * normaliser reads: numbers from their digits, text of text columns left in the line until read (Columns#value),
 * other text cut from it, flat text arrays split, other nested values (json and array columns) by JSON.parse of their
 * text alone.
 *
 * A Logpush job writes every line's fields in the same order. Once two lines in a row have had the same keys, a
 * regular expression made for that order (`shapePattern`) checks each next line whole, in one call to V8's compiled
 * regular expressions: the keys, the JSON grammar, no control characters. The walk over such a line then only finds
 * where values end. A line that does not match is read with the keys looked up one by one, which learns a new order.
 *
 * It takes only the lines Logpush writes: one object, no whitespace between tokens, every key one of the schema's
 * columns (its name or an alias), once. Anything else (an unknown field, a duplicate, spaces, a control character, a
 * number a double may round in a json column or under an alias) and any line the normaliser or the validator would
 * refuse goes the general way (lib/record/parser.ts), which gives its reject: this path only ever makes rows, the
 * same rows (the differential test holds both to that, test/unit/scan.test.ts).
 */
export class LineScanner {
  /** Every key a column is read under (its name, then its aliases), by number; each key's column, and its length as `"Key":`. */
  private readonly inputs: string[];
  private readonly inputColumn: Int32Array;
  private readonly keyLength: Int32Array;
  private readonly alias: Uint8Array;
  private readonly inputOf: Map<string, number>;
  /** Per key: its value is read exactly only from a record (a json column's, or any under an alias). */
  private readonly exactOnly: Uint8Array;
  /** Per column with aliases: the key the line has it under (the generated normaliser's `k`). */
  private readonly keys: string[];
  private readonly hasAliases: Uint8Array;
  /** Per column: text that may stay in the line until read (a text column; when required, not empty). */
  private readonly textColumn: Uint8Array;
  private readonly requiredColumn: Uint8Array;
  /** The values by column for the normaliser; undefined where the line has no such field. */
  private readonly vals: unknown[];
  /** The key (its number in `inputs`) at each position of the last line read, and how many fields it had. */
  private readonly shape: Int32Array;
  private shapeLength = -1;
  /** The pattern of a shape two lines in a row have had, and that shape; null when it cannot be made. */
  private pattern: RegExp | null | undefined = undefined;
  private patternShape = new Int32Array(0);
  /** The shape `vals` was last filled for by a matched line (its absent columns are cleared already). */
  private valuesShape: Int32Array | undefined = undefined;
  /** Per column: the number of the line that last had it (a second time in one line is a duplicate). */
  private readonly seen: Int32Array;
  private stamp = 0;
  /** Per field of the line: its kind of value and its column. */
  private readonly kind: Uint8Array;
  private readonly columnOfField: Int32Array;
  /** Lines in a row the general way took: past a few, this path is tried on every 64th line only. */
  private misses = 0;
  private skipped = 0;

  private constructor(
    private readonly normalise: ScannedNormaliser,
    private readonly plan: NormalisePlan,
    private readonly cols: Columns,
    private readonly fields: FieldScanner,
  ) {
    const n = plan.fields.length;
    this.inputs = plan.fields.flatMap((f) => f.inputs);
    this.inputColumn = Int32Array.from(plan.fields.flatMap((f) => f.inputs.map(() => f.index)));
    this.keyLength = Int32Array.from(this.inputs, (k) => JSON.stringify(k).length + 1);
    this.alias = Uint8Array.from(plan.fields.flatMap((f) => f.inputs.map((_, a) => (a > 0 ? 1 : 0))));
    this.inputOf = new Map(this.inputs.map((k, i) => [k, i]));
    this.exactOnly = Uint8Array.from(plan.fields.flatMap((f) => f.inputs.map((_, a) => (a > 0 || f.type === 'json' ? 1 : 0))));
    this.keys = plan.fields.map((f) => f.name);
    this.hasAliases = Uint8Array.from(plan.fields, (f) => (f.inputs.length > 1 ? 1 : 0));
    this.textColumn = Uint8Array.from(plan.fields, (f) => (f.type === 'string' ? 1 : 0));
    this.requiredColumn = Uint8Array.from(plan.fields, (f) => (f.required ? 1 : 0));
    this.vals = new Array<unknown>(n).fill(undefined);
    this.shape = new Int32Array(n).fill(-1);
    this.seen = new Int32Array(n);
    this.kind = new Uint8Array(n);
    this.columnOfField = new Int32Array(n);
  }

  /**
   * The scanner of a plan, or undefined when its lines must go the general way: no scanned normaliser (a schema
   * not compiled by the build), more columns than the validator's field limit or the positions' room, or a column
   * name that is not a plain key (an integer-like name changes the record's key order).
   */
  static of(plan: NormalisePlan, cols: Columns, fields: FieldScanner): LineScanner | undefined {
    if (plan.scanned === undefined || plan.fields.length > Math.min(MAX_FIELDS, fields.keyStart.length)) return undefined;
    if (plan.fields.some((f) => f.inputs.some((k) => !PLAIN_NAME.test(k) || ARRAY_INDEX.test(k)))) return undefined;
    return new LineScanner(plan.scanned, plan, cols, fields);
  }

  /** Fills the parser's columns and positions from `line` and returns true, or false: read it the general way. */
  read(line: string): boolean {
    if (this.misses > MISSES_BEFORE_BACKING_OFF && ++this.skipped % 64 !== 0) return false;
    const row = this.scan(line) && !this.normalise(this.vals, this.keys, this.fields, this.plan.rt, this.cols);
    this.misses = row ? 0 : this.misses + 1;
    return row;
  }

  /** Finds every field of `s` and makes its value; false at the first thing this path does not take. */
  private scan(s: string): boolean {
    const n = s.length;
    if (n < 2 || s.charCodeAt(0) !== OPEN_BRACE || s.charCodeAt(n - 1) !== CLOSE_BRACE) return false;
    // Matched, the line is valid JSON with the last line's keys: no key needs looking at.
    const known = this.pattern != null && matches(this.pattern, s);
    if (!known && CONTROL.test(s)) return false;
    let escape = s.indexOf('\\');
    // An escaped lone surrogate refuses the line (lib/record/json.ts); only a line with a backslash can have one.
    if (escape !== -1 && loneSurrogateEscape(s) !== -1) return false;
    if (escape === -1) escape = NONE;
    const { fields, keyLength, shape, patternShape, seen, kind, columnOfField, inputOf, inputColumn, alias, hasAliases, exactOnly } = this;
    const { keyStart, valueStart, valueEnd, canonical, fieldOfColumn } = fields;
    fields.beginScan(s);
    if (++this.stamp === NONE) {
      seen.fill(0);
      this.stamp = 1;
    }
    const stamp = this.stamp;
    let changed = false;
    let f = 0;
    let i = 1;
    if (n > 2) {
      for (;;) {
        // The key: the shape's, or looked up by name.
        let key: number;
        let start: number;
        if (known) {
          key = patternShape[f] as number;
          start = i + (keyLength[key] as number);
        } else {
          const q = s.indexOf('"', i + 1);
          if (s.charCodeAt(i) !== QUOTE || q === -1) return false;
          if (escape < i) escape = nextEscape(s, i);
          if (escape < q) return false; // an escaped key
          key = inputOf.get(s.slice(i + 1, q)) ?? -1;
          // A key twice, or a column under its name and an alias: the general way says which value counts.
          if (key < 0 || s.charCodeAt(q + 1) !== COLON || seen[inputColumn[key] as number] === stamp) return false;
          seen[inputColumn[key] as number] = stamp;
          start = q + 2;
          if (f >= this.shapeLength || shape[f] !== key) changed = true;
          shape[f] = key;
        }
        const c = inputColumn[key] as number;
        keyStart[f] = i;
        // Copied from the line only under its own name; an alias's value is written under the column's name.
        if (alias[key] === 0) fieldOfColumn[c] = f;
        if (hasAliases[c] === 1) this.keys[c] = this.inputs[key] as string;
        columnOfField[f] = c;
        // The value.
        const ch = s.charCodeAt(start);
        let end: number;
        let k: number;
        let plain = 1;
        if (ch === QUOTE) {
          end = s.indexOf('"', start + 1);
          if (end === -1) return false;
          if (escape < start) escape = nextEscape(s, start);
          if (escape < end) {
            end = closingQuote(s, start);
            if (end === -1) return false;
            escape = nextEscape(s, end);
            k = ESCAPED;
            plain = 0;
          } else k = STRING;
          end++;
        } else if (ch === OPEN_BRACE || ch === OPEN_BRACKET) {
          if (s.charCodeAt(start + 1) === ch + 2) {
            end = start + 2;
            k = ch === OPEN_BRACE ? EMPTY_OBJECT : EMPTY_ARRAY;
          } else {
            // JSON.parse of the value's text checks the rest.
            end = endOfNested(s, start);
            if (end === -1) return false;
            k = NESTED;
            plain = 0;
          }
        } else if (ch === MINUS || (ch >= ZERO && ch <= NINE)) {
          end = endOfNumber(s, start);
          if (end === -1) return false;
          k = NUMBER;
          // What JSON.stringify writes back the same (lib/record/fields.ts): -?[0-9]{1,15}, not -0.
          if (!integerDigits || end - start > (ch === MINUS ? 16 : 15) || (ch === MINUS && s.charCodeAt(start + 1) === ZERO)) plain = 0;
        } else if (ch === LOWER_T && (known || s.startsWith('true', start))) {
          end = start + 4;
          k = TRUE;
        } else if (ch === LOWER_F && (known || s.startsWith('false', start))) {
          end = start + 5;
          k = FALSE;
        } else if (ch === LOWER_N && (known || s.startsWith('null', start))) {
          end = start + 4;
          k = NULL;
          plain = 0;
        } else return false;
        // A number a double may round, in a json column: the row writer reads it exactly from a record only.
        // Nor under an alias, which the positions do not read exactly.
        if ((k === NESTED || k === NUMBER) && exactOnly[key] === 1 && hasLongNumber(s, start, end)) return false;
        valueStart[f] = start;
        valueEnd[f] = end;
        canonical[f] = plain;
        kind[f] = k;
        f++;
        const d = s.charCodeAt(end);
        if (d === COMMA) i = end + 1;
        else if (d === CLOSE_BRACE && end === n - 1) break;
        else return false;
      }
    }
    if (!known) {
      if (f !== this.shapeLength) changed = true;
      this.shapeLength = f;
      // The second line in a row with these keys: lines to come are likely to have them too.
      if (changed) this.pattern = undefined;
      else if (this.pattern === undefined) {
        this.patternShape = shape.slice(0, f);
        this.pattern = shapePattern(this.plan, this.inputs, this.inputColumn, this.patternShape);
      }
    }
    // Every column the last line had gets its value again when this one has its keys: no need to clear the rest.
    if (!known || this.valuesShape !== patternShape) {
      this.vals.fill(undefined);
      this.valuesShape = known ? patternShape : undefined;
    }
    if (!this.values(s, f)) return false;
    // The converters may ask the positions for a value's text (unixnano digits).
    fields.scanned(f);
    return true;
  }

  /**
   * Makes the values of the `count` fields found, by column. A text column's text stays in the line, where the row
   * writer copies it from; it is cut only for whoever reads the value (Columns#value).
   */
  private values(s: string, count: number): boolean {
    const { vals, kind, columnOfField, fields, textColumn, requiredColumn, cols } = this;
    const { valueStart, valueEnd, canonical } = fields;
    const { textStart, textEnd } = cols;
    cols.line = s;
    for (let f = 0; f < count; f++) {
      const start = valueStart[f] as number;
      const end = valueEnd[f] as number;
      const c = columnOfField[f] as number;
      let v: unknown;
      switch (kind[f]) {
        case STRING:
          // A required column's empty text is a missing value: the normaliser must see it.
          if (textColumn[c] === 1 && (requiredColumn[c] === 0 || end - start > 2)) {
            textStart[c] = start + 1;
            textEnd[c] = end - 1;
            v = TEXT_IN_LINE;
          } else v = s.slice(start + 1, end - 1);
          break;
        case NUMBER:
          v = numberOf(s, start, end, canonical[f] === 1);
          break;
        case TRUE:
          v = true;
          break;
        case FALSE:
          v = false;
          break;
        case NULL:
          v = null;
          break;
        case EMPTY_OBJECT:
          v = {};
          break;
        case EMPTY_ARRAY:
          v = [];
          break;
        default:
          v = kind[f] === NESTED ? textArrayOf(s, start, end) : undefined;
          if (v !== undefined) break;
          // Escaped strings and other nested values: JSON.parse of their text alone checks and reads them.
          try {
            v = JSON.parse(s.slice(start, end));
          } catch {
            return false;
          }
      }
      vals[c] = v;
    }
    return true;
  }
}

/**
 * `["a","b"]`, an array of text without escapes (most non-empty arrays in Logpush lines), read without JSON.parse;
 * undefined for any other value.
 */
function textArrayOf(s: string, start: number, end: number): string[] | undefined {
  if (s.charCodeAt(start) !== OPEN_BRACKET || s.charCodeAt(start + 1) !== QUOTE) return undefined;
  const out: string[] = [];
  let i = start + 1;
  for (;;) {
    const q = s.indexOf('"', i + 1);
    if (q === -1 || q >= end) return undefined;
    const text = s.slice(i + 1, q);
    if (text.includes('\\')) return undefined;
    out.push(text);
    const next = s.charCodeAt(q + 1);
    if (next === CLOSE_BRACKET) return q + 2 === end ? out : undefined;
    if (next !== COMMA || s.charCodeAt(q + 2) !== QUOTE) return undefined;
    i = q + 2;
  }
}

/** RegExp#test, false where V8 gives up on a hostile line (its backtracking stack). */
function matches(pattern: RegExp, s: string): boolean {
  try {
    return pattern.test(s);
  } catch {
    return false;
  }
}

/** JSON's pieces, for the shape patterns: a string (escapes checked), a number, a flat array or object. */
const STRING_PATTERN = String.raw`"[^"\\\x00-\x1f]*(?:\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})[^"\\\x00-\x1f]*)*"`;
const NUMBER_PATTERN = String.raw`-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?`;
const SCALAR = `(?:${STRING_PATTERN}|${NUMBER_PATTERN}|true|false|null)`;
const FLAT_ARRAY = `\\[(?:${SCALAR}(?:,${SCALAR})*)?\\]`;
const FLAT_OBJECT = `\\{(?:${STRING_PATTERN}:${SCALAR}(?:,${STRING_PATTERN}:${SCALAR})*)?\\}`;

/**
 * The values a shape pattern takes for a column, by its type: the forms Logpush writes. A line with another form
 * (a number in a text column, an object nested deeper) does not match and is read key by key, as correctly.
 */
function valuePattern(type: FieldPlan['type']): string {
  switch (type) {
    case 'string':
      return `(?:${STRING_PATTERN}|null)`;
    case 'boolean':
      return '(?:true|false|null)';
    case 'bigint':
    case 'int':
    case 'smallint':
    case 'float':
      return `(?:${NUMBER_PATTERN}|null)`;
    case 'timestamp':
      return `(?:${NUMBER_PATTERN}|${STRING_PATTERN}|null)`;
    case 'array':
      return `(?:${FLAT_ARRAY}|null)`;
    case 'json':
      return `(?:${FLAT_OBJECT}|${FLAT_ARRAY}|${SCALAR})`;
  }
}

/**
 * The shape patterns a process keeps, by their text, least recently used first, up to MAX_PATTERN_CHARS of it: V8's
 * code for a pattern is about a hundred times its text (1.1 MB for http_requests' 12 KB), and input lines, which
 * choose the shapes, must not choose how much memory they take. One pattern longer than the bound is kept alone.
 */
const MAX_PATTERN_CHARS = 64 * 1024;
const patterns = new Map<string, RegExp | null>();
let patternChars = 0;

/**
 * The pattern of one line shape: `{`, each key's `"Key":` and value pattern in the shape's order, `}`. Compiled
 * once while it stays among the patterns kept (compiling one costs milliseconds), null when V8 refuses it.
 */
function shapePattern(plan: NormalisePlan, inputs: readonly string[], inputColumn: Int32Array, shape: Int32Array): RegExp | null {
  const parts: string[] = [];
  for (const key of shape) {
    const f = plan.fields[inputColumn[key] as number] as FieldPlan;
    parts.push(escapeRegExp(JSON.stringify(inputs[key])) + ':' + valuePattern(f.type));
  }
  const source = `^\\{${parts.join(',')}\\}$`;
  let pattern = patterns.get(source);
  if (pattern !== undefined) {
    // Used again: the last to go.
    patterns.delete(source);
    patterns.set(source, pattern);
    return pattern;
  }
  try {
    pattern = new RegExp(source);
  } catch {
    pattern = null;
  }
  patterns.set(source, pattern);
  patternChars += source.length;
  for (const old of patterns.keys()) {
    if (patternChars <= MAX_PATTERN_CHARS || patterns.size === 1) break;
    patterns.delete(old);
    patternChars -= old.length;
  }
  return pattern;
}

/** The text of the shape patterns kept, in characters (for tests of the bound). */
export function shapePatternChars(): number {
  return patternChars;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const STRING = 0;
const ESCAPED = 1;
const NUMBER = 2;
const TRUE = 3;
const FALSE = 4;
const NULL = 5;
const EMPTY_OBJECT = 6;
const EMPTY_ARRAY = 7;
const NESTED = 8;

const MISSES_BEFORE_BACKING_OFF = 16;
const NONE = 0x7fffffff;
const QUOTE = 34;
const COMMA = 44;
const COLON = 58;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const MINUS = 45;
const PLUS = 43;
const DOT = 46;
const ZERO = 48;
const NINE = 57;
const LOWER_T = 116;
const LOWER_F = 102;
const LOWER_N = 110;
/** JSON text holds no raw control character (in a string it must be escaped; between tokens only whitespace). */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f]/;
/** A column name this path can find by its text: no quote, backslash or control character. */
// eslint-disable-next-line no-control-regex
const PLAIN_NAME = /^[^"\\\u0000-\u001f]*$/;
const ARRAY_INDEX = /^(?:0|[1-9]\d*)$/;

function nextEscape(s: string, from: number): number {
  const e = s.indexOf('\\', from);
  return e === -1 ? NONE : e;
}


function isDigit(c: number): boolean {
  return c >= ZERO && c <= NINE;
}

/** Set by endOfNumber: the number was digits alone (no fraction or exponent). */
let integerDigits = false;

/** `i` at a number's first character: the index after it when it is JSON's grammar, else -1. */
function endOfNumber(s: string, i: number): number {
  integerDigits = false;
  if (s.charCodeAt(i) === MINUS) i++;
  const first = s.charCodeAt(i);
  if (first === ZERO) i++;
  else if (first > ZERO && first <= NINE) {
    i++;
    while (isDigit(s.charCodeAt(i))) i++;
  } else return -1;
  const c = s.charCodeAt(i);
  if (c !== DOT && (c | 32) !== 101 /* e */) {
    integerDigits = true;
    return i;
  }
  if (c === DOT) {
    if (!isDigit(s.charCodeAt(++i))) return -1;
    while (isDigit(s.charCodeAt(i))) i++;
  }
  if ((s.charCodeAt(i) | 32) === 101 /* e */) {
    const sign = s.charCodeAt(++i);
    if (sign === PLUS || sign === MINUS) i++;
    if (!isDigit(s.charCodeAt(i))) return -1;
    while (isDigit(s.charCodeAt(i))) i++;
  }
  return i;
}

/**
 * The number JSON.parse makes of [start, end): a short integer (`short`: -?[0-9]{1,15}, which a double holds
 * exactly, or -0) from its digits, the rest by Number().
 */
function numberOf(s: string, start: number, end: number, short: boolean): number {
  if (!short) return Number(s.slice(start, end));
  const negative = s.charCodeAt(start) === MINUS;
  let v = 0;
  for (let i = negative ? start + 1 : start; i < end; i++) v = v * 10 + (s.charCodeAt(i) - ZERO);
  return negative ? -v : v;
}
