import { CflogsError, Disposition, Dispositions, messageOf } from '../errors';
import { eachLimited } from '../limit';
import {
  AlertState,
  alertsOf,
  applyToGroup,
  checkSummary,
  claimInGroup,
  ClaimOutcome,
  expiresAt,
  GroupContribution,
  GroupKeyCollision,
  GroupState,
  groupLabel,
  markPublishedInGroup,
  parseState,
  releaseInGroup,
  serializeState,
  SummaryInfo,
} from './windows';

/**
 * Detection state across invocations: one record per group (rule id + dedup string) holding its windows, read,
 * recomputed with the pure window function and written back only if nobody wrote it meanwhile (optimistic
 * concurrency on a version number), retried a bounded number of times when somebody did. The group records which
 * inputs it applied, so a retried input contributes once; each fired alert records whether it was published, and
 * which attempt is publishing it (a claim with a lease), so two attempts at one input do not both publish it.
 */

export interface ApplyResult {
  /**
   * Alerts to publish: those this input made fire, and, when the input was applied before, those it made fire
   * that are still unpublished (an earlier attempt stopped between writing the state and publishing).
   */
  fired: AlertState[];
  /** Alerts that had fired and that this input's matches joined: their lake records are rewritten. */
  updated: AlertState[];
}

/** One group's outcome of an input, as `applyEach` hands it on once the group is written. */
export interface GroupOutcome {
  /** Alerts this input made fire: on a retry all of them again, published or not (each says). */
  fired: AlertState[];
  /** Alerts that had fired before and that this input's matches joined. */
  updated: AlertState[];
}

/** An alert as the store finds it: its group's key and its id. */
export type AlertRef = Pick<AlertState, 'groupKey' | 'alertId'>;

/** What the pipeline uses; the in-memory store (CLI, tests) and the DynamoDB store implement it. */
export interface AlertStateStore {
  /** Applies one input's contributions; `inputId` identifies the input's content (a hash of bucket/key/version). */
  apply(inputId: string, contributions: readonly GroupContribution[]): Promise<ApplyResult>;
  /**
   * Applies them as `apply` does, handing each group's outcome to `each` once the group is written, and waiting for
   * it before taking another group: what is held at once is bounded by the store's concurrency, whatever the
   * number of groups and alerts. A failure of `each` is thrown as it is, after the other groups were attempted.
   */
  applyEach(inputId: string, contributions: readonly GroupContribution[], each: (outcome: GroupOutcome) => Promise<void>): Promise<void>;
  /** Claims unpublished alerts for `owner` for `leaseMs` (windows.ts claimInGroup); one outcome per alert id. */
  claim(alerts: readonly AlertRef[], owner: string, leaseMs: number): Promise<Map<string, ClaimOutcome>>;
  /** Drops `owner`'s claims on these alerts (it could not publish them). */
  release(alerts: readonly AlertRef[], owner: string): Promise<void>;
  /**
   * Records that these alerts were published (by the flood summary `summary`, when given), so a retry does not
   * publish them again.
   */
  markPublished(alerts: readonly AlertRef[], opts?: { summary?: string }): Promise<void>;
  /**
   * The flood summary stored under `key`, created from `state` (windows.ts summaryState) when absent: every attempt
   * publishes the first attempt's summary. Returns its alert and what it covers.
   */
  openSummary(key: string, state: GroupState): Promise<{ alert: AlertState; covers: SummaryInfo }>;
}

export interface GroupRecord {
  state: GroupState;
  version: number;
}

/** A versioned key-value store of group states: DynamoDB, or a Map. */
export interface GroupKv {
  get(key: string): Promise<GroupRecord | undefined>;
  /**
   * Writes `state` (serialized) as version `expected + 1` (1 when `expected` is undefined) if the stored version is
   * still `expected` (absent when undefined); false when it is not (somebody else wrote meanwhile).
   */
  put(key: string, json: string, ruleId: string, expected: number | undefined, expiresAt: number): Promise<boolean>;
}

/**
 * The state store failed: `retryable` (throttling, a network error, contention) or not (a missing table, no
 * permission, a key shared by two groups), which no retry fixes and a person must see.
 */
