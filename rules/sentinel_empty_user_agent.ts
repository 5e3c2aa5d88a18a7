import { defineRule } from '../lib/rules/model';
import { SENTINEL_TEMPLATE, SENTINEL_WEB_TAGS, sentinelReference } from './_helpers';
import type { FirewallEvent, HttpRequestEvent } from '../lib/rules/events';

/**
 * Port of Microsoft Sentinel's "Cloudflare - Empty user agent" (docs/rules-sentinel.md): a request that sent no
 * User-Agent. The field must be in the row and empty: a row without it (a Logpush job that does not log it) says
 * nothing about the client, where Sentinel's query would match it. One alert per host and hour (Sentinel: one per
 * hourly run), since health checks and API clients without a user agent are many addresses.
 */
export default defineRule<HttpRequestEvent | FirewallEvent>({
  id: 'Cloudflare.Sentinel.EmptyUserAgent',
  displayName: 'Cloudflare (Sentinel): Request With Empty User Agent',
  logTypes: ['Cloudflare.HttpRequest', 'Cloudflare.Firewall'],
  severity: 'Medium',
  ...SENTINEL_TEMPLATE,
  threshold: 1,
  tags: SENTINEL_WEB_TAGS,
  description: 'A request with an empty User-Agent header: usually a script or a scanner, rarely a browser',
  runbook: 'List the hour\'s requests without a user agent to the host (Athena), by ClientIP: a monitoring probe or a known integration can be allowed; a client probing paths or hammering one endpoint should be challenged or blocked.',
  reference: sentinelReference('CloudflareEmptyUA.yaml'),
  summaryAttributes: ['ClientRequestHost', 'ClientIP', 'ClientRequestPath', 'ClientASN'],
  rule: (e) => typeof e.ClientRequestUserAgent === 'string' && e.ClientRequestUserAgent === '',
  title: (e) => `Cloudflare: requests with an empty user agent to ${e.ClientRequestHost || '<unknown host>'}`,
  dedup: (e) => e.ClientRequestHost || '<unknown host>',
  alertContext: (e) => ({
    ClientIP: e.ClientIP,
    ClientASN: e.ClientASN,
    ClientCountry: e.ClientCountry,
    ClientRequestHost: e.ClientRequestHost,
    ClientRequestMethod: e.ClientRequestMethod,
    ClientRequestPath: e.ClientRequestPath,
    RayID: e.RayID,
  }),
  tests: [
    {
      name: 'an empty user agent matches, one group per host',
      expected: true,
      dedup: 'api.example.com',
      title: 'Cloudflare: requests with an empty user agent to api.example.com',
      log: {
        ClientIP: '198.51.100.40',
        ClientRequestHost: 'api.example.com',
        ClientRequestMethod: 'GET',
        ClientRequestPath: '/v1/status',
        ClientRequestUserAgent: '',
        p_log_type: 'Cloudflare.HttpRequest',
        p_event_time: '2026-11-01 10:00:00.000000000',
      },
    },
    { name: 'a firewall event with an empty user agent matches', expected: true, log: { ClientIP: '198.51.100.40', ClientRequestUserAgent: '', Action: 'block' } },
    { name: 'a browser user agent does not match', expected: false, log: { ClientIP: '192.0.2.1', ClientRequestUserAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0' } },
    { name: 'a row without the field (not logged) does not match', expected: false, log: { ClientIP: '192.0.2.1' } },
    { name: 'a user agent of one space is not empty', expected: false, log: { ClientIP: '192.0.2.1', ClientRequestUserAgent: ' ' } },
  ],
});
