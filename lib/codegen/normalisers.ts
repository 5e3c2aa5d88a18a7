import { MAX_ITEMS } from '../schema/limits';
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
  schema.fields.forEach((f, i) => body.push(fieldCode(f, i, f.name === schema.eventTimeField, RECORD)));
  body.push('return rt.finish(raw, n, eventTime, cols);');
  return `function ${fnName}(raw, src, rt, cols) {\n  ${body.join('\n  ')}\n}`;
}

/**
 * The same normaliser for a line the scanner (lib/record/scan.ts) has read: `vals[i]` is column i's value (undefined
 * when the line has no such field; `rt.inLine` for text left in the line, state 3), `keys[i]` the key a column with
 * aliases was found under, and no field is unknown. It fills `cols` exactly as the record normaliser would, or
 * returns true where that one would refuse the line or the validator might: the parser then reads the line the
 * general way, which gives the reject. So a line becomes a row here or a reject there, never a reject of its own.
 */
export function scannedNormaliserSource(schema: LogSchema, fnName: string): string {
  const body: string[] = ['const st = cols.state, cv = cols.values;', 'let v, k, c, eventTime;', 'cols.invalid = undefined;'];
  schema.fields.forEach((f, i) => body.push(fieldCode(f, i, f.name === schema.eventTimeField, SCANNED)));
  body.push('cols.eventTime = eventTime;', 'cols.unknown = undefined;', 'return false;');
  return `function ${fnName}(vals, keys, src, rt, cols) {\n  ${body.join('\n  ')}\n}`;
}

/** How a field's code reads its value and leaves on a value that refuses the line. */
interface Reader {
  read(f: FieldSpec, i: number): string[];
  fail: string;
  keepFailed: string;
  inLine(f: FieldSpec, i: number): string;
  missing(name: string): string;
  /** A required field's value the validator may refuse (checked only when the fast check does not hold). */
  validatorMayRefuse(f: FieldSpec): string | undefined;
}

const RECORD: Reader = {
  read: (f, i) => {
    const name = JSON.stringify(f.name);
    const lines = [`k = ${name}; v = raw[${name}]; st[${i}] = 0;`];
    for (const alias of f.aliases) lines.push(`if (v === undefined) { k = ${JSON.stringify(alias)}; v = raw[k]; }`);
    return lines;
  },
  fail: 'return rt.fail(c, k);',
  keepFailed: 'return c;',
  inLine: () => '',
  missing: (name) => `return rt.missing(${name});`,
  // The validator has run already.
  validatorMayRefuse: () => undefined,
};

const SCANNED: Reader = {
  read: (f, i) => [`k = ${f.aliases.length > 0 ? `keys[${i}]` : JSON.stringify(f.name)}; v = vals[${i}]; st[${i}] = 0;`],
  fail: 'return true;',
  keepFailed: 'return true;',
  // Text the scanner left in the line: a text column's value as it came, cut only when read (Columns#value).
  inLine: (f, i) => (f.type === 'string' ? `if (v === rt.inLine) st[${i}] = 3; else ` : ''),
  missing: () => 'return true;',
  // The validator checks required fields only. Past the fast check, only a timestamp's text or integer is sure to
  // pass it (lib/codegen/jsonschema.ts); any other form goes the general way, where the validator decides.
  validatorMayRefuse: (f) => {
    if (f.type !== 'timestamp') return 'true';
    const integers = f.timeFormats.some((t) => t === 'cloudflare' || t === 'unix');
    return integers ? `typeof v !== 'string' && !(typeof v === 'number' && Number.isInteger(v))` : `typeof v !== 'string'`;
  },
};

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
    case 'array': {
      // Arrays that already hold the element type (most are empty) are kept as they are, not copied. A required
      // one is within the validator's bound (which a scanned line has not been through).
      const array = f.required ? `Array.isArray(v) && v.length <= ${MAX_ITEMS}` : `Array.isArray(v)`;
      if (f.element?.type === 'string') return `${array} && rt.allStrings(v)`;
      if (f.element?.type === 'bigint') return `${array} && rt.allSafeIntegers(v)`;
      return undefined;
    }
    default:
      return undefined;
  }
}

function fieldCode(f: FieldSpec, i: number, isEventTime: boolean, r: Reader): string {
  const name = JSON.stringify(f.name);
  const lines: string[] = [`// ${f.name}`, ...r.read(f, i)];
  const set = `st[${i}] = 2; cv[${i}] = ${isEventTime ? 'eventTime = c' : 'c'};`;
  const refuse = f.required ? r.validatorMayRefuse(f) : undefined;
  const guard = refuse !== undefined ? `if (${refuse}) ${r.missing(name)} ` : '';
  // A required field's bad value refuses the row; an optional one's is kept in p_invalid_fields (rt.keep).
  const convert = f.required
    ? `${guard}c = rt.conv[${i}](v, src, k); if (c instanceof rt.Invalid) ${r.fail} if (c !== undefined && c !== '') { ${set} } else ${r.missing(name)}`
    : `c = rt.conv[${i}](v, src, k); if (c instanceof rt.Invalid) { c = rt.keep(k, v, cols); if (c !== undefined) ${r.keepFailed} } else if (c !== undefined) { ${set} }`;
  // A json column keeps an explicit null as a value; elsewhere null is an absent field.
  const slow = f.type === 'json' && !f.required ? `{ ${convert} }` : `if (v !== null) { ${convert} }` + (f.required ? ` else ${r.missing(name)}` : '');
  const fast = fastCheck(f);
  // The fast checks never hold for the event time (a timestamp column), so only the converted path sets it.
  const count = r === RECORD ? 'n++; ' : '';
  lines.push(`if (v !== undefined) { ${count}${r.inLine(f, i)}${fast ? `if (${fast}) { st[${i}] = 1; cv[${i}] = v; } else ` : ''}${slow} }`);
  if (f.required) lines.push(`else ${r.missing(name)}`);
  return lines.join('\n  ');
}
