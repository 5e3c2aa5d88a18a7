import { defineRule } from '../lib/rules/model';
import type { WARPToggleChangeEvent } from '../lib/rules/events';

/**
 * A user switched the WARP client off (Toggled false): the device leaves Gateway filtering, DLP and logging until
 * it is switched on again. Cloudflare's dataset reference does not say outright which value means "off"; this rule
 * takes Toggled false as off (true as on). Each row of the dataset is one switch, so every false row matches.
 *
 * Users switch WARP off for harmless reasons (a captive portal, a conflicting VPN, troubleshooting), so the alert is
 * Low and one per device per day: a record for the investigator of another alert, and a trend to watch. Where the
 * device policy forbids switching off (locked switch), any match is a policy bypass: raise the severity in a copy
 * of the rule.
 */
const device = (e: WARPToggleChangeEvent): string => e.DeviceID || e.SerialNumber || e.Hostname || '<unknown device>';

export default defineRule<WARPToggleChangeEvent>({
  id: 'Cloudflare.WARPToggleChange.SwitchedOff',
  displayName: 'Cloudflare WARP Client Switched Off',
  logTypes: ['Cloudflare.WARPToggleChange'],
  severity: 'Low',
  dedupPeriodMinutes: 1440,
  tags: ['Cloudflare', 'Zero Trust', 'WARP', 'Defense Evasion', 'attack.defense_evasion', 'attack.t1562.001'],
  description: 'The WARP client of a device was switched off, taking it out of Gateway filtering and logging',
  runbook: [
    '1. Ask the user (UserEmail) why WARP was switched off on the device (Hostname, SerialNumber), and whether it was switched back on',
    '2. If other alerts involve the same device, treat the gap as time without Gateway visibility',
    '3. Consider locking the WARP switch in the device settings profile',
  ].join('\n'),
  reference: 'https://developers.cloudflare.com/logs/logpush/logpush-job/datasets/account/warp_toggle_changes/',
  summaryAttributes: ['UserEmail', 'Hostname', 'SerialNumber', 'DeviceID'],
  rule: (e) => e.Toggled === false,
  title: (e) => `Cloudflare WARP switched off on [${e.Hostname || device(e)}] by [${e.UserEmail ?? '<unknown user>'}]`,
  dedup: (e) => device(e),
  alertContext: (e) => ({ UserEmail: e.UserEmail, Hostname: e.Hostname, SerialNumber: e.SerialNumber, DeviceID: e.DeviceID, DeviceRegistrationID: e.DeviceRegistrationID, AccountName: e.AccountName }),
  tests: [
    {
      name: 'WARP switched off matches',
      expected: true,
      title: 'Cloudflare WARP switched off on [carol-mbp] by [carol@example.com]',
      dedup: '6b86b273-0000-4000-8000-000000001201',
      log: {
        AccountID: '0123456789abcdef0123456789abcdef',
        AccountName: 'Example Corp',
        DeviceID: '6b86b273-0000-4000-8000-000000001201',
        DeviceRegistrationID: '6b86b273-0000-4000-8000-000000001202',
        Hostname: 'carol-mbp',
        SerialNumber: 'C02XK0AAJG5H',
        Timestamp: '2026-11-01 10:00:00.000000000',
        Toggled: false,
        UserEmail: 'carol@example.com',
        p_log_type: 'Cloudflare.WARPToggleChange',
        p_event_time: '2026-11-01 10:00:00.000000000',
      },
    },
    { name: 'WARP switched on does not match', expected: false, log: { DeviceID: '6b86b273-0000-4000-8000-000000001201', Toggled: true } },
    { name: 'a row without the flag does not match', expected: false, log: { DeviceID: '6b86b273-0000-4000-8000-000000001201' } },
  ],
});
