import { createContext, Script } from 'node:vm';

/**
 * Time limits on rule code. A rule is a function of a row, and a rule can loop or backtrack for minutes on a row
 * built for it; JavaScript cannot stop a synchronous call from outside, but V8 can stop everything the thread runs
 * when a watchdog fires: node:vm's `timeout`. Arming that watchdog costs about 0.15 ms, so the engine arms it once
 * per batch of rows, not per call (lib/rules/engine.ts).
 */

/** How long one call of a rule's function (rule, title, dedup, ...) on one row may run. */
export const CALL_BUDGET_MS = 100;
/** How long one rule may run over one input: this, plus ROW_ALLOWANCE_MS per row the input has had so far. */
export const INPUT_BUDGET_MS = 2000;
export const ROW_ALLOWANCE_MS = 0.05;

/** The rule time one rule may have spent after `rows` rows of an input. */
export function inputBudgetMs(rows: number): number {
  return INPUT_BUDGET_MS + ROW_ALLOWANCE_MS * rows;
}

// Made on first use: a cold start whose rules are all trusted never needs them.
let timed: { context: { run?: () => void }; script: Script } | undefined;

/**
 * Runs `f` and stops it after `ms` milliseconds: returns true when it ran to its end, false when it was stopped.
 * A stop lands wherever `f` is, so `f` must leave its results where a stop at any point loses none that it
 * reported finished (the engine writes each call's result to its own slot before moving its cursor on).
 */
export function runWithin(ms: number, f: () => void): boolean {
  timed ??= { context: createContext({}) as { run?: () => void }, script: new Script('run()', { filename: 'cflogs-rules-budget' }) };
  const { context, script } = timed;
  context.run = f;
  try {
    script.runInContext(context, { timeout: Math.max(1, Math.ceil(ms)) });
    return true;
  } catch (e) {
    if ((e as { code?: string })?.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') return false;
    throw e;
  } finally {
    delete context.run;
  }
}
