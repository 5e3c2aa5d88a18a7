/**
 * JSON for log lines. `JSON.parse` is the fastest parser Node has, but it rounds integers beyond 2^53, and
 * Logpush's default `unixnano` timestamps are 19-digit integers. Rather than parse every line slowly, we parse
 * fast and recover the exact digits of the few top-level integers that came out unsafe, from the raw text.
 */

/**
 * The literal digits of top-level field `key` in `line`, given that JSON.parse produced `parsed` for it.
 *
 * `"key":` can only appear unescaped in valid JSON as an object key (inside a string the quotes would be
 * escaped), but nested objects (Subrequests, headers) can reuse the name. Every candidate whose digits parse
 * to the same double is collected; if they all agree the answer is certain, otherwise a full scan decides.
 */
export function exactIntegerText(line: string, key: string, parsed: number): string | undefined {
  const needle = `"${key}"`;
  let found: string | undefined;
  let ambiguous = false;
  for (let i = line.indexOf(needle); i !== -1; i = line.indexOf(needle, i + needle.length)) {
    if (i > 0 && line.charCodeAt(i - 1) === 92 /* \ */) continue;
    const digits = numberAfterColon(line, i + needle.length);
    if (digits === undefined || Number(digits) !== parsed) continue;
    if (found === undefined) found = digits;
    else if (found !== digits) ambiguous = true;
  }
  if (!ambiguous) return found;
  return topLevelNumberText(line, key);
}

/** `\s*:\s*(-?\d+)` followed by `\s*[,}\]]`, scanned by hand: this runs for every unixnano field. */
function numberAfterColon(line: string, from: number): string | undefined {
  const n = line.length;
  let i = skipSpace(line, from);
  if (line.charCodeAt(i) !== 58 /* : */) return undefined;
  i = skipSpace(line, i + 1);
  const start = i;
  if (line.charCodeAt(i) === 45 /* - */) i++;
  const digitsStart = i;
  while (i < n) {
    const c = line.charCodeAt(i);
    if (c < 48 || c > 57) break;
    i++;
  }
  if (i === digitsStart) return undefined;
  const end = i;
  i = skipSpace(line, i);
  const c = line.charCodeAt(i);
  return c === 44 /* , */ || c === 125 /* } */ || c === 93 /* ] */ ? line.slice(start, end) : undefined;
}

/**
 * Where `text` escapes a lone UTF-16 surrogate (`\ud800` not followed by a low-surrogate escape, or a `\udc00` not
 * preceded by a high one), or -1. JSON.parse takes such an escape, but no UTF-8 can hold the character it stands
 * for: written back it is the escape again, which DuckDB refuses, or U+FFFD in Parquet. The line is refused like a
 * raw surrogate's bytes. Only a backslash-u that is itself not escaped is looked at, and most lines have none.
 */
export function loneSurrogateEscape(text: string): number {
  for (let i = text.indexOf('\\u'); i !== -1; i = text.indexOf('\\u', i + 2)) {
    const code = hex4(text, i + 2);
    if (code < 0xd800 || code > 0xdfff) continue;
    // An odd run of backslashes before this one escapes it: then it starts no \u escape.
    let b = i;
    while (b > 0 && text.charCodeAt(b - 1) === 92 /* \ */) b--;
    if ((i - b) % 2 === 1) continue;
    if (code >= 0xdc00) return i; // a low surrogate that no high one took
    const next = text.charCodeAt(i + 6) === 92 && text.charCodeAt(i + 7) === 117 /* u */ ? hex4(text, i + 8) : -1;
    if (next < 0xdc00 || next > 0xdfff) return i;
    i += 6; // the pair's low half is taken: the search goes on after it
  }
  return -1;
}

