import { formatDate } from '../record/timestamps';
import type { Rule } from './model';
import type { AlertState, SummaryInfo } from './windows';

/**
 * The alert record: one JSON object, the same in the lake (alerts/) and in the SNS message. Its first fields are
 * those of Panther's alert payload, with Panther's meanings (`id` is the detection's id, `alertId` the alert's,
 * `severity` in capitals, `type` RULE, `name` the display name), so consumers of Panther alerts read it as they
 * are; the rest says what matched: the rule, the dedup string, the window, the count, the first and last event
 * time and up to 10 p_row_id, and how it was notified: alone (`summaryAlertId` null) or in a flood summary. Times
 * are the lake's text (`2026-01-01 00:00:00.000000000`, UTC).
 */
export interface AlertRecord {
  id: string;
  alertId: string;
  title: string;
  severity: 'INFO' | 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL';
  type: 'RULE';
  createdAt: string;
  updatedAt: string;
  name: string;
  alertContext: Record<string, unknown>;
  description: string;
  runbook: string;
  reference: string;
  tags: string[];
  ruleId: string;
  logTypes: string[];
  dedup: string;
  dedupPeriodMinutes: number | null;
  threshold: number | null;
  windowStart: string;
  windowEnd: string;
  eventCount: number;
  firstEventTime: string;
  lastEventTime: string;
  rowIds: string[];
  /** The flood summary that notified this alert, when its input fired too many of its rule's to send each; else null. */
  summaryAlertId: string | null;
}

/**
 * The one message that stands for the alerts of a rule an input fired beyond those sent alone: the alert record's
 * fields (its own alert id, the rule, the highest severity, the span of their windows and event times, their event
 * count) and what it covers: how many alerts, and the first of them by alert id. Their records in the lake carry
 * its alert id as `summaryAlertId`.
 */
export interface AlertSummaryRecord extends AlertRecord {
  summary: SummaryInfo;
}

/**
 * Builds the record of an alert. `rule` is the rule that raised it (undefined when it is no longer loaded: the
 * record then carries what the state knows); `now` is the caller's clock, read once per input: `updatedAt`.
 * `summary` names the flood summary that notifies it, when the state does not say so yet.
 */
export function alertRecord(rule: Rule | undefined, alert: AlertState, now: Date, summary?: string): AlertRecord {
  return {
    id: alert.ruleId,
    alertId: alert.alertId,
    title: alert.title,
    severity: alert.severity.toUpperCase() as AlertRecord['severity'],
    type: 'RULE',
    createdAt: alert.createdAt,
    updatedAt: formatDate(now),
    name: rule?.displayName ?? alert.ruleId,
    alertContext: alert.alertContext,
    description: rule?.description ?? '',
    runbook: rule?.runbook ?? '',
    reference: rule?.reference ?? '',
    tags: [...(rule?.tags ?? [])],
    ruleId: alert.ruleId,
    logTypes: [...(rule?.logTypes ?? [])],
    dedup: alert.dedup,
    dedupPeriodMinutes: rule?.dedupPeriodMinutes ?? null,
    threshold: rule?.threshold ?? null,
    windowStart: alert.windowStart,
    windowEnd: alert.windowEnd,
    eventCount: alert.eventCount,
    firstEventTime: alert.firstEventTime,
    lastEventTime: alert.lastEventTime,
    rowIds: [...alert.rowIds],
    summaryAlertId: summary ?? alert.summary ?? null,
  };
}

/** The message of a flood summary, from its stored alert (windows.ts summaryState) and what it covers. */
export function summaryRecord(rule: Rule | undefined, alert: AlertState, covers: SummaryInfo, now: Date): AlertSummaryRecord {
  return { ...alertRecord(rule, alert, now), summary: covers };
}
