import { defineRule } from '../lib/rules/model';
import type { HttpRequestEvent } from '../lib/rules/events';
import { regex } from '../lib/regex';
import { bytesEitherWay, httpAlertContext, lower, SENTINEL_TEMPLATE, SENTINEL_WEB_TAGS, sentinelReference } from './_helpers';

/**
 * Port of Microsoft Sentinel's "Cloudflare - Unexpected client request" (docs/rules-sentinel.md): a GET, with bytes
 * either way, whose URI names an admin page or a system file (/admin, wp-admin, .htaccess, /etc/passwd, ...).
 * Sentinel matches with `has_any`: whole terms, in any case, so `/admin` matches `/admin/` and `/admin?x` but not
 * `/administrator`. Here the same: each entry must not continue with a letter or digit where it ends (or, for
 * `wp-admin`, begins) with one.
 */

/** Sentinel's terms. */
export const SENSITIVE_URI_TERMS: readonly string[] = ['/admin', '/admin.php', 'wp-admin', '.htaccess', '/etc/shadow', '/etc/passwd', '/etc/hosts', '/etc/ssh/'];

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
const ALNUM = /^[0-9a-z]/i;
/** One linear-time regex for all terms, with the term boundaries has_any applies. */
const SENSITIVE_URI = regex(
  SENSITIVE_URI_TERMS.map((t) => `${ALNUM.test(t) ? '(?:^|[^0-9a-z])' : ''}${escape(t)}${ALNUM.test(t.slice(-1)) ? '(?:$|[^0-9a-z])' : ''}`).join('|'),
  'i',
);

export default defineRule<HttpRequestEvent>({
  id: 'Cloudflare.Sentinel.UnexpectedRequest',
  displayName: 'Cloudflare (Sentinel): Request For Admin Page Or System File',
  logTypes: ['Cloudflare.HttpRequest'],
  severity: 'Medium',
  ...SENTINEL_TEMPLATE,
  threshold: 1,
  tags: SENTINEL_WEB_TAGS,
  description: 'A GET for an admin page or a system file (/admin, wp-admin, .htaccess, /etc/passwd, /etc/shadow, /etc/hosts, /etc/ssh/)',
  runbook: 'Check the answer (EdgeResponseStatus, OriginResponseStatus, EdgeResponseBytes): a 2xx with a body for a system file is a path traversal that worked, escalate; 403/404 is a probe, block the ClientIP if it keeps on.',
  reference: sentinelReference('CloudflareUnexpectedRequest.yaml'),
  summaryAttributes: ['ClientIP', 'ClientRequestHost', 'ClientRequestURI', 'EdgeResponseStatus'],
  rule: (e) =>
    lower(e.ClientRequestMethod) === 'get' &&
    bytesEitherWay(e) &&
    SENSITIVE_URI.test(e.ClientRequestURI ?? ''),
  title: (e) => `Cloudflare: request for an admin page or system file on ${e.ClientRequestHost ?? '<unknown host>'} from [${e.ClientIP ?? '<unknown client IP>'}]`,
  dedup: (e) => e.ClientIP || '<unknown client IP>',
  alertContext: (e) => ({ ...httpAlertContext(e), ClientRequestURI: e.ClientRequestURI, OriginResponseStatus: e.OriginResponseStatus, EdgeResponseBytes: e.EdgeResponseBytes, RayID: e.RayID }),
  tests: [
    {
      name: 'a GET for /etc/passwd through a traversal matches',
      expected: true,
      dedup: '198.51.100.61',
      title: 'Cloudflare: request for an admin page or system file on www.example.com from [198.51.100.61]',
      log: {
        ClientIP: '198.51.100.61',
        ClientRequestBytes: 420,
        ClientRequestHost: 'www.example.com',
        ClientRequestMethod: 'GET',
        ClientRequestPath: '/download',
        ClientRequestURI: '/download?file=../../../../etc/passwd',
        EdgeResponseBytes: 1210,
        EdgeResponseStatus: 200,
        p_log_type: 'Cloudflare.HttpRequest',
        p_event_time: '2026-11-01 10:00:00.000000000',
      },
    },
    { name: 'a GET for wp-admin in any case matches', expected: true, log: { ClientIP: '198.51.100.61', ClientRequestMethod: 'GET', ClientRequestURI: '/WP-Admin/install.php', EdgeResponseBytes: 900 } },
    { name: 'a GET for /.htaccess matches', expected: true, log: { ClientIP: '198.51.100.61', ClientRequestMethod: 'GET', ClientRequestURI: '/.htaccess', ClientRequestBytes: 300 } },
    { name: '/admin followed by a query string matches', expected: true, log: { ClientIP: '198.51.100.61', ClientRequestMethod: 'GET', ClientRequestURI: '/admin?next=/', EdgeResponseBytes: 10 } },
    { name: '/administrator is another term and does not match', expected: false, log: { ClientIP: '198.51.100.61', ClientRequestMethod: 'GET', ClientRequestURI: '/administrator/', EdgeResponseBytes: 10 } },
    { name: 'a POST to /admin does not match', expected: false, log: { ClientIP: '198.51.100.61', ClientRequestMethod: 'POST', ClientRequestURI: '/admin', EdgeResponseBytes: 10 } },
    { name: 'an ordinary page does not match', expected: false, log: { ClientIP: '198.51.100.61', ClientRequestMethod: 'GET', ClientRequestURI: '/blog/hosts-file-explained', EdgeResponseBytes: 10 } },
    { name: 'no bytes either way does not match', expected: false, log: { ClientIP: '198.51.100.61', ClientRequestMethod: 'GET', ClientRequestURI: '/admin', EdgeResponseBytes: 0, ClientRequestBytes: 0 } },
  ],
});
