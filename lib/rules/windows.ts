import { createHash } from 'node:crypto';
import { CflogsError, Disposition, Dispositions } from '../errors';
import { formatDate } from '../record/timestamps';
import type { AlertRecord } from './alert-record';
import { SEVERITIES, Severity } from './model';
import { epochMinute, minuteText } from './time';

/**
 * Threshold windows by event time, Panther's semantics, as a pure function of a group's state and one input's
 * matches. A group is (rule id, dedup string). Its state is a short list of windows [start, start + period), each
 * with a count, first/last event time, up to 10 row ids, the title/severity/context of its first match and whether
 * it fired. A match joins the latest window whose start <= t < end, else opens a new one at t; a window fires once,
 * when its count reaches the threshold, and later matches join it without firing again. Times are counted in whole
 * minutes (a window opens on the minute of its first match), so memory per input stays bounded.
 *
 * Two departures, both for delivery in any order (a backfill, a retry, two inputs processed at once): a match
 * earlier than every window that holds it joins the nearest later window when that window's matches and this one
 * fit in one period from it (a window that has not fired moves its start back; one that has keeps its alert), so
 * most orders of inputs count alike; and the state remembers which inputs it applied, so applying one again
 * changes nothing and fires nothing. Firing is not fully order-independent: a window that fired keeps its start, so
 * matches arriving later just before it can open a window of their own (A = minutes 50 and 60, B = 0 and 40,
 * threshold 2: A then B fires twice, B then A once), as Panther's processing-time windows depend on arrival.
 */

/** A matching row: [event time as the lake's text, p_row_id]. */
export type RowRef = readonly [time: string, rowId: string];

/** The first match of a minute (or window): what an alert shows. */
export interface MatchHead {
  time: string;
  rowId: string;
  title: string;
  severity: Severity;
  context: Record<string, unknown>;
}

/** One input's matches of one group within one minute. */
export interface MinuteMatches {
  /** Epoch minute. */
  minute: number;
  count: number;
  /** The earliest match (by event time, then row id). */
  head: MatchHead;
  /** The latest event time. */
  last: string;
  /** The earliest matches, at most ROW_IDS, sorted. */
  rows: readonly RowRef[];
}

/** One input's matches of one group: what an InputDetections gives the state store. */
export interface GroupContribution {
  /** The group's storage key: rule id and dedup string (hashed when long). */
  key: string;
  ruleId: string;
  dedup: string;
  threshold: number;
  periodMinutes: number;
  /** Sorted by minute. */
  minutes: readonly MinuteMatches[];
}

export interface WindowState {
  /** Stable within the group (the alert id may change while a window has not fired: see above). */
  wid: number;
  alertId: string;
  /** Epoch minutes; end is exclusive. */
  start: number;
  end: number;
  count: number;
  first: RowRef;
  last: string;
  rows: RowRef[];
  title: string;
  severity: Severity;
  context: Record<string, unknown>;
  fired: boolean;
  /** When it fired (the clock of the apply that fired it), lake text. */
  createdAt?: string;
  /** The input (its tag) whose matches made it fire. */
  firedBy?: string;
  published: boolean;
  /**
   * The attempt publishing it, and until when (wall clock, ms): while the claim lasts no other attempt publishes
   * it; once it has run out (the claimer died), another may. Cleared when it is published.
   */
  claimedBy?: string;
  claimUntil?: number;
  /** The flood summary whose publication delivered it (its input fired more of its rule's alerts than go out alone). */
  summary?: string;
  /** Wall clock (ms) of the last apply that added to it: windows a backfill is filling are kept. */
  touchedAt: number;
}

export interface AppliedInput {
  /** inputTag(input id). */
  id: string;
  /** Wall clock (ms) of the apply. */
  at: number;
  fired: number[];
  touched: number[];
}

/** What a flood summary covers: how many alerts, and a sample of them (the first by alert id). */
export interface SummaryInfo {
  alerts: number;
  alertIds: string[];
  dedups: string[];
}

