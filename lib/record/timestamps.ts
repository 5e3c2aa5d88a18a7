/**
 * Timestamps, exactly. Every output timestamp is `YYYY-MM-DD HH:MM:SS.fffffffff` (UTC, nine digits), the text
 * Glue's JSON SerDe and Athena read as `timestamp`. Because that text has a fixed width, comparing two of them
 * as strings compares the instants, and the partition hour is a slice of it.
 *
 * Numbers follow Panther's rule for Cloudflare (a string is RFC3339, an integer below 6e10 is seconds, larger is
 * nanoseconds), extended by magnitude to milliseconds and microseconds, which Cloudflare never sends but other
 * tools do (documented in docs/compatibility.md). Nanoseconds stay exact: digits are handled as text, never as
 * a double.
 *
 * What does not exist is refused: a day its month does not have, an offset beyond what RFC 3339 allows (hours
 * 00-23, minutes 00-59), a second 60 anywhere but 23:59:60 UTC on a month's last day (where a leap second can be),
 * an instant outside 0001-01-01..9999-12-31 UTC, the lake's range for every input (formatEpoch), year 0000 included
 * although RFC 3339 allows it. ISO 8601's 24:00:00, the midnight that ends a day, is one unambiguous instant and is
 * read as such.
 */

const NINE_ZEROS = '000000000';

/** Characters in a lake timestamp: `YYYY-MM-DD HH:MM:SS.fffffffff`. */
export const LAKE_TIME_LENGTH = 29;

/** A lake timestamp from its date (`YYYY-MM-DD`), time of day (`HH:MM:SS`) and 0 to 9 fraction digits. */
export function lakeTimeOf(date: string, time: string, fraction: string): string {
  return `${date} ${time}.${fraction.padEnd(9, '0')}`;
}

/**
 * Whether a string has the lake timestamp's shape: told by its length and separators, not a regex (callers run it
 * per row). The digits are not checked.
 */
export function hasLakeTimeShape(v: string): boolean {
  return v.length === LAKE_TIME_LENGTH && v.charCodeAt(10) === 32 && v.charCodeAt(19) === 46 && v.charCodeAt(4) === 45;
}

/** `YYYY-MM-DD HH:MM:SS.`, the lake timestamp up to its fraction, of an instant in milliseconds since the epoch. */
function secondPrefix(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2017-09-29T16:28:24.000Z
  return iso.slice(0, 10) + ' ' + iso.slice(11, 19) + '.';
}

/** Formats whole seconds since the epoch plus a nine-digit fraction. Caches the last second: a batch is ordered. */
let cachedSecond = NaN;
let cachedPrefix = '';
export function formatEpoch(seconds: number, nanos9: string): string | undefined {
  if (seconds !== cachedSecond) {
    const ms = seconds * 1000;
    // Athena timestamps are years 0001..9999; anything else is not a real event time.
    if (!(ms >= -62135596800000 && ms <= 253402300799000)) return undefined;
    cachedPrefix = secondPrefix(ms);
    cachedSecond = seconds;
  }
  return cachedPrefix + nanos9;
}

/** An integer given as decimal digits (optionally signed), any magnitude rule applied. */
export function fromIntegerDigits(digits: string): string | undefined {
  const neg = digits.charCodeAt(0) === 45; /* - */
  const abs = neg ? digits.slice(1) : digits;
  if (abs.length === 0 || abs.length > 19) return undefined;
  // Scale by magnitude: <6e10 seconds, <6e13 ms, <6e16 us, else ns.
  let fracDigits: number;
  if (abs.length < 11 || (abs.length === 11 && abs < '60000000000')) fracDigits = 0;
  else if (abs.length < 14 || (abs.length === 14 && abs < '60000000000000')) fracDigits = 3;
  else if (abs.length < 17 || (abs.length === 17 && abs < '60000000000000000')) fracDigits = 6;
  else fracDigits = 9;
  if (neg) return beforeEpoch(abs, fracDigits);
  const secText = fracDigits === 0 ? abs : abs.slice(0, abs.length - fracDigits);
  const frac = fracDigits === 0 ? '' : abs.slice(abs.length - fracDigits);
  return formatEpoch(secText === '' ? 0 : Number(secText), (frac + NINE_ZEROS).slice(0, 9));
}

/** Negative digits, exact too; apart, so that the common case stays short. */
function beforeEpoch(abs: string, fracDigits: number): string | undefined {
  return fromDecimalSeconds(true, abs.slice(0, abs.length - fracDigits), abs.slice(abs.length - fracDigits));
}

/**
 * Seconds given as decimal text, `-`? whole `.` frac: exact, any number of fractional digits, those below the
 * nanosecond dropped (towards the past, so before 1970 too the instant is never moved later).
 */
