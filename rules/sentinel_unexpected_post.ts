import { defineRule } from '../lib/rules/model';
import type { HttpRequestEvent } from '../lib/rules/events';
import { regex } from '../lib/regex';
import { bytesEitherWay, httpAlertContext, lower, SENTINEL_TEMPLATE, sentinelReference } from './_helpers';

/**
 * Port of Microsoft Sentinel's "Cloudflare - Unexpected POST requests" (docs/rules-sentinel.md): a POST or PUT the
 * origin answered with 2xx, with bytes either way, to a URI ending in a static file's extension (an image, a
 * document, an archive). Writing to such a URL and being answered is how web shells hide behind image names.
 */

/** Sentinel's extensions, lower-cased, as listed there (`.icon` and `.pttx` included as Sentinel writes them). */
export const STATIC_EXTENSIONS: readonly string[] = [
  '.jpg', '.jpeg', '.gif', '.png', '.icon', '.ico', '.xml', '.swf', '.svg', '.ppt', '.pttx', '.doc', '.docx', '.rtf', '.pdf', '.tif', '.zip', '.mov',
];

/** The URI's last `.word` when the URI ends with it (the query string included, as Sentinel's query reads the URI). */
const TRAILING_EXTENSION = regex('\\.\\w+$');

export default defineRule<HttpRequestEvent>({
  id: 'Cloudflare.Sentinel.UnexpectedPost',
  displayName: 'Cloudflare (Sentinel): POST Or PUT To A Static File Extension',
  logTypes: ['Cloudflare.HttpRequest'],
  severity: 'Medium',
  ...SENTINEL_TEMPLATE,
  threshold: 1,
  tags: ['Cloudflare', 'Sentinel', 'attack.persistence', 'attack.command_and_control', 'attack.t1100', 'attack.t1505', 'attack.t1071'],
  description: 'A POST or PUT answered with 2xx by the origin to a URI ending in an image, document or archive extension',
  runbook: 'Check whether the application accepts uploads at that URI; if not, look at the origin for a file at the path (a web shell named like an image) and at the ClientIP\'s other requests.',
  reference: sentinelReference('CloudflareUnexpectedPost.yaml'),
  summaryAttributes: ['ClientIP', 'ClientRequestHost', 'ClientRequestURI', 'OriginResponseStatus'],
  rule: (e) => {
    const method = lower(e.ClientRequestMethod);
    if (method !== 'post' && method !== 'put') return false;
    if (!String(e.OriginResponseStatus ?? '').startsWith('2')) return false;
    if (!bytesEitherWay(e)) return false;
    const ext = TRAILING_EXTENSION.exec(e.ClientRequestURI ?? '');
    return ext !== null && STATIC_EXTENSIONS.includes(ext[0]!.toLowerCase());
  },
  title: (e) => `Cloudflare: ${e.ClientRequestMethod ?? 'POST'} to a static file extension on ${e.ClientRequestHost ?? '<unknown host>'} from [${e.ClientIP ?? '<unknown client IP>'}]`,
  dedup: (e) => e.ClientIP || '<unknown client IP>',
  alertContext: (e) => ({ ...httpAlertContext(e), ClientRequestURI: e.ClientRequestURI, OriginResponseStatus: e.OriginResponseStatus, ClientRequestBytes: e.ClientRequestBytes, RayID: e.RayID }),
  tests: [
    {
      name: 'a POST to a .jpg the origin accepted matches',
      expected: true,
      dedup: '198.51.100.5',
      title: 'Cloudflare: POST to a static file extension on www.example.com from [198.51.100.5]',
      log: {
        ClientIP: '198.51.100.5',
        ClientRequestBytes: 2048,
        ClientRequestHost: 'www.example.com',
        ClientRequestMethod: 'POST',
        ClientRequestPath: '/uploads/logo.jpg',
        ClientRequestURI: '/uploads/logo.jpg',
        EdgeResponseBytes: 312,
        EdgeResponseStatus: 200,
        OriginResponseStatus: 200,
        p_log_type: 'Cloudflare.HttpRequest',
        p_event_time: '2026-11-01 10:00:00.000000000',
      },
    },
    { name: 'a PUT to an upper-case .PNG matches', expected: true, log: { ClientIP: '198.51.100.5', ClientRequestMethod: 'put', ClientRequestURI: '/a/B.PNG', OriginResponseStatus: 201, ClientRequestBytes: 10 } },
    { name: 'the extension at the end of the query string counts, as in Sentinel', expected: true, log: { ClientIP: '198.51.100.5', ClientRequestMethod: 'POST', ClientRequestURI: '/upload.php?f=x.zip', OriginResponseStatus: 200, EdgeResponseBytes: 5 } },
    { name: 'a POST to a .php does not match', expected: false, log: { ClientIP: '198.51.100.5', ClientRequestMethod: 'POST', ClientRequestURI: '/api/upload.php', OriginResponseStatus: 200, ClientRequestBytes: 10 } },
    { name: 'a POST the origin refused does not match', expected: false, log: { ClientIP: '198.51.100.5', ClientRequestMethod: 'POST', ClientRequestURI: '/a.jpg', OriginResponseStatus: 403, ClientRequestBytes: 10 } },
    { name: 'a GET of an image does not match', expected: false, log: { ClientIP: '198.51.100.5', ClientRequestMethod: 'GET', ClientRequestURI: '/a.jpg', OriginResponseStatus: 200, EdgeResponseBytes: 5000 } },
    { name: 'a query string after the extension hides it, as in Sentinel', expected: false, log: { ClientIP: '198.51.100.5', ClientRequestMethod: 'POST', ClientRequestURI: '/a.jpg?v=2', OriginResponseStatus: 200, ClientRequestBytes: 10 } },
    { name: 'no bytes either way does not match', expected: false, log: { ClientIP: '198.51.100.5', ClientRequestMethod: 'POST', ClientRequestURI: '/a.jpg', OriginResponseStatus: 200, ClientRequestBytes: 0, EdgeResponseBytes: 0 } },
    { name: 'a cached answer (origin status 0) does not match', expected: false, log: { ClientIP: '198.51.100.5', ClientRequestMethod: 'POST', ClientRequestURI: '/a.jpg', OriginResponseStatus: 0, ClientRequestBytes: 10 } },
  ],
});
