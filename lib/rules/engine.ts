import { createHash } from 'node:crypto';
import { messageOf } from '../errors';
import { checkRules, Rule, RuleDefinitionError, RuleEvent, Severity, severityOf } from './model';
import { epochMinute, lakeTime } from './time';
import { GroupContribution, MatchHead, MinuteMatches, ROW_IDS, RowRef } from './windows';

/**
 * The rules stage: a RuleSet is built once (cold start) from the built-in and user rules; per input, an
 * InputDetections takes each row of one log type, runs that log type's enabled rules and keeps, per group (rule id
 * and dedup string), what the windows need: per minute of event time a count, the first match (title, severity,
 * context) and the first row ids. Memory per input is bounded by groups x minutes spanned, never by rows.
 */

/** Dedup strings longer than this keep their start and a hash of the whole (Panther truncates at 1000). */
export const MAX_DEDUP_CHARS = 1000;
export const MAX_TITLE_CHARS = 1000;
/** An alert context is kept in the group's state: one larger than this is replaced by its start, as text. */
export const MAX_CONTEXT_CHARS = 4096;
/** Group keys (the DynamoDB partition key) longer than this many UTF-8 bytes are hashed. */
export const MAX_KEY_BYTES = 1024;
/**
 * Buckets (dedup string and minute of event time) one rule may fill in one input: each costs memory until the input
 * ends, and each dedup string one state write after it. Past this, the rule's matches that would need a new bucket
 * are not counted, and the rule reports an error saying so (RuleErrors): a rule deduplicated by something as wide
 * as the client IP, or an input spread over months of event time, must not take the function's memory.
 */
export const MAX_BUCKETS_PER_RULE = 20_000;

export interface RuleSetOptions {
  /** Log type names rules may name (built-in and custom schemas); unchecked when omitted. */
  knownLogTypes?: readonly string[];
  /** Rule ids to enable although disabled in their file (CFLOGS_RULES_ENABLE). */
  enable?: readonly string[];
  /** Rule ids to disable (CFLOGS_RULES_DISABLE). */
  disable?: readonly string[];
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
    const active = rules.filter((r) => !disable.has(r.id) && (r.enabled || enable.has(r.id)));
    const logTypes = new Set(active.flatMap((r) => r.logTypes));
    for (const t of logTypes) this.byLogType.set(t, new LogTypeRules(t, active.filter((r) => r.logTypes.includes(t))));
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
  ) {}

  /** A fresh accumulator for one input. */
  start(): InputDetections {
    return new InputDetections(this);
  }
}

/** Which function of a rule threw (or returned something it may not). */
export type RuleFunction = 'rule' | 'title' | 'dedup' | 'severity' | 'alertContext' | 'p_event_time';

export interface RuleErrors {
  ruleId: string;
  fn: RuleFunction;
  count: number;
  /** The first error's message and row. */
  message: string;
  rowId?: string;
}

interface MinuteAcc {
  count: number;
  head: MatchHead;
  last: string;
  rows: RowRef[];
}

interface GroupAcc {
  rule: Rule;
  dedup: string;
  minutes: Map<number, MinuteAcc>;
  // The minute last matched: consecutive rows mostly share it.
  lastMinute: number;
  lastAcc: MinuteAcc | undefined;
}

/** One input's detections: feed every row of the input's log type to onRow, then read contributions(). */
export class InputDetections {
  rows = 0;
  matches = 0;
  /** Matches per rule, in the order of logTypeRules.rules. */
  private readonly ruleMatches: number[];
  private readonly groups = new Map<Rule, Map<string, GroupAcc>>();
  /** Buckets each rule has filled (MAX_BUCKETS_PER_RULE). */
  private readonly buckets = new Map<Rule, number>();
  private readonly errors = new Map<string, RuleErrors>();
  private readonly rules: readonly Rule[];

  constructor(readonly logTypeRules: LogTypeRules) {
    this.rules = logTypeRules.rules;
    this.ruleMatches = this.rules.map(() => 0);
  }

