import { defineRule } from '../lib/rules/model';
import type { AccessRequestEvent } from '../lib/rules/events';
import { lower } from './_helpers';

/**
 * A login to an application behind Cloudflare Access succeeded from a country on a short high-risk list. A rule
 * sees one row at a time and keeps no per-user history, so "a new country for this user" cannot be known here;
 * what can be known is the country of the address Access saw. The list below holds the countries under
 * comprehensive embargoes (Cuba, Iran, North Korea, Syria) as a neutral default; an organisation should put the
 * countries it has no staff or business in (copy this rule as a user rule with its own list, and disable this one).
 *
 * Threshold 1, Medium: a successful login from such a place is rare for most organisations and either a traveller,
 * a VPN exit, or stolen credentials in use. One alert per user and country per day. Denied logins do not match
 * (Cloudflare.AccessRequest.DeniedBurst counts those).
 */
export const HIGH_RISK_COUNTRIES: ReadonlySet<string> = new Set(['cu', 'ir', 'kp', 'sy']);

export default defineRule<AccessRequestEvent>({
  id: 'Cloudflare.AccessRequest.LoginFromHighRiskCountry',
  displayName: 'Cloudflare Access Login From a High-Risk Country',
  logTypes: ['Cloudflare.AccessRequest'],
  severity: 'Medium',
  dedupPeriodMinutes: 1440,
  tags: ['Cloudflare', 'Zero Trust', 'Access', 'Initial Access', 'attack.initial_access', 'attack.t1078', 'attack.t1078.004'],
  description: 'A successful Cloudflare Access login from a country on a configurable high-risk list (by default the comprehensively embargoed ones)',
  runbook: [
    '1. Ask the user (Email) whether they are travelling or use a VPN exiting in that country (Country, IPAddress)',
    '2. If not, revoke their Access sessions and identity-provider sessions, reset credentials, and check the applications (AppDomain) they reached',
    '3. Consider an Access policy that requires a country outside the list for sensitive applications',
  ].join('\n'),
  reference: 'https://developers.cloudflare.com/logs/logpush/logpush-job/datasets/account/access_requests/',
  summaryAttributes: ['Email', 'IPAddress', 'Country', 'AppDomain', 'Connection'],
  rule: (e) => e.Allowed === true && lower(e.Action) !== 'logout' && HIGH_RISK_COUNTRIES.has(lower(e.Country)),
  title: (e) => `Cloudflare Access: [${e.Email ?? e.UserUID ?? '<unknown user>'}] logged in from high-risk country [${lower(e.Country)}]`,
  dedup: (e) => `${e.Email || e.UserUID || e.IPAddress || '<unknown user>'}:${lower(e.Country)}`,
  alertContext: (e) => ({ Email: e.Email, UserUID: e.UserUID, IPAddress: e.IPAddress, Country: e.Country, AppDomain: e.AppDomain, AppUUID: e.AppUUID, Connection: e.Connection, RayID: e.RayID }),
  tests: [
    {
      name: 'an allowed login from a listed country matches',
      expected: true,
      title: 'Cloudflare Access: [erin@example.com] logged in from high-risk country [kp]',
      dedup: 'erin@example.com:kp',
      log: {
        Action: 'login',
        Allowed: true,
        AppDomain: 'wiki.example.com',
        Connection: 'okta',
        Country: 'KP',
        CreatedAt: '2026-11-01 10:00:00.000000000',
        Email: 'erin@example.com',
        IPAddress: '203.0.113.150',
        RayID: '8f00000000000101',
        p_log_type: 'Cloudflare.AccessRequest',
        p_event_time: '2026-11-01 10:00:00.000000000',
      },
    },
    { name: 'a denied login from a listed country does not match', expected: false, log: { Action: 'login', Allowed: false, Country: 'ir', Email: 'erin@example.com' } },
    { name: 'an allowed login from another country does not match', expected: false, log: { Action: 'login', Allowed: true, Country: 'nl', Email: 'erin@example.com' } },
    { name: 'a logout from a listed country does not match', expected: false, log: { Action: 'logout', Allowed: true, Country: 'sy', Email: 'erin@example.com' } },
  ],
});
