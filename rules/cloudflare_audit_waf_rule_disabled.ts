import { defineRule } from '../lib/rules/model';
import type { AnyAuditEvent } from '../lib/rules/events';
import { auditActor, auditAlertContext, auditSucceeded, lower, textAt } from './_helpers';

/**
 * A WAF or firewall protection was deleted or switched off: a ruleset, rule, firewall rule, filter, WAF package or
 * managed ruleset deleted, one updated to `enabled: false`, or the zone's `waf` setting set to `off`. Turning
 * protections off is how an intruder (or a hurried engineer) opens a door before an attack (ATT&CK "impair
 * defenses").
 *
 * Only protections count: a deleted or disabled rule whose former action (OldValue.action) was `log`, `skip`,
 * `allow`, `whitelist` or `bypass` did not block anything (removing an exception even adds protection), so it does
 * not match; a record without the former
 * action does, since it cannot be told apart. On generated audit traffic, where ruleset deletions are part of the
 * everyday mix, this halves the matches; what remains is what the rule is for.
 *
 * Threshold 1: such changes are rare and each should have a change ticket. Rule edits that keep the rule enabled
 * do not match (they are routine); nor do failed changes. Teams that rebuild rulesets with Terraform will see
 * deletions in bulk: one alert per actor and zone per hour keeps that to one.
 */
const RESOURCE_WORDS = ['ruleset', 'firewall', 'waf', 'filter', 'rate_limit', 'ratelimit', 'access_rule', 'lockdown', 'managed_rules'];
const DELETE = new Set(['delete', 'remove', 'rule_delete', 'ruleset_delete', 'firewall_rule_delete']);
const UPDATE = new Set(['update', 'edit', 'set', 'patch', 'change']);

const isProtection = (e: AnyAuditEvent): boolean => {
  const text = `${lower(e.ResourceType)} ${lower(e.ResourceProduct)}`;
  return RESOURCE_WORDS.some((w) => text.includes(w));
};

/** The JSON value after the change, from either version. */
const after = (e: AnyAuditEvent): unknown => e.NewValue ?? e.ResourceRequest ?? e.ResourceValue;
const before = (e: AnyAuditEvent): unknown => e.OldValue;

const enabledIn = (v: unknown): boolean | undefined => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const en = (v as Record<string, unknown>).enabled;
  if (typeof en === 'boolean') return en;
  const paused = (v as Record<string, unknown>).paused;
  if (typeof paused === 'boolean') return !paused;
  return undefined;
};

/** The zone `waf` setting switched off (the old WAF's on/off switch). */
const wafSettingOff = (e: AnyAuditEvent): boolean => {
  const setting = textAt(e.Metadata, 'setting') ?? textAt(after(e), 'id') ?? (lower(e.ResourceType).includes('setting') ? e.ResourceID : undefined);
  return lower(setting) === 'waf' && lower(textAt(after(e), 'value')) === 'off';
};

/** Rule actions that protect nothing: losing such a rule lowers no defence. */
const NOT_PROTECTING = new Set(['log', 'skip', 'allow', 'whitelist', 'bypass']);
const formerAction = (e: AnyAuditEvent): string => lower(textAt(e.OldValue, 'action') ?? textAt(e.ResourceValue, 'action'));

const how = (e: AnyAuditEvent): 'deleted' | 'disabled' | undefined => {
  const action = lower(e.ActionType);
  if (wafSettingOff(e)) return 'disabled';
  if (!isProtection(e) && !action.includes('firewall') && !action.includes('ruleset')) return undefined;
  if (NOT_PROTECTING.has(formerAction(e))) return undefined;
  if (DELETE.has(action) || action.endsWith('_delete') || action.endsWith('_del')) return 'deleted';
  if ((UPDATE.has(action) || action.endsWith('_update')) && enabledIn(after(e)) === false && enabledIn(before(e)) !== false) return 'disabled';
  return undefined;
};

const zone = (e: AnyAuditEvent): string => e.ZoneName || textAt(e.Metadata, 'zone_name') || '<account>';

