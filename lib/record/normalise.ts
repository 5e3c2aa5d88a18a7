import type { Columns, NormaliseFailure } from './columns';
import type { LineSource } from './converters';
import { fillGeneric } from './fill-generic';
import type { NormalisePlan } from './plan';

/**
 * Turns a validated record into typed columns: each column gets one JSON type in every row (Parquet needs it),
 * timestamps become the output text form, and null means absent (omitted, never null-filled). An empty string
 * is a value in a string column (Cloudflare sends "" for "none", and Panther keeps it) but absent in a number,
 * boolean or timestamp column, which cannot hold it.
 * Built once per schema from the YAML (plan.ts, with a converter per field from converters.ts). Per row, the
 * build's generated normaliser (lib/codegen/normalisers.ts) runs when there is one; the generic loop
 * (fill-generic.ts) is the reference it is tested against, and serves schemas that were not compiled. Values kept
 * as their JSON (json columns, p_invalid_fields, p_unknown_fields) are checked in stored-json.ts.
 */

// The normaliser's interface, for the parser, the row writer, the filters and the build.
export { ABSENT_COLUMN, AS_IS, Columns, CONVERTED, IN_LINE, ownString, type NormaliseFailure, type TextSpan } from './columns';
export { kindOf, type LineSource, textSource } from './converters';
export { fillGeneric } from './fill-generic';
export { buildPlan, columnIndexOf, type CompiledNormaliser, type FieldPlan, type NormalisePlan, type ScannedNormaliser } from './plan';

/** Fills `cols` from a validated record (the generated normaliser when the build has one). */
export function fillColumns(plan: NormalisePlan, raw: Record<string, unknown>, src: LineSource, cols: Columns): NormaliseFailure | undefined {
  return plan.compiled ? plan.compiled(raw, src, plan.rt, cols) : fillGeneric(plan, raw, src, cols);
}
