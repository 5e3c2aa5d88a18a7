import { gzipSync } from 'node:zlib';
import { compileFilters } from '../../lib/filter/filters';
import { DEFAULT_LIMITS, processStream, ProcessDeps, ProcessSummary } from '../../lib/pipeline/process';
import { LinesToScan, ScanAhead, scanThreadCode, ScanThread } from '../../lib/pipeline/scan-ahead';
import { builtInRegistry, LogTypeEntry } from '../../lib/record/registry';
import type { ScannedBatch } from '../../lib/record/scan-batch';
import { mutate } from '../../testkit/differential';
import { DATASETS, generateLines } from '../../testkit/generate';
import { Rng } from '../../testkit/generate/core';
import { MemorySink } from '../../testkit/memory-sink';

/**
 * The second core (lib/pipeline/scan-ahead.ts): with the scanner running in a worker thread, an input gives the
 * same rows, rejects and counts, in the same order, as on one thread: on every dataset's lines, on fuzzed lines
 * with blanks, byte order marks, bytes that are not UTF-8 and lines too long, with filters, under the sink's
 * back-pressure, and when the thread fails midway.
 */
const registry = builtInRegistry();
let thread: ScanThread;

/** The thread, counting what it sends back. */
class Counted implements ScanAhead {
  batches = 0;
  taken = 0;
  constructor(private readonly inner: ScanAhead) {}
  takes(entry: LogTypeEntry): boolean {
    return this.inner.takes(entry);
  }
  async scan(lines: LinesToScan): Promise<ScannedBatch | undefined> {
    const b = await this.inner.scan(lines);
    this.batches++;
    if (b) for (const t of b.taken) this.taken += t;
    return b;
  }
}

beforeAll(() => {
  thread = new ScanThread(scanThreadCode()!);
});
afterAll(() => thread.close());

