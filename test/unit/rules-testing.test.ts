import { builtInRules } from '../../lib/rules/builtin';
import { capDedup, LogTypeRules, MAX_CONTEXT_CHARS, MAX_TITLE_CHARS, matchOutputs } from '../../lib/rules/engine';
import { defineRule, Rule, RuleEvent, RuleSpec, RuleTest } from '../../lib/rules/model';
import { lakeTime } from '../../lib/rules/time';
import { runRuleTest } from '../../lib/rules/testing';

/**
 * Rule tests report what the engine records: these would fail if lib/rules/testing.ts read a rule's functions its
 * own way instead of through the engine's (engine.ts matchOutputs and the helpers InputDetections uses).
 */

const T = '2026-03-02 10:00:00.000000000';
const rule = (spec: Partial<RuleSpec>) => defineRule({ id: 'Test.Outputs', logTypes: ['Cloudflare.Firewall'], severity: 'Low', displayName: 'Test outputs', rule: () => true, ...spec });
const check = (r: Rule, expect: Partial<RuleTest>) => runRuleTest(r, { name: 'case', expected: true, log: { Action: 'block' }, ...expect });

const byFn = <E extends { fn: string }>(errors: E[]): E[] => [...errors].sort((a, b) => a.fn.localeCompare(b.fn));

/** What InputDetections records for one row of `r` (run inline, or within time limits), as the test reports it. */
function engineRecords(r: Rule, log: Record<string, unknown>, limited: boolean) {
  const row: RuleEvent = { ...log, p_row_id: 'r1', ...(lakeTime(log.p_event_time) === undefined ? { p_event_time: T } : {}) };
  const d = new LogTypeRules(r.logTypes[0]!, [r], limited ? new Set([r]) : new Set()).start();
  d.onRow(row);
  const [group, ...others] = d.contributions();
  expect(others).toEqual([]);
  const head = group!.minutes[0]!.head;
  return {
    row,
    engine: {
      title: head.title,
      dedup: group!.dedup,
      severity: head.severity,
      alertContext: head.context,
      // By function: a run within time limits counts a throw before a result it may not give.
      errors: byFn(d.ruleErrors().map((e) => ({ fn: e.fn, message: e.message, count: e.count }))),
    },
  };
}

/** Testing's outputs for the same row equal the engine's, on both of the engine's paths. */
function expectSamePaths(r: Rule, log: Record<string, unknown>): void {
  for (const limited of [false, true]) {
    const { row, engine } = engineRecords(r, log, limited);
    const out = runRuleTest(r, { name: 'same', expected: true, log: row }).outputs!;
    expect({ limited, ...out, errors: byFn(out.errors.map((e) => ({ ...e, message: e.message.slice(0, 500), count: 1 }))) }).toEqual({ limited, ...engine });
  }
}

const LONG_TITLE = 'T'.repeat(2000);
const LONG_DEDUP = 'd'.repeat(1500);
const cycle = (): Record<string, unknown> => {
  const o: Record<string, unknown> = { a: 1 };
  o.self = o;
  return o;
};
/** Rules whose outputs the engine changes (caps, defaults, descriptions) or counts as errors. */
const HOSTILE: [string, Rule][] = [
  ['a 2,000-character title', rule({ title: () => LONG_TITLE })],
  ['a dedup string of 1,500 characters', rule({ title: () => 'short', dedup: () => LONG_DEDUP })],
  ['a context holding a BigInt', rule({ alertContext: () => ({ n: 1n, ok: true }) })],
  ['a context with a cycle', rule({ alertContext: cycle })],
  ['a context past MAX_CONTEXT_CHARS', rule({ alertContext: () => ({ big: 'x'.repeat(MAX_CONTEXT_CHARS) }) })],
  ['severityOf giving medium', rule({ severityOf: () => 'medium' as 'Medium' })],
  ['severityOf giving DEFAULT', rule({ severity: 'High', severityOf: () => 'DEFAULT' })],
  ['an empty title', rule({ title: () => '' })],
  ['a title that is no text, a severity that is none, a context that throws', rule({ title: () => 42 as unknown as string, severityOf: () => 'Severe' as 'High', alertContext: () => { throw new Error('no context'); } })],
  ['a dedup function that throws', rule({ title: () => 'titled', dedup: () => { throw new Error('no dedup'); } })],
];

