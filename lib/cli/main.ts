#!/usr/bin/env node
import { ConfigError } from '../errors';
import { backfillCommand, BACKFILL_USAGE } from './backfill';
import { COMPACT_HELP, compactCommand, COMPACT_USAGE } from './compact';
import { ddlCommand, DDL_USAGE } from './ddl';
import { detectCommand, DETECT_USAGE } from './detect';
import { topLevelHelp, wantsHelp } from './help';
import { parseCommand, PARSE_USAGE } from './parse';
import { queryCommand, QUERY_USAGE } from './query';
import { rulesCommand, RULES_USAGE } from './rules';
import { cliRegistry } from './schemas';
import { serveCommand, SERVE_USAGE } from './serve';
import { UsageError } from './usage';

/** Each command's one-line usage (the top-level help lists them), what --help adds to it, and how it runs. */
const COMMANDS: Record<string, { usage: string; help?: string; run: (argv: string[]) => Promise<number> }> = {
  parse: {
    usage: PARSE_USAGE,
    run: (argv) => parseCommand(argv, { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin }),
  },
  detect: {
    usage: DETECT_USAGE,
    run: (argv) => detectCommand(argv, { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin }),
  },
  ddl: { usage: DDL_USAGE, run: (argv) => ddlCommand(argv, { stdout: process.stdout }) },
  serve: {
    usage: SERVE_USAGE,
    run: (argv) => serveCommand(argv, { stdout: process.stdout, stderr: process.stderr }),
  },
  backfill: {
    usage: BACKFILL_USAGE,
    run: (argv) => backfillCommand(argv, { stdout: process.stdout, stderr: process.stderr }),
  },
  query: {
    usage: QUERY_USAGE,
    run: (argv) => queryCommand(argv, { stdout: process.stdout, stderr: process.stderr }),
  },
  compact: {
    usage: COMPACT_USAGE,
    help: COMPACT_HELP,
    run: (argv) => compactCommand(argv, { stdout: process.stdout, stderr: process.stderr }),
  },
  rules: {
    usage: RULES_USAGE,
    run: (argv) => rulesCommand(argv, { stdout: process.stdout, stderr: process.stderr }),
  },
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const cmd = name !== undefined ? COMMANDS[name] : undefined;
  if (!cmd) {
    const asked = name === undefined || name === '--help' || name === '-h' || name === 'help';
    let registry: ReturnType<typeof cliRegistry>;
    try {
      registry = cliRegistry(process.env);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      process.stderr.write(`cflogs: ${e.message}\n`);
      return 2;
    }
    (asked ? process.stdout : process.stderr).write(topLevelHelp(Object.values(COMMANDS).map((c) => c.usage), registry));
    return asked ? 0 : 2;
  }
  if (wantsHelp(rest)) {
    process.stdout.write(`usage: ${cmd.usage}\n${cmd.help ? `\n${cmd.help}\n` : ''}`);
    return 0;
  }
  try {
    return await cmd.run(rest);
  } catch (e) {
    if (e instanceof UsageError || e instanceof ConfigError) {
      process.stderr.write(`cflogs ${name}: ${e.message}\n`);
      return 2;
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
      process.exitCode = 1;
    },
  );
}
