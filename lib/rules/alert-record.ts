import { SEVERITIES, Severity } from './model';

/**
 * The alert record's fields: the one list the record's TypeScript type (AlertRecord), the order its builder writes
 * them in (lib/rules/alert.ts), the lake's alerts table (Glue columns and DuckDB types, lib/lake) and the fields an
 * alert's state carries (AlertState, lib/rules/windows.ts) all derive from. Panther's alert payload first, then
 * what matched.
 */

/** One field of the alert record, as the lake types it. */
export interface AlertColumn {
  name: string;
  /** Athena's type of the column; the record's value is a number for `bigint`, lake text for `timestamp`. */
  type: 'string' | 'bigint' | 'timestamp' | 'array<string>';
  description: string;
  /** A JSON object written as is: Athena reads it as a string, DuckDB as JSON. */
  json?: true;
  /** The record writes null when it has no value (the field is never left out: consumers see every key). */
  nullable?: true;
  /** The only values the field takes. */
  values?: readonly string[];
}

const UPPER_SEVERITIES = SEVERITIES.map((s) => s.toUpperCase() as Uppercase<Severity>);

const FIELDS = [
  { name: 'id', type: 'string', description: "The rule's id (Panther's detection id)" },
  { name: 'alertId', type: 'string', description: 'The alert: rule, dedup string and window start, hashed' },
  { name: 'title', type: 'string', description: 'Title from the rule, of the first matching row' },
  { name: 'severity', type: 'string', values: UPPER_SEVERITIES, description: 'INFO, LOW, MEDIUM, HIGH or CRITICAL' },
  { name: 'type', type: 'string', values: ['RULE'], description: 'RULE' },
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
  // Null when the rule is no longer loaded: the state does not keep its settings.
  { name: 'dedupPeriodMinutes', type: 'bigint', nullable: true, description: 'Length of the window' },
  { name: 'threshold', type: 'bigint', nullable: true, description: 'Matches in one window that fire the alert' },
  { name: 'windowStart', type: 'timestamp', description: 'Start of the window (event time, UTC)' },
  { name: 'windowEnd', type: 'timestamp', description: 'End of the window (event time, UTC)' },
  { name: 'eventCount', type: 'bigint', description: 'Matching rows in the window so far' },
  { name: 'firstEventTime', type: 'timestamp', description: 'Event time of the first matching row' },
  { name: 'lastEventTime', type: 'timestamp', description: 'Event time of the last matching row' },
  { name: 'rowIds', type: 'array<string>', description: 'p_row_id of the first matching rows (10 at most)' },
  {
    name: 'summaryAlertId',
    type: 'string',
    nullable: true,
    description: "The flood summary that notified this alert (its input fired more of the rule's alerts than are sent alone); null: sent alone",
  },
] as const satisfies readonly AlertColumn[];

/** The alert record's fields in the order they are written (the alerts table's columns). */
export const ALERT_COLUMNS: readonly AlertColumn[] = FIELDS;

type Field = (typeof FIELDS)[number];
type ValueOf<F extends Field> = F extends { json: true }
  ? Record<string, unknown>
  : F extends { values: readonly (infer V)[] }
    ? V
    : F extends { type: 'bigint' }
      ? number
      : F extends { type: 'array<string>' }
        ? string[]
        : string;

/**
 * The alert record: one JSON object, the same in the lake (alerts/) and in the SNS message. Its first fields are
 * those of Panther's alert payload, with Panther's meanings (`id` is the detection's id, `alertId` the alert's,
 * `severity` in capitals, `type` RULE, `name` the display name), so consumers of Panther alerts read it as they
 * are; the rest says what matched: the rule, the dedup string, the window, the count, the first and last event
 * time and up to 10 p_row_id, and how it was notified: alone (`summaryAlertId` null) or in a flood summary. Times
 * are the lake's text (`2026-01-01 00:00:00.000000000`, UTC).
 */
export type AlertRecord = { [F in Field as F['name']]: F extends { nullable: true } ? ValueOf<F> | null : ValueOf<F> };

