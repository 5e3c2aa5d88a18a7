import { parseArgs, ParseArgsConfig, ParseArgsOptionDescriptor } from 'node:util';
import { CflogsError, Disposition, Dispositions } from '../errors';

/** A wrong command line: the CLI prints it with usage and exits 2. */
export class UsageError extends CflogsError {
  override readonly name = 'UsageError';
  /** The caller's input (the command line) is wrong: only the caller can fix it. */
  override get disposition(): Disposition {
    return Dispositions.client(400);
  }
}

/** The exit codes of every command (docs/cli.md, "Exit codes"). */
export const EXIT = {
  ok: 0,
  /** An input could not be read, a query failed, a rule test failed, ... */
  failure: 1,
  /** A wrong command line or configuration. */
  usage: 2,
  /** With --strict: every input was read, but some line was rejected. */
  rejects: 3,
} as const;

/** One option of a command: what util.parseArgs takes, and one line for --help (`value` names its argument). */
export type CliOption = ParseArgsOptionDescriptor & { description: string; value?: string };
export type CliOptions = Record<string, CliOption>;

/**
 * `util.parseArgs` over a command's options, with its errors turned into a UsageError that shows the command's usage:
 * an unknown option names the nearest known one, a stray argument says the command takes none.
 */
export function parseCommandArgs<T extends ParseArgsConfig>(config: T, usage: string): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (e) {
    const err = e as Error & { code?: string };
    let message = err.message;
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const given = /'(-{1,2}[^'=]+)/.exec(message)?.[1] ?? '';
      const near = nearest(given.replace(/^-+/, ''), Object.keys(config.options ?? {}));
      message = `unknown option ${given}${near ? `; did you mean --${near}?` : ''}`;
    } else if (err.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      message = `unexpected argument ${/'([^']*)'/.exec(message)?.[1] ?? ''}: this command takes options only`;
    } else if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      message = message.replace(/^Option '(-{1,2}[^']+)'.*argument missing$/, '$1 needs a value');
    }
    throw new UsageError(`${message}\nusage: ${usage}`);
  }
}

/** The options as --help lists them: one line each, aligned. */
export function optionsHelp(options: CliOptions): string {
  const heads = Object.entries(options).map(([name, o]) => {
    const value = o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : '';
    return `  ${o.short ? `-${o.short}, ` : ''}--${name}${value}${o.multiple ? ' ...' : ''}`;
  });
  const width = Math.max(...heads.map((h) => h.length)) + 2;
  return Object.values(options)
    .map((o, i) => `${(heads[i] as string).padEnd(width)}${o.description}${o.default !== undefined && o.type === 'string' ? ` (default ${String(o.default)})` : ''}`)
    .join('\n');
}

/** The candidate closest to `word` by edit distance, when close enough to be a likely typo. */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = c.startsWith(word) && word.length >= 2 ? 0.5 : distance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

/** Levenshtein distance. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length] as number;
}