export interface GroupState {
  v: 1;
  /** A flood summary's item (summaryKey): one window, the summary's own alert; absent for a rule's group. */
  kind?: 'summary';
  summary?: SummaryInfo;
  ruleId: string;
  dedup: string;
  nextWid: number;
  /** Sorted by start. */
  windows: WindowState[];
  /** Oldest first. */
  inputs: AppliedInput[];
}

/**
 * An alert (a window that fired) as the caller writes and publishes it: the alert record's fields that come from
 * the state (the rest come from the rule, or are made when the record is written), with the rule's severity as the
 * rule spells it (the record's is in capitals), and what the state adds: its group, whether it went out, and the
 * flood summary that delivered it (the record's `summaryAlertId`).
 */
export type AlertState = Pick<
  AlertRecord,
  'alertId' | 'ruleId' | 'dedup' | 'windowStart' | 'windowEnd' | 'eventCount' | 'firstEventTime' | 'lastEventTime' | 'rowIds' | 'title' | 'alertContext' | 'createdAt'
> & {
  groupKey: string;
  severity: Severity;
  published: boolean;
  /** The flood summary that delivered it, once that summary is published. */
  summary?: string;
};

export interface GroupApplied {
  state: GroupState;
  /** False when the input was applied before: nothing to write. */
  changed: boolean;
  /**
   * Alerts this input made fire. On a retry, all of them again, each saying whether an earlier attempt published
   * it: which alerts of a flood go out alone is chosen among all of them, the same on every attempt.
   */
  fired: AlertState[];
  /** Alerts that fired before and that this input's matches joined (count and last event time grew). */
  updated: AlertState[];
}

export const ROW_IDS = 10;
/** Windows kept per group at most, the least recently added to dropped first. */
export const MAX_WINDOWS = 32;
/** Input ids kept per group at most (oldest dropped first), and for how long. */
export const MAX_INPUTS = 1000;
export const INPUT_MEMORY_MS = 14 * 24 * 3600 * 1000;
/** A window added to within this long is kept whatever its event time (a backfill is filling it). */
export const IDLE_MS = 24 * 3600 * 1000;
const DAY_MINUTES = 24 * 60;

/** The deterministic alert id: rule, dedup string and window start. */
export function alertIdOf(ruleId: string, dedup: string, start: number): string {
  return createHash('sha256').update(`${ruleId}\u0000${dedup}\u0000${start}`).digest('hex').slice(0, 32);
}

/** A caller's input id (bucket/key/version, ...) as kept in the state: 96 bits, base64url. */
export function inputTag(inputId: string): string {
  return createHash('sha256').update(inputId).digest('base64url').slice(0, 16);
}

const earlier = (a: RowRef, b: RowRef): boolean => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);

/**
 * The stored item under a group's key belongs to another group. Key derivation is injective (engine.ts groupKey,
 * summaryKey), so this is a bug or a foreign item in the table: no retry can fix it, and the message names the rule
 * and a hash of the key, never the dedup strings (log values).
 */
export class GroupKeyCollision extends CflogsError {
  override readonly name = 'GroupKeyCollision';
  override get disposition(): Disposition {
    return Dispositions.deadLetter;
  }
}

function checkOwner(prev: GroupState, key: string, ruleId: string, dedup: string, kind: GroupState['kind']): void {
  if (prev.ruleId !== ruleId || prev.dedup !== dedup || prev.kind !== kind) {
    throw new GroupKeyCollision(`group ${groupLabel(key)} holds ${prev.ruleId}${prev.kind ? ` (${prev.kind})` : ''} and ${ruleId}${kind ? ` (${kind})` : ''}, with other dedup strings: two groups share a key`);
  }
}

