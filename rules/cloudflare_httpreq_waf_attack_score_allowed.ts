import { defineRule } from '../lib/rules/model';
import type { HttpRequestEvent } from '../lib/rules/events';
import { httpAlertContext, lower } from './_helpers';

/**
 * The WAF's machine-learning attack score says "attack" (1-20 on the overall WAFAttackScore, or on the SQLi, XSS
 * or RCE sub-score), yet no security rule stopped the request: it went to the origin, which answered with a 2xx.
 * A zone that scores requests but only blocks on managed-rule matches lets such payloads through; a 2xx from the
 * origin means the application accepted them.
 *
 * Threshold 3 per client and host in 30 minutes: the classifier scores an odd but benign body (a code snippet in a
 * support ticket, a SQL-looking search) low now and then, and a single hit is mostly that noise. A scanner or an
 * attacker working an injection point sends a series, and three accepted attack-shaped requests from one client to
 * one host is worth a look. Score 0 means "not scored" and never counts.
 */
const ATTACK_MAX = 20;
const BLOCKING = new Set(['block', 'challenge', 'managed_challenge', 'jschallenge', 'js_challenge', 'connectionclose', 'drop']);

const attackScore = (v: number | undefined): boolean => typeof v === 'number' && v >= 1 && v <= ATTACK_MAX;
const ok2xx = (v: number | undefined): boolean => typeof v === 'number' && v >= 200 && v <= 299;

/** The lowest attack score the request has, and which one it is. */
function lowest(e: HttpRequestEvent): { name: string; score: number } | undefined {
  const scores: [string, number | undefined][] = [
    ['WAFAttackScore', e.WAFAttackScore],
    ['WAFSQLiAttackScore', e.WAFSQLiAttackScore],
    ['WAFXSSAttackScore', e.WAFXSSAttackScore],
    ['WAFRCEAttackScore', e.WAFRCEAttackScore],
  ];
  let best: { name: string; score: number } | undefined;
  for (const [name, score] of scores) if (attackScore(score) && (best === undefined || (score as number) < best.score)) best = { name, score: score as number };
  return best;
}

export default defineRule<HttpRequestEvent>({
  id: 'Cloudflare.HttpRequest.WAFAttackScoreAllowed',
  displayName: 'Cloudflare WAF Attack Score Low but Request Reached the Origin',
  logTypes: ['Cloudflare.HttpRequest'],
  severity: 'High',
  threshold: 3,
  dedupPeriodMinutes: 30,
  tags: ['Cloudflare', 'WAF', 'Initial Access', 'attack.initial_access', 'attack.t1190'],
  description:
    'Requests the WAF attack score classifies as attacks (score 1-20 overall or for SQLi, XSS or RCE) that no security rule stopped and that the origin answered with a 2xx',
  runbook: [
    '1. Read the requests of the ClientIP to the host (path, method, query, body size): is it a payload or an unusual but legitimate input?',
    '2. Check the origin application logs for the same RayIDs: errors, unusual queries, new files, outbound calls',
    '3. If it is an attack, block the client and add a WAF custom rule blocking cf.waf.score lt 20 on the host; patch the application',
  ].join('\n'),
  reference: 'https://developers.cloudflare.com/logs/reference/log-fields/zone/http_requests',
  summaryAttributes: ['ClientIP', 'ClientRequestHost', 'ClientRequestPath', 'WAFAttackScore', 'OriginResponseStatus'],
  rule: (e) => lowest(e) !== undefined && ok2xx(e.OriginResponseStatus) && ok2xx(e.EdgeResponseStatus) && !BLOCKING.has(lower(e.SecurityAction)),
  title: (e) => {
    const l = lowest(e);
    return `Cloudflare WAF: attack-scored requests (${l?.name ?? 'score'} ${l?.score ?? '?'}) from [${e.ClientIP ?? '<unknown>'}] reached [${e.ClientRequestHost ?? '<unknown host>'}]`;
  },
  dedup: (e) => `${e.ClientIP ?? '<unknown>'}:${e.ClientRequestHost ?? '<unknown host>'}`,
  alertContext: (e) => ({
    ...httpAlertContext(e),
    ClientRequestURI: e.ClientRequestURI,
    OriginResponseStatus: e.OriginResponseStatus,
    SecurityAction: e.SecurityAction,
    WAFAttackScore: e.WAFAttackScore,
    WAFSQLiAttackScore: e.WAFSQLiAttackScore,
    WAFXSSAttackScore: e.WAFXSSAttackScore,
    WAFRCEAttackScore: e.WAFRCEAttackScore,
    RayID: e.RayID,
  }),
  tests: [
    {
      name: 'an SQLi-scored POST the origin answered with 200 counts',
      expected: true,
      dedup: '203.0.113.45:shop.example.com',
      title: 'Cloudflare WAF: attack-scored requests (WAFSQLiAttackScore 4) from [203.0.113.45] reached [shop.example.com]',
      log: {
        ClientIP: '203.0.113.45',
        ClientRequestHost: 'shop.example.com',
        ClientRequestMethod: 'POST',
        ClientRequestPath: '/api/v1/search',
        ClientRequestURI: '/api/v1/search?q=1%27%20OR%201%3D1--',
        EdgeResponseStatus: 200,
        EdgeStartTimestamp: '2026-11-01 10:00:00.000000000',
        OriginResponseStatus: 200,
        RayID: '8f1a2b3c4d5e6f70',
        SecurityAction: '',
        WAFAttackScore: 9,
        WAFRCEAttackScore: 88,
        WAFSQLiAttackScore: 4,
        WAFXSSAttackScore: 91,
        p_log_type: 'Cloudflare.HttpRequest',
        p_event_time: '2026-11-01 10:00:00.000000000',
      },
    },
    {
      name: 'a blocked attack does not count',
      expected: false,
      log: { ClientIP: '203.0.113.45', EdgeResponseStatus: 403, OriginResponseStatus: 0, SecurityAction: 'block', WAFAttackScore: 3 },
    },
    {
      name: 'a request scored clean does not count',
      expected: false,
      log: { ClientIP: '198.51.100.7', EdgeResponseStatus: 200, OriginResponseStatus: 200, WAFAttackScore: 87, WAFSQLiAttackScore: 95, WAFXSSAttackScore: 90, WAFRCEAttackScore: 99 },
    },
    {
      name: 'an attack-scored request the origin rejected (400) does not count',
      expected: false,
      log: { ClientIP: '203.0.113.45', EdgeResponseStatus: 400, OriginResponseStatus: 400, WAFAttackScore: 12 },
    },
    { name: 'an unscored request (score 0) does not count', expected: false, log: { EdgeResponseStatus: 200, OriginResponseStatus: 200, WAFAttackScore: 0 } },
    {
      name: 'a cache hit (no origin status) does not count',
      expected: false,
      log: { ClientIP: '203.0.113.45', EdgeResponseStatus: 200, OriginResponseStatus: 0, WAFXSSAttackScore: 2 },
    },
  ],
});
