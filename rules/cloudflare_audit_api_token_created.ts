import { defineRule } from '../lib/rules/model';
import type { AnyAuditEvent } from '../lib/rules/events';
import { auditActor, auditAlertContext, auditSucceeded, lower, textAt } from './_helpers';

/**
 * An API token was created in the account. Tokens outlive sessions and passwords: a token made by an intruder is
 * how they come back. Rare in most accounts, so every one is worth a look. Audit logs v1 name the action
 * `token_create`; v2 says `create` on a token resource.
 */
const isTokenCreate = (e: AnyAuditEvent): boolean => {
  const action = lower(e.ActionType);
  if (action === 'token_create') return true;
  return (action === 'create' || action === 'add') && (lower(e.ResourceType).includes('token') || lower(e.ResourceProduct).includes('token'));
};

const tokenName = (e: AnyAuditEvent): string =>
  textAt(e.Metadata, 'token_name') ??
  textAt(e.ResourceRequest, 'name') ??
  textAt(e.ResourceValue, 'name') ??
  textAt(e.NewValue, 'name') ??
  e.ResourceID ??
  '<unnamed>';

export default defineRule<AnyAuditEvent>({
  id: 'Cloudflare.Audit.APITokenCreated',
  displayName: 'Cloudflare API Token Created',
  logTypes: ['Cloudflare.Audit', 'Cloudflare.AuditV2'],
  severity: 'Medium',
  tags: ['Cloudflare', 'Audit', 'Persistence'],
  description: 'A Cloudflare API token was created',
  runbook: [
    '1. Confirm with the actor (ActorEmail) that they created the token and why',
    '2. Check its permissions and IP restrictions in the dashboard (My Profile or Manage Account > API Tokens)',
    '3. If nobody expected it, roll or delete it, and review what else the actor did from the same address',
  ].join('\n'),
  reference: 'https://developers.cloudflare.com/fundamentals/api/get-started/create-token/',
  summaryAttributes: ['ActorEmail', 'ActorIP', 'ActorIPAddress', 'ResourceID'],
  rule: (e) => isTokenCreate(e) && auditSucceeded(e),
  title: (e) => `Cloudflare API token [${tokenName(e)}] created by [${auditActor(e)}]`,
  dedup: (e) => `${auditActor(e)}:${tokenName(e)}`,
  alertContext: (e) => ({ ...auditAlertContext(e), TokenName: tokenName(e) }),
  tests: [
    {
      name: 'a token created (audit logs v1) matches',
      expected: true,
      title: 'Cloudflare API token [ci-deploy] created by [frank@example.com]',
      log: {
        ActionResult: true,
        ActionType: 'token_create',
        ActorEmail: 'frank@example.com',
        ActorID: '0f0e0d0c0b0a09080706050403020100',
        ActorIP: '192.0.2.140',
        ActorType: 'user',
        ID: '6a1b8f2e-0000-4000-8000-000000000001',
        Interface: 'UI',
        Metadata: { token_name: 'ci-deploy', token_tag: '00112233445566778899aabbccddeeff' },
        ResourceType: 'account',
        When: '2026-06-10 09:00:00.000000000',
        p_log_type: 'Cloudflare.Audit',
        p_event_time: '2026-06-10 09:00:00.000000000',
      },
    },
    { name: 'a token creation that failed does not match', expected: false, log: { ActionResult: false, ActionType: 'token_create', ActorEmail: 'frank@example.com' } },
    {
      name: 'a token created (audit logs v2) matches',
      expected: true,
      dedup: 'grace@example.com:terraform',
      log: {
        ActionResult: 'success',
        ActionTimestamp: '2026-06-10 09:05:00.000000000',
        ActionType: 'create',
        ActorEmail: 'grace@example.com',
        ActorIPAddress: '2001:db8::99',
        AuditLogID: '7b2c9a3f-0000-4000-8000-000000000002',
        ResourceProduct: 'api_tokens',
        ResourceRequest: { name: 'terraform', policies: [] },
        ResourceType: 'token',
        p_log_type: 'Cloudflare.AuditV2',
      },
    },
    { name: 'a token viewed (v2) does not match', expected: false, log: { ActionResult: 'success', ActionType: 'view', ResourceType: 'token' } },
    { name: 'a DNS record created (v2) does not match', expected: false, log: { ActionResult: 'success', ActionType: 'create', ResourceProduct: 'dns_records', ResourceType: 'dns_record' } },
    { name: 'a zone setting changed (v1) does not match', expected: false, log: { ActionResult: true, ActionType: 'update', ResourceType: 'zone.setting' } },
  ],
});
