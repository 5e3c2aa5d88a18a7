import type { Rule } from '../lib/rules/model';
import accessDeniedBurst from './cloudflare_access_denied_burst';
import auditApiTokenCreated from './cloudflare_audit_api_token_created';
import auditMemberAdded from './cloudflare_audit_member_added';
import firewallDdos from './cloudflare_firewall_ddos';
import firewallHighVolumeBlocked from './cloudflare_firewall_high_volume_events_blocked';
import gatewayHttpMalwareBlocked from './cloudflare_gateway_http_malware_blocked';
import httpBotHighVolume from './cloudflare_httpreq_bot_high_volume';
import react2shell from './cloudflare_react2shell_rce_attempt';
import { NATIVE_RULES } from './native';
import { SENTINEL_RULES } from './sentinel';

/** The built-in rules, one file each (docs/detections.md). A new built-in rule is added here. */
export const BUILT_IN_RULES: readonly Rule[] = Object.freeze([
  firewallDdos,
  httpBotHighVolume,
  react2shell,
  firewallHighVolumeBlocked,
  gatewayHttpMalwareBlocked,
  accessDeniedBurst,
  auditApiTokenCreated,
  auditMemberAdded,
  // Cloudflare-native rules for every dataset family (docs/rules-native.md).
  ...NATIVE_RULES,
  // Microsoft Sentinel's Cloudflare analytics, ported (docs/rules-sentinel.md).
  ...SENTINEL_RULES,
]);