  /** Matches per rule id (rules that matched nothing left out): for the input's summary and a metric. */
  get matchesByRule(): Map<string, number> {
    return new Map(this.rules.flatMap((r, i) => ((this.ruleMatches[i] as number) > 0 ? [[r.id, this.ruleMatches[i] as number] as const] : [])));
  }

  /** Runs the log type's enabled rules on one row. A rule that throws is counted (errors()), never fatal. */
  onRow(event: RuleEvent): void {
    this.rows++;
    const rules = this.rules;
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i] as Rule;
      let hit: unknown;
      try {
        hit = r.rule(event);
      } catch (e) {
        this.error(r, 'rule', messageOf(e), event);
        continue;
      }
      if (hit === true) {
        // match() records why when it cannot count the row (no event time, too many groups).
        if (this.match(r, event)) (this.ruleMatches[i] as number)++;
      } else if (hit !== false) this.error(r, 'rule', `returned ${typeof hit}, not true or false`, event);
    }
  }

  /** Records a match; false when it cannot be placed in time (no event time). */
  private match(r: Rule, event: RuleEvent): boolean {
    const time = lakeTime(event.p_event_time);
    const minute = time === undefined ? NaN : epochMinute(time);
    if (time === undefined || Number.isNaN(minute)) {
      this.error(r, 'p_event_time', 'the row has no p_event_time, or not a time', event);
      return false;
    }
    this.matches++;
    let title: string | undefined;
    let dedup: string | undefined;
    if (r.dedup) {
      const d = this.call(r, 'dedup', r.dedup, event);
      if (typeof d === 'string' && d !== '') dedup = d;
      else if (d !== undefined && typeof d !== 'string') this.error(r, 'dedup', `returned ${typeof d}, not text`, event);
    }
    // Panther's default dedup string is the title.
    if (dedup === undefined) dedup = title = this.titleOf(r, event);
    dedup = capDedup(dedup);
    let byDedup = this.groups.get(r);
    if (!byDedup) this.groups.set(r, (byDedup = new Map()));
    let g = byDedup.get(dedup);
    const newBucket = !g || (g.lastMinute !== minute && !g.minutes.has(minute));
    if (newBucket) {
      const used = this.buckets.get(r) ?? 0;
      if (used >= MAX_BUCKETS_PER_RULE) {
        this.error(r, 'dedup', `more than ${MAX_BUCKETS_PER_RULE} (dedup string, minute) buckets in one input: matches needing another are not counted`, event);
        return false;
      }
      this.buckets.set(r, used + 1);
    }
    if (!g) {
      g = { rule: r, dedup, minutes: new Map(), lastMinute: NaN, lastAcc: undefined };
      byDedup.set(dedup, g);
    }
    let acc = g.lastMinute === minute ? g.lastAcc : g.minutes.get(minute);
    const rowId = typeof event.p_row_id === 'string' ? event.p_row_id : '';
    if (!acc) {
      acc = { count: 0, head: this.head(r, event, time, rowId, title), last: time, rows: [] };
      g.minutes.set(minute, acc);
    } else if (time < acc.head.time || (time === acc.head.time && rowId < acc.head.rowId)) {
      acc.head = this.head(r, event, time, rowId, title);
    }
    g.lastMinute = minute;
    g.lastAcc = acc;
    acc.count++;
    if (time > acc.last) acc.last = time;
    addRow(acc.rows, time, rowId);
    return true;
  }

  private head(r: Rule, event: RuleEvent, time: string, rowId: string, title: string | undefined): MatchHead {
    let severity: Severity = r.severity;
    if (r.severityOf) {
      const s = this.call(r, 'severity', r.severityOf, event);
      const known = severityOf(s);
      if (known) severity = known;
      else if (s !== undefined && s !== 'DEFAULT') this.error(r, 'severity', `returned ${JSON.stringify(s)}, not a severity`, event);
    }
    let context: Record<string, unknown> = {};
    if (r.alertContext) {
      const c = this.call(r, 'alertContext', r.alertContext, event);
      if (typeof c === 'object' && c !== null && !Array.isArray(c)) context = capContext(c as Record<string, unknown>);
      else if (c !== undefined) this.error(r, 'alertContext', 'returned something other than an object', event);
    }
    return { time, rowId, title: title ?? this.titleOf(r, event), severity, context };
  }

  /** Panther's default title: the display name (or the rule id). */
  private titleOf(r: Rule, event: RuleEvent): string {
    if (!r.title) return r.displayName;
    const t = this.call(r, 'title', r.title, event);
    if (typeof t === 'string' && t !== '') return t.length > MAX_TITLE_CHARS ? t.slice(0, MAX_TITLE_CHARS) : t;
    if (t !== undefined && typeof t !== 'string') this.error(r, 'title', `returned ${typeof t}, not text`, event);
    return r.displayName;
  }

  /** Calls a rule's helper function; a throw is counted and gives undefined (the caller falls back to the default). */
  private call(r: Rule, fn: RuleFunction, f: (e: RuleEvent) => unknown, event: RuleEvent): unknown {
    try {
      return f(event);
    } catch (e) {
      this.error(r, fn, messageOf(e), event);
      return undefined;
    }
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
    return [...this.errors.values()];
  }

  /** Number of groups (rule id, dedup string) matched: one state item read and written per group. */
  get groupCount(): number {
    let n = 0;
    for (const byDedup of this.groups.values()) n += byDedup.size;
    return n;
  }

  /** What the state store applies for this input, one entry per group, minutes in order. */
  contributions(): GroupContribution[] {
    return [...this.groups.values()].flatMap((byDedup) => [...byDedup.values()]).map((g) => ({
      key: groupKey(g.rule.id, g.dedup),
      ruleId: g.rule.id,
      dedup: g.dedup,
      threshold: g.rule.threshold,
      periodMinutes: g.rule.dedupPeriodMinutes,
      minutes: [...g.minutes.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([minute, a]): MinuteMatches => ({ minute, count: a.count, head: a.head, last: a.last, rows: a.rows })),
    }));
  }
}

