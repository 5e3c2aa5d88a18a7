import { createHash } from 'node:crypto';
import { messageOf } from '../errors';
import { CALL_BUDGET_MS, INPUT_BUDGET_MS, inputBudgetMs, ROW_ALLOWANCE_MS, runWithin } from './budget';
import { checkRules, Rule, RuleDefinitionError, RuleEvent, Severity, severityOf } from './model';
import { epochMinute } from '../record/timestamps';
import { ownString } from '../record/columns';
import { lakeTime } from './time';
import { DETACH } from './view';
import { GroupContribution, MinuteMatches, ROW_IDS, RowRef } from './windows';
import { P } from '../row/contract';

/**
 * The rules stage: a RuleSet is built once (cold start) from the built-in and user rules; per input, an
 * InputDetections takes each row of one log type, runs that log type's enabled rules and keeps, per group (rule id
 * and dedup string), what the windows need: per minute of event time a count, the first match (title, severity,
 * context) and the first row ids. Memory per input is bounded in bytes (MAX_DETECTION_BYTES), never by rows.
 */

/** Dedup strings longer than this keep their start and a hash of the whole (Panther truncates at 1000). */
export const MAX_DEDUP_CHARS = 1000;
export const MAX_TITLE_CHARS = 1000;
/** An alert context is kept in the group's state: one larger than this is replaced by its start, as text. */
export const MAX_CONTEXT_CHARS = 4096;
/** Group keys (the DynamoDB partition key) longer than this many UTF-8 bytes are hashed. */
export const MAX_KEY_BYTES = 1024;
/**
 * Memory one input's matches may take until the input ends, estimated in bytes, shared equally by the log type's
 * rules: a rule deduplicated by something as wide as the client IP, or an input spread over months of event time,
 * must not take the function's memory. Past its share a rule's new groups are counted in its overflow group.
 */
export const MAX_DETECTION_BYTES = 32 * 1024 * 1024;
/** The overflow group's dedup string: no rule's (an empty dedup string is replaced by the title, never kept). */
export const OVERFLOW_DEDUP = '';
/** Minutes of event time one overflow group holds; past them a match joins the bucket last used. */
export const MAX_OVERFLOW_MINUTES = 7 * 24 * 60;

export interface RuleSetOptions {
  /** Log type names rules may name (built-in and custom schemas); unchecked when omitted. */
  knownLogTypes?: readonly string[];
  /** Rule ids to enable although disabled in their file (CFLOGS_RULES_ENABLE). */
  enable?: readonly string[];
  /** Rule ids to disable (CFLOGS_RULES_DISABLE). */
  disable?: readonly string[];
  /**
   * Rules run without time limits (the built-in ones, reviewed and using linear-time regexes: lib/regex.ts); every
   * other rule runs within lib/rules/budget.ts's limits, and so does every rule of a log type that has one.
   * Default: none, every rule is limited.
   */
  trusted?: readonly Rule[];
}

export class RuleSet {
  private readonly byId: Map<string, Rule>;
  private readonly byLogType = new Map<string, LogTypeRules>();

  /** Throws a RuleDefinitionError for duplicate ids, unknown log types or an enable/disable id no rule has. */
  constructor(
    readonly rules: readonly Rule[],
    opts: RuleSetOptions = {},
  ) {
    checkRules(rules, opts.knownLogTypes);
    this.byId = new Map(rules.map((r) => [r.id, r]));
    for (const id of [...(opts.enable ?? []), ...(opts.disable ?? [])]) {
      if (!this.byId.has(id)) throw new RuleDefinitionError(`CFLOGS_RULES_ENABLE/DISABLE name ${JSON.stringify(id)}, which is no rule's id`);
    }
    const enable = new Set(opts.enable ?? []);
    const disable = new Set(opts.disable ?? []);
    // Every entry point checks this with its own names (lib/rules/config.ts); here for any other builder of a set.
    const both = [...enable].find((id) => disable.has(id));
    if (both !== undefined) throw new RuleDefinitionError(`rule ${both} is both enabled and disabled (CFLOGS_RULES_ENABLE / CFLOGS_RULES_DISABLE, rulesEnable / rulesDisable)`);
    const active = rules.filter((r) => !disable.has(r.id) && (r.enabled || enable.has(r.id)));
    const logTypes = new Set(active.flatMap((r) => r.logTypes));
    const trusted = new Set(opts.trusted ?? []);
    for (const t of logTypes) {
      const rules = active.filter((r) => r.logTypes.includes(t));
      this.byLogType.set(t, new LogTypeRules(t, rules, new Set(rules.filter((r) => !trusted.has(r)))));
    }
  }

