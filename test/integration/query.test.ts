import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
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

  it('types p_event_time as a timestamp, to the nanosecond', async () => {
    const times = (rows.get('cloudflare_httprequest') ?? []).map((l) => (JSON.parse(l) as { p_event_time: string }).p_event_time).sort();
    const first = times[0] as string;
    const r = await query([
      '--lake', lake, '--json',
      `SELECT typeof(min(p_event_time)) AS type, strftime(min(p_event_time), '%Y-%m-%d %H:%M:%S.%n') AS t, epoch_ms(min(p_event_time)) AS ms,
              count(*) FILTER (WHERE p_event_time > '${first}'::TIMESTAMP_NS) AS later
       FROM cloudflare_httprequest`,
    ]);
    expect(r.stderr).toBe('');
    expect(ndjson(r.stdout)).toEqual([
      { type: 'TIMESTAMP_NS', t: first, ms: Date.parse(`${first.replace(' ', 'T').slice(0, 23)}Z`), later: times.filter((t) => t > first).length },
    ]);
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
    expect(ndjson(t.stdout)).toEqual([{ type: 'TIMESTAMP_NS' }]);
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
