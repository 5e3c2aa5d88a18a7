/**
 * A deterministic generator of realistic Cloudflare Logpush data, for the benchmark and for tests.
 *
 * Output is NDJSON exactly as Logpush writes it: compact JSON, every selected field present on every line, keys in
 * the order Cloudflare emits them (http_requests: RayID and EdgeStartTimestamp first, then the rest in byte order;
 * the other datasets in byte order), timestamps in the job's `timestamp_format`. All values are invented here;
 * host names use the reserved example.com/.net/.org domains.
 *
 * Values are drawn from a seeded PRNG (mulberry32) with pools shaped like real traffic (a few thousand clients with
 * Zipf-like popularity, a few zones, paths with ids from product pools, a fixed set of user agents), so that gzip
 * compresses the output about as well as it compresses real Logpush objects. Lines are built by string
 * concatenation, which keeps 19-digit `unixnano` integers exact and keeps generation fast (about a million
 * http_requests lines in a few seconds).
 *
 * Layout: core.ts (PRNG, clock, timestamp formats, the DatasetGenerator shape), net.ts (places, addresses, user
 * agents, clients), sites.ts (the invented web sites and requests to them), one hand-tuned file per seed dataset
 * (http_requests, firewall_events, spectrum_events, audit_logs) exporting its DatasetGenerator, and
 * schema-driven.ts, which generates every other dataset from its schema (every field of the log type, values by
 * type and name). A new log type's dataset goes in SCHEMA_DRIVEN_DATASETS there (test/unit/generate.test.ts checks
 * that every built-in dataset is generated); a hand-tuned file, when one is worth writing, replaces it there and
 * joins SEED_GENERATORS below.
 */
import { builtInRegistry } from '../../lib/record/registry';
import { Clock, DatasetGenerator, fnv1a, Rng, TIMESTAMP_FORMATS, TimestampFormat } from './core';
import { auditLogs } from './audit-logs';
import { firewallEvents } from './firewall-events';
import { httpRequests } from './http-requests';
import { SCHEMA_DRIVEN_DATASETS, schemaDriven, SchemaDrivenDataset } from './schema-driven';
import { spectrumEvents } from './spectrum-events';

export { TIMESTAMP_FORMATS };
export type { TimestampFormat };

/** The hand-tuned generators, whose output stays byte for byte what it was (the benchmark's corpora). */
const SEED_GENERATORS = [httpRequests, firewallEvents, spectrumEvents, auditLogs] as const;

/** Every built-in log type's Logpush dataset. */
export type Dataset = (typeof SEED_GENERATORS)[number]['dataset'] | SchemaDrivenDataset;

/** Every dataset the generator knows, in the order DATASETS lists them: the seed four, then the rest by name. */
const GENERATORS: readonly DatasetGenerator<Dataset>[] = [...SEED_GENERATORS, ...SCHEMA_DRIVEN_DATASETS.map((d) => schemaDriven(d))];
export interface GenerateOptions {
  dataset: Dataset;
  lines: number;
  seed?: number; // default 1; same options => byte-identical output
  timestampFormat?: TimestampFormat; // default 'unixnano'
  start?: Date; // first event time, default 2026-11-01T10:00:00Z
  spanSeconds?: number; // events spread over [start, start+span), in order with jitter, default 30
}

export const DEFAULT_START = new Date(Date.UTC(2026, 10, 1, 10, 0, 0));
export const DEFAULT_SPAN_SECONDS = 30;
export const DATASETS: readonly Dataset[] = GENERATORS.map((g) => g.dataset);

const BY_DATASET = new Map<string, DatasetGenerator<Dataset>>(GENERATORS.map((g) => [g.dataset, g]));

function byDataset<T>(f: (g: DatasetGenerator<Dataset>) => T): Readonly<Record<Dataset, T>> {
  return Object.fromEntries(GENERATORS.map((g) => [g.dataset, f(g)])) as Record<Dataset, T>;
}

/** The keys each dataset's lines carry, in output order. */
export const FIELDS: Readonly<Record<Dataset, readonly string[]>> = byDataset((g) => g.fields);

/**
 * The event-time field of each dataset (the one spread over [start, start+span)), as its schema declares it
 * (`isEventTime`), so the generator and the pipeline cannot disagree about it.
 */
export const EVENT_TIME_FIELD: Readonly<Record<Dataset, string>> = byDataset((g) => {
  const field = builtInRegistry().forDataset(g.dataset)?.schema.eventTimeField;
  if (field === undefined) throw new Error(`testkit/generate: no schema has dataset ${g.dataset} (schemas/cloudflare/)`);
  if (!g.fields.includes(field)) throw new Error(`testkit/generate: ${g.dataset} lines do not carry its event-time field ${field}`);
  return field;
});

