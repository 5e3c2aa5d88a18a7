import {
  DATASETS,
  EVENT_TIME_FIELD,
  FIELDS,
  TIMESTAMP_FORMATS,
  generateLines,
  generateNdjson,
  logpushKey,
  type Dataset,
  type GenerateOptions,
  type TimestampFormat,
} from '../../testkit/generate';
import { LineParser } from '../../lib/record/parser';
import { builtInRegistry } from '../../lib/record/registry';

const registry = builtInRegistry();
const schemaOf = (dataset: Dataset) => registry.forDataset(dataset)!.schema;

/** The four datasets with a hand-tuned generator; every other one is generated from its schema. */
const SEED: readonly Dataset[] = ['http_requests', 'firewall_events', 'spectrum_events', 'audit_logs'];
const SCHEMA_DRIVEN = DATASETS.filter((d) => !SEED.includes(d));

/** The timestamp fields written in the job's format (http_requests' HTTP-date headers are not). */
const SEED_TIME_FIELDS: Partial<Record<Dataset, readonly string[]>> = {
  http_requests: ['EdgeStartTimestamp', 'EdgeEndTimestamp'],
  firewall_events: ['Datetime'],
  spectrum_events: ['Timestamp', 'ConnectTimestamp', 'DisconnectTimestamp'],
  audit_logs: ['When'],
};
const timeFields = (dataset: Dataset): readonly string[] =>
  SEED_TIME_FIELDS[dataset] ?? schemaOf(dataset).fields.filter((f) => f.type === 'timestamp').map((f) => f.name);

/** A timestamp named ...Ms (workers_trace_events EventTimestampMs) is integer milliseconds in every format. */
const inMs = (field: string): boolean => field.endsWith('Ms');

function lines(opts: GenerateOptions): string[] {
  return [...generateLines(opts)];
}

/** The raw JSON text of a top-level scalar field, as written (no parsing, so no rounding). */
function rawValue(line: string, field: string): string {
  const m = new RegExp('"' + field + '":("[^"]*"|-?\\d+)[,}]').exec(line);
  if (m === null) throw new Error(`${field} not found in ${line.slice(0, 200)}`);
  return m[1]!;
}

