import type { Writable } from 'node:stream';
import { optional } from '../env';
import { loadRuleSet } from '../rules/builtin';
import { runRuleTests } from '../rules/testing';
import { CliOptions, parseCommandArgs, UsageError } from './usage';
import { cliRegistry } from './schemas';

export const RULES_USAGE = 'cflogs rules test [--rules DIR]';

export const RULES_OPTIONS = {
  rules: { type: 'string', value: 'DIR', description: 'rule files besides the built-in rules (as CFLOGS_RULES_DIR)' },
} satisfies CliOptions;

/**
 * `cflogs rules test`: runs every rule's inline tests, the built-in rules' and those of `--rules DIR` (default
 * CFLOGS_RULES_DIR), disabled rules included, printing PASS or FAIL per case. Exit 0 when all pass, 1 on any
 * failure; a rule file that is not a valid rule is a configuration error (exit 2, naming the file).
 */
export async function rulesCommand(argv: string[], io: { stdout: Writable; stderr: Writable }, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { values, positionals } = parseCommandArgs({ args: argv, allowPositionals: true, options: RULES_OPTIONS, }, RULES_USAGE);
  if (positionals.length !== 1 || positionals[0] !== 'test') throw new UsageError(`the rules command has one subcommand, test\nusage: ${RULES_USAGE}`);
  const dir = values.rules ?? optional(env.CFLOGS_RULES_DIR);
  const set = await loadRuleSet({ knownLogTypes: cliRegistry(env).logTypes(), ...(dir !== undefined ? { dir } : {}) });
  const results = runRuleTests(set.rules);
  for (const r of results) {
    io.stdout.write(`${r.ok ? 'PASS' : 'FAIL'} ${r.ruleId}: ${r.name}\n`);
    for (const p of r.problems) io.stdout.write(`     ${p}\n`);
  }
  const failed = results.filter((r) => !r.ok).length;
  const untested = set.rules.filter((r) => r.tests.length === 0).map((r) => r.id);
  if (untested.length > 0) io.stderr.write(`rules without tests: ${untested.join(', ')}\n`);
  io.stdout.write(`\n${set.rules.length} rules: ${results.length - failed} passed, ${failed} failed\n`);
  return failed === 0 ? 0 : 1;
}
