import { defineRule } from '../lib/rules/model';
import type { AnyAuditEvent } from '../lib/rules/events';
import { auditActor, auditAlertContext, auditSucceeded, lower, textAt } from './_helpers';

/**
 * A zone's SSL/TLS encryption mode was set to `off`: visitors are sent to plain HTTP and Cloudflare talks to the
 * origin in clear text, which lets anyone on the path read and change traffic (credentials included). Nobody has
 * a good reason to do this to a production zone. v1 records it as an update of the `ssl` zone setting
 * (Metadata.setting or NewValue.id) with NewValue.value `off`; v2 as an update whose ResourceID or request id is
 * `ssl` with the request's value `off`.
 *
 * Threshold 1, High: rare, and directly weakens every visitor's security. Changes to other modes (flexible, full,
 * strict) do not match; `flexible` is weak too, but common on small sites, and would be noise.
 */
const settingOf = (e: AnyAuditEvent): string | undefined =>
  textAt(e.Metadata, 'setting') ?? textAt(e.NewValue, 'id') ?? textAt(e.ResourceRequest, 'id') ?? textAt(e.ResourceValue, 'id') ?? e.ResourceID;

const newValue = (e: AnyAuditEvent): string | undefined =>
  textAt(e.NewValue, 'value') ?? textAt(e.ResourceRequest, 'value') ?? textAt(e.ResourceValue, 'value');

const zone = (e: AnyAuditEvent): string => e.ZoneName || textAt(e.Metadata, 'zone_name') || '<unknown zone>';

export default defineRule<AnyAuditEvent>({
  id: 'Cloudflare.Audit.SSLModeOff',
  displayName: 'Cloudflare Zone SSL Mode Set to Off',
  logTypes: ['Cloudflare.Audit', 'Cloudflare.AuditV2'],
  severity: 'High',
  dedupPeriodMinutes: 60,
  tags: ['Cloudflare', 'Audit', 'Defense Evasion', 'attack.defense_evasion', 'attack.t1562', 'attack.credential_access', 'attack.t1557'],
  description: 'The SSL/TLS encryption mode of a zone was set to off',
  runbook: [
    '1. Ask the actor (ActorEmail) why; turn the mode back to Full (strict) unless there is a documented reason',
    '2. Check what else the actor changed (Always Use HTTPS, HSTS, DNS records) from the same address',
    '3. If the change was not theirs, roll their credentials and tokens',
  ].join('\n'),
  reference: 'https://developers.cloudflare.com/logs/reference/log-fields/account/audit_logs',
  summaryAttributes: ['ActorEmail', 'ActorIP', 'ActorIPAddress', 'ZoneName'],
  rule: (e) => auditSucceeded(e) && lower(settingOf(e)) === 'ssl' && lower(newValue(e)) === 'off' && !['delete', 'view', 'read'].includes(lower(e.ActionType)),
  title: (e) => `Cloudflare SSL mode set to off for [${zone(e)}] by [${auditActor(e)}]`,
  dedup: (e) => zone(e),
  alertContext: (e) => ({ ...auditAlertContext(e), Zone: zone(e), OldValue: textAt(e.OldValue, 'value'), NewValue: newValue(e) }),
  tests: [
    {
      name: 'the ssl setting updated to off (v1) matches',
      expected: true,
      title: 'Cloudflare SSL mode set to off for [example.com] by [carol@example.com]',
      log: {
        ActionResult: true,
        ActionType: 'update',
        ActorEmail: 'carol@example.com',
        ActorIP: '198.51.100.30',
        ActorType: 'user',
        ID: '6a1b8f2e-0000-4000-8000-000000000201',
        Interface: 'UI',
        Metadata: { zone_name: 'example.com', setting: 'ssl' },
        NewValue: { id: 'ssl', value: 'off' },
        OldValue: { id: 'ssl', value: 'strict' },
        ResourceID: '0123456789abcdef0123456789abcdef',
        ResourceType: 'zone_setting',
        When: '2026-11-01 10:00:00.000000000',
        p_log_type: 'Cloudflare.Audit',
        p_event_time: '2026-11-01 10:00:00.000000000',
      },
    },
    {
      name: 'the ssl setting patched to off (v2) matches',
      expected: true,
      dedup: 'example.net',
      log: {
        ActionResult: 'success',
        ActionTimestamp: '2026-11-01 10:01:00.000000000',
        ActionType: 'update',
        ActorEmail: 'dave@example.com',
        ResourceID: 'ssl',
        ResourceProduct: 'zone_settings',
        ResourceRequest: { value: 'off' },
        ResourceType: 'zone_setting',
        ZoneName: 'example.net',
        p_log_type: 'Cloudflare.AuditV2',
      },
    },
    { name: 'ssl set to strict does not match', expected: false, log: { ActionResult: true, ActionType: 'update', Metadata: { setting: 'ssl' }, NewValue: { id: 'ssl', value: 'strict' } } },
    {
      name: 'another setting set to off does not match',
      expected: false,
      log: { ActionResult: true, ActionType: 'update', Metadata: { setting: 'always_use_https' }, NewValue: { id: 'always_use_https', value: 'off' } },
    },
    { name: 'a failed change does not match', expected: false, log: { ActionResult: 'failure', ActionType: 'update', ResourceID: 'ssl', ResourceRequest: { value: 'off' } } },
  ],
});
