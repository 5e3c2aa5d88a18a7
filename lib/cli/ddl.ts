import type { Writable } from 'node:stream';
import { createTableDdl, eventsTable, lakeTables, TableDef } from '../lake/catalog';
import type { SchemaRegistry } from '../record/registry';
import { cliRegistry } from './schemas';
import { outputFormat } from '../config';
import type { LakeFormat } from '../lake/format';
import { CliOptions, parseCommandArgs, UsageError } from './usage';

// One line: main prints it for --help and the top-level help lists it among the others.
export const DDL_USAGE = 'cflogs ddl [--database DB] [--location s3://bucket[/prefix]] [--format parquet|ndjson] [--table T|--log-type T...]';

export const DDL_OPTIONS = {
  database: { type: 'string', default: 'cflogs', value: 'DB', description: 'the Glue database' },
  location: { type: 'string', default: 's3://YOUR-OUTPUT-BUCKET', value: 'URI', description: 'the lake: s3://bucket[/prefix]' },
  format: { type: 'string', value: 'F', description: 'parquet (default, or CFLOGS_OUTPUT_FORMAT) or ndjson tables' },
  table: { type: 'string', value: 'T', description: 'one table\'s statement alone: a table, log type or dataset' },
  'log-type': { type: 'string', multiple: true, value: 'T', description: 'these log types\' tables only' },
} satisfies CliOptions;

/**
 * `cflogs ddl`: Athena CREATE EXTERNAL TABLE statements, from the schemas. By default CREATE DATABASE, then every
 * table of the lake (one per log type, then the rejects); `--log-type T...` narrows that to those log types;
 * `--table T` prints that one table's statement alone, T being a table (`cflogs_rejects`), a log type or a dataset.
 */
export async function ddlCommand(argv: string[], io: { stdout: Writable }, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { values } = parseCommandArgs({
    args: argv,
    options: DDL_OPTIONS,
  }, DDL_USAGE);
  // The lake's format, as the functions have it (CFLOGS_OUTPUT_FORMAT, Parquet when unset) unless --format says.
  const format = outputFormat(values.format !== undefined ? { CFLOGS_OUTPUT_FORMAT: values.format } : env);
  if (!/^s3:\/\/[^/]+/.test(values.location)) throw new UsageError(`--location must be an s3:// URI\nusage: ${DDL_USAGE}`);
  if (!/^[a-z_][a-z0-9_]*$/.test(values.database)) throw new UsageError(`--database must be a Glue database name`);
  if (values.table !== undefined && values['log-type'] !== undefined) {
    throw new UsageError(`--table and --log-type choose tables two ways: give one\nusage: ${DDL_USAGE}`);
  }
  const registry = cliRegistry(env);
  if (values.table !== undefined) {
    // One statement and no CREATE DATABASE: what Athena's query editor accepts in one run.
    const table = findTable(registry, values.table, values.location, format);
    io.stdout.write(`${createTableDdl(table, values.database)}\n`);
    return 0;
  }
  // Without --log-type: every log type's table and the rejects table.
  const tables: TableDef[] =
    values['log-type'] === undefined
      ? lakeTables(registry.schemas(), values.location, format)
      : values['log-type'].map((t) => {
          const entry = registry.find(t);
          if (!entry) throw new UsageError(`unknown log type ${t} (known: ${registry.logTypes().join(', ')})`);
          return eventsTable(entry.schema, values.location, format);
        });
  const statements = tables.map((t) => createTableDdl(t, values.database));
  io.stdout.write(`CREATE DATABASE IF NOT EXISTS \`${values.database}\`;\n\n${statements.join('\n\n')}\n`);
  return 0;
}

/** A table of the lake by its Glue name, or a log type's by the log type's name or Logpush dataset. */
function findTable(registry: SchemaRegistry, name: string, location: string, format: LakeFormat): TableDef {
  const tables = lakeTables(registry.schemas(), location, format);
  const table = tables.find((t) => t.name === name) ?? tables.find((t) => t.name === registry.find(name)?.schema.table);
  if (!table) {
    throw new UsageError(
      `unknown table ${name} (known: ${tables.map((t) => t.name).join(', ')}; or a log type or dataset name, listed by cflogs --help)`,
    );
  }
  return table;
}
