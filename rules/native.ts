import type { Rule } from '../lib/rules/model';
import accessLoginHighRiskCountry from './cloudflare_access_login_high_risk_country';
import auditApexDnsChanged from './cloudflare_audit_apex_dns_changed';
import auditApiTokenBroadPermissions from './cloudflare_audit_api_token_broad_permissions';
import auditLogpushJobDisabled from './cloudflare_audit_logpush_job_disabled';
import auditSslModeOff from './cloudflare_audit_ssl_mode_off';
import auditSuperAdminGranted from './cloudflare_audit_super_admin_granted';
import auditWafRuleDisabled from './cloudflare_audit_waf_rule_disabled';
import casbHighSeverityFinding from './cloudflare_casb_high_severity_finding';
import devicePostureFailures from './cloudflare_device_posture_failures';
import dlpForensicCopyTaken from './cloudflare_dlp_forensic_copy_taken';
import dnsFirewallNxdomainFlood from './cloudflare_dns_firewall_nxdomain_flood';
import emailSecurityMaliciousDelivered from './cloudflare_email_security_malicious_delivered';
import firewallLeakedCredentialsNotBlocked from './cloudflare_firewall_leaked_credentials_not_blocked';
import gatewayDnsSecurityCategoryResolved from './cloudflare_gateway_dns_security_category_resolved';
import gatewayDnsTunnellingQueries from './cloudflare_gateway_dns_tunnelling_queries';
import gatewayHttpMalwareAllowed from './cloudflare_gateway_http_malware_allowed';
import gatewayHttpUploadUnapprovedStorage from './cloudflare_gateway_http_upload_unapproved_storage';
import gatewayNetworkSecurityCategoryAllowed from './cloudflare_gateway_network_security_category_allowed';
import httpreqLeakedCredentialsLogin from './cloudflare_httpreq_leaked_credentials_login';
import httpreqWafAttackScoreAllowed from './cloudflare_httpreq_waf_attack_score_allowed';
import magicIdsDetection from './cloudflare_magic_ids_detection';
import mcpPortalDeniedToolCalls from './cloudflare_mcp_portal_denied_tool_calls';
import pageShieldScriptViolation from './cloudflare_page_shield_script_violation';
import sinkholeHttpHit from './cloudflare_sinkhole_http_hit';
import sshRootLogin from './cloudflare_ssh_root_login';
import sshSuspiciousCommand from './cloudflare_ssh_suspicious_command';
import turnstileFailureBurstIp from './cloudflare_turnstile_failure_burst_ip';
import turnstileFailureBurstSite from './cloudflare_turnstile_failure_burst_site';
import warpToggledOff from './cloudflare_warp_toggled_off';

/**
 * The Cloudflare-native rules: one per Cloudflare dataset signal no Panther or Sentinel port covers (docs/rules-native.md).
 * Kept apart from BUILT_IN_RULES (rules/index.ts) until they are added to it; test/unit/rules-native.test.ts runs them.
 */
export const NATIVE_RULES: readonly Rule[] = Object.freeze([
  accessLoginHighRiskCountry,
  auditApexDnsChanged,
  auditApiTokenBroadPermissions,
  auditLogpushJobDisabled,
  auditSslModeOff,
  auditSuperAdminGranted,
  auditWafRuleDisabled,
  casbHighSeverityFinding,
  devicePostureFailures,
  dlpForensicCopyTaken,
  dnsFirewallNxdomainFlood,
  emailSecurityMaliciousDelivered,
  firewallLeakedCredentialsNotBlocked,
  gatewayDnsSecurityCategoryResolved,
  gatewayDnsTunnellingQueries,
  gatewayHttpMalwareAllowed,
  gatewayHttpUploadUnapprovedStorage,
  gatewayNetworkSecurityCategoryAllowed,
  httpreqLeakedCredentialsLogin,
  httpreqWafAttackScoreAllowed,
  magicIdsDetection,
  mcpPortalDeniedToolCalls,
  pageShieldScriptViolation,
  sinkholeHttpHit,
  sshRootLogin,
  sshSuspiciousCommand,
  turnstileFailureBurstIp,
  turnstileFailureBurstSite,
  warpToggledOff,
]);