/** Nanoseconds since the epoch of a raw timestamp value, exactly (BigInt). */
function epochNanos(raw: string, format: TimestampFormat, field = ''): bigint {
  if (inMs(field)) return BigInt(raw) * 1_000_000n;
  if (format === 'unixnano') return BigInt(raw);
  if (format === 'unix') return BigInt(raw) * 1_000_000_000n;
  const m = /^"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z"$/.exec(raw);
  if (m === null) throw new Error(`not an RFC3339 UTC timestamp: ${raw}`);
  const secs = BigInt(Date.parse(m[1]! + 'Z') / 1000);
  return secs * 1_000_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

const START = new Date('2026-11-01T10:00:00Z');
const START_NS = BigInt(START.getTime()) * 1_000_000n;

/**
 * One sample per dataset and timestamp format, generated once and shared by the tests that only read lines (37
 * datasets x 5 formats): 120 lines over 5 seconds from a start that crosses midnight and starts mid-second. Every
 * line varies every field, so more lines only repeat the same checks on the same shapes.
 */
const SAMPLE_LINES = 120;
const SAMPLE_START = new Date('2026-11-01T23:59:58.250Z');
const SAMPLE_SPAN_SECONDS = 5;
const samples = new Map<string, string[]>();
function sample(dataset: Dataset, timestampFormat: TimestampFormat): string[] {
  const key = dataset + ' ' + timestampFormat;
  let s = samples.get(key);
  if (s === undefined) {
    s = lines({ dataset, lines: SAMPLE_LINES, seed: 3, timestampFormat, start: SAMPLE_START, spanSeconds: SAMPLE_SPAN_SECONDS });
    samples.set(key, s);
  }
  return s;
}

describe('generateLines', () => {
  it('generates every built-in log type\'s dataset', () => {
    expect([...DATASETS].sort()).toEqual(registry.datasets().sort());
    expect(DATASETS.slice(0, 4)).toEqual(SEED);
  });

  it.each(DATASETS)('writes %s lines that parse as rows of the log type, with no unknown or invalid field, in every format', (dataset) => {
    const parser = new LineParser(registry.forDataset(dataset)!);
    const bad: string[] = [];
    for (const timestampFormat of TIMESTAMP_FORMATS) {
      for (const line of sample(dataset, timestampFormat)) {
        const reject = parser.parse(line);
        if (reject !== undefined) bad.push(`${timestampFormat}: ${reject.reason} ${reject.message}`);
        else if (parser.cols.unknown !== undefined) bad.push(`${timestampFormat}: unknown ${Object.keys(parser.cols.unknown).join(',')}`);
        else if (parser.cols.invalid !== undefined) bad.push(`${timestampFormat}: invalid ${Object.keys(parser.cols.invalid).join(',')}`);
      }
    }
    expect(bad.slice(0, 10)).toEqual([]);
  });

  it.each(SCHEMA_DRIVEN)('writes every field of the %s schema, in byte order', (dataset) => {
    expect(FIELDS[dataset]).toEqual(schemaOf(dataset).fields.map((f) => f.name).sort());
  });

  it.each(SCHEMA_DRIVEN)('fills %s with values that fit the field: reserved addresses and names, ids, short lists', (dataset) => {
    const EXPECT: Partial<Record<string, RegExp>> = {
      ip: /^(192\.0\.2|198\.51\.100|203\.0\.113)\.\d{1,3}$|^2001:db8(:[0-9a-f]{1,4}){6}$/,
      domain: /^[a-z]+\.example\.(com|net|org)$/,
      url: /^https:\/\/[a-z]+\.example\.(com|net|org)\//,
      email: /^[a-z-]+@example\.(com|net|org)$/,
      md5: /^[0-9a-f]{32}$/,
      sha1: /^[0-9a-f]{40}$/,
      sha256: /^[0-9a-f]{64}$/,
    };
    const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    const bad: string[] = [];
    for (const line of sample(dataset, 'rfc3339')) {
      const rec = JSON.parse(line) as Record<string, unknown>;
      for (const f of schemaOf(dataset).fields) {
        const v = rec[f.name];
        const values = f.type === 'array' ? (v as unknown[]) : [v];
        if (f.type === 'array' && values.length > 3) bad.push(`${f.name}: ${values.length} items`);
        for (const x of values) {
          const ind = f.indicators.find((i) => EXPECT[i] !== undefined);
          if (ind !== undefined && !EXPECT[ind]!.test(String(x))) bad.push(`${f.name} (${ind}): ${String(x)}`);
          if (f.type === 'string' && ind === undefined && /(ID|Id|UUID)$/.test(f.name) && !/(RayID|SSID)$/.test(f.name) && !UUID.test(String(x))) {
            bad.push(`${f.name}: ${String(x)}`);
          }
        }
      }
    }
    expect(bad.slice(0, 10)).toEqual([]);
  });

  it.each(DATASETS)('produces byte-identical %s output for the same options', (dataset) => {
    const opts: GenerateOptions = { dataset, lines: SAMPLE_LINES, seed: 3, timestampFormat: 'rfc3339ns', start: SAMPLE_START, spanSeconds: SAMPLE_SPAN_SECONDS };
    expect(lines(opts)).toEqual(sample(dataset, 'rfc3339ns'));
  });

  it.each(DATASETS)('produces different %s output for a different seed', (dataset) => {
    const a = lines({ dataset, lines: 50, seed: 1 });
    const b = lines({ dataset, lines: 50, seed: 2 });
    expect(a).toHaveLength(50);
    expect(b).toHaveLength(50);
    expect(a.join('\n')).not.toEqual(b.join('\n'));
  });

  it('uses seed 1, unixnano and a 30 second window from 2026-11-01T10:00:00Z by default', () => {
    expect(lines({ dataset: 'http_requests', lines: 20 })).toEqual(
      lines({ dataset: 'http_requests', lines: 20, seed: 1, timestampFormat: 'unixnano', start: START, spanSeconds: 30 }),
    );
  });

  it.each(DATASETS)('writes each %s line as compact JSON with every field, in Cloudflare\'s order', (dataset) => {
    const keys = FIELDS[dataset].join(',');
    const bad: string[] = [];
    // Not unixnano: JSON.parse rounds 19-digit integers, so JSON.stringify would not give the line back.
    for (const format of ['unix', 'rfc3339', 'rfc3339ms', 'rfc3339ns'] as const) {
      for (const line of sample(dataset, format)) {
        const parsed = JSON.parse(line) as Record<string, unknown>;
        if (Object.keys(parsed).join(',') !== keys) bad.push(`keys: ${Object.keys(parsed).join(',')}`);
        // Compact: no spaces or newlines, nothing JSON.stringify would write differently.
        if (JSON.stringify(parsed) !== line) bad.push(`not compact: ${line}`);
      }
    }
    expect(bad.slice(0, 5)).toEqual([]);
  });

  it('orders http_requests keys RayID, EdgeStartTimestamp, then the rest by byte order; other datasets by byte order', () => {
    const http = FIELDS.http_requests;
    expect(http.slice(0, 2)).toEqual(['RayID', 'EdgeStartTimestamp']);
    const rest = http.slice(2);
    expect(rest).toEqual([...rest].sort());
    for (const d of DATASETS.filter((x) => x !== 'http_requests')) {
      expect(FIELDS[d]).toEqual([...FIELDS[d]].sort());
    }
  });

  it('sends a rich http_requests record, like a real job with most fields selected', () => {
    expect(FIELDS.http_requests.length).toBeGreaterThanOrEqual(70);
    const rec = JSON.parse(lines({ dataset: 'http_requests', lines: 1 })[0]!) as Record<string, unknown>;
    expect(typeof rec.ClientLatitude).toBe('string');
    expect(typeof rec.ClientLongitude).toBe('string');
    expect(rec.RayID).toMatch(/^[0-9a-f]{16}$/);
    expect(Array.isArray(rec.SecurityRuleIDs)).toBe(true);
    expect(typeof rec.Cookies).toBe('object');
    expect(FIELDS.spectrum_events).toContain('ClientAsn');
  });

  it('fills http_requests with mostly empty collections, "00" parent rays and random ray ids', () => {
    const recs = lines({ dataset: 'http_requests', lines: 3000 }).map((l) => JSON.parse(l) as Record<string, unknown>);
    const share = (f: (r: Record<string, unknown>) => boolean) => recs.filter(f).length / recs.length;
    expect(share((r) => r.ParentRayID === '00')).toBeGreaterThan(0.95);
    expect(share((r) => (r.SecurityRuleIDs as unknown[]).length === 0)).toBeGreaterThan(0.9);
    expect(share((r) => Object.keys(r.Cookies as object).length === 0)).toBeGreaterThan(0.8);
    expect(share((r) => r.EdgeResponseStatus === 200)).toBeGreaterThan(0.6);
    expect(new Set(recs.map((r) => r.RayID)).size).toBe(recs.length);
    const ips = new Set(recs.map((r) => r.ClientIP));
    expect(ips.size).toBeGreaterThan(100);
    expect(ips.size).toBeLessThan(recs.length); // a pool of clients, some seen many times
    expect([...ips].some((ip) => String(ip).includes(':'))).toBe(true);
    for (const r of recs) {
      for (const f of ['OriginResponseHTTPExpires', 'OriginResponseHTTPLastModified']) {
        expect(r[f]).toMatch(/^$|^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT$/);
      }
    }
  });

  it.each(DATASETS)('writes unixnano %s timestamps as exact 19-digit integer literals (...Ms ones as 13-digit milliseconds)', (dataset) => {
    const bad: string[] = [];
    for (const line of sample(dataset, 'unixnano')) {
      for (const field of timeFields(dataset)) {
        const raw = rawValue(line, field);
        if (field === 'DisconnectTimestamp' && raw === '0') continue; // a connect event: the epoch
        if (!(inMs(field) ? /^[1-9]\d{12}$/ : /^[1-9]\d{18}$/).test(raw)) bad.push(`${field}=${raw}`);
      }
      // The event time's nanoseconds end in a non-zero digit, so a parser that goes through a double is caught.
      const event = rawValue(line, EVENT_TIME_FIELD[dataset]);
      if (!inMs(EVENT_TIME_FIELD[dataset]) && (event.endsWith('0') || String(JSON.parse(event)) === event)) bad.push(`round ${event}`);
    }
    expect(bad).toEqual([]);
  });

  const FORMAT_PATTERNS: Record<TimestampFormat, RegExp> = {
    unixnano: /^\d{19}$/,
    unix: /^\d{10}$/,
    rfc3339: /^"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"$/,
    rfc3339ms: /^"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"$/,
    rfc3339ns: /^"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z"$/,
  };

  it.each(TIMESTAMP_FORMATS)('writes %s timestamps the way Logpush does, in every dataset', (format) => {
    const bad: string[] = [];
    for (const dataset of DATASETS) {
      for (const line of sample(dataset, format)) {
        for (const field of timeFields(dataset)) {
          const raw = rawValue(line, field);
          if (field === 'DisconnectTimestamp' && /^0$|^"1970-01-01T00:00:00(\.0+)?Z"$/.test(raw)) continue;
          if (!(inMs(field) ? /^\d{13}$/ : FORMAT_PATTERNS[format]).test(raw)) bad.push(`${dataset}.${field}=${raw}`);
        }
      }
    }
    expect(bad).toEqual([]);
  });

  it('writes nanosecond digits that are not all zero in rfc3339ns', () => {
    const fracs = lines({ dataset: 'firewall_events', lines: 200, timestampFormat: 'rfc3339ns' }).map(
      (l) => /\.(\d{9})Z"$/.exec(rawValue(l, 'Datetime'))![1]!,
    );
    for (const f of fracs) expect(f.endsWith('0')).toBe(false);
    expect(new Set(fracs).size).toBe(fracs.length);
  });

  it.each(TIMESTAMP_FORMATS)('sets DisconnectTimestamp to the epoch on spectrum connect events (%s)', (format) => {
    const recs = [1, 2, 3].flatMap((seed) => lines({ dataset: 'spectrum_events', lines: 400, seed, timestampFormat: format }));
    const connects = recs.filter((l) => l.includes('"Event":"connect"'));
    const disconnects = recs.filter((l) => l.includes('"Event":"disconnect"'));
    expect(connects.length).toBeGreaterThan(150);
    expect(disconnects.length).toBeGreaterThan(150);
    for (const l of connects) {
      expect(epochNanos(rawValue(l, 'DisconnectTimestamp'), format)).toBe(0n);
      expect(rawValue(l, 'ConnectTimestamp')).toBe(rawValue(l, 'Timestamp'));
    }
    for (const l of disconnects) {
      const connect = epochNanos(rawValue(l, 'ConnectTimestamp'), format);
      expect(connect).toBeLessThanOrEqual(epochNanos(rawValue(l, 'Timestamp'), format));
      expect(rawValue(l, 'DisconnectTimestamp')).toBe(rawValue(l, 'Timestamp'));
    }
    if (format === 'rfc3339') expect(rawValue(connects[0]!, 'DisconnectTimestamp')).toBe('"1970-01-01T00:00:00Z"');
  });

  it.each(DATASETS)('keeps %s event times within [start, start + span), roughly in order', (dataset) => {
    const startNs = BigInt(SAMPLE_START.getTime()) * 1_000_000n; // crosses midnight, starts mid-second
    const spanNs = BigInt(SAMPLE_SPAN_SECONDS) * 1_000_000_000n;
    for (const format of ['unixnano', 'rfc3339ns'] as const) {
      const times = sample(dataset, format).map((l) => epochNanos(rawValue(l, EVENT_TIME_FIELD[dataset]), format, EVENT_TIME_FIELD[dataset]));
      const min = times.reduce((a, b) => (b < a ? b : a));
      const max = times.reduce((a, b) => (b > a ? b : a));
      expect(min).toBeGreaterThanOrEqual(startNs);
      expect(max).toBeLessThan(startNs + spanNs);
      const decile = times.length / 10;
      const avg = (xs: bigint[]) => xs.reduce((a, b) => a + b, 0n) / BigInt(xs.length);
      expect(avg(times.slice(0, decile))).toBeLessThan(avg(times.slice(-decile)));
      expect(times[0]! - startNs).toBeLessThan(spanNs / 10n);
      expect(startNs + spanNs - times[times.length - 1]!).toBeLessThan(spanNs / 10n);
    }
  });

  it('keeps event times inside the default window at second precision too', () => {
    for (const format of ['unix', 'rfc3339', 'rfc3339ms'] as const) {
      const times = lines({ dataset: 'http_requests', lines: 500, timestampFormat: format }).map((l) =>
        epochNanos(rawValue(l, 'EdgeStartTimestamp'), format),
      );
      expect(times.filter((t) => t < START_NS || t >= START_NS + 30_000_000_000n)).toEqual([]);
    }
  });

  it('yields nothing for zero lines and refuses invalid options', () => {
    expect(lines({ dataset: 'audit_logs', lines: 0 })).toEqual([]);
    expect(() => lines({ dataset: 'no_such_logs' as Dataset, lines: 1 })).toThrow(RangeError);
    expect(() => lines({ dataset: 'audit_logs', lines: -1 })).toThrow(RangeError);
    expect(() => lines({ dataset: 'audit_logs', lines: 1, timestampFormat: 'iso' as TimestampFormat })).toThrow(RangeError);
    expect(() => lines({ dataset: 'audit_logs', lines: 1, spanSeconds: 0 })).toThrow(RangeError);
  });
});

describe('generateNdjson', () => {
  it('returns the generated lines, each ending in a newline', () => {
    const opts: GenerateOptions = { dataset: 'firewall_events', lines: 250, seed: 9 };
    const body = generateNdjson(opts);
    expect(body.toString('utf8')).toBe(lines(opts).map((l) => l + '\n').join(''));
    expect(body[body.length - 1]).toBe(10);
  });

  it('encodes non-ASCII values as UTF-8', () => {
    const body = generateNdjson({ dataset: 'http_requests', lines: 3000 });
    const text = body.toString('utf8');
    expect(Buffer.byteLength(text)).toBe(body.length);
    expect(text).toContain('São Paulo');
  });

  it('returns an empty body for zero lines', () => {
    expect(generateNdjson({ dataset: 'spectrum_events', lines: 0 }).length).toBe(0);
  });
});

describe('logpushKey', () => {
  it('names objects like Logpush: prefix, dataset, day folder, window start and end, 8 hex digits', () => {
    const key = logpushKey('cloudflare', { dataset: 'http_requests', lines: 10 });
    expect(key).toMatch(/^cloudflare\/http_requests\/20261101\/20261101T100000Z_20261101T100030Z_[0-9a-f]{8}\.log\.gz$/);
  });

  it('follows the start and span, and ignores a trailing slash or an empty prefix', () => {
    const opts: GenerateOptions = { dataset: 'audit_logs', lines: 1, start: new Date('2026-12-31T23:59:45Z'), spanSeconds: 30 };
    expect(logpushKey('logs/', opts)).toMatch(/^logs\/audit_logs\/20261231\/20261231T235945Z_20270101T000015Z_[0-9a-f]{8}\.log\.gz$/);
    expect(logpushKey('', opts)).toMatch(/^audit_logs\/20261231\//);
  });

  it('is deterministic and differs between objects', () => {
    const opts: GenerateOptions = { dataset: 'spectrum_events', lines: 100, seed: 5 };
    // The 8 hex digits come from the options, so the same options name the same object.
    expect(logpushKey('p', opts)).toBe('p/spectrum_events/20261101/20261101T100000Z_20261101T100030Z_1a91b64f.log.gz');
    expect(logpushKey('p', { ...opts, seed: 6 })).toBe('p/spectrum_events/20261101/20261101T100000Z_20261101T100030Z_ce48eefa.log.gz');
    expect(logpushKey('p', { ...opts, lines: 101 })).toBe('p/spectrum_events/20261101/20261101T100000Z_20261101T100030Z_92138fa8.log.gz');
  });
});
