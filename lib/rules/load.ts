import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { messageOf } from '../errors';
import { defineRule, Rule, RuleDefinitionError, RuleSpec } from './model';

/**
 * User rules: every `*.ts` / `*.js` file directly in a directory (CFLOGS_RULES_DIR, `--rules DIR`) is a rule
 * module, loaded with a dynamic import. A module default-exports one rule (what `defineRule` returns, or the plain
 * object, which is checked the same way) or exports `rules`, a list of them. Files whose name starts with `_` or
 * `.`, declaration files and tests are not rules (helpers live there). Anything else that is not a valid rule
 * fails the load with a message naming the file: a bad rule stops the start, never silently drops out.
 */

const RULE_FILE = /^[^_.].*(?<!\.d|\.test|\.spec)\.(ts|js|mjs|cjs|mts|cts)$/;

export async function loadUserRules(dir: string): Promise<Rule[]> {
  const rules: Rule[] = [];
  for (const file of ruleFiles(dir)) {
    let mod: Record<string, unknown>;
    try {
      mod = (await import(file)) as Record<string, unknown>;
    } catch (e) {
      throw new RuleDefinitionError(`${file}: cannot be loaded: ${messageOf(e)}`, { cause: e });
    }
    rules.push(...rulesOfModule(mod, file));
  }
  return rules;
}

/**
 * The same with require(), for the Lambda's cold start, which cannot await (a CommonJS bundle): there the rule files
 * are CommonJS the package step compiled, and under tsx or jest a `.ts` file is compiled as it is required.
 */
export function loadUserRulesSync(dir: string): Rule[] {
  return ruleFiles(dir).flatMap((file) => {
    let mod: Record<string, unknown>;
    try {
      // Shaped as import() gives a CommonJS module, so both loaders accept the same files.
      mod = { default: require(file) as unknown };
    } catch (e) {
      throw new RuleDefinitionError(`${file}: cannot be loaded: ${messageOf(e)}`, { cause: e });
    }
    return rulesOfModule(mod, file);
  });
}

/** The rule files of a directory, by name. */
function ruleFiles(dir: string): string[] {
  const root = resolve(dir);
  try {
    if (!statSync(root).isDirectory()) throw new Error('not a directory');
    return readdirSync(root)
      .filter((n) => RULE_FILE.test(n))
      .sort()
      .map((n) => join(root, n))
      .filter((f) => statSync(f).isFile());
  } catch (e) {
    throw new RuleDefinitionError(`rules directory ${dir}: ${messageOf(e)}`, { cause: e });
  }
}

/** The rules a module exports (default or `rules`), each checked with defineRule naming the file. */
export function rulesOfModule(mod: Record<string, unknown>, file: string): Rule[] {
  // A CommonJS module (or ES module syntax compiled to it) comes as { default: its exports, ...named }: when the
  // default is an object that is not itself a rule, it is the exports object, and the rules are inside it.
  const d = mod.default;
  const exportsObject = typeof d === 'object' && d !== null && !Array.isArray(d) && typeof (d as { rule?: unknown }).rule !== 'function';
  const exp = exportsObject ? (d as Record<string, unknown>) : mod;
  const specs: unknown[] = [];
  if (exp.default !== undefined) specs.push(...(Array.isArray(exp.default) ? exp.default : [exp.default]));
  if (exp.rules !== undefined) {
    if (!Array.isArray(exp.rules)) throw new RuleDefinitionError(`${file}: \`rules\` must be a list of rules`);
    specs.push(...exp.rules);
  }
  if (specs.length === 0) throw new RuleDefinitionError(`${file}: exports no rule (default-export a rule, or export \`rules\`, a list of rules)`);
  return specs.map((s) => defineRule(s as RuleSpec, file));
}
