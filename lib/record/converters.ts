import { MAX_ITEMS } from '../schema/limits';
import { INTEGER_RANGES, type FieldSpec, type ScalarType, type TimeFormat } from '../schema/model';
import { exactFieldsOf, ExactFields, exactIntegerText, ExactNumber } from './json';
import { unfitJson } from './stored-json';
import {
  fromIntegerDigits,
  fromNumber,
  fromRfc3339,
  NOT_INTEGER_NANOS,
  parseCloudflareTime,
  parseHttpDate,
  whyNotCloudflareTime,
  whyNotHttpDate,
  whyNotRfc3339,
} from './timestamps';

/**
 * A column's converter per schema type: one JSON type per column in every row, timestamps as the lake's text, and
 * an empty string absent in a number, boolean or timestamp column.
 */

/** Returned by a converter for a value it cannot accept; carries the reason for the reject. */
export class Invalid {
  constructor(readonly reason: 'schema' | 'invalid_timestamp', readonly detail: string) {}
}
/** A converter's result for a value that leaves its column absent. */
export const ABSENT = undefined;

/**
 * Where a converter finds the literal digits of a top-level integer JSON.parse rounded (unixnano timestamps):
 * a search of the line's text, or the field positions the fast path has already scanned (lib/record/fields.ts).
 */
export interface LineSource {
  integerText(key: string, parsed: number): string | undefined;
  /**
   * Top-level field `key` read again from the text, with the numbers JSON.parse rounded as ExactNumber; undefined
   * when it holds none (lib/record/json.ts).
   */
  exactValue(key: string): unknown;
}

/** The reference source: searches the text (lib/record/json.ts). */
export function textSource(line: string): LineSource {
  let exact: ExactFields | undefined;
  return {
    integerText: (key, parsed) => exactIntegerText(line, key, parsed),
    exactValue: (key) => (exact ??= exactFieldsOf(line)).get(key),
  };
}

/** For values that are never recovered from text (array elements: their array's converter reads them). */
const NO_SOURCE: LineSource = { integerText: () => undefined, exactValue: () => undefined };

export type Converter = (v: unknown, src: LineSource, key: string) => unknown;

export function converterFor(f: FieldSpec): Converter {
  if (f.type === 'array') {
    const type = f.element?.type ?? 'string';
    const el = scalarConverter(type, f.element?.timeFormats ?? []);
    return (value, src, key) => {
      // A scalar where a list is expected (a job that sends one value bare) is a list of one.
      const wrapped = !Array.isArray(value);
      const v: unknown[] = wrapped ? [value] : (value as unknown[]);
      if (v.length > MAX_ITEMS) return new Invalid('schema', `more than ${MAX_ITEMS} items`);
      const out: unknown[] = new Array(v.length);
      // The array read again from the text, once, when a number becomes a string element.
      let exact: unknown = null;
      for (let i = 0; i < v.length; i++) {
        const e = v[i];
        if (e === null || e === undefined) {
          out[i] = null;
          continue;
        }
        if (type === 'string' && typeof e === 'number') {
          if (exact === null) exact = src.exactValue(key);
          const x = wrapped ? exact : Array.isArray(exact) ? (exact[i] as unknown) : undefined;
          if (x instanceof ExactNumber) {
            out[i] = x.text;
            continue;
          }
        }
        // Integers are not recovered from text: an unsafe integer in a bigint array is out of range.
        const c = el(e, NO_SOURCE, key);
        if (c instanceof Invalid) return new Invalid(c.reason, `[${i}] ${c.detail}`);
        out[i] = c === ABSENT ? null : c;
      }
      return out;
    };
  }
  return scalarConverter(f.type, f.timeFormats);
}

