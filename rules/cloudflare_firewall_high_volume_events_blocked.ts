import { defineRule } from '../lib/rules/model';
import type { FirewallEvent } from '../lib/rules/events';
import { firewallAlertContext } from './_helpers';

/**
 * Port of panther-analysis' Cloudflare.Firewall.HighVolumeEventsBlocked (Apache-2.0), removed from panther-analysis
 * in 2024 but still useful: one client blocked 200 times within an hour on one host is a scanner or an attack
 * worth a look, where a few blocks are background noise. Off by default: each (client IP, host) is a group, and on
 * firewall events from many clients it cost 26% of the pipeline's CPU and tens of thousands of state writes per
 * object (bench/README.md, Detections). CFLOGS_RULES_ENABLE turns it on where blocks come from few clients.
 */
export default defineRule<FirewallEvent>({
  id: 'Cloudflare.Firewall.HighVolumeEventsBlocked',
  displayName: 'Cloudflare - High Volume Events Blocked',
  logTypes: ['Cloudflare.Firewall'],
  severity: 'Low',
  enabled: false,
  threshold: 200,
  dedupPeriodMinutes: 60,
  tags: ['Cloudflare'],
  description: 'Monitors high volume events blocked from the same IP',
  runbook: 'Inspect and monitor internet-facing services for potential outages',
  reference: 'https://developers.cloudflare.com/firewall/cf-firewall-rules/actions/',
  summaryAttributes: ['ClientRequestUserAgent', 'ClientRequestPath', 'Action', 'EdgeResponseStatus', 'OriginResponseStatus'],
  rule: (e) => e.Action === 'block',
  title: (e) => `Cloudflare: High Volume of Block Actions - from [${e.ClientIP ?? '<NO_CLIENTIP>'}] to [${e.ClientRequestHost ?? '<NO_REQ_HOST>'}]`,
  dedup: (e) => `${e.ClientIP ?? '<NO_CLIENTIP>'}:${e.ClientRequestHost ?? '<NO_REQ_HOST>'}`,
  alertContext: firewallAlertContext,
  tests: [
    {
      name: 'a blocked request counts towards its client and host',
      expected: true,
      dedup: '192.0.2.200:login.example.com',
      title: 'Cloudflare: High Volume of Block Actions - from [192.0.2.200] to [login.example.com]',
      log: {
        Action: 'block',
        ClientIP: '192.0.2.200',
        ClientRequestHost: 'login.example.com',
        ClientRequestPath: '/wp-login.php',
        Datetime: '2026-02-20 03:00:00.000000000',
        Source: 'firewallcustom',
        p_event_time: '2026-02-20 03:00:00.000000000',
      },
    },
    { name: 'a challenge is not a block', expected: false, log: { Action: 'managed_challenge', ClientIP: '192.0.2.200', ClientRequestHost: 'login.example.com' } },
    { name: 'a logged request is not a block', expected: false, log: { Action: 'log', ClientIP: '192.0.2.200' } },
    { name: 'an event without an action is not a block', expected: false, log: { ClientIP: '192.0.2.200' } },
  ],
});