/** Applies one input's matches of one group. Pure: `prev` is not modified. */
export function applyToGroup(prev: GroupState | undefined, c: GroupContribution, inputId: string, now: Date): GroupApplied {
  const tag = inputTag(inputId);
  if (prev) checkOwner(prev, c.key, c.ruleId, c.dedup, undefined);
  const done = prev?.inputs.find((i) => i.id === tag);
  if (prev && done) return { state: prev, changed: false, ...replayed(prev, done, c.key) };
  const st: GroupState = prev ? structuredClone(prev) : { v: 1, ruleId: c.ruleId, dedup: c.dedup, nextWid: 1, windows: [], inputs: [] };
  const nowMs = now.getTime();
  const touched = new Set<WindowState>();
  const fired = new Set<WindowState>();
  for (const m of c.minutes) {
    let w = findWindow(st, m.minute, c.periodMinutes);
    if (!w) {
      w = {
        wid: st.nextWid++,
        alertId: alertIdOf(st.ruleId, st.dedup, m.minute),
        start: m.minute,
        end: m.minute + c.periodMinutes,
        count: 0,
        first: [m.head.time, m.head.rowId],
        last: m.last,
        rows: [],
        title: m.head.title,
        severity: m.head.severity,
        context: m.head.context,
        fired: false,
        published: false,
        touchedAt: nowMs,
      };
      // In start order (wid breaks ties; a new window's is the highest): a binary search, not a sort per window.
      let lo = 0;
      let hi = st.windows.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if ((st.windows[mid] as WindowState).start <= w.start) lo = mid + 1;
        else hi = mid;
      }
      st.windows.splice(lo, 0, w);
    }
    join(w, m);
    w.touchedAt = nowMs;
    touched.add(w);
    if (!w.fired && w.count >= c.threshold) {
      w.fired = true;
      w.createdAt = formatDate(now);
      w.firedBy = tag;
      w.published = false;
      fired.add(w);
    }
  }
  st.inputs.push({ id: tag, at: nowMs, fired: [...fired].map((w) => w.wid), touched: [...touched].map((w) => w.wid) });
  prune(st, nowMs);
  return {
    state: st,
    changed: true,
    fired: [...fired].map((w) => alertState(st, w, c.key)),
    updated: [...touched].filter((w) => w.fired && !fired.has(w)).map((w) => alertState(st, w, c.key)),
  };
}

/** What an input applied before gives again: the alerts it made fire (published or not), and the fired windows it joined. */
function replayed(st: GroupState, done: AppliedInput, key: string): { fired: AlertState[]; updated: AlertState[] } {
  const byWid = new Map(st.windows.map((w) => [w.wid, w]));
  const fired = done.fired.flatMap((wid) => byWid.get(wid) ?? []).filter((w) => w.fired);
  const updated = done.touched.flatMap((wid) => byWid.get(wid) ?? []).filter((w) => w.fired && !fired.includes(w));
  return { fired: fired.map((w) => alertState(st, w, key)), updated: updated.map((w) => alertState(st, w, key)) };
}

function findWindow(st: GroupState, minute: number, period: number): WindowState | undefined {
  let best: WindowState | undefined;
  for (const w of st.windows) if (w.start <= minute && minute < w.end && (!best || w.start > best.start)) best = w;
  if (best) return best;
  // Earlier than every window holding it: the nearest later window, if it and this match fit in one period.
  let next: WindowState | undefined;
  for (const w of st.windows) if (minute < w.start && epochMinute(w.last) < minute + period && (!next || w.start < next.start)) next = w;
  if (next && !next.fired) {
    // Nobody has seen this window's alert id yet, so it may start where its first match is.
    next.start = minute;
    next.end = minute + period;
    next.alertId = alertIdOf(st.ruleId, st.dedup, minute);
    st.windows.sort((a, b) => a.start - b.start || a.wid - b.wid);
  }
  return next;
}