/** The text forms a number column reads from a string (what JSON writes, digits only, no hex or Infinity). */
const INTEGER_TEXT = /^-?[0-9]{1,19}$/;
const FLOAT_TEXT = /^-?[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?$/;

function scalarConverter(type: ScalarType, timeFormats: TimeFormat[]): Converter {
  switch (type) {
    case 'string':
      return (v, src, key) => {
        if (typeof v === 'string') return v;
        if (typeof v === 'number') {
          // 1e400: JSON.parse made it Infinity, and the text of a number that no reader can hold is no column value.
          if (!Number.isFinite(v)) return new Invalid('schema', 'number out of range');
          // A number where text is expected becomes its text: the digits received when the double lost some.
          const exact = src.exactValue(key);
          return exact instanceof ExactNumber ? exact.text : String(v);
        }
        if (typeof v === 'boolean') return String(v);
        return new Invalid('schema', `must be a string, got ${kindOf(v)}`);
      };
    case 'boolean':
      return (v) => {
        if (typeof v === 'boolean') return v;
        if (v === 'true') return true;
        if (v === 'false') return false;
        if (v === '') return ABSENT;
        return new Invalid('schema', `must be a boolean, got ${kindOf(v)}`);
      };
    case 'bigint':
    case 'int':
    case 'smallint': {
      const [min, max] = INTEGER_RANGES[type];
      return (v) => {
        let n: number;
        if (typeof v === 'number') n = v;
        else if (typeof v === 'string') {
          const t = v.trim();
          if (t === '') return ABSENT;
          // Decimal digits only: Number() would also take "0x1A", "1e3" and "131.0".
          if (!INTEGER_TEXT.test(t)) return new Invalid('schema', `must be an integer, got ${kindOf(v)}`);
          n = Number(t);
        } else return new Invalid('schema', `must be an integer, got ${kindOf(v)}`);
        if (!Number.isInteger(n)) return new Invalid('schema', `must be an integer, got ${kindOf(v)}`);
        if (n < min || n > max) return new Invalid('schema', `integer out of range for ${type}`);
        return n;
      };
    }
    case 'float':
      return (v) => {
        if (typeof v === 'number') return Number.isFinite(v) ? v : new Invalid('schema', 'number out of range');
        if (typeof v === 'string') {
          const t = v.trim();
          if (t === '') return ABSENT;
          const n = FLOAT_TEXT.test(t) ? Number(t) : NaN;
          if (Number.isFinite(n)) return n;
        }
        return new Invalid('schema', `must be a number, got ${kindOf(v)}`);
      };
    case 'timestamp':
      return timestampConverter(timeFormats);
    case 'json':
      return (v) => {
        const bad = unfitJson(v, 1);
        return bad === undefined ? v : new Invalid('schema', bad);
      };
  }
}

function timestampConverter(formats: TimeFormat[]): Converter {
  const parsers = formats.map((f): Converter => {
    switch (f) {
      case 'cloudflare':
      case 'unix':
        return (v, src, key) => {
          if (typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v)) {
            const exact = src.integerText(key, v);
            if (exact !== undefined) return fromIntegerDigits(exact);
            // Not integer digits in the text (a fraction or an exponent), and JSON.parse has rounded the value:
            // refused rather than read to the nearest double (1506702504433000200.5 is not .433000192).
            return src === NO_SOURCE ? fromNumber(v) : undefined;
          }
          return parseCloudflareTime(v);
        };
      case 'rfc3339':
        return (v) => (typeof v === 'string' ? fromRfc3339(v.trim()) : undefined);
      case 'rfc1123':
        return (v) => parseHttpDate(v);
    }
  });
  return (v, src, key) => {
    if (v === '') return ABSENT;
    for (const p of parsers) {
      const ts = p(v, src, key);
      if (ts !== undefined) return ts;
    }
    return new Invalid('invalid_timestamp', whyNotTimestamp(formats, v, src, key));
  };
}

/** The reject message for a value no parser of the column read: the first format it is shaped like says why. */
function whyNotTimestamp(formats: TimeFormat[], v: unknown, src: LineSource, key: string): string {
  for (const f of formats) {
    let why: string | undefined;
    if (f === 'rfc3339') why = typeof v === 'string' ? whyNotRfc3339(v.trim()) : undefined;
    else if (f === 'rfc1123') why = whyNotHttpDate(v);
    else if (typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v) && src !== NO_SOURCE) {
      const exact = src.integerText(key, v);
      why = exact === undefined ? NOT_INTEGER_NANOS : whyNotCloudflareTime(v, exact);
    } else why = whyNotCloudflareTime(v);
    if (why !== undefined) return why;
  }
  return `cannot read ${kindOf(v)} as a timestamp (${formats.join(', ')})`;
}

/** For messages: the kind of value, never the value (it may be personal data). */
export function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return /^\s*-?\d/.test(v) ? 'a malformed number in a string' : 'a string';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'number') return Number.isInteger(v) ? 'an integer' : 'a fractional number';
  return `a ${typeof v}`;
}
