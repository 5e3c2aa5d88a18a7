#!/usr/bin/env node
import { ConfigError } from '../errors';
import { BACKFILL_HELP, backfillCommand, BACKFILL_OPTIONS, BACKFILL_USAGE } from './backfill';
import { COMPACT_HELP, compactCommand, COMPACT_OPTIONS, COMPACT_USAGE } from './compact';
import { ddlCommand, DDL_OPTIONS, DDL_USAGE } from './ddl';
import { detectCommand, DETECT_OPTIONS, DETECT_USAGE } from './detect';
import { topLevelHelp, wantsHelp } from './help';
import { JOB_HELP, jobCommand, JOB_OPTIONS, JOB_USAGE } from './job';
import { parseCommand, PARSE_OPTIONS, PARSE_USAGE } from './parse';
import { queryCommand, QUERY_OPTIONS, QUERY_USAGE } from './query';
import { rulesCommand, RULES_OPTIONS, RULES_USAGE } from './rules';
import { cliRegistry } from './schemas';
import { serveCommand, SERVE_OPTIONS, SERVE_USAGE } from './serve';
import { CliOptions, EXIT, nearest, optionsHelp, UsageError } from './usage';

/** A command: its one-line usage (the top-level help lists them), what it does, its options, and how it runs. */
export interface Command {
  usage: string;
  summary: string;
  options: CliOptions;
  /** More than the summary, printed by --help after the options. */
  help?: string;
  run: (argv: string[]) => Promise<number>;
}

const out = { stdout: process.stdout, stderr: process.stderr };

export const COMMANDS: Record<string, Command> = {
  parse: {
    usage: PARSE_USAGE,
    summary: 'Logpush files (gzip, zstd or plain; - for stdin) into rows on stdout, or into a lake with --out.',
    options: PARSE_OPTIONS,
    run: (argv) => parseCommand(argv, { ...out, stdin: process.stdin }),
  },
  query: { usage: QUERY_USAGE, summary: 'DuckDB SQL over a local lake, a view per table (its current snapshot for an Iceberg table).', options: QUERY_OPTIONS, run: (argv) => queryCommand(argv, out) },
  compact: { usage: COMPACT_USAGE, summary: 'Bin-packs a local lake\'s Iceberg tables, as Glue\'s compaction optimizer does.', options: COMPACT_OPTIONS, help: COMPACT_HELP, run: (argv) => compactCommand(argv, out) },
  ddl: { usage: DDL_USAGE, summary: 'Athena CREATE EXTERNAL TABLE statements (Hive tables with partition projection) from the schemas.', options: DDL_OPTIONS, run: (argv) => ddlCommand(argv, out) },
  job: { usage: JOB_USAGE, summary: 'The Cloudflare API requests (curl) that create a Logpush job for a dataset.', options: JOB_OPTIONS, help: JOB_HELP, run: (argv) => jobCommand(argv, out) },
  detect: {
    usage: DETECT_USAGE,
    summary: 'Runs the detection rules over Logpush files and prints the alerts that fire, as NDJSON.',
    options: DETECT_OPTIONS,
    run: (argv) => detectCommand(argv, { ...out, stdin: process.stdin }),
  },
  rules: { usage: RULES_USAGE, summary: 'Runs every rule\'s own test cases (test), lists the rules (list), compiles Sigma rules (sigma).', options: RULES_OPTIONS, run: (argv) => rulesCommand(argv, out) },
  serve: { usage: SERVE_USAGE, summary: 'The Logpush HTTP destination on 127.0.0.1, writing a local lake, until SIGINT or SIGTERM.', options: SERVE_OPTIONS, run: (argv) => serveCommand(argv, out) },
  backfill: { usage: BACKFILL_USAGE, summary: 'Enqueues existing Logpush objects for a deployed stack to ingest.', options: BACKFILL_OPTIONS, help: BACKFILL_HELP, run: (argv) => backfillCommand(argv, out) },
};

/** The package's version: the bundle carries package.json's, the sources read it. */
export function version(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('../../package.json') as { version: string }).version;
}

/** One command's --help: usage, what it does, its options one line each, and what else it needs said. */
export function commandHelp(cmd: Command): string {
  return [`usage: ${cmd.usage}`, '', cmd.summary, '', 'options:', optionsHelp(cmd.options), ...(cmd.help ? ['', cmd.help] : []), ''].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-V' || name === 'version') {
    process.stdout.write(`cflogs ${version()}\n`);
    return EXIT.ok;
  }
  // `cflogs help parse` as `cflogs parse --help`.
  if (name === 'help' && rest[0] !== undefined && Object.hasOwn(COMMANDS, rest[0])) return main([rest[0], '--help']);
  const cmd = name !== undefined && Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!cmd) {
    const asked = name === undefined || name === '--help' || name === '-h' || name === 'help';
    if (!asked) {
      const near = nearest(name, Object.keys(COMMANDS));
      process.stderr.write(`cflogs: unknown command ${JSON.stringify(name)}${near ? `; did you mean ${near}?` : ''} (cflogs --help lists the commands)\n`);
      return EXIT.usage;
    }
    let registry: ReturnType<typeof cliRegistry>;
    try {
      registry = cliRegistry(process.env);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      process.stderr.write(`cflogs: ${e.message}\n`);
      return EXIT.usage;
    }
    process.stdout.write(topLevelHelp(Object.entries(COMMANDS).map(([n, c]) => ({ name: n, usage: c.usage, summary: c.summary })), registry, version()));
    return EXIT.ok;
  }
  if (wantsHelp(rest)) {
    process.stdout.write(commandHelp(cmd));
    return EXIT.ok;
  }
  try {
    return await cmd.run(rest);
  } catch (e) {
    if (e instanceof UsageError || e instanceof ConfigError) {
      process.stderr.write(`cflogs ${name}: ${e.message}\n`);
      return EXIT.usage;
    }
    throw e;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`cflogs: ${(e as Error).stack ?? String(e)}\n`);
      process.exitCode = EXIT.failure;
    },
  );
}
