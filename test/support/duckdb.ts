import type { FieldSpec, LogSchema, ScalarType } from '../../lib/schema/model';
import { INDICATOR_COLUMNS } from '../../lib/row/contract';

/** DuckDB column types for a schema's output rows (the Parquet file's types). */
export function duckdbColumns(schema: LogSchema): Record<string, string> {
  const cols: Record<string, string> = {};
  for (const f of schema.fields) cols[f.name] = fieldType(f);
  Object.assign(cols, {
    p_log_type: 'VARCHAR',
    p_row_id: 'VARCHAR',
    p_event_time: 'TIMESTAMP_NS',
    p_parse_time: 'TIMESTAMP_NS',
    p_source_id: 'VARCHAR',
    p_source_label: 'VARCHAR',
  });
  for (const c of INDICATOR_COLUMNS) cols[c] = 'VARCHAR[]';
  cols.p_unknown_fields = 'JSON';
  return cols;
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

/** `read_json(...)` of output files with the schema's types; a value of the wrong JSON type fails the read. */
export function readJsonSql(files: string[], schema: LogSchema): string {
  const cols = Object.entries(duckdbColumns(schema))
    .map(([k, v]) => `'${k}': '${v}'`)
    .join(', ');
  const list = files.map((f) => `'${f.replace(/'/g, "''")}'`).join(', ');
  return `read_json([${list}], format = 'newline_delimited', columns = {${cols}}, timestampformat = '%Y-%m-%d %H:%M:%S.%n')`;
}
