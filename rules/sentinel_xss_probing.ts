import { defineRule } from '../lib/rules/model';
import type { HttpRequestEvent } from '../lib/rules/events';
import { regex } from '../lib/regex';
import { httpAlertContext, lower, SENTINEL_TEMPLATE, SENTINEL_WEB_TAGS, sentinelReference } from './_helpers';

/**
 * Port of Microsoft Sentinel's "Cloudflare - XSS probing pattern in request" (docs/rules-sentinel.md): a POST or PUT
 * whose URI carries a classic XSS probe (`alert(`, `alert%28`, `String.fromCharCode(`, `expression(alert`; case
 * sensitive, as Sentinel's regex) or more than 3 URL-encoded NUL bytes (`%00`).
 */
const XSS_PROBE = regex('alert\\(|alert%28|String\\.fromCharCode\\(|expression\\(alert');
/** More than this many `%00` in the URI match. */
export const NUL_THRESHOLD = 3;

function countNul(uri: string): number {
  let n = 0;
  for (let i = uri.indexOf('%00'); i !== -1; i = uri.indexOf('%00', i + 3)) n++;
  return n;
}

export default defineRule<HttpRequestEvent>({
  id: 'Cloudflare.Sentinel.XSSProbingPattern',
  displayName: 'Cloudflare (Sentinel): XSS Probing Pattern In Request',
  logTypes: ['Cloudflare.HttpRequest'],
  severity: 'Medium',
  ...SENTINEL_TEMPLATE,
  threshold: 1,
  tags: SENTINEL_WEB_TAGS,
  description: 'A POST or PUT whose URI carries an XSS probe (alert(, String.fromCharCode(, expression(alert) or more than 3 encoded NUL bytes',
  runbook: 'Check whether the WAF blocked it (EdgeResponseStatus, SecurityAction) and whether the page reflects the parameter; block the ClientIP if it keeps probing.',
  reference: sentinelReference('CloudflareXSSProbingPattern.yaml'),
  summaryAttributes: ['ClientIP', 'ClientRequestHost', 'ClientRequestURI', 'EdgeResponseStatus'],
  rule: (e) => {
    const method = lower(e.ClientRequestMethod);
    if (method !== 'post' && method !== 'put') return false;
    const uri = e.ClientRequestURI ?? '';
    return XSS_PROBE.test(uri) || countNul(uri) > NUL_THRESHOLD;
  },
  title: (e) => `Cloudflare: XSS probing pattern in a request to ${e.ClientRequestHost ?? '<unknown host>'} from [${e.ClientIP ?? '<unknown client IP>'}]`,
  dedup: (e) => e.ClientIP || '<unknown client IP>',
  alertContext: (e) => ({ ...httpAlertContext(e), ClientRequestURI: e.ClientRequestURI, SecurityAction: e.SecurityAction, RayID: e.RayID }),
  tests: [
    {
      name: 'a POST with alert( in the query matches',
      expected: true,
      dedup: '198.51.100.14',
      title: 'Cloudflare: XSS probing pattern in a request to www.example.com from [198.51.100.14]',
      log: {
        ClientIP: '198.51.100.14',
        ClientRequestHost: 'www.example.com',
        ClientRequestMethod: 'POST',
        ClientRequestURI: '/comment?text=<script>alert(1)</script>',
        EdgeResponseStatus: 403,
        p_log_type: 'Cloudflare.HttpRequest',
        p_event_time: '2026-11-01 10:00:00.000000000',
      },
    },
    { name: 'an encoded alert%28 in a PUT matches', expected: true, log: { ClientIP: '198.51.100.14', ClientRequestMethod: 'put', ClientRequestURI: '/p?x=alert%281%29' } },
    { name: 'four encoded NUL bytes match', expected: true, log: { ClientIP: '198.51.100.14', ClientRequestMethod: 'POST', ClientRequestURI: '/f?a=%00%00%00%00' } },
    { name: 'three encoded NUL bytes do not match', expected: false, log: { ClientIP: '198.51.100.14', ClientRequestMethod: 'POST', ClientRequestURI: '/f?a=%00%00%00' } },
    { name: 'a GET with alert( does not match (Sentinel looks at POST and PUT)', expected: false, log: { ClientIP: '198.51.100.14', ClientRequestMethod: 'GET', ClientRequestURI: '/?q=alert(1)' } },
    { name: 'the pattern is case sensitive, as in Sentinel', expected: false, log: { ClientIP: '198.51.100.14', ClientRequestMethod: 'POST', ClientRequestURI: '/?q=ALERT(1)' } },
    { name: 'an ordinary POST does not match', expected: false, log: { ClientIP: '198.51.100.14', ClientRequestMethod: 'POST', ClientRequestURI: '/api/v2/orders' } },
  ],
});