/** The value of the four hex digits at `at`, or -1. */
function hex4(text: string, at: number): number {
  let v = 0;
  for (let k = at; k < at + 4; k++) {
    const c = text.charCodeAt(k);
    const d = c >= 48 && c <= 57 ? c - 48 : (c | 32) >= 97 && (c | 32) <= 102 ? (c | 32) - 87 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

/** Past JSON whitespace from `i`. */
export function skipSpace(line: string, i: number): number {
  for (;;) {
    const c = line.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) return i;
    i++;
  }
}

/** A small structural scan: the text of the number literal bound to `key` at depth 1, or undefined. */
export function topLevelNumberText(line: string, key: string): string | undefined {
  let depth = 0;
  let i = 0;
  const n = line.length;
  let lastKey: string | undefined;
  while (i < n) {
    const c = line.charCodeAt(i);
    if (c === 34 /* " */) {
      const start = i + 1;
      i++;
      while (i < n) {
        const d = line.charCodeAt(i);
        if (d === 92) i += 2;
        else if (d === 34) break;
        else i++;
      }
      const text = line.slice(start, i);
      i++;
      let j = i;
      while (j < n && (line.charCodeAt(j) === 32 || line.charCodeAt(j) === 9)) j++;
      lastKey = depth === 1 && line.charCodeAt(j) === 58 /* : */ ? text : undefined;
      if (lastKey === key) {
        const digits = numberAfterColon(line, i);
        if (digits !== undefined) return digits;
      }
      continue;
    }
    if (c === 123 || c === 91) depth++;
    else if (c === 125 || c === 93) depth--;
    i++;
  }
  return undefined;
}


/**
 * Numbers outside the typed columns (json columns, unknown fields, numbers in string columns and arrays) must be
 * written as received, but JSON.parse gives doubles: 12345678901234567891 becomes 12345678901234567000 and
 * 0.1000000000000000055511151231257827 becomes 0.1. The text of such a value is read again here, on the few lines
 * whose text holds a number a double may not keep (`hasLongNumber`), so every other line pays nothing.
 */

/** A number whose double is another decimal value than its text: `text` is what the output writes. */
export class ExactNumber {
  constructor(
    readonly text: string,
    /** What JSON.parse made of it (what filters and indicators see). */
    readonly value: number,
  ) {}
}

/**
 * Whether [start, end) of valid JSON holds a number token (outside strings) with more than 15 digits before its
 * exponent, or with an exponent: only those can stand for another value than their double (15 significant
 * digits always survive the round trip; an exponent can underflow). Conservative: `sameDecimal` decides.
 */
export function hasLongNumber(text: string, start: number, end: number): boolean {
  let run = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      i = endOfString(text, i) - 1;
      run = 0;
    } else if (c >= 48 && c <= 57) {
      if (++run > 15) return true;
    } else if (c !== 46 /* . */) {
      // 'e' or 'E' right after digits is an exponent; the e of true and false follows a letter.
      if ((c | 32) === 101 && run > 0) return true;
      run = 0;
    }
  }
  return false;
}

/**
 * Whether two number texts denote the same decimal value (`1.50` and `1.5`, `1e2` and `100`, `-0` and `0`):
 * then the double's shortest form, which JSON.stringify writes, loses nothing.
 */
export function sameDecimal(a: string, b: string): boolean {
  return decimalKey(a) === decimalKey(b);
}

const NUMBER_PARTS = /^(-?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/** `sign digits e exponent` with no leading or trailing zeros in the digits; "0" for any zero. */
function decimalKey(t: string): string {
  const m = NUMBER_PARTS.exec(t);
  if (!m) return t;
  const frac = m[3] ?? '';
  const digits = (m[2] ?? '') + frac;
  let exp = (m[4] === undefined ? 0 : Number(m[4])) - frac.length;
  let a = 0;
  while (a < digits.length && digits.charCodeAt(a) === 48) a++;
  let b = digits.length;
  while (b > a && digits.charCodeAt(b - 1) === 48) {
    b--;
    exp++;
  }
  return a === b ? '0' : `${m[1] ?? ''}${digits.slice(a, b)}e${exp}`;
}

/** `i` at an opening quote: the index of the closing one, or -1 when the text ends first. */
export function closingQuote(text: string, i: number): number {
  for (;;) {
    const q = text.indexOf('"', i + 1);
    if (q === -1) return -1;
    let b = q - 1;
    while (text.charCodeAt(b) === 92 /* \ */) b--;
    // An even run of backslashes escapes nothing: this quote closes the string.
    if ((q - 1 - b) % 2 === 0) return q;
    i = q;
  }
}

/** `i` at an opening quote: the index after the closing one (the text's end when it has none). */
function endOfString(text: string, i: number): number {
  const q = closingQuote(text, i);
  return q === -1 ? text.length : q + 1;
}

/**
 * `i` at `{` or `[`: the index after its closing bracket, or -1 when the text ends first. Brackets are counted and
 * strings skipped; the grammar is not checked.
 */
export function endOfNested(text: string, i: number): number {
  const n = text.length;
  let depth = 0;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      i = closingQuote(text, i);
      if (i === -1) return -1;
    } else if (c === 123 /* { */ || c === 91 /* [ */) depth++;
    else if ((c === 125 /* } */ || c === 93) /* ] */ && --depth === 0) return i + 1;
  }
  return -1;
}

/**
 * Deeper than this the exact reading gives up (the values stay rounded): the reader recurses, so hostile nesting
 * must not reach the stack, and the normaliser refuses values nested deeper than MAX_DEPTH (lib/schema/limits.ts)
 * anyway.
 */
const EXACT_MAX_DEPTH = 40;
const TOO_DEEP = new Error('nested too deep for the exact reader');

/**
 * Reads valid JSON text as JSON.parse does (the last of duplicate keys wins, in the first one's place; objects
 * without a prototype, so `__proto__` is a plain key) except that a number whose double is another decimal value
 * becomes an ExactNumber. Only for text JSON.parse has accepted: it skips rather than checks the grammar.
 */
class ExactReader {
  /** ExactNumbers made so far. */
  found = 0;
  constructor(
    private readonly s: string,
    public i: number,
  ) {}

