import { createHash } from 'node:crypto';
import { EnrichContext, rowId, rowIdPrefix } from '../../lib/row/writer';
import { enrich, Normalised, parseLine } from '../../testkit/reference';
import { builtInRegistry, LogTypeEntry } from '../../lib/record/registry';

const registry = builtInRegistry();
const http = registry.require('Cloudflare.HttpRequest');
const audit = registry.require('Cloudflare.Audit');

const PARSE_TIME = '2026-11-24 12:00:00.000000000';
const IDENTITY = 's3://logs-bucket/http_requests/20260101/a.log.gz#etag';

function normalised(entry: LogTypeEntry, line: string): Normalised {
  const r = parseLine(entry, line);
  if (!r.ok) throw new Error(r.reject.message);
  return r.value;
}

const ctx = (extra: Partial<EnrichContext> = {}): EnrichContext => ({ rowIdPrefix: rowIdPrefix(IDENTITY), parseTime: PARSE_TIME, ...extra });

describe('p_row_id', () => {
  test('is the first 20 hex digits of SHA-256 of the identity plus the line number in 8 hex digits', () => {
    const sha = createHash('sha256').update(IDENTITY).digest('hex');
    expect(rowIdPrefix(IDENTITY)).toBe(sha.slice(0, 20));
    expect(rowId(rowIdPrefix(IDENTITY), 1)).toBe(sha.slice(0, 20) + '00000001');
    expect(rowId(rowIdPrefix(IDENTITY), 255)).toBe(sha.slice(0, 20) + '000000ff');
    expect(rowId(rowIdPrefix(IDENTITY), 1_000_000)).toBe(sha.slice(0, 20) + '000f4240');
  });

  test('is deterministic for the same input and line, and differs otherwise', () => {
    expect(rowIdPrefix('x')).toBe('2d711642b726b0440162');
    expect(rowIdPrefix('y')).toBe('a1fce4363854ff888cff');
    expect(rowId('p', 1)).toBe('p00000001');
    expect(rowId('p', 2)).toBe('p00000002');
    const line = '{"EdgeStartTimestamp":1506702504,"ClientIP":"192.0.2.1"}';
    const a = enrich(http.plan, normalised(http, line), 7, ctx());
    const b = enrich(http.plan, normalised(http, line), 7, ctx());
    expect(a.json).toBe(b.json);
    expect(JSON.parse(a.json).p_row_id).toBe('8623bcc44e68374a599300000007');
  });
});

describe('enrich', () => {
  test('p_* fields follow the schema fields in the contract order', () => {
    const line =
      '{"Extra":"x","RayID":"7d4b0d6b8c9a1e2f","ClientRequestReferer":"https://ref.example.org/p","ClientIP":"192.0.2.1",' +
      '"EdgeStartTimestamp":1506702504433000200,"ClientRequestHost":"www.example.com"}';
    const out = enrich(http.plan, normalised(http, line), 1, ctx({ sourceId: 'src-1', sourceLabel: 'Prod zone' }));
    const row = JSON.parse(out.json) as Record<string, unknown>;
    expect(Object.keys(row)).toEqual([
      'ClientIP',
      'ClientRequestHost',
      'ClientRequestReferer',
      'EdgeStartTimestamp',
      'RayID',
      'p_log_type',
      'p_row_id',
      'p_event_time',
      'p_parse_time',
      'p_source_id',
      'p_source_label',
      'p_any_ip_addresses',
      'p_any_domain_names',
      'p_any_trace_ids',
      'p_any_urls',
      'p_unknown_fields',
    ]);
    expect(row).toMatchObject({
      p_log_type: 'Cloudflare.HttpRequest',
      p_event_time: '2017-09-29 16:28:24.433000200',
      p_parse_time: PARSE_TIME,
      p_source_id: 'src-1',
      p_source_label: 'Prod zone',
      p_any_ip_addresses: ['192.0.2.1'],
      p_any_domain_names: ['ref.example.org', 'www.example.com'],
      p_any_trace_ids: ['7d4b0d6b8c9a1e2f'],
      p_any_urls: ['https://ref.example.org/p'],
      p_unknown_fields: { Extra: 'x' },
    });
    expect(out.eventTime).toBe('2017-09-29 16:28:24.433000200');
  });

  test('e-mails and usernames come after the IP, domain and trace arrays', () => {
    const line =
      '{"When":"2026-01-02T03:04:05Z","ID":"a1","ResourceType":"zone","ActorEmail":"Ops@Example.com",' +
      '"ActorID":"u2","OwnerID":"u1","ActorIP":"2001:db8::5"}';
    const row = JSON.parse(enrich(audit.plan, normalised(audit, line), 3, ctx()).json) as Record<string, unknown>;
    expect(Object.keys(row).filter((k) => k.startsWith('p_'))).toEqual([
      'p_log_type',
      'p_row_id',
      'p_event_time',
      'p_parse_time',
      'p_any_ip_addresses',
      'p_any_emails',
      'p_any_usernames',
    ]);
    // With no unknown fields the row ends with the last indicator array.
    expect(Object.keys(row).at(-1)).toBe('p_any_usernames');
    expect(row.p_any_emails).toEqual(['ops@example.com']);
    expect(row.p_any_usernames).toEqual(['u1', 'u2']);
    expect(row.p_any_ip_addresses).toEqual(['2001:db8::5']);
  });

  test('no source id/label, no empty arrays and no empty unknown-fields object when there is nothing to say', () => {
    const row = JSON.parse(enrich(http.plan, normalised(http, '{"EdgeStartTimestamp":1506702504,"RayID":"00"}'), 1, ctx()).json);
    expect(row).toEqual({
      EdgeStartTimestamp: '2017-09-29 16:28:24.000000000',
      RayID: '00',
      p_log_type: 'Cloudflare.HttpRequest',
      p_row_id: rowIdPrefix(IDENTITY) + '00000001',
      p_event_time: '2017-09-29 16:28:24.000000000',
      p_parse_time: PARSE_TIME,
    });
  });

  test('indicator values inside array columns are each considered', () => {
    const plan = {
      ...http.plan,
      indicatorFields: [{ name: 'Hosts', type: 'array' as const, index: 0, inputs: ['Hosts'], convert: (v: unknown) => v, required: false, keepsNull: false, indicators: ['domain' as const] }],
    };
    const n: Normalised = { row: { Hosts: ['b.example.com', 'a.example.com', ''] }, unknown: undefined, invalid: undefined, eventTime: '2017-09-29 16:28:24.000000000' };
    expect(JSON.parse(enrich(plan, n, 1, ctx()).json).p_any_domain_names).toEqual(['a.example.com', 'b.example.com']);
  });

  test('without an event time the parse time stands in', () => {
    const n: Normalised = { row: {}, unknown: undefined, invalid: undefined, eventTime: undefined };
    const out = enrich(http.plan, n, 1, ctx());
    expect(out.eventTime).toBe(PARSE_TIME);
    expect(JSON.parse(out.json).p_event_time).toBe(PARSE_TIME);
  });
});
