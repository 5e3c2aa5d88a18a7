import { defineRule } from '../lib/rules/model';
import { regex } from '../lib/regex';
import type { AnyAuditEvent } from '../lib/rules/events';
import { auditActor, auditAlertContext, auditMember, auditSucceeded, lower } from './_helpers';

/**
 * Somebody was added (invited) to the Cloudflare account. A new member gets the account's power over DNS,
 * certificates and traffic: an intruder adding themselves is a classic way to stay. The action is `add`,
 * `create` or `invite` on a member resource (audit logs v1 and v2), or an action named for members (`member_add`).
 */
const ADD = new Set(['add', 'create', 'invite']);
// Rules match client-controlled text with linear-time regexes (RE2), never RegExp literals.
const ADDS = regex('add|create|invite');

const isMemberAdd = (e: AnyAuditEvent): boolean => {
  const action = lower(e.ActionType);
  if (action.includes('member') && ADDS.test(action)) return true;
  return ADD.has(action) && (lower(e.ResourceType).includes('member') || lower(e.ResourceProduct).includes('member'));
};

export default defineRule<AnyAuditEvent>({
  id: 'Cloudflare.Audit.AccountMemberAdded',
  displayName: 'Cloudflare Account Member Added',
  logTypes: ['Cloudflare.Audit', 'Cloudflare.AuditV2'],
  severity: 'Medium',
  tags: ['Cloudflare', 'Audit', 'Persistence'],
  description: 'A member was added to or invited into the Cloudflare account',
  runbook: [
    '1. Confirm with the actor (ActorEmail) that the new member is expected, and with which roles',
    '2. If not, remove the member, and review what the actor and the new member did since',
  ].join('\n'),
  reference: 'https://developers.cloudflare.com/fundamentals/manage-members/manage/',
  summaryAttributes: ['ActorEmail', 'ActorIP', 'ActorIPAddress', 'ResourceID'],
  rule: (e) => isMemberAdd(e) && auditSucceeded(e),
  title: (e) => `Cloudflare account member [${auditMember(e)}] added by [${auditActor(e)}]`,
  dedup: (e) => `${auditActor(e)}:${auditMember(e)}`,
  alertContext: (e) => ({ ...auditAlertContext(e), Member: auditMember(e) }),
  tests: [
    {
      name: 'a member invited (audit logs v2) matches',
      expected: true,
      title: 'Cloudflare account member [ivan@example.net] added by [heidi@example.com]',
      log: {
        AccountID: '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
        ActionDescription: 'Member invited',
        ActionResult: 'success',
        ActionTimestamp: '2026-07-01 12:00:00.000000000',
        ActionType: 'create',
        ActorEmail: 'heidi@example.com',
        ActorIPAddress: '203.0.113.30',
        AuditLogID: '8c3d0b4a-0000-4000-8000-000000000003',
        ResourceRequest: { email: 'ivan@example.net', roles: ['Administrator'] },
        ResourceScope: 'accounts',
        ResourceType: 'member',
        p_log_type: 'Cloudflare.AuditV2',
        p_event_time: '2026-07-01 12:00:00.000000000',
      },
    },
    { name: 'a member invitation that failed does not match', expected: false, log: { ActionResult: 'failure', ActionType: 'create', ResourceType: 'member' } },
    {
      name: 'a member added (audit logs v1) matches',
      expected: true,
      dedup: 'heidi@example.com:judy@example.org',
      log: { ActionResult: true, ActionType: 'add', ActorEmail: 'heidi@example.com', NewValue: { email: 'judy@example.org' }, ResourceType: 'account.member', When: '2026-07-01 12:10:00.000000000' },
    },
    { name: 'an action named for adding a member matches', expected: true, log: { ActionResult: true, ActionType: 'member_add', ActorEmail: 'heidi@example.com', ResourceType: 'account' } },
    { name: 'a member removed does not match', expected: false, log: { ActionResult: true, ActionType: 'delete', ResourceType: 'account.member' } },
    { name: 'a member viewed (v2) does not match', expected: false, log: { ActionResult: 'success', ActionType: 'view', ResourceType: 'member' } },
  ],
});
