import type { AuditEvent, AuditV2Event } from '../generated/events';

/**
 * Typed rows for rules, one per log type, generated from its schema (lib/codegen/events.ts): `FirewallEvent` for
 * Cloudflare.Firewall, `HttpRequestEvent`, `GatewayHTTPEvent`, `AuditEvent`, ... (the log type's name after the
 * vendor). Each schema field has the type the lake writes it as, and is optional since a row omits absent fields.
 */
export type * from '../generated/events';

/** A row of either audit log version (their fields differ but for ActionResult: a bool in v1, text in v2). */
export type AnyAuditEvent = Omit<AuditEvent, 'ActionResult'> & Omit<AuditV2Event, 'ActionResult'> & { readonly ActionResult?: boolean | string };
