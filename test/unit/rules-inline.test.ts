import { builtInRules } from '../../lib/rules/builtin';
import { defineRule } from '../../lib/rules/model';
import { runRuleTest, TEST_BUDGET_MS } from '../../lib/rules/testing';

// Every built-in rule's own test cases (rules/*.ts), one jest test per case.
const cases = builtInRules().flatMap((rule) => rule.tests.map((t) => [rule.id, t.name, rule, t] as const));

describe('built-in rules pass their inline tests', () => {
  test.each(cases)('%s: %s', (_id, _name, rule, t) => {
    expect(runRuleTest(rule, t).problems).toEqual([]);
  });
});

test('every built-in rule has a matching and a non-matching test case', () => {
  for (const rule of builtInRules()) {
    expect({ id: rule.id, matching: rule.tests.some((t) => t.expected) }).toEqual({ id: rule.id, matching: true });
    expect({ id: rule.id, other: rule.tests.some((t) => !t.expected) }).toEqual({ id: rule.id, other: true });
  }
});

test('a rule that loops on its own test case fails that case, stopped after its budget, instead of hanging the run', () => {
  const loops = defineRule({
    id: 'Custom.Loops',
    logTypes: ['Cloudflare.Firewall'],
    severity: 'Low',
    rule: (e) => {
      while (e.Action === 'block') {
        /* a bug */
      }
      return false;
    },
    tests: [{ name: 'a block', expected: true, log: { Action: 'block' } }],
  });
  expect(runRuleTest(loops, loops.tests[0]!)).toEqual({ ruleId: 'Custom.Loops', name: 'a block', ok: false, problems: [`ran over ${TEST_BUDGET_MS} ms and was stopped`] });
});
