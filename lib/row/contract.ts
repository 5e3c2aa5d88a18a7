/**
 * The p_* columns every row carries after the schema's own fields (the output contract), in the order rows
 * carry them: the one list the row writer, the indicator sets and the Glue catalog all read.
 */

/** The p_any_* arrays, in the order rows carry them (Panther's names). */
export const INDICATOR_COLUMNS = [
  'p_any_ip_addresses',
  'p_any_domain_names',
  'p_any_trace_ids',
  'p_any_emails',
  'p_any_usernames',
  'p_any_urls',
  'p_any_md5_hashes',
  'p_any_sha1_hashes',
  'p_any_sha256_hashes',
  'p_any_device_ids',
] as const;

export interface StandardColumn {
  name: string;
  /** Athena's type of the column. */
  type: 'string' | 'timestamp' | 'array<string>';
  description: string;
  /** A JSON value written as text: Athena reads it as a string, DuckDB as JSON. */
  json?: true;
}

/** Every p_* column, in row order; a row omits the optional ones it has no value for. */
export const P_COLUMNS: readonly StandardColumn[] = [
  { name: 'p_log_type', type: 'string', description: 'Log type of the row' },
  { name: 'p_row_id', type: 'string', description: 'Deterministic unique row id' },
  { name: 'p_event_time', type: 'timestamp', description: 'Event time (UTC)' },
  { name: 'p_parse_time', type: 'timestamp', description: 'Time the row was parsed (UTC)' },
  { name: 'p_source_id', type: 'string', description: 'Configured source id' },
  { name: 'p_source_label', type: 'string', description: 'Configured source label' },
  ...INDICATOR_COLUMNS.map((name) => ({ name, type: 'array<string>' as const, description: 'Indicator values seen in the row' })),
  { name: 'p_unknown_fields', type: 'string', json: true, description: 'Input fields the schema does not know, as JSON' },
  { name: 'p_invalid_fields', type: 'string', json: true, description: "Fields whose value did not fit the schema's type, as received, as JSON" },
];

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

/**
 * The fields of an alert record (alerts/..., and the SNS message: lib/rules/alert.ts builds it), in the order they
 * are written: Panther's alert payload first, then what matched.
 */
export const ALERT_COLUMNS: readonly { name: string; type: 'string' | 'bigint' | 'timestamp' | 'array<string>'; json?: true; description: string }[] = [
  { name: 'id', type: 'string', description: "The rule's id (Panther's detection id)" },
  { name: 'alertId', type: 'string', description: 'The alert: rule, dedup string and window start, hashed' },
  { name: 'title', type: 'string', description: 'Title from the rule, of the first matching row' },
  { name: 'severity', type: 'string', description: 'INFO, LOW, MEDIUM, HIGH or CRITICAL' },
  { name: 'type', type: 'string', description: 'RULE' },
  { name: 'createdAt', type: 'timestamp', description: 'When the alert fired (UTC)' },
  { name: 'updatedAt', type: 'timestamp', description: 'When this record was written (UTC)' },
  { name: 'name', type: 'string', description: "The rule's display name" },
  { name: 'alertContext', type: 'string', json: true, description: "The rule's alert context of the first matching row, as JSON" },
  { name: 'description', type: 'string', description: 'What the rule detects' },
  { name: 'runbook', type: 'string', description: 'What to do' },
  { name: 'reference', type: 'string', description: 'Where to read more' },
  { name: 'tags', type: 'array<string>', description: "The rule's tags" },
  { name: 'ruleId', type: 'string', description: "The rule's id" },
  { name: 'logTypes', type: 'array<string>', description: 'Log types the rule reads' },
  { name: 'dedup', type: 'string', description: 'The dedup string the matches share' },
  { name: 'dedupPeriodMinutes', type: 'bigint', description: 'Length of the window' },
  { name: 'threshold', type: 'bigint', description: 'Matches in one window that fire the alert' },
  { name: 'windowStart', type: 'timestamp', description: 'Start of the window (event time, UTC)' },
  { name: 'windowEnd', type: 'timestamp', description: 'End of the window (event time, UTC)' },
  { name: 'eventCount', type: 'bigint', description: 'Matching rows in the window so far' },
  { name: 'firstEventTime', type: 'timestamp', description: 'Event time of the first matching row' },
  { name: 'lastEventTime', type: 'timestamp', description: 'Event time of the last matching row' },
  { name: 'rowIds', type: 'array<string>', description: 'p_row_id of the first matching rows (10 at most)' },
  { name: 'summaryAlertId', type: 'string', description: 'The flood summary that notified this alert (its input fired more of the rule\'s alerts than are sent alone); null: sent alone' },
];
