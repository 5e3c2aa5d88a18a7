import { alertRecord, AlertRecord } from '../../lib/rules/alert';
import { ALERT_COLUMNS } from '../../lib/rules/alert-record';
import { builtInRules } from '../../lib/rules/builtin';
import { RuleSet } from '../../lib/rules/engine';
import { MemoryStateStore } from '../../lib/rules/store';

const FIRED_AT = new Date('2026-01-12T09:00:00.123Z');
const LATER = new Date('2026-01-12T09:30:00Z');

async function react2shellAlert() {
  const set = new RuleSet(builtInRules());
  const d = set.forLogType('Cloudflare.Firewall')!.start();
  for (const [i, t] of ['08:30:00.000000000', '08:31:15.500000000'].entries()) {
    d.onRow({
      Action: 'block',
      ClientIP: '198.51.100.201',
      ClientRequestHost: 'app.example.com',
      Datetime: `2026-01-12 ${t}`,
      EdgeColoCode: 'AMS',
      EdgeResponseStatus: 403,
      Kind: 'firewall',
      RuleID: '33aa8a8a948b48b28d40450c5fb92fba',
      Source: 'firewallmanaged',
      p_log_type: 'Cloudflare.Firewall',
      p_row_id: `9a2a152c53130b1609ce0000000${i + 1}`,
      p_event_time: `2026-01-12 ${t}`,
    });
  }
  const { fired } = await new MemoryStateStore(() => FIRED_AT).apply('s3://logs/firewall/1.log.gz#v1', d.contributions());
  const alert = fired.find((a) => a.ruleId === 'Cloudflare.Firewall.React2Shell.RCE')!;
  return { rule: set.get(alert.ruleId), alert };
}

test("an alert record carries Panther's payload fields, then what matched", async () => {
  const { rule, alert } = await react2shellAlert();
  const record = alertRecord(rule, alert, LATER);
  expect(record).toEqual({
    id: 'Cloudflare.Firewall.React2Shell.RCE',
    alertId: alert.alertId,
    title: 'Cloudflare React2Shell (CVE-2025-55182) Exploit Detected from [198.51.100.201]',
    severity: 'HIGH',
    type: 'RULE',
    createdAt: '2026-01-12 09:00:00.123000000',
    updatedAt: '2026-01-12 09:30:00.000000000',
    name: 'Cloudflare React2Shell RCE Attempt Detected',
    alertContext: {
      Action: 'block',
      ClientIP: '198.51.100.201',
      ClientRequestHost: 'app.example.com',
      Datetime: '2026-01-12 08:30:00.000000000',
      EdgeColoCode: 'AMS',
      EdgeResponseStatus: 403,
      Kind: 'firewall',
      RuleID: '33aa8a8a948b48b28d40450c5fb92fba',
      Source: 'firewallmanaged',
      pan_cf_source: 'Firewall Managed Rules',
    },
    description: 'Detects React2Shell (CVE-2025-55182) RCE attempts blocked by Cloudflare WAF',
    runbook: expect.stringMatching(/^1\. Query Cloudflare Firewall logs/),
    reference: 'https://blog.cloudflare.com/cloudflare-protection-against-cve-2025-55182-react2shell',
    tags: ['Cloudflare', 'RCE', 'React2Shell', 'CVE-2025-55182'],
    ruleId: 'Cloudflare.Firewall.React2Shell.RCE',
    logTypes: ['Cloudflare.Firewall'],
    dedup: 'Cloudflare React2Shell (CVE-2025-55182) Exploit Detected from [198.51.100.201]',
    dedupPeriodMinutes: 60,
    threshold: 1,
    windowStart: '2026-01-12 08:30:00.000000000',
    windowEnd: '2026-01-12 09:30:00.000000000',
    eventCount: 2,
    firstEventTime: '2026-01-12 08:30:00.000000000',
    lastEventTime: '2026-01-12 08:31:15.500000000',
    rowIds: ['9a2a152c53130b1609ce00000001', '9a2a152c53130b1609ce00000002'],
    summaryAlertId: null,
  });
  expect(alert.alertId).toMatch(/^[0-9a-f]{32}$/);
  // The written JSON's field order is the contract's.
  const order = ['id', 'alertId', 'title', 'severity', 'type', 'createdAt', 'updatedAt', 'name', 'alertContext', 'description', 'runbook', 'reference', 'tags',
    'ruleId', 'logTypes', 'dedup', 'dedupPeriodMinutes', 'threshold', 'windowStart', 'windowEnd', 'eventCount', 'firstEventTime', 'lastEventTime', 'rowIds', 'summaryAlertId'];
  expect(Object.keys(record)).toEqual(order);
  expect(ALERT_COLUMNS.map((c) => c.name)).toEqual(order);
});

test('the alert record type derives from its columns: numbers for bigint, lists for arrays, null where the record has no value', () => {
  const r: Pick<AlertRecord, 'severity' | 'eventCount' | 'dedupPeriodMinutes' | 'rowIds' | 'alertContext' | 'summaryAlertId'> = {
    severity: 'CRITICAL',
    eventCount: 3,
    dedupPeriodMinutes: null,
    rowIds: ['a'],
    alertContext: { k: 1 },
    summaryAlertId: null,
  };
  // @ts-expect-error the record's severity is in capitals
  const lower: AlertRecord['severity'] = 'High';
  // @ts-expect-error a count is a number, not the lake's text
  const text: AlertRecord['eventCount'] = '3';
  // @ts-expect-error only nullable fields take null
  const missing: AlertRecord['ruleId'] = null;
  expect([r.severity, lower, text, missing]).toEqual(['CRITICAL', 'High', '3', null]);
  expect(ALERT_COLUMNS.filter((c) => c.nullable).map((c) => c.name)).toEqual(['dedupPeriodMinutes', 'threshold', 'summaryAlertId']);
});

test('an alert of a rule no longer loaded still makes a record from the state', async () => {
  const { alert } = await react2shellAlert();
  expect(alertRecord(undefined, alert, LATER)).toMatchObject({ id: alert.ruleId, name: alert.ruleId, description: '', tags: [], logTypes: [], threshold: null, eventCount: 2 });
});
