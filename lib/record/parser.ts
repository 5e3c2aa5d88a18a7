import { messageOf } from '../errors';
import { MAX_FIELDS, MAX_ITEMS } from '../schema/limits';
import type { ErrorObject, LogTypeEntry } from './registry';
import { FieldScanner } from './fields';
import { loneSurrogateEscape } from './json';
import { Columns, fillColumns, kindOf } from './normalise';
import { LineScanner } from './scan';

/** Why a line was refused; the short codes of the reject contract. */
export type RejectReason =
  | 'invalid_json'
  | 'not_an_object'
  | 'schema'
  | 'missing_required'
  | 'invalid_timestamp'
  | 'line_too_long'
  | 'invalid_utf8'
  | 'unsupported_format'
  /** The rest of an object that cannot be decompressed, recorded once it is clear retrying will not help. */
  | 'corrupt_input';

export interface LineReject {
  reason: RejectReason;
  message: string;
}

/** How every invalid_utf8 message begins, whether the line's bytes or its escapes hold the lone surrogate. */
export const NOT_UTF8 = 'line is not valid UTF-8';

export type RecordResult = { ok: true; raw: Record<string, unknown> } | { ok: false; reject: LineReject };

/**
 * The parse stage of one input: a line -> its typed columns in `cols` and its top-level fields' positions in
 * `fields` (which the row writer copies from), or a reject value. Both are scratch buffers this stage owns and
 * reuses from line to line; they hold the last line parsed. A line as Logpush writes it is read by the scanner
 * (lib/record/scan.ts) in one pass; any other, and any line the scanner would not make a row of, the general way:
 * JSON.parse, the generated validator, the field scanner (lib/record/fields.ts) and the generated normaliser, which
 * give every reject.
 */
export class LineParser {
  readonly cols: Columns;
  readonly fields: FieldScanner;
  /** The one-pass scanner that takes Logpush's own lines (lib/record/scan.ts), or undefined. */
  private readonly scanner: LineScanner | undefined;
  /** Lines the scanner has taken (the rest were read the general way). */
  scannedLines = 0;

  /** `scan: false` reads every line the general way (the reference the scanner is tested against). */
  constructor(
    readonly entry: LogTypeEntry,
    { scan = true }: { scan?: boolean } = {},
  ) {
    const { plan } = entry;
    this.cols = new Columns(plan.fields.length);
    this.fields = new FieldScanner(plan.fields.map((f) => f.name), plan.jsonColumns);
    this.scanner = scan ? LineScanner.of(plan, this.cols, this.fields) : undefined;
  }

  /** The scanner alone: true when it has filled the columns and positions from `text` (else they are stale). */
  scanOnly(text: string): boolean {
    return this.scanner?.read(text) === true;
  }

  parse(text: string): LineReject | undefined {
    if (this.scanOnly(text)) {
      this.scannedLines++;
      return undefined;
    }
    const r = parseRecord(this.entry, text);
    if (!r.ok) return r.reject;
    // Positions first: the normaliser reads unixnano digits from them.
    this.fields.scan(text, r.raw);
    return fillColumns(this.entry.plan, r.raw, this.fields, this.cols);
  }
}

/** One log line -> the record JSON.parse made of it, checked against the schema; or a reject value. */
export function parseRecord(entry: LogTypeEntry, text: string): RecordResult {
  // Before JSON.parse, as the raw bytes of a surrogate are refused before anything else (lib/pipeline/input-run.ts).
  const surrogate = loneSurrogateEscape(text);
  if (surrogate !== -1) return { ok: false, reject: { reason: 'invalid_utf8', message: `${NOT_UTF8}: a lone UTF-16 surrogate escaped at character ${surrogate}` } };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    if (batchPiece(text)) return { ok: false, reject: { reason: 'unsupported_format', message: `line is part of a batch: ${BATCH_SETTINGS}` } };
    return { ok: false, reject: { reason: 'invalid_json', message: jsonErrorMessage(text, e) } };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, reject: notAnObject(value) };
  }
  if (!entry.validate(value)) {
    const batch = batchedRecords(value as Record<string, unknown>);
    if (batch) return { ok: false, reject: batch };
    const err = entry.validate.errors?.[0];
    if (err?.keyword === 'required') {
      const missing = (err.params as { missingProperty?: string }).missingProperty ?? '?';
      return { ok: false, reject: { reason: 'missing_required', message: `${missing}: required field is missing` } };
    }
    if (err?.keyword === 'anyOf' && err.schemaPath.startsWith('#/allOf')) {
      return { ok: false, reject: { reason: 'missing_required', message: 'a required field is missing' } };
    }
    return { ok: false, reject: { reason: 'schema', message: schemaMessage(entry, value as Record<string, unknown>, err) } };
  }
  return { ok: true, raw: value as Record<string, unknown> };
}

