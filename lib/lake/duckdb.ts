import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { P, REJECT_COLUMNS } from '../row/contract';
import { ALERT_COLUMNS } from '../rules/alert-record';
import type { LogSchema, ScalarType } from '../schema/model';
import { ALERTS_TABLE, REJECTS_TABLE } from './catalog';
import { EVENT_TIME_NS, eventColumns, LakeColumn, PARQUET_EXTENSION } from './format';
import { KIND_DIRS, PARTITION_KEYS } from './layout';

/**
 * DuckDB SQL over a local lake: `read_parquet` and typed `read_json` per table, whichever formats its files are in,
 * the same columns as the Glue tables (lib/lake/catalog.ts) with DuckDB's types. Text only: nothing here loads
 * DuckDB (`cflogs query` and the tests do), so the Lambda bundles that import lib/lake never carry it.
 *
 * Timestamps are DuckDB's `TIMESTAMP`, microseconds: the lake holds years 0001 to 9999 (lib/record/timestamps.ts),
 * which `TIMESTAMP_NS` (1677-09-21 to 2262-04-11) cannot. The event time's nanoseconds are in `p_event_time_ns`, in
 * every view whatever the files' format, as in the Parquet tables.
 */

/** DuckDB column types for a schema's output rows (the schema's fields, then the p_* columns). */
export function duckdbColumns(schema: LogSchema): Record<string, string> {
  return Object.fromEntries(eventColumns(schema, 'ndjson').map((c) => [c.name, fieldType(c)]));
}

/** DuckDB column types of an alert record (ALERT_COLUMNS). */
export function alertColumns(): Record<string, string> {
  return Object.fromEntries(ALERT_COLUMNS.map((c) => [c.name, c.json ? 'JSON' : c.type === 'array<string>' ? 'VARCHAR[]' : scalar(c.type)]));
}

/** DuckDB column types of a reject record (REJECT_COLUMNS). */
export function rejectColumns(): Record<string, string> {
  return Object.fromEntries(REJECT_COLUMNS.map((c) => [c.name, scalar(c.type)]));
}

function fieldType(c: LakeColumn): string {
  return c.type === 'array' ? `${scalar(c.element ?? 'string')}[]` : scalar(c.type);
}

function scalar(t: ScalarType): string {
  switch (t) {
    case 'string':
      return 'VARCHAR';
    case 'json':
      return 'JSON';
    case 'boolean':
      return 'BOOLEAN';
    case 'bigint':
      return 'BIGINT';
    case 'int':
      return 'INTEGER';
    case 'smallint':
      return 'SMALLINT';
    case 'float':
      return 'DOUBLE';
    case 'timestamp':
      return 'TIMESTAMP';
  }
}

/** A SQL string literal. */
export function sqlLiteral(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** A SQL identifier, quoted. */
function ident(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}

/**
 * `read_json(...)` of NDJSON files (paths or globs; `.json.zst` and `.json.gz` alike, the codec told by the
 * extension) with the given column types; a value of the wrong JSON type fails the read. Timestamps are read by
 * DuckDB's own ISO 8601 cast, which takes the lake's nine fraction digits down to the microsecond (as the Parquet
 * files hold them); a `%n` timestampformat would round instead, taking 9999-12-31 23:59:59.9999999 past the range.
 */
export function readJsonSql(files: string[], columns: Record<string, string>, extra = ''): string {
  const cols = Object.entries(columns)
    .map(([k, v]) => `${sqlLiteral(k)}: ${sqlLiteral(v)}`)
    .join(', ');
  const list = files.map(sqlLiteral).join(', ');
  return `read_json([${list}], format = 'newline_delimited', columns = {${cols}}${extra})`;
}

/** The NDJSON file extensions the lake writes (lib/lake/codec.ts), which DuckDB reads by extension. */
const NDJSON_EXTENSIONS = ['.json.zst', '.json.gz'];

/** Globs for a table folder's files, one per extension it has (a glob matching nothing is an error in DuckDB). */
function tableGlobs(dir: string, extensions: readonly string[]): string[] {
  const found = new Set<string>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else for (const ext of extensions) if (name.endsWith(ext)) found.add(ext);
    }
  };
  if (existsSync(dir)) walk(dir);
  return extensions.filter((e) => found.has(e)).map((e) => join(dir, '**', `*${e}`));
}

const EVENT_TIME = P.p_event_time;

/**
 * A log type's NDJSON files with the view's columns: the event time is read as its text too, whose last three
 * digits are the nanoseconds below the microsecond, for p_event_time_ns (NULL beyond 64 bits, as in Parquet).
 */
