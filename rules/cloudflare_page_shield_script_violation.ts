import { defineRule } from '../lib/rules/model';
import type { PageShieldEvent } from '../lib/rules/events';
import { lower } from './_helpers';

/**
 * A page loaded a script from a source its Page Shield policy does not allow (a script-src CSP violation), and the
 * policy only logged it. Page Shield events carry no "malicious" verdict field; the verdict lives in the dashboard.
 * What the log does say is that an unexpected script ran on a page of the zone: injected card skimmers (Magecart)
 * and compromised third-party scripts show up this way.
 *
 * Browser extensions inject scripts too, and make most violation noise: a single visitor's extension reports from
 * one browser. So extension and browser-internal schemes (chrome-extension:, moz-extension:, safari-web-extension:,
 * about:, data:) and inline / eval reports do not count, and the threshold is 5 reports of the same script host on
 * the same page host within an hour: a script injected into the site reaches every visitor and gets there fast.
 */
const IGNORED_PREFIXES = ['chrome-extension:', 'moz-extension:', 'safari-extension:', 'safari-web-extension:', 'ms-browser-extension:', 'about:', 'data:', 'blob:'];
const IGNORED_URLS = new Set(['', 'inline', 'eval', 'wasm-eval', 'self']);

const isScript = (e: PageShieldEvent): boolean => lower(e.ResourceType) === 'script' || lower(e.CSPDirective).startsWith('script-src');
const fromExtension = (e: PageShieldEvent): boolean => {
  const url = lower(e.URL);
  return IGNORED_URLS.has(url) || IGNORED_PREFIXES.some((p) => url.startsWith(p));
};
const scriptHost = (e: PageShieldEvent): string => lower(e.URLHost) || lower(e.URL) || '<unknown script host>';

export default defineRule<PageShieldEvent>({
  id: 'Cloudflare.PageShield.UnexpectedScript',
  displayName: 'Cloudflare Page Shield Script From a Disallowed Source',
  logTypes: ['Cloudflare.PageShield'],
  severity: 'Medium',
  threshold: 5,
  dedupPeriodMinutes: 60,
  tags: ['Cloudflare', 'Page Shield', 'Client-side', 'attack.collection', 'attack.t1185', 'attack.initial_access', 'attack.t1195.002', 'attack.credential_access', 'attack.t1056.003'],
  description: 'A page of the zone loaded a script from a source its Page Shield policy does not allow, reported by several visitors',
  runbook: [
    '1. Look the script (URL, URLHost) up in the Page Shield dashboard: its verdict, first seen, the pages (PageURL) that load it',
    '2. Find how it got there: a changed third-party tag, a compromised CMS plugin, a modified page template',
    '3. If it is not yours, remove it, switch the policy from log to allow-list enforcement, and check checkout pages for skimming',
  ].join('\n'),
  reference: 'https://developers.cloudflare.com/logs/logpush/logpush-job/datasets/zone/page_shield_events/',
  summaryAttributes: ['Host', 'PageURL', 'URL', 'URLHost', 'CSPDirective', 'PolicyID'],
  rule: (e) => isScript(e) && lower(e.Action) !== 'allow' && !fromExtension(e),
  title: (e) => `Cloudflare Page Shield: script from [${scriptHost(e)}] on [${e.Host ?? '<unknown host>'}] violates its policy`,
  dedup: (e) => `${lower(e.Host)}:${scriptHost(e)}`,
  alertContext: (e) => ({ Host: e.Host, PageURL: e.PageURL, URL: e.URL, URLHost: e.URLHost, CSPDirective: e.CSPDirective, ResourceType: e.ResourceType, PolicyID: e.PolicyID, Action: e.Action }),
  tests: [
    {
      name: 'a logged script from an unknown host counts',
      expected: true,
      title: 'Cloudflare Page Shield: script from [cdn.example.net] on [shop.example.com] violates its policy',
      dedup: 'shop.example.com:cdn.example.net',
      log: {
        Action: 'log',
        CSPDirective: 'script-src',
        Host: 'shop.example.com',
        PageURL: 'https://shop.example.com/checkout',
        PolicyID: 'c0ffee00-0000-4000-8000-000000001001',
        ResourceType: 'script',
        Timestamp: '2026-11-01 10:00:00.000000000',
        URL: 'https://cdn.example.net/jquery.min.js',
        URLHost: 'cdn.example.net',
        p_log_type: 'Cloudflare.PageShield',
        p_event_time: '2026-11-01 10:00:00.000000000',
      },
    },
    { name: 'a browser extension script does not count', expected: false, log: { Action: 'log', CSPDirective: 'script-src', ResourceType: 'script', URL: 'chrome-extension://abcdefghijklmnop/content.js' } },
    { name: 'an image violation does not count', expected: false, log: { Action: 'log', CSPDirective: 'img-src', ResourceType: 'image', URL: 'https://img.example.org/pixel.gif' } },
    { name: 'an inline script report does not count', expected: false, log: { Action: 'log', CSPDirective: 'script-src-elem', ResourceType: 'script', URL: 'inline' } },
  ],
});
