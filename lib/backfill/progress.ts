import type { Writable } from 'node:stream';
import type { BackfillProgress } from './backfill';

/**
 * The backfill's progress on stderr. On a terminal: one line redrawn in place (at most every 100 ms) with a bar
 * whose total is "listed so far" until the listing ends, then exact. Elsewhere (CI, a log file): a plain line
 * every `intervalMs`, so logs stay readable.
 */
export class ProgressLine {
  private lastDraw = -Infinity;
  private drawn = false;
  private readonly started: number;

  constructor(
    private readonly out: Writable & { isTTY?: boolean; columns?: number },
    private readonly opts: { label: string; dryRun: boolean; intervalMs?: number; clock?: () => number },
  ) {
    this.started = this.now();
  }

  update(p: BackfillProgress): void {
    const now = this.now();
    const every = this.out.isTTY ? 100 : (this.opts.intervalMs ?? 10_000);
    if (now - this.lastDraw < every) return;
    this.lastDraw = now;
    this.draw(p, now);
  }

  /** The last state, always shown; ends the redrawn line. */
  finish(p: BackfillProgress): void {
    this.draw(p, this.now());
    if (this.out.isTTY && this.drawn) this.out.write('\n');
  }

  private draw(p: BackfillProgress, now: number): void {
    const line = formatProgress(p, { ...this.opts, elapsedMs: now - this.started, barWidth: this.out.isTTY ? 24 : 0 });
    if (this.out.isTTY) {
      const width = Math.max(20, (this.out.columns ?? 120) - 1);
      this.out.write(`\r\x1b[2K${line.slice(0, width)}`);
    } else {
      this.out.write(`${line}\n`);
    }
    this.drawn = true;
  }

  private now(): number {
    return (this.opts.clock ?? Date.now)();
  }
}

export function formatProgress(
  p: BackfillProgress,
  o: { label: string; dryRun: boolean; elapsedMs: number; barWidth: number },
): string {
  const toQueue = p.listed - p.skipped;
  const handled = p.queued + p.failed;
  const rate = o.elapsedMs > 0 ? Math.round((handled * 1000) / o.elapsedMs) : 0;
  const bar = o.barWidth > 0 ? `${renderBar(toQueue === 0 ? (p.listingDone ? 1 : 0) : handled / toQueue, o.barWidth)} ` : '';
  const verb = o.dryRun ? 'would queue' : 'queued';
  return (
    `${o.label} ${bar}${verb} ${handled === p.queued ? fmt(p.queued) : `${fmt(p.queued)} (+${fmt(p.failed)} failed)`}` +
    `/${fmt(toQueue)}${p.listingDone ? '' : '+'}, skipped ${fmt(p.skipped)}, listed ${fmt(p.listed)}` +
    `${p.listingDone ? '' : ' (listing)'}, ${fmt(rate)}/s`
  );
}

function renderBar(fraction: number, width: number): string {
  const full = Math.max(0, Math.min(width, Math.floor(fraction * width)));
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}]`;
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}
