import { createWriteStream, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { outputFormat, parseRoutesFile, scanThreadOf } from '../config';
import { eventColumns } from '../lake/format';
import { objectBaseName } from '../lake/layout';
import { LocalStore } from '../lake/local-store';
import { ConfigError } from '../errors';
import { ingest } from '../pipeline/ingest';
import { Router } from '../route/router';
import { wireLocal, wireScanThread } from '../wiring';
import { silentLog } from '../log';
import { commitLocal } from './iceberg';
import { compileSchemas } from './schemas';
import { openInput } from './inputs';
import { StreamSink } from './stream-sink';
import { CliOptions, EXIT, parseCommandArgs, UsageError } from './usage';

export const PARSE_USAGE =
  'cflogs parse [--log-type T] [--source-id ID] [--source-label L] [--filters FILE] [FILE|-]...\n' +
  '      [--rejects FILE | --out DIR [--format parquet|ndjson] [--iceberg]] [--strict]';

export const PARSE_OPTIONS = {
  'log-type': { type: 'string', value: 'T', description: 'parse every input as this log type or dataset (default: by each file\'s path, else its field names)' },
  'source-id': { type: 'string', value: 'ID', description: 'p_source_id of every row' },
  'source-label': { type: 'string', value: 'L', description: 'p_source_label of every row' },
  filters: { type: 'string', value: 'FILE', description: 'ingestion filters (YAML or JSON, as CFLOGS_ROUTES_FILE)' },
  rejects: { type: 'string', value: 'FILE', description: 'write reject records to FILE (rows go to stdout)' },
  out: { type: 'string', value: 'DIR', description: 'write a lake to DIR (logs/, rejects/) instead of rows to stdout' },
  format: { type: 'string', value: 'F', description: 'with --out: parquet (default) or ndjson rows' },
  iceberg: { type: 'boolean', default: false, description: 'with --out: commit each input\'s Parquet files to DIR/iceberg tables, once' },
  strict: { type: 'boolean', default: false, description: 'exit 3 when any line was rejected (every input still read)' },
} satisfies CliOptions;

/**
 * `cflogs parse`: Logpush files (gzip, zstd or plain) -> output rows as NDJSON on stdout, rejects to --rejects;
 * or, with --out, the lake's files and layout in a directory (the rows as Parquet, or NDJSON with `--format ndjson`
 * or CFLOGS_OUTPUT_FORMAT; rejects under rejects/), as the Lambda writes them to S3. With --iceberg, each input's
 * Parquet files are then committed to the lake's Iceberg tables (DIR/iceberg, once per input, as the committer does),
 * which `cflogs query --lake DIR` reads. Exit 0 when every input was read (rejects are not failures), 1 when one
 * could not be, 2 on usage errors, 3 with --strict when every input was read but some line was rejected.
 */
export async function parseCommand(
  argv: string[],
  io: { stdout: Writable; stderr: Writable; stdin: NodeJS.ReadableStream; clock?: () => Date },
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const args = parseCommandArgs({
    args: argv,
    allowPositionals: true,
    options: PARSE_OPTIONS,
  }, PARSE_USAGE);
  const { config, registry } = wireLocal(env, compileSchemas);
  const opts = args.values;
  if (opts.out === undefined && opts.format !== undefined) throw new UsageError('--format needs --out DIR: rows on stdout are NDJSON');
  if (opts.out !== undefined && opts.rejects !== undefined) throw new UsageError('--rejects and --out: with --out, rejects go to DIR/rejects/');
  if (opts.format !== undefined) config.format = outputFormat({ CFLOGS_OUTPUT_FORMAT: opts.format });
  if (opts.iceberg && (opts.out === undefined || config.format !== 'parquet')) throw new UsageError('--iceberg needs --out DIR and Parquet files: an Iceberg table holds Parquet data files');
  const lake = opts.out !== undefined ? new LocalStore(opts.out) : undefined;
  // As the function has it, for the format given here: a failure of the thread is written to stderr.
  const scanAhead = lake
    ? wireScanThread({ scanThread: scanThreadOf(env, availableParallelism(), config.format) }, { ...silentLog, warn: (m, f) => void io.stderr.write(`cflogs: ${m}: ${String(f?.error)}\n`) })
    : undefined;
  const logType = opts['log-type'];
  const given = logType !== undefined ? registry.find(logType) : undefined;
  if (logType !== undefined && !given) throw new UsageError(`unknown log type ${logType} (known: ${registry.logTypes().join(', ')})`);
  if (opts.filters !== undefined) {
    let text: string;
    try {
      text = readFileSync(opts.filters, 'utf8');
    } catch (e) {
      throw new ConfigError(`--filters: cannot read ${opts.filters}: ${(e as Error).message}`);
    }
    let fileFilters = parseRoutesFile(text, opts.filters).filters;
    // With --log-type every input has that type: the file's filters without a logType are checked against it alone.
    if (given) fileFilters = fileFilters.withDefaultLogType(given.schema.logType);
    config.filters = config.filters.concat(fileFilters);
  }
  const router = new Router(config.routes, registry, config);
  const forced = given ? router.byName(given.schema.logType) : undefined;
  const files = args.positionals.length ? args.positionals : ['-'];
  const rejectsOut = opts.rejects !== undefined ? createWriteStream(opts.rejects) : undefined;
  const sink = new StreamSink(io.stdout, rejectsOut);
  const clock = io.clock ?? (() => new Date());
  let exit: number = EXIT.ok;
  let rejected = 0;
  for (const file of files) {
    try {
      const opened = await openInput(file, { router, ...(forced ? { forced } : {}), stdin: io.stdin, maxDecompressedBytes: config.limits.maxDecompressedBytes, stderr: io.stderr });
      if (!opened) {
        exit = EXIT.failure;
        continue;
      }
      const { body, route, identity } = opened;
      const s = await ingest(
        body,
        {
          source: opened.source,
          identity,
          route,
          location: { key: file },
          sourceId: opts['source-id'],
          sourceLabel: opts['source-label'],
        },
        lake ? { store: lake, config, baseName: objectBaseName(opened.source, identity) } : { sink },
        { now: clock(), limits: config.limits, registry, ...(scanAhead ? { scanAhead } : {}) },
      );
      rejected += s.rejected;
      const reasons = Object.entries(s.rejectsByReason).map(([r, n]) => `${r}: ${n}`).join(', ');
      io.stderr.write(
        `${file}: ${s.logType}, ${s.lines} lines, ${s.rows} rows, ${s.rejected} rejects${reasons ? ` (${reasons})` : ''}, ` +
          `${s.filtered} filtered${s.filtered ? ` (${Object.entries(s.filteredBy).map(([f, n]) => `${f}: ${n}`).join(', ')})` : ''}, ${s.blank} blank\n`,
      );
      if (lake) for (const o of s.outputs) io.stderr.write(`  ${join(opts.out as string, o.key)}: ${o.rows} ${o.kind === 'events' ? 'rows' : 'rejects'}\n`);
      if (opts.iceberg) {
        const { schema } = route.entry;
        const c = await commitLocal(opts.out as string, schema.table, eventColumns(schema, 'parquet'), identity, s.outputs, () => clock().getTime());
        if (c.snapshotId !== undefined) io.stderr.write(`  iceberg ${schema.table}: snapshot ${c.snapshotId}\n`);
        else if (c.already.length > 0) io.stderr.write(`  iceberg ${schema.table}: already committed\n`);
      }
    } catch (e) {
      io.stderr.write(`${file}: ${(e as Error).message}\n`);
      exit = EXIT.failure;
    }
  }
  if (rejectsOut) {
    rejectsOut.end();
    await once(rejectsOut, 'close');
  }
  if (exit === EXIT.ok && opts.strict && rejected > 0) {
    io.stderr.write(`--strict: ${rejected} lines rejected\n`);
    return EXIT.rejects;
  }
  return exit;
}