  get(id: string): Rule | undefined {
    return this.byId.get(id);
  }

  /** The enabled rules of a log type, or undefined when it has none: the pipeline then skips the stage. */
  forLogType(logType: string): LogTypeRules | undefined {
    return this.byLogType.get(logType);
  }

  /** Log types with at least one enabled rule. */
  logTypes(): string[] {
    return [...this.byLogType.keys()];
  }

  enabledRules(): Rule[] {
    return [...new Set([...this.byLogType.values()].flatMap((l) => l.rules))];
  }
}

export class LogTypeRules {
  constructor(
    readonly logType: string,
    readonly rules: readonly Rule[],
    /** The rules that run within time limits (those not trusted); default all. */
    readonly limited: ReadonlySet<Rule> = new Set(rules),
  ) {}

  /** Whether any rule runs within time limits: then the rows are copied for batches. */
  get guarded(): boolean {
    return this.limited.size > 0;
  }

  /** A fresh accumulator for one input. */
  start(opts?: InputDetectionsOptions): InputDetections {
    return new InputDetections(this, opts);
  }
}

/** Which function of a rule threw (or returned something it may not); `budget` when the engine stopped it. */
export type RuleFunction = 'rule' | 'title' | 'dedup' | 'severity' | 'alertContext' | typeof P.p_event_time | 'budget';

export interface RuleErrors {
  ruleId: string;
  fn: RuleFunction;
  count: number;
  /** The first error's message and row. */
  message: string;
  rowId?: string;
}

/** The first match of a bucket as kept until the input ends: its alert context as JSON text (one string, not an object tree). */
interface Head {
  time: string;
  rowId: string;
  title: string;
  severity: Severity;
  context: string;
}

interface MinuteAcc {
  count: number;
  head: Head;
  last: string;
  rows: RowRef[];
}

interface GroupAcc {
  rule: Rule;
  dedup: string;
  /** The rule's overflow group: matches of groups past its share of memory, counted together. */
  overflow: boolean;
  minutes: Map<number, MinuteAcc>;
  // The minute last matched: consecutive rows mostly share it.
  lastMinute: number;
  lastAcc: MinuteAcc | undefined;
}

/**
 * What one rule gave for one row when it ran inside a time limit: its answer and, for a match, what its other
 * functions returned (each call's throw kept as an error), so that the bookkeeping runs outside the limit.
 */
interface Outcome {
  hit: unknown;
  dedup?: unknown;
  title?: unknown;
  severity?: unknown;
  /** The alert context as JSON text, or undefined. */
  context?: string;
  errors?: [RuleFunction, string][];
}
const THREW = Symbol('threw');

/** Per-rule state of the time budget over one input. */
interface RuleClock {
  /** Milliseconds its calls took. */
  spent: number;
  /** Stopped for the rest of the input: over its budget. */
  stopped: boolean;
}

/** Estimated bytes of memory: one (dedup, minute) bucket, one group, one kept row id. */
const BUCKET_BYTES = 400;
const GROUP_BYTES = 400;
const ROW_BYTES = 120;
/** Rows whose rules are run together under one time limit. */
const BATCH_ROWS = 256;

export interface InputDetectionsOptions {
  /** Memory the input's matches may take, estimated, shared equally by the rules (default MAX_DETECTION_BYTES). */
  maxBytes?: number;
}

