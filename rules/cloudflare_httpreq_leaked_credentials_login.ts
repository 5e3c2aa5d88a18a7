import { defineRule } from '../lib/rules/model';
import type { HttpRequestEvent } from '../lib/rules/events';
import { httpAlertContext, lower } from './_helpers';

/**
 * Leaked-credential detection found that a request carried a password (or a username and password pair) known from
 * public breaches, the request was a POST, and the origin accepted it (2xx or 3xx, the usual answers to a
 * successful login form or API sign-in). Either a user still uses a breached password or someone is stuffing
 * breached credentials, and this one worked.
 *
 * Threshold 1: each is an account that is likely taken over. `username_leaked` and `username_password_similar` are
 * weaker signals (the username alone, or a close variant) and are left out; so are 4xx answers (a failed login).
 * One alert per client address and host per hour.
 */
const LEAKED = new Set(['password_leaked', 'username_and_password_leaked']);
const accepted = (v: number | undefined): boolean => typeof v === 'number' && v >= 200 && v <= 399;

export default defineRule<HttpRequestEvent>({
  id: 'Cloudflare.HttpRequest.LeakedCredentialLoginAccepted',
  displayName: 'Cloudflare Leaked Credentials Accepted by the Origin',
  logTypes: ['Cloudflare.HttpRequest'],
  severity: 'High',
  dedupPeriodMinutes: 60,
  tags: ['Cloudflare', 'WAF', 'Credential Access', 'attack.credential_access', 'attack.t1110.004', 'attack.initial_access', 'attack.t1078'],
  description: 'A POST carrying a password known from breaches (leaked-credential detection) that the origin answered with a 2xx or 3xx',
  runbook: [
    '1. Find which account signed in: the origin application logs for the RayID, or FraudUserID when set',
    '2. Force a password reset for that account, end its sessions, and check what it did since',
    '3. If the ClientIP sent many such requests, it is credential stuffing: block or challenge it, and rate-limit the login path',
  ].join('\n'),
  reference: 'https://developers.cloudflare.com/logs/reference/log-fields/zone/http_requests',
  summaryAttributes: ['ClientIP', 'ClientRequestHost', 'ClientRequestPath', 'LeakedCredentialCheckResult', 'EdgeResponseStatus'],
  rule: (e) => LEAKED.has(lower(e.LeakedCredentialCheckResult)) && lower(e.ClientRequestMethod) === 'post' && accepted(e.EdgeResponseStatus) && lower(e.SecurityAction) !== 'block',
  title: (e) => `Cloudflare: leaked credentials (${e.LeakedCredentialCheckResult}) accepted at [${e.ClientRequestHost ?? '<unknown host>'}${e.ClientRequestPath ?? ''}] from [${e.ClientIP ?? '<unknown>'}]`,
  dedup: (e) => `${e.ClientIP ?? '<unknown>'}:${e.ClientRequestHost ?? '<unknown host>'}`,
  alertContext: (e) => ({ ...httpAlertContext(e), LeakedCredentialCheckResult: e.LeakedCredentialCheckResult, FraudUserID: e.FraudUserID, RayID: e.RayID }),
  tests: [
    {
      name: 'a login POST with a leaked password answered 302 matches',
      expected: true,
      title: 'Cloudflare: leaked credentials (password_leaked) accepted at [login.example.com/session] from [198.51.100.23]',
      dedup: '198.51.100.23:login.example.com',
      log: {
        ClientIP: '198.51.100.23',
        ClientRequestHost: 'login.example.com',
        ClientRequestMethod: 'POST',
        ClientRequestPath: '/session',
        EdgeResponseStatus: 302,
        EdgeStartTimestamp: '2026-11-01 10:00:00.000000000',
        LeakedCredentialCheckResult: 'password_leaked',
        OriginResponseStatus: 302,
        RayID: '8f1a2b3c4d5e6f71',
        p_log_type: 'Cloudflare.HttpRequest',
        p_event_time: '2026-11-01 10:00:00.000000000',
      },
    },
    {
      name: 'a failed login (401) with leaked credentials does not match',
      expected: false,
      log: { ClientIP: '198.51.100.23', ClientRequestMethod: 'POST', EdgeResponseStatus: 401, LeakedCredentialCheckResult: 'username_and_password_leaked' },
    },
    { name: 'a clean login does not match', expected: false, log: { ClientRequestMethod: 'POST', EdgeResponseStatus: 200, LeakedCredentialCheckResult: 'clean' } },
    {
      name: 'only the username leaked does not match',
      expected: false,
      log: { ClientRequestMethod: 'POST', EdgeResponseStatus: 200, LeakedCredentialCheckResult: 'username_leaked' },
    },
    {
      name: 'a blocked request does not match',
      expected: false,
      log: { ClientRequestMethod: 'POST', EdgeResponseStatus: 200, LeakedCredentialCheckResult: 'password_leaked', SecurityAction: 'block' },
    },
  ],
});