/** Keeps the ROW_IDS earliest (time, row id) pairs, sorted; allocates only for a pair it keeps. */
function addRow(rows: RowRef[], time: string, rowId: string): void {
  const n = rows.length;
  if (n >= ROW_IDS) {
    const lastRow = rows[n - 1] as RowRef;
    if (!(time < lastRow[0] || (time === lastRow[0] && rowId < lastRow[1]))) return;
  }
  let i = n;
  while (i > 0) {
    const p = rows[i - 1] as RowRef;
    if (p[0] < time || (p[0] === time && p[1] <= rowId)) break;
    i--;
  }
  if (rows[i - 1]?.[0] === time && rows[i - 1]?.[1] === rowId) return;
  rows.splice(i, 0, [time, rowId]);
  if (rows.length > ROW_IDS) rows.pop();
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/** A dedup string of at most MAX_DEDUP_CHARS: a longer one keeps its start and a hash of the whole. */
export function capDedup(dedup: string): string {
  if (dedup.length <= MAX_DEDUP_CHARS) return dedup;
  const hash = sha256(dedup);
  return `${dedup.slice(0, MAX_DEDUP_CHARS - hash.length - 1)}#${hash}`;
}

/** The group's storage key, `ruleId#dedup`; the dedup string hashed when the key would be long. */
export function groupKey(ruleId: string, dedup: string): string {
  const key = `${ruleId}#${dedup}`;
  return Buffer.byteLength(key) <= MAX_KEY_BYTES ? key : `${ruleId}#sha256:${sha256(dedup)}`;
}

function capContext(c: Record<string, unknown>): Record<string, unknown> {
  let json: string | undefined;
  try {
    json = JSON.stringify(c);
  } catch {
    // A cycle or a BigInt: keep what describes it.
    return { _unserialisable: Object.keys(c).slice(0, 50) };
  }
  if (json === undefined || json.length <= MAX_CONTEXT_CHARS) return JSON.parse(json ?? '{}') as Record<string, unknown>;
  return { _truncated: json.slice(0, MAX_CONTEXT_CHARS - 100) };
}