function readNdjsonSql(globs: string[], schema: LogSchema): string {
  const t = ident(EVENT_TIME);
  const cols = eventColumns(schema, 'parquet').map((c) => {
    const q = ident(c.name);
    if (c.name === EVENT_TIME) return `CAST(${t} AS TIMESTAMP) AS ${q}`;
    if (c.name === EVENT_TIME_NS) return `TRY_CAST(epoch_us(CAST(${t} AS TIMESTAMP))::HUGEINT * 1000 + CAST(right(${t}, 3) AS INTEGER) AS BIGINT) AS ${q}`;
    return q;
  });
  const read = readJsonSql(globs, { ...duckdbColumns(schema), [EVENT_TIME]: 'VARCHAR' }, HIVE);
  return `SELECT ${[...cols, ...PARTITION_KEYS].join(', ')} FROM ${read}`;
}

/** A Parquet timestamp (microseconds, UTC) as a TIMESTAMP: plain arithmetic, whatever the session's time zone. */
const fromParquet = (x: string): string => `make_timestamp(epoch_us(${x}))`;

/** A log type's Parquet files with the view's columns and types. */
function readParquetSql(globs: string[], schema: LogSchema): string {
  const cols = eventColumns(schema, 'parquet').map((c) => {
    const q = ident(c.name);
    if (c.type === 'timestamp') return `${fromParquet(q)} AS ${q}`;
    if (c.type === 'json') return `${q}::JSON AS ${q}`;
    if (c.type === 'array' && c.element === 'timestamp') return `list_transform(${q}, x -> ${fromParquet('x')}) AS ${q}`;
    return q;
  });
  const files = globs.map(sqlLiteral).join(', ');
  return `SELECT ${[...cols, ...PARTITION_KEYS].join(', ')} FROM read_parquet([${files}], union_by_name = true${HIVE})`;
}

/** The partition keys as strings, as in the Glue tables. */
const HIVE = `, hive_partitioning = true, hive_types = {${PARTITION_KEYS.map((k) => `${sqlLiteral(k)}: 'VARCHAR'`).join(', ')}}`;

export interface LakeView {
  name: string;
  /** `CREATE VIEW ...` */
  sql: string;
}

/**
 * One view per table that has files in the local lake `dir` (`logs/<table>/...`; for a table in `tableFiles`, the
 * files its Iceberg snapshot lists, and no others), named as in Athena, plus
 * `cflogs_rejects` over `rejects/*\/...` with its `table_name` column, and `cflogs_alerts` over `alerts/`; each with the year/month/day/hour partition
 * columns. None when the lake has no files.
 */
export function lakeViews(dir: string, schemas: readonly LogSchema[], tableFiles?: ReadonlyMap<string, readonly string[]>): LakeView[] {
  const views: LakeView[] = [];
  for (const schema of schemas) {
    const committed = tableFiles?.get(schema.table);
    const folder = join(dir, KIND_DIRS.events, schema.table);
    const ndjson = committed ? [] : tableGlobs(folder, NDJSON_EXTENSIONS);
    const parquet = committed ? [...committed] : tableGlobs(folder, [PARQUET_EXTENSION]);
    // A lake whose format was changed has both: one view over all of them.
    const reads = [
      ...(ndjson.length > 0 ? [readNdjsonSql(ndjson, schema)] : []),
      ...(parquet.length > 0 ? [readParquetSql(parquet, schema)] : []),
    ];
    if (reads.length === 0) continue;
    views.push({ name: schema.table, sql: `CREATE VIEW ${ident(schema.table)} AS ${reads.join(' UNION ALL BY NAME ')}` });
  }
  const rejects = tableGlobs(join(dir, KIND_DIRS.rejects), NDJSON_EXTENSIONS);
  if (rejects.length > 0) {
    const read = readJsonSql(rejects, rejectColumns(), `${HIVE}, filename = '__file'`);
    views.push({
      name: REJECTS_TABLE,
      sql:
        `CREATE VIEW ${ident(REJECTS_TABLE)} AS SELECT * EXCLUDE (__file, ${PARTITION_KEYS.join(', ')}), ` +
        `regexp_extract(__file, '/${KIND_DIRS.rejects}([^/]+)/', 1) AS table_name, ${PARTITION_KEYS.join(', ')} FROM ${read}`,
    });
  }
  const alerts = tableGlobs(join(dir, KIND_DIRS.alerts), NDJSON_EXTENSIONS);
  if (alerts.length > 0) {
    views.push({ name: ALERTS_TABLE, sql: `CREATE VIEW ${ident(ALERTS_TABLE)} AS SELECT * FROM ${readJsonSql(alerts, alertColumns(), HIVE)}` });
  }
  return views;
}