function resolve(opts: GenerateOptions): Required<GenerateOptions> {
  if (!DATASETS.includes(opts.dataset)) throw new RangeError(`unknown dataset: ${String(opts.dataset)}`);
  const timestampFormat = opts.timestampFormat ?? 'unixnano';
  if (!TIMESTAMP_FORMATS.includes(timestampFormat)) throw new RangeError(`unknown timestamp format: ${String(timestampFormat)}`);
  if (!Number.isInteger(opts.lines) || opts.lines < 0) throw new RangeError('lines must be a non-negative integer');
  return {
    dataset: opts.dataset,
    lines: opts.lines,
    seed: opts.seed ?? 1,
    timestampFormat,
    start: opts.start ?? DEFAULT_START,
    spanSeconds: opts.spanSeconds ?? DEFAULT_SPAN_SECONDS,
  };
}

/** Yields NDJSON lines (without the trailing newline), exactly as Cloudflare Logpush writes them: compact JSON, keys in Cloudflare's order. */
export function* generateLines(opts: GenerateOptions): Generator<string> {
  const o = resolve(opts);
  const clock = new Clock(o.start, o.spanSeconds);
  // Mix the seed with the dataset so the datasets of one seed are independent streams.
  const rng = new Rng(fnv1a(o.dataset + ':' + String(o.seed)) ^ Math.imul(Math.floor(o.seed) | 0, 0x9e3779b1));
  yield* BY_DATASET.get(o.dataset)!.lines(o, rng, clock);
}

/**
 * Whole object body as a Buffer of `line\n` lines. Lines are encoded into one buffer sized up front as they are
 * generated (holding hundreds of thousands of line strings, or concatenating chunks, costs far more than the bytes).
 */
export function generateNdjson(opts: GenerateOptions): Buffer {
  const o = resolve(opts);
  let buf = Buffer.allocUnsafe(Math.max(4096, o.lines * BY_DATASET.get(o.dataset)!.lineBytesEstimate));
  let pos = 0;
  for (const line of generateLines(o)) {
    const need = line.length * 3 + 1; // UTF-8 worst case per UTF-16 unit, plus the newline
    if (pos + need > buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(buf.length * 2, pos + need));
      buf.copy(bigger, 0, 0, pos);
      buf = bigger;
    }
    pos += buf.write(line, pos, 'utf8');
    buf[pos++] = 10;
  }
  return buf.subarray(0, pos);
}

/**
 * The lines of `generateLines` over `hours` whole hours from `opts.start`, but in the worst order for a writer
 * that files rows by event hour: line i falls in hour i % hours (each hour's own lines stay in time order). Logpush
 * batches are time-ordered; this is what a hostile or re-sorted object looks like.
 */
export function* generateInterleaved(opts: GenerateOptions, hours: number): Generator<string> {
  if (!Number.isInteger(hours) || hours < 1) throw new RangeError('hours must be a positive integer');
  const o = resolve(opts);
  const streams = Array.from({ length: hours }, (_, h) =>
    generateLines({
      ...o,
      lines: Math.floor(o.lines / hours) + (h < o.lines % hours ? 1 : 0),
      start: new Date(o.start.getTime() + h * 3_600_000),
      spanSeconds: 3600,
      seed: o.seed + h,
    }),
  );
  for (let i = 0; i < o.lines; i++) {
    const r = (streams[i % hours] as Generator<string>).next();
    if (!r.done) yield r.value;
  }
}

/** Logpush-style object key: `<prefix>/<dataset>/20261101/20261101T100000Z_20261101T100030Z_<8 hex>.log.gz` */
export function logpushKey(prefix: string, opts: GenerateOptions): string {
  const o = resolve(opts);
  const startMs = o.start.getTime();
  const endMs = startMs + Math.round(o.spanSeconds * 1000);
  const stamp = (ms: number): string => new Date(ms).toISOString().slice(0, 19).replace(/[-:]/g, '') + 'Z';
  const first = stamp(startMs);
  const id = fnv1a([o.dataset, o.seed, o.lines, o.timestampFormat, startMs, o.spanSeconds].join('|')).toString(16).padStart(8, '0');
  const p = prefix.replace(/\/+$/, '');
  return (p === '' ? '' : p + '/') + o.dataset + '/' + first.slice(0, 8) + '/' + first + '_' + stamp(endMs) + '_' + id + '.log.gz';
}
