import { defineRule } from '../lib/rules/model';
import type { DLPForensicCopyEvent } from '../lib/rules/events';
import { lower } from './_helpers';

/**
 * Gateway took a DLP forensic copy: a Gateway HTTP policy with "send a copy to Logpush" matched, which in practice
 * means a DLP profile matched the request or response body (customers attach forensic copies to DLP policies). Every
 * row of this dataset is such a match, so every row matches the rule; the alert points to the copy
 * (ForensicCopyID) and to the Gateway request (GatewayRequestID, RequestID in gateway_http), where the user is.
 *
 * Threshold 1, Medium; one alert per Gateway rule and phase per hour: a user uploading a folder of matching files
 * makes one alert with all the copies counted into it, not hundreds. The payload (base64, possibly large) stays out
 * of the alert context.
 */
const copies = (e: DLPForensicCopyEvent): string => e.TriggeredRuleID || '<unknown rule>';

export default defineRule<DLPForensicCopyEvent>({
  id: 'Cloudflare.DLPForensicCopy.ProfileMatched',
  displayName: 'Cloudflare DLP Forensic Copy Taken',
  logTypes: ['Cloudflare.DLPForensicCopy'],
  severity: 'Medium',
  dedupPeriodMinutes: 60,
  tags: ['Cloudflare', 'Zero Trust', 'DLP', 'Exfiltration', 'attack.exfiltration', 'attack.t1567', 'attack.collection', 'attack.t1530'],
  description: 'A Gateway policy matched sensitive content (a DLP profile) and took a forensic copy of the request or response',
  runbook: [
    '1. Find the Gateway HTTP request (RequestID = GatewayRequestID) for the user, device, destination and the DLP profiles matched',
    '2. Decode the Payload of the copy to see what was sent or received; judge whether it left the organisation',
    '3. If data left, follow the data-breach process; otherwise tune the DLP profile that matched',
  ].join('\n'),
  reference: 'https://developers.cloudflare.com/logs/logpush/logpush-job/datasets/account/dlp_forensic_copies/',
  summaryAttributes: ['TriggeredRuleID', 'GatewayRequestID', 'ForensicCopyID', 'Phase'],
  rule: (e) => typeof e.ForensicCopyID === 'string' || typeof e.GatewayRequestID === 'string' || typeof e.TriggeredRuleID === 'string',
  title: (e) => `Cloudflare DLP forensic copy of a ${lower(e.Phase) || 'request'} taken by Gateway rule [${copies(e)}]`,
  dedup: (e) => `${copies(e)}:${lower(e.Phase)}`,
  alertContext: (e) => ({ ForensicCopyID: e.ForensicCopyID, GatewayRequestID: e.GatewayRequestID, TriggeredRuleID: e.TriggeredRuleID, Phase: e.Phase, Headers: e.Headers, AccountID: e.AccountID }),
  tests: [
    {
      name: 'a forensic copy of an upload matches',
      expected: true,
      title: 'Cloudflare DLP forensic copy of a request taken by Gateway rule [5a6b7c8d-0000-4000-8000-000000000801]',
      dedup: '5a6b7c8d-0000-4000-8000-000000000801:request',
      log: {
        AccountID: '0123456789abcdef0123456789abcdef',
        Datetime: '2026-11-01 10:00:00.000000000',
        ForensicCopyID: '9c8b7a6d-0000-4000-8000-000000000802',
        GatewayRequestID: '1d2e3f4a-0000-4000-8000-000000000803',
        Headers: { 'content-type': 'multipart/form-data', host: 'upload.example.net' },
        Payload: 'Y2FyZCBudW1iZXI6IDQxMTEgMTExMSAxMTExIDExMTE=',
        Phase: 'request',
        TriggeredRuleID: '5a6b7c8d-0000-4000-8000-000000000801',
        p_log_type: 'Cloudflare.DLPForensicCopy',
        p_event_time: '2026-11-01 10:00:00.000000000',
      },
    },
    { name: 'a row without copy, request or rule ids (not a forensic copy) does not match', expected: false, log: { Datetime: '2026-11-01 10:00:00.000000000', Phase: 'request' } },
    { name: 'an empty row does not match', expected: false, log: {} },
  ],
});