export default defineRule<AnyAuditEvent>({
  id: 'Cloudflare.Audit.WAFRuleDisabledOrDeleted',
  displayName: 'Cloudflare WAF or Firewall Rule Disabled or Deleted',
  logTypes: ['Cloudflare.Audit', 'Cloudflare.AuditV2'],
  severity: 'Medium',
  dedupPeriodMinutes: 60,
  tags: ['Cloudflare', 'Audit', 'WAF', 'Defense Evasion', 'attack.defense_evasion', 'attack.t1562', 'attack.t1562.007'],
  description: 'A WAF or firewall ruleset, rule or filter was deleted or disabled, or the zone WAF setting was switched off',
  runbook: [
    '1. Confirm with the actor (ActorEmail) that the change was planned (change ticket, Terraform run)',
    '2. Compare OldValue and NewValue (v1) or ResourceRequest (v2): which protection is gone, for which zone',
    '3. If nobody planned it, restore the rule, and review the actor and their token for compromise',
  ].join('\n'),
  reference: 'https://developers.cloudflare.com/logs/reference/log-fields/account/audit_logs',
  summaryAttributes: ['ActorEmail', 'ActionType', 'ResourceType', 'ResourceID', 'ZoneName'],
  rule: (e) => auditSucceeded(e) && how(e) !== undefined,
  title: (e) => `Cloudflare ${lower(e.ResourceType) || 'WAF'} ${how(e) ?? 'changed'} in [${zone(e)}] by [${auditActor(e)}]`,
  dedup: (e) => `${auditActor(e)}:${zone(e)}`,
  alertContext: (e) => ({ ...auditAlertContext(e), Zone: zone(e), Change: how(e), NewValue: e.NewValue ?? e.ResourceRequest, OldValue: e.OldValue }),
  tests: [
    {
      name: 'a firewall ruleset deleted (v1) matches',
      expected: true,
      title: 'Cloudflare ruleset deleted in [example.com] by [alice@example.com]',
      dedup: 'alice@example.com:example.com',
      log: {
        ActionResult: true,
        ActionType: 'delete',
        ActorEmail: 'alice@example.com',
        ActorIP: '192.0.2.10',
        ActorType: 'user',
        ID: '6a1b8f2e-0000-4000-8000-000000000101',
        Interface: 'UI',
        Metadata: { zone_name: 'example.com', phase: 'http_request_firewall_managed' },
        OldValue: { action: 'block', enabled: true, expression: '(cf.waf.score lt 20)' },
        ResourceID: '4e5f60718293a4b5c6d7e8f90a1b2c3d',
        ResourceType: 'ruleset',
        When: '2026-11-01 10:00:00.000000000',
        p_log_type: 'Cloudflare.Audit',
        p_event_time: '2026-11-01 10:00:00.000000000',
      },
    },
    {
      name: 'a firewall rule disabled (v2) matches',
      expected: true,
      title: 'Cloudflare firewall_rule disabled in [example.net] by [bob@example.com]',
      log: {
        ActionResult: 'success',
        ActionTimestamp: '2026-11-01 10:05:00.000000000',
        ActionType: 'update',
        ActorEmail: 'bob@example.com',
        ActorIPAddress: '2001:db8::15',
        AuditLogID: '7b2c9a3f-0000-4000-8000-000000000102',
        ResourceProduct: 'firewall',
        ResourceRequest: { id: 'r1', enabled: false },
        ResourceType: 'firewall_rule',
        ZoneName: 'example.net',
        p_log_type: 'Cloudflare.AuditV2',
      },
    },
    {
      name: 'the zone waf setting switched off (v1) matches',
      expected: true,
      log: { ActionResult: true, ActionType: 'update', ResourceType: 'zone_setting', Metadata: { zone_name: 'example.org', setting: 'waf' }, NewValue: { id: 'waf', value: 'off' }, OldValue: { id: 'waf', value: 'on' } },
    },
    {
      name: 'a ruleset edited and still enabled does not match',
      expected: false,
      log: { ActionResult: true, ActionType: 'update', ResourceType: 'ruleset', NewValue: { action: 'block', enabled: true }, OldValue: { action: 'log', enabled: true } },
    },
    {
      name: 'a deleted rule that only logged does not match',
      expected: false,
      log: { ActionResult: true, ActionType: 'delete', ResourceType: 'ruleset', OldValue: { action: 'log', enabled: true, expression: '(cf.waf.score lt 20)' } },
    },
    { name: 'a failed delete does not match', expected: false, log: { ActionResult: false, ActionType: 'delete', ResourceType: 'ruleset' } },
    { name: 'a DNS record deleted does not match', expected: false, log: { ActionResult: true, ActionType: 'rec_del', ResourceType: 'DNS_record' } },
    { name: 'a ruleset created does not match', expected: false, log: { ActionResult: 'success', ActionType: 'create', ResourceProduct: 'rulesets', ResourceType: 'ruleset' } },
  ],
});
