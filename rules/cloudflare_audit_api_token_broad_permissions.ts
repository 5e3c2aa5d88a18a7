import { defineRule } from '../lib/rules/model';
import type { AnyAuditEvent } from '../lib/rules/events';
import { auditActor, auditAlertContext, auditSucceeded, lower, textAt } from './_helpers';

/**
 * An API token was created (or its policies changed) with broad permissions: a policy that allows write access
 * (a permission group named ... Write, ... Edit or ... Admin) on every account or every zone the user can reach
 * (`com.cloudflare.api.account.*`, `com.cloudflare.api.account.zone.*`, or `com.cloudflare.api.user.*`), or
 * a policy list with 15 or more permission groups. Such a token is an all-access key that outlives the session
 * of whoever made it.
 *
 * Cloudflare.Audit.APITokenCreated alerts on every token; this one is High and narrower, for the tokens worth a
 * call now. The policies are read from the request (v2 ResourceRequest / ResourceValue / ResourceResponse.result,
 * v1 NewValue or Metadata); a record that does not carry them cannot match. Threshold 1.
 */
const WIDE_RESOURCES = ['com.cloudflare.api.account.*', 'com.cloudflare.api.account.zone.*', 'com.cloudflare.api.user.*'];
const MANY_GROUPS = 15;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function policiesOf(e: AnyAuditEvent): Obj[] {
  const response = isObj(e.ResourceResponse) ? (e.ResourceResponse.result ?? e.ResourceResponse) : undefined;
  for (const v of [e.ResourceRequest, e.ResourceValue, response, e.NewValue, e.Metadata]) {
    if (isObj(v) && Array.isArray(v.policies)) return v.policies.filter(isObj);
  }
  return [];
}

const groupNames = (p: Obj): string[] => (Array.isArray(p.permission_groups) ? p.permission_groups : []).map((g) => (isObj(g) ? lower(g.name) : '')).filter((n) => n !== '');

/** Resource keys at any depth (`{"com.cloudflare.api.account.*": {"com.cloudflare.api.account.zone.*": "*"}}`). */
function resourceKeys(v: unknown, out: string[] = [], depth = 0): string[] {
  if (!isObj(v) || depth > 3) return out;
  for (const [k, inner] of Object.entries(v)) {
    out.push(k);
    resourceKeys(inner, out, depth + 1);
  }
  return out;
}

const writes = (name: string): boolean => name.endsWith(' write') || name.endsWith(' edit') || name.includes('admin');

/** Why the token is broad, or undefined. */
function breadth(e: AnyAuditEvent): string | undefined {
  const policies = policiesOf(e).filter((p) => lower(p.effect) !== 'deny');
  if (policies.length === 0) return undefined;
  const groups = new Set(policies.flatMap(groupNames));
  if (groups.size >= MANY_GROUPS) return `${groups.size} permission groups`;
  for (const p of policies) {
    const wide = resourceKeys(p.resources).find((k) => WIDE_RESOURCES.includes(k));
    const write = groupNames(p).find(writes);
    if (wide !== undefined && write !== undefined) return `${write} on ${wide}`;
  }
  return undefined;
}

const isTokenWrite = (e: AnyAuditEvent): boolean => {
  const action = lower(e.ActionType);
  if (action === 'token_create' || action === 'token_update') return true;
  const tokenish = lower(e.ResourceType).includes('token') || lower(e.ResourceProduct).includes('token');
  return tokenish && ['create', 'add', 'update', 'edit'].includes(action);
};

const tokenName = (e: AnyAuditEvent): string =>
  textAt(e.ResourceRequest, 'name') ?? textAt(e.ResourceValue, 'name') ?? textAt(e.NewValue, 'name') ?? textAt(e.Metadata, 'token_name') ?? e.ResourceID ?? '<unnamed>';