async function* chunked(buf: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

interface Outcome {
  rows: string[];
  rejects: string[];
  summary: Omit<ProcessSummary, 'durationMs'>;
}

async function run(entry: LogTypeEntry, body: Buffer, extra: Partial<ProcessDeps> = {}, filters?: unknown): Promise<Outcome> {
  const sink = new MemorySink(extra.sink ? {} : { pressure: () => undefined });
  const summary = await processStream(
    chunked(gzipSync(body), 7000),
    {
      source: 's3://b/k',
      identity: 'b/k/etag',
      entry,
      location: { bucket: 'b', key: 'k' },
      ...(filters ? { filters: compileFilters(filters) } : {}),
    },
    { sink, now: new Date('2026-12-07T00:00:00Z'), limits: { ...DEFAULT_LIMITS, maxLineBytes: 3000 }, ...extra },
  );
  const { durationMs: _d, ...rest } = summary;
  return { rows: sink.rows.map((r) => `${r.eventTime} ${r.json}`), rejects: sink.rejects.map((r) => r.json), summary: rest };
}

/** Generated lines with fuzzed ones, blanks, a BOM, a line of Latin-1 bytes and lines over the limit among them. */
function input(dataset: (typeof DATASETS)[number], lines: number, seed: number): Buffer {
  const rng = new Rng(seed);
  const entry = registry.forDataset(dataset)!;
  const names = entry.plan.fields.map((f) => f.name);
  const parts: Buffer[] = [Buffer.from('\ufeff')];
  let i = 0;
  for (const line of generateLines({ dataset, lines, seed })) {
    const text = rng.chance(0.2) ? mutate(rng, line, names) : line;
    parts.push(Buffer.from(text));
    if (i % 97 === 5) parts.push(Buffer.from('\n  '));
    if (i % 211 === 7) parts.push(Buffer.from('\n{"x":"\xe9t\xe9"}', 'latin1'));
    if (i % 307 === 11) parts.push(Buffer.from('\n' + JSON.stringify({ long: 'y'.repeat(4000) })));
    parts.push(Buffer.from('\n'));
    i++;
  }
  return Buffer.concat(parts);
}

describe('scanning on a second thread', () => {
  it.each(DATASETS)('%s: the same rows, rejects and counts as one thread', async (dataset) => {
    const entry = registry.forDataset(dataset)!;
    const body = input(dataset, 400, 3);
    const ahead = new Counted(thread);
    const one = await run(entry, body);
    const two = await run(entry, body, { scanAhead: ahead });
    expect(two.summary).toEqual(one.summary);
    expect(two.rejects).toEqual(one.rejects);
    expect(two.rows).toEqual(one.rows);
    expect(one.rejects.length).toBeGreaterThan(0);
    // The thread took most lines: the main thread only wrote them.
    expect(ahead.taken).toBeGreaterThan(one.summary.rows / 2);
  });

  test('filters, raw and on columns, count the same lines', async () => {
    const entry = registry.forDataset('http_requests')!;
    const body = input('http_requests', 1500, 8);
    const filters = [
      { name: 'hits', exclude: { raw: { contains: '"CacheCacheStatus":"hit"' } } },
      { name: 'gets', exclude: { field: 'ClientRequestMethod', equals: 'GET' } },
    ];
    const one = await run(entry, body, {}, filters);
    const two = await run(entry, body, { scanAhead: thread }, filters);
    expect(two).toEqual(one);
    expect(one.summary.filteredBy).toMatchObject({ hits: expect.any(Number), gets: expect.any(Number) });
  });

  test('back-pressure from the sink is waited for line by line, and the rows stay in order', async () => {
    const entry = registry.forDataset('firewall_events')!;
    const body = input('firewall_events', 1200, 4);
    let waits = 0;
    const slow = new MemorySink({ pressure: () => (++waits % 50 === 0 ? new Promise((r) => setTimeout(r, 1)) : undefined) });
    const row = slow.row.bind(slow);
    // Asks to wait after every 40th row.
    let n = 0;
    (slow as unknown as { row: (t: string, r: never) => boolean }).row = (t, r) => {
      row(t, r);
      return ++n % 40 === 0;
    };
    const summary = await processStream(chunked(gzipSync(body), 5000), { source: 's', identity: 'i', entry, location: {} }, { sink: slow, now: new Date(0), limits: DEFAULT_LIMITS, scanAhead: thread });
    const one = new MemorySink();
    await processStream(chunked(gzipSync(body), 5000), { source: 's', identity: 'i', entry, location: {} }, { sink: one, now: new Date(0), limits: DEFAULT_LIMITS });
    expect(slow.rows).toEqual(one.rows);
    expect(slow.rejects).toEqual(one.rejects);
    expect(summary.rows).toBe(one.rows.length);
    expect(slow.pressureCalls).toBeGreaterThan(summary.rows / 40);
  });

  test('a thread that stops midway leaves its lines to the main thread: nothing is lost', async () => {
    const entry = registry.forDataset('http_requests')!;
    const body = input('http_requests', 2000, 5);
    const failures: unknown[] = [];
    // Its report of the failure throws too: no input may wait on it for that.
    const doomed = new ScanThread(scanThreadCode()!, (e) => {
      failures.push(e);
      throw new Error('the report failed');
    });
    let batches = 0;
    const stopping: ScanAhead = {
      takes: (e) => doomed.takes(e),
      scan: (lines) => {
        const answer = doomed.scan(lines);
        // Killed with batches out.
        if (++batches === 3) void doomed.close();
        return answer;
      },
    };
    const one = await run(entry, body);
    const two = await run(entry, body, { scanAhead: stopping });
    expect(two).toEqual(one);
    expect(batches).toBeGreaterThan(3);
    expect(doomed.takes(entry)).toBe(false);
    expect(failures).toHaveLength(0); // closed, not failed: nothing to report
  });

  test('a corrupt input salvaged: the lines before the damage are written first, then its reject, as on one thread', async () => {
    const entry = registry.forDataset('http_requests')!;
    const gz = gzipSync(input('http_requests', 1500, 9));
    // Cut midway: the rest cannot be decompressed.
    const cut = gz.subarray(0, Math.floor(gz.length * 0.6));
    const run1 = async (scanAhead?: ScanAhead) => {
      const sink = new MemorySink();
      const s = await processStream(chunked(cut, 9000), { source: 's', identity: 'i', entry, location: {} }, { sink, now: new Date(0), limits: DEFAULT_LIMITS, salvageCorrupt: true, ...(scanAhead ? { scanAhead } : {}) });
      return { rows: sink.rows, rejects: sink.rejects, salvaged: s.salvaged, lines: s.lines };
    };
    const one = await run1();
    expect(one.salvaged).toBe(true);
    expect(one.rejects.at(-1)?.json).toContain('"reason":"corrupt_input"');
    expect(await run1(thread)).toEqual(one);
  });

  test('a thread that cannot scan a log type answers with nothing, and its lines are parsed here', async () => {
    const entry = registry.forDataset('dns_logs')!;
    const body = input('dns_logs', 300, 6);
    // A request for a log type the thread does not know; the report of each failure throws as well.
    const reports: string[] = [];
    const own = new ScanThread(scanThreadCode()!, (e) => {
      reports.push(String(e));
      throw new Error('the report failed');
    });
    try {
      const wrong: ScanAhead = { takes: () => true, scan: (lines) => own.scan({ ...lines, logType: 'Cloudflare.NoSuchType' }) };
      const one = await run(entry, body);
      const two = await run(entry, body, { scanAhead: wrong });
      expect(two).toEqual(one);
      expect(reports.length).toBeGreaterThan(0);
      expect(reports[0]).toContain('unknown log type Cloudflare.NoSuchType');
    } finally {
      await own.close();
    }
  });
});
