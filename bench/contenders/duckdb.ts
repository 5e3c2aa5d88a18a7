/**
 * DuckDB, one thread: `read_ndjson` of the same gzip object with every field the corpus carries declared with its
 * schema type (so every value is parsed and type-checked: a value of the wrong type fails the query), the same
 * derived columns as cflogs computed in SQL, and `COPY ... (FORMAT json, COMPRESSION zstd)` to a file: the codec
 * of cflogs' default output, so the two rows compare like with like.
 * bench/README.md lists what this does and does not do compared with cflogs.
 *
 * params.compression: 'zstd' (the default; the `duckdb` row) or 'gzip' (the `duckdb_gzip` reference row). DuckDB's
 * JSON COPY takes no compression level (`COMPRESSION_LEVEL` is a Parquet option): each codec runs at DuckDB's own
 * default, so the output sizes are reported next to cflogs' rather than assumed equal.
 * params.format: 'parquet' (the `duckdb_parquet` reference row) writes `COPY ... (FORMAT parquet, COMPRESSION zstd,
 * COMPRESSION_LEVEL 3)` instead, with typed timestamps as cflogs' Parquet files have them (microseconds, and the
 * event time's exact nanoseconds as p_event_time_ns); DuckDB's own row groups (122,880 rows) unless
 * params.rowGroupSize says otherwise.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { builtInRegistry } from '../../lib/record/registry';
import type { FieldSpec, ScalarType } from '../../lib/schema/model';
import type { Corpus } from '../corpus';
import { FIELDS } from '../../testkit/generate';
import type { Contender } from '../contender';

const SQL_TYPES: Record<ScalarType, string> = {
  string: 'VARCHAR',
  bigint: 'BIGINT',
  int: 'INTEGER',
  smallint: 'SMALLINT',
  float: 'DOUBLE',
  boolean: 'BOOLEAN',
  json: 'JSON',
  timestamp: 'VARCHAR',
};
/** The output timestamp form of the contract: `YYYY-MM-DD HH:MM:SS.fffffffff`. */
const TS = `'%Y-%m-%d %H:%M:%S.%n'`;
/** Values that mean "none" in Cloudflare data; cflogs keeps them out of indicator arrays too. */
const NONE = `('', '00', '0', '-')`;

const q = (name: string): string => `"${name.replace(/"/g, '""')}"`;
const lit = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** Timestamps: unixnano integers are read as BIGINT and formatted exactly; RFC 1123 header dates are parsed. */
function timeExpr(f: FieldSpec): string {
  return f.timeFormats.includes('cloudflare') || f.timeFormats.includes('unix')
    ? `strftime(make_timestamp_ns(${q(f.name)}), ${TS})`
    : `strftime(try_strptime(nullif(${q(f.name)}, ''), '%a, %d %b %Y %H:%M:%S GMT'), ${TS})`;
}

function columnType(f: FieldSpec): string {
  if (f.type === 'array') return `${SQL_TYPES[f.element?.type ?? 'string']}[]`;
  if (f.type === 'timestamp') return f.timeFormats.includes('cloudflare') || f.timeFormats.includes('unix') ? 'BIGINT' : 'VARCHAR';
  return SQL_TYPES[f.type];
}

/** What DuckDB compresses its output with (COPY's `COMPRESSION`). */
export type DuckDbCompression = 'zstd' | 'gzip';

/** File name endings, as cflogs names its lake files (DuckDB would also infer the codec from them). */
export const DUCKDB_EXTENSIONS: Readonly<Record<DuckDbCompression, string>> = { zstd: '.json.zst', gzip: '.json.gz' };

/** The `compression` param of the contender: 'zstd' when absent. */
export function duckDbCompression(param: unknown): DuckDbCompression {
  if (param === undefined) return 'zstd';
  if (param === 'zstd' || param === 'gzip') return param;
  throw new Error(`duckdb: compression must be 'zstd' or 'gzip', got ${JSON.stringify(param)}`);
}

/** What the COPY writes: NDJSON with a codec, or zstd Parquet (level 3, as cflogs' column chunks). */
export type DuckDbOutput = DuckDbCompression | 'parquet';

/** Timestamps typed, for Parquet: TIMESTAMP (microseconds, truncated from the nanoseconds; as cflogs writes them). */
function typedTimeExpr(f: FieldSpec): string {
  return f.timeFormats.includes('cloudflare') || f.timeFormats.includes('unix')
    ? `CAST(make_timestamp_ns(${q(f.name)}) AS TIMESTAMP)`
    : `try_strptime(nullif(${q(f.name)}, ''), '%a, %d %b %Y %H:%M:%S GMT')`;
}

