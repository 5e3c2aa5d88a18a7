import { defineRule } from '../lib/rules/model';
import type { AnyAuditEvent } from '../lib/rules/events';
import { auditActor, auditAlertContext, auditSucceeded, lower, textAt } from './_helpers';

/**
 * A DNS record at the apex of a zone (example.com itself) was changed or deleted: its address (A, AAAA), alias
 * (CNAME), mail (MX) or delegation (NS). Pointing the apex elsewhere hijacks the site and its mail; deleting it
 * takes them down. v1 records it as `rec_set` / `rec_del` (or update / delete) on a DNS_record with the record
 * name in Metadata, NewValue or OldValue; v2 as update / delete on a DNS record resource with ZoneName.
 *
 * Threshold 1, Medium: apex records change seldom (a migration, a new mail provider); TXT records are left out,
 * since verification tokens and SPF tweaks change them often. Records created at the apex do not match (a new
 * zone is set up that way). One alert per zone per hour.
 */
const CHANGE = new Set(['rec_set', 'rec_del', 'update', 'edit', 'patch', 'delete', 'remove', 'overwrite']);
const TYPES = new Set(['a', 'aaaa', 'cname', 'mx', 'ns']);

const isDnsRecord = (e: AnyAuditEvent): boolean => {
  const t = `${lower(e.ResourceType)} ${lower(e.ResourceProduct)}`;
  return t.includes('dns_record') || t.includes('dns record') || t.includes('dns.record') || t.includes('dns_records');
};

const zone = (e: AnyAuditEvent): string | undefined => e.ZoneName || textAt(e.Metadata, 'zone_name');

const recordName = (e: AnyAuditEvent): string | undefined =>
  textAt(e.Metadata, 'name') ?? textAt(e.NewValue, 'name') ?? textAt(e.OldValue, 'name') ?? textAt(e.ResourceRequest, 'name') ?? textAt(e.ResourceValue, 'name');

const recordType = (e: AnyAuditEvent): string | undefined =>
  textAt(e.Metadata, 'type') ?? textAt(e.NewValue, 'type') ?? textAt(e.OldValue, 'type') ?? textAt(e.ResourceRequest, 'type') ?? textAt(e.ResourceValue, 'type');

const noDot = (s: string): string => (s.endsWith('.') ? s.slice(0, -1) : s);

const atApex = (e: AnyAuditEvent): boolean => {
  const z = noDot(lower(zone(e)));
  const n = noDot(lower(recordName(e)));
  return n === '@' || (z !== '' && n === z);
};

const verb = (e: AnyAuditEvent): string => (['rec_del', 'delete', 'remove'].includes(lower(e.ActionType)) ? 'deleted' : 'changed');

export default defineRule<AnyAuditEvent>({
  id: 'Cloudflare.Audit.ApexDNSRecordChanged',
  displayName: 'Cloudflare Apex DNS Record Changed or Deleted',
  logTypes: ['Cloudflare.Audit', 'Cloudflare.AuditV2'],
  severity: 'Medium',
  dedupPeriodMinutes: 60,
  tags: ['Cloudflare', 'Audit', 'DNS', 'Impact', 'attack.impact', 'attack.t1565', 'attack.resource_development', 'attack.t1584.002'],
  description: 'An A, AAAA, CNAME, MX or NS record at the apex of a zone was changed or deleted',
  runbook: [
    '1. Compare the old and new record (OldValue / NewValue in v1, ResourceRequest / ResourceValue in v2): where does the apex point now?',
    '2. Confirm with the actor (ActorEmail) that it is a planned change; check the new address or host belongs to you',
    '3. If not, restore the record at once, and review the actor and their tokens for compromise',
  ].join('\n'),
  reference: 'https://developers.cloudflare.com/logs/reference/log-fields/account/audit_logs',
  summaryAttributes: ['ActorEmail', 'ActionType', 'ZoneName', 'ResourceID'],
  rule: (e) => {
    if (!auditSucceeded(e) || !CHANGE.has(lower(e.ActionType)) || !isDnsRecord(e) || !atApex(e)) return false;
    const type = recordType(e);
    return type === undefined || TYPES.has(lower(type));
  },
  title: (e) => `Cloudflare apex ${recordType(e) ?? 'DNS'} record of [${zone(e) ?? recordName(e) ?? '<unknown zone>'}] ${verb(e)} by [${auditActor(e)}]`,
  dedup: (e) => zone(e) ?? recordName(e) ?? '<unknown zone>',
  alertContext: (e) => ({ ...auditAlertContext(e), Zone: zone(e), RecordName: recordName(e), RecordType: recordType(e), NewValue: e.NewValue ?? e.ResourceRequest, OldValue: e.OldValue ?? e.ResourceValue }),
  tests: [
    {
      name: 'the apex A record changed (v1) matches',
      expected: true,
      title: 'Cloudflare apex A record of [example.com] changed by [dave@example.com]',
      log: {
        ActionResult: true,
        ActionType: 'rec_set',
        ActorEmail: 'dave@example.com',
        ActorIP: '198.51.100.44',
        ActorType: 'user',
        ID: '6a1b8f2e-0000-4000-8000-000000000501',
        Interface: 'API',
        Metadata: { zone_name: 'example.com', type: 'A', name: 'example.com' },
        NewValue: { content: '203.0.113.200', name: 'example.com', proxied: false, ttl: 1, type: 'A' },
        OldValue: { content: '192.0.2.80', name: 'example.com', proxied: true, ttl: 1, type: 'A' },
        ResourceID: '89abcdef0123456789abcdef01234567',
        ResourceType: 'DNS_record',
        When: '2026-11-01 10:00:00.000000000',
        p_log_type: 'Cloudflare.Audit',
        p_event_time: '2026-11-01 10:00:00.000000000',
      },
    },
    {
      name: 'the apex MX record deleted (v2) matches',
      expected: true,
      title: 'Cloudflare apex MX record of [example.net] deleted by [bob@example.com]',
      log: {
        ActionResult: 'success',
        ActionType: 'delete',
        ActorEmail: 'bob@example.com',
        ResourceProduct: 'dns_records',
        ResourceType: 'dns_record',
        ResourceValue: { name: 'example.net', type: 'MX', content: 'mx1.example.net' },
        ZoneName: 'example.net',
      },
    },
    {
      name: 'a subdomain record changed does not match',
      expected: false,
      log: { ActionResult: true, ActionType: 'rec_set', ResourceType: 'DNS_record', Metadata: { zone_name: 'example.com', type: 'A', name: 'www.example.com' } },
    },
    {
      name: 'an apex TXT record changed does not match',
      expected: false,
      log: { ActionResult: true, ActionType: 'rec_set', ResourceType: 'DNS_record', Metadata: { zone_name: 'example.com', type: 'TXT', name: 'example.com' } },
    },
    {
      name: 'an apex record added does not match',
      expected: false,
      log: { ActionResult: true, ActionType: 'rec_add', ResourceType: 'DNS_record', Metadata: { zone_name: 'example.com', type: 'A', name: 'example.com' } },
    },
  ],
});
