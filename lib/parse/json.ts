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

/** Keys that would reach Object.prototype if copied naively; we never copy them into a plain object. */
export const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