export class StateStoreError extends CflogsError {
  override readonly name = 'StateStoreError';
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
  override get disposition(): Disposition {
    return this.retryable ? Dispositions.retry : Dispositions.deadLetter;
  }
}

export interface StateStoreOptions {
  /** The clock: alert creation times, window touch times, TTL. */
  clock: () => Date;
  /** Attempts per group when writes conflict (default 10). */
  maxAttempts?: number;
  /** Groups read and written at once (default 16). */
  concurrency?: number;
  /** Waits between conflicting attempts (default: a short jittered backoff). */
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class DetectionStateStore implements AlertStateStore {
  private readonly clock: () => Date;
  private readonly maxAttempts: number;
  private readonly concurrency: number;
  private readonly sleep: (ms: number) => Promise<void>;
  /** Write conflicts met (and retried) since creation: for tests and a metric. */
  conflicts = 0;

  constructor(
    private readonly kv: GroupKv,
    opts: StateStoreOptions,
  ) {
    this.clock = opts.clock;
    this.maxAttempts = opts.maxAttempts ?? 10;
    this.concurrency = opts.concurrency ?? 16;
    this.sleep = opts.sleep ?? defaultSleep;
  }

  async apply(inputId: string, contributions: readonly GroupContribution[]): Promise<ApplyResult> {
    const fired: AlertState[] = [];
    const updated: AlertState[] = [];
    await this.applyEach(inputId, contributions, async (g) => {
      fired.push(...g.fired.filter((a) => !a.published));
      updated.push(...g.updated);
    });
    return { fired, updated };
  }

  async applyEach(inputId: string, contributions: readonly GroupContribution[], each: (outcome: GroupOutcome) => Promise<void>): Promise<void> {
    await this.each(contributions, async (c) => {
      const r = await this.update(c.key, c.ruleId, (prev) => {
        const out = applyToGroup(prev, c, inputId, this.clock());
        return { state: out.changed ? out.state : undefined, result: out };
      });
      if (r.fired.length > 0 || r.updated.length > 0) await each({ fired: r.fired, updated: r.updated });
    });
  }

  async claim(alerts: readonly AlertRef[], owner: string, leaseMs: number): Promise<Map<string, ClaimOutcome>> {
    const outcomes = new Map<string, ClaimOutcome>();
    await this.each([...byGroup(alerts)], async ([key, ids]) => {
      const r = await this.update(key, undefined, (prev) => {
        // A group gone (expired) holds nothing to publish.
        if (!prev) return { state: undefined, result: new Map(ids.map((id): [string, ClaimOutcome] => [id, { status: 'delivered' }])) };
        const out = claimInGroup(prev, ids, owner, this.clock().getTime(), leaseMs);
        return { state: out.changed ? out.state : undefined, result: out.outcomes };
      });
      for (const [id, o] of r) outcomes.set(id, o);
    });
    return outcomes;
  }

  async release(alerts: readonly AlertRef[], owner: string): Promise<void> {
    await this.each([...byGroup(alerts)], async ([key, ids]) => {
      await this.update(key, undefined, (prev) => {
        if (!prev) return { state: undefined, result: undefined };
        const out = releaseInGroup(prev, ids, owner);
        return { state: out.changed ? out.state : undefined, result: undefined };
      });
    });
  }

  async markPublished(alerts: readonly AlertRef[], opts: { summary?: string } = {}): Promise<void> {
    await this.each([...byGroup(alerts)], async ([key, ids]) => {
      await this.update(key, undefined, (prev) => {
        if (!prev) return { state: undefined, result: undefined };
        const out = markPublishedInGroup(prev, ids, opts.summary);
        return { state: out.changed ? out.state : undefined, result: undefined };
      });
    });
  }

  async openSummary(key: string, state: GroupState): Promise<{ alert: AlertState; covers: SummaryInfo }> {
    return this.update(key, state.ruleId, (prev) => {
      if (prev) checkSummary(prev, key, state.ruleId);
      const st = prev ?? state;
      const [alert] = alertsOf(st, key);
      if (!alert || !st.summary) throw new GroupKeyCollision(`detection state ${groupLabel(key)}: not a flood summary`);
      return { state: prev ? undefined : state, result: { alert, covers: st.summary } };
    });
  }

  /**
   * Read, compute, conditional write; again on a conflict, up to maxAttempts. `step` returns no state to write
   * nothing. Failures are StateStoreErrors: a key shared by two groups is not retryable, anything else is.
   */
  private async update<T>(
    key: string,
    ruleId: string | undefined,
    step: (prev: GroupState | undefined) => { state: GroupState | undefined; result: T },
  ): Promise<T> {
    try {
      return await this.tryUpdate(key, ruleId, step);
    } catch (e) {
      if (e instanceof StateStoreError) throw e;
      if (e instanceof GroupKeyCollision) throw new StateStoreError(`detection state: ${e.message}`, false, { cause: e });
      throw new StateStoreError(`detection state ${groupLabel(key)}: ${messageOf(e)}`, true, { cause: e });
    }
  }

  private async tryUpdate<T>(
    key: string,
    ruleId: string | undefined,
    step: (prev: GroupState | undefined) => { state: GroupState | undefined; result: T },
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const rec = await this.kv.get(key);
      const { state, result } = step(rec?.state);
      if (state === undefined) return result;
      const written = await this.kv.put(key, serializeState(state), ruleId ?? state.ruleId, rec?.version, expiresAt(state, this.clock()));
      if (written) return result;
      this.conflicts++;
      if (attempt >= this.maxAttempts) {
        throw new StateStoreError(`detection state ${groupLabel(key)}: still changing after ${attempt} attempts (contention)`, true);
      }
      // Jittered, growing: two writers that met once should not meet again.
      await this.sleep(Math.min(1000, 10 * 2 ** Math.min(attempt, 6)) * (0.5 + Math.random()));
    }
  }

