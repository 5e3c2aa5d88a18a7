/**
 * What every dataset generator shares: the seeded PRNG, weighted choices, the event clock and the timestamp
 * formatter, small string helpers, and the shape of a dataset generator (`DatasetGenerator`, one per file here).
 */

export type TimestampFormat = 'unixnano' | 'unix' | 'rfc3339' | 'rfc3339ms' | 'rfc3339ns';
export const TIMESTAMP_FORMATS: readonly TimestampFormat[] = ['unixnano', 'unix', 'rfc3339', 'rfc3339ms', 'rfc3339ns'];

// ---------------------------------------------------------------------------------------------------------------
// PRNG and small helpers

/** mulberry32: a tiny, fast, well-mixed 32-bit PRNG. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  u32(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** Uniform in [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }
  /** Uniform integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.float() < p;
  }
  pick<T>(arr: readonly T[]): T {
    return arr[Math.floor(this.float() * arr.length)] as T;
  }
  /** Index skewed towards 0 (Zipf-like popularity): P(index 0) is about n^(-1/3). */
  zipf(n: number): number {
    const u = this.float();
    return Math.floor(n * u * u * u);
  }
  /** Index with a milder skew (catalogue items, pages): P(index < k) = sqrt(k / n). */
  popular(n: number): number {
    const u = this.float();
    return Math.floor(n * u * u);
  }
  /** `n` lower-case hex digits (n <= 128). */
  hex(n: number): string {
    const bytes = (n + 1) >> 1;
    for (let i = 0; i < bytes; i += 4) SCRATCH.writeUInt32LE(this.u32(), i);
    const s = SCRATCH.toString('hex', 0, bytes);
    return (n & 1) === 0 ? s : s.slice(0, n);
  }
  /** URL-safe random token (click ids and the like), n <= 128. */
  token(n: number): string {
    for (let i = 0; i < n; i++) SCRATCH[i] = TOKEN.charCodeAt(this.u32() & 63);
    return SCRATCH.toString('latin1', 0, n);
  }
  /** Upper-case letters and digits, n <= 128. */
  alnum(n: number): string {
    for (let i = 0; i < n; i++) SCRATCH[i] = ALNUM.charCodeAt(this.u32() % ALNUM.length);
    return SCRATCH.toString('latin1', 0, n);
  }
  uuid(): string {
    const h = this.hex(32);
    return (
      h.slice(0, 8) + '-' + h.slice(8, 12) + '-4' + h.slice(13, 16) + '-' + '89ab'[this.u32() & 3]! + h.slice(17, 20) +
      '-' + h.slice(20, 32)
    );
  }
}

/** Scratch space for building random strings in one allocation. */
const SCRATCH = Buffer.alloc(132);
export const HEX2: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const TOKEN = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** A weighted choice among a few items; linear scan is fastest at these sizes. */
export class Weighted<T> {
  private readonly items: T[] = [];
  private readonly cum: number[] = [];
  private total = 0;
  constructor(pairs: ReadonlyArray<readonly [T, number]>) {
    for (const [item, w] of pairs) {
      this.total += w;
      this.items.push(item);
      this.cum.push(this.total);
    }
  }
  pick(rng: Rng): T {
    const x = rng.float() * this.total;
    const cum = this.cum;
    for (let i = 0; i < cum.length; i++) if (x < cum[i]!) return this.items[i]!;
    return this.items[this.items.length - 1]!;
  }
}

/** JSON string literal for text that needs no escaping (checked), the fast path for pooled values. */
export function q(s: string): string {
  return '"' + s + '"';
}
/** Asserts a pooled string is safe to wrap in quotes unescaped, and returns it. */
export function safe(s: string): string {
  if (JSON.stringify(s) !== '"' + s + '"') throw new Error(`generator pool value needs escaping: ${s}`);
  return s;
}

export function pad9(n: number): string {
  return String(n + 1e9).slice(1);
}
export function pad3(n: number): string {
  return String(n + 1000).slice(1);
}
export function jsonStrArray(a: readonly string[]): string {
  return a.length === 0 ? '[]' : JSON.stringify(a);
}

/** FNV-1a, 32 bits. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

// ---------------------------------------------------------------------------------------------------------------
// Time

/** Formats an instant (whole seconds + nanoseconds) as the JSON text Logpush writes for the job's format. */
export class TimeFormatter {
  private lastSec = NaN;
  private lastPrefix = '';
  constructor(private readonly format: TimestampFormat) {}