function join(w: WindowState, m: MinuteMatches): void {
  w.count += m.count;
  const head: RowRef = [m.head.time, m.head.rowId];
  if (earlier(head, w.first)) {
    w.first = head;
    // The alert shows its first match; once fired, its title and severity stay as published.
    if (!w.fired) {
      w.title = m.head.title;
      w.severity = m.head.severity;
      w.context = m.head.context;
    }
  }
  if (m.last > w.last) w.last = m.last;
  const ids = new Set(w.rows.map((r) => r[1]));
  const rows = [...w.rows, ...m.rows.filter((r) => !ids.has(r[1]))];
  rows.sort((a, b) => (earlier(a, b) ? -1 : earlier(b, a) ? 1 : 0));
  w.rows = rows.slice(0, ROW_IDS).map((r) => [r[0], r[1]] as const);
}

/**
 * Drops what no later input can need: windows whose end is more than two periods and a day behind the newest
 * window's end and that nothing added to for a day (so a backfill's old windows stay while it fills them), then the
 * least recently added-to beyond MAX_WINDOWS; inputs beyond INPUT_MEMORY_MS or MAX_INPUTS.
 */
function prune(st: GroupState, nowMs: number): void {
  const newestEnd = Math.max(...st.windows.map((w) => w.end));
  st.windows = st.windows.filter(
    (w) => unpublished(w) || w.end >= newestEnd - 2 * (w.end - w.start) - DAY_MINUTES || w.touchedAt >= nowMs - IDLE_MS,
  );
  if (st.windows.length > MAX_WINDOWS) {
    const keep = new Set([...st.windows].sort((a, b) => b.touchedAt - a.touchedAt || b.start - a.start).slice(0, MAX_WINDOWS));
    st.windows = st.windows.filter((w) => keep.has(w) || unpublished(w));
  }
  st.inputs = st.inputs.filter((i) => i.at >= nowMs - INPUT_MEMORY_MS).slice(-MAX_INPUTS);
  // Window ids an input record names may be gone; the record still keeps the input from counting twice.
  const wids = new Set(st.windows.map((w) => w.wid));
  for (const i of st.inputs) {
    i.fired = i.fired.filter((wid) => wids.has(wid));
    i.touched = i.touched.filter((wid) => wids.has(wid));
  }
}

/**
 * Marks alerts published (by `summary`, the flood summary that delivered them, when given) and drops their claims;
 * `changed` is false when none of them is in this group unpublished. Pure.
 */
export function markPublishedInGroup(prev: GroupState, alertIds: readonly string[], summary?: string): { state: GroupState; changed: boolean } {
  const ids = new Set(alertIds);
  if (!prev.windows.some((w) => ids.has(w.alertId) && w.fired && !w.published)) return { state: prev, changed: false };
  const st = structuredClone(prev);
  for (const w of st.windows) {
    if (!ids.has(w.alertId) || !w.fired || w.published) continue;
    w.published = true;
    delete w.claimedBy;
    delete w.claimUntil;
    if (summary !== undefined) w.summary = summary;
  }
  return { state: st, changed: true };
}

/**
 * Whether an attempt may publish an alert: `claimed` (it now holds the claim: publish, then mark it published),
 * `delivered` (published already, or no longer held: nothing to do), or `held` by another attempt until `until`.
 */
export type ClaimOutcome = { status: 'claimed' } | { status: 'delivered' } | { status: 'held'; until: number };

/**
 * Claims alerts for `owner` until `nowMs + leaseMs`: each unpublished alert nobody holds, or whose claim has run out,
 * or that `owner` holds already. Pure: the caller writes the state (conditioned on the version it read), so two
 * attempts never both hold one alert.
 */
