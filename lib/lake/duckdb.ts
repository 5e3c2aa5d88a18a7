import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { P_COLUMNS, REJECT_COLUMNS } from '../row/contract';
import type { FieldSpec, LogSchema, ScalarType } from '../schema/model';
import { REJECTS_TABLE } from './catalog';
import { KIND_DIRS, PARTITION_KEYS } from './layout';

/**
 * DuckDB SQL over a local lake: typed `read_json` per table, the same columns as the Glue tables (lib/lake/catalog.ts)
 * with DuckDB's types. Text only: nothing here loads DuckDB (`cflogs query` and the tests do), so the Lambda bundles
 * that import lib/lake never carry it.
 */

/** The timestamp format of every timestamp the lake holds (lib/record/timestamps.ts formatDate). */
export const LAKE_TIMESTAMP_FORMAT = '%Y-%m-%d %H:%M:%S.%n';

/** DuckDB column types for a schema's output rows (the schema's fields, then the p_* columns). */
export function duckdbColumns(schema: LogSchema): Record<string, string> {
  const cols: Record<string, string> = {};
  for (const f of schema.fields) cols[f.name] = fieldType(f);
  for (const c of P_COLUMNS) cols[c.name] = c.json ? 'JSON' : athenaToDuckdb(c.type);
  return cols;
}

/** DuckDB column types of a reject record (REJECT_COLUMNS). */
export function rejectColumns(): Record<string, string> {
  return Object.fromEntries(REJECT_COLUMNS.map((c) => [c.name, athenaToDuckdb(c.type)]));
}

function athenaToDuckdb(t: 'string' | 'bigint' | 'timestamp' | 'array<string>'): string {
  switch (t) {
    case 'string':
      return 'VARCHAR';
    case 'bigint':
      return 'BIGINT';
    case 'timestamp':
      return 'TIMESTAMP_NS';
    case 'array<string>':
      return 'VARCHAR[]';
  }
}

function fieldType(f: FieldSpec): string {
  return f.type === 'array' ? `${scalar(f.element?.type ?? 'string')}[]` : scalar(f.type);
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
      return 'TIMESTAMP_NS';
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
 * extension) with the given column types; a value of the wrong JSON type fails the read.
 */
export function readJsonSql(files: string[], columns: Record<string, string>, extra = ''): string {
  const cols = Object.entries(columns)
    .map(([k, v]) => `${sqlLiteral(k)}: ${sqlLiteral(v)}`)
    .join(', ');
  const list = files.map(sqlLiteral).join(', ');
  return `read_json([${list}], format = 'newline_delimited', columns = {${cols}}, timestampformat = '${LAKE_TIMESTAMP_FORMAT}'${extra})`;
}

/** The file extensions the lake writes (lib/lake/codec.ts), which DuckDB reads by extension. */
const LAKE_EXTENSIONS = ['.json.zst', '.json.gz'];

/** Globs for a table folder's files, one per extension it has (a glob matching nothing is an error in DuckDB). */
function tableGlobs(dir: string): string[] {
  const found = new Set<string>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else for (const ext of LAKE_EXTENSIONS) if (name.endsWith(ext)) found.add(ext);
    }
  };
  if (existsSync(dir)) walk(dir);
  return LAKE_EXTENSIONS.filter((e) => found.has(e)).map((e) => join(dir, '**', `*${e}`));
}

/** The partition keys as strings, as in the Glue tables. */
const HIVE = `, hive_partitioning = true, hive_types = {${PARTITION_KEYS.map((k) => `${sqlLiteral(k)}: 'VARCHAR'`).join(', ')}}`;

export interface LakeView {
  name: string;
  /** `CREATE VIEW ...` */
  sql: string;
}

/**
 * One view per table that has files in the local lake `dir` (`logs/<table>/...`), named as in Athena, plus
 * `cflogs_rejects` over `rejects/*\/...` with its `table_name` column; each with the year/month/day/hour partition
 * columns. None when the lake has no files.
 */
export function lakeViews(dir: string, schemas: readonly LogSchema[]): LakeView[] {
  const views: LakeView[] = [];
  for (const schema of schemas) {
    const globs = tableGlobs(join(dir, KIND_DIRS.events, schema.table));
    if (globs.length === 0) continue;
    views.push({
      name: schema.table,
      sql: `CREATE VIEW ${ident(schema.table)} AS SELECT * FROM ${readJsonSql(globs, duckdbColumns(schema), HIVE)}`,
    });
  }
  const rejects = tableGlobs(join(dir, KIND_DIRS.rejects));
  if (rejects.length > 0) {
    const read = readJsonSql(rejects, rejectColumns(), `${HIVE}, filename = '__file'`);
    views.push({
      name: REJECTS_TABLE,
      sql:
        `CREATE VIEW ${ident(REJECTS_TABLE)} AS SELECT * EXCLUDE (__file, ${PARTITION_KEYS.join(', ')}), ` +
        `regexp_extract(__file, '/${KIND_DIRS.rejects}([^/]+)/', 1) AS table_name, ${PARTITION_KEYS.join(', ')} FROM ${read}`,
    });
  }
  return views;
}
