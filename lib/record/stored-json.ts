import { MAX_DEPTH } from '../schema/limits';
import type { Columns, NormaliseFailure } from './columns';

/** Values stored as their JSON: fields kept in p_invalid_fields and p_unknown_fields, and json columns. */

/**
 * Schema drift costs no row: an optional field whose value does not fit its column (`"BotTags":"bing"` where an
 * array of objects is expected, a word in a number column) is kept as received in p_invalid_fields. Only a value
 * no reader could take (nested deeper than MAX_DEPTH levels, a number beyond double range) still refuses the row, as in
 * p_unknown_fields. Null prototype: a `__proto__` field name stays a plain key.
 */
export function keep(key: string, v: unknown, cols: Columns): NormaliseFailure | undefined {
  const bad = unfitJson(v, 1);
  if (bad !== undefined) return { reason: 'schema', message: `${key}: ${bad}` };
  (cols.invalid ??= Object.create(null) as Record<string, unknown>)[key] = v;
  return undefined;
}

/** Input fields the schema does not know, into cols.unknown (p_unknown_fields); a failure if one is unstorable. */
export function withUnknown(known: Set<string>, raw: Record<string, unknown>, cols: Columns): NormaliseFailure | undefined {
  let unknown: Record<string, unknown> | undefined;
  for (const k in raw) {
    if (!known.has(k)) {
      // Null prototype: a `__proto__` key stays a plain key and cannot reach Object.prototype.
      if (unknown === undefined) unknown = Object.create(null) as Record<string, unknown>;
      const v = raw[k];
      const bad = unfitJson(v, 1);
      if (bad !== undefined) return { reason: 'schema', message: `${k}: ${bad}` };
      unknown[k] = v;
    }
  }
  cols.unknown = unknown;
  return undefined;
}

/**
 * Why a JSON value cannot be stored as it came, or undefined. Downstream readers (Glue, DuckDB, analysts' JSON
 * tools) choke on pathological nesting; and a number beyond double range (1e400) parses as Infinity, which
 * JSON.stringify would silently write as null.
 */
export function unfitJson(v: unknown, depth: number): string | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? undefined : 'number out of range';
  if (typeof v !== 'object' || v === null) return undefined;
  if (depth > MAX_DEPTH) return `nests deeper than ${MAX_DEPTH} levels`;
  if (Array.isArray(v)) {
    for (const x of v) {
      if (typeof x === 'number' || (typeof x === 'object' && x !== null)) {
        const bad = unfitJson(x, depth + 1);
        if (bad !== undefined) return bad;
      }
    }
    return undefined;
  }
  for (const k in v) {
    const x = (v as Record<string, unknown>)[k];
    if (typeof x === 'number' || (typeof x === 'object' && x !== null)) {
      const bad = unfitJson(x, depth + 1);
      if (bad !== undefined) return bad;
    }
  }
  return undefined;
}