export function claimInGroup(
  prev: GroupState,
  alertIds: readonly string[],
  owner: string,
  nowMs: number,
  leaseMs: number,
): { state: GroupState; changed: boolean; outcomes: Map<string, ClaimOutcome> } {
  const st = structuredClone(prev);
  const outcomes = new Map<string, ClaimOutcome>();
  let changed = false;
  for (const id of alertIds) {
    const w = st.windows.find((x) => x.alertId === id && x.fired);
    if (!w || w.published) {
      outcomes.set(id, { status: 'delivered' });
    } else if (w.claimedBy !== undefined && w.claimedBy !== owner && (w.claimUntil ?? 0) > nowMs) {
      outcomes.set(id, { status: 'held', until: w.claimUntil ?? 0 });
    } else {
      w.claimedBy = owner;
      w.claimUntil = nowMs + leaseMs;
      changed = true;
      outcomes.set(id, { status: 'claimed' });
    }
  }
  return { state: changed ? st : prev, changed, outcomes };
}

/** Drops `owner`'s claims on alerts it could not publish, so the next attempt need not wait for the lease. Pure. */
export function releaseInGroup(prev: GroupState, alertIds: readonly string[], owner: string): { state: GroupState; changed: boolean } {
  const ids = new Set(alertIds);
  if (!prev.windows.some((w) => ids.has(w.alertId) && w.claimedBy === owner && !w.published)) return { state: prev, changed: false };
  const st = structuredClone(prev);
  for (const w of st.windows) {
    if (ids.has(w.alertId) && w.claimedBy === owner && !w.published) {
      delete w.claimedBy;
      delete w.claimUntil;
    }
  }
  return { state: st, changed: true };
}

/**
 * The key of a flood summary: one per rule and input. `sha256:` starts it, a prefix groupKey never leaves to a
 * dedup string (engine.ts), and `summary:` follows, where groupKey's hashes have hex: no group's key is a summary's.
 */
export function summaryKey(ruleId: string, inputId: string): string {
  return `${ruleId}#sha256:summary:${inputTag(inputId)}`;
}

/** A flood summary's alert id: deterministic (rule and input), so every attempt at the input publishes the same one. */
export function summaryAlertId(ruleId: string, inputId: string): string {
  return createHash('sha256').update(`summary\u0000${ruleId}\u0000${inputTag(inputId)}`).digest('hex').slice(0, 32);
}

/** What the summarised alerts of one rule and input add up to: the summary's window, counts, times and severity. */
export interface SummaryDraft {
  ruleId: string;
  inputId: string;
  title: string;
  alerts: number;
  events: number;
  /** Epoch minutes: the earliest window start and the latest window end. */
  start: number;
  end: number;
  first: RowRef;
  last: string;
  severity: Severity;
  /** The first summarised alerts by alert id (their ids, dedup strings and first row ids). */
  sample: readonly Pick<AlertState, 'alertId' | 'dedup' | 'rowIds' | 'firstEventTime'>[];
}

/** The state item of a flood summary: one fired, unpublished window standing for the summary's own alert. Pure. */
export function summaryState(d: SummaryDraft, now: Date): GroupState {
  const alertIds = d.sample.map((a) => a.alertId);
  const w: WindowState = {
    wid: 1,
    alertId: summaryAlertId(d.ruleId, d.inputId),
    start: d.start,
    end: d.end,
    count: d.events,
    first: d.first,
    last: d.last,
    rows: d.sample.flatMap((a) => a.rowIds.slice(0, 1).map((id): RowRef => [a.firstEventTime, id])).slice(0, ROW_IDS),
    title: d.title,
    severity: d.severity,
    context: { summarisedAlerts: d.alerts },
    fired: true,
    createdAt: formatDate(now),
    firedBy: inputTag(d.inputId),
    published: false,
    touchedAt: now.getTime(),
  };
  return {
    v: 1,
    kind: 'summary',
    summary: { alerts: d.alerts, alertIds, dedups: d.sample.map((a) => a.dedup) },
    ruleId: d.ruleId,
    dedup: '',
    nextWid: 2,
    windows: [w],
    inputs: [{ id: inputTag(d.inputId), at: now.getTime(), fired: [1], touched: [1] }],
  };
}

/** The higher of two severities. */
export function maxSeverity(a: Severity, b: Severity): Severity {
  return SEVERITIES.indexOf(a) >= SEVERITIES.indexOf(b) ? a : b;
}

