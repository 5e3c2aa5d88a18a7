import { defineRule } from '../lib/rules/model';
import type { TurnstileEvent } from '../lib/rules/events';
import { lower } from './_helpers';

/**
 * Many failed Turnstile challenges on one widget (Sitekey) from any number of addresses: a distributed bot run
 * (residential proxies, a botnet) against a form, which the per-address rule (Cloudflare.Turnstile.FailureBurstByIP)
 * misses because each address fails only a few times. Threshold 500 failures per widget within 10 minutes: a busy
 * public form sees some failures from stale tabs and old browsers all the time, but hundreds in minutes is an
 * attack. A site with very heavy traffic may need a higher bar (copy the rule as a user rule with its own
 * threshold).
 */
const failed = (e: TurnstileEvent): boolean => lower(e.EventType).includes('fail');
const widget = (e: TurnstileEvent): string => e.Sitekey || e.Hostname || '<unknown widget>';

export default defineRule<TurnstileEvent>({
  id: 'Cloudflare.Turnstile.FailureBurstBySite',
  displayName: 'Cloudflare Turnstile Failure Burst on One Widget',
  logTypes: ['Cloudflare.Turnstile'],
  severity: 'Medium',
  threshold: 500,
  dedupPeriodMinutes: 10,
  tags: ['Cloudflare', 'Turnstile', 'Bots', 'attack.credential_access', 'attack.t1110', 'attack.impact', 'attack.t1499'],
  description: 'Many failed Turnstile challenges or token verifications on one widget within 10 minutes, from any addresses',
  runbook: [
    '1. Look at the spread of the failures: addresses, ASNs, countries, user agents; a few ASNs or one user agent point to a bot run',
    '2. Check the form behind the widget (Hostname) for abuse that got through: sign-ups, logins, orders',
    '3. Tighten the protection: Turnstile in managed or interactive mode, a WAF rate limit on the form endpoint',
  ].join('\n'),
  reference: 'https://developers.cloudflare.com/logs/logpush/logpush-job/datasets/account/turnstile_events/',
  summaryAttributes: ['Sitekey', 'Hostname', 'EventType', 'ClientIP'],
  rule: failed,
  title: (e) => `Cloudflare Turnstile: burst of failed challenges on widget [${widget(e)}] (${e.Hostname ?? '<unknown host>'})`,
  dedup: widget,
  alertContext: (e) => ({ Sitekey: e.Sitekey, Hostname: e.Hostname, EventType: e.EventType, ClientIP: e.ClientIP, ASN: e.ASN, CountryCode: e.CountryCode }),
  tests: [
    {
      name: 'an expired token at siteverify counts towards its widget',
      expected: true,
      dedup: '0x4AAAAAAAexamplekey00',
      log: {
        ASN: 64501,
        ClientIP: '203.0.113.19',
        CountryCode: 'BR',
        EventType: 'challenge_siteverify_failed_token_expired',
        Hostname: 'signup.example.com',
        Sitekey: '0x4AAAAAAAexamplekey00',
        Timestamp: '2026-11-01 10:00:00.000000000',
        p_log_type: 'Cloudflare.Turnstile',
        p_event_time: '2026-11-01 10:00:00.000000000',
      },
    },
    { name: 'a solved challenge does not count', expected: false, log: { EventType: 'challenge_solved', Sitekey: '0x4AAAAAAAexamplekey00' } },
    { name: 'a row without an event type does not count', expected: false, log: { Sitekey: '0x4AAAAAAAexamplekey00' } },
  ],
});