/**
 * One input's detections: feed every row of the input's log type to onRow, then read contributions().
 *
 * Memory is bounded by bytes: each rule may hold its share of `maxBytes` in (dedup string, minute) buckets. A match
 * that would need a new bucket past that share is counted in the rule's overflow group instead, one per rule
 * (dedup string ''), which fires on its first match: the alert says that matches past the limit were counted
 * together, and carries the first such match. So an object filled with decoy groups cannot hide a real match, and
 * trying is itself an alert. Time is bounded too (lib/rules/budget.ts): rules that are not trusted run on batches
 * of rows within a time limit per call and per input; a call over it is stopped and counted as a `budget` error,
 * and the row is written all the same.
 */
export class InputDetections {
  rows = 0;
  private matchCount = 0;
  /** Matches per rule, in the order of logTypeRules.rules. */
  private readonly ruleMatches: number[];
  private readonly groups = new Map<Rule, Map<string, GroupAcc>>();
  private readonly overflowGroups = new Map<Rule, GroupAcc>();
  /** Bytes each rule's buckets take (estimated), and each rule's share. */
  private readonly used = new Map<Rule, number>();
  private readonly share: number;
  private readonly errors = new Map<string, RuleErrors>();
  private readonly rules: readonly Rule[];
  /** Indexes (in `rules`) of the rules run on each row as it comes, and of those run on batches within time limits. */
  private readonly inline: number[] = [];
  private readonly limited: number[] = [];
  /** The batch's rows, each shown by calling it (a view's detached copy, or the caller's own object). */
  private batch: (() => RuleEvent)[] = [];
  private readonly clocks: RuleClock[];
  /** The helpers' way of counting an error (made once: matches must not allocate). */
  private readonly report: Report = (r, fn, message, event) => this.error(r, fn, message, event);

  constructor(
    readonly logTypeRules: LogTypeRules,
    opts: InputDetectionsOptions = {},
  ) {
    this.rules = logTypeRules.rules;
    this.ruleMatches = this.rules.map(() => 0);
    this.share = Math.floor((opts.maxBytes ?? MAX_DETECTION_BYTES) / Math.max(1, this.rules.length));
    this.rules.forEach((r, i) => (logTypeRules.limited.has(r) ? this.limited : this.inline).push(i));
    this.clocks = this.rules.map(() => ({ spent: 0, stopped: false }));
  }

  /** Matches counted (placed in a window). */
  get matches(): number {
    this.flush();
    return this.matchCount;
  }

  /** Matches per rule id (rules that matched nothing left out): for the input's summary and a metric. */
  get matchesByRule(): Map<string, number> {
    this.flush();
    return new Map(this.rules.flatMap((r, i) => ((this.ruleMatches[i] as number) > 0 ? [[r.id, this.ruleMatches[i] as number] as const] : [])));
  }

  /**
   * Runs the log type's enabled rules on one row. A rule that throws is counted (errors()), never fatal. Rules with
   * time limits run when a batch is full or a result is read: the row must stay as it is until then (a columns
   * view is detached: lib/rules/view.ts). Each rule sees the rows in order, so the counts are the same either way.
   */
  onRow(event: RuleEvent): void {
    this.rows++;
    if (this.limited.length > 0) {
      const detach = (event as { [DETACH]?: () => () => RuleEvent })[DETACH];
      this.batch.push(typeof detach === 'function' ? detach() : () => event);
      if (this.batch.length >= BATCH_ROWS) this.flush();
    }
    const { rules, inline } = this;
    for (let k = 0; k < inline.length; k++) {
      const i = inline[k] as number;
      const r = rules[i] as Rule;
      let hit: unknown;
      try {
        hit = r.rule(event);
      } catch (e) {
        this.error(r, 'rule', messageOf(e), event);
        continue;
      }
      this.apply(i, r, event, hit, undefined);
    }
  }

