import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { parseCommand } from '../../lib/cli/parse';
import { queryCommand } from '../../lib/cli/query';
import { LAKE_FILE, readLakeFile } from '../../testkit/lake-files';
import type { OutputCompression } from '../../lib/lake/codec';
import { filesUnder, tempDir } from '../support/lake';
import { writeSampleLake } from '../support/sample-lake';

const writeLake = (compression: OutputCompression): Promise<string> => writeSampleLake(compression, `query-${compression}`);

/** The lines of the lake's files under `kind/`, by table. */
function linesByTable(lake: string, kind: 'logs' | 'rejects'): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of filesUnder(lake).filter((p) => p.startsWith(`${kind}/`) && LAKE_FILE.test(p))) {
    const table = f.split('/')[1] as string;
    const lines = readLakeFile(readFileSync(join(lake, f))).split('\n').filter((l) => l !== '');
    out.set(table, [...(out.get(table) ?? []), ...lines]);
  }
  return out;
}

async function query(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const sink = (add: (s: string) => void): Writable =>
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        add(chunk.toString('utf8'));
        cb();
      },
    });
  const code = await queryCommand(argv, { stdout: sink((s) => (stdout += s)), stderr: sink((s) => (stderr += s)) });
  return { code, stdout, stderr };
}

const ndjson = (text: string): Record<string, unknown>[] =>
  text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('cflogs query', () => {
  let lake: string;
  let rows: Map<string, string[]>;
  beforeAll(async () => {
    lake = await writeLake('zstd');
    rows = linesByTable(lake, 'logs');
  }, 60000);

  it('has a view per table with files, each with every row', async () => {
    expect(rows.size).toBeGreaterThan(3);
    for (const [table, lines] of rows) {
      const r = await query(['--lake', lake, '--json', `SELECT count(*) AS n FROM ${table}`]);
      expect([table, r.code, r.stderr]).toEqual([table, 0, '']);
      expect([table, ndjson(r.stdout)]).toEqual([table, [{ n: lines.length }]]);
    }
  }, 60000);

  it('types p_event_time as a timestamp to the microsecond, with p_event_time_ns to the nanosecond', async () => {
    const times = (rows.get('cloudflare_httprequest') ?? []).map((l) => (JSON.parse(l) as { p_event_time: string }).p_event_time).sort();
    const first = times[0] as string;
    const ms = Date.parse(`${first.replace(' ', 'T').slice(0, 23)}Z`);
    const ns = (BigInt(Date.parse(`${first.replace(' ', 'T').slice(0, 19)}Z`)) * 1_000_000n + BigInt(first.slice(20))).toString();
    const r = await query([
      '--lake', lake, '--json',
      `SELECT typeof(min(p_event_time)) AS type, strftime(min(p_event_time), '%Y-%m-%d %H:%M:%S.%f') AS t, epoch_ms(min(p_event_time)) AS ms,
              min(p_event_time_ns)::VARCHAR AS ns, count(*) FILTER (WHERE p_event_time_ns > ${ns}) AS later
       FROM cloudflare_httprequest`,
    ]);
    expect(r.stderr).toBe('');
    expect(ndjson(r.stdout)).toEqual([{ type: 'TIMESTAMP', t: first.slice(0, 26), ms, ns, later: times.filter((t) => t > first).length }]);
  });

  it('prints an aligned table by default', async () => {
    const r = await query(['--lake', lake, "SELECT 'a' AS name, 12345 AS n UNION ALL SELECT 'longer', 7 ORDER BY n"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(['name        n', '------  -----', 'longer      7', 'a       12345', '(2 rows)', ''].join('\n'));
  });

  it('has the reject records in cflogs_rejects, with their table', async () => {
    const rejects = linesByTable(lake, 'rejects');
    const expected = [...rejects].flatMap(([table, lines]) =>
      lines.map((l) => {
        const j = JSON.parse(l) as { source: string; line: number; reason: string };
        return { table_name: table, source: j.source, line: j.line, reason: j.reason };
      }),
    );
    expect(expected.length).toBeGreaterThan(0);
    const r = await query(['--lake', lake, '--json', 'SELECT table_name, source, line, reason FROM cflogs_rejects ORDER BY ALL']);
    expect(r.stderr).toBe('');
    const byAll = (a: Record<string, unknown>, b: Record<string, unknown>): number => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1);
    expect(ndjson(r.stdout).sort(byAll)).toEqual(expected.sort(byAll));
    const t = await query(['--lake', lake, '--json', 'SELECT DISTINCT typeof(parse_time) AS type FROM cflogs_rejects']);
    expect(ndjson(t.stdout)).toEqual([{ type: 'TIMESTAMP' }]);
  });

  it('reads a gzip lake alike', async () => {
    const gz = await writeLake('gzip');
    expect(filesUnder(gz).some((f) => f.endsWith('.json.gz'))).toBe(true);
    const r = await query(['--lake', gz, '--json', 'SELECT count(*) AS n FROM cloudflare_httprequest']);
    expect(ndjson(r.stdout)).toEqual([{ n: rows.get('cloudflare_httprequest')?.length }]);
  }, 60000);

  it('exits 1 with a message for a missing lake, an empty one, and bad SQL', async () => {
    const missing = await query(['--lake', join(lake, 'nope'), 'SELECT 1']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no lake at .*nope/);
    const empty = await query(['--lake', tempDir('query-empty'), 'SELECT 1']);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/no lake files/);
    const bad = await query(['--lake', lake, 'SELECT nope FROM cloudflare_httprequest']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/Binder Error.*nope/);
  });
});

