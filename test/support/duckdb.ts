import type { LogSchema } from '../../lib/schema/model';
import { duckdbColumns, readJsonSql as readJson } from '../../lib/lake/duckdb';

/** The column-type mapping lives with `cflogs query` (lib/lake/duckdb.ts); the tests read the lake with the same SQL. */
export { duckdbColumns };

/** `read_json(...)` of output files with the schema's types; a value of the wrong JSON type fails the read. */
export function readJsonSql(files: string[], schema: LogSchema): string {
  return readJson(files, duckdbColumns(schema));
}
