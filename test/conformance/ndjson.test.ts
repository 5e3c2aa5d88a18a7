/**
 * The conformance check's judgement of NDJSON corpus files (ndjson.ts): which rejects pass, what counts as a lost
 * field, and the agreement it demands between docs/compatibility.md and what it measured. The corpus itself is
 * not read here (it lives outside the project); `npm run conformance` runs it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { LogSchema, FieldSpec } from '../../lib/schema/model';
import { EXPECTED_REJECTS, ExpectedReject, FOLDER_DATASETS } from './differences';
import { checkDocs, judgeRejects, lostFields, REFUSED_HEADING, RESULTS_HEADING, resultsTable, streamOf, StreamResult } from './ndjson';

const field = (name: string, type: FieldSpec['type'], extra: Partial<FieldSpec> = {}): FieldSpec => ({
  name,
  type,
  required: false,
  description: '',
  indicators: [],
  timeFormats: type === 'timestamp' ? ['cloudflare'] : [],
  isEventTime: false,
  aliases: [],
  ...extra,
});

const schema: LogSchema = {
  logType: 'Test.Log',
  description: '',
  table: 'test_log',
  eventTimeField: 'Timestamp',
  fields: [
    field('Timestamp', 'timestamp', { required: true, isEventTime: true }),
    field('ClientASN', 'bigint', { aliases: ['ClientAsn'] }),
    field('Name', 'string'),
    field('Extra', 'json'),
  ],
};

const allowed: ExpectedReject[] = [
  { stream: 'fw', reason: 'missing_required', lines: [4], kind: 'sample', why: 'an http_requests line' },
  { stream: 'na', reason: 'schema', lines: [2, 3], kind: 'drift', why: 'a string in a number column' },
];

describe('streamOf', () => {
  test("an Elastic file's stream is its folder; a file at a producer's top level is its own stream", () => {
    expect(streamOf('elastic-integrations/network_analytics/test-pipeline-network-analytics.log')).toBe('network_analytics');
    expect(streamOf('otel-collector-contrib/all_fields.txt')).toBe('all_fields.txt');
  });
});

describe('judgeRejects', () => {
  test('a reject listed for its stream, reason and line passes, with its why', () => {
    const r = judgeRejects('fw', [{ line: 4, reason: 'missing_required', message: 'Datetime: required field is missing' }], allowed);
    expect(r.failures).toEqual([]);
    expect(r.expected).toEqual(['line 4: missing_required, expected (sample): an http_requests line']);
  });

  test('a reject on an unlisted line, in another stream, or for another reason fails', () => {
    expect(judgeRejects('fw', [{ line: 4, reason: 'missing_required', message: '' }, { line: 2, reason: 'missing_required', message: 'x' }], allowed).failures)
      .toEqual(['fw line 2 rejected unexpectedly: missing_required (x)']);
    expect(judgeRejects('na', [{ line: 2, reason: 'schema', message: '' }, { line: 3, reason: 'invalid_timestamp', message: 'y' }], allowed).failures)
      .toEqual(['na line 3: expected schema, got invalid_timestamp (y)']);
    expect(judgeRejects('dns', [{ line: 4, reason: 'missing_required', message: 'z' }], allowed).failures)
      .toEqual(['dns line 4 rejected unexpectedly: missing_required (z)']);
  });

  test('a listed line that is now a row fails: a sample one should still be refused, a drift one must leave the lists', () => {
    expect(judgeRejects('fw', [], allowed).failures).toEqual(['fw line 4 should be refused as missing_required (an http_requests line)']);
    const drift = judgeRejects('na', [{ line: 3, reason: 'schema', message: '' }], allowed).failures;
    expect(drift).toHaveLength(1);
    expect(drift[0]).toMatch(/^na line 2 is now a row .* remove it from differences\.ts and docs\/compatibility\.md$/);
  });
});

describe('lostFields', () => {
  const row = (o: Record<string, unknown>) => ({ p_log_type: 'Test.Log', ...o });

  test('a field is kept in its column, under an alias, in p_unknown_fields or in p_invalid_fields', () => {
    const input = { Timestamp: 1, ClientAsn: 13335, Name: 'a', Other: 1, Extra: 'x' };
    expect(lostFields(schema, input, row({ Timestamp: 't', ClientASN: 13335, Name: 'a', p_unknown_fields: { Other: 1 }, p_invalid_fields: { Extra: 'x' } }))).toEqual([]);
  });

  test('a field in none of them is lost, and so is an alias beside its field with another value', () => {
    expect(lostFields(schema, { Timestamp: 1, Name: 'a', Other: 2 }, row({ Timestamp: 't' }))).toEqual(['Name', 'Other']);
    expect(lostFields(schema, { Timestamp: 1, ClientASN: 1, ClientAsn: 2 }, row({ Timestamp: 't', ClientASN: 1 }))).toEqual(['ClientAsn']);
    expect(lostFields(schema, { Timestamp: 1, ClientASN: 1, ClientAsn: 1 }, row({ Timestamp: 't', ClientASN: 1 }))).toEqual([]);
  });

  test('null anywhere, and "" outside a text column, are no value: omitting them loses nothing; "" in a text column is a value', () => {
    expect(lostFields(schema, { Timestamp: 1, ClientASN: '', Extra: null, Name: '' }, row({ Timestamp: 't' }))).toEqual(['Name']);
  });
});

describe('checkDocs', () => {
  const results: StreamResult[] = [
    { stream: 'fw', file: 'e/fw/x.log', dataset: 'firewall_events', logType: 'Cloudflare.Firewall', lines: 4, rows: 3, rejectsByReason: { missing_required: 1 }, unknownFields: {} },
    { stream: 'dns', file: 'e/dns/x.log', dataset: 'dns_logs', logType: 'Cloudflare.DNS', lines: 2, rows: 2, rejectsByReason: {}, unknownFields: {} },
  ];
  const page = (table: string[], refused: string[]) =>
    ['# Compatibility', '', REFUSED_HEADING, '', ...refused, '', RESULTS_HEADING, '', ...table, '', '## Later', '| `dns` | stale |'].join('\n');

  test('a page whose table equals the results and that names every allowed refusal passes', () => {
    expect(resultsTable(results).slice(2)).toEqual([
      '| `fw` | firewall_events | Cloudflare.Firewall | 4 | 3 | `missing_required` 1 |',
      '| `dns` | dns_logs | Cloudflare.DNS | 2 | 2 | none |',
    ]);
    const refused = ['| `fw` | `missing_required` | 4 | an http_requests line |'];
    expect(checkDocs(page(resultsTable(results), refused), results, allowed.slice(0, 1))).toEqual([]);
    const withNotes = resultsTable(results).map((l) => (l.startsWith('| `') ? `${l} RFC3339 |` : l));
    expect(checkDocs(page(withNotes, refused), results, allowed.slice(0, 1))).toEqual([]);
  });

  test('a stale or missing table row, or an allowed refusal the page does not name, fails', () => {
    const table = resultsTable(results).map((l) => l.replace('| 2 | 2 | none |', '| 2 | 1 | `schema` 1 |'));
    const failures = checkDocs(page(table.slice(0, 3), []), results, allowed.slice(0, 1));
    expect(failures).toHaveLength(2);
    expect(failures[0]).toMatch(/results table: dns is missing/);
    expect(failures[1]).toMatch(/does not name fw's missing_required refusal/);
    expect(checkDocs(page(table, ['| `fw` | `missing_required` |']), results, allowed.slice(0, 1))[0]).toMatch(/results table: dns is "\| `dns` \| .* \| 1 \| `schema` 1 \|"; the check measured ".* \| 2 \| none \| \(notes\) \|"/);
  });

  test('a page without the sections fails', () => {
    expect(checkDocs('# Compatibility', results, allowed)).toHaveLength(2);
  });
});

describe('the lists the check reads', () => {
  const docs = readFileSync(path.join(__dirname, '..', '..', 'docs', 'compatibility.md'), 'utf8');

  test('docs/compatibility.md names every allowed refusal, with its stream and reason', () => {
    expect(checkDocs(docs, [], EXPECTED_REJECTS).filter((f) => !f.includes(RESULTS_HEADING))).toEqual([]);
  });

  test('every allowed refusal is for a stream the corpora hold (a folder in FOLDER_DATASETS, or a top-level file)', () => {
    for (const e of EXPECTED_REJECTS) expect(e.stream in FOLDER_DATASETS || /\.(log|txt)$/.test(e.stream)).toBe(true);
  });
});