  /** Counts a rule's answer on a row: a match is placed in its group (`out`: what a guarded run computed). */
  private apply(i: number, r: Rule, event: RuleEvent, hit: unknown, out: Outcome | undefined): void {
    if (hit === true) {
      // match() records why when it cannot count the row (no event time).
      if (this.match(r, event, out)) (this.ruleMatches[i] as number)++;
    } else if (hit !== false && hit !== THREW) this.error(r, 'rule', `returned ${typeof hit}, not true or false`, event);
  }

  /**
   * Runs the batched rows' rules within the time budget. Each call's outcome goes to its own slot and the cursor
   * moves on only after, so a stop at any point loses no finished call; a stopped call is one that ran for the
   * whole limit (it began the timed run), else the run resumes at it. The bookkeeping runs after, in row order.
   */
  private flush(): void {
    const rows = this.batch;
    if (rows.length === 0) return;
    this.batch = [];
    const { rules, limited } = this;
    const n = limited.length;
    // false for a row the rule did not match (no object); undefined where the rule was stopped and never ran.
    const outcomes: (Outcome | false | undefined)[] = new Array<Outcome | false | undefined>(rows.length * n);
    const cursor = { cell: 0, first: true };
    const rowsBefore = this.rows - rows.length;
    const run = (): void => {
      let shown = -1;
      let event: RuleEvent | undefined;
      for (; cursor.cell < rows.length * n; cursor.cell++, cursor.first = false) {
        const ri = Math.floor(cursor.cell / n);
        const i = limited[cursor.cell % n] as number;
        const clock = this.clocks[i] as RuleClock;
        if (clock.stopped) continue;
        if (ri !== shown) {
          event = (rows[ri] as () => RuleEvent)();
          shown = ri;
        }
        const t0 = performance.now();
        outcomes[cursor.cell] = evaluate(rules[i] as Rule, event as RuleEvent);
        clock.spent += performance.now() - t0;
        if (clock.spent > inputBudgetMs(rowsBefore + ri + 1)) clock.stopped = true;
      }
    };
    for (;;) {
      const started = performance.now();
      cursor.first = true;
      if (runWithin(CALL_BUDGET_MS, run)) break;
      if (cursor.first) {
        // The call ran for the whole limit: it is stopped, counted, and the run goes on with the next one.
        const clock = this.clocks[limited[cursor.cell % n] as number] as RuleClock;
        clock.spent += performance.now() - started;
        if (clock.spent > inputBudgetMs(rowsBefore + Math.floor(cursor.cell / n) + 1)) clock.stopped = true;
        outcomes[cursor.cell] = { hit: THREW, errors: [['budget', `ran over ${CALL_BUDGET_MS} ms on one row and was stopped`]] };
        cursor.cell++;
      }
    }
    for (let ri = 0; ri < rows.length; ri++) {
      const event = (rows[ri] as () => RuleEvent)();
      for (let j = 0; j < n; j++) {
        const i = limited[j] as number;
        const r = rules[i] as Rule;
        const out = outcomes[ri * n + j];
        if (out === false) continue;
        if (out === undefined) {
          this.error(r, 'budget', `over its time budget for this input (${INPUT_BUDGET_MS} ms + ${ROW_ALLOWANCE_MS} ms per row): not run on the rest`, event);
          continue;
        }
        for (const [fn, message] of out.errors ?? []) this.error(r, fn, message, event);
        this.apply(i, r, event, out.hit, out);
      }
    }
  }

