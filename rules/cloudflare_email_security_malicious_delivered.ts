import { defineRule } from '../lib/rules/model';
import type { EmailSecurityAlertEvent } from '../lib/rules/events';
import { lower } from './_helpers';

/**
 * Email Security gave a message the MALICIOUS or SPOOF disposition. In inline deployments (MessageDeliveryMode
 * DIRECT) such a message is normally held, so the alert is Medium; in BCC, JOURNAL and API deployments Email
 * Security only observes a copy and the message sits in the mailbox until someone moves it, so the alert is
 * High. Spam, bulk and suspicious dispositions do not match (volume, and the user still sees a warning banner in
 * most set-ups).
 *
 * Threshold 1: each is a phish or malware in someone's mailbox. One alert per sender and subject per hour, so a
 * campaign to many recipients is one alert with every message counted.
 */
const BAD = new Set(['malicious', 'spoof']);

const inline = (e: EmailSecurityAlertEvent): boolean => ['direct', 'inline'].includes(lower(e.MessageDeliveryMode));
const recipients = (e: EmailSecurityAlertEvent): readonly string[] => (e.To?.length ? e.To : (e.SMTPEnvelopeTo ?? []));

export default defineRule<EmailSecurityAlertEvent>({
  id: 'Cloudflare.EmailSecurityAlert.MaliciousOrSpoof',
  displayName: 'Cloudflare Email Security Malicious or Spoofed Message',
  logTypes: ['Cloudflare.EmailSecurityAlert'],
  severity: 'High',
  dedupPeriodMinutes: 60,
  tags: ['Cloudflare', 'Email Security', 'Phishing', 'attack.initial_access', 'attack.t1566', 'attack.t1566.001', 'attack.t1566.002'],
  description: 'A message got the MALICIOUS or SPOOF disposition; High when the deployment mode leaves it in the mailbox (BCC, journal, API)',
  runbook: [
    '1. Look the message up by AlertID / MessageID: sender (From, SMTPEnvelopeFrom), recipients (To), reasons (AlertReasons), links and attachments',
    '2. In BCC, journal or API mode, retract the message from every mailbox now; in inline mode confirm it was quarantined',
    '3. Find recipients who clicked a link (Gateway HTTP, proxy logs) or opened an attachment, and handle them as compromised',
  ].join('\n'),
  reference: 'https://developers.cloudflare.com/logs/logpush/logpush-job/datasets/account/email_security_alerts/',
  summaryAttributes: ['From', 'To', 'Subject', 'FinalDisposition', 'MessageDeliveryMode'],
  rule: (e) => BAD.has(lower(e.FinalDisposition)),
  severityOf: (e) => (inline(e) ? 'Medium' : 'DEFAULT'),
  title: (e) => `Cloudflare Email Security: ${lower(e.FinalDisposition)} message [${e.Subject ?? '<no subject>'}] from [${e.From ?? e.SMTPEnvelopeFrom ?? '<unknown sender>'}]`,
  dedup: (e) => `${lower(e.From ?? e.SMTPEnvelopeFrom)}:${e.Subject ?? ''}`,
  alertContext: (e) => ({
    AlertID: e.AlertID,
    MessageID: e.MessageID,
    FinalDisposition: e.FinalDisposition,
    MessageDeliveryMode: e.MessageDeliveryMode,
    From: e.From,
    ReplyTo: e.ReplyTo,
    SMTPEnvelopeFrom: e.SMTPEnvelopeFrom,
    To: recipients(e),
    Subject: e.Subject,
    AlertReasons: e.AlertReasons,
    ThreatCategories: e.ThreatCategories,
    Links: e.Links?.slice(0, 10),
    SPFResult: e.SPFResult,
    DKIMResult: e.DKIMResult,
    DMARCResult: e.DMARCResult,
    SMTPHeloServerIP: e.SMTPHeloServerIP,
  }),
  tests: [
    {
      name: 'a malicious message in BCC mode is High',
      expected: true,
      severity: 'High',
      title: 'Cloudflare Email Security: malicious message [Invoice 4471 overdue] from [billing@example.net]',
      dedup: 'billing@example.net:Invoice 4471 overdue',
      log: {
        AlertID: '4Xk9p2-2026-11-01T10:00:00',
        AlertReasons: ['Malicious attachment'],
        DKIMResult: 'fail',
        DMARCResult: 'fail',
        FinalDisposition: 'MALICIOUS',
        From: 'billing@example.net',
        MessageDeliveryMode: 'BCC',
        MessageID: '<4471@mail.example.net>',
        SMTPHeloServerIP: '198.51.100.200',
        SPFResult: 'softfail',
        Subject: 'Invoice 4471 overdue',
        ThreatCategories: ['Malware'],
        Timestamp: '2026-11-01 10:00:00.000000000',
        To: ['carol@example.com'],
        p_log_type: 'Cloudflare.EmailSecurityAlert',
        p_event_time: '2026-11-01 10:00:00.000000000',
      },
    },
    { name: 'a spoof in inline mode is Medium', expected: true, severity: 'Medium', log: { FinalDisposition: 'SPOOF', From: 'ceo@example.com', MessageDeliveryMode: 'DIRECT', Subject: 'Urgent wire' } },
    { name: 'a spam message does not match', expected: false, log: { FinalDisposition: 'SPAM', From: 'offers@example.org', Subject: 'Sale' } },
    { name: 'a suspicious message does not match', expected: false, log: { FinalDisposition: 'SUSPICIOUS', From: 'someone@example.org' } },
    { name: 'a clean message does not match', expected: false, log: { FinalDisposition: 'NONE', From: 'colleague@example.com' } },
  ],
});
