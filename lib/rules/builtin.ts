import { BUILT_IN_RULES } from '../../rules';
import type { Rule } from './model';
import { loadUserRules, loadUserRulesSync } from './load';
import { RuleSet, RuleSetOptions } from './engine';

/** The rules shipped in rules/ (one file per rule, listed in rules/index.ts). */
export function builtInRules(): readonly Rule[] {
  return BUILT_IN_RULES;
}

/**
 * The rule set an entry point runs: the built-in rules plus the user rules of `dir` (when given), checked
 * together (unique ids, known log types, enable/disable ids that exist). Throws a RuleDefinitionError naming the
 * rule and its file.
 */
export async function loadRuleSet(opts: RuleSetOptions & { dir?: string }): Promise<RuleSet> {
  const user = opts.dir !== undefined ? await loadUserRules(opts.dir) : [];
  return new RuleSet([...builtInRules(), ...user], { trusted: builtInRules(), ...opts });
}

/** loadRuleSet for a cold start that cannot await (lib/wiring.ts). */
export function loadRuleSetSync(opts: RuleSetOptions & { dir?: string }): RuleSet {
  const user = opts.dir !== undefined ? loadUserRulesSync(opts.dir) : [];
  return new RuleSet([...builtInRules(), ...user], { trusted: builtInRules(), ...opts });
}
