import { formatDate } from '../record/timestamps';
import { ALERT_COLUMNS, AlertRecord } from './alert-record';
import type { Rule } from './model';
import type { AlertState, SummaryInfo } from './windows';

export type { AlertRecord } from './alert-record';

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
  return inWrittenOrder({
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
  });
}

/** The record's keys in ALERT_COLUMNS' order, so the written JSON follows the one list whatever order it was built in. */
function inWrittenOrder(r: AlertRecord): AlertRecord {
  const fields: Record<string, unknown> = r;
  return Object.fromEntries(ALERT_COLUMNS.map((c) => [c.name, fields[c.name]])) as AlertRecord;
}

/** The message of a flood summary, from its stored alert (windows.ts summaryState) and what it covers. */
export function summaryRecord(rule: Rule | undefined, alert: AlertState, covers: SummaryInfo, now: Date): AlertSummaryRecord {
  return { ...alertRecord(rule, alert, now), summary: covers };
}
