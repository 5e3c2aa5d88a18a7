import { defineRule } from '../lib/rules/model';
import type { FirewallEvent } from '../lib/rules/events';
import { firewallAlertContext } from './_helpers';

/**
 * Port of panther-analysis rules/cloudflare_rules/cloudflare_firewall_ddos (Apache-2.0): Cloudflare's L7 DDoS
 * protection acted on a request. The title is constant, so every match is one group: 100 within an hour is an attack.
 */
export default defineRule<FirewallEvent>({
  id: 'Cloudflare.Firewall.L7DDoS',
  displayName: 'Cloudflare L7 DDoS',
  logTypes: ['Cloudflare.Firewall'],
  severity: 'Medium',
  threshold: 100,
  dedupPeriodMinutes: 60,
  tags: ['Cloudflare', 'Variable Severity'],
  description: 'Layer 7 Distributed Denial of Service (DDoS) detected',
  runbook: 'Inspect and monitor internet-facing services for potential outages',
  reference: 'https://www.cloudflare.com/en-gb/learning/ddos/application-layer-ddos-attack/',
  summaryAttributes: ['Action', 'ClientCountry', 'ClientIP', 'ClientRequestUserAgent'],
  rule: (e) => e.Source === 'l7ddos',
  title: () => 'Cloudflare: Detected L7 DDoS',
  // Blocked at the edge: the attack is being handled, so it is information; anything else needs a look.
  severityOf: (e) => (e.Action === 'block' ? 'Info' : 'Medium'),
  alertContext: firewallAlertContext,
  tests: [
    {
      name: 'an L7 DDoS mitigation that only logged the request is Medium',
      expected: true,
      severity: 'Medium',
      title: 'Cloudflare: Detected L7 DDoS',
      log: {
        Action: 'log',
        ClientIP: '198.51.100.10',
        ClientRequestHost: 'www.example.com',
        ClientRequestPath: '/search',
        Datetime: '2026-03-02 10:15:00.000000000',
        EdgeResponseStatus: 200,
        Kind: 'firewall',
        RayID: '8c0ffee000000001',
        Source: 'l7ddos',
        p_log_type: 'Cloudflare.Firewall',
        p_event_time: '2026-03-02 10:15:00.000000000',
      },
    },
    {
      name: 'an L7 DDoS request Cloudflare blocked is Info',
      expected: true,
      severity: 'Info',
      alertContext: {
        Action: 'block',
        ClientIP: '203.0.113.77',
        ClientRequestHost: 'api.example.com',
        Datetime: '2026-03-02 10:15:01.500000000',
        EdgeColoCode: 'FRA',
        EdgeResponseStatus: 403,
        Kind: 'firewall',
        RuleID: '<RuleID_NOT_IN_EVENT>',
        Source: 'l7ddos',
        pan_cf_source: 'L7 DDoS',
      },
      log: {
        Action: 'block',
        ClientIP: '203.0.113.77',
        ClientRequestHost: 'api.example.com',
        Datetime: '2026-03-02 10:15:01.500000000',
        EdgeColoCode: 'FRA',
        EdgeResponseStatus: 403,
        Kind: 'firewall',
        Source: 'l7ddos',
      },
    },
    {
      name: 'a managed WAF rule event is not an L7 DDoS',
      expected: false,
      log: { Action: 'block', ClientIP: '203.0.113.77', Source: 'firewallmanaged', RuleID: 'aa00bb11cc22dd33ee44ff5566778899' },
    },
    { name: 'an event without a Source is not an L7 DDoS', expected: false, log: { Action: 'block', ClientIP: '203.0.113.77' } },
    { name: 'the source name is compared exactly', expected: false, log: { Action: 'block', Source: 'L7DDoS' } },
  ],
});
