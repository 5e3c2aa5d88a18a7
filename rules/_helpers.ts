import type { AnyAuditEvent, FirewallEvent, GatewayDNSEvent, GatewayHTTPEvent, HttpRequestEvent } from '../lib/rules/events';

/**
 * Helpers of the built-in rules. The first three port panther-analysis' global_helpers/panther_cloudflare_helpers.py
 * (Apache-2.0) so alerts carry the same context as Panther's.
 */

/** Cloudflare's firewall event sources by their lower-cased name, as Panther names them. */
const FIREWALL_SOURCES: Record<string, string> = {
  unknown: 'Unknown',
  asn: 'ASN',
  country: 'Country',
  ip: 'IP',
  iprange: 'IP Range',
  securitylevel: 'Security Level',
  zonelockdown: 'Zone Lockdown',
  waf: 'WAF',
  firewallrules: 'Firewall Rules',
  uablock: 'User Agent',
  ratelimit: 'Rate Limit',
  bic: 'Browser Integrity Check',
  hot: 'Hotlink Protection',
  l7ddos: 'L7 DDoS',
  botfight: 'Bot Fight (Classic)',
  validation: 'Invalid',
  apishield: 'API Shield',
  botmanagement: 'Bot Management',
  dlp: 'Data Loss Prevention',
  firewallmanaged: 'Firewall Managed Rules',
  firewallcustom: 'Firewall Custom Rulesets',
};

export function firewallSourceName(source: string | undefined): string {
  if (source === undefined) return '<NO_SOURCE>';
  return FIREWALL_SOURCES[source.toLowerCase()] ?? source;
}

const FIREWALL_CONTEXT = ['Action', 'ClientIP', 'ClientRequestHost', 'Datetime', 'EdgeColoCode', 'EdgeResponseStatus', 'Kind', 'RuleID', 'Source'] as const;

/** Panther's cloudflare_fw_alert_context: these fields (a placeholder when absent) and the source's name. */
export function firewallAlertContext(e: FirewallEvent): Record<string, unknown> {
  const ctx: Record<string, unknown> = {};
  for (const k of FIREWALL_CONTEXT) ctx[k] = e[k] ?? `<${k}_NOT_IN_EVENT>`;
  ctx.pan_cf_source = firewallSourceName(e.Source);
  return ctx;
}

const HTTP_CONTEXT = [
  'BotScore',
  'BotScoreSrc',
  'CacheCacheStatus',
  'CacheResponseStatus',
  'ClientIP',
  'ClientDeviceType',
  'ClientRequestHost',
  'ClientRequestMethod',
  'ClientRequestPath',
  'EdgeResponseStatus',
] as const;

/** Panther's cloudflare_http_alert_context: these fields, those present only. */
export function httpAlertContext(e: HttpRequestEvent): Record<string, unknown> {
  const ctx: Record<string, unknown> = {};
  for (const k of HTTP_CONTEXT) if (e[k] !== undefined) ctx[k] = e[k];
  return ctx;
}

export const lower = (v: unknown): string => (typeof v === 'string' ? v.toLowerCase() : '');

/** A field of a JSON column (`Metadata.token_name`), when it is text. */
export function textAt(v: unknown, ...path: string[]): string | undefined {
  let cur = v;
  for (const k of path) {
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return typeof cur === 'string' && cur !== '' ? cur : undefined;
}

/** Whether an audit record's action succeeded: v1 says it with a bool, v2 with text (`success`, `failure`). */
export function auditSucceeded(e: AnyAuditEvent): boolean {
  const r = e.ActionResult;
  if (r === undefined) return true;
  if (typeof r === 'boolean') return r;
  return !['failure', 'failed', 'false', 'error'].includes(r.toLowerCase());
}

/** Who did it: e-mail, else actor id, else the address. */
export function auditActor(e: AnyAuditEvent): string {
  return e.ActorEmail || e.ActorID || e.ActorIP || e.ActorIPAddress || '<unknown actor>';
}

/** The context every audit rule's alert carries, from either version. */
/** The member an audit record's membership change is about: its e-mail where the record says, else the resource id. */
export const auditMember = (e: AnyAuditEvent): string =>
  textAt(e.NewValue, 'email') ??
  textAt(e.Metadata, 'email') ??
  textAt(e.ResourceRequest, 'email') ??
  textAt(e.ResourceValue, 'email') ??
  textAt(e.ResourceValue, 'user', 'email') ??
  e.ResourceID ??
  '<unknown member>';

export function auditAlertContext(e: AnyAuditEvent): Record<string, unknown> {
  const ctx: Record<string, unknown> = {
    ActionType: e.ActionType,
    ActionResult: e.ActionResult,
    ActorEmail: e.ActorEmail,
    ActorID: e.ActorID,
    ActorIP: e.ActorIP ?? e.ActorIPAddress,
    ActorType: e.ActorType,
    Interface: e.Interface ?? e.ActorContext,
    ResourceType: e.ResourceType,
    ResourceID: e.ResourceID,
    ResourceProduct: e.ResourceProduct,
    AuditLogID: e.ID ?? e.AuditLogID,
    AccountID: e.AccountID,
  };
  for (const k of Object.keys(ctx)) if (ctx[k] === undefined) delete ctx[k];
  return ctx;
}

/** Who asked and what, the start of every Gateway DNS rule's alert context. */
export function gatewayDnsContext(e: GatewayDNSEvent): Record<string, unknown> {
  return { DeviceName: e.DeviceName, DeviceID: e.DeviceID, Email: e.Email, SrcIP: e.SrcIP, QueryName: e.QueryName, QueryTypeName: e.QueryTypeName };
}

/** Who fetched what, the start of every Gateway HTTP rule's alert context. */
export function gatewayHttpContext(e: GatewayHTTPEvent): Record<string, unknown> {
  return { Email: e.Email, UserID: e.UserID, DeviceName: e.DeviceName, SourceIP: e.SourceIP, HTTPHost: e.HTTPHost, URL: e.URL };
}

/** Bytes went either way (Sentinel's `BytesSent > 0 or BytesReceived > 0`): the request reached something. */
export function bytesEitherWay(e: HttpRequestEvent): boolean {
  return (e.EdgeResponseBytes !== undefined && e.EdgeResponseBytes !== 0) || (e.ClientRequestBytes !== undefined && e.ClientRequestBytes !== 0);
}

/**
 * What every port of Sentinel's analytics shares: off by default, as Sentinel ships them (templates a team enables
 * with CFLOGS_RULES_ENABLE), and grouped by the hour unless the rule's own window is shorter.
 */
export const SENTINEL_TEMPLATE = { enabled: false, dedupPeriodMinutes: 60 } as const;

/** The MITRE tags Sentinel gives its web-request analytics (initial access through a public-facing application). */
export const SENTINEL_WEB_TAGS = ['Cloudflare', 'Sentinel', 'attack.initial_access', 'attack.t1190', 'attack.t1133'];

/** The public page of one of Sentinel's Cloudflare analytic rules, which a port names as its reference. */
export function sentinelReference(file: string): string {
  return `https://github.com/Azure/Azure-Sentinel/tree/master/Solutions/Cloudflare/Analytic%20Rules/${file}`;
}
