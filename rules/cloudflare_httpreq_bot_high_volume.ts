import { defineRule } from '../lib/rules/model';
import type { HttpRequestEvent } from '../lib/rules/events';
import { httpAlertContext } from './_helpers';

/**
 * Port of panther-analysis rules/cloudflare_rules/cloudflare_httpreq_bot_high_volume (Apache-2.0): requests that
 * Cloudflare's bot score marks as likely automated (1-30), more than 2 a second on average over an hour to one host.
 * Disabled by default, as in Panther: busy sites with friendly crawlers reach it. CFLOGS_RULES_ENABLE turns it on.
 */
export default defineRule<HttpRequestEvent>({
  id: 'Cloudflare.HttpRequest.BotHighVolume',
  displayName: 'Cloudflare Bot High Volume',
  enabled: false,
  logTypes: ['Cloudflare.HttpRequest'],
  severity: 'Low',
  // 2 requests a second is 7200 an hour; Panther adds 5%.
  threshold: 7560,
  dedupPeriodMinutes: 60,
  tags: ['Cloudflare'],
  description: 'Monitors for bots making HTTP Requests at a rate higher than 2req/sec',
  runbook: 'Inspect and monitor internet-facing services for potential outages',
  reference: 'https://developers.cloudflare.com/waf/rate-limiting-rules/request-rate/',
  summaryAttributes: ['ClientIP', 'ClientRequestUserAgent', 'EdgeResponseContentType', 'ClientCountry', 'ClientRequestURI'],
  // Bot scores run 1-99; 0 means no score was computed. An absent score counts as human, as in Panther.
  rule: (e) => {
    const score = e.BotScore ?? 100;
    return score >= 1 && score <= 30;
  },
  title: (e) => `Cloudflare: High Volume of Bot Requests to [${e.ClientRequestHost ?? '<NO_REQ_HOST>'}]`,
  alertContext: httpAlertContext,
  tests: [
    {
      name: 'a request scored as likely automated matches',
      expected: true,
      title: 'Cloudflare: High Volume of Bot Requests to [shop.example.com]',
      alertContext: { BotScore: 7, ClientIP: '192.0.2.55', ClientRequestHost: 'shop.example.com', ClientRequestMethod: 'GET', EdgeResponseStatus: 200 },
      log: {
        BotScore: 7,
        ClientIP: '192.0.2.55',
        ClientRequestHost: 'shop.example.com',
        ClientRequestMethod: 'GET',
        ClientRequestUserAgent: 'python-requests/2.31',
        EdgeResponseStatus: 200,
        EdgeStartTimestamp: '2026-03-02 11:00:00.250000000',
        p_event_time: '2026-03-02 11:00:00.250000000',
      },
    },
    { name: 'a score of 30 is still likely automated', expected: true, log: { BotScore: 30, ClientRequestHost: 'shop.example.com' } },
    { name: 'a score of 1 is automated', expected: true, log: { BotScore: 1, ClientRequestHost: 'shop.example.com' } },
    { name: 'a score of 31 is not', expected: false, log: { BotScore: 31, ClientRequestHost: 'shop.example.com' } },
    { name: 'a request scored as human does not match', expected: false, log: { BotScore: 92, ClientRequestHost: 'shop.example.com' } },
    { name: 'a score of 0 (not computed) does not match', expected: false, log: { BotScore: 0, ClientRequestHost: 'shop.example.com' } },
    { name: 'a request without a bot score does not match', expected: false, log: { ClientRequestHost: 'shop.example.com' } },
    {
      name: 'the title names the host only, so all bots on one host are one group',
      expected: true,
      title: 'Cloudflare: High Volume of Bot Requests to [<NO_REQ_HOST>]',
      log: { BotScore: 12, ClientIP: '192.0.2.56' },
    },
  ],
});
