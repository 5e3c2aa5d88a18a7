import type { Writable } from 'node:stream';
import { createTableDdl, eventsTable, lakeTables, TableDef } from '../lake/catalog';
import { builtInRegistry } from '../record/registry';
import { parseCommandArgs, UsageError } from './usage';

export const DDL_USAGE = 'cflogs ddl [--database DB] [--location s3://bucket[/prefix]] [--log-type T]...';

/** `cflogs ddl`: Athena CREATE EXTERNAL TABLE statements for the log types and the rejects, from the schemas. */
export async function ddlCommand(argv: string[], io: { stdout: Writable }): Promise<number> {
  const { values } = parseCommandArgs({
    args: argv,
    options: {
      database: { type: 'string', default: 'cflogs' },
      location: { type: 'string', default: 's3://YOUR-OUTPUT-BUCKET' },
      'log-type': { type: 'string', multiple: true },
    },
  }, DDL_USAGE);
  if (!/^s3:\/\/[^/]+/.test(values.location)) throw new UsageError(`--location must be an s3:// URI\nusage: ${DDL_USAGE}`);
  if (!/^[a-z_][a-z0-9_]*$/.test(values.database)) throw new UsageError(`--database must be a Glue database name`);
  const registry = builtInRegistry();
  // Without --log-type: every log type's table and the rejects table.
  const tables: TableDef[] =
    values['log-type'] === undefined
      ? lakeTables(registry.schemas(), values.location)
      : values['log-type'].map((t) => {
          const entry = registry.find(t);
          if (!entry) throw new UsageError(`unknown log type ${t} (known: ${registry.logTypes().join(', ')})`);
          return eventsTable(entry.schema, values.location);
        });
  const statements = tables.map((t) => createTableDdl(t, values.database));
  io.stdout.write(`CREATE DATABASE IF NOT EXISTS \`${values.database}\`;\n\n${statements.join('\n\n')}\n`);
  return 0;
}