function fromDecimalSeconds(neg: boolean, whole: string, frac: string): string | undefined {
  const sec = whole === '' ? 0 : Number(whole);
  const nanos9 = frac.length >= 9 ? frac.slice(0, 9) : (frac + NINE_ZEROS).slice(0, 9);
  if (!neg) return formatEpoch(sec, nanos9);
  // Before 1970 the fraction counts back from the whole second: -1.25 s is 23:59:58.750000000.
  const below = Number(nanos9) + (/[1-9]/.test(frac.slice(9)) ? 1 : 0);
  if (below === 0) return formatEpoch(sec === 0 ? 0 : -sec, NINE_ZEROS);
  return formatEpoch(-sec - 1, String(1e9 - below).padStart(9, '0'));
}

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

function fromFloatSeconds(s: number): string | undefined {
  if (!Number.isFinite(s)) return undefined;
  // The digits of the shortest decimal that reads back as `s`: those that were written, whenever a double can tell
  // them apart (microseconds today), where (s - floor(s)) * 1e9 makes up digits (1506702504.433 -> .433000088).
  const m = DECIMAL.exec(String(s));
  if (m !== null) return fromDecimalSeconds(m[1] === '-', m[2] as string, m[3] ?? '');
  // Exponent forms: |s| < 1e-6 (a double is exact enough there) or >= 1e21 (out of range).
  const sec = Math.floor(s);
  const nanos = Math.round((s - sec) * 1e9);
  return formatEpoch(sec, String(Math.min(nanos, 999999999)).padStart(9, '0'));
}

/** A JSON number: integers by the magnitude rule; a fractional number as seconds. */
export function fromNumber(n: number): string | undefined {
  if (Number.isSafeInteger(n)) return fromIntegerDigits(String(n));
  if (Number.isInteger(n)) return fromIntegerDigits(BigInt(n).toString()); // rounded already; caller passes exact digits when it has them
  return fromFloatSeconds(n);
}

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2}))?(?:[.,](\d{1,9})\d*)?)?\s*(Z|z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$/;

/** RFC3339 with 0..9 fractional digits; a missing zone is UTC; a date alone is midnight. */
export function fromRfc3339(text: string): string | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone] = m;
  let offsetMin = 0;
  if (zone && zone[0] !== 'Z' && zone[0] !== 'z' && zone !== 'UTC' && zone !== 'GMT') {
    offsetMin = offsetMinutes(zone);
    if (Number.isNaN(offsetMin)) return undefined;
  }
  return fromParts(Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s), frac, offsetMin);
}

/** `±hh`, `±hhmm` or `±hh:mm` in minutes; NaN beyond what RFC 3339 allows (hours 00-23, minutes 00-59). */
function offsetMinutes(zone: string): number {
  const digits = zone.replace(':', '');
  const hours = Number(digits.slice(1, 3));
  const minutes = Number(digits.slice(3, 5) || '0');
  if (hours > 23 || minutes > 59) return NaN;
  return (zone[0] === '-' ? -1 : 1) * (hours * 60 + minutes);
}

const MONTHS: Record<string, number> = {
  jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12,
};
const RFC1123 = /^(?:[A-Za-z]{3,9},?\s+)?(\d{1,2})[\s-]+([A-Za-z]{3})[\s-]+(\d{2,4})\s+(\d{2}):(\d{2}):(\d{2})\s*(GMT|UTC|UT|Z|[+-]\d{4})?$/;

/** HTTP dates (`Fri, 21 Oct 2016 07:28:00 GMT`); the weekday is not checked, real headers get it wrong. */
export function fromRfc1123(text: string): string | undefined {
  const m = RFC1123.exec(text);
  if (!m) return undefined;
  const [, d, mon, y, h, mi, s, zone] = m;
  const month = MONTHS[(mon as string).toLowerCase()];
  if (month === undefined) return undefined;
  let year = Number(y);
  if ((y as string).length === 2) year += year < 70 ? 2000 : 1900;
  let offsetMin = 0;
  if (zone && (zone[0] === '+' || zone[0] === '-')) {
    offsetMin = offsetMinutes(zone);
    if (Number.isNaN(offsetMin)) return undefined;
  }
  return fromParts(year, month, Number(d), Number(h), Number(mi), Number(s), '', offsetMin);
}

