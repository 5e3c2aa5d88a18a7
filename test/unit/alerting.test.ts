import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import {
  AlertClaimedError,
  Alerting,
  AlertingDeps,
  AlertMessage,
  AlertPublishError,
  AlertPublisher,
  CLAIM_LEASE_MS,
  CLAIM_WAIT_MS,
  FLOOD_INDIVIDUAL,
  PublishOutcome,
  RECORD_WRITES,
  SUMMARY_SAMPLE,
} from '../../lib/alerts/alerting';
import { outputCodec } from '../../lib/lake/codec';
import type { ObjectStore, WriteTarget } from '../../lib/lake/types';
import type { AlertRecord, AlertSummaryRecord } from '../../lib/rules/alert';
import { builtInRules } from '../../lib/rules/builtin';
import { RuleSet } from '../../lib/rules/engine';
import type { RuleEvent } from '../../lib/rules/model';
import { MemoryStateStore } from '../../lib/rules/store';
import { summaryAlertId } from '../../lib/rules/windows';
import { readLakeFile } from '../../testkit/lake-files';

/**
 * The stage after an input's rows are in the lake, on the in-memory state store with an injected clock: how many
 * alerts one input may make it publish, write and hold at once, and how two attempts at one input share the
 * publishing (claims with a lease).
 */
const R2S = 'Cloudflare.Firewall.React2Shell.RCE';
const rules = new RuleSet(builtInRules());
const INPUT = 's3://logs/firewall_events/flood.log.gz#v1';
const tick = (ms = 1): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One input's contributions: `hits` React2Shell hits, each from its own client IP (an alert each). */
function hits(n: number, firstIp = 0) {
  const d = rules.forLogType('Cloudflare.Firewall')!.start();
  for (let i = 0; i < n; i++) {
    const ip = firstIp + i;
    d.onRow({
      RuleID: '33aa8a8a948b48b28d40450c5fb92fba',
      Action: 'block',
      ClientIP: `2001:db8::${ip.toString(16)}`,
      p_row_id: `row${String(ip).padStart(6, '0')}`,
      p_event_time: `2026-11-01 09:00:${String(i % 60).padStart(2, '0')}.000000000`,
    } as RuleEvent);
  }
  return d.contributions();
}

/** A lake that records each object and how many were being written at once. */
class CountingStore implements ObjectStore {
  readonly objects = new Map<string, string>();
  open = 0;
  maxOpen = 0;

  openWrite(key: string): WriteTarget {
    this.open++;
    this.maxOpen = Math.max(this.maxOpen, this.open);
    const chunks: Buffer[] = [];
    const stream = new Writable({
      write: (c: Buffer, _e, cb) => {
        chunks.push(c);
        cb();
      },
    });
    const result = finished(stream).then(async () => {
      await tick();
      this.objects.set(key, readLakeFile(Buffer.concat(chunks)));
      this.open--;
    });
    return { stream, result, abort: async () => void stream.destroy() };
  }

  records(): AlertRecord[] {
    return [...this.objects.values()].map((t) => JSON.parse(t) as AlertRecord);
  }
}

/** A publisher that records what it sent, the calls in flight at once, and fails entries or whole calls on demand. */
class RecordingPublisher implements AlertPublisher {
  readonly batchSize = 10;
  readonly sent: AlertMessage[] = [];
  readonly batches: number[] = [];
  inFlight = 0;
  maxInFlight = 0;
  failEntries = 0;
  /** Set to hold every call until released (an attempt stopped between claiming and publishing). */
  gate: Promise<void> | undefined;

  async publish(messages: readonly AlertMessage[]): Promise<PublishOutcome[]> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await (this.gate ?? tick());
      this.batches.push(messages.length);
      return messages.map((m) => {
        if (this.failEntries > 0) {
          this.failEntries--;
          return { ok: false, error: new Error('InternalError: injected') };
        }
        this.sent.push(m);
        return { ok: true };
      });
    } finally {
      this.inFlight--;
    }
  }
}

function alerting(over: Partial<AlertingDeps> & Pick<AlertingDeps, 'state' | 'clock'>): Alerting {
  return new Alerting({ rules, ...over });
}

const isSummary = (m: AlertMessage): m is AlertSummaryRecord => 'summary' in m;

