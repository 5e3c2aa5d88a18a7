import { defineRule } from '../lib/rules/model';
import type { CASBFindingEvent } from '../lib/rules/events';
import { lower } from './_helpers';

/**
 * Cloudflare CASB found a High or Critical posture problem in a connected SaaS application (a file shared
 * publicly, an admin without two-factor sign-in, a risky third-party app with broad scopes, ...). The finding type
 * carries the severity (FindingTypeSeverity); Critical findings alert as Critical.
 *
 * Threshold 1; one alert per finding type and asset per day: CASB reports a finding again on every scan while it is
 * open, and a daily reminder is enough. Low and Medium findings are backlog work for the dashboard, not alerts.
 */
const ALERTING = new Set(['high', 'critical']);
const asset = (e: CASBFindingEvent): string => e.AssetDisplayName || e.AssetExternalID || '<unknown asset>';

export default defineRule<CASBFindingEvent>({
  id: 'Cloudflare.CASBFinding.HighSeverity',
  displayName: 'Cloudflare CASB High or Critical Finding',
  logTypes: ['Cloudflare.CASBFinding'],
  severity: 'High',
  dedupPeriodMinutes: 1440,
  tags: ['Cloudflare', 'Zero Trust', 'CASB', 'attack.collection', 'attack.t1530', 'attack.persistence', 'attack.t1098'],
  description: 'A high- or critical-severity CASB posture finding in a connected SaaS application',
  runbook: [
    '1. Open the finding (FindingTypeDisplayName) for the asset (AssetLink) in the CASB dashboard and read its remediation',
    '2. Find who owns the asset; fix the exposure (unshare, remove the app, enable two-factor sign-in)',
    '3. For an exposure that lasted, check the SaaS audit log for access by outsiders meanwhile',
  ].join('\n'),
  reference: 'https://developers.cloudflare.com/logs/logpush/logpush-job/datasets/account/casb_findings/',
  summaryAttributes: ['IntegrationDisplayName', 'FindingTypeDisplayName', 'FindingTypeSeverity', 'AssetDisplayName'],
  rule: (e) => ALERTING.has(lower(e.FindingTypeSeverity)),
  severityOf: (e) => (lower(e.FindingTypeSeverity) === 'critical' ? 'Critical' : 'DEFAULT'),
  title: (e) => `Cloudflare CASB ${lower(e.FindingTypeSeverity)} finding [${e.FindingTypeDisplayName ?? '<unknown finding>'}] on [${asset(e)}] (${e.IntegrationDisplayName ?? 'CASB'})`,
  dedup: (e) => `${e.FindingTypeID ?? e.FindingTypeDisplayName ?? '<finding>'}:${e.AssetExternalID ?? asset(e)}`,
  alertContext: (e) => ({
    IntegrationDisplayName: e.IntegrationDisplayName,
    IntegrationPolicyVendor: e.IntegrationPolicyVendor,
    FindingTypeDisplayName: e.FindingTypeDisplayName,
    FindingTypeSeverity: e.FindingTypeSeverity,
    AssetDisplayName: e.AssetDisplayName,
    AssetExternalID: e.AssetExternalID,
    AssetLink: e.AssetLink,
    InstanceID: e.InstanceID,
  }),
  tests: [
    {
      name: 'a critical finding matches as Critical',
      expected: true,
      severity: 'Critical',
      title: 'Cloudflare CASB critical finding [Google Workspace File Publicly Accessible] on [payroll-2026.xlsx] (Workspace prod)',
      log: {
        AssetDisplayName: 'payroll-2026.xlsx',
        AssetExternalID: '1AbCdEfGhIjKlMnOpQrStUvWxYz',
        AssetLink: 'https://drive.example.com/file/d/1AbCdEfGhIjKlMnOpQrStUvWxYz',
        DetectedTimestamp: '2026-11-01 10:00:00.000000000',
        FindingTypeDisplayName: 'Google Workspace File Publicly Accessible',
        FindingTypeID: 'a1b2c3d4-0000-4000-8000-000000000901',
        FindingTypeSeverity: 'Critical',
        InstanceID: 'a1b2c3d4-0000-4000-8000-000000000902',
        IntegrationDisplayName: 'Workspace prod',
        IntegrationID: 'a1b2c3d4-0000-4000-8000-000000000903',
        p_log_type: 'Cloudflare.CASBFinding',
        p_event_time: '2026-11-01 10:00:00.000000000',
      },
    },
    { name: 'a high finding matches as High', expected: true, severity: 'High', log: { FindingTypeDisplayName: 'Admin Without 2FA', FindingTypeSeverity: 'High', AssetDisplayName: 'it-admin@example.com' } },
    { name: 'a medium finding does not match', expected: false, log: { FindingTypeDisplayName: 'File Shared With Domain', FindingTypeSeverity: 'Medium' } },
    { name: 'a low finding does not match', expected: false, log: { FindingTypeDisplayName: 'Inactive User', FindingTypeSeverity: 'Low' } },
  ],
});