function fromParts(
  y: number, mo: number, d: number, h: number, mi: number, s: number, frac: string, offsetMin: number,
): string | undefined {
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || mi > 59 || s > 60) return undefined;
  // ISO 8601 allows 24:00:00 for the midnight that ends a day, and nothing later.
  if (h > 24 || (h === 24 && (mi !== 0 || s !== 0 || /[1-9]/.test(frac)))) return undefined;
  const date = new Date(0);
  // setUTCFullYear, unlike Date.UTC, does not map years 0-99 to 1900-1999.
  date.setUTCFullYear(y, mo - 1, d);
  if (date.getUTCDate() !== d) return undefined; // 31 Feb and the like
  const ms = date.getTime() + ((h * 60 + mi) * 60 + Math.min(s, 59)) * 1000;
  const seconds = ms / 1000 - offsetMin * 60 + (s === 60 ? 1 : 0);
  const out = formatEpoch(seconds, (frac + NINE_ZEROS).slice(0, 9));
  // A leap second is 23:59:60 UTC on the last day of a month (RFC 3339 5.7), read as the midnight it runs into.
  if (s === 60 && out !== undefined && out.slice(8, 19) !== '01 00:00:00') return undefined;
  return out;
}

const DIGITS = /^\s*-?\d{1,19}\s*$/;

/**
 * Cloudflare's `timestamp_format`s, whichever the job used: unixnano / unix integers (also quoted, as
 * third-party data has them) and RFC3339 strings. An integer JSON.parse could not hold exactly is read from
 * the line's digits by the caller (fromIntegerDigits), not from here.
 */
export function parseCloudflareTime(v: unknown): string | undefined {
  if (typeof v === 'number') return fromNumber(v);
  if (typeof v === 'string') {
    if (DIGITS.test(v)) return fromIntegerDigits(v.trim());
    return fromRfc3339(v.trim());
  }
  return undefined;
}

/** RFC1123 header dates; RFC3339 accepted too, since some producers write that instead. */
export function parseHttpDate(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const t = v.trim();
  return fromRfc1123(t) ?? fromRfc3339(t);
}

/*
 * Why a value is not a timestamp, for the reject message: worded for a person, never quoting the value (it may
 * be personal data). Undefined when the value is not shaped like the format at all (the caller then names the
 * kind of value it got). Only for values the parsers above refused: none of this runs for a valid timestamp.
 */

export const OUT_OF_RANGE = "outside the years 0001..9999 (UTC) that the lake's timestamps hold";
export const NOT_INTEGER_NANOS =
  'a number beyond 2^53 with a fraction or an exponent: only integer digits are read exactly as nanoseconds';

/** Why `v` (with the exact digits of an unsafe integer, when known) is not one of Cloudflare's time formats. */
export function whyNotCloudflareTime(v: unknown, exactDigits?: string): string | undefined {
  if (typeof v === 'number') {
    if (exactDigits !== undefined) return whyNotDigits(exactDigits);
    if (Number.isInteger(v)) return whyNotDigits(Number.isSafeInteger(v) ? String(v) : BigInt(v).toString());
    return Number.isFinite(v) && fromNumber(v) === undefined ? OUT_OF_RANGE : undefined;
  }
  if (typeof v !== 'string') return undefined;
  const t = v.trim();
  if (/^-?\d+$/.test(t)) return whyNotDigits(t);
  if (/^-?\d+\.\d+$/.test(t)) return 'a number with a fraction in a string: only integer digits are read from a string';
  return whyNotRfc3339(t);
}

function whyNotDigits(digits: string): string | undefined {
  if (fromIntegerDigits(digits) !== undefined) return undefined;
  const abs = digits[0] === '-' ? digits.slice(1) : digits;
  if (abs.length > 19) return 'an integer of more than 19 digits: nanoseconds since 1970 have at most 19';
  return OUT_OF_RANGE;
}

/** Why a (trimmed) string shaped like RFC 3339 is not one. */
export function whyNotRfc3339(text: string): string | undefined {
  const m = RFC3339.exec(text);
  if (!m || fromRfc3339(text) !== undefined) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone] = m;
  let offset = '';
  if (zone && zone[0] !== 'Z' && zone[0] !== 'z' && zone !== 'UTC' && zone !== 'GMT') offset = zone;
  return whyNotParts(Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s), frac, offset);
}

/** Why a string is not an HTTP date (nor the RFC 3339 that parseHttpDate also reads). */
export function whyNotHttpDate(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const t = v.trim();
  const m = RFC1123.exec(t);
  if (!m) return whyNotRfc3339(t);
  if (fromRfc1123(t) !== undefined) return undefined;
  const [, d, mon, y, h, mi, s, zone] = m;
  const month = MONTHS[(mon as string).toLowerCase()];
  if (month === undefined) return 'not a valid date: no month has that name';
  let year = Number(y);
  if ((y as string).length === 2) year += year < 70 ? 2000 : 1900;
  const offset = zone && (zone[0] === '+' || zone[0] === '-') ? zone : '';
  return whyNotParts(year, month, Number(d), Number(h), Number(mi), Number(s), '', offset);
}