/** Checks that a stored item is the flood summary it is read as (see checkOwner). */
export function checkSummary(prev: GroupState, key: string, ruleId: string): void {
  checkOwner(prev, key, ruleId, '', 'summary');
}

/** The alerts (fired windows) of a group: for the CLI and tests. */
export function alertsOf(st: GroupState, key: string): AlertState[] {
  return st.windows.filter((w) => w.fired).map((w) => alertState(st, w, key));
}

export function alertState(st: GroupState, w: WindowState, key: string): AlertState {
  return {
    groupKey: key,
    alertId: w.alertId,
    ruleId: st.ruleId,
    dedup: st.dedup,
    windowStart: minuteText(w.start),
    windowEnd: minuteText(w.end),
    eventCount: w.count,
    firstEventTime: w.first[0],
    lastEventTime: w.last,
    rowIds: w.rows.map((r) => r[1]),
    title: w.title,
    severity: w.severity,
    alertContext: w.context,
    createdAt: w.createdAt ?? '',
    published: w.published,
    ...(w.summary !== undefined ? { summary: w.summary } : {}),
  };
}

/**
 * When the stored group may be deleted (DynamoDB TTL, epoch seconds): three periods after its newest window's end,
 * and never before the input ids' memory runs out, so a late redelivery still finds the input it applied.
 */
export function expiresAt(st: GroupState, now: Date): number {
  const windowsEnd = Math.max(0, ...st.windows.map((w) => (w.end + 2 * (w.end - w.start)) * 60));
  return Math.ceil(Math.max(windowsEnd, (now.getTime() + INPUT_MEMORY_MS) / 1000));
}

/** DynamoDB items hold 400 KB; the state is kept well below (a context or a title is capped where it is made). */
export const MAX_STATE_BYTES = 300 * 1024;

/** A window that fired and whose alert has not gone out: kept until it has, whatever else is pruned. */
function unpublished(w: WindowState): boolean {
  return w.fired && !w.published;
}

/**
 * The state as stored: JSON, shrunk (least recently added-to windows, oldest inputs first) until it fits, never
 * dropping a fired alert not yet published. Throws when even that does not fit.
 */
export function serializeState(st: GroupState): string {
  let json = JSON.stringify(st);
  if (Buffer.byteLength(json) <= MAX_STATE_BYTES) return json;
  const s = structuredClone(st);
  for (;;) {
    const droppable = s.windows.filter((w) => !unpublished(w));
    if (Buffer.byteLength(json) <= MAX_STATE_BYTES || (droppable.length === 0 && s.inputs.length <= 1)) break;
    if (s.inputs.length > 1) s.inputs.splice(0, Math.ceil(s.inputs.length / 4));
    if (droppable.length > 0) {
      const drop = droppable.sort((a, b) => a.touchedAt - b.touchedAt || a.start - b.start)[0] as WindowState;
      s.windows = s.windows.filter((w) => w !== drop);
    }
    json = JSON.stringify(s);
  }
  if (Buffer.byteLength(json) > MAX_STATE_BYTES) {
    throw new Error(`detection state of ${s.ruleId} is ${Buffer.byteLength(json)} bytes with only unpublished alerts left, over ${MAX_STATE_BYTES}`);
  }
  return json;
}

export function parseState(json: string): GroupState {
  const st = JSON.parse(json) as GroupState;
  if (st?.v !== 1 || !Array.isArray(st.windows) || !Array.isArray(st.inputs)) throw new Error('not a detection group state (v1)');
  return st;
}

/**
 * A group key as errors name it: the rule id and a hash of the rest. The dedup string is a log value (a client IP,
 * an e-mail address), and errors are logged.
 */
export function groupLabel(key: string): string {
  const cut = key.indexOf('#');
  const rule = cut < 0 ? '' : key.slice(0, cut);
  return `${rule}#${createHash('sha256').update(key).digest('hex').slice(0, 12)}`;
}
