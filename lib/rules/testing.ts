import { isDeepStrictEqual } from 'node:util';
import { messageOf } from '../errors';
import { CALL_BUDGET_MS, runWithin } from './budget';
import { matchOutputs, MatchOutputs, RuleFunction } from './engine';
import { Rule, RuleEvent, RuleTest } from './model';
import { P } from '../row/contract';

/**
 * Running a rule's inline tests (`cflogs rules test`, the unit tests). A match's outputs are the engine's own
 * (engine.ts matchOutputs): the title and dedup string as capped, the severity as resolved, the alert context after
 * its JSON round trip, and an error the engine would count for the row fails the case.
 */

export interface RuleTestResult {
  ruleId: string;
  name: string;
  ok: boolean;
  /** What differed, for a person; empty when ok. */
  problems: string[];
  /** For a case the rule matched: what the engine records for the row. */
  outputs?: MatchOutputs;
}

/** A test case may run this long: a rule that loops on its test fails it instead of hanging `cflogs rules test`. */
export const TEST_BUDGET_MS = 10 * CALL_BUDGET_MS;

/** The rule's function an engine error names, as a person reads it in a failed case. */
const FUNCTION_NAMES: Record<RuleFunction, string> = {
  rule: 'rule()',
  title: 'title()',
  dedup: 'dedup()',
  severity: 'severityOf()',
  alertContext: 'alertContext()',
  [P.p_event_time]: P.p_event_time,
  budget: 'the time budget',
};

/** The engine's errors for a matched row, as problems of a test case. */
export function errorProblems(out: MatchOutputs): string[] {
  return out.errors.map((e) => `${FUNCTION_NAMES[e.fn]} failed: ${e.message}`);
}

/** One test case: the rule's result must be `expected`; for a match, the given title/dedup/severity/context too. */
export function runRuleTest(rule: Rule, test: RuleTest): RuleTestResult {
  let result: RuleTestResult | undefined;
  if (runWithin(TEST_BUDGET_MS, () => void (result = runUnlimited(rule, test))) && result) return result;
  return { ruleId: rule.id, name: test.name, ok: false, problems: [`ran over ${TEST_BUDGET_MS} ms and was stopped`] };
}

function runUnlimited(rule: Rule, test: RuleTest): RuleTestResult {
  const problems: string[] = [];
  const event = test.log as RuleEvent;
  let matched: unknown;
  try {
    matched = rule.rule(event);
  } catch (e) {
    problems.push(`rule() threw: ${messageOf(e)}`);
  }
  if (problems.length === 0 && matched !== test.expected) problems.push(`expected ${test.expected}, rule() returned ${String(matched)}`);
  let outputs: MatchOutputs | undefined;
  if (problems.length === 0 && matched === true) {
    const out = (outputs = matchOutputs(rule, event));
    problems.push(...errorProblems(out));
    if (test.title !== undefined && out.title !== test.title) problems.push(`title: expected ${JSON.stringify(test.title)}, got ${JSON.stringify(out.title)}`);
    if (test.dedup !== undefined && out.dedup !== test.dedup) problems.push(`dedup: expected ${JSON.stringify(test.dedup)}, got ${JSON.stringify(out.dedup)}`);
    if (test.severity !== undefined && out.severity !== test.severity) problems.push(`severity: expected ${test.severity}, got ${out.severity}`);
    if (test.alertContext !== undefined && !isDeepStrictEqual(out.alertContext, test.alertContext)) {
      problems.push(`alertContext: expected ${JSON.stringify(test.alertContext)}, got ${JSON.stringify(out.alertContext)}`);
    }
  }
  return { ruleId: rule.id, name: test.name, ok: problems.length === 0, problems, ...(outputs ? { outputs } : {}) };
}

/** Every inline test of every rule, in order. */
export function runRuleTests(rules: readonly Rule[]): RuleTestResult[] {
  return rules.flatMap((r) => r.tests.map((t) => runRuleTest(r, t)));
}
