import { formatDate } from '../record/timestamps';
import type { Rule } from './model';
import type { AlertState } from './windows';

/**
 * The alert record: one JSON object, the same in the lake (alerts/) and in the SNS message. Its first fields are
 * those of Panther's alert payload, with Panther's meanings (`id` is the detection's id, `alertId` the alert's,
 * `severity` in capitals, `type` RULE, `name` the display name), so consumers of Panther alerts read it as they
 * are; the rest says what matched: the rule, the dedup string, the window, the count, the first and last event
 * time and up to 10 p_row_id. Times are the lake's text (`2026-01-01 00:00:00.000000000`, UTC).
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
}

/**
 * Builds the record of an alert. `rule` is the rule that raised it (undefined when it is no longer loaded: the
 * record then carries what the state knows); `now` is the caller's clock, read once per input: `updatedAt`.
 */
export function alertRecord(rule: Rule | undefined, alert: AlertState, now: Date): AlertRecord {
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
  };
}
