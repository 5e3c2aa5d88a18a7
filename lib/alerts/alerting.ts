import { randomUUID } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { CflogsError, messageOf } from '../errors';
import type { OutputCodec } from '../lake/codec';
import { alertKey } from '../lake/layout';
import type { ObjectStore } from '../lake/types';
import { AlertRecord, alertRecord, AlertSummaryRecord, summaryRecord } from '../rules/alert';
import type { RuleSet } from '../rules/engine';
import type { AlertRef, AlertStateStore } from '../rules/store';
import { AlertState, GroupContribution, summaryAlertId, summaryKey, summaryState } from '../rules/windows';
import { RuleFlood } from './flood';
import { eachLimited, Limiter, settle } from '../limit';

/** What goes to subscribers: an alert's record, or a flood summary standing for many. */
export type AlertMessage = AlertRecord | AlertSummaryRecord;

/** One message's fate in a publish call. */
export type PublishOutcome = { ok: true } | { ok: false; error: unknown };

/** Where fired alerts go besides the lake: SNS in the Lambda (lib/aws/sns.ts). */
export interface AlertPublisher {
  /** Most messages one `publish` call takes (SNS PublishBatch: 10). */
  readonly batchSize: number;
  /**
   * Publishes up to `batchSize` messages: one outcome per message, in order, so a message that failed is retried
   * without the others. A call that fails as a whole may reject instead.
   */
  publish(messages: readonly AlertMessage[]): Promise<PublishOutcome[]>;
}

/** Counts for metrics: alerts fired per rule, and publishes that failed. */
export interface AlertMetrics {
  fired(ruleId: string, count: number): void;
  publishFailed(count: number): void;
}

/**
 * Per rule and input, alerts published on their own, the first by alert id; the rest are recorded (state and lake)
 * and notified by one summary message. A person gets at most this many messages of a rule from one input, plus one.
 */
export const FLOOD_INDIVIDUAL = 50;
/** Summarised alerts a summary names (their ids and dedup strings), the first by alert id. */
export const SUMMARY_SAMPLE = 20;
/** Alert records written to the lake at once (each holds a compressor and an upload). */
export const RECORD_WRITES = 8;
/** Publish calls (claim, publish, mark) in flight at once. */
export const PUBLISH_CALLS = 2;
/**
 * How long an attempt's claim on an alert lasts: well beyond a publish call (the SNS client gives up on a request
 * after 10 s, three attempts), so a live attempt's claim does not run out under it; an attempt that died holds its
 * alerts no longer than this.
 */
export const CLAIM_LEASE_MS = 60_000;
/**
 * How long an attempt waits for alerts another attempt claimed before it fails (retryable): a live claimer publishes
 * in well under a second, and the wait must stay far below the HTTP function's timeout.
 */
export const CLAIM_WAIT_MS = 5_000;
const FIRST_POLL_MS = 100;
const MAX_POLL_MS = 1_000;

export interface AlertingDeps {
  rules: RuleSet;
  /** Detection state: DynamoDB in the Lambda, memory in the CLI. */
  state: AlertStateStore;
  /** The lake, for alert records (alerts/...); none: records are only returned. */
  lake?: { store: ObjectStore; prefix: string; codec: OutputCodec };
  publisher?: AlertPublisher;
  metrics?: AlertMetrics;
  clock: () => Date;
  /** Claim lease and wait (CLAIM_LEASE_MS, CLAIM_WAIT_MS by default); `sleep` between polls (tests advance a clock). */
  claims?: { leaseMs?: number; waitMs?: number; sleep?: (ms: number) => Promise<void> };
}

export interface AlertingResult {
  /** Alerts this input made fire (on a retry: all of them again, whether an earlier attempt delivered them or not). */
  fired: number;
  /** Of those, how many a flood summary stands for. */
  summarised: number;
  /** Alerts that had fired and that this input's matches joined. */
  updated: number;
  /** Records of fired alerts, at most FLOOD_INDIVIDUAL per rule (those sent alone): for the input's summary line. */
  records: AlertRecord[];
}

/** Publishing an alert failed: the input fails too, so its retry publishes what the state still marks unpublished. */
export class AlertPublishError extends CflogsError {
  override readonly name = 'AlertPublishError';
}

/**
 * Another attempt at the same input (a duplicate delivery) holds the claim on alerts and did not publish them while
 * this one waited. The input fails so that its redelivery finds them published, or takes them over once the claim
 * has run out (the claimer died): never lost, and not published twice while the claimer lives.
 */
export class AlertClaimedError extends CflogsError {
  override readonly name = 'AlertClaimedError';
}

interface Delivery {
  ref: AlertRef;
  message: AlertMessage;
}

