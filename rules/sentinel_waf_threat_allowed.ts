import { defineRule } from '../lib/rules/model';
import type { HttpRequestEvent } from '../lib/rules/events';
import { httpAlertContext, lower, SENTINEL_TEMPLATE, SENTINEL_WEB_TAGS, sentinelReference } from './_helpers';

/**
 * Port of Microsoft Sentinel's "Cloudflare - WAF Allowed threat" (docs/rules-sentinel.md): a WAF rule matched the
 * request (WAFRuleID or WAFRuleMessage set) and the WAF's action was `allow`. These are the legacy WAF's fields of
 * the HTTP requests dataset, which Cloudflare marks deprecated: zones on the current WAF leave them empty and this
 * rule stays silent there.
 */
export default defineRule<HttpRequestEvent>({
  id: 'Cloudflare.Sentinel.WafThreatAllowed',
  displayName: 'Cloudflare (Sentinel): WAF Rule Matched But Request Allowed',
  logTypes: ['Cloudflare.HttpRequest'],
  severity: 'High',
  ...SENTINEL_TEMPLATE,
  threshold: 1,
  tags: SENTINEL_WEB_TAGS,
  description: 'A (legacy) WAF rule matched a request and the WAF allowed it through to the origin',
  runbook: 'Read the WAFRuleID and WAFRuleMessage and the request (ClientRequestURI): if it is an attack that reached the origin, check the origin\'s answer and logs, and set the rule to block.',
  reference: sentinelReference('CloudflareWafThreatAllowed.yaml'),
  summaryAttributes: ['ClientIP', 'ClientRequestHost', 'WAFRuleID', 'WAFRuleMessage'],
  rule: (e) => ((e.WAFRuleID ?? '') !== '' || (e.WAFRuleMessage ?? '') !== '') && lower(e.WAFAction) === 'allow',
  title: (e) => `Cloudflare: WAF rule ${e.WAFRuleID || e.WAFRuleMessage || ''} matched and the request was allowed [${e.ClientIP ?? '<unknown client IP>'}]`,
  dedup: (e) => e.ClientIP || '<unknown client IP>',
  alertContext: (e) => ({
    ...httpAlertContext(e),
    ClientRequestURI: e.ClientRequestURI,
    WAFAction: e.WAFAction,
    WAFRuleID: e.WAFRuleID,
    WAFRuleMessage: e.WAFRuleMessage,
    WAFProfile: e.WAFProfile,
    RayID: e.RayID,
  }),
  tests: [
    {
      name: 'a WAF rule match that was allowed matches',
      expected: true,
      dedup: '198.51.100.3',
      title: 'Cloudflare: WAF rule 100173 matched and the request was allowed [198.51.100.3]',
      log: {
        ClientIP: '198.51.100.3',
        ClientRequestHost: 'shop.example.com',
        ClientRequestMethod: 'GET',
        ClientRequestURI: '/search?q=%27%20OR%201%3D1--',
        EdgeResponseStatus: 200,
        WAFAction: 'allow',
        WAFRuleID: '100173',
        WAFRuleMessage: 'SQLi probe',
        p_log_type: 'Cloudflare.HttpRequest',
        p_event_time: '2026-11-01 10:00:00.000000000',
      },
    },
    { name: 'a message alone names the rule; the action in any case', expected: true, log: { ClientIP: '198.51.100.3', WAFAction: 'Allow', WAFRuleMessage: 'XSS probe' } },
    { name: 'a blocked WAF match does not match', expected: false, log: { ClientIP: '198.51.100.3', WAFAction: 'block', WAFRuleID: '100173' } },
    { name: 'allow without a WAF rule does not match', expected: false, log: { ClientIP: '198.51.100.3', WAFAction: 'allow', WAFRuleID: '', WAFRuleMessage: '' } },
    { name: 'the legacy WAF action "unknown" (no WAF) does not match', expected: false, log: { ClientIP: '198.51.100.3', WAFAction: 'unknown' } },
  ],
});
