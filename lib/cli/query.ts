import { existsSync, statSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { lakeViews } from '../lake/duckdb';
import { loadDuckDB } from './duckdb';
import { icebergTableFiles } from './iceberg';
import { cliRegistry } from './schemas';
import { CliOptions, parseCommandArgs, UsageError } from './usage';

export const QUERY_USAGE = 'cflogs query [--lake DIR] [--json] SQL';

/** The lake `npm start` (scripts/demo.ts) writes. */
export const DEMO_LAKE = '.out/demo/lake';

export const QUERY_OPTIONS = {
  lake: { type: 'string', default: DEMO_LAKE, value: 'DIR', description: 'the lake (from cflogs parse --out, or npm start)' },
  json: { type: 'boolean', default: false, description: 'NDJSON rows instead of a table' },
} satisfies CliOptions;

/**
 * `cflogs query`: DuckDB SQL over a local lake, with a view per table that has files (named as in Athena:
 * `cloudflare_httprequest`, ...; Parquet, NDJSON or both), `cflogs_rejects` and `cflogs_alerts`. A table the lake
 * has as an Iceberg table (`DIR/iceberg/<table>`, from `cflogs parse --out DIR --iceberg` or `npm start`) is read as
 * its current snapshot: the data files it lists, and no others. Prints an aligned table, or NDJSON with --json. Exit 0 on an answer, 1 when the lake has no files or DuckDB refuses the SQL, 2 on
 * usage errors. DuckDB (a devDependency) is imported here only, when the command runs: nothing the Lambda bundles
 * import loads it.
 */
export async function queryCommand(
  argv: string[],
  io: { stdout: Writable; stderr: Writable },
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const { values, positionals } = parseCommandArgs({
    args: argv,
    allowPositionals: true,
    options: QUERY_OPTIONS,
  }, QUERY_USAGE);
  if (positionals.length !== 1) throw new UsageError(`give one SQL statement (quote it)\nusage: ${QUERY_USAGE}`);
  const sql = positionals[0] as string;
  const lake = values.lake;
  if (!existsSync(lake) || !statSync(lake).isDirectory()) {
    io.stderr.write(`cflogs query: no lake at ${lake}${lake === DEMO_LAKE ? ' (run `npm start` to write the demo lake, or pass --lake DIR)' : ''}\n`);
    return 1;
  }
  // Only the log types are read from the environment: a query needs no routes or output settings to be valid.
  const schemas = cliRegistry(env).schemas();
  const views = lakeViews(lake, schemas, await icebergTableFiles(lake, schemas.map((s) => s.table)));
  if (views.length === 0) {
    io.stderr.write(`cflogs query: no lake files (.parquet, .json.zst or .json.gz under logs/, rejects/ or alerts/) in ${lake}\n`);
    return 1;
  }

  const { DuckDBInstance } = await loadDuckDB('query');
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    for (const v of views) await conn.run(v.sql);
    let result;
    try {
      result = await conn.runAndReadAll(sql);
    } catch (e) {
      const known = views.map((v) => v.name).join(', ');
      io.stderr.write(`cflogs query: ${(e as Error).message}\n(tables: ${known})\n`);
      return 1;
    }
    const names = result.columnNames();
    const types = result.columnTypes().map(String);
    if (values.json) {
      for (const row of result.getRowObjectsJson()) {
        const out: Record<string, unknown> = {};
        names.forEach((n, i) => {
          out[n] = jsonValue(row[n], types[i] as string);
        });
        io.stdout.write(`${JSON.stringify(out)}\n`);
      }
    } else {
      const rows = result.getRows().map((r) => r.map((v) => (v === null ? 'NULL' : String(v))));
      io.stdout.write(alignedTable(names, rows, types));
    }
    return 0;
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

const INTEGER_TYPES = new Set(['BIGINT', 'UBIGINT', 'HUGEINT', 'UHUGEINT']);

/** DuckDB's JSON form, with 64-bit integers as numbers when exact and JSON columns as their value. */
function jsonValue(v: unknown, type: string): unknown {
  if (typeof v === 'string' && INTEGER_TYPES.has(type) && Number.isSafeInteger(Number(v))) return Number(v);
  if (typeof v === 'string' && type === 'JSON') {
    try {
      return JSON.parse(v) as unknown;
    } catch {
      return v;
    }
  }
  return v;
}

const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL)/;

/** A plain table: header, dashes, rows; numbers right-aligned; the row count after. */
function alignedTable(names: string[], rows: string[][], types: string[]): string {
  const cell = (s: string): string => s.replace(/[\r\n\t]/g, ' ');
  const widths = names.map((n, i) => Math.max(n.length, ...rows.map((r) => cell(r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => {
        const w = widths[i] as number;
        return NUMERIC.test(types[i] ?? '') ? cell(c).padStart(w) : cell(c).padEnd(w);
      })
      .join('  ')
      .trimEnd();
  const out = [line(names), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
  return `${out.join('\n')}\n(${rows.length} row${rows.length === 1 ? '' : 's'})\n`;
}