/** The checks of fromParts and offsetMinutes, one message each; the parsers refused these parts. */
function whyNotParts(y: number, mo: number, d: number, h: number, mi: number, s: number, frac: string, offset: string): string {
  if (offset !== '' && Number.isNaN(offsetMinutes(offset))) {
    return 'not a valid UTC offset: RFC 3339 allows hours 00-23 and minutes 00-59';
  }
  if (mo < 1 || mo > 12) return 'not a valid date: the month is not 01-12';
  if (d < 1 || d > daysInMonth(y, mo)) return 'not a valid date: the month has no such day';
  if (h > 24 || mi > 59 || s > 60 || (h === 24 && (mi !== 0 || s !== 0 || /[1-9]/.test(frac)))) {
    return 'not a valid time of day';
  }
  if (s === 60) {
    // Refused with a valid date and time: either not where a leap second can be, or past 9999 once it is added.
    const before = fromParts(y, mo, d, h, mi, 59, frac, offset === '' ? 0 : offsetMinutes(offset));
    if (before !== undefined && !before.startsWith('9999-12-31 23:59:59')) {
      return 'not a valid time of day: a leap second is 23:59:60 UTC on the last day of a month';
    }
  }
  return OUT_OF_RANGE;
}

function daysInMonth(y: number, mo: number): number {
  if (mo === 2) return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28;
  return mo === 4 || mo === 6 || mo === 9 || mo === 11 ? 30 : 31;
}

/** Formats a JS Date (the clock) as an output timestamp. */
export function formatDate(d: Date): string {
  const ms = d.getTime();
  const sec = Math.floor(ms / 1000);
  return formatEpoch(sec, String((ms - sec * 1000) * 1000000).padStart(9, '0')) as string;
}

/** The lake timestamp of the start of an epoch minute. */
export function minuteText(minute: number): string {
  return secondPrefix(minute * 60000) + NINE_ZEROS;
}

let cachedMinutePrefix = '';
let cachedMinute = NaN;
/**
 * Minutes since the epoch of a lake timestamp (its first 16 characters), NaN when those are not a date and time;
 * the last one is cached, as rows come in order.
 */
export function epochMinute(time: string): number {
  if (!time.startsWith(cachedMinutePrefix) || cachedMinutePrefix === '') {
    const prefix = time.slice(0, 16);
    // setUTCFullYear, not Date.UTC: Date.UTC reads years 0-99 as 1900-1999.
    const d = new Date(0);
    d.setUTCFullYear(Number(time.slice(0, 4)), Number(time.slice(5, 7)) - 1, Number(time.slice(8, 10)));
    d.setUTCHours(Number(time.slice(11, 13)), Number(time.slice(14, 16)), 0, 0);
    cachedMinute = d.getTime() / 60000;
    cachedMinutePrefix = prefix;
  }
  return cachedMinute;
}

const SECOND_NS = 1_000_000_000n;
const ZERO = 48;

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil): any year, no Date. */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** The number in ts[from, to), digits only, or NaN. */
function digits(ts: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = ts.charCodeAt(i) - ZERO;
    if (d < 0 || d > 9) return NaN;
    n = n * 10 + d;
  }
  return n;
}

/** Seconds since 1970-01-01 of a lake timestamp's whole second, or NaN when it is not one. */
function lakeSeconds(ts: string): number {
  if (ts.length !== LAKE_TIME_LENGTH) return NaN;
  const days = daysFromCivil(digits(ts, 0, 4), digits(ts, 5, 7), digits(ts, 8, 10));
  return days * 86_400 + digits(ts, 11, 13) * 3600 + digits(ts, 14, 16) * 60 + digits(ts, 17, 19);
}

/** Nanoseconds since the epoch of a lake timestamp, exactly, or undefined for any other text. */
export function timestampNanos(ts: string): bigint | undefined {
  const secs = lakeSeconds(ts);
  const frac = digits(ts, 20, 29);
  if (Number.isNaN(secs) || Number.isNaN(frac)) return undefined;
  return BigInt(secs) * SECOND_NS + BigInt(frac);
}

/**
 * Microseconds since the epoch of a lake timestamp, rounded down, or undefined for any other text: what a Parquet
 * timestamp holds. A number while doubles are exact (1685 to 2255, every real event time), which costs a fraction of
 * the arithmetic in BigInt that the rest takes.
 */
export function timestampMicros(ts: string): number | bigint | undefined {
  const secs = lakeSeconds(ts);
  const frac = digits(ts, 20, 29);
  if (Number.isNaN(secs) || Number.isNaN(frac)) return undefined;
  const micros = secs * 1_000_000 + Math.floor(frac / 1000);
  if (Number.isSafeInteger(micros)) return micros;
  const ns = BigInt(secs) * SECOND_NS + BigInt(frac);
  // Floor division: the microseconds of instants before 1970 are negative.
  const q = ns / 1000n;
  return ns < 0n && q * 1000n !== ns ? q - 1n : q;
}