  /** Records a match; false when it cannot be placed in time (no event time). */
  private match(r: Rule, event: RuleEvent, out: Outcome | undefined): boolean {
    const time = lakeTime(event.p_event_time);
    const minute = time === undefined ? NaN : epochMinute(time);
    if (time === undefined || Number.isNaN(minute)) {
      this.error(r, P.p_event_time, `the row has no ${P.p_event_time}, or not a time`, event);
      return false;
    }
    this.matchCount++;
    let title: string | undefined;
    let dedup: string | undefined;
    if (r.dedup) dedup = dedupFrom(r, out ? out.dedup : callRule(r, 'dedup', r.dedup, event, this.report), event, this.report);
    // Panther's default dedup string is the title.
    if (dedup === undefined) dedup = title = this.titleOf(r, event, out);
    dedup = capDedup(dedup);
    let byDedup = this.groups.get(r);
    if (!byDedup) this.groups.set(r, (byDedup = new Map()));
    let g = byDedup.get(dedup);
    const rowId = typeof event.p_row_id === 'string' ? event.p_row_id : '';
    let acc = g && (g.lastMinute === minute ? g.lastAcc : g.minutes.get(minute));
    if (!acc) {
      // A new bucket: within the rule's share of memory, else in its overflow group.
      let head = this.head(r, event, time, rowId, title, out);
      const cost = BUCKET_BYTES + ROW_BYTES + 2 * (head.title.length + head.context.length) + (g ? 0 : GROUP_BYTES + 2 * dedup.length);
      const used = this.used.get(r) ?? 0;
      if (used + cost <= this.share) {
        this.used.set(r, used + cost);
        if (!g) {
          g = { rule: r, dedup, overflow: false, minutes: new Map(), lastMinute: NaN, lastAcc: undefined };
          byDedup.set(dedup, g);
        }
      } else {
        g = this.overflowGroup(r);
        acc = g.lastMinute === minute ? g.lastAcc : g.minutes.get(minute);
        // Counted all the same when the overflow holds its most minutes: in the bucket last used.
        if (!acc && g.minutes.size >= MAX_OVERFLOW_MINUTES) acc = g.lastAcc;
        if (!acc) head = overflowHead(r, head, byDedup.size);
      }
      if (!acc) {
        acc = { count: 0, head, last: time, rows: [] };
        g.minutes.set(minute, acc);
      }
    } else if (time < acc.head.time || (time === acc.head.time && rowId < acc.head.rowId)) {
      const head = this.head(r, event, time, rowId, title, out);
      acc.head = (g as GroupAcc).overflow ? overflowHead(r, head, byDedup.size) : head;
    }
    (g as GroupAcc).lastMinute = minute;
    (g as GroupAcc).lastAcc = acc;
    acc.count++;
    if (time > acc.last) acc.last = time;
    if (addRow(acc.rows, time, rowId) && !(g as GroupAcc).overflow) this.used.set(r, (this.used.get(r) ?? 0) + ROW_BYTES);
    if ((g as GroupAcc).overflow) {
      this.error(r, 'dedup', `more groups than its share of memory (${this.share} bytes) in one input: further groups are counted in its overflow alert`, event);
    }
    return true;
  }

  /** The rule's overflow group, made on first use; its minutes are few (the input's span of event time). */
  private overflowGroup(r: Rule): GroupAcc {
    let g = this.overflowGroups.get(r);
    if (!g) {
      g = { rule: r, dedup: OVERFLOW_DEDUP, overflow: true, minutes: new Map(), lastMinute: NaN, lastAcc: undefined };
      this.overflowGroups.set(r, g);
    }
    return g;
  }

  private head(r: Rule, event: RuleEvent, time: string, rowId: string, title: string | undefined, out: Outcome | undefined): Head {
    let severity: Severity = r.severity;
    if (r.severityOf) severity = severityFrom(r, out ? out.severity : callRule(r, 'severity', r.severityOf, event, this.report), event, this.report);
    let context = '{}';
    if (r.alertContext) context = out ? (out.context ?? '{}') : contextFrom(r, callRule(r, 'alertContext', r.alertContext, event, this.report), event, this.report);
    return { time, rowId, title: ownString(title ?? this.titleOf(r, event, out)), severity, context };
  }

  /** Called only when the title is needed (a new head, or the default dedup string): it may be costly. */
  private titleOf(r: Rule, event: RuleEvent, out: Outcome | undefined): string {
    if (!r.title) return r.displayName;
    return titleFrom(r, out ? out.title : callRule(r, 'title', r.title, event, this.report), event, this.report);
  }

