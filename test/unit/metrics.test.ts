import { MetricRecord, outcomeMetrics } from '../../lib/s3/metrics';
import type { ProcessSummary } from '../../lib/pipeline/process';

const summary: ProcessSummary = {
  source: 's3://b/k',
  logType: 'Cloudflare.Firewall',
  compression: 'gzip',
  bytesIn: 100,
  decompressedBytes: 1000,
  lines: 10,
  rows: 6,
  rejectsByReason: { invalid_json: 1, schema: 1 },
  rejected: 2,
  filtered: 1,
  filteredBy: { 'keep-blocked': 1 },
  blank: 1,
  unknownFields: { NewField: 3 },
  invalidFields: { BotScore: 2 },
  outputs: [{ key: 'logs/x', kind: 'events', table: 'cloudflare_firewall', rows: 6, bytes: 77 }],
  durationMs: 5,
  salvaged: true,
  suspectLogType: { rows: 4, bestFit: 'Cloudflare.GatewayDNS' },
};

describe('object metrics', () => {
  it('report rows, rejects by reason, filtered by filter, bytes (in, decompressed, written) and salvage, dimensioned by log type', () => {
    const got: [string, number, Record<string, string> | undefined][] = [];
    const records: MetricRecord[] = [];
    const m = outcomeMetrics((rs) => records.push(...rs));
    m.objectDone({ status: 'processed', summary });
    const lt = { logType: 'Cloudflare.Firewall' };
    for (const r of records) for (const [n, v] of r.metrics) got.push([n, v, r.dimensions]);
    // One record per dimension set: the log type's, and one per reason, filter and field.
    expect(records.map((r) => JSON.stringify(r.dimensions ?? {})).sort()).toEqual(
      [lt, { ...lt, reason: 'invalid_json' }, { ...lt, reason: 'schema' }, { ...lt, filter: 'keep-blocked' }, { ...lt, field: 'BotScore' }].map((d) => JSON.stringify(d)).sort(),
    );
    expect(got).toEqual(
      expect.arrayContaining([
        ['ObjectsProcessed', 1, lt],
        ['LinesRead', 10, lt],
        ['RowsWritten', 6, lt],
        ['Rejects', 2, lt],
        ['RejectsByReason', 1, { ...lt, reason: 'invalid_json' }],
        ['RejectsByReason', 1, { ...lt, reason: 'schema' }],
        ['FilteredByFilter', 1, { ...lt, filter: 'keep-blocked' }],
        ['BytesIn', 100, lt],
        ['BytesDecompressed', 1000, lt],
        ['BytesWritten', 77, lt],
        ['InvalidFields', 2, { ...lt, field: 'BotScore' }],
        ['SuspectLogTypeRows', 4, lt],
        ['UnknownFieldNames', 1, lt],
        ['ObjectsSalvaged', 1, lt],
      ]),
    );
  });

  it('count skipped objects by reason and failures', () => {
    const got: [string, number, Record<string, string> | undefined][] = [];
    const m = outcomeMetrics((rs) => {
      for (const r of rs) for (const [n, v] of r.metrics) got.push([n, v, r.dimensions]);
    });
    m.objectDone({ status: 'skipped', reason: 'ownership_challenge' });
    m.objectFailed();
    expect(got).toEqual([
      ['ObjectsSkipped', 1, { reason: 'ownership_challenge' }],
      ['ObjectsFailed', 1, undefined],
    ]);
  });
});
