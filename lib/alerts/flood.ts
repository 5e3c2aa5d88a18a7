import type { Severity } from '../rules/model';
import { epochMinute } from '../record/timestamps';
import { AlertState, maxSeverity, RowRef, SummaryDraft } from '../rules/windows';

/**
 * Choosing, per rule and input, which fired alerts are sent alone and which one summary stands for, in bounded
 * memory and the same way on every attempt: alerts arrive in any order (the state store's groups run concurrently),
 * and the choice is by alert id alone (the first `alone` ids go out on their own), so a retry, which sees the same
 * alerts, chooses the same ones. Pure: no clock, no I/O.
 */

/**
 * One rule's fired alerts of one input, streamed in: the `keep` with the lowest alert ids are held whole (those
 * sent alone, then the summary's sample); every other alert is handed back at once, certainly summarised.
 */
export class RuleFlood {
  /** Ascending by alert id, at most `keep`. */
  private readonly kept: AlertState[] = [];
  /** What the summarised alerts add up to: those handed back, then the sample's at `split`. */
  readonly tally = new SummaryTally();
  total = 0;

  constructor(
    readonly ruleId: string,
    private readonly keep: number,
  ) {}

  /** Takes an alert; returns one now known to be past the first `keep` (summarised, and not in the sample), if any. */
  offer(a: AlertState): AlertState | undefined {
    this.total++;
    const kept = this.kept;
    const last = kept[kept.length - 1];
    if (kept.length >= this.keep && last && a.alertId > last.alertId) return this.summarised(a);
    let lo = 0;
    let hi = kept.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((kept[mid] as AlertState).alertId < a.alertId) lo = mid + 1;
      else hi = mid;
    }
    kept.splice(lo, 0, a);
    return kept.length > this.keep ? this.summarised(kept.pop() as AlertState) : undefined;
  }

  /** Once every alert is in: the first `alone` by alert id, and the rest held (the summary's sample, counted in). */
  split(alone: number): { alone: AlertState[]; sample: AlertState[] } {
    const sample = this.kept.slice(alone);
    for (const a of sample) this.tally.add(a);
    return { alone: this.kept.slice(0, alone), sample };
  }

  private summarised(a: AlertState): AlertState {
    this.tally.add(a);
    return a;
  }
}

/** Counts, span and highest severity of the alerts a summary stands for. */
export class SummaryTally {
  alerts = 0;
  events = 0;
  start = Infinity;
  end = -Infinity;
  first: RowRef | undefined;
  last = '';
  severity: Severity = 'Info';

  add(a: AlertState): void {
    this.alerts++;
    this.events += a.eventCount;
    this.start = Math.min(this.start, epochMinute(a.windowStart));
    this.end = Math.max(this.end, epochMinute(a.windowEnd));
    const first: RowRef = [a.firstEventTime, a.rowIds[0] ?? ''];
    if (!this.first || first[0] < this.first[0] || (first[0] === this.first[0] && first[1] < this.first[1])) this.first = first;
    if (a.lastEventTime > this.last) this.last = a.lastEventTime;
    this.severity = maxSeverity(this.severity, a.severity);
  }

  /** The summary's draft; `sample` are the first summarised alerts by id. */
  draft(o: { ruleId: string; inputId: string; title: string; sample: readonly AlertState[] }): SummaryDraft {
    return {
      ...o,
      alerts: this.alerts,
      events: this.events,
      start: this.start,
      end: this.end,
      first: this.first ?? ['', ''],
      last: this.last,
      severity: this.severity,
    };
  }
}