  private error(r: Rule, fn: RuleFunction, message: string, event: RuleEvent): void {
    const k = r.id + '\u0000' + fn;
    const e = this.errors.get(k);
    if (e) e.count++;
    else {
      this.errors.set(k, {
        ruleId: r.id,
        fn,
        count: 1,
        message: message.slice(0, 500),
        ...(typeof event.p_row_id === 'string' ? { rowId: event.p_row_id } : {}),
      });
    }
  }

  /** Errors per rule and function, with the first message: for the input's summary and a metric. */
  ruleErrors(): RuleErrors[] {
    this.flush();
    return [...this.errors.values()];
  }

  /** Number of groups (rule id, dedup string) matched, overflow groups included: one state item read and written per group. */
  get groupCount(): number {
    this.flush();
    let n = this.overflowGroups.size;
    for (const byDedup of this.groups.values()) n += byDedup.size;
    return n;
  }

  /** What the state store applies for this input, one entry per group, minutes in order. */
  contributions(): GroupContribution[] {
    this.flush();
    const all = [...this.groups.values()].flatMap((byDedup) => [...byDedup.values()]);
    all.push(...this.overflowGroups.values());
    return all.map((g) => ({
      key: groupKey(g.rule.id, g.dedup),
      ruleId: g.rule.id,
      dedup: g.dedup,
      // An overflow group stands for groups the input could not hold: its first match is an alert of its own.
      threshold: g.overflow ? 1 : g.rule.threshold,
      periodMinutes: g.rule.dedupPeriodMinutes,
      minutes: [...g.minutes.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([minute, a]): MinuteMatches => ({
          minute,
          count: a.count,
          head: { ...a.head, context: JSON.parse(a.head.context) as Record<string, unknown> },
          last: a.last,
          rows: a.rows,
        })),
    }));
  }
}

/** A guarded rule's run on one row: its answer and, for a match, its other functions' results. Runs inside the limit. */
function evaluate(r: Rule, event: RuleEvent): Outcome | false {
  const errors: [RuleFunction, string][] = [];
  const report: Report = (_r, fn, message) => void errors.push([fn, message]);
  const call = (fn: RuleFunction, f: ((e: RuleEvent) => unknown) | undefined): unknown => (f ? callRule(r, fn, f, event, report) : undefined);
  let hit: unknown;
  try {
    hit = r.rule(event);
  } catch (e) {
    return { hit: THREW, errors: [['rule', messageOf(e)]] };
  }
  if (hit === false) return false;
  if (hit !== true) return { hit };
  const out: Outcome = { hit, dedup: call('dedup', r.dedup), title: call('title', r.title), severity: call('severity', r.severityOf) };
  // Serialised here, within the limit: a context's toJSON or getters are rule code too.
  if (r.alertContext) out.context = contextFrom(r, call('alertContext', r.alertContext), event, report);
  if (errors.length > 0) out.errors = errors;
  return out;
}

/** Counts an error of one of a rule's functions on a row. */
type Report = (r: Rule, fn: RuleFunction, message: string, event: RuleEvent) => void;

/** Calls one of a rule's functions; a throw is reported and gives undefined (the caller falls back to the default). */
function callRule(r: Rule, fn: RuleFunction, f: (e: RuleEvent) => unknown, event: RuleEvent, report: Report): unknown {
  try {
    return f(event);
  } catch (e) {
    report(r, fn, messageOf(e), event);
    return undefined;
  }
}

// What the engine keeps of each function's result (undefined: the function is absent or threw), reporting a result
// it may not give. Shared by InputDetections and matchOutputs, so rule tests see exactly what the engine keeps.

/** The dedup string before capDedup, or undefined for Panther's default (the title). */
function dedupFrom(r: Rule, d: unknown, event: RuleEvent, report: Report): string | undefined {
  if (typeof d === 'string') return d === '' ? undefined : d;
  if (d !== undefined) report(r, 'dedup', `returned ${typeof d}, not text`, event);
  return undefined;
}

