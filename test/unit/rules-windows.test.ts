import { builtInRules } from '../../lib/rules/builtin';
import { RuleSet } from '../../lib/rules/engine';
import type { RuleEvent } from '../../lib/rules/model';
import { MemoryStateStore } from '../../lib/rules/store';
import { epochMinute } from '../../lib/record/timestamps';
import {
  alertsOf,
  applyToGroup,
  GroupContribution,
  GroupState,
  markPublishedInGroup,
  MAX_WINDOWS,
  MinuteMatches,
} from '../../lib/rules/windows';

const NOW = new Date('2026-03-02T12:00:00Z');
const rules = new RuleSet(builtInRules());
const L7 = 'Cloudflare.Firewall.L7DDoS';
const R2S = 'Cloudflare.Firewall.React2Shell.RCE';

/** Lake time `seconds` after 2026-03-02 10:00:00 (negative and large values allowed). */
function at(seconds: number, base = Date.UTC(2026, 2, 2, 10)): string {
  const iso = new Date(base + seconds * 1000).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}000000`;
}

let rowSeq = 0;
function firewall(time: string, fields: Record<string, unknown>): RuleEvent {
  rowSeq++;
  return { Datetime: time, ...fields, p_log_type: 'Cloudflare.Firewall', p_row_id: `row${String(rowSeq).padStart(6, '0')}`, p_event_time: time };
}
const l7 = (time: string) => firewall(time, { Source: 'l7ddos', Action: 'log', ClientIP: '198.51.100.1', ClientRequestHost: 'www.example.com' });
const r2s = (time: string, ip: string) => firewall(time, { RuleID: '33aa8a8a948b48b28d40450c5fb92fba', Action: 'block', ClientIP: ip, ClientRequestHost: 'app.example.com' });

async function detect(store: MemoryStateStore, inputId: string, rows: RuleEvent[]) {
  const d = rules.forLogType('Cloudflare.Firewall')!.start();
  for (const r of rows) d.onRow(r);
  return store.apply(inputId, d.contributions());
}

function allAlerts(store: MemoryStateStore, ruleId: string) {
  return store.alerts().filter((a) => a.ruleId === ruleId);
}

describe('L7 DDoS: threshold 100 per 60 minutes, one group', () => {
  test('150 matches within a few minutes give exactly one alert, with count 150', async () => {
    const store = new MemoryStateStore(() => NOW);
    const rows = Array.from({ length: 150 }, (_, i) => l7(at(i * 1.5)));
    const out = await detect(store, 'input-1', rows);
    const fired = out.fired.filter((a) => a.ruleId === L7);
    expect(fired).toHaveLength(1);
    expect(fired[0]).toMatchObject({ eventCount: 150, firstEventTime: at(0), lastEventTime: at(149 * 1.5), title: 'Cloudflare: Detected L7 DDoS', severity: 'Medium' });
    expect(fired[0]!.rowIds).toHaveLength(10);
    expect(allAlerts(store, L7)).toHaveLength(1);
  });

  test('99 matches give none', async () => {
    const store = new MemoryStateStore(() => NOW);
    const out = await detect(store, 'input-1', Array.from({ length: 99 }, (_, i) => l7(at(i))));
    expect(out.fired.filter((a) => a.ruleId === L7)).toEqual([]);
    expect(allAlerts(store, L7)).toEqual([]);
  });

  test('the 100th match in a later input fires; later ones join without firing again', async () => {
    const store = new MemoryStateStore(() => NOW);
    await detect(store, 'a', Array.from({ length: 99 }, (_, i) => l7(at(i))));
    const b = await detect(store, 'b', [l7(at(200))]);
    expect(b.fired.map((a) => a.eventCount)).toEqual([100]);
    const c = await detect(store, 'c', [l7(at(300)), l7(at(301))]);
    expect(c.fired).toEqual([]);
    expect(c.updated.map((a) => [a.eventCount, a.lastEventTime])).toEqual([[102, at(301)]]);
  });

  test('matches spread beyond one period do not add up', async () => {
    const store = new MemoryStateStore(() => NOW);
    // 60 in the first hour, 60 more than an hour after the first: two windows of 60.
    const rows = [...Array.from({ length: 60 }, (_, i) => l7(at(i))), ...Array.from({ length: 60 }, (_, i) => l7(at(3660 + i)))];
    expect((await detect(store, 'x', rows)).fired).toEqual([]);
    const [state] = store.memory.states();
    expect(state!.windows.map((w) => w.count)).toEqual([60, 60]);
  });
});

describe('React2Shell: every match, dedup by client IP', () => {
  test('hits from two client IPs give two alerts; a third hit from the first IP joins its alert', async () => {
    const store = new MemoryStateStore(() => NOW);
    const first = await detect(store, 'in-1', [r2s(at(0), '203.0.113.5'), r2s(at(10), '203.0.113.6')]);
    expect(first.fired.map((a) => [a.dedup, a.eventCount])).toEqual([
      ['Cloudflare React2Shell (CVE-2025-55182) Exploit Detected from [203.0.113.5]', 1],
      ['Cloudflare React2Shell (CVE-2025-55182) Exploit Detected from [203.0.113.6]', 1],
    ]);
    const third = await detect(store, 'in-2', [r2s(at(600), '203.0.113.5')]);
    expect(third.fired).toEqual([]);
    expect(third.updated).toHaveLength(1);
    expect(third.updated[0]).toMatchObject({ alertId: first.fired[0]!.alertId, eventCount: 2, lastEventTime: at(600) });
    expect(allAlerts(store, R2S).map((a) => a.eventCount).sort()).toEqual([1, 2]);
  });

  test('a hit after the period opens a new alert', async () => {
    const store = new MemoryStateStore(() => NOW);
    const a = await detect(store, 'in-1', [r2s(at(0), '203.0.113.5')]);
    const b = await detect(store, 'in-2', [r2s(at(3601), '203.0.113.5')]);
    expect(b.fired).toHaveLength(1);
    expect(b.fired[0]!.alertId).not.toBe(a.fired[0]!.alertId);
  });
});

describe('windows by event time', () => {
  test('a backfill of month-old events opens its own windows beside the current ones', async () => {
    const store = new MemoryStateStore(() => NOW);
    await detect(store, 'live', Array.from({ length: 100 }, (_, i) => l7(at(i))));
    const month = -30 * 24 * 3600;
    const old = await detect(store, 'backfill-1', Array.from({ length: 100 }, (_, i) => l7(at(month + i))));
    expect(old.fired.filter((a) => a.ruleId === L7).map((a) => [a.firstEventTime, a.eventCount])).toEqual([[at(month), 100]]);
    expect(allAlerts(store, L7).map((a) => a.firstEventTime).sort()).toEqual([at(month), at(0)]);
  });

  test("a backfill's window keeps counting across its inputs while live data arrives", async () => {
    const store = new MemoryStateStore(() => NOW);
    const month = -30 * 24 * 3600;
    await detect(store, 'backfill-1', Array.from({ length: 60 }, (_, i) => l7(at(month + i))));
    await detect(store, 'live', Array.from({ length: 10 }, (_, i) => l7(at(i))));
    const b2 = await detect(store, 'backfill-2', Array.from({ length: 60 }, (_, i) => l7(at(month + 600 + i))));
    expect(b2.fired.map((a) => [a.firstEventTime, a.eventCount])).toEqual([[at(month), 120]]);
  });

  test('inputs A then B and B then A both fire once when together they cross the threshold', async () => {
    const rowsA = Array.from({ length: 60 }, (_, i) => l7(at(i)));
    const rowsB = Array.from({ length: 60 }, (_, i) => l7(at(400 + i)));
    for (const order of [
      ['A', 'B'],
      ['B', 'A'],
    ] as const) {
      const store = new MemoryStateStore(() => NOW);
      const fired = [];
      for (const name of order) fired.push(...(await detect(store, name, name === 'A' ? rowsA : rowsB)).fired);
      expect({ order, fired: fired.map((a) => [a.eventCount, a.firstEventTime, a.windowStart]) }).toEqual({
        order,
        fired: [[120, at(0), '2026-03-02 10:00:00.000000000']],
      });
    }
  });

  test('applying an input again changes nothing and fires nothing', async () => {
    const store = new MemoryStateStore(() => NOW);
    const rows = Array.from({ length: 120 }, (_, i) => l7(at(i)));
    const first = await detect(store, 's3://bucket/key#v1', rows);
    const before = store.memory.states();
    const again = await detect(store, 's3://bucket/key#v1', rows);
    expect(store.memory.states()).toEqual(before);
    // Not published yet: the retry is told to publish the alert the first attempt raised (and maybe did not send).
    expect(again.fired.map((a) => a.alertId)).toEqual(first.fired.map((a) => a.alertId));
    await store.markPublished(first.fired);
    const third = await detect(store, 's3://bucket/key#v1', rows);
    expect(third.fired).toEqual([]);
    expect(allAlerts(store, L7).map((a) => [a.eventCount, a.published])).toEqual([[120, true]]);
  });

  test('a different version of the same key is a different input', async () => {
    const store = new MemoryStateStore(() => NOW);
    await detect(store, 's3://bucket/key#v1', [r2s(at(0), '192.0.2.9')]);
    await detect(store, 's3://bucket/key#v2', [r2s(at(1), '192.0.2.9')]);
    expect(allAlerts(store, R2S).map((a) => a.eventCount)).toEqual([2]);
  });
});

describe('the window function', () => {
  const head = (time: string, rowId: string, title = 't') => ({ time, rowId, title, severity: 'High' as const, context: { rowId } });
  const minute = (time: string, count: number, rowId: string, rows?: [string, string][]): MinuteMatches => ({
    minute: epochMinute(time),
    count,
    head: head(time, rowId),
    last: time,
    rows: rows ?? [[time, rowId]],
  });
  const contribution = (minutes: MinuteMatches[], threshold = 1, periodMinutes = 60): GroupContribution => ({
    key: 'r#d',
    ruleId: 'r',
    dedup: 'd',
    threshold,
    periodMinutes,
    minutes,
  });

  test('threshold 1: the first match of each period fires', () => {
    const s1 = applyToGroup(undefined, contribution([minute(at(0), 1, 'a'), minute(at(1800), 1, 'b'), minute(at(3600), 1, 'c')]), 'in', NOW);
    expect(s1.fired.map((a) => [a.windowStart, a.eventCount])).toEqual([
      ['2026-03-02 10:00:00.000000000', 2],
      ['2026-03-02 11:00:00.000000000', 1],
    ]);
    expect(s1.fired[0]!.createdAt).toBe('2026-03-02 12:00:00.000000000');
  });

  test('fired alerts not yet published are never pruned, past MAX_WINDOWS: a retry can still publish each', () => {
    const n = MAX_WINDOWS + 8;
    // A backfill firing one alert per hour of a long span (threshold 1), and its publish failed.
    const minutes = Array.from({ length: n }, (_, i) => minute(at(i * 3600), 1, `r${i}`));
    const first = applyToGroup(undefined, contribution(minutes), 'backfill', NOW);
    expect(first.fired).toHaveLength(n);
    expect(first.state.windows).toHaveLength(n);
    // The retry finds every one of them unpublished; once published, pruning may take the old ones.
    const retry = applyToGroup(first.state, contribution(minutes), 'backfill', NOW);
    expect(retry.fired).toHaveLength(n);
    const published = markPublishedInGroup(first.state, first.fired.map((a) => a.alertId)).state;
    const later = applyToGroup(published, contribution([minute(at(n * 3600), 1, 'z')]), 'next', NOW);
    expect(later.state.windows.length).toBeLessThanOrEqual(MAX_WINDOWS);
  });

  test('windows stay in start order when a later input adds earlier ones', () => {
    const a = applyToGroup(undefined, contribution([minute(at(7200), 1, 'a'), minute(at(14400), 1, 'b')]), 'a', NOW);
    const b = applyToGroup(a.state, contribution([minute(at(0), 1, 'c'), minute(at(10800), 1, 'd')]), 'b', NOW);
    const starts = b.state.windows.map((w) => w.start);
    expect(starts).toEqual([...starts].sort((x, y) => x - y));
    expect(starts).toHaveLength(4);
  });

  test('the alert id depends only on rule, dedup string and window start', () => {
    const x = applyToGroup(undefined, contribution([minute(at(5), 1, 'a')]), 'in-x', NOW);
    const y = applyToGroup(undefined, contribution([minute(at(30), 3, 'b')]), 'in-y', new Date(0));
    expect(x.fired[0]!.alertId).toBe(y.fired[0]!.alertId);
    expect(x.fired[0]!.alertId).toMatch(/^[0-9a-f]{32}$/);
  });

  test('a window keeps the first 10 row ids by event time, then row id', () => {
    const rows = (base: number, n: number): [string, string][] => Array.from({ length: n }, (_, i) => [at(base), `id${base}-${i}`]);
    const s1 = applyToGroup(undefined, contribution([minute(at(120), 8, 'id120-0', rows(120, 8))]), 'a', NOW);
    const s2 = applyToGroup(s1.state, contribution([minute(at(60), 5, 'id60-0', rows(60, 5))]), 'b', NOW);
    expect(s2.state.windows[0]!.rows.map((r) => r[1])).toEqual([...rows(60, 5), ...rows(120, 5)].map((r) => r[1]));
    expect(s2.state.windows[0]!.first).toEqual([at(60), 'id60-0']);
  });

  test('an earlier match moves an unfired window back; a fired window keeps its start and alert', () => {
    const late = applyToGroup(undefined, contribution([minute(at(600), 1, 'late')], 2), 'a', NOW);
    const early = applyToGroup(late.state, contribution([minute(at(0), 1, 'early')], 2), 'b', NOW);
    expect(early.fired.map((a) => [a.windowStart, a.eventCount, a.alertContext])).toEqual([['2026-03-02 10:00:00.000000000', 2, { rowId: 'early' }]]);
    const fired = applyToGroup(undefined, contribution([minute(at(600), 1, 'late')], 1), 'a', NOW);
    const joined = applyToGroup(fired.state, contribution([minute(at(0), 1, 'early')], 1), 'b', NOW);
    expect(joined.fired).toEqual([]);
    expect(joined.updated.map((a) => [a.alertId, a.windowStart, a.eventCount, a.firstEventTime])).toEqual([
      [fired.fired[0]!.alertId, '2026-03-02 10:10:00.000000000', 2, at(0)],
    ]);
  });

  test('publishing is recorded per alert, and only a fired, unpublished alert changes', () => {
    const s = applyToGroup(undefined, contribution([minute(at(0), 1, 'a')]), 'in', NOW);
    const id = s.fired[0]!.alertId;
    const p = markPublishedInGroup(s.state, [id]);
    expect(p.changed).toBe(true);
    expect(alertsOf(p.state, 'k')[0]!.published).toBe(true);
    expect(markPublishedInGroup(p.state, [id]).changed).toBe(false);
    expect(markPublishedInGroup(s.state, ['another']).changed).toBe(false);
  });

  test('old windows nobody adds to are pruned once published; the state stays bounded', () => {
    let st: GroupState | undefined;
    // One match a day for 60 days, each applied "now" (a live feed) and its alert published: only the last days' stay.
    for (let d = 0; d < 60; d++) {
      const now = new Date(Date.UTC(2026, 0, 1 + d, 12));
      const applied = applyToGroup(st, contribution([minute(at(0, Date.UTC(2026, 0, 1 + d)), 1, `r${d}`)]), `in-${d}`, now);
      st = markPublishedInGroup(applied.state, applied.fired.map((a) => a.alertId)).state;
    }
    expect(st!.windows.length).toBeLessThanOrEqual(3);
    expect(st!.inputs.length).toBeLessThanOrEqual(15);
    // Many windows touched at once (a long backfill file), published: at most MAX_WINDOWS kept after the next input.
    const many = Array.from({ length: 50 }, (_, i) => minute(at(i * 7200), 1, `m${i}`));
    const big = applyToGroup(undefined, contribution(many), 'big', NOW);
    const published = markPublishedInGroup(big.state, big.fired.map((a) => a.alertId)).state;
    expect(applyToGroup(published, contribution([minute(at(50 * 7200), 1, 'next')]), 'next', NOW).state.windows).toHaveLength(MAX_WINDOWS);
  });

  test('a state does not take another group', () => {
    const s = applyToGroup(undefined, contribution([minute(at(0), 1, 'a')]), 'in', NOW);
    expect(() => applyToGroup(s.state, { ...contribution([minute(at(0), 1, 'a')]), dedup: 'other' }, 'in2', NOW)).toThrow(/share a key/);
  });
});
