/**
 * What a contender is, and the child-process harness that times one. Each contender runs in its own process
 * (bundled by bench/runner.ts, pinned to a core by taskset), so its peak RSS is its own.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Corpus } from './corpus';

export interface Outcome {
  /** Rows the contender produced (parsed for the floor, written for the others). */
  rows: number;
  /** What `rows` must be for this corpus: a mismatch fails the run, so a broken contender cannot look fast. */
  expectedRows: number;
  /** Compressed output bytes (0 for the floor). */
  bytesOut: number;
  /** Contender-specific facts for the report (filtered counts, output files...). */
  notes?: Record<string, number | string | boolean>;
}

export interface Contender {
  /**
   * Untimed set-up (compiling a validator, starting DuckDB, uploading the object); returns the timed work. Set-up
   * is what a warm Lambda has already done; its cost is reported separately as setup_ms.
   */
  prepare(corpus: Corpus, params: Record<string, unknown>): Promise<() => Promise<Outcome>>;
  /** Untimed clean-up after the work (temporary files, servers). */
  teardown?(): Promise<void>;
}

export interface ChildRequest {
  contender: string;
  corpus: Corpus;
  /**
   * A smaller corpus processed once, untimed, before the timed work (set-up, run, teardown), so the figure is a
   * warm process's, as in a Lambda container that has handled objects before. Absent with --cold.
   */
  warmup?: Corpus;
  params: Record<string, unknown>;
  resultPath: string;
}

export interface ChildResult {
  contender: string;
  wall_ms: number;
  setup_ms: number;
  /** User + system CPU of the whole process during the timed work (above wall_ms when threads run in parallel). */
  cpu_ms: number;
  /**
   * Peak resident set during the timed object: VmHWM, reset after the warm-up, where Linux allows; else the
   * process's getrusage ru_maxrss (which includes the warm-up).
   */
  peak_rss_mb: number;
  /** getrusage ru_maxrss of the whole process, warm-up included. */
  process_max_rss_mb: number;
  /** Largest V8 heap in use and largest off-heap memory (Buffers, zlib) seen by a 250 ms sampler during the work. */
  heap_used_peak_mb: number;
  external_peak_mb: number;
  /** V8 heap still in use after the work and a full GC (retained memory: a leak shows here). */
  heap_after_gc_mb?: number;
  /**
   * CPU of the timed work split by thread (Linux, 10 ms resolution): the main (JS) thread and all others (libuv's
   * thread pool, where zlib runs; V8's GC helpers; DuckDB's threads). How much a second core could help.
   */
  main_thread_cpu_ms?: number;
  other_threads_cpu_ms?: number;
  outcome: Outcome;
}

const MB = 1024 * 1024;

/** Entry of a contender's child process: argv[2] is the path of a ChildRequest JSON file. */
export async function runChild(name: string, c: Contender): Promise<void> {
  const req = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as ChildRequest;
  if (req.contender !== name) throw new Error(`child built for ${name} was asked to run ${req.contender}`);
  if (req.warmup) {
    try {
      const warm = await c.prepare(req.warmup, req.params);
      const o = await warm();
      if (o.rows !== o.expectedRows) throw new Error(`warm-up wrote ${o.rows} rows, expected ${o.expectedRows}`);
    } finally {
      await c.teardown?.();
    }
  }
  // The peak RSS reported is the timed object's: the kernel's high-water mark is reset after the warm-up (Linux).
  const hwmReset = resetVmHwm();
  const t0 = performance.now();
  const work = await c.prepare(req.corpus, req.params);
  const setupMs = performance.now() - t0;
  let heapPeak = 0;
  let externalPeak = 0;
  const sample = (): void => {
    const m = process.memoryUsage();
    if (m.heapUsed > heapPeak) heapPeak = m.heapUsed;
    if (m.external > externalPeak) externalPeak = m.external;
  };
  const sampler = setInterval(sample, 250);
  const threads0 = threadCpuMs();
  const cpu0 = process.cpuUsage();
  const t1 = performance.now();
  const outcome = await work();
  const wallMs = performance.now() - t1;
  const cpu = process.cpuUsage(cpu0);
  const threads1 = threadCpuMs();
  clearInterval(sampler);
  sample();
  // Peak memory is read before teardown, which may load more code (listing S3, removing files).
  const hwm = vmHwmMb();
  const peakRssMb = hwmReset && hwm !== undefined ? hwm : process.resourceUsage().maxRSS / 1024;
  const gc = (globalThis as { gc?: () => void }).gc;
  let heapAfterGc: number | undefined;
  if (gc) {
    gc();
    heapAfterGc = process.memoryUsage().heapUsed / MB;
  }
  await c.teardown?.();
  const result: ChildResult = {
    contender: name,
    wall_ms: wallMs,
    setup_ms: setupMs,
    cpu_ms: (cpu.user + cpu.system) / 1000,
    peak_rss_mb: peakRssMb,
    process_max_rss_mb: process.resourceUsage().maxRSS / 1024,
    heap_used_peak_mb: heapPeak / MB,
    external_peak_mb: externalPeak / MB,
    ...(heapAfterGc !== undefined ? { heap_after_gc_mb: heapAfterGc } : {}),
    ...threadSplit(threads0, threads1),
    outcome,
  };
  writeFileSync(req.resultPath, JSON.stringify(result));
}

/** CPU milliseconds used so far by each thread of this process, by thread id (Linux /proc). */
export function threadCpuMs(): Map<number, number> | undefined {
  try {
    const ticksPerMs = 100 / 1000; // USER_HZ is 100 on Linux
    const out = new Map<number, number>();
    for (const tid of readdirSync('/proc/self/task')) {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      // Fields after the command name (which may contain spaces) start after the last ')'.
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), (Number(f[11]) + Number(f[12])) / ticksPerMs);
    }
    return out;
  } catch {
    return undefined;
  }
}

export function threadSplit(
  before: Map<number, number> | undefined,
  after: Map<number, number> | undefined,
): { main_thread_cpu_ms?: number; other_threads_cpu_ms?: number } {
  if (!before || !after) return {};
  let main = 0;
  let other = 0;
  for (const [tid, ms] of after) {
    const d = ms - (before.get(tid) ?? 0);
    if (tid === process.pid) main += d;
    else other += d;
  }
  return { main_thread_cpu_ms: main, other_threads_cpu_ms: other };
}

/** Resets VmHWM to the current RSS (`echo 5 > /proc/PID/clear_refs`); false where that is not possible. */
function resetVmHwm(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

function vmHwmMb(): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? (Number(m[1]) * 1024) / MB : undefined;
  } catch {
    return undefined;
  }
}

/** Entry of a contender's bundle (bench/runner.ts generates `main('<name>', contender)` as the entry point). */
export function main(name: string, c: Contender): void {
  runChild(name, c).then(
    () => process.exit(0),
    (e: unknown) => {
      process.stderr.write(`${name}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    },
  );
}
