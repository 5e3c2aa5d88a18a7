import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * The shared-secret check. Both sides are hashed with SHA-256 first, so `timingSafeEqual` always compares two
 * 32-byte digests: the time taken depends neither on where the first differing byte is nor on the presented
 * value's length. Surrounding whitespace is not significant (HTTP trims header values).
 */
export function secretMatches(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented.trim()), digest(expected.trim()));
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/**
 * A header by name, case-insensitively (Lambda and node:http lower-case names already; callers of the pure
 * handler may not). A repeated header is joined with ", " as HTTP does, which never equals a secret.
 */
export function headerValue(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const want = name.toLowerCase();
  for (const k of Object.keys(headers)) {
    if (k.toLowerCase() !== want) continue;
    const v = headers[k];
    return Array.isArray(v) ? v.join(', ') : v;
  }
  return undefined;
}
