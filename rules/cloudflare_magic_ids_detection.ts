import { defineRule } from '../lib/rules/model';
import type { MagicIDSEvent } from '../lib/rules/events';
import { lower } from './_helpers';

/**
 * Magic Network Monitoring / Magic Transit IDS matched a signature on traffic of the network. Every row of the
 * dataset is a detection, so every row matches; the severity comes from the signature's text (SignatureMessage,
 * Suricata-style): exploitation, trojans, C2, ransomware and backdoors are High; policy, scans, informational and
 * protocol anomalies are Low; the rest Medium. A detection whose packet was blocked (Action block) is one step
 * lower, since the traffic did not pass.
 *
 * Threshold 1; one alert per signature and source per hour: a scanner hitting a whole range makes one alert per
 * signature.
 */
const HIGH_WORDS = ['exploit', 'trojan', 'malware', 'command and control', 'ransomware', 'backdoor', 'webshell', 'web shell', 'coinminer', 'botnet'];
/** Short markers matched as whole tokens only: `rce` is in "source", `c2` in "vc2". */
const HIGH_TOKENS = new Set(['rce', 'c2', 'cnc']);
const LOW_WORDS = ['policy', 'scan', 'informational', 'decoder', 'protocol anomaly', 'inappropriate', 'games'];
const LOW_TOKENS = new Set(['info', 'chat']);
const DOWN = { High: 'Medium', Medium: 'Low', Low: 'Info' } as const;

/** The message's words: letters and digits, split on anything else. */
function tokens(m: string): Set<string> {
  const out = new Set<string>();
  let cur = '';
  for (const ch of m) {
    if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')) cur += ch;
    else if (cur !== '') {
      out.add(cur);
      cur = '';
    }
  }
  if (cur !== '') out.add(cur);
  return out;
}

const level = (e: MagicIDSEvent): 'High' | 'Medium' | 'Low' => {
  const m = lower(e.SignatureMessage);
  const t = tokens(m);
  if (HIGH_WORDS.some((w) => m.includes(w)) || [...HIGH_TOKENS].some((w) => t.has(w))) return 'High';
  if (LOW_WORDS.some((w) => m.includes(w)) || [...LOW_TOKENS].some((w) => t.has(w))) return 'Low';
  return 'Medium';
};

export default defineRule<MagicIDSEvent>({
  id: 'Cloudflare.MagicIDS.Detection',
  displayName: 'Cloudflare Magic IDS Detection',
  logTypes: ['Cloudflare.MagicIDS'],
  severity: 'Medium',
  dedupPeriodMinutes: 60,
  tags: ['Cloudflare', 'Magic Transit', 'IDS', 'attack.initial_access', 'attack.t1190', 'attack.command_and_control', 'attack.t1071', 'attack.discovery', 'attack.t1046'],
  description: 'The Cloudflare network IDS matched a signature; severity follows the signature text and whether the packet was blocked',
  runbook: [
    '1. Read the signature (SignatureID, SignatureMessage) and the flow (SourceIP:SourcePort to DestinationIP:DestinationPort, Protocol)',
    '2. For inbound exploitation, check the destination host for the vulnerable service; for outbound C2 or malware, isolate the source host',
    '3. Add a Magic Firewall rule to block the source if the traffic is hostile and was not blocked (Action pass)',
  ].join('\n'),
  reference: 'https://developers.cloudflare.com/logs/logpush/logpush-job/datasets/account/magic_ids_detections/',
  summaryAttributes: ['SignatureID', 'SignatureMessage', 'SourceIP', 'DestinationIP', 'DestinationPort', 'Action'],
  rule: (e) => e.SignatureID !== undefined || typeof e.SignatureMessage === 'string',
  severityOf: (e) => (lower(e.Action) === 'block' ? DOWN[level(e)] : level(e)),
  title: (e) => `Cloudflare IDS: [${e.SignatureMessage ?? `signature ${e.SignatureID}`}] from [${e.SourceIP ?? '<unknown>'}] to [${e.DestinationIP ?? '<unknown>'}]`,
  dedup: (e) => `${e.SignatureID ?? lower(e.SignatureMessage)}:${e.SourceIP ?? '<unknown>'}`,
  alertContext: (e) => ({
    SignatureID: e.SignatureID,
    SignatureRevision: e.SignatureRevision,
    SignatureMessage: e.SignatureMessage,
    Action: e.Action,
    Protocol: e.Protocol,
    SourceIP: e.SourceIP,
    SourcePort: e.SourcePort,
    DestinationIP: e.DestinationIP,
    DestinationPort: e.DestinationPort,
    ColoCode: e.ColoCode,
  }),
  tests: [
    {
      name: 'an exploit signature that passed is High',
      expected: true,
      severity: 'High',
      title: 'Cloudflare IDS: [ET EXPLOIT Apache Struts RCE Attempt] from [203.0.113.40] to [192.0.2.20]',
      dedup: '2024001:203.0.113.40',
      log: {
        Action: 'pass',
        ColoCity: 'Frankfurt',
        ColoCode: 'FRA',
        DestinationIP: '192.0.2.20',
        DestinationPort: 8080,
        Protocol: 'tcp',
        SignatureID: 2024001,
        SignatureMessage: 'ET EXPLOIT Apache Struts RCE Attempt',
        SignatureRevision: 3,
        SourceIP: '203.0.113.40',
        SourcePort: 51514,
        Timestamp: '2026-11-01 10:00:00.000000000',
        p_log_type: 'Cloudflare.MagicIDS',
        p_event_time: '2026-11-01 10:00:00.000000000',
      },
    },
    { name: 'a blocked exploit is Medium', expected: true, severity: 'Medium', log: { Action: 'block', SignatureID: 2024001, SignatureMessage: 'ET EXPLOIT Apache Struts RCE Attempt', SourceIP: '203.0.113.40' } },
    { name: 'a scan signature that passed is Low', expected: true, severity: 'Low', log: { Action: 'pass', SignatureID: 2001219, SignatureMessage: 'ET SCAN Potential SSH Scan', SourceIP: '198.51.100.2' } },
    { name: 'a word containing rce (resource) is not High', expected: true, severity: 'Medium', log: { Action: 'pass', SignatureID: 2100001, SignatureMessage: 'GPL WEB_SERVER resource access attempt', SourceIP: '198.51.100.3' } },
    { name: 'a C2 token is High', expected: true, severity: 'High', log: { Action: 'pass', SignatureID: 2100002, SignatureMessage: 'ET MALWARE-CNC Possible C2 Beacon', SourceIP: '192.0.2.3' } },
    { name: 'a row without a signature does not match', expected: false, log: { Action: 'pass', SourceIP: '198.51.100.2' } },
    { name: 'an empty row does not match', expected: false, log: {} },
  ],
});
