import { isDeepStrictEqual } from 'node:util';
import { messageOf } from '../errors';
import { CALL_BUDGET_MS, runWithin } from './budget';
import { Rule, RuleEvent, RuleTest, Severity, severityOf } from './model';

/** Running a rule's inline tests (`cflogs rules test`, the unit tests) and Panther's test cases (the conformance check). */

export interface RuleTestResult {
  ruleId: string;
  name: string;
  ok: boolean;
  /** What differed, for a person; empty when ok. */
  problems: string[];
}

/** What a rule gives for a row it matches, with Panther's defaults: title the display name, dedup the title. */
export interface RuleOutputs {
  title: string;
  dedup: string;
  severity: Severity;
  alertContext: Record<string, unknown>;
}

export function ruleOutputs(rule: Rule, event: RuleEvent): RuleOutputs {
  const title = rule.title?.(event) || rule.displayName;
  const dedup = rule.dedup?.(event) || title;
  const s = rule.severityOf?.(event);
  const severity = severityOf(s) ?? rule.severity;
  return { title, dedup, severity, alertContext: rule.alertContext?.(event) ?? {} };
}

/** A test case may run this long: a rule that loops on its test fails it instead of hanging `cflogs rules test`. */
export const TEST_BUDGET_MS = 10 * CALL_BUDGET_MS;

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
  const wants = test.title !== undefined || test.dedup !== undefined || test.severity !== undefined || test.alertContext !== undefined;
  if (problems.length === 0 && matched === true && wants) {
    try {
      const out = ruleOutputs(rule, event);
      if (test.title !== undefined && out.title !== test.title) problems.push(`title: expected ${JSON.stringify(test.title)}, got ${JSON.stringify(out.title)}`);
      if (test.dedup !== undefined && out.dedup !== test.dedup) problems.push(`dedup: expected ${JSON.stringify(test.dedup)}, got ${JSON.stringify(out.dedup)}`);
      if (test.severity !== undefined && out.severity !== test.severity) problems.push(`severity: expected ${test.severity}, got ${out.severity}`);
      if (test.alertContext !== undefined && !isDeepStrictEqual(out.alertContext, test.alertContext)) {
        problems.push(`alertContext: expected ${JSON.stringify(test.alertContext)}, got ${JSON.stringify(out.alertContext)}`);
      }
    } catch (e) {
      problems.push(`title/dedup/severityOf/alertContext threw: ${messageOf(e)}`);
    }
  }
  return { ruleId: rule.id, name: test.name, ok: problems.length === 0, problems };
}

/** Every inline test of every rule, in order. */
export function runRuleTests(rules: readonly Rule[]): RuleTestResult[] {
  return rules.flatMap((r) => r.tests.map((t) => runRuleTest(r, t)));
}