/** The COPY statement for a corpus; exported so the README and tests can show it. */
export function copySql(
  corpus: Corpus,
  outPath: string,
  rowIdPrefix: string,
  parseTime: string,
  output: DuckDbOutput = 'zstd',
  rowGroupSize?: number,
): string {
  const parquet = output === 'parquet';
  const time = parquet ? typedTimeExpr : timeExpr;
  const entry = builtInRegistry().forDataset(corpus.options.dataset);
  if (!entry) throw new Error(`no log type for dataset ${corpus.options.dataset}`);
  const { schema } = entry;
  const byName = new Map(schema.fields.map((f) => [f.name, f]));
  const fields = FIELDS[corpus.options.dataset].map((n) => {
    const f = byName.get(n);
    if (!f) throw new Error(`the corpus has ${n}, the schema does not`);
    return f;
  });
  const columns = fields.map((f) => `${q(f.name)}: ${lit(columnType(f))}`).join(', ');
  const replaced = fields.filter((f) => f.type === 'timestamp').map((f) => `${time(f)} AS ${q(f.name)}`);
  const having = (ind: string): FieldSpec[] => fields.filter((f) => (f.indicators as string[]).includes(ind));
  const list = (exprs: string[]): string =>
    exprs.length === 0 ? 'NULL' : `list_sort(list_distinct(list_filter([${exprs.join(', ')}], x -> coalesce(x, '') NOT IN ${NONE})))`;
  const hostOfUrl = (f: FieldSpec): string => `regexp_extract(${q(f.name)}, '^[A-Za-z][A-Za-z0-9+.-]*://([^/?#:@]+)', 1)`;
  const eventTime = byName.get(schema.eventTimeField);
  if (!eventTime) throw new Error('no event time field');
  const unixNanos = eventTime.timeFormats.includes('cloudflare') || eventTime.timeFormats.includes('unix');
  const eventTimeColumns = parquet
    ? `${time(eventTime)} AS p_event_time,
    ${unixNanos ? q(eventTime.name) : `epoch_ns(${time(eventTime)})`} AS p_event_time_ns,
    CAST(${lit(parseTime)} AS TIMESTAMP) AS p_parse_time`
    : `${timeExpr(eventTime)} AS p_event_time,
    ${lit(parseTime)} AS p_parse_time`;
  const to = parquet
    ? `(FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 3${rowGroupSize ? `, ROW_GROUP_SIZE ${rowGroupSize}` : ''})`
    : `(FORMAT json, COMPRESSION ${output})`;
  return `COPY (
  SELECT * ${replaced.length ? `REPLACE (${replaced.join(', ')})` : ''},
    ${lit(schema.logType)} AS p_log_type,
    ${lit(rowIdPrefix)} || lpad(to_hex(row_number() OVER ()), 8, '0') AS p_row_id,
    ${eventTimeColumns},
    ${list(having('ip').map((f) => q(f.name)))} AS p_any_ip_addresses,
    ${list([...having('domain').map((f) => `lower(${q(f.name)})`), ...having('url').map((f) => `lower(${hostOfUrl(f)})`)])} AS p_any_domain_names,
    ${list(having('trace_id').map((f) => q(f.name)))} AS p_any_trace_ids
  FROM read_ndjson(${lit(corpus.path)}, columns = {${columns}}, compression = 'gzip', format = 'newline_delimited')
) TO ${lit(outPath)} ${to}`;
}

let tmp: string | undefined;
let db: { instance: DuckDBInstance; conn: DuckDBConnection } | undefined;

const duckdb: Contender = {
  async prepare(corpus, params) {
    const compression = duckDbCompression(params.compression);
    if (params.format !== undefined && params.format !== 'parquet') throw new Error(`duckdb: format must be 'parquet' or absent, got ${JSON.stringify(params.format)}`);
    const parquet = params.format === 'parquet';
    const rowGroupSize = params.rowGroupSize === undefined ? undefined : Number(params.rowGroupSize);
    tmp = mkdtempSync(join(String(params.tmpDir), 'duckdb-'));
    const out = join(tmp, parquet ? 'out.parquet' : `out${DUCKDB_EXTENSIONS[compression]}`);
    const sql = copySql(corpus, out, '0123456789abcdef0123', '2026-11-24 12:00:00.000000000', parquet ? 'parquet' : compression, rowGroupSize);
    const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
    const conn = await instance.connect();
    db = { instance, conn };
    await conn.run('SET threads = 1');
    return async () => {
      const r = await conn.runAndReadAll(sql);
      const rows = Number(r.getRows()[0]?.[0]);
      return { rows, expectedRows: corpus.lines, bytesOut: statSync(out).size, notes: { codec: parquet ? 'parquet zstd 3' : compression } };
    };
  },
  async teardown() {
    // Closed, so a warm-up's database does not stay in the timed run's memory.
    db?.conn.closeSync();
    db?.instance.closeSync();
    db = undefined;
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  },
};

export default duckdb;
