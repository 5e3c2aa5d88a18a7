import { defineRule } from '../lib/rules/model';
import type { HttpRequestEvent } from '../lib/rules/events';
import { httpAlertContext, lower, SENTINEL_TEMPLATE, SENTINEL_WEB_TAGS, sentinelReference } from './_helpers';

/**
 * Port of Microsoft Sentinel's "Cloudflare - Multiple error requests from single source" (docs/rules-sentinel.md).
 * Despite its name, Sentinel's query counts every GET of a client IP, whatever its status: more than 100 in a
 * 5-minute bin. Here: 101 GETs from one client IP within 5 minutes of event time. The query is ported as written.
 */
export default defineRule<HttpRequestEvent>({
  id: 'Cloudflare.Sentinel.MultipleErrorsSource',
  displayName: 'Cloudflare (Sentinel): Many GET Requests From One Source',
  logTypes: ['Cloudflare.HttpRequest'],
  severity: 'Low',
  ...SENTINEL_TEMPLATE,
  threshold: 101,
  dedupPeriodMinutes: 5,
  tags: SENTINEL_WEB_TAGS,
  description: 'More than 100 GET requests from one client IP within 5 minutes (Sentinel counts all GETs, not only failed ones)',
  runbook: 'Look at the ClientIP\'s requests in the window: their status codes (EdgeResponseStatus), paths and user agent; a crawler or a shared proxy is expected, a client walking many paths with 4xx answers is scanning: rate-limit or block it.',
  reference: sentinelReference('CloudflareMultipleErrorsSource.yaml'),
  summaryAttributes: ['ClientIP', 'ClientRequestHost', 'EdgeResponseStatus', 'ClientRequestUserAgent'],
  rule: (e) => lower(e.ClientRequestMethod) === 'get',
  title: (e) => `Cloudflare: more than 100 GET requests in 5 minutes from [${e.ClientIP ?? '<unknown client IP>'}]`,
  dedup: (e) => e.ClientIP || '<unknown client IP>',
  alertContext: (e) => ({ ...httpAlertContext(e), ClientRequestUserAgent: e.ClientRequestUserAgent, RayID: e.RayID }),
  tests: [
    {
      name: 'a GET counts towards its client IP',
      expected: true,
      dedup: '198.51.100.7',
      title: 'Cloudflare: more than 100 GET requests in 5 minutes from [198.51.100.7]',
      log: {
        ClientIP: '198.51.100.7',
        ClientRequestHost: 'www.example.com',
        ClientRequestMethod: 'GET',
        ClientRequestPath: '/wp-login.php',
        EdgeResponseStatus: 404,
        p_log_type: 'Cloudflare.HttpRequest',
        p_event_time: '2026-11-01 10:00:00.000000000',
      },
    },
    { name: 'a successful GET counts too (Sentinel does not filter on status)', expected: true, log: { ClientIP: '198.51.100.7', ClientRequestMethod: 'GET', EdgeResponseStatus: 200 } },
    { name: 'the method is compared in any case', expected: true, log: { ClientIP: '198.51.100.7', ClientRequestMethod: 'get' } },
    { name: 'a POST does not count', expected: false, log: { ClientIP: '198.51.100.7', ClientRequestMethod: 'POST', EdgeResponseStatus: 500 } },
    { name: 'a HEAD does not count', expected: false, log: { ClientIP: '198.51.100.7', ClientRequestMethod: 'HEAD', EdgeResponseStatus: 404 } },
    { name: 'a row without a method does not count', expected: false, log: { ClientIP: '198.51.100.7' } },
  ],
});
