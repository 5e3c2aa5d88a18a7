import { defineRule } from '../lib/rules/model';
import type { AnyAuditEvent } from '../lib/rules/events';
import { auditActor, auditAlertContext, auditSucceeded, lower, textAt } from './_helpers';

/**
 * A Logpush job was deleted or disabled (`enabled: false`): the logs this project ingests stop flowing. Cutting
 * the log pipeline is a classic step before acting unseen (ATT&CK "impair defenses: disable cloud logs"). After a
 * job is gone, this alert may be the last record of the dataset it carried.
 *
 * Threshold 1, High: Logpush jobs change rarely; each removal should be planned. Job edits that keep it enabled
 * (a new field list, a filter) do not match.
 */
const DELETE = new Set(['delete', 'remove']);
const UPDATE = new Set(['update', 'edit', 'patch', 'set']);

const isLogpush = (e: AnyAuditEvent): boolean => [e.ResourceType, e.ResourceProduct, e.ActionType].some((v) => lower(v).includes('logpush'));

const enabledFalse = (v: unknown): boolean =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && (v as Record<string, unknown>).enabled === false;

const how = (e: AnyAuditEvent): 'deleted' | 'disabled' | undefined => {
  if (!isLogpush(e)) return undefined;
  const action = lower(e.ActionType);
  if (DELETE.has(action) || action.endsWith('_delete')) return 'deleted';
  if ((UPDATE.has(action) || action.endsWith('_update')) && [e.NewValue, e.ResourceRequest, e.ResourceValue].some(enabledFalse) && !enabledFalse(e.OldValue)) return 'disabled';
  return undefined;
};

const job = (e: AnyAuditEvent): string =>
  textAt(e.ResourceRequest, 'name') ?? textAt(e.ResourceValue, 'name') ?? textAt(e.NewValue, 'name') ?? textAt(e.OldValue, 'name') ?? e.ResourceID ?? '<unknown job>';

const dataset = (e: AnyAuditEvent): string | undefined =>
  textAt(e.ResourceValue, 'dataset') ?? textAt(e.OldValue, 'dataset') ?? textAt(e.NewValue, 'dataset') ?? textAt(e.ResourceRequest, 'dataset');

export default defineRule<AnyAuditEvent>({
  id: 'Cloudflare.Audit.LogpushJobDisabled',
  displayName: 'Cloudflare Logpush Job Deleted or Disabled',
  logTypes: ['Cloudflare.Audit', 'Cloudflare.AuditV2'],
  severity: 'High',
  dedupPeriodMinutes: 60,
  tags: ['Cloudflare', 'Audit', 'Logpush', 'Defense Evasion', 'attack.defense_evasion', 'attack.t1562.008'],
  description: 'A Logpush job was deleted or disabled, stopping the delivery of a Cloudflare log dataset',
  runbook: [
    '1. Find which dataset the job carried (dataset in the record, or the job list in the dashboard) and since when it is missing in the lake',
    '2. Confirm with the actor (ActorEmail) that it was planned; if not, recreate or re-enable the job',
    '3. Review what the actor did before and after: a pipeline cut is often followed by the change it was meant to hide',
  ].join('\n'),
  reference: 'https://developers.cloudflare.com/logs/logpush/logpush-job/datasets/account/audit_logs_v2/',
  summaryAttributes: ['ActorEmail', 'ActorIP', 'ActorIPAddress', 'ResourceID'],
  rule: (e) => auditSucceeded(e) && how(e) !== undefined,
  title: (e) => `Cloudflare Logpush job [${job(e)}]${dataset(e) ? ` (${dataset(e)})` : ''} ${how(e) ?? 'changed'} by [${auditActor(e)}]`,
  dedup: (e) => `${auditActor(e)}:${job(e)}`,
  alertContext: (e) => ({ ...auditAlertContext(e), Job: job(e), Dataset: dataset(e), Change: how(e) }),
  tests: [
    {
      name: 'a Logpush job deleted (v2) matches',
      expected: true,
      title: 'Cloudflare Logpush job [lake-gateway-dns] (gateway_dns) deleted by [frank@example.com]',
      log: {
        ActionResult: 'success',
        ActionTimestamp: '2026-11-01 10:00:00.000000000',
        ActionType: 'delete',
        ActorEmail: 'frank@example.com',
        ActorIPAddress: '203.0.113.61',
        AuditLogID: '7b2c9a3f-0000-4000-8000-000000000601',
        ResourceID: '123456',
        ResourceProduct: 'logpush',
        ResourceType: 'logpush.job',
        ResourceValue: { name: 'lake-gateway-dns', dataset: 'gateway_dns', enabled: true },
        p_log_type: 'Cloudflare.AuditV2',
        p_event_time: '2026-11-01 10:00:00.000000000',
      },
    },
    {
      name: 'a Logpush job disabled (v1) matches',
      expected: true,
      log: { ActionResult: true, ActionType: 'update', ResourceType: 'logpush_job', NewValue: { name: 'lake-http', enabled: false }, OldValue: { name: 'lake-http', enabled: true } },
    },
    {
      name: 'a Logpush job edited and still enabled does not match',
      expected: false,
      log: { ActionResult: true, ActionType: 'update', ResourceType: 'logpush_job', NewValue: { enabled: true, filter: '' }, OldValue: { enabled: true } },
    },
    { name: 'a Logpush job created does not match', expected: false, log: { ActionResult: 'success', ActionType: 'create', ResourceProduct: 'logpush', ResourceType: 'logpush.job' } },
    { name: 'a failed delete does not match', expected: false, log: { ActionResult: 'failure', ActionType: 'delete', ResourceProduct: 'logpush' } },
  ],
});
