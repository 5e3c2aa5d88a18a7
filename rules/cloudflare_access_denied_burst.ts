import { defineRule } from '../lib/rules/model';
import type { AccessRequestEvent } from '../lib/rules/events';

/**
 * Cloudflare Access denied 20 logins from one address within 15 minutes: password spraying, a stolen session
 * replayed, or a script hammering a protected app. A person who lacks access is denied a few times, not 20.
 */
export default defineRule<AccessRequestEvent>({
  id: 'Cloudflare.AccessRequest.DeniedBurst',
  displayName: 'Cloudflare Access Denied Logins Burst',
  logTypes: ['Cloudflare.AccessRequest'],
  severity: 'Medium',
  threshold: 20,
  dedupPeriodMinutes: 15,
  tags: ['Cloudflare', 'Zero Trust', 'Access', 'Credential Access'],
  description: 'Many logins to applications behind Cloudflare Access denied for one source address within a short time',
  runbook: [
    '1. Look at the denied requests from the IPAddress: which applications (AppDomain), which users (Email), which identity providers (Connection)',
    '2. If many users are tried, treat it as password spraying: block the address and check the identity provider for successful logins from it',
    '3. If one user is tried repeatedly, confirm with them; reset their credentials if they did not do it',
  ].join('\n'),
  reference: 'https://developers.cloudflare.com/logs/logpush/logpush-job/datasets/account/access_requests/',
  summaryAttributes: ['IPAddress', 'Email', 'AppDomain', 'Country'],
  rule: (e) => e.Allowed === false && e.Action !== 'logout',
  title: (e) => `Cloudflare Access: burst of denied logins from [${e.IPAddress ?? '<unknown address>'}]`,
  dedup: (e) => e.IPAddress || e.Email || '<unknown source>',
  alertContext: (e) => ({ IPAddress: e.IPAddress, Email: e.Email, UserUID: e.UserUID, AppDomain: e.AppDomain, AppUUID: e.AppUUID, Country: e.Country, Connection: e.Connection, RayID: e.RayID }),
  tests: [
    {
      name: 'a denied login counts towards its source address',
      expected: true,
      dedup: '198.51.100.66',
      title: 'Cloudflare Access: burst of denied logins from [198.51.100.66]',
      log: {
        Action: 'login',
        Allowed: false,
        AppDomain: 'wiki.example.com',
        Country: 'nl',
        CreatedAt: '2026-05-05 07:00:00.000000000',
        Email: 'erin@example.com',
        IPAddress: '198.51.100.66',
        RayID: '8f00000000000001',
        p_log_type: 'Cloudflare.AccessRequest',
        p_event_time: '2026-05-05 07:00:00.000000000',
      },
    },
    { name: 'an allowed login does not count', expected: false, log: { Action: 'login', Allowed: true, IPAddress: '198.51.100.66' } },
    { name: 'a logout does not count', expected: false, log: { Action: 'logout', Allowed: false, IPAddress: '198.51.100.66' } },
    { name: 'a record that does not say whether it was allowed does not count', expected: false, log: { Action: 'login', IPAddress: '198.51.100.66' } },
    { name: 'without an address, the user is the group', expected: true, dedup: 'erin@example.com', log: { Allowed: false, Email: 'erin@example.com' } },
  ],
});