  value(depth: number): unknown {
    const s = this.s;
    const i = (this.i = skipSpace(s, this.i));
    const c = s.charCodeAt(i);
    if (c === 34) return this.string();
    if (c === 123 || c === 91) {
      if (depth > EXACT_MAX_DEPTH) throw TOO_DEEP;
      return c === 123 ? this.object(depth) : this.array(depth);
    }
    if (c === 116 /* t */) return this.literal(4, true);
    if (c === 102 /* f */) return this.literal(5, false);
    if (c === 110 /* n */) return this.literal(4, null);
    return this.number();
  }

  /** A top-level object, member by member: `onMember(key, value, exact)` with exact = it holds an ExactNumber. */
  members(onMember: (key: string, value: unknown, exact: boolean) => void): void {
    const s = this.s;
    this.i = skipSpace(s, this.i) + 1;
    for (;;) {
      this.i = skipSpace(s, this.i);
      const c = s.charCodeAt(this.i);
      if (c === 44 /* , */) {
        this.i++;
        continue;
      }
      if (c !== 34) return;
      const key = this.string();
      this.i = skipSpace(s, this.i) + 1;
      const before = this.found;
      const v = this.value(1);
      onMember(key, v, this.found !== before);
    }
  }

  private object(depth: number): Record<string, unknown> {
    const s = this.s;
    const o = Object.create(null) as Record<string, unknown>;
    this.i++;
    for (;;) {
      this.i = skipSpace(s, this.i);
      const c = s.charCodeAt(this.i);
      if (c === 125 /* } */) {
        this.i++;
        return o;
      }
      if (c === 44) {
        this.i++;
        continue;
      }
      const key = this.string();
      this.i = skipSpace(s, this.i) + 1;
      o[key] = this.value(depth + 1);
    }
  }

  private array(depth: number): unknown[] {
    const s = this.s;
    const a: unknown[] = [];
    this.i++;
    for (;;) {
      this.i = skipSpace(s, this.i);
      const c = s.charCodeAt(this.i);
      if (c === 93 /* ] */) {
        this.i++;
        return a;
      }
      if (c === 44) {
        this.i++;
        continue;
      }
      a.push(this.value(depth + 1));
    }
  }

  private string(): string {
    const start = this.i;
    const end = (this.i = endOfString(this.s, start));
    const body = this.s.slice(start + 1, end - 1);
    return body.includes('\\') ? (JSON.parse(this.s.slice(start, end)) as string) : body;
  }

  private literal(length: number, v: boolean | null): boolean | null {
    this.i += length;
    return v;
  }

  private number(): number | ExactNumber {
    const s = this.s;
    const start = this.i;
    let i = start;
    for (;;) {
      const c = s.charCodeAt(i);
      // - + . digits e E: the characters of a number token.
      if ((c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46 || (c | 32) === 101) i++;
      else break;
    }
    this.i = i;
    const text = s.slice(start, i);
    const value = Number(text);
    // Beyond double range (Infinity) stays a number: the normaliser refuses it.
    if (!Number.isFinite(value) || !hasLongNumber(text, 0, text.length) || sameDecimal(text, String(value))) return value;
    this.found++;
    return new ExactNumber(text, value);
  }
}

/**
 * The value of the JSON text [start, end), with ExactNumbers where JSON.parse rounded; undefined when it has none
 * (then the parsed value writes the same).
 */
export function exactValueOf(text: string, start: number, end: number): unknown {
  if (!hasLongNumber(text, start, end)) return undefined;
  const r = new ExactReader(text, start);
  try {
    const v = r.value(1);
    return r.found > 0 ? v : undefined;
  } catch (e) {
    if (e === TOO_DEEP) return undefined;
    throw e;
  }
}

/** Top-level fields of a line whose value holds an ExactNumber, by name (the last of duplicates wins). */
export type ExactFields = Map<string, unknown>;

/** The exact values of a whole record's fields, for lines whose field positions are not known. */
export function exactFieldsOf(line: string): ExactFields {
  const out: ExactFields = new Map();
  if (!hasLongNumber(line, 0, line.length)) return out;
  try {
    new ExactReader(line, 0).members((key, value, exact) => {
      if (exact) out.set(key, value);
      else out.delete(key);
    });
  } catch (e) {
    // Such a line is refused by the normaliser; its numbers stay rounded meanwhile.
    if (e === TOO_DEEP) return new Map();
    throw e;
  }
  return out;
}

/** JSON.stringify for values from the exact reader: an ExactNumber is written as its text. */
export function stringifyExact(v: unknown): string {
  if (v instanceof ExactNumber) return v.text;
  if (typeof v !== 'object' || v === null) return JSON.stringify(v);
  if (Array.isArray(v)) {
    let out = '[';
    for (let i = 0; i < v.length; i++) out += (i === 0 ? '' : ',') + stringifyExact(v[i]);
    return out + ']';
  }
  let out = '{';
  let sep = '';
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    out += sep + JSON.stringify(k) + ':' + stringifyExact(o[k]);
    sep = ',';
  }
  return out + '}';
}
