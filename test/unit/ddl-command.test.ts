import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { ddlCommand } from '../../lib/cli/ddl';
import { lakeTables, REJECTS_TABLE } from '../../lib/lake/catalog';
import { builtInRegistry } from '../../lib/record/registry';

/** `cflogs ddl <argv>` in process: what it prints on stdout. */
async function ddl(argv: string[]): Promise<string> {
  const chunks: string[] = [];
  const stdout = new Writable({ write: (c: Buffer, _e, done) => (chunks.push(c.toString('utf8')), done()) });
  expect(await ddlCommand(argv, { stdout })).toBe(0);
  return chunks.join('');
}

const ROOT = join(__dirname, '..', '..');
/** `cflogs ddl` as a user runs it: a child process, for the exit code main gives a usage error. */
function cli(argv: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'lib/cli/main.ts', 'ddl', ...argv], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const statements = (sql: string) => (sql.match(/^CREATE /gm) ?? []).length;

describe('cflogs ddl --table', () => {
  it('prints the one CREATE EXTERNAL TABLE of cflogs_rejects and no CREATE DATABASE, for pasting into Athena', async () => {
    const out = await ddl(['--table', REJECTS_TABLE, '--location', 's3://lake', '--database', 'cflogs_dev']);
    expect(out.startsWith(`CREATE EXTERNAL TABLE IF NOT EXISTS \`cflogs_dev\`.\`${REJECTS_TABLE}\` (`)).toBe(true);
    expect(out).not.toContain('CREATE DATABASE');
    expect(statements(out)).toBe(1);
    expect(out.endsWith(');\n')).toBe(true);
    expect(out).toContain("LOCATION 's3://lake/rejects/'");
  });

  it('takes a log type\'s table by its Glue name, its log type name or its Logpush dataset', async () => {
    const byTable = await ddl(['--table', 'cloudflare_httprequest']);
    expect(byTable.startsWith('CREATE EXTERNAL TABLE IF NOT EXISTS `cflogs`.`cloudflare_httprequest` (')).toBe(true);
    expect(statements(byTable)).toBe(1);
    expect(await ddl(['--table', 'Cloudflare.HttpRequest'])).toBe(byTable);
    expect(await ddl(['--table', 'http_requests'])).toBe(byTable);
  });

  it('an unknown table exits 2 and lists the known table names', async () => {
    const r = cli(['--table', 'cloudflare_nope']);
    expect(r).toMatchObject({ code: 2, out: '' });
    expect(r.err).toMatch(/^cflogs ddl: unknown table cloudflare_nope \(known: /);
    for (const t of lakeTables(builtInRegistry().schemas(), 's3://x')) expect(r.err).toContain(t.name);
  });

  it('refuses --table together with --log-type (exit 2)', async () => {
    const r = cli(['--table', REJECTS_TABLE, '--log-type', 'http_requests']);
    expect(r).toMatchObject({ code: 2, out: '' });
    expect(r.err).toContain('usage: cflogs ddl ');
  });
});

describe('cflogs ddl without --table', () => {
  it('--log-type still prints CREATE DATABASE, then each named log type\'s table', async () => {
    const out = await ddl(['--log-type', 'http_requests', '--log-type', 'Cloudflare.Firewall']);
    expect(out.startsWith('CREATE DATABASE IF NOT EXISTS `cflogs`;\n\nCREATE EXTERNAL TABLE IF NOT EXISTS `cflogs`.`cloudflare_httprequest` (')).toBe(true);
    expect(statements(out)).toBe(3);
    expect(out).not.toContain(REJECTS_TABLE);
  });

  it('with no table named prints the database and every table of the lake, the rejects last', async () => {
    const out = await ddl([]);
    const tables = lakeTables(builtInRegistry().schemas(), 's3://x');
    expect(statements(out)).toBe(tables.length + 1);
    expect(out).toMatch(new RegExp(`\`${REJECTS_TABLE}\` \\([^]*$`));
  });
});

describe('cflogs ddl --format', () => {
  const PARQUET = "ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'";
  const JSON_SERDE = "ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'";

  it('prints the Parquet tables by default, as the functions write by default; --format ndjson the JSON SerDe tables', async () => {
    const parquet = await ddl(['--table', 'cloudflare_httprequest']);
    expect(parquet).toContain(PARQUET);
    expect(parquet).toContain('`p_event_time_ns` bigint');
    expect(await ddl(['--table', 'cloudflare_httprequest', '--format', 'parquet'])).toBe(parquet);
    const json = await ddl(['--table', 'cloudflare_httprequest', '--format', 'ndjson']);
    expect(json).toContain(JSON_SERDE);
    expect(json).not.toContain('p_event_time_ns');
    // The rejects are NDJSON whatever the rows' format.
    expect(await ddl(['--table', REJECTS_TABLE])).toContain(JSON_SERDE);
  });

  it('follows CFLOGS_OUTPUT_FORMAT when --format is not given, and refuses an unknown format', () => {
    const run = (argv: string[], env: Record<string, string>) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'lib/cli/main.ts', 'ddl', ...argv], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      });
    const fromEnv = run(['--table', 'cloudflare_httprequest'], { CFLOGS_OUTPUT_FORMAT: 'ndjson' });
    expect([fromEnv.status, fromEnv.stdout.includes(JSON_SERDE)]).toEqual([0, true]);
    const flagWins = run(['--table', 'cloudflare_httprequest', '--format', 'parquet'], { CFLOGS_OUTPUT_FORMAT: 'ndjson' });
    expect([flagWins.status, flagWins.stdout.includes(PARQUET)]).toEqual([0, true]);
    const bad = run(['--format', 'orc'], {});
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('CFLOGS_OUTPUT_FORMAT must be one of ndjson, parquet, got "orc"');
  });
});
