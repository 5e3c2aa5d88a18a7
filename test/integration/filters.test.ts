import { gzipSync } from 'node:zlib';
import { parseRoutesFile } from '../../lib/config';
import { LocalS3, s3CreatedEvent, startLocalS3 } from '../../testkit/local-s3';
import { handleS3Event, IngestReport } from '../../lib/s3/handler';
import { Router } from '../../lib/route/router';
import { builtInRegistry } from '../../lib/record/registry';
import { INPUT, LAKE, lakeRows, objectDeps, put, recordingLog, tempDir } from '../support/lake';

const ROUTES = `
filters:
  - name: drop-health-checks
    logType: Cloudflare.HttpRequest
    exclude: { raw: { contains: '"ClientRequestPath":"/health"' } }
  - name: drop-monitoring-probes
    logType: Cloudflare.HttpRequest
    exclude: { field: ClientIP, cidr: [192.0.2.0/24] }
  - name: keep-blocked
    logType: Cloudflare.Firewall
    include: { field: Action, in: [block, managed_challenge] }
`;

const http = (i: number, path: string, ip: string) =>
  `{"ClientIP":"${ip}","ClientRequestPath":"${path}","EdgeStartTimestamp":1762000000${String(i).padStart(9, '0')},"RayID":"9a0000000000000${i}"}`;
const fw = (i: number, action: string) => `{"Action":"${action}","ClientIP":"203.0.113.${i}","Datetime":"2026-11-01T10:00:0${i}Z"}`;

let s3: LocalS3;
beforeAll(async () => {
  s3 = await startLocalS3({ directory: tempDir('filters'), buckets: [INPUT, LAKE] });
});
afterAll(() => s3.close());

describe('ingestion filters through the S3 handler', () => {
  it('drops what the filters say, counts each filter, and reconciles every line', async () => {
    const httpBody = gzipSync(
      [http(1, '/health', '203.0.113.1'), http(2, '/', '203.0.113.2'), http(3, '/', '192.0.2.9'), '', http(4, '/api', '203.0.113.4'), 'not json'].join('\n'),
    );
    const fwBody = gzipSync([fw(1, 'block'), fw(2, 'log'), fw(3, 'managed_challenge'), fw(4, 'skip')].join('\n'));
    const objs = [
      { bucket: INPUT, key: 'cf/http_requests/20261101/h.log.gz', ...(await put(s3.client, 'cf/http_requests/20261101/h.log.gz', httpBody)) },
      { bucket: INPUT, key: 'cf/firewall_events/20261101/f.log.gz', ...(await put(s3.client, 'cf/firewall_events/20261101/f.log.gz', fwBody)) },
    ];
    const file = parseRoutesFile(ROUTES);
    const deps = { ...objectDeps(s3.client, recordingLog()), router: new Router(file.routes, builtInRegistry(), { filters: file.filters }) };
    const report = (await handleS3Event(s3CreatedEvent(objs), deps)) as IngestReport;
    expect(report.outcomes.map((o) => (o.status === 'processed' ? o.summary : undefined))).toMatchObject([
      { lines: 6, rows: 2, rejected: 1, blank: 1, filtered: 2, filteredBy: { 'drop-health-checks': 1, 'drop-monitoring-probes': 1 } },
      { lines: 4, rows: 2, rejected: 0, blank: 0, filtered: 2, filteredBy: { 'keep-blocked': 2 } },
    ]);
    const rows = [...(await lakeRows(s3.client)).values()].flat();
    expect(rows.map((r) => r.ClientRequestPath ?? r.Action).sort()).toEqual(['/', '/api', 'block', 'managed_challenge']);
  });
});
