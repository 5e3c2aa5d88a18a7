/**
 * The p_* columns every row carries after the schema's own fields (the output contract), in the order rows
 * carry them: the one definition of their names and types. The row writer, the indicator sets, the rules' row type,
 * the Glue, DuckDB and Parquet columns and the tests' reference all derive from it; code names a column as
 * `P.p_event_time`, never by its text.
 */

export interface StandardColumn {
  name: string;
  /** Athena's type of the column. */
  type: 'string' | 'timestamp' | 'array<string>';
  description: string;
  /** A JSON value written as text: Athena reads it as a string, DuckDB as JSON. */
  json?: true;
}

const INDICATOR = 'array<string>';
const INDICATOR_DESCRIPTION = 'Indicator values seen in the row';

/** Every p_* column, in row order; a row omits the optional ones it has no value for. */
export const P_COLUMNS = [
  { name: 'p_log_type', type: 'string', description: 'Log type of the row' },
  { name: 'p_row_id', type: 'string', description: 'Deterministic unique row id' },
  { name: 'p_event_time', type: 'timestamp', description: 'Event time (UTC)' },
  { name: 'p_parse_time', type: 'timestamp', description: 'Time the row was parsed (UTC)' },
  { name: 'p_source_id', type: 'string', description: 'Configured source id' },
  { name: 'p_source_label', type: 'string', description: 'Configured source label' },
  // The p_any_* arrays (Panther's names), in the order rows carry them.
  { name: 'p_any_ip_addresses', type: INDICATOR, description: INDICATOR_DESCRIPTION },
  { name: 'p_any_domain_names', type: INDICATOR, description: INDICATOR_DESCRIPTION },
  { name: 'p_any_trace_ids', type: INDICATOR, description: INDICATOR_DESCRIPTION },
  { name: 'p_any_emails', type: INDICATOR, description: INDICATOR_DESCRIPTION },
  { name: 'p_any_usernames', type: INDICATOR, description: INDICATOR_DESCRIPTION },
  { name: 'p_any_urls', type: INDICATOR, description: INDICATOR_DESCRIPTION },
  { name: 'p_any_md5_hashes', type: INDICATOR, description: INDICATOR_DESCRIPTION },
  { name: 'p_any_sha1_hashes', type: INDICATOR, description: INDICATOR_DESCRIPTION },
  { name: 'p_any_sha256_hashes', type: INDICATOR, description: INDICATOR_DESCRIPTION },
  { name: 'p_any_device_ids', type: INDICATOR, description: INDICATOR_DESCRIPTION },
  { name: 'p_unknown_fields', type: 'string', json: true, description: 'Input fields the schema does not know, as JSON' },
  { name: 'p_invalid_fields', type: 'string', json: true, description: "Fields whose value did not fit the schema's type, as received, as JSON" },
] as const satisfies readonly StandardColumn[];

type PColumn = (typeof P_COLUMNS)[number];
export type PColumnName = PColumn['name'];

/** Each p_* column's name, by itself: `P.p_row_id` is `'p_row_id'`. */
export const P = Object.freeze(Object.fromEntries(P_COLUMNS.map((c) => [c.name, c.name]))) as { readonly [K in PColumnName]: K };

/**
 * The event time's exact nanoseconds, beside `p_event_time`, in Parquet files only: Parquet timestamps are
 * microseconds (what Athena, Glue and Spark read).
 */
export const EVENT_TIME_NS = 'p_event_time_ns';

/** The p_any_* arrays, in the order rows carry them. */
export const INDICATOR_COLUMNS = P_COLUMNS.filter((c) => c.type === INDICATOR).map((c) => c.name);

/** A p_* field's value as a row object holds it (what rules read): text, an array of text, or a JSON object. */
type FieldValue<C extends PColumn> = C extends { json: true } ? Readonly<Record<string, unknown>> : C['type'] extends typeof INDICATOR ? readonly string[] : string;

/** The p_* fields of a row object, each optional; times are the lake's text, `2022-11-15 00:00:01.123000000`. */
export type StandardFields = { readonly [C in PColumn as C['name']]?: FieldValue<C> };

/** The fields of a reject record (rejects/<table>/...), in the order they are written; `raw_base64` only for bytes that are not UTF-8. */
export const REJECT_COLUMNS: readonly { name: string; type: 'string' | 'bigint' | 'timestamp'; description: string }[] = [
  { name: 'source', type: 'string', description: 'The input: s3://bucket/key, http:<request id> or a file path' },
  { name: 'line', type: 'bigint', description: 'Line number in the input, from 1' },
  { name: 'reason', type: 'string', description: 'Why the line is not a row (invalid_json, schema, missing_required, ...)' },
  { name: 'message', type: 'string', description: 'What is wrong, for a person; never the value' },
  { name: 'raw', type: 'string', description: 'The line as received (its first 4 KiB when too long)' },
  { name: 'raw_base64', type: 'string', description: 'The line as bytes, when they are not valid UTF-8' },
  { name: 'log_type', type: 'string', description: 'Log type the line was parsed as' },
  { name: 'parse_time', type: 'timestamp', description: 'Time the input was parsed (UTC)' },
];
