import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCommand } from '../../lib/cli/parse';
import { queryCommand } from '../../lib/cli/query';
import { generateLines } from '../../testkit/generate';
import { runCommand } from '../support/cli';
import { tempDir } from '../support/lake';

const cflogs = runCommand;

/** A Logpush-named http_requests file of `lines` generated lines. */
function input(dir: string, name: string, seed: number, lines: number): string {
  mkdirSync(join(dir, 'http_requests'), { recursive: true });
  const file = join(dir, 'http_requests', name);
  writeFileSync(file, [...generateLines({ dataset: 'http_requests', lines, seed, timestampFormat: 'unixnano', spanSeconds: 7200 })].join('\n') + '\n');
  return file;
}

const count = async (lake: string): Promise<{ n: number; ids: number }> => {
  const q = await cflogs(queryCommand, ['--lake', lake, '--json', 'SELECT count(*)::INTEGER AS n, count(DISTINCT p_row_id)::INTEGER AS ids FROM cloudflare_httprequest']);
  expect([q.code, q.stderr]).toEqual([0, '']);
  return JSON.parse(q.stdout) as { n: number; ids: number };
};

describe('a local lake as Iceberg tables (cflogs parse --out DIR --iceberg, cflogs query)', () => {
  it('commits each input once, however often it is parsed, and queries read the current snapshot only', async () => {
    const dir = tempDir('iceberg-local');
    const lake = join(dir, 'lake');
    const a = input(dir, '20261101T100000Z_20261101T100030Z_aaaa.log', 1, 300);
    const b = input(dir, '20261101T100030Z_20261101T100100Z_bbbb.log', 2, 200);
    const first = await cflogs(parseCommand, ['--out', lake, '--iceberg', a]);
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/iceberg cloudflare_httprequest: snapshot \d+/);
    // Parsed again (a redelivery): the files are rewritten as they were, the table is not appended to.
    const again = await cflogs(parseCommand, ['--out', lake, '--iceberg', a]);
    expect(again.stderr).toContain('iceberg cloudflare_httprequest: already committed');
    expect(await count(lake)).toEqual({ n: 300, ids: 300 });
    // Files written but not committed (no --iceberg: as after a crash before the commit) are not the table's.
    await cflogs(parseCommand, ['--out', lake, b]);
    expect(await count(lake)).toEqual({ n: 300, ids: 300 });
    await cflogs(parseCommand, ['--out', lake, '--iceberg', b]);
    expect(await count(lake)).toEqual({ n: 500, ids: 500 });
  }, 60_000);

  it('--iceberg needs --out and Parquet', async () => {
    const dir = tempDir('iceberg-usage');
    const file = input(dir, '20261101T100000Z_20261101T100030Z_cccc.log', 3, 5);
    await expect(cflogs(parseCommand, ['--iceberg', file])).rejects.toThrow(/--iceberg needs --out DIR and Parquet/);
    await expect(cflogs(parseCommand, ['--out', join(dir, 'l'), '--format', 'ndjson', '--iceberg', file])).rejects.toThrow(/--iceberg needs --out DIR and Parquet/);
  });
});
