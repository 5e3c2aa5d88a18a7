import { INTEGER_RANGES, type FieldSpec, type LogSchema } from '../schema/model';

/**
 * Build-time code generation of a schema's normaliser: straight-line JavaScript with constant property names,
 * so V8 uses inline caches for every read of the parsed record and every write of the row. A generic loop with
 * computed keys (`row[name] = v`) spends most of its time in megamorphic lookups; this is 2-3x faster and does
 * exactly the same thing (a test runs both on the same records). Values that already have the column's type
 * take an inline path; anything else goes through the plan's converter for that field.
 *
 * The generated function: (raw, src, rt, cols) => NormaliseFailure | undefined. It fills `cols` (Columns: a state
 * and a value per column, 1 = the input's value unchanged, 2 = converted; `cols.invalid` for optional fields whose
 * value does not fit), with rt = { conv, Invalid, fail, keep, missing, finish, allStrings, allSafeIntegers } from
 * lib/record/normalise.ts.
 */
export function normaliserSource(schema: LogSchema, fnName: string): string {
  const body: string[] = ['const st = cols.state, cv = cols.values;', 'let n = 0, v, k, c, eventTime;', 'cols.invalid = undefined;'];
  schema.fields.forEach((f, i) => body.push(fieldCode(f, i, f.name === schema.eventTimeField)));
  body.push('return rt.finish(raw, n, eventTime, cols);');
  return `function ${fnName}(raw, src, rt, cols) {\n  ${body.join('\n  ')}\n}`;
}

function fastCheck(f: FieldSpec): string | undefined {
  switch (f.type) {
    case 'string':
      return f.required ? `typeof v === 'string' && v !== ''` : `typeof v === 'string'`;
    case 'float':
      // 1e400 parses as Infinity, which JSON cannot hold: the converter's path refuses it.
      return `typeof v === 'number' && Number.isFinite(v)`;
    case 'boolean':
      return `typeof v === 'boolean'`;
    case 'bigint':
      return `typeof v === 'number' && Number.isSafeInteger(v)`;
    case 'int':
    case 'smallint':
      return `typeof v === 'number' && Number.isInteger(v) && v >= ${INTEGER_RANGES[f.type][0]} && v <= ${INTEGER_RANGES[f.type][1]}`;
    case 'array':
      // Arrays that already hold the element type (most are empty) are kept as they are, not copied.
      if (f.element?.type === 'string') return `Array.isArray(v) && rt.allStrings(v)`;
      if (f.element?.type === 'bigint') return `Array.isArray(v) && rt.allSafeIntegers(v)`;
      return undefined;
    default:
      return undefined;
  }
}

function fieldCode(f: FieldSpec, i: number, isEventTime: boolean): string {
  const name = JSON.stringify(f.name);
  const lines: string[] = [`// ${f.name}`, `k = ${name}; v = raw[${name}]; st[${i}] = 0;`];
  for (const alias of f.aliases) lines.push(`if (v === undefined) { k = ${JSON.stringify(alias)}; v = raw[k]; }`);
  const set = `st[${i}] = 2; cv[${i}] = ${isEventTime ? 'eventTime = c' : 'c'};`;
  // A required field's bad value refuses the row; an optional one's is kept in p_invalid_fields (rt.keep).
  const convert = f.required
    ? `c = rt.conv[${i}](v, src, k); if (c instanceof rt.Invalid) return rt.fail(c, k); if (c !== undefined && c !== '') { ${set} } else return rt.missing(${name});`
    : `c = rt.conv[${i}](v, src, k); if (c instanceof rt.Invalid) { c = rt.keep(k, v, cols); if (c !== undefined) return c; } else if (c !== undefined) { ${set} }`;
  // A json column keeps an explicit null as a value; elsewhere null is an absent field.
  const slow = f.type === 'json' && !f.required ? `{ ${convert} }` : `if (v !== null) { ${convert} }` + (f.required ? ` else return rt.missing(${name});` : '');
  const fast = fastCheck(f);
  // The fast checks never hold for the event time (a timestamp column), so only the converted path sets it.
  lines.push(`if (v !== undefined) { n++; ${fast ? `if (${fast}) { st[${i}] = 1; cv[${i}] = v; } else ` : ''}${slow} }`);
  if (f.required) lines.push(`else return rt.missing(${name});`);
  return lines.join('\n  ');
}