const refOf = (a: AlertState): AlertRef => ({ groupKey: a.groupKey, alertId: a.alertId });

/**
 * The stage after an input's rows are in the lake: its rule matches go to the detection state once (keyed by the
 * input's identity, so a redelivery changes nothing), the alerts that fired or grew are written to the lake as their
 * current records, and the fired ones are published, then marked published. Everything runs through bounded
 * concurrency, group by group as the state store writes them (RECORD_WRITES, PUBLISH_CALLS), holding whole at most
 * FLOOD_INDIVIDUAL + SUMMARY_SAMPLE alerts per rule: memory does not grow with the alerts of an input. Before
 * publishing, an attempt claims the alerts (a lease in the state), so two attempts at one input publish each once.
 * Any failure throws: the caller retries the input, whose rows are rewritten identically and whose matches are not
 * counted again.
 */
export class Alerting {
  constructor(private readonly deps: AlertingDeps) {}

  get rules(): RuleSet {
    return this.deps.rules;
  }

  async afterInput(identity: string, contributions: readonly GroupContribution[]): Promise<AlertingResult> {
    const { deps } = this;
    const result: AlertingResult = { fired: 0, summarised: 0, updated: 0, records: [] };
    if (contributions.length === 0) return result;
    const now = deps.clock();
    const writes = new Limiter(RECORD_WRITES);
    const lake = deps.lake;
    const write = (r: AlertRecord): Promise<void> => (lake ? writes.run(() => writeRecord(lake, r)) : Promise.resolve());
    const record = (a: AlertState, summary?: string): AlertRecord => alertRecord(deps.rules.get(a.ruleId), a, now, summary);
    const floods = new Map<string, RuleFlood>();
    // Per rule, the summarised alerts not yet delivered: marked once their summary is out. Refs only, not records.
    const summarised = new Map<string, AlertRef[]>();
    const unpublished: AlertRef[] = [];
    const newlyFired = new Map<string, number>();
    const recordsShown = new Map<string, number>();
    // Records are written before an alert is published or marked, so one marked published has its record already.
    const summarise = (a: AlertState): Promise<void> => {
      if (a.published) return Promise.resolve();
      const refs = summarised.get(a.ruleId);
      if (refs) refs.push(refOf(a));
      else summarised.set(a.ruleId, [refOf(a)]);
      return write(record(a, summaryAlertId(a.ruleId, identity)));
    };

    // The state's identity of the input is a hash of it (bucket, key, version; windows.ts inputTag).
    await deps.state.applyEach(identity, contributions, async (g) => {
      const jobs: Promise<void>[] = [];
      for (const a of g.updated) {
        result.updated++;
        jobs.push(write(record(a)));
      }
      for (const a of g.fired) {
        result.fired++;
        if (!a.published) newlyFired.set(a.ruleId, (newlyFired.get(a.ruleId) ?? 0) + 1);
        if (!deps.publisher) {
          // Without a publisher the lake record is the alert's delivery: marked, so the state may prune it later.
          if (!a.published) unpublished.push(refOf(a));
          const r = record(a);
          const shown = recordsShown.get(a.ruleId) ?? 0;
          if (shown < FLOOD_INDIVIDUAL) {
            recordsShown.set(a.ruleId, shown + 1);
            result.records.push(r);
          }
          if (!a.published) jobs.push(write(r));
          continue;
        }
        let flood = floods.get(a.ruleId);
        if (!flood) floods.set(a.ruleId, (flood = new RuleFlood(a.ruleId, FLOOD_INDIVIDUAL + SUMMARY_SAMPLE)));
        const out = flood.offer(a);
        if (out) jobs.push(summarise(out));
      }
      await settle(jobs);
    });
    for (const [ruleId, n] of newlyFired) deps.metrics?.fired(ruleId, n);
    if (!deps.publisher) {
      if (unpublished.length > 0) await deps.state.markPublished(unpublished);
      return result;
    }

    const deliveries: Delivery[] = [];
    const summaries: { id: string; refs: AlertRef[] }[] = [];
    for (const flood of floods.values()) {
      const { alone, sample } = flood.split(FLOOD_INDIVIDUAL);
      const jobs = sample.map(summarise);
      for (const a of alone) {
        const r = record(a);
        result.records.push(r);
        if (a.published) continue;
        jobs.push(write(r));
        deliveries.push({ ref: refOf(a), message: r });
      }
      // Records first: whoever gets a message finds its alerts in the lake.
      await settle(jobs);
      const tally = flood.tally;
      if (tally.alerts === 0) continue;
      result.summarised += tally.alerts;
      const rule = deps.rules.get(flood.ruleId);
      const title = `${rule?.displayName ?? flood.ruleId}: ${tally.alerts} more alerts from one input, in this summary`;
      const key = summaryKey(flood.ruleId, identity);
      const opened = await deps.state.openSummary(key, summaryState(tally.draft({ ruleId: flood.ruleId, inputId: identity, title, sample }), now));
      summaries.push({ id: opened.alert.alertId, refs: summarised.get(flood.ruleId) ?? [] });
      if (!opened.alert.published) deliveries.push({ ref: { groupKey: key, alertId: opened.alert.alertId }, message: summaryRecord(rule, opened.alert, opened.covers, now) });
    }
    await this.deliver(deliveries);
    // Every summary is out (this attempt's or another's): the alerts it stands for are delivered.
    for (const s of summaries) if (s.refs.length > 0) await deps.state.markPublished(s.refs, { summary: s.id });
    return result;
  }