function notAnObject(value: unknown): LineReject {
  if (Array.isArray(value)) {
    return {
      reason: 'unsupported_format',
      message:
        'line is a JSON array, not one record: the Logpush job batches records (batch_prefix / record_template); ' +
        'use the default output_options (one JSON object per line)',
    };
  }
  return { reason: 'not_an_object', message: `line is a JSON ${value === null ? 'null' : typeof value}, not an object` };
}

const EXPECTED: Record<string, string> = {
  string: 'text',
  boolean: 'true or false',
  bigint: 'an integer',
  int: 'an integer',
  smallint: 'an integer',
  float: 'a number',
  timestamp: 'a timestamp',
};

/** A person's reading of an ajv error: the field, what its column holds, and the kind (never the value) received. */
function schemaMessage(entry: LogTypeEntry, record: Record<string, unknown>, err: ErrorObject | undefined): string {
  if (!err) return 'record: does not match the schema';
  const path = err.instancePath.split('/').slice(1);
  if (path.length === 0) {
    return err.keyword === 'maxProperties' ? `record: has more than ${MAX_FIELDS} fields` : `record: ${err.message ?? 'does not match the schema'}`;
  }
  const where = path.join('.');
  const name = path[0] as string;
  const field = entry.schema.fields.find((f) => f.name === name || f.aliases.includes(name));
  if (!field) return `${where}: ${err.message ?? 'does not match the schema'}`;
  const inArray = field.type === 'array' && path.length > 1;
  const columnType = inArray ? (field.element?.type ?? 'string') : field.type;
  if (err.keyword === 'minimum' || err.keyword === 'maximum') return `${where}: integer out of range for ${columnType}`;
  if (err.keyword === 'maxItems') return `${where}: more than ${MAX_ITEMS} items`;
  const value = inArray ? (record[name] as unknown[])[Number(path[1])] : record[name];
  const expected = field.type === 'array' && !inArray ? `an array of ${field.element?.type ?? 'string'}` : EXPECTED[columnType] ?? columnType;
  return `${where}: must be ${expected}, got ${kindOf(value)}`;
}

const BATCH_SETTINGS =
  'the Logpush job wraps or separates records (output_options batch_prefix / batch_suffix / record_delimiter / ' +
  'record_template); use the default output_options, one JSON object per line';

/** `{"logs":[{...},{...}]}`: a batch wrapped by a job's batch_prefix / batch_suffix, on one line. */
function batchedRecords(value: Record<string, unknown>): LineReject | undefined {
  const keys = Object.keys(value);
  if (keys.length !== 1) return undefined;
  const inner = value[keys[0] as string];
  if (!Array.isArray(inner) || inner.length === 0 || typeof inner[0] !== 'object' || inner[0] === null) return undefined;
  return { reason: 'unsupported_format', message: `line holds ${inner.length} records in "${keys[0]}": ${BATCH_SETTINGS}` };
}

/** Lines that are pieces of a wrapped or comma-separated batch spread over lines. */
function batchPiece(text: string): boolean {
  const t = text.trim();
  // Batch pieces are one record or a bracket: no need to look at long garbage.
  if (/[[{,]$/.test(t) && /^[{[\]]/.test(t)) {
    // `{"logs":[`, `{...},`, `[`: try the line without its trailing separator.
    if (t.endsWith(',')) {
      try {
        JSON.parse(t.slice(0, -1));
        return true;
      } catch {
        return false;
      }
    }
    return t.endsWith('[');
  }
  // Closing brackets and commas only (`]}`, `},`): one class, so the test is linear in the line's length.
  return /^[\]}][\]},]*$/.test(t);
}

function jsonErrorMessage(text: string, e: unknown): string {
  const first = text.trimStart().charCodeAt(0);
  // A CSV job writes comma-separated values; say what setting fixes it rather than "Unexpected token".
  if (first !== 123 /* { */ && first !== 91 /* [ */ && text.includes(',')) {
    return 'line is not JSON (it looks like CSV): set the Logpush job output_options to the default NDJSON';
  }
  const msg = messageOf(e);
  // V8 quotes part of the input in its message; keep only the position, never the data.
  const pos = /position (\d+)/.exec(msg);
  return pos ? `invalid JSON at character ${pos[1]}` : 'invalid JSON';
}