  /** Runs `f` on each item, `concurrency` at a time; every item is attempted, then the first failure is thrown as it is. */
  private each<T>(items: readonly T[], f: (item: T) => Promise<void>): Promise<void> {
    return eachLimited(items, this.concurrency, f);
  }
}

/** Alert ids by group key, so each group is read and written once. */
function byGroup(alerts: readonly AlertRef[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const a of alerts) {
    const ids = groups.get(a.groupKey);
    if (ids) ids.push(a.alertId);
    else groups.set(a.groupKey, [a.alertId]);
  }
  return groups;
}

/** Group states in a Map, with the same versioning as DynamoDB: the CLI's store, and the tests'. */
export class MemoryGroupKv implements GroupKv {
  readonly items = new Map<string, { json: string; version: number; ruleId: string; expiresAt: number }>();

  async get(key: string): Promise<GroupRecord | undefined> {
    const it = this.items.get(key);
    return it && { state: parseState(it.json), version: it.version };
  }

  async put(key: string, json: string, ruleId: string, expected: number | undefined, expiresAt: number): Promise<boolean> {
    const it = this.items.get(key);
    if (it?.version !== expected) return false;
    this.items.set(key, { json, version: (expected ?? 0) + 1, ruleId, expiresAt });
    return true;
  }

  /** Every group's state: for the CLI's summary and tests. */
  states(): GroupState[] {
    return [...this.items.values()].map((i) => parseState(i.json));
  }
}

/** An in-memory state store (the CLI's `detect`, tests); `memory` holds the group states. */
export class MemoryStateStore extends DetectionStateStore {
  readonly memory: MemoryGroupKv;

  constructor(clock: () => Date) {
    const kv = new MemoryGroupKv();
    super(kv, { clock, sleep: async () => {} });
    this.memory = kv;
  }

  /** Every alert (fired window of a rule's group; flood summaries are not alerts), with its final count: what `cflogs detect` prints. */
  alerts(): AlertState[] {
    return [...this.memory.items].flatMap(([key, it]) => {
      const st = parseState(it.json);
      return st.kind === 'summary' ? [] : alertsOf(st, key);
    });
  }
}
