import { defineRule } from '../lib/rules/model';
import type { SSHEvent } from '../lib/rules/events';
import { lower } from './_helpers';

/**
 * Somebody opened a shell or ran a command as root (the Username principal on the server) through Cloudflare's SSH
 * proxy. Access for Infrastructure lets administrators give people named Unix accounts and sudo; a session as root
 * itself skips sudo's per-command audit trail and is the most sensitive target there is. Only shell and exec
 * programs count (not port forwarding).
 *
 * Threshold 1, Medium; one alert per user and target per day: where root sessions are the norm (break-glass
 * accounts, appliances), disable the rule or copy it with an allow-list.
 */
const ROOT = new Set(['root', 'toor']);
const PROGRAMS = new Set(['shell', 'exec']);

export default defineRule<SSHEvent>({
  id: 'Cloudflare.SSH.RootSession',
  displayName: 'Cloudflare SSH Session as Root',
  logTypes: ['Cloudflare.SSH'],
  severity: 'Medium',
  dedupPeriodMinutes: 1440,
  tags: ['Cloudflare', 'Zero Trust', 'SSH', 'attack.privilege_escalation', 'attack.t1078.003', 'attack.lateral_movement', 'attack.t1021.004'],
  description: 'A shell or command ran as root over an SSH session proxied by Cloudflare',
  runbook: [
    '1. Ask the user (UserEmail) why root was used on the target (TargetID, ServerAddress) rather than a named account and sudo',
    '2. Read the session recording (Payload) for what was done',
    '3. Remove root from the Access for Infrastructure policy principals if it is not needed',
  ].join('\n'),
  reference: 'https://developers.cloudflare.com/logs/logpush/logpush-job/datasets/account/ssh_logs/',
  summaryAttributes: ['UserEmail', 'Username', 'ServerAddress', 'TargetID', 'ProgramType'],
  rule: (e) => ROOT.has(lower(e.Username)) && PROGRAMS.has(lower(e.ProgramType)),
  title: (e) => `Cloudflare SSH: [${e.UserEmail ?? '<unknown user>'}] opened a ${lower(e.ProgramType)} as root on [${e.ServerAddress ?? e.TargetID ?? '<unknown target>'}]`,
  dedup: (e) => `${e.UserEmail ?? e.UserID ?? '<unknown user>'}:${e.TargetID ?? e.ServerAddress ?? ''}`,
  alertContext: (e) => ({ UserEmail: e.UserEmail, UserID: e.UserID, Username: e.Username, ClientAddress: e.ClientAddress, ServerAddress: e.ServerAddress, TargetID: e.TargetID, SessionID: e.SessionID, ProgramType: e.ProgramType }),
  tests: [
    {
      name: 'a root shell matches',
      expected: true,
      title: 'Cloudflare SSH: [frank@example.com] opened a shell as root on [198.51.100.12:22]',
      log: {
        ClientAddress: '203.0.113.31:50123',
        Datetime: '2026-11-01 10:00:00.000000000',
        ProgramType: 'shell',
        ServerAddress: '198.51.100.12:22',
        SessionID: '3a2b1c0d-0000-4000-8000-000000001501',
        TargetID: '3a2b1c0d-0000-4000-8000-000000001502',
        UserEmail: 'frank@example.com',
        Username: 'root',
        p_log_type: 'Cloudflare.SSH',
        p_event_time: '2026-11-01 10:00:00.000000000',
      },
    },
    { name: 'a shell as a named account does not match', expected: false, log: { ProgramType: 'shell', Username: 'frank', UserEmail: 'frank@example.com' } },
    { name: 'port forwarding as root does not match', expected: false, log: { ProgramType: 'direct-tcpip', Username: 'root', UserEmail: 'frank@example.com' } },
  ],
});