/** The title, capped at MAX_TITLE_CHARS; Panther's default is the display name (or the rule id). */
function titleFrom(r: Rule, t: unknown, event: RuleEvent, report: Report): string {
  if (typeof t === 'string') return t === '' ? r.displayName : cutText(t, MAX_TITLE_CHARS);
  if (t !== undefined) report(r, 'title', `returned ${typeof t}, not text`, event);
  return r.displayName;
}

/** A severity in any case; 'DEFAULT' (or nothing) is the rule's own. */
function severityFrom(r: Rule, s: unknown, event: RuleEvent, report: Report): Severity {
  const known = severityOf(s);
  if (known) return known;
  if (s !== undefined && s !== 'DEFAULT') report(r, 'severity', `returned ${JSON.stringify(s)}, not a severity`, event);
  return r.severity;
}

/** The alert context as the JSON text kept ('{}' by default). */
function contextFrom(r: Rule, c: unknown, event: RuleEvent, report: Report): string {
  const text = contextText(c);
  if (text !== undefined) return text;
  if (c !== undefined) report(r, 'alertContext', 'returned something other than an object', event);
  return '{}';
}

/** What a matched row gives, as the head of a new bucket keeps it (contributions()), and the errors counted for it. */
export interface MatchOutputs {
  title: string;
  /** After capDedup: the group's dedup string. */
  dedup: string;
  severity: Severity;
  /** The context after its round trip through JSON text, as contributions() gives it. */
  alertContext: Record<string, unknown>;
  /** Errors the engine counts for the row, one per function at most, in the order the functions ran. */
  errors: { fn: RuleFunction; message: string }[];
}

/**
 * The outputs InputDetections records for a row `r` matches when the row starts a bucket: its functions called in
 * the engine's order (dedup, the title when it is the default dedup string, severity, alert context, the title),
 * through the same helpers. For rule tests (lib/rules/testing.ts) and Panther's cases; the engine itself calls the
 * helpers lazily, a bucket that has its head needing no title or context.
 */
export function matchOutputs(r: Rule, event: RuleEvent): MatchOutputs {
  const errors: MatchOutputs['errors'] = [];
  const report: Report = (_r, fn, message) => void errors.push({ fn, message });
  const call = (fn: RuleFunction, f: ((e: RuleEvent) => unknown) | undefined): unknown => (f ? callRule(r, fn, f, event, report) : undefined);
  let title: string | undefined;
  let dedup = dedupFrom(r, call('dedup', r.dedup), event, report);
  if (dedup === undefined) dedup = title = titleFrom(r, call('title', r.title), event, report);
  const severity = severityFrom(r, call('severity', r.severityOf), event, report);
  const context = contextFrom(r, call('alertContext', r.alertContext), event, report);
  title ??= titleFrom(r, call('title', r.title), event, report);
  return { title, dedup: capDedup(dedup), severity, alertContext: JSON.parse(context) as Record<string, unknown>, errors };
}

const SEVERITY_RANK: Record<Severity, number> = { Info: 0, Low: 1, Medium: 2, High: 3, Critical: 4 };

/** The head of an overflow bucket: says what happened, keeps the first match's title and context; Medium at least. */
function overflowHead(r: Rule, head: Head, groupsHeld: number): Head {
  const title = `${r.displayName}: more groups in one input than the detection memory holds; matches of ${groupsHeld}+ further groups counted together (first: ${head.title})`;
  let context: string;
  try {
    context = JSON.stringify({ cflogs_overflow: { ruleId: r.id, groupsHeld }, ...(JSON.parse(head.context) as Record<string, unknown>) });
  } catch {
    context = head.context;
  }
  return {
    ...head,
    title: cutText(title, MAX_TITLE_CHARS),
    severity: SEVERITY_RANK[head.severity] >= SEVERITY_RANK.Medium ? head.severity : 'Medium',
    context,
  };
}

