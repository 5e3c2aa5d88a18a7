import type { Writable } from 'node:stream';
import { optional } from '../env';
import { builtInRules, loadRuleSet } from '../rules/builtin';
import type { Rule } from '../rules/model';
import { runRuleTests } from '../rules/testing';
import { compileSigmaDir, SigmaCompilation } from '../sigma';
import { CliOptions, parseCommandArgs, UsageError } from './usage';
import { cliRegistry } from './schemas';

export const RULES_USAGE = 'cflogs rules test [--rules DIR] | list [--json] [--rules DIR] [--sigma DIR] | sigma DIR [--json]';

export const RULES_OPTIONS = {
  rules: { type: 'string', value: 'DIR', description: 'rule files besides the built-in rules (as CFLOGS_RULES_DIR)' },
  sigma: { type: 'string', value: 'DIR', description: 'rules list: Sigma rules to compile and list beside the others' },
  json: { type: 'boolean', description: 'rules list and rules sigma: one JSON object per line instead of text' },
} satisfies CliOptions;

/**
 * `cflogs rules test`: runs every rule's inline tests, the built-in rules' and those of `--rules DIR` (default
 * CFLOGS_RULES_DIR), disabled rules included, printing PASS or FAIL per case. Exit 0 when all pass, 1 on any
 * failure; a rule file that is not a valid rule is a configuration error (exit 2, naming the file).
 * `cflogs rules list`: every rule (built-in, user, and `--sigma DIR`'s compiled) with its log types, severity,
 * switch, tags and source. `cflogs rules sigma DIR`: compiles a directory of Sigma rules and reports what compiled
 * per category and dataset, and each refused rule with the reason; exit 0 (refusals are a report, not a failure).
 */
export async function rulesCommand(argv: string[], io: { stdout: Writable; stderr: Writable }, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { values, positionals } = parseCommandArgs({ args: argv, allowPositionals: true, options: RULES_OPTIONS }, RULES_USAGE);
  const sub = positionals[0];
  const wrong = (why: string): never => {
    throw new UsageError(`${why}\nusage: ${RULES_USAGE}`);
  };
  if (sub === 'sigma') {
    if (positionals.length !== 2) wrong('rules sigma takes one directory');
    return sigmaReport(compileSigmaDir(positionals[1] as string), values.json === true, io);
  }
  if (values.sigma !== undefined && sub !== 'list') wrong('--sigma goes with rules list (and cflogs detect)');
  if (values.json === true && sub !== 'list') wrong('--json goes with rules list and rules sigma');
  const dir = values.rules ?? optional(env.CFLOGS_RULES_DIR);
  if (sub === 'list' && positionals.length === 1) {
    const sigma = values.sigma !== undefined ? compileSigmaDir(values.sigma) : undefined;
    const set = await loadRuleSet({ knownLogTypes: cliRegistry(env).logTypes(), ...(dir !== undefined ? { dir } : {}) });
    return listRules([...set.rules, ...(sigma?.compiled.map((c) => c.rule) ?? [])], new Set(sigma?.compiled.map((c) => c.rule) ?? []), values.json === true, io);
  }
  if (positionals.length !== 1 || sub !== 'test') wrong('the rules command has the subcommands test, list and sigma');
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

function listRules(rules: readonly Rule[], sigma: ReadonlySet<Rule>, json: boolean, io: { stdout: Writable }): number {
  const builtIn = new Set(builtInRules());
  const rows = [...rules]
    .sort((a, b) => a.id.localeCompare(b.id))
    .map((r) => ({
      id: r.id,
      logTypes: r.logTypes,
      severity: r.severity,
      enabled: r.enabled,
      tags: r.tags,
      source: builtIn.has(r) ? 'built-in' : sigma.has(r) ? 'sigma' : 'user',
      ...(r.source !== undefined ? { file: r.source } : {}),
    }));
  if (json) {
    for (const r of rows) io.stdout.write(`${JSON.stringify(r)}\n`);
    return 0;
  }
  for (const r of rows) {
    io.stdout.write(`${r.id}\t${r.logTypes.join(',')}\t${r.severity}\t${r.enabled ? 'enabled' : 'disabled'}\t${r.source}\t${r.tags.join(',')}\n`);
  }
  io.stdout.write(`\n${rows.length} rules\n`);
  return 0;
}

function sigmaReport(c: SigmaCompilation, json: boolean, io: { stdout: Writable }): number {
  if (json) {
    for (const x of c.compiled) io.stdout.write(`${JSON.stringify({ file: x.meta.file, id: x.rule.id, category: x.category, logTypes: x.logTypes, compiled: true })}\n`);
    for (const x of c.refused) io.stdout.write(`${JSON.stringify({ ...x, compiled: false })}\n`);
    return 0;
  }
  const counts = new Map<string, number>();
  for (const x of c.compiled) {
    const key = `${x.category} -> ${x.logTypes.join(' + ')}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const total = c.compiled.length + c.refused.length;
  io.stdout.write(`${c.compiled.length} of ${total} Sigma rules compiled\n`);
  for (const [k, n] of [...counts].sort()) io.stdout.write(`  ${k}: ${n}\n`);
  if (c.refused.length > 0) {
    io.stdout.write(`\n${c.refused.length} refused:\n`);
    for (const r of c.refused) io.stdout.write(`  ${r.file}${r.id ? ` (${r.id})` : ''}: ${r.reason}\n`);
  }
  return 0;
}
