import type { SchemaRegistry } from '../record/registry';

/** `--help` or `-h` among a command's arguments (before a `--`, after which they are file names). */
export function wantsHelp(argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

/** Words joined with ', ' into lines of at most `width` characters, each indented. */
function wrap(words: string[], indent: string, width = 100): string[] {
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    const next = line ? `${line}, ${w}` : w;
    if (line && indent.length + next.length + 1 > width) {
      lines.push(`${indent}${line},`);
      line = w;
    } else line = next;
  }
  if (line) lines.push(`${indent}${line}`);
  return lines;
}

/** The top-level help: every command with what it does, the datasets and log types the commands know, the exit codes. */
export function topLevelHelp(commands: { name: string; usage: string; summary: string }[], registry: SchemaRegistry, version: string): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  return [
    `cflogs ${version}: Cloudflare Logpush logs into an AWS data lake`,
    'usage: cflogs <command> [options] [arguments]',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    `datasets (a path segment, --dataset or a serve URL's last segment; ${registry.datasets().length}):`,
    ...wrap(registry.datasets(), '  '),
    `log types (--log-type takes either name; ${registry.logTypes().length}):`,
    ...wrap(registry.logTypes(), '  '),
    '',
    '`cflogs <command> --help` prints a command\'s usage and options; `cflogs --version` the version.',
    'Exit codes: 0 success, 1 a failure, 2 a wrong command line or configuration, 3 rejected lines (parse --strict).',
    '',
  ].join('\n');
}
