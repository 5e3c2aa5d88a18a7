import { defineRule } from '../lib/rules/model';
import type { AnyAuditEvent } from '../lib/rules/events';
import { auditActor, auditAlertContext, auditMember, auditSucceeded, lower } from './_helpers';

/**
 * A member was given the Super Administrator role (Cloudflare's "Super Administrator - All Privileges"), by an
 * invitation or a role change: full control of the account, billing and members included. An intruder with
 * admin rights grants it to a second identity to stay. Matched when the record's new value (v1 NewValue or
 * Metadata, v2 ResourceRequest or ResourceValue) names the role and the old value (v1 OldValue) did not.
 *
 * Threshold 1, High: super administrators are few and added rarely; each grant deserves a check. One alert per
 * member per day.
 */
const SUPER = 'super administrator';
const ACTIONS = new Set(['add', 'create', 'invite', 'update', 'edit', 'member_add', 'member_update', 'member_role_update']);

const mentions = (v: unknown): boolean => v !== undefined && v !== null && JSON.stringify(v).toLowerCase().includes(SUPER);

const isMemberChange = (e: AnyAuditEvent): boolean => {
  const action = lower(e.ActionType);
  const memberish = [e.ResourceType, e.ResourceProduct, e.ActionType].some((v) => lower(v).includes('member') || lower(v).includes('role'));
  return memberish && (ACTIONS.has(action) || action.includes('member'));
};

const granted = (e: AnyAuditEvent): boolean =>
  [e.NewValue, e.Metadata, e.ResourceRequest, e.ResourceValue].some(mentions) && !mentions(e.OldValue);

export default defineRule<AnyAuditEvent>({
  id: 'Cloudflare.Audit.SuperAdminGranted',
  displayName: 'Cloudflare Super Administrator Role Granted',
  logTypes: ['Cloudflare.Audit', 'Cloudflare.AuditV2'],
  severity: 'High',
  dedupPeriodMinutes: 1440,
  tags: ['Cloudflare', 'Audit', 'Privilege Escalation', 'attack.privilege_escalation', 'attack.persistence', 'attack.t1098', 'attack.t1098.003'],
  description: 'A member of the Cloudflare account was invited with, or changed to, the Super Administrator role',
  runbook: [
    '1. Confirm with the actor (ActorEmail) and the member that the grant is expected and approved',
    '2. If not, remove the role (or the member), and review what both did since, starting with members, tokens and DNS',
    '3. Keep super administrators to a named few with hardware-key two-factor sign-in',
  ].join('\n'),
  reference: 'https://developers.cloudflare.com/logs/logpush/logpush-job/datasets/account/audit_logs_v2/',
  summaryAttributes: ['ActorEmail', 'ActorIP', 'ActorIPAddress', 'ResourceID'],
  rule: (e) => isMemberChange(e) && auditSucceeded(e) && granted(e),
  title: (e) => `Cloudflare Super Administrator granted to [${auditMember(e)}] by [${auditActor(e)}]`,
  dedup: (e) => auditMember(e),
  alertContext: (e) => ({ ...auditAlertContext(e), Member: auditMember(e) }),
  tests: [
    {
      name: 'a member invited as super administrator (v1) matches',
      expected: true,
      title: 'Cloudflare Super Administrator granted to [mallory@example.net] by [alice@example.com]',
      log: {
        ActionResult: true,
        ActionType: 'add',
        ActorEmail: 'alice@example.com',
        ActorIP: '192.0.2.10',
        ActorType: 'user',
        ID: '6a1b8f2e-0000-4000-8000-000000000401',
        Interface: 'UI',
        NewValue: { email: 'mallory@example.net', roles: [{ id: '33666b9c79b9a5273fc7344ff42f953d', name: 'Super Administrator - All Privileges' }] },
        ResourceType: 'member',
        When: '2026-11-01 10:00:00.000000000',
        p_log_type: 'Cloudflare.Audit',
        p_event_time: '2026-11-01 10:00:00.000000000',
      },
    },
    {
      name: 'a role change to super administrator (v2) matches',
      expected: true,
      dedup: 'erin@example.com',
      log: {
        ActionResult: 'success',
        ActionType: 'update',
        ActorEmail: 'bob@example.com',
        ResourceProduct: 'members',
        ResourceRequest: { roles: ['Super Administrator - All Privileges'] },
        ResourceType: 'member',
        ResourceValue: { user: { email: 'erin@example.com' } },
      },
    },
    {
      name: 'a member added as administrator read only does not match',
      expected: false,
      log: { ActionResult: true, ActionType: 'add', ResourceType: 'member', NewValue: { email: 'carol@example.com', roles: [{ name: 'Administrator Read Only' }] } },
    },
    {
      name: 'an update of a member who already was super administrator does not match',
      expected: false,
      log: {
        ActionResult: true,
        ActionType: 'update',
        ResourceType: 'member',
        NewValue: { roles: [{ name: 'Super Administrator - All Privileges' }], status: 'accepted' },
        OldValue: { roles: [{ name: 'Super Administrator - All Privileges' }], status: 'pending' },
      },
    },
    { name: 'a failed grant does not match', expected: false, log: { ActionResult: 'failure', ActionType: 'update', ResourceType: 'member', ResourceRequest: { roles: ['Super Administrator - All Privileges'] } } },
  ],
});
