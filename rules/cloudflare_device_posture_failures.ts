import { defineRule } from '../lib/rules/model';
import type { DevicePostureEvent } from '../lib/rules/events';
import { lower } from './_helpers';

/**
 * A device keeps failing its posture checks (PostureEvaluatedResult false): disk encryption off, firewall off, an
 * old OS, a missing EDR agent. One failed check is ordinary (a check runs before the agent starts, a laptop wakes
 * with a stale OS version); posture is evaluated every few minutes per check, so a device that stays out of
 * compliance piles up failures. Threshold 20 failures per device within an hour: about an hour of one failing
 * check evaluated every few minutes, or several checks failing at once, which is what a tampered or unmanaged
 * device looks like.
 *
 * Low: posture failures are hygiene first; Access policies that require posture already deny the device. The alert
 * finds devices that users keep using outside policy.
 */
const device = (e: DevicePostureEvent): string => e.DeviceID || e.DeviceSerialNumber || e.DeviceName || '<unknown device>';

export default defineRule<DevicePostureEvent>({
  id: 'Cloudflare.DevicePosture.RepeatedFailures',
  displayName: 'Cloudflare Device Failing Posture Checks Repeatedly',
  logTypes: ['Cloudflare.DevicePosture'],
  severity: 'Low',
  threshold: 20,
  dedupPeriodMinutes: 60,
  tags: ['Cloudflare', 'Zero Trust', 'Device Posture', 'Defense Evasion', 'attack.defense_evasion', 'attack.t1562.001'],
  description: 'Many failed device posture checks from one device within an hour',
  runbook: [
    '1. See which checks fail (PostureCheckName, PostureCheckType) and what the device reported (PostureReceivedJSON) against the expectation',
    '2. Contact the user (Email): a disabled firewall, encryption or EDR agent without a reason is a tampering sign',
    '3. Fix the device or remove its enrolment; a device that is not the user\'s (serial number) should be revoked',
  ].join('\n'),
  reference: 'https://developers.cloudflare.com/logs/logpush/logpush-job/datasets/account/device_posture_results/',
  summaryAttributes: ['DeviceName', 'Email', 'PostureCheckName', 'PostureCheckType', 'OSVersion'],
  rule: (e) => e.PostureEvaluatedResult === false,
  title: (e) => `Cloudflare device [${e.DeviceName ?? device(e)}] of [${e.Email ?? '<unknown user>'}] keeps failing posture checks (${e.PostureCheckName ?? lower(e.PostureCheckType)})`,
  dedup: (e) => device(e),
  alertContext: (e) => ({
    DeviceID: e.DeviceID,
    DeviceName: e.DeviceName,
    DeviceSerialNumber: e.DeviceSerialNumber,
    DeviceType: e.DeviceType,
    OSVersion: e.OSVersion,
    Email: e.Email,
    PostureCheckName: e.PostureCheckName,
    PostureCheckType: e.PostureCheckType,
    PostureExpectedJSON: e.PostureExpectedJSON,
    PostureReceivedJSON: e.PostureReceivedJSON,
    ClientVersion: e.ClientVersion,
  }),
  tests: [
    {
      name: 'a failed disk encryption check counts towards its device',
      expected: true,
      dedup: 'd3b07384-0000-4000-8000-000000001101',
      title: 'Cloudflare device [erin-laptop] of [erin@example.com] keeps failing posture checks (Disk encryption)',
      log: {
        ClientVersion: '2026.9.420.0',
        DeviceID: 'd3b07384-0000-4000-8000-000000001101',
        DeviceName: 'erin-laptop',
        DeviceType: 'windows',
        Email: 'erin@example.com',
        OSVersion: '10.0.26100',
        PostureCheckName: 'Disk encryption',
        PostureCheckType: 'disk_encryption',
        PostureEvaluatedResult: false,
        PostureExpectedJSON: { requireAll: true },
        PostureReceivedJSON: { encrypted: false },
        Timestamp: '2026-11-01 10:00:00.000000000',
        p_log_type: 'Cloudflare.DevicePosture',
        p_event_time: '2026-11-01 10:00:00.000000000',
      },
    },
    { name: 'a passed check does not count', expected: false, log: { DeviceID: 'd3b07384-0000-4000-8000-000000001101', PostureEvaluatedResult: true } },
    { name: 'a row without a result does not count', expected: false, log: { DeviceID: 'd3b07384-0000-4000-8000-000000001101', PostureCheckType: 'firewall' } },
  ],
});
