/**
 * Timestamps, exactly. Every output timestamp is `YYYY-MM-DD HH:MM:SS.fffffffff` (UTC, nine digits), the text
 * Glue's JSON SerDe and Athena read as `timestamp`. Because that text has a fixed width, comparing two of them
 * as strings compares the instants, and the partition hour is a slice of it.
 *
 * Numbers follow Panther's rule for Cloudflare (a string is RFC3339, an integer below 6e10 is seconds, larger is
 * nanoseconds), extended by magnitude to milliseconds and microseconds, which Cloudflare never sends but other
 * tools do (documented in docs/compatibility.md). Nanoseconds stay exact: digits are handled as text, never as
 * a double.
 */

const NINE_ZEROS = '000000000';

/** Formats whole seconds since the epoch plus a nine-digit fraction. Caches the last second: a batch is ordered. */
let cachedSecond = NaN;
let cachedPrefix = '';
export function formatEpoch(seconds: number, nanos9: string): string | undefined {
  if (seconds !== cachedSecond) {
    const ms = seconds * 1000;
    // Athena timestamps are years 0001..9999; anything else is not a real event time.
    if (!(ms >= -62135596800000 && ms <= 253402300799000)) return undefined;
    const iso = new Date(ms).toISOString(); // 2017-09-29T16:28:24.000Z
    cachedPrefix = iso.slice(0, 10) + ' ' + iso.slice(11, 19) + '.';
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
  if (neg) {
    // Before 1970: let Number do it; precision below a microsecond is moot there.
    const n = Number(digits) / 10 ** fracDigits;
    return fromFloatSeconds(n);
  }
  const secText = fracDigits === 0 ? abs : abs.slice(0, abs.length - fracDigits);
  const frac = fracDigits === 0 ? '' : abs.slice(abs.length - fracDigits);
  return formatEpoch(secText === '' ? 0 : Number(secText), (frac + NINE_ZEROS).slice(0, 9));
}

function fromFloatSeconds(s: number): string | undefined {
  if (!Number.isFinite(s)) return undefined;
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
    const digits = zone.replace(':', '');
    offsetMin = (zone[0] === '-' ? -1 : 1) * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5) || '0'));
  }
  return fromParts(Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s), frac, offsetMin);
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
    offsetMin = (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3, 5)));
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
  return formatEpoch(seconds, (frac + NINE_ZEROS).slice(0, 9));
}

const DIGITS = /^\s*-?\d{1,19}\s*$/;

/**
 * Cloudflare's `timestamp_format`s, whichever the job used: unixnano / unix integers (also quoted, as
 * third-party data has them) and RFC3339 strings. `exactDigits` carries the literal text of an integer that
 * JSON.parse could not hold exactly.
 */
export function parseCloudflareTime(v: unknown, exactDigits?: string): string | undefined {
  if (typeof v === 'number') return exactDigits !== undefined ? fromIntegerDigits(exactDigits) : fromNumber(v);
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

/** The partition of a formatted timestamp: `year=YYYY/month=MM/day=DD/hour=HH`. */
export function partitionOf(ts: string): string {
  return `year=${ts.slice(0, 4)}/month=${ts.slice(5, 7)}/day=${ts.slice(8, 10)}/hour=${ts.slice(11, 13)}`;
}

/** Formats a JS Date (the clock) as an output timestamp. */
export function formatDate(d: Date): string {
  const ms = d.getTime();
  const sec = Math.floor(ms / 1000);
  return formatEpoch(sec, String((ms - sec * 1000) * 1000000).padStart(9, '0')) as string;
}