describe('a flood of alerts from one input', () => {
  test('2,000 alerts: the first 50 by alert id go out alone, the rest in one summary; records and publishes stay bounded in flight', async () => {
    const clock = () => new Date('2026-11-01T09:05:00Z');
    const state = new MemoryStateStore(clock);
    const store = new CountingStore();
    const publisher = new RecordingPublisher();
    const a = alerting({ state, clock, publisher, lake: { store, prefix: '', codec: outputCodec('zstd') } });
    const result = await a.afterInput(INPUT, hits(2000));

    expect([result.fired, result.summarised, result.updated]).toEqual([2000, 2000 - FLOOD_INDIVIDUAL, 0]);
    // Bounded work in flight, whatever the number of alerts.
    expect(store.maxOpen).toBeLessThanOrEqual(RECORD_WRITES);
    expect(publisher.maxInFlight).toBeLessThanOrEqual(2);
    expect(Math.max(...publisher.batches)).toBeLessThanOrEqual(10);
    // Every alert is in the lake once; the deterministic choice: the first FLOOD_INDIVIDUAL by alert id.
    const records = store.records();
    const ids = records.map((r) => r.alertId).sort();
    expect(new Set(ids).size).toBe(2000);
    const alone = publisher.sent.filter((m) => !isSummary(m));
    expect(alone.map((m) => m.alertId).sort()).toEqual(ids.slice(0, FLOOD_INDIVIDUAL));
    const summaries = publisher.sent.filter(isSummary);
    expect(summaries).toHaveLength(1);
    const summary = summaries[0]!;
    expect(summary.alertId).toBe(summaryAlertId(R2S, INPUT));
    expect(summary.summary).toEqual({ alerts: 1950, alertIds: ids.slice(FLOOD_INDIVIDUAL, FLOOD_INDIVIDUAL + SUMMARY_SAMPLE), dedups: expect.any(Array) });
    expect(summary.summary.dedups).toHaveLength(SUMMARY_SAMPLE);
    expect([summary.ruleId, summary.severity, summary.eventCount]).toEqual([R2S, 'HIGH', 1950]);
    // Each record says how it went out: alone (null) or in the summary.
    const bySummary = records.filter((r) => r.summaryAlertId === summary.alertId).map((r) => r.alertId).sort();
    expect(bySummary).toEqual(ids.slice(FLOOD_INDIVIDUAL));
    expect(records.filter((r) => r.summaryAlertId === null)).toHaveLength(FLOOD_INDIVIDUAL);
    // The state: every alert delivered, the summarised ones naming their summary.
    const alerts = state.alerts().filter((x) => x.ruleId === R2S);
    expect(alerts).toHaveLength(2000);
    expect(alerts.every((x) => x.published)).toBe(true);
    expect(alerts.filter((x) => x.summary === summary.alertId)).toHaveLength(1950);

    // A redelivery publishes nothing and writes the same records.
    const again = await a.afterInput(INPUT, hits(2000));
    expect([again.fired, again.summarised]).toEqual([2000, 1950]);
    expect(publisher.sent).toHaveLength(FLOOD_INDIVIDUAL + 1);
    expect(store.records().filter((r) => r.summaryAlertId === summary.alertId)).toHaveLength(1950);
  });

  test('up to 50 alerts of a rule go out alone and no summary is made', async () => {
    const clock = () => new Date('2026-11-01T09:05:00Z');
    const publisher = new RecordingPublisher();
    const result = await alerting({ state: new MemoryStateStore(clock), clock, publisher }).afterInput(INPUT, hits(FLOOD_INDIVIDUAL));
    expect([result.fired, result.summarised]).toEqual([FLOOD_INDIVIDUAL, 0]);
    expect(publisher.sent.filter(isSummary)).toEqual([]);
    expect(publisher.sent).toHaveLength(FLOOD_INDIVIDUAL);
  });

  test('a PublishBatch entry that fails fails the input (retryable); the others are marked, and the retry publishes only it', async () => {
    const clock = () => new Date('2026-11-01T09:05:00Z');
    const state = new MemoryStateStore(clock);
    const publisher = new RecordingPublisher();
    const a = alerting({ state, clock, publisher });
    publisher.failEntries = 1;
    const e = await a.afterInput(INPUT, hits(12)).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AlertPublishError);
    expect((e as AlertPublishError).disposition).toEqual({ kind: 'retry' });
    expect(publisher.sent).toHaveLength(11);
    expect(state.alerts().filter((x) => x.published)).toHaveLength(11);
    await a.afterInput(INPUT, hits(12));
    expect(publisher.sent.map((m) => m.alertId).sort()).toEqual(state.alerts().map((x) => x.alertId).sort());
  });

  test('the summary goes out once across retries, even when an attempt fails after publishing it', async () => {
    const clock = () => new Date('2026-11-01T09:05:00Z');
    const state = new MemoryStateStore(clock);
    const publisher = new RecordingPublisher();
    const a = alerting({ state, clock, publisher });
    // The state refuses the marks of the summarised alerts once: the summary went out, its alerts are not yet marked.
    const mark = state.markPublished.bind(state);
    let refused = false;
    state.markPublished = async (alerts, opts) => {
      if (!refused && opts?.summary !== undefined && alerts.length > 1) {
        refused = true;
        throw new Error('the state store is down');
      }
      return mark(alerts, opts);
    };
    await expect(a.afterInput(INPUT, hits(80))).rejects.toThrow(/down/);
    expect(publisher.sent.filter(isSummary)).toHaveLength(1);
    await a.afterInput(INPUT, hits(80));
    expect(publisher.sent.filter(isSummary)).toHaveLength(1);
    expect(publisher.sent).toHaveLength(FLOOD_INDIVIDUAL + 1);
    expect(state.alerts().every((x) => x.published)).toBe(true);
  });
});

