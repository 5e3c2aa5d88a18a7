import { defineRule } from '../lib/rules/model';
import type { TurnstileEvent } from '../lib/rules/events';
import { lower } from './_helpers';

/**
 * Many failed Turnstile challenges from one address: a bot or a solver farm trying to get past the widget of a
 * login, sign-up or checkout form (failed siteverify outcomes: invalid, expired or reused tokens, or a failed
 * challenge). A person fails a challenge now and then, and retries a few times at most. Threshold 30 failures per
 * client address within 10 minutes: a human never gets there, a script retrying in a loop does within a minute.
 * Shared addresses (a corporate NAT, a mobile carrier's CGNAT) can carry several people, which is why the bar is
 * not lower.
 */
const failed = (e: TurnstileEvent): boolean => lower(e.EventType).includes('fail');

export default defineRule<TurnstileEvent>({
  id: 'Cloudflare.Turnstile.FailureBurstByIP',
  displayName: 'Cloudflare Turnstile Failure Burst From One Address',
  logTypes: ['Cloudflare.Turnstile'],
  severity: 'Medium',
  threshold: 30,
  dedupPeriodMinutes: 10,
  tags: ['Cloudflare', 'Turnstile', 'Bots', 'attack.credential_access', 'attack.t1110', 'attack.resource_development', 'attack.t1585'],
  description: 'Many failed Turnstile challenges or token verifications from one client address within 10 minutes',
  runbook: [
    '1. See which sites (Hostname, Sitekey) and forms the address (ClientIP, ASN, CountryCode) targets, and the failure kinds (EventType)',
    '2. Check the protected endpoint for successful requests from the same address (http_requests): did any get through?',
    '3. Block or rate-limit the address or its ASN in a WAF rule if the traffic is abusive',
  ].join('\n'),
  reference: 'https://developers.cloudflare.com/logs/logpush/logpush-job/datasets/account/turnstile_events/',
  summaryAttributes: ['ClientIP', 'ASN', 'CountryCode', 'Hostname', 'EventType'],
  rule: failed,
  title: (e) => `Cloudflare Turnstile: burst of failed challenges from [${e.ClientIP ?? '<unknown>'}]`,
  dedup: (e) => e.ClientIP || '<unknown address>',
  alertContext: (e) => ({ ClientIP: e.ClientIP, ASN: e.ASN, CountryCode: e.CountryCode, Hostname: e.Hostname, Sitekey: e.Sitekey, EventType: e.EventType, UserAgent: e.UserAgent, Action: e.Action }),
  tests: [
    {
      name: 'an invalid token at siteverify counts towards its address',
      expected: true,
      dedup: '198.51.100.211',
      title: 'Cloudflare Turnstile: burst of failed challenges from [198.51.100.211]',
      log: {
        ASN: 64500,
        Action: 'login',
        BrowserMajor: 141,
        BrowserName: 'Chrome',
        ClientIP: '198.51.100.211',
        CountryCode: 'US',
        EventType: 'challenge_siteverify_failed_invalid_token',
        Hostname: 'login.example.com',
        OSMajor: 10,
        OSName: 'Windows',
        Sitekey: '0x4AAAAAAAexamplekey00',
        Timestamp: '2026-11-01 10:00:00.000000000',
        UserAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 Safari/537.36',
        p_log_type: 'Cloudflare.Turnstile',
        p_event_time: '2026-11-01 10:00:00.000000000',
      },
    },
    { name: 'a solved challenge does not count', expected: false, log: { ClientIP: '198.51.100.211', EventType: 'challenge_interactive_solved' } },
    { name: 'an issued challenge does not count', expected: false, log: { ClientIP: '198.51.100.211', EventType: 'challenge_issued' } },
  ],
});
