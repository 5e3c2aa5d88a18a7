/** What the normaliser fills for one record, and why a record cannot be a row. */

/**
 * A column holds nothing, the input's value as it came (its JSON text can be copied), or a converted value; or, from
 * the scanner, text as it came not yet cut from the line (read it with `Columns#value`, which cuts it: then AS_IS).
 */
export const ABSENT_COLUMN = 0;
export const AS_IS = 1;
export const CONVERTED = 2;
export const IN_LINE = 3;

/** A value's text, [start, end) of `line`. */
export interface TextSpan {
  line: string;
  start: number;
  end: number;
}

/** What the scanner hands the normaliser for a text value it leaves in the line (lib/record/scan.ts). */
export const TEXT_IN_LINE: unique symbol = Symbol('text in the line');

/**
 * One record's columns, in schema order: what the normaliser fills and the row writer reads. Reused from line to
 * line of an input, so a row costs no object of its own; `values` of absent columns are stale, never read. A text
 * value may be a slice of the line (lib/record/scan.ts), which keeps the whole line in memory while it lives: what
 * keeps a value past its row (a dictionary, a detection's group) keeps `ownString(value)`.
 */
export class Columns {
  readonly state: Uint8Array;
  readonly values: unknown[];
  /** Input fields the schema does not know, or undefined when there are none. */
  unknown: Record<string, unknown> | undefined = undefined;
  /**
   * Optional fields whose value does not fit their column, as received (field -> value), or undefined when there
   * are none: the row keeps them in p_invalid_fields instead of being rejected for them.
   */
  invalid: Record<string, unknown> | undefined = undefined;
  eventTime: string | undefined = undefined;
  /** For IN_LINE columns: where the text is in `line`, between its quotes. */
  readonly textStart: Int32Array;
  readonly textEnd: Int32Array;
  line = '';
  constructor(count: number) {
    this.state = new Uint8Array(count);
    this.values = new Array<unknown>(count).fill(undefined);
    this.textStart = new Int32Array(count);
    this.textEnd = new Int32Array(count);
  }

  /** A copy of the row's columns, to read after the next line is parsed into these (its line stays with it). */
  copy(): Columns {
    const c = Object.create(Columns.prototype) as Columns;
    return Object.assign(c, {
      state: this.state.slice(),
      values: this.values.slice(),
      unknown: this.unknown,
      invalid: this.invalid,
      eventTime: this.eventTime,
      textStart: this.textStart.slice(),
      textEnd: this.textEnd.slice(),
      line: this.line,
    });
  }

  /**
   * Where text column i's value is in the line while it is still there, not cut out: sets `span` and returns true.
   * Else false: read it with `value`.
   */
  textSpan(i: number, span: TextSpan): boolean {
    if (this.state[i] !== IN_LINE) return false;
    span.line = this.line;
    span.start = this.textStart[i] as number;
    span.end = this.textEnd[i] as number;
    return true;
  }

  /** Column i's value, or undefined when the record has none. */
  value(i: number): unknown {
    const st = this.state[i];
    if (st === IN_LINE) {
      this.state[i] = AS_IS;
      return (this.values[i] = this.line.slice(this.textStart[i], this.textEnd[i]));
    }
    return st === ABSENT_COLUMN ? undefined : this.values[i];
  }
}

export type NormaliseFailure = { reason: 'schema' | 'invalid_timestamp' | 'missing_required'; message: string };

/** The failure of a required field without a value. */
export function missing(name: string): NormaliseFailure {
  return { reason: 'missing_required', message: `${name}: required field is missing, null or empty` };
}

/**
 * `text` as a string of its own, not a view into a longer one: V8 makes a slice of 13 or more characters a view of
 * the string it was cut from. JSON.parse makes a flat string, with no view or joined string around it.
 */
export function ownString(text: string): string {
  return text.length < 13 ? text : (JSON.parse(JSON.stringify(text)) as string);
}