  json(sec: number, ns: number): string {
    switch (this.format) {
      case 'unixnano':
        return sec === 0 ? String(ns) : String(sec) + pad9(ns);
      case 'unix':
        return String(sec);
      case 'rfc3339':
        return '"' + this.prefix(sec) + 'Z"';
      case 'rfc3339ms':
        return '"' + this.prefix(sec) + '.' + pad3(Math.floor(ns / 1e6)) + 'Z"';
      case 'rfc3339ns':
        return '"' + this.prefix(sec) + '.' + pad9(ns) + 'Z"';
    }
  }

  /** `YYYY-MM-DDTHH:MM:SS`, cached for the last second seen (lines are nearly in time order). */
  private prefix(sec: number): string {
    if (sec !== this.lastSec) {
      this.lastSec = sec;
      this.lastPrefix = new Date(sec * 1000).toISOString().slice(0, 19);
    }
    return this.lastPrefix;
  }
}

/**
 * Event clock: offsets in nanoseconds from `start`, kept below 2^53 (spans up to about 100 days), turned into exact
 * (seconds, nanoseconds) pairs without ever forming a 19-digit number as a double.
 */
export class Clock {
  readonly startSec: number;
  readonly startFracNs: number;
  readonly spanNs: number;
  constructor(start: Date, spanSeconds: number) {
    const ms = start.getTime();
    if (!Number.isFinite(ms) || ms < 1000) throw new RangeError('start must be a valid date after 1970-01-01T00:00:01Z');
    if (!(spanSeconds > 0) || spanSeconds > 8e6) throw new RangeError('spanSeconds must be in (0, 8e6]');
    this.startSec = Math.floor(ms / 1000);
    this.startFracNs = (ms - this.startSec * 1000) * 1e6;
    this.spanNs = Math.max(1, Math.round(spanSeconds * 1e9));
  }
  sec(offNs: number): number {
    return this.startSec + Math.floor((this.startFracNs + offNs) / 1e9);
  }
  ns(offNs: number): number {
    return (this.startFracNs + offNs) % 1e9;
  }
  /** Nudges an offset so its nanosecond digits end in a non-zero digit, staying below `limitNs` (the span end). */
  nonRound(offNs: number, limitNs: number = this.spanNs): number {
    if ((this.startFracNs + offNs) % 10 !== 0) return offNs;
    if (offNs + 1 < limitNs) return offNs + 1;
    return offNs > 0 ? offNs - 1 : offNs;
  }
}

/** The event-time offset of line i of n: in order, with a sub-step random position and a backwards jitter. */
export function eventOffset(rng: Rng, clock: Clock, i: number, n: number, maxJitterNs: number): number {
  const base = Math.floor(((i + rng.float()) * clock.spanNs) / n);
  const u = rng.float();
  const jitter = Math.floor(u * u * u * u * Math.min(maxJitterNs, clock.spanNs / 10));
  return clock.nonRound(base >= jitter ? base - jitter : base);
}

// ---------------------------------------------------------------------------------------------------------------
// Dataset generators

/** What a dataset's generator is given besides its PRNG and clock (the options of generateLines, resolved). */
export interface LineOptions {
  lines: number;
  timestampFormat: TimestampFormat;
}

/**
 * One dataset's generator: its lines and what the public API needs to know about them. The event-time field is not
 * here: the dataset's schema owns it (index.ts reads it from the registry).
 */
export interface DatasetGenerator<D extends string = string> {
  /** The Logpush dataset name, as in the job and the schema (`dataset:` in schemas/cloudflare/*.yml). */
  dataset: D;
  /** The keys every line carries, in output order (Cloudflare's order). */
  fields: readonly string[];
  /** Average line length, a little generous: sizes the buffer of generateNdjson up front. */
  lineBytesEstimate: number;
  /** Yields `opts.lines` lines (without the trailing newline), event times spread over the clock's span in order. */
  lines(opts: LineOptions, rng: Rng, clock: Clock): Generator<string>;
}

/** Declares a dataset generator, keeping its `dataset` a literal type (index.ts derives the Dataset union from it). */
export function defineDataset<D extends string>(g: DatasetGenerator<D>): DatasetGenerator<D> {
  return g;
}
