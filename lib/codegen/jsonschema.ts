import { MAX_FIELDS, MAX_ITEMS } from '../schema/limits';
import { INTEGER_RANGES, type FieldSpec, type LogSchema, type ScalarType } from '../schema/model';

/**
 * JSON Schema (draft-07, for ajv) for the lines of a log type: an object with the required fields, each of a form
 * its column reads. Lenient where Panther is (numbers as strings and strings as numbers, null as absent); the
 * normaliser turns every accepted form into the column's one type. Optional fields are not constrained here: a
 * value that does not fit its column costs that field (p_invalid_fields), never the row.
 */
export function toJsonSchema(schema: LogSchema): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  const anyOfRequired: unknown[] = [];
  for (const f of schema.fields) {
    // Only required fields are checked here, since their value decides whether the line is a row at all; an
    // optional field of the wrong shape is the normaliser's to keep in p_invalid_fields.
    if (!f.required) continue;
    const s = fieldSchema(f);
    for (const n of [f.name, ...f.aliases]) properties[n] = s;
    if (f.aliases.length === 0) required.push(f.name);
    else anyOfRequired.push({ anyOf: [f.name, ...f.aliases].map((n) => ({ required: [n] })) });
  }
  return {
    $id: schema.logType,
    type: 'object',
    properties,
    ...(required.length ? { required } : {}),
    ...(anyOfRequired.length ? { allOf: anyOfRequired } : {}),
    // A real record has ~100 fields; anything far beyond that is hostile or not Logpush.
    maxProperties: MAX_FIELDS,
  };
}

// bigint's range is the normaliser's to check (a number beyond 2^53 is out of it), not the validator's.
const INT_RANGE: Partial<Record<ScalarType, readonly [number, number]>> = { smallint: INTEGER_RANGES.smallint, int: INTEGER_RANGES.int };

// `pattern` constrains strings only and `minimum` / `maximum` numbers only, so one `type` list with both states
// "an integer in range, or a string of digits" without an anyOf: smaller generated code and no error bookkeeping.
function scalarSchema(type: ScalarType, timeFormats: string[] = []): Record<string, unknown> {
  switch (type) {
    case 'string':
      return { type: ['string', 'number', 'boolean', 'null'] };
    case 'boolean':
      return { type: ['boolean', 'string', 'null'], pattern: '^(true|false|)$' };
    case 'bigint':
    case 'int':
    case 'smallint': {
      const range = INT_RANGE[type];
      return {
        type: ['integer', 'string', 'null'],
        ...(range ? { minimum: range[0], maximum: range[1] } : {}),
        pattern: '^\\s*(-?[0-9]{1,19})?\\s*$',
      };
    }
    case 'float':
      return { type: ['number', 'string', 'null'], pattern: '^\\s*(-?[0-9]+(\\.[0-9]*)?([eE][-+]?[0-9]+)?)?\\s*$' };
    case 'timestamp':
      // The normaliser's anchored parsers bound what a timestamp string may be; no length check needed here.
      return timeFormats.some((t) => t === 'cloudflare' || t === 'unix')
        ? { type: ['integer', 'string', 'null'] }
        : { type: ['string', 'null'] };
    case 'json':
      return {};
  }
}

function fieldSchema(f: FieldSpec): Record<string, unknown> {
  if (f.type === 'array') {
    const el = f.element ?? { type: 'string' as const };
    return { type: ['array', 'null'], maxItems: MAX_ITEMS, items: scalarSchema(el.type, el.timeFormats) };
  }
  return scalarSchema(f.type, f.timeFormats);
}