describe('claims: two attempts at one input publish each alert once', () => {
  test('an attempt that meets a live claim waits; once the claimer has published, it succeeds and publishes nothing', async () => {
    let now = Date.parse('2026-11-01T09:05:00Z');
    const clock = () => new Date(now);
    const state = new MemoryStateStore(clock);
    const first = new RecordingPublisher();
    let release!: () => void;
    first.gate = new Promise<void>((r) => (release = r));
    const second = new RecordingPublisher();
    const a = alerting({ state, clock, publisher: first }).afterInput(INPUT, hits(3));
    // Until the first attempt has claimed its alerts.
    while (first.inFlight === 0) await tick();
    const b = alerting({
      state,
      clock,
      publisher: second,
      claims: {
        sleep: async (ms) => {
          now += ms;
          release();
          await tick(5);
        },
      },
    }).afterInput(INPUT, hits(3));
    await Promise.all([a, b]);
    expect(first.sent).toHaveLength(3);
    expect(second.sent).toEqual([]);
    expect(state.alerts().every((x) => x.published)).toBe(true);
  });

  test('a claim whose holder died holds the alert until its lease ends: the other attempt fails retryable, and a retry after the lease publishes it once', async () => {
    let now = Date.parse('2026-11-01T09:05:00Z');
    const clock = () => new Date(now);
    const state = new MemoryStateStore(clock);
    const dead = new RecordingPublisher();
    dead.gate = new Promise<void>(() => {});
    void alerting({ state, clock, publisher: dead }).afterInput(INPUT, hits(3));
    while (dead.inFlight === 0) await tick();

    const publisher = new RecordingPublisher();
    let slept = 0;
    const retry = () =>
      alerting({
        state,
        clock,
        publisher,
        claims: {
          sleep: async (ms) => {
            slept += ms;
            now += ms;
          },
        },
      }).afterInput(INPUT, hits(3));
    const e = await retry().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AlertClaimedError);
    expect((e as AlertClaimedError).disposition).toEqual({ kind: 'retry' });
    expect(slept).toBeGreaterThanOrEqual(CLAIM_WAIT_MS);
    expect(slept).toBeLessThan(CLAIM_LEASE_MS);
    expect(publisher.sent).toEqual([]);
    expect(state.alerts().some((x) => x.published)).toBe(false);

    // The lease runs out: the next attempt takes the claim over and publishes, once.
    now += CLAIM_LEASE_MS;
    await retry();
    expect(publisher.sent.map((m) => m.alertId).sort()).toEqual(state.alerts().map((x) => x.alertId).sort());
    expect(publisher.sent).toHaveLength(3);
    await retry();
    expect(publisher.sent).toHaveLength(3);
    expect(dead.sent).toEqual([]);
  });
});