  /**
   * Claims, publishes and marks published, PUBLISH_CALLS batches at a time. Alerts another attempt holds are polled
   * until published (nothing to do), or their claim runs out (taken over), or CLAIM_WAIT_MS passes
   * (AlertClaimedError). Messages that failed are released and fail the input (AlertPublishError), after the
   * others were published and marked.
   */
  private async deliver(items: readonly Delivery[]): Promise<void> {
    if (items.length === 0) return;
    const { deps } = this;
    const publisher = deps.publisher as AlertPublisher;
    const owner = randomUUID();
    const leaseMs = deps.claims?.leaseMs ?? CLAIM_LEASE_MS;
    const sleep = deps.claims?.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const deadline = deps.clock().getTime() + (deps.claims?.waitMs ?? CLAIM_WAIT_MS);
    let pending = items;
    for (let poll = FIRST_POLL_MS; ; poll = Math.min(MAX_POLL_MS, poll * 2)) {
      const held: Delivery[] = [];
      let heldUntil = 0;
      const failed: { delivery: Delivery; error: unknown }[] = [];
      const batches: Delivery[][] = [];
      for (let i = 0; i < pending.length; i += publisher.batchSize) batches.push(pending.slice(i, i + publisher.batchSize));
      await eachLimited(batches, PUBLISH_CALLS, async (batch) => {
        const claims = await deps.state.claim(batch.map((d) => d.ref), owner, leaseMs);
        const mine: Delivery[] = [];
        for (const d of batch) {
          const c = claims.get(d.ref.alertId);
          if (c?.status === 'claimed') mine.push(d);
          else if (c?.status === 'held') {
            held.push(d);
            heldUntil = Math.max(heldUntil, c.until);
          }
        }
        if (mine.length === 0) return;
        let outcomes: PublishOutcome[];
        try {
          outcomes = await publisher.publish(mine.map((d) => d.message));
        } catch (error) {
          outcomes = mine.map(() => ({ ok: false, error }));
        }
        const sent: AlertRef[] = [];
        const lost: AlertRef[] = [];
        mine.forEach((d, i) => {
          const o = outcomes[i];
          if (o?.ok) sent.push(d.ref);
          else {
            lost.push(d.ref);
            failed.push({ delivery: d, error: o ? o.error : new Error('the publisher gave no outcome for this message') });
          }
        });
        if (sent.length > 0) await deps.state.markPublished(sent);
        // So that a retry need not wait out the lease; if this fails too, the lease runs out on its own.
        if (lost.length > 0) await deps.state.release(lost, owner).catch(() => undefined);
      });
      if (failed.length > 0) {
        deps.metrics?.publishFailed(failed.length);
        const first = failed[0]?.error;
        throw new AlertPublishError(`publishing ${failed.length} of ${items.length} alert messages failed: ${messageOf(first)}`, { cause: first });
      }
      if (held.length === 0) return;
      if (deps.clock().getTime() >= deadline) {
        throw new AlertClaimedError(
          `${held.length} alert messages are claimed by another attempt at this input until ${new Date(heldUntil).toISOString()}: ` +
            'failed so that a redelivery finds them published, or publishes them once the claim has run out',
        );
      }
      await sleep(poll);
      pending = held;
    }
  }
}

/** One file per alert, rewritten with the state this input read: the lake holds each alert's latest record. */
async function writeRecord(lake: NonNullable<AlertingDeps['lake']>, r: AlertRecord): Promise<void> {
  const target = lake.store.openWrite(alertKey(lake.prefix, r.windowStart, r.alertId, lake.codec.extension));
  const out = lake.codec.create({ chunkSize: 16 * 1024, writableHighWaterMark: 16 * 1024 });
  out.end(`${JSON.stringify(r)}\n`);
  try {
    await pipeline(out, target.stream);
    await target.result;
  } catch (e) {
    await target.abort();
    throw e;
  }
}