describe('cflogs query over every timestamp the lake accepts (years 0001 to 9999)', () => {
  // Go's zero time, the lake's last nanosecond, both ends of 64-bit nanoseconds (1677-09-21 .. 2262-04-11) and one
  // nanosecond past each, a time just before 1970, and an ordinary unixnano; EdgeEndTimestamp is a second timestamp
  // column, OriginResponseHTTPExpires one read from an HTTP date.
  const times = [
    ['0001-01-01T00:00:00Z', '0001-01-01 00:00:00.000000000'],
    ['9999-12-31T23:59:59.999999999Z', '9999-12-31 23:59:59.999999999'],
    ['1677-09-21T00:12:43.145224191Z', '1677-09-21 00:12:43.145224191'],
    ['1677-09-21T00:12:43.145224192Z', '1677-09-21 00:12:43.145224192'],
    ['2262-04-11T23:47:16.854775807Z', '2262-04-11 23:47:16.854775807'],
    ['2262-04-11T23:47:16.854775808Z', '2262-04-11 23:47:16.854775808'],
    ['1969-12-31T23:59:59.999999999Z', '1969-12-31 23:59:59.999999999'],
    [1506702504433000200, '2017-09-29 16:28:24.433000200'],
  ] as const;
  /** Nanoseconds since 1970 of a lake timestamp, or null beyond 64 bits: worked out here with Date and BigInt. */
  const nanos = (ts: string): string | null => {
    const d = new Date(0);
    // setUTCFullYear, unlike Date.UTC, keeps years 0-99 as they are.
    d.setUTCFullYear(Number(ts.slice(0, 4)), Number(ts.slice(5, 7)) - 1, Number(ts.slice(8, 10)));
    d.setUTCHours(Number(ts.slice(11, 13)), Number(ts.slice(14, 16)), Number(ts.slice(17, 19)), 0);
    const ns = BigInt(d.getTime()) * 1_000_000n + BigInt(ts.slice(20));
    return ns >= -(2n ** 63n) && ns < 2n ** 63n ? ns.toString() : null;
  };
  let lakes: Record<'ndjson' | 'parquet', string>;

  beforeAll(async () => {
    const dir = tempDir('query-years');
    const input = join(dir, 'http_requests', '20261101T100000Z_20261101T110000Z_years.log');
    mkdirSync(join(dir, 'http_requests'), { recursive: true });
    const lines = times.map(([t], i) =>
      JSON.stringify({ EdgeStartTimestamp: t, EdgeEndTimestamp: t, OriginResponseHTTPExpires: i === 0 ? 'Mon, 01 Jan 0001 00:00:00 GMT' : 'Fri, 31 Dec 9999 23:59:59 GMT', RayID: `r${i}` }),
    );
    writeFileSync(input, lines.join('\n') + '\n');
    lakes = { ndjson: join(dir, 'ndjson'), parquet: join(dir, 'parquet') };
    for (const format of ['ndjson', 'parquet'] as const) {
      const io = { stdout: new PassThrough(), stderr: new PassThrough(), stdin: new PassThrough(), clock: () => new Date('2026-11-24T12:00:00Z') };
      expect(await parseCommand(['--format', format, '--out', lakes[format], input], io)).toBe(0);
    }
  }, 60000);

  it('returns every row with its timestamp columns from an NDJSON and a Parquet lake alike: microseconds, and p_event_time_ns exact', async () => {
    const sql = `SELECT RayID, typeof(p_event_time) AS type, strftime(p_event_time, '%Y-%m-%d %H:%M:%S.%f') AS t,
                        strftime(EdgeEndTimestamp, '%Y-%m-%d %H:%M:%S.%f') AS end_t, year(OriginResponseHTTPExpires) AS expires,
                        p_event_time_ns::VARCHAR AS ns, year
                 FROM cloudflare_httprequest ORDER BY RayID`;
    const expected = times.map(([, text], i) => ({
      RayID: `r${i}`,
      type: 'TIMESTAMP',
      t: text.slice(0, 26),
      end_t: text.slice(0, 26),
      expires: i === 0 ? 1 : 9999,
      ns: nanos(text),
      year: text.slice(0, 4),
    }));
    for (const format of ['ndjson', 'parquet'] as const) {
      const r = await query(['--lake', lakes[format], '--json', sql]);
      expect([format, r.code, r.stderr]).toEqual([format, 0, '']);
      expect([format, ndjson(r.stdout)]).toEqual([format, expected]);
    }
    // Every column, as the aligned table prints it: the same text from both lakes.
    const all = 'SELECT * FROM cloudflare_httprequest ORDER BY RayID';
    const [a, b] = [await query(['--lake', lakes.ndjson, all]), await query(['--lake', lakes.parquet, all])];
    expect([a.code, a.stderr, b.code, b.stderr]).toEqual([0, '', 0, '']);
    expect(a.stdout).toContain('0001-01-01 00:00:00');
    expect(b.stdout).toBe(a.stdout);
  }, 60000);
});
