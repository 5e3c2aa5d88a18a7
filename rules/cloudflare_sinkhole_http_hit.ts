import { defineRule } from '../lib/rules/model';
import type { SinkholeHTTPEvent } from '../lib/rules/events';
import { lower } from './_helpers';

/**
 * A host sent an HTTP request to a Cloudflare sinkhole: a name the host looked up was redirected there because it
 * belongs to malware infrastructure (a taken-over C2 domain, a DGA name). Nothing legitimate talks to a sinkhole, so
 * every row of the dataset matches: the sender (SrcAddr) is likely infected. The captured Username / Password are
 * left out of the alert on purpose.
 *
 * Threshold 1, High; one alert per sender and sinkholed host per hour, since an implant beacons every few seconds.
 */
export default defineRule<SinkholeHTTPEvent>({
  id: 'Cloudflare.SinkholeHTTP.InfectedHost',
  displayName: 'Cloudflare Sinkhole Hit: Likely Infected Host',
  logTypes: ['Cloudflare.SinkholeHTTP'],
  severity: 'High',
  dedupPeriodMinutes: 60,
  tags: ['Cloudflare', 'Sinkhole', 'Malware', 'attack.command_and_control', 'attack.t1071.001', 'attack.t1568.002'],
  description: 'A host sent an HTTP request to a sinkholed malware domain',
  runbook: [
    '1. Map the sender (SrcAddr) to a device and user (DHCP, Gateway, WARP logs at that time)',
    '2. Read the request (Host, URL, UserAgent, Body) to identify the malware family; search other hosts for the same Host',
    '3. Isolate and reimage the device; rotate credentials used on it',
  ].join('\n'),
  reference: 'https://developers.cloudflare.com/logs/logpush/logpush-job/datasets/account/sinkhole_http_logs/',
  summaryAttributes: ['SrcAddr', 'Host', 'URL', 'UserAgent', 'SinkholeID'],
  rule: (e) => typeof e.SrcAddr === 'string' || typeof e.Host === 'string' || typeof e.URL === 'string',
  title: (e) => `Cloudflare sinkhole: [${e.SrcAddr ?? '<unknown host>'}] contacted sinkholed [${e.Host ?? e.URL ?? '<unknown>'}]`,
  dedup: (e) => `${e.SrcAddr ?? '<unknown>'}:${lower(e.Host)}`,
  alertContext: (e) => ({
    SrcAddr: e.SrcAddr,
    DestAddr: e.DestAddr,
    Host: e.Host,
    Method: e.Method,
    URL: e.URL,
    UserAgent: e.UserAgent,
    Referrer: e.Referrer,
    BodyLength: e.BodyLength,
    SinkholeID: e.SinkholeID,
    R2Path: e.R2Path,
  }),
  tests: [
    {
      name: 'a beacon to a sinkholed host matches',
      expected: true,
      title: 'Cloudflare sinkhole: [192.0.2.55] contacted sinkholed [update.example.org]',
      dedup: '192.0.2.55:update.example.org',
      alertContext: {
        SrcAddr: '192.0.2.55',
        DestAddr: '198.51.100.250',
        Host: 'update.example.org',
        Method: 'POST',
        URL: 'http://update.example.org/gate.php',
        UserAgent: 'Mozilla/4.0 (compatible; MSIE 8.0)',
        BodyLength: 64,
        SinkholeID: 'f00dbabe-0000-4000-8000-000000001301',
      },
      log: {
        AccountID: '0123456789abcdef0123456789abcdef',
        Body: 'id=7f3a9c&os=win10&v=2.1',
        BodyLength: 64,
        DestAddr: '198.51.100.250',
        Headers: 'Host: update.example.org\\nUser-Agent: Mozilla/4.0 (compatible; MSIE 8.0)',
        Host: 'update.example.org',
        Method: 'POST',
        Password: 'hunter2',
        SinkholeID: 'f00dbabe-0000-4000-8000-000000001301',
        SrcAddr: '192.0.2.55',
        Timestamp: '2026-11-01 10:00:00.000000000',
        URI: '/gate.php',
        URL: 'http://update.example.org/gate.php',
        UserAgent: 'Mozilla/4.0 (compatible; MSIE 8.0)',
        Username: 'bot',
        p_log_type: 'Cloudflare.SinkholeHTTP',
        p_event_time: '2026-11-01 10:00:00.000000000',
      },
    },
    { name: 'a row with no sender, host or URL does not match', expected: false, log: { SinkholeID: 'f00dbabe-0000-4000-8000-000000001301' } },
    { name: 'an empty row does not match', expected: false, log: {} },
  ],
});