export default defineRule<AnyAuditEvent>({
  id: 'Cloudflare.Audit.APITokenBroadPermissions',
  displayName: 'Cloudflare API Token With Broad Permissions',
  logTypes: ['Cloudflare.Audit', 'Cloudflare.AuditV2'],
  severity: 'High',
  dedupPeriodMinutes: 60,
  tags: ['Cloudflare', 'Audit', 'Persistence', 'attack.persistence', 'attack.t1098.001', 'attack.privilege_escalation'],
  description: 'An API token was created or updated with write access on all accounts or zones, or with very many permission groups',
  runbook: [
    '1. Ask the actor (ActorEmail) what the token is for and why it needs every account or zone',
    '2. If the need is real, replace it with a token scoped to the zones and permissions used, with IP filtering and an expiry',
    '3. If nobody expected it, delete the token and review the actor and the address (ActorIP / ActorIPAddress) for compromise',
  ].join('\n'),
  reference: 'https://developers.cloudflare.com/logs/logpush/logpush-job/datasets/account/audit_logs_v2/',
  summaryAttributes: ['ActorEmail', 'ActorIP', 'ActorIPAddress', 'ResourceID'],
  rule: (e) => isTokenWrite(e) && auditSucceeded(e) && breadth(e) !== undefined,
  title: (e) => `Cloudflare API token [${tokenName(e)}] with broad permissions (${breadth(e) ?? '?'}) by [${auditActor(e)}]`,
  dedup: (e) => `${auditActor(e)}:${tokenName(e)}`,
  alertContext: (e) => ({ ...auditAlertContext(e), TokenName: tokenName(e), Breadth: breadth(e) }),
  tests: [
    {
      name: 'a token with Zone Write on every zone (v2) matches',
      expected: true,
      title: 'Cloudflare API token [automation] with broad permissions (zone write on com.cloudflare.api.account.zone.*) by [grace@example.com]',
      log: {
        ActionResult: 'success',
        ActionTimestamp: '2026-11-01 10:00:00.000000000',
        ActionType: 'create',
        ActorEmail: 'grace@example.com',
        ActorIPAddress: '203.0.113.88',
        AuditLogID: '7b2c9a3f-0000-4000-8000-000000000301',
        ResourceProduct: 'api_tokens',
        ResourceRequest: {
          name: 'automation',
          policies: [
            {
              effect: 'allow',
              resources: { 'com.cloudflare.api.account.zone.*': '*' },
              permission_groups: [{ id: 'e6d2666161e84845a636613608cee8d5', name: 'Zone Write' }],
            },
          ],
        },
        ResourceType: 'token',
        p_log_type: 'Cloudflare.AuditV2',
        p_event_time: '2026-11-01 10:00:00.000000000',
      },
    },
    {
      name: 'a read-only token on every zone does not match',
      expected: false,
      log: {
        ActionResult: 'success',
        ActionType: 'create',
        ResourceType: 'token',
        ResourceRequest: { name: 'dashboards', policies: [{ effect: 'allow', resources: { 'com.cloudflare.api.account.zone.*': '*' }, permission_groups: [{ name: 'Analytics Read' }] }] },
      },
    },
    {
      name: 'a write token scoped to one zone does not match',
      expected: false,
      log: {
        ActionResult: 'success',
        ActionType: 'create',
        ResourceType: 'token',
        ResourceRequest: {
          name: 'dns-edit',
          policies: [{ effect: 'allow', resources: { 'com.cloudflare.api.account.zone.0123456789abcdef0123456789abcdef': '*' }, permission_groups: [{ name: 'DNS Write' }] }],
        },
      },
    },
    {
      name: 'a token with many permission groups (v1) matches',
      expected: true,
      dedup: 'frank@example.com:everything',
      log: {
        ActionResult: true,
        ActionType: 'token_create',
        ActorEmail: 'frank@example.com',
        Metadata: { token_name: 'everything' },
        NewValue: { name: 'everything', policies: [{ effect: 'allow', resources: { 'com.cloudflare.api.account.1111': '*' }, permission_groups: Array.from({ length: 16 }, (_, i) => ({ name: `Group ${i} Read` })) }] },
        ResourceType: 'account',
      },
    },
    { name: 'a token create without policies in the record does not match', expected: false, log: { ActionResult: true, ActionType: 'token_create', Metadata: { token_name: 'ci' } } },
  ],
});