describe('a rule test expects what the engine records', () => {
  test('a 2,000-character title: the expected title is the capped one', () => {
    const r = HOSTILE[0]![1];
    expect(check(r, { title: LONG_TITLE.slice(0, MAX_TITLE_CHARS) }).problems).toEqual([]);
    expect(check(r, { title: LONG_TITLE }).problems).toEqual([expect.stringMatching(/^title: expected "T{2000}", got "T{1000}"$/)]);
    // The default dedup string is the capped title.
    expect(check(r, { dedup: LONG_TITLE.slice(0, MAX_TITLE_CHARS) }).ok).toBe(true);
  });

  test('a dedup string over 1,000 characters: the expected one is its capped form', () => {
    const r = HOSTILE[1]![1];
    expect(capDedup(LONG_DEDUP)).not.toBe(LONG_DEDUP);
    expect(check(r, { dedup: capDedup(LONG_DEDUP) }).problems).toEqual([]);
    expect(check(r, { dedup: LONG_DEDUP }).ok).toBe(false);
  });

  test('an alert context with a BigInt or a cycle is the _unserialisable description; a large one is truncated text', () => {
    expect(check(HOSTILE[2]![1], { alertContext: { _unserialisable: ['n', 'ok'] } }).problems).toEqual([]);
    expect(check(HOSTILE[3]![1], { alertContext: { _unserialisable: ['a', 'self'] } }).problems).toEqual([]);
    const big = check(HOSTILE[4]![1], {}).outputs!.alertContext;
    expect(Object.keys(big)).toEqual(['_truncated']);
    expect(JSON.stringify(big).length).toBeLessThanOrEqual(MAX_CONTEXT_CHARS);
  });

  test("severityOf's answer is resolved: 'medium' is Medium, 'DEFAULT' the rule's own", () => {
    expect(check(HOSTILE[5]![1], { severity: 'Medium' }).problems).toEqual([]);
    expect(check(HOSTILE[6]![1], { severity: 'High' }).problems).toEqual([]);
  });

  test('a title function returning an empty string falls back to the display name, and so does the dedup string', () => {
    expect(check(HOSTILE[7]![1], { title: 'Test outputs', dedup: 'Test outputs' }).problems).toEqual([]);
  });

  test('what the engine counts as an error fails the case, the outputs falling back as the engine does', () => {
    const bad = check(HOSTILE[8]![1], { title: 'Test outputs', severity: 'Low', alertContext: {} });
    expect(bad.problems).toEqual(['title() failed: returned number, not text', 'severityOf() failed: returned "Severe", not a severity', 'alertContext() failed: no context']);
    expect(check(HOSTILE[9]![1], { dedup: 'titled' }).problems).toEqual(['dedup() failed: no dedup']);
  });
});

describe('testing.ts and InputDetections give the same outputs', () => {
  test('matchOutputs is what runRuleTest reports', () => {
    const r = HOSTILE[0]![1];
    const log = { Action: 'block' };
    expect(check(r, {}).outputs).toEqual(matchOutputs(r, log));
  });

  const matching = builtInRules().flatMap((r) => r.tests.filter((t) => t.expected).map((t) => [r.id, t.name, r, t] as const));
  test.each(matching)('built-in %s: %s', (_id, _name, r, t) => {
    expectSamePaths(r, t.log);
  });

  test.each(HOSTILE)('%s', (_what, r) => {
    expectSamePaths(r, { Action: 'block' });
  });
});
