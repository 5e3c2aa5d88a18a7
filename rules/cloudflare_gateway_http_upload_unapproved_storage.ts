import { defineRule } from '../lib/rules/model';
import type { GatewayHTTPEvent } from '../lib/rules/events';
import { gatewayHttpContext, lower } from './_helpers';

/**
 * A file was uploaded (POST or PUT with UploadedFileNames) to an application the organisation marked
 * "unapproved" in Cloudflare's application review (ApplicationStatuses), or to a site in a file-sharing / cloud
 * storage category, and Gateway let it through. Copying files to a personal or unsanctioned storage service is the
 * commonest exfiltration path (ATT&CK "exfiltration to cloud storage"). Gateway HTTP logs carry no request size,
 * so "large" cannot be judged here; the file names are in the alert.
 *
 * Threshold 1, Medium: one upload may be innocent (a personal photo), but an unapproved destination was chosen by
 * the organisation as unwanted. One alert per user and host per hour, so a bulk upload is one alert.
 */
const UPLOAD_METHODS = new Set(['post', 'put']);
const STORAGE_WORDS = ['file sharing', 'cloud storage', 'file storage', 'online storage'];

const unapproved = (e: GatewayHTTPEvent): boolean => (e.ApplicationStatuses ?? []).some((s) => lower(s) === 'unapproved');
const storage = (e: GatewayHTTPEvent): boolean => (e.CategoryNames ?? []).some((c) => STORAGE_WORDS.some((w) => lower(c).includes(w)));

const who = (e: GatewayHTTPEvent): string => e.Email || e.UserID || e.DeviceName || e.SourceIP || '<unknown user>';
const app = (e: GatewayHTTPEvent): string => e.ApplicationNames?.[0] || e.HTTPHost || '<unknown destination>';

export default defineRule<GatewayHTTPEvent>({
  id: 'Cloudflare.GatewayHTTP.UploadToUnapprovedStorage',
  displayName: 'Cloudflare Gateway File Upload to Unapproved Storage',
  logTypes: ['Cloudflare.GatewayHTTP'],
  severity: 'Medium',
  dedupPeriodMinutes: 60,
  tags: ['Cloudflare', 'Zero Trust', 'Gateway', 'Exfiltration', 'attack.exfiltration', 'attack.t1567', 'attack.t1567.002'],
  description: 'A file upload allowed by Gateway to an application marked unapproved, or to a file-sharing or cloud-storage site',
  runbook: [
    '1. Find the user and device (Email, DeviceName), the destination (ApplicationNames, HTTPHost) and the files (UploadedFileNames)',
    '2. Ask the user what was uploaded and why; check the files for sensitive content (DLP matches, forensic copies)',
    '3. If the destination must not be used, add a Gateway HTTP policy blocking uploads to it',
  ].join('\n'),
  reference: 'https://developers.cloudflare.com/logs/logpush/logpush-job/datasets/account/gateway_http/',
  summaryAttributes: ['Email', 'DeviceName', 'HTTPHost', 'ApplicationNames', 'UploadedFileNames'],
  rule: (e) =>
    UPLOAD_METHODS.has(lower(e.HTTPMethod)) && (e.UploadedFileNames ?? []).length > 0 && lower(e.Action) !== 'block' && (unapproved(e) || storage(e)),
  title: (e) => `Cloudflare Gateway: [${who(e)}] uploaded ${(e.UploadedFileNames ?? []).length} file(s) to [${app(e)}]`,
  dedup: (e) => `${who(e)}:${lower(e.HTTPHost)}`,
  alertContext: (e) => ({
    ...gatewayHttpContext(e),
    ApplicationNames: e.ApplicationNames,
    ApplicationStatuses: e.ApplicationStatuses,
    CategoryNames: e.CategoryNames,
    UploadedFileNames: e.UploadedFileNames,
    UploadMatchedDlpProfiles: e.UploadMatchedDlpProfiles,
  }),
  tests: [
    {
      name: 'an upload to an unapproved application matches',
      expected: true,
      title: 'Cloudflare Gateway: [frank@example.com] uploaded 2 file(s) to [ExampleDrive]',
      dedup: 'frank@example.com:upload.example.net',
      log: {
        Action: 'allow',
        ApplicationIDs: [1234],
        ApplicationNames: ['ExampleDrive'],
        ApplicationStatuses: ['unapproved'],
        CategoryNames: ['File Sharing'],
        Datetime: '2026-11-01 10:00:00.000000000',
        DeviceName: 'frank-mbp',
        Email: 'frank@example.com',
        HTTPHost: 'upload.example.net',
        HTTPMethod: 'POST',
        HTTPStatusCode: 200,
        SourceIP: '198.51.100.90',
        UploadedFileNames: ['customers.csv', 'roadmap.pdf'],
        URL: 'https://upload.example.net/api/upload',
        p_log_type: 'Cloudflare.GatewayHTTP',
        p_event_time: '2026-11-01 10:00:00.000000000',
      },
    },
    {
      name: 'an upload to an approved application does not match',
      expected: false,
      log: { Action: 'allow', ApplicationStatuses: ['approved'], CategoryNames: ['Business'], HTTPMethod: 'PUT', UploadedFileNames: ['report.pdf'] },
    },
    {
      name: 'a download from a file-sharing site does not match',
      expected: false,
      log: { Action: 'allow', CategoryNames: ['File Sharing'], HTTPMethod: 'GET', DownloadedFileNames: ['setup.zip'] },
    },
    {
      name: 'a blocked upload does not match',
      expected: false,
      log: { Action: 'block', ApplicationStatuses: ['unapproved'], HTTPMethod: 'POST', UploadedFileNames: ['customers.csv'] },
    },
    {
      name: 'a POST without files to a storage site does not match',
      expected: false,
      log: { Action: 'allow', CategoryNames: ['Cloud Storage'], HTTPMethod: 'POST', UploadedFileNames: [] },
    },
  ],
});
