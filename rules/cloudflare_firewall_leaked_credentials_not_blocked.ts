import { defineRule } from '../lib/rules/model';
import type { FirewallEvent } from '../lib/rules/events';
import { firewallAlertContext, lower } from './_helpers';

/**
 * A security rule matched a request carrying leaked credentials (LeakedCredentialCheckResult password_leaked or
 * username_and_password_leaked) but only logged or skipped it, and the origin answered with a 2xx or 3xx: the
 * zone sees breached credentials being used and lets them in. Firewall events are written only when a rule
 * matches, so this catches zones that run a "log" rule on cf.waf.credential_check.* while deciding what to do.
 *
 * Threshold 1 per client address and host per hour: every accepted breached credential is a likely account takeover.
 */
const LEAKED = new Set(['password_leaked', 'username_and_password_leaked']);
const PASSED = new Set(['log', 'skip', 'allow', 'bypass']);
const accepted = (v: number | undefined): boolean => typeof v === 'number' && v >= 200 && v <= 399;

export default defineRule<FirewallEvent>({
  id: 'Cloudflare.Firewall.LeakedCredentialNotBlocked',
  displayName: 'Cloudflare Firewall Logged Leaked Credentials and Let Them Through',
  logTypes: ['Cloudflare.Firewall'],
  severity: 'High',
  dedupPeriodMinutes: 60,
  tags: ['Cloudflare', 'WAF', 'Credential Access', 'attack.credential_access', 'attack.t1110.004', 'attack.initial_access', 'attack.t1078'],
  description: 'A security rule matched a request with leaked credentials, did not block it, and the origin accepted it (2xx or 3xx)',
  runbook: [
    '1. Find the account behind the RayID in the origin logs; reset its password and end its sessions',
    '2. Look at the other events of the ClientIP: many leaked-credential requests mean credential stuffing',
    '3. Turn the logging rule (RuleID) into a managed challenge or block for leaked credentials',
  ].join('\n'),
  reference: 'https://developers.cloudflare.com/logs/reference/log-fields/zone/firewall_events',
  summaryAttributes: ['ClientIP', 'ClientRequestHost', 'ClientRequestPath', 'LeakedCredentialCheckResult', 'RuleID'],
  rule: (e) =>
    LEAKED.has(lower(e.LeakedCredentialCheckResult)) && PASSED.has(lower(e.Action)) && (accepted(e.OriginResponseStatus) || accepted(e.EdgeResponseStatus)),
  title: (e) => `Cloudflare firewall let leaked credentials through at [${e.ClientRequestHost ?? '<unknown host>'}] from [${e.ClientIP ?? '<unknown>'}]`,
  dedup: (e) => `${e.ClientIP ?? '<unknown>'}:${e.ClientRequestHost ?? '<unknown host>'}`,
  alertContext: (e) => ({ ...firewallAlertContext(e), ClientRequestPath: e.ClientRequestPath, LeakedCredentialCheckResult: e.LeakedCredentialCheckResult, OriginResponseStatus: e.OriginResponseStatus }),
  tests: [
    {
      name: 'a logged leaked-credential login the origin accepted matches',
      expected: true,
      title: 'Cloudflare firewall let leaked credentials through at [login.example.com] from [203.0.113.77]',
      log: {
        Action: 'log',
        ClientIP: '203.0.113.77',
        ClientRequestHost: 'login.example.com',
        ClientRequestMethod: 'POST',
        ClientRequestPath: '/api/login',
        Datetime: '2026-11-01 10:00:00.000000000',
        EdgeResponseStatus: 200,
        Kind: 'firewall',
        LeakedCredentialCheckResult: 'username_and_password_leaked',
        OriginResponseStatus: 200,
        RayID: '8f1a2b3c4d5e6f72',
        RuleID: '0b4f1a2c3d4e5f60718293a4b5c6d7e8',
        Source: 'firewallcustom',
        p_log_type: 'Cloudflare.Firewall',
        p_event_time: '2026-11-01 10:00:00.000000000',
      },
    },
    { name: 'a blocked leaked-credential request does not match', expected: false, log: { Action: 'block', EdgeResponseStatus: 403, LeakedCredentialCheckResult: 'password_leaked' } },
    { name: 'a logged request with clean credentials does not match', expected: false, log: { Action: 'log', EdgeResponseStatus: 200, OriginResponseStatus: 200, LeakedCredentialCheckResult: 'clean' } },
    { name: 'a logged leaked-credential login that failed (401) does not match', expected: false, log: { Action: 'log', EdgeResponseStatus: 401, OriginResponseStatus: 401, LeakedCredentialCheckResult: 'password_leaked' } },
  ],
});
