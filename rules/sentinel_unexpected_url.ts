import { defineRule } from '../lib/rules/model';
import type { HttpRequestEvent } from '../lib/rules/events';
import { regex } from '../lib/regex';
import { bytesEitherWay, httpAlertContext, lower, SENTINEL_TEMPLATE, SENTINEL_WEB_TAGS, sentinelReference } from './_helpers';

/**
 * Port of Microsoft Sentinel's "Cloudflare - Unexpected URI" (docs/rules-sentinel.md): a GET, with bytes either way,
 * whose URI carries a private or loopback IPv4 address (127/8, 10/8, 172.16/12, 192.168/16): a sign of server-side
 * request forgery, an open redirect or a proxy being probed towards the internal network. Unlike Sentinel's
 * unanchored pattern, the address must stand alone: in `110.1.2.3` or `jquery-1.10.0.0.1.js` there is none.
 */
const PRIVATE_IPV4 = regex('(?:^|[^0-9.])(?:(?:127|10)(?:\\.\\d{1,3}){3}|(?:172\\.(?:1[6-9]|2[0-9]|3[01])|192\\.168)(?:\\.\\d{1,3}){2})(?:$|[^0-9.])');

export default defineRule<HttpRequestEvent>({
  id: 'Cloudflare.Sentinel.UnexpectedUrl',
  displayName: 'Cloudflare (Sentinel): Private IP Address In Request URI',
  logTypes: ['Cloudflare.HttpRequest'],
  severity: 'Medium',
  ...SENTINEL_TEMPLATE,
  threshold: 1,
  tags: SENTINEL_WEB_TAGS,
  description: 'A GET whose URI carries a private or loopback IPv4 address: server-side request forgery or an internal redirect being probed',
  runbook: 'Find which parameter of ClientRequestURI carries the address and whether the origin fetches or redirects to it; if it does, check the origin\'s outbound requests and fix the parameter\'s validation.',
  reference: sentinelReference('CloudflareUnexpectedUrl.yaml'),
  summaryAttributes: ['ClientIP', 'ClientRequestHost', 'ClientRequestURI', 'EdgeResponseStatus'],
  rule: (e) =>
    lower(e.ClientRequestMethod) === 'get' &&
    bytesEitherWay(e) &&
    PRIVATE_IPV4.test(e.ClientRequestURI ?? ''),
  title: (e) => `Cloudflare: private IP address in a request URI on ${e.ClientRequestHost ?? '<unknown host>'} from [${e.ClientIP ?? '<unknown client IP>'}]`,
  dedup: (e) => e.ClientIP || '<unknown client IP>',
  alertContext: (e) => ({ ...httpAlertContext(e), ClientRequestURI: e.ClientRequestURI, OriginResponseStatus: e.OriginResponseStatus, RayID: e.RayID }),
  tests: [
    {
      name: 'a loopback address in a URL parameter matches',
      expected: true,
      dedup: '198.51.100.90',
      title: 'Cloudflare: private IP address in a request URI on api.example.com from [198.51.100.90]',
      log: {
        ClientIP: '198.51.100.90',
        ClientRequestBytes: 380,
        ClientRequestHost: 'api.example.com',
        ClientRequestMethod: 'GET',
        ClientRequestPath: '/fetch',
        ClientRequestURI: '/fetch?url=http://127.0.0.1:8080/admin',
        EdgeResponseBytes: 640,
        EdgeResponseStatus: 200,
        p_log_type: 'Cloudflare.HttpRequest',
        p_event_time: '2026-11-01 10:00:00.000000000',
      },
    },
    { name: '192.168.x.x matches', expected: true, log: { ClientIP: '198.51.100.90', ClientRequestMethod: 'GET', ClientRequestURI: '/r?to=192.168.1.1', EdgeResponseBytes: 10 } },
    { name: '172.31.x.x matches', expected: true, log: { ClientIP: '198.51.100.90', ClientRequestMethod: 'GET', ClientRequestURI: '/r?to=172.31.0.5', EdgeResponseBytes: 10 } },
    { name: '172.32.x.x is public and does not match', expected: false, log: { ClientIP: '198.51.100.90', ClientRequestMethod: 'GET', ClientRequestURI: '/r?to=172.32.0.5', EdgeResponseBytes: 10 } },
    { name: 'a public address containing a private one\'s digits does not match', expected: false, log: { ClientIP: '198.51.100.90', ClientRequestMethod: 'GET', ClientRequestURI: '/proxy?u=http://210.10.20.30/x', EdgeResponseBytes: 10 } },
    { name: 'a version string is not an address', expected: false, log: { ClientIP: '198.51.100.90', ClientRequestMethod: 'GET', ClientRequestURI: '/js/jquery-1.10.0.0.1.js', EdgeResponseBytes: 10 } },
    { name: 'a public address does not match', expected: false, log: { ClientIP: '198.51.100.90', ClientRequestMethod: 'GET', ClientRequestURI: '/r?to=8.8.8.8', EdgeResponseBytes: 10 } },
    { name: 'a POST does not match', expected: false, log: { ClientIP: '198.51.100.90', ClientRequestMethod: 'POST', ClientRequestURI: '/r?to=10.0.0.1', EdgeResponseBytes: 10 } },
    { name: 'no bytes either way does not match', expected: false, log: { ClientIP: '198.51.100.90', ClientRequestMethod: 'GET', ClientRequestURI: '/r?to=10.0.0.1' } },
  ],
});
