import { EVENT_TIME_NS, P, P_COLUMNS } from '../row/contract';
import type { LogSchema, ScalarType } from '../schema/model';

/**
 * The lake's file formats and the columns a log type's table has in each: the one list the Parquet writer, the
 * Glue tables and DuckDB's views all read.
 *
 * Parquet is the default: a query reads only the columns it names, from smaller files. NDJSON files hold the
 * contract's rows as text, for readers that want raw JSON. Parquet files hold the same rows typed by column, plus
 * `p_event_time_ns`: Parquet timestamps are written in microseconds (what Athena, Glue and Spark read; Athena shows
 * milliseconds), so the event time's exact nanoseconds are kept as an integer beside it.
 */
export type LakeFormat = 'ndjson' | 'parquet';

export const LAKE_FORMATS: readonly LakeFormat[] = ['ndjson', 'parquet'];

/** What the functions write, the Glue tables read and `cflogs parse --out` / `cflogs ddl` assume, unless told. */
export const DEFAULT_LAKE_FORMAT: LakeFormat = 'parquet';

export { EVENT_TIME_NS };

export const PARQUET_EXTENSION = '.parquet';

/** One column of a table: a scalar, or a list of scalars. */
export interface LakeColumn {
  name: string;
  type: ScalarType | 'array';
  element?: ScalarType;
  description?: string;
}

/** The columns of a log type's rows in the lake: the schema's fields, then the p_* columns (and EVENT_TIME_NS in Parquet). */
export function eventColumns(schema: LogSchema, format: LakeFormat): LakeColumn[] {
  const cols: LakeColumn[] = schema.fields.map((f) => ({
    name: f.name,
    type: f.type,
    ...(f.type === 'array' ? { element: f.element?.type ?? 'string' } : {}),
    ...(f.description ? { description: f.description } : {}),
  }));
  for (const c of P_COLUMNS) {
    const type: LakeColumn['type'] = 'json' in c ? 'json' : c.type === 'array<string>' ? 'array' : c.type;
    cols.push({ name: c.name, type, ...(type === 'array' ? { element: 'string' as const } : {}), description: c.description });
    if (c.name === P.p_event_time && format === 'parquet') {
      cols.push({ name: EVENT_TIME_NS, type: 'bigint', description: 'Event time as nanoseconds since 1970-01-01 UTC, exact' });
    }
  }
  return cols;
}
