import { defineRule } from '../lib/rules/model';
import type { FirewallEvent } from '../lib/rules/events';
import { firewallAlertContext } from './_helpers';

/**
 * Port of panther-analysis rules/cloudflare_rules/cloudflare_react2shell_rce_attempt (Apache-2.0): a request matched
 * one of Cloudflare's WAF rules for React2Shell (CVE-2025-55182, remote code execution in React Server Components).
 * Every match counts; the title names the client, so each client IP is one alert per hour.
 */
const REACT2SHELL_RULE_IDS = new Set([
  '33aa8a8a948b48b28d40450c5fb92fba', // Managed Ruleset
  '2b5d06e34a814a889bee9a0699702280', // Free Ruleset
]);

export default defineRule<FirewallEvent>({
  id: 'Cloudflare.Firewall.React2Shell.RCE',
  displayName: 'Cloudflare React2Shell RCE Attempt Detected',
  logTypes: ['Cloudflare.Firewall'],
  severity: 'High',
  tags: ['Cloudflare', 'RCE', 'React2Shell', 'CVE-2025-55182'],
  description: 'Detects React2Shell (CVE-2025-55182) RCE attempts blocked by Cloudflare WAF',
  runbook: [
    '1. Query Cloudflare Firewall logs for all requests from the ClientIP in the 6 hours before and after the alert to identify attack patterns',
    '2. Check if the ClientIP is associated with known threat actors, scanning infrastructure, VPN services, or proxy networks',
    '3. Search for other React2Shell attempts from this IP or targeting the same ClientRequestHost in the past 7 days',
  ].join('\n'),
  reference: 'https://blog.cloudflare.com/cloudflare-protection-against-cve-2025-55182-react2shell',
  summaryAttributes: ['Action', 'ClientCountry', 'ClientIP', 'ClientRequestUserAgent', 'ClientRequestHost'],
  rule: (e) => e.RuleID !== undefined && REACT2SHELL_RULE_IDS.has(e.RuleID),
  title: (e) => `Cloudflare React2Shell (CVE-2025-55182) Exploit Detected from [${e.ClientIP ?? '<UNKNOWN_IP>'}]`,
  alertContext: firewallAlertContext,
  tests: [
    {
      name: 'a hit of the managed ruleset rule matches',
      expected: true,
      title: 'Cloudflare React2Shell (CVE-2025-55182) Exploit Detected from [198.51.100.201]',
      severity: 'High',
      log: {
        Action: 'block',
        ClientIP: '198.51.100.201',
        ClientRequestHost: 'app.example.com',
        ClientRequestMethod: 'POST',
        ClientRequestPath: '/_next/action',
        Datetime: '2026-01-12 08:30:00.000000000',
        RuleID: '33aa8a8a948b48b28d40450c5fb92fba',
        Source: 'firewallmanaged',
        p_event_time: '2026-01-12 08:30:00.000000000',
      },
    },
    {
      name: 'a hit of the free ruleset rule matches, even when only logged',
      expected: true,
      log: { Action: 'log', ClientIP: '2001:db8::7', ClientRequestHost: 'app.example.com', RuleID: '2b5d06e34a814a889bee9a0699702280', Source: 'firewallmanaged' },
    },
    { name: 'another managed rule does not match', expected: false, log: { Action: 'block', ClientIP: '198.51.100.201', RuleID: '0123456789abcdef0123456789abcdef' } },
    { name: 'an event without a RuleID does not match', expected: false, log: { Action: 'block', ClientIP: '198.51.100.201', Source: 'l7ddos' } },
    {
      name: 'without a client IP the title says so',
      expected: true,
      title: 'Cloudflare React2Shell (CVE-2025-55182) Exploit Detected from [<UNKNOWN_IP>]',
      log: { Action: 'block', RuleID: '33aa8a8a948b48b28d40450c5fb92fba' },
    },
  ],
});