/** Keeps the ROW_IDS earliest (time, row id) pairs, sorted; allocates only for a pair it keeps. True when the list grew. */
function addRow(rows: RowRef[], time: string, rowId: string): boolean {
  const n = rows.length;
  if (n >= ROW_IDS) {
    const lastRow = rows[n - 1] as RowRef;
    if (!(time < lastRow[0] || (time === lastRow[0] && rowId < lastRow[1]))) return false;
  }
  let i = n;
  while (i > 0) {
    const p = rows[i - 1] as RowRef;
    if (p[0] < time || (p[0] === time && p[1] <= rowId)) break;
    i--;
  }
  if (rows[i - 1]?.[0] === time && rows[i - 1]?.[1] === rowId) return false;
  rows.splice(i, 0, [time, rowId]);
  if (rows.length <= ROW_IDS) return true;
  rows.pop();
  return false;
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/**
 * A rule's dedup string as its group is known by. Unicode text: a lone surrogate (a rule cutting a string inside a
 * character) becomes U+FFFD, as DynamoDB keys and DuckDB's JSON reader take nothing else. A string of at most
 * MAX_DEDUP_CHARS is kept; a longer one becomes its start, cut between characters, '#' and the hex SHA-256 of the
 * whole: MAX_DEDUP_CHARS + 1 characters (+ 2 when the cut moved past a surrogate pair), so a capped string never
 * equals a kept one, and two capped strings are equal only when their wholes are.
 */
export function capDedup(dedup: string): string {
  const text = /\p{Cs}/u.test(dedup) ? dedup.replace(/\p{Cs}/gu, '\ufffd') : dedup;
  // Kept while the input is read: not a view of the line a field's value was cut from.
  if (text.length <= MAX_DEDUP_CHARS) return ownString(text);
  const hash = sha256(text);
  let cut = MAX_DEDUP_CHARS - hash.length;
  const last = text.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut++;
  return `${text.slice(0, cut)}#${hash}`;
}

/**
 * The group's storage key: `ruleId#dedup`, or `ruleId#sha256:<hex SHA-256 of the dedup string>` when that would
 * pass MAX_KEY_BYTES or when the dedup string itself starts with `sha256:`. The prefix is reserved for keys cflogs
 * derives (these hashes; flood summaries, windows.ts summaryKey), so a client-controlled dedup string can never
 * spell another group's key; rule ids hold no '#' (model.ts RULE_ID), so one rule's keys never look like another's.
 * Every key a dedup string not starting with the prefix had before stays the same.
 */
export function groupKey(ruleId: string, dedup: string): string {
  const key = `${ruleId}#${dedup}`;
  return !dedup.startsWith('sha256:') && Buffer.byteLength(key) <= MAX_KEY_BYTES ? key : `${ruleId}#sha256:${sha256(dedup)}`;
}

/** An alert context as the JSON text kept (at most MAX_CONTEXT_CHARS); undefined when `c` is not an object. */
function contextText(c: unknown): string | undefined {
  if (typeof c !== 'object' || c === null || Array.isArray(c)) return undefined;
  let json: string | undefined;
  try {
    json = JSON.stringify(c);
  } catch {
    // A cycle or a BigInt: keep what describes it.
    let keys: string[] = [];
    try {
      keys = Object.keys(c).slice(0, 50);
    } catch {
      // A proxy that refuses even that.
    }
    return JSON.stringify({ _unserialisable: keys });
  }
  if (json === undefined || json.charCodeAt(0) !== 0x7b) return '{}';
  return json.length <= MAX_CONTEXT_CHARS ? json : JSON.stringify({ _truncated: cutText(json, MAX_CONTEXT_CHARS - 100) });
}

/** The first `n` UTF-16 units of `s`, one fewer when the cut would split a surrogate pair. */
function cutText(s: string, n: number): string {
  if (s.length <= n) return s;
  const c = s.charCodeAt(n - 1);
  return s.slice(0, c >= 0xd800 && c <= 0xdbff ? n - 1 : n);
}
