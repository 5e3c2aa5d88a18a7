import { defineRule } from '../lib/rules/model';
import { SENTINEL_TEMPLATE, SENTINEL_WEB_TAGS, sentinelReference } from './_helpers';
import type { HttpRequestEvent } from '../lib/rules/events';

/**
 * Port of Microsoft Sentinel's "Cloudflare - Multiple user agents for single source" (docs/rules-sentinel.md).
 * Sentinel counts distinct user agents per client IP (more than 10 in a 3-minute bin); a rule here counts rows, not
 * distinct values, so this counts requests with a user agent: 11 from one client IP within 3 minutes. That is an
 * upper bound of the distinct count (it fires on everything Sentinel's query fires on) but also on one busy client
 * with one user agent, so the rule is off by default (CFLOGS_RULES_ENABLE turns it on).
 */
export default defineRule<HttpRequestEvent>({
  id: 'Cloudflare.Sentinel.MultipleUserAgents',
  displayName: 'Cloudflare (Sentinel): Many Requests With User Agents From One Source',
  logTypes: ['Cloudflare.HttpRequest'],
  severity: 'Medium',
  ...SENTINEL_TEMPLATE,
  threshold: 11,
  dedupPeriodMinutes: 3,
  tags: SENTINEL_WEB_TAGS,
  description:
    'More than 10 requests with a user agent from one client IP within 3 minutes: an upper bound of Sentinel\'s "more than 10 distinct user agents", which a per-row rule cannot count',
  runbook: 'Count the distinct ClientRequestUserAgent values of the ClientIP in the window (Athena); more than 10 is what Sentinel alerts on (a client rotating user agents to evade blocks); fewer is a busy client and not a finding.',
  reference: sentinelReference('CloudflareMultipleUAs.yaml'),
  summaryAttributes: ['ClientIP', 'ClientRequestUserAgent', 'ClientRequestHost'],
  rule: (e) => typeof e.ClientRequestUserAgent === 'string' && e.ClientRequestUserAgent !== '',
  title: (e) => `Cloudflare: more than 10 requests with user agents in 3 minutes from [${e.ClientIP ?? '<unknown client IP>'}]`,
  dedup: (e) => e.ClientIP || '<unknown client IP>',
  alertContext: (e) => ({
    ClientIP: e.ClientIP,
    ClientRequestUserAgent: e.ClientRequestUserAgent,
    ClientRequestHost: e.ClientRequestHost,
    ClientRequestPath: e.ClientRequestPath,
    ClientDeviceType: e.ClientDeviceType,
    RayID: e.RayID,
  }),
  tests: [
    {
      name: 'a request with a user agent counts towards its client IP',
      expected: true,
      dedup: '198.51.100.77',
      title: 'Cloudflare: more than 10 requests with user agents in 3 minutes from [198.51.100.77]',
      log: {
        ClientIP: '198.51.100.77',
        ClientRequestHost: 'www.example.com',
        ClientRequestPath: '/',
        ClientRequestUserAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
        p_log_type: 'Cloudflare.HttpRequest',
        p_event_time: '2026-11-01 10:00:00.000000000',
      },
    },
    { name: 'an empty user agent does not count (Sentinel drops empty ones)', expected: false, log: { ClientIP: '198.51.100.77', ClientRequestUserAgent: '' } },
    { name: 'a row without a user agent does not count', expected: false, log: { ClientIP: '198.51.100.77' } },
  ],
});
