import { ABSENT_COLUMN, AS_IS, type Columns, CONVERTED, missing, type NormaliseFailure } from './columns';
import { ABSENT, Invalid, type LineSource } from './converters';
import type { NormalisePlan } from './plan';
import { keep, withUnknown } from './stored-json';

/** The generic loop over the plan's fields: for schemas without a generated normaliser, and as the reference. */
export function fillGeneric(plan: NormalisePlan, raw: Record<string, unknown>, src: LineSource, cols: Columns): NormaliseFailure | undefined {
  let eventTime: string | undefined;
  cols.invalid = undefined;
  for (const f of plan.fields) {
    cols.state[f.index] = ABSENT_COLUMN;
    let v = raw[f.name];
    let key = f.name;
    if (v === undefined && f.inputs.length > 1) {
      for (let i = 1; i < f.inputs.length && v === undefined; i++) {
        key = f.inputs[i] as string;
        v = raw[key];
      }
    }
    if (v !== undefined && (v !== null || (f.keepsNull && !f.required))) {
      const c = f.convert(v, src, key);
      if (c instanceof Invalid) {
        if (f.required) return { reason: c.reason, message: `${key}: ${c.detail}` };
        const failure = keep(key, v, cols);
        if (failure) return failure;
        continue;
      }
      // A required field must say something: "" in a required column (an audit ID) is as good as missing.
      if (c !== ABSENT && !(c === '' && f.required)) {
        // The generated code's fast checks accept exactly the values converters return unchanged.
        cols.state[f.index] = c === v ? AS_IS : CONVERTED;
        cols.values[f.index] = c;
        if (f.name === plan.eventTimeField) eventTime = c as string;
        continue;
      }
    }
    if (f.required) return missing(f.name);
  }
  cols.eventTime = eventTime;
  cols.unknown = undefined;
  return withUnknown(plan.known, raw, cols);
}
