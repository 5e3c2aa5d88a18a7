/**
 * `npm run bench [-- --quick] [--json] [--cpu-prof] [--cold] [--node PATH] [--reps N] [--lines N] [--only a,b]`
 *
 * Runs every contender on one generated corpus, each in its own process pinned to one core, sequentially (rounds
 * of one run per contender, so drift on the machine affects all of them alike), takes the median of the repetitions,
 * and prints MB/s of uncompressed input, lines/s and peak RSS, with the ratios of cflogs to the baselines against
 * the targets of issue 7. The JSON form of the last run is also kept in bench/data/last-run.json. See bench/README.md.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { ChildResult } from './contender';
import { Corpus, corpusOptions, DATA_DIR, ensureCorpus } from './corpus';
import { analyseProfile, ProfileReport } from './profile';
import { buildBundles, cpuCount, newestProfile, nodeVersion, runOnce, RunSpec, tasksetWorks } from './runner';

interface Args {
  quick: boolean;
  json: boolean;
  cpuProf: boolean;
  /** Time a fresh process's first object, JIT warm-up included, instead of a warm process's. */
  cold: boolean;
  /** Another node binary to run the contenders with (Lambda's major version, say). */
  node: string | undefined;
  reps: number;
  lines: number;
  only: string[] | undefined;
}

const FULL_LINES = 100_000;
const QUICK_LINES = 15_000;

function parseArgs(argv: string[]): Args {
  const a: Args = { quick: false, json: false, cpuProf: false, cold: false, node: undefined, reps: 0, lines: 0, only: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) usage(`${arg} needs a value`);
      return v as string;
    };
    if (arg === '--quick') a.quick = true;
    else if (arg === '--json') a.json = true;
    else if (arg === '--cpu-prof') a.cpuProf = true;
    else if (arg === '--cold') a.cold = true;
    else if (arg === '--node') a.node = value();
    else if (arg === '--reps') a.reps = positiveInt(arg, value());
    else if (arg === '--lines') a.lines = positiveInt(arg, value());
    else if (arg === '--only') a.only = value().split(',');
    else if (arg === '--help' || arg === '-h') usage();
    else usage(`unknown argument ${arg}`);
  }
  if (a.reps === 0) a.reps = a.quick ? 1 : 3;
  if (a.lines === 0) a.lines = a.quick ? QUICK_LINES : FULL_LINES;
  return a;
}

/**
 * Lines of the untimed warm-up object: about a second of cflogs' work, by when V8 has compiled the hot paths (the
 * generated normaliser alone takes 0.5 s of TurboFan time on the same core).
 */
const WARMUP_LINES = 15_000;

function positiveInt(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) usage(`${name} must be a positive integer`);
  return n;
}

function usage(problem?: string): never {
  const text = `usage: npm run bench -- [--quick] [--json] [--cpu-prof] [--cold] [--node PATH] [--reps N] [--lines N] [--only floor,floor_rewrite,naive,duckdb,cflogs,cflogs_filtered,cflogs_2core,e2e]
  --quick     small corpus (${QUICK_LINES} lines), one repetition: under a minute
  --json      print the results as one JSON object on stdout (progress goes to stderr)
  --cpu-prof  also profile one cflogs run and print the top self-time functions
  --cold      time each process's first object (JIT warm-up included); by default every contender first
              processes a smaller corpus untimed, as a Lambda container that has handled objects before
  --node PATH run the contenders with this node binary (e.g. the Lambda runtime's major version)
  --reps N    repetitions per contender (median reported; default 3, 1 with --quick)
  --lines N   corpus size in lines (default ${FULL_LINES})
  --only L    run only these rows`;
  process.stderr.write((problem ? `${problem}\n` : '') + text + '\n');
  process.exit(problem ? 2 : 0);
}

interface Figure {
  /** Uncompressed input MB (10^6 bytes) per second of wall time: the headline figure. */
  mbps: number;
  /** Uncompressed input MB per CPU-second (user + system, all threads): less sensitive to a busy machine. */
  mbps_cpu: number;
  lines_per_s: number;
  peak_rss_mb: number;
  /** The whole process's maxRSS, warm-up included (peak_rss_mb is the timed object's). */
  process_max_rss_mb: number;
  /** CPU time / wall time of the timed work (100 = one core busy). */
  cpu_pct: number;
  wall_ms: number;
  setup_ms: number;
  heap_used_peak_mb: number;
  external_peak_mb: number;
  heap_after_gc_mb?: number;
  /** Share of the work's CPU time spent on the main (JS) thread; the rest ran on other threads (zlib's pool...). */
  main_thread_pct?: number;
  reps: number;
  rows: number;
  bytes_out: number;
  notes?: Record<string, number | string | boolean>;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

function figure(runs: ChildResult[], corpus: Corpus): Figure {
  const wall = median(runs.map((r) => r.wall_ms));
  const mid = runs.find((r) => r.wall_ms === wall) ?? (runs[0] as ChildResult);
  return {
    mbps: corpus.uncompressedBytes / 1e6 / (wall / 1000),
    mbps_cpu: corpus.uncompressedBytes / 1e6 / (median(runs.map((r) => r.cpu_ms)) / 1000),
    lines_per_s: corpus.lines / (wall / 1000),
    peak_rss_mb: median(runs.map((r) => r.peak_rss_mb)),
    process_max_rss_mb: median(runs.map((r) => r.process_max_rss_mb)),
    cpu_pct: median(runs.map((r) => (100 * r.cpu_ms) / r.wall_ms)),
    wall_ms: wall,
    setup_ms: median(runs.map((r) => r.setup_ms)),
    heap_used_peak_mb: median(runs.map((r) => r.heap_used_peak_mb)),
    external_peak_mb: median(runs.map((r) => r.external_peak_mb)),
    ...(mid.heap_after_gc_mb !== undefined ? { heap_after_gc_mb: mid.heap_after_gc_mb } : {}),
    ...(mid.main_thread_cpu_ms !== undefined && mid.other_threads_cpu_ms !== undefined && mid.main_thread_cpu_ms + mid.other_threads_cpu_ms > 0
      ? { main_thread_pct: (100 * mid.main_thread_cpu_ms) / (mid.main_thread_cpu_ms + mid.other_threads_cpu_ms) }
      : {}),
    reps: runs.length,
    rows: mid.outcome.rows,
    bytes_out: mid.outcome.bytesOut,
    ...(mid.outcome.notes ? { notes: mid.outcome.notes } : {}),
  };
}

interface Machine {
  cpu: string;
  nproc: number;
  /** The node that ran the contenders. */
  node: string;
  /** The node that ran this harness, when --node chose another for the contenders. */
  harness_node?: string;
  taskset: boolean;
  /** 1-minute load average when the run started and when it ended: other work on the machine skews wall times. */
  load_before: number;
  load_after?: number;
}

function machine(nodePath: string | undefined): Machine {
  let cpu = 'unknown';
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpu;
  } catch {
    // not Linux
  }
  return { cpu, nproc: cpuCount(), node: nodePath ? nodeVersion(nodePath) : process.version, ...(nodePath ? { harness_node: process.version } : {}), taskset: tasksetWorks(), load_before: round(loadavg()[0] ?? 0, 2) };
}

const TARGETS = [
  { name: 'cflogs / duckdb', of: 'duckdb', target: 1.5 },
  { name: 'cflogs / naive', of: 'naive', target: 3 },
  { name: 'cflogs / floor', of: 'floor', target: 0.5 },
] as const;
const RSS_TARGET_MB = 256;

/** AWS Lambda arm64 price in us-east-1, per GB-second and per request. */
const LAMBDA_ARM64_GB_S_USD = 0.0000133334;
const LAMBDA_REQUEST_USD = 0.2 / 1e6;
/** Lambda gives one full vCPU at 1,769 MB; below that CPU is a proportional share, so GB-seconds per TB stay about constant. */
// Lambda bills memory in GB of 1024 MB: 1,769 MB is 1.7275 GB.
const ONE_VCPU_GB = 1769 / 1024;

/**
 * Lambda cost per TB (10^12 bytes) of uncompressed input at a single-core throughput: compute at 1,769 MB (one vCPU)
 * for the seconds one TB takes, plus one request per object of `objectMb` uncompressed MB.
 */
function costPerTb(mbps: number, objectMb: number): { compute: number; requests: number; total: number } {
  const seconds = 1e6 / mbps;
  const compute = LAMBDA_ARM64_GB_S_USD * ONE_VCPU_GB * seconds;
  const requests = (1e6 / objectMb) * LAMBDA_REQUEST_USD;
  return { compute, requests, total: compute + requests };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const log = (m: string): void => {
    process.stderr.write(m + '\n');
  };
  const m = machine(args.node);
  const corpus = await ensureCorpus(corpusOptions(args.lines), log);
  // Other data (another seed) than the timed corpus.
  const warmup = args.cold ? undefined : await ensureCorpus({ ...corpusOptions(WARMUP_LINES), seed: 2 }, log);
  const workDir = join(DATA_DIR, 'work');
  const bundles = await buildBundles(join(DATA_DIR, 'build'));
  const pin = m.taskset ? '0' : undefined;
  const specs: RunSpec[] = [
    { label: 'floor', contender: 'floor', params: {}, cpus: pin },
    { label: 'floor_rewrite', contender: 'floor', params: { rewrite: true }, cpus: pin },
    { label: 'naive', contender: 'naive', params: {}, cpus: pin },
    { label: 'duckdb', contender: 'duckdb', params: { tmpDir: workDir }, cpus: pin },
    { label: 'cflogs', contender: 'cflogs', params: {}, cpus: pin },
    { label: 'cflogs_filtered', contender: 'cflogs', params: { filter: true }, cpus: pin },
    ...(m.nproc >= 2 ? [{ label: 'cflogs_2core', contender: 'cflogs' as const, params: {}, cpus: m.taskset ? '0,1' : undefined }] : []),
    {
      label: 'e2e',
      contender: 'e2e',
      params: { tmpDir: workDir, s3ServerBundle: bundles.s3Server, serverCpus: m.taskset && m.nproc >= 2 ? '1' : undefined },
      cpus: pin,
    },
  ];
  const selected = args.only ? specs.filter((s) => args.only!.includes(s.label)) : specs;
  if (args.only && selected.length !== args.only.length) usage(`--only: unknown row in ${args.only.join(',')}`);

  log(
    `corpus: ${corpus.lines} ${corpus.options.dataset} lines, ${(corpus.uncompressedBytes / 1e6).toFixed(1)} MB uncompressed, ` +
      `${(corpus.compressedBytes / 1e6).toFixed(1)} MB gzip (${(corpus.uncompressedBytes / corpus.compressedBytes).toFixed(1)}x); ` +
      `${m.nproc} CPUs (${m.cpu}), node ${m.node}, ${m.taskset ? 'pinned with taskset' : 'taskset unavailable: NOT pinned'}`,
  );
  const runs = new Map<string, ChildResult[]>();
  const run = { ...(warmup ? { warmup } : {}), ...(args.node ? { nodePath: args.node } : {}) };
  const timeoutMs = Math.max(120_000, (corpus.uncompressedBytes / 1e6 / 2) * 1000);
  for (let rep = 1; rep <= args.reps; rep++) {
    for (const spec of selected) {
      const r = await runOnce(spec, bundles, corpus, { workDir, timeoutMs, ...run });
      const mbps = corpus.uncompressedBytes / 1e6 / (r.wall_ms / 1000);
      log(`  [${rep}/${args.reps}] ${spec.label.padEnd(16)} ${fmt(mbps, 6, 1)} MB/s  ${fmt(r.peak_rss_mb, 5, 0)} MB peak  ${fmt(r.wall_ms / 1000, 6, 2)} s`);
      runs.set(spec.label, [...(runs.get(spec.label) ?? []), r]);
    }
  }
  m.load_after = round(loadavg()[0] ?? 0, 2);
  const figures: Record<string, Figure> = {};
  for (const [label, rs] of runs) figures[label] = figure(rs, corpus);

  let profile: ProfileReport | undefined;
  if (args.cpuProf) {
    const dir = join(workDir, 'cpu-prof');
    rmSync(dir, { recursive: true, force: true });
    const spec = specs.find((s) => s.label === 'cflogs') as RunSpec;
    log('  profiling cflogs (one more run, with --cpu-prof; not counted in the figures)');
    await runOnce(spec, bundles, corpus, { workDir, timeoutMs, nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`], ...run });
    const file = newestProfile(dir);
    if (!file) throw new Error(`no .cpuprofile written in ${dir}`);
    profile = analyseProfile(file, bundles.contenders.cflogs);
  }

  const json = JSON.stringify(jsonReport(figures, corpus, m, args, profile), null, 2) + '\n';
  writeFileSync(join(DATA_DIR, 'last-run.json'), json);
  if (args.json) {
    process.stdout.write(json);
  } else {
    process.stdout.write(textReport(figures, corpus, m, args, profile));
  }
}

interface Ratio {
  /** On wall-time MB/s (the headline). */
  value: number;
  /** On MB per CPU-second. */
  value_cpu: number;
  target: number;
  met: boolean;
}

function ratios(f: Record<string, Figure>): Record<string, Ratio> {
  const out: Record<string, Ratio> = {};
  for (const t of TARGETS) {
    const a = f.cflogs;
    const b = f[t.of];
    if (!a || !b) continue;
    const value = a.mbps / b.mbps;
    out[`cflogs_${t.of}`] = { value, value_cpu: a.mbps_cpu / b.mbps_cpu, target: t.target, met: value >= t.target };
  }
  return out;
}

function jsonFigure(x: Figure): object {
  return {
    mbps: round(x.mbps, 1),
    lines_per_s: Math.round(x.lines_per_s),
    peak_rss_mb: round(x.peak_rss_mb, 1),
    process_max_rss_mb: round(x.process_max_rss_mb, 1),
    mbps_cpu: round(x.mbps_cpu, 1),
    cpu_pct: Math.round(x.cpu_pct),
    wall_ms: Math.round(x.wall_ms),
    setup_ms: Math.round(x.setup_ms),
    heap_used_peak_mb: round(x.heap_used_peak_mb, 1),
    external_peak_mb: round(x.external_peak_mb, 1),
    ...(x.heap_after_gc_mb !== undefined ? { heap_after_gc_mb: round(x.heap_after_gc_mb, 1) } : {}),
    ...(x.main_thread_pct !== undefined ? { main_thread_pct: Math.round(x.main_thread_pct) } : {}),
    reps: x.reps,
    rows: x.rows,
    bytes_out: x.bytes_out,
    ...(x.notes ? { notes: x.notes } : {}),
  };
}

function jsonReport(f: Record<string, Figure>, corpus: Corpus, m: Machine, args: Args, profile?: ProfileReport): object {
  // Rows not run (--only) are null, so the five keys are always there.
  const pick = (x: Figure | undefined): object | null => (x === undefined ? null : jsonFigure(x));
  return {
    floor: pick(f.floor),
    naive: pick(f.naive),
    duckdb: pick(f.duckdb),
    cflogs: pick(f.cflogs),
    e2e: pick(f.e2e),
    extras: { floor_rewrite: pick(f.floor_rewrite), cflogs_filtered: pick(f.cflogs_filtered), cflogs_2core: pick(f.cflogs_2core) },
    ratios: Object.fromEntries(
      Object.entries(ratios(f)).map(([k, v]) => [k, { ...v, value: round(v.value, 2), value_cpu: round(v.value_cpu, 2) }]),
    ),
    corpus: {
      dataset: corpus.options.dataset,
      lines: corpus.lines,
      uncompressed_bytes: corpus.uncompressedBytes,
      compressed_bytes: corpus.compressedBytes,
      filtered_lines: corpus.needleLines,
      filter_needle: corpus.needle,
    },
    cost_per_tb_usd: costs(f, corpus),
    machine: m,
    mode: { quick: args.quick, reps: args.reps, warm: !args.cold, ...(args.cold ? {} : { warmup_lines: WARMUP_LINES }) },
    ...(profile ? { cpu_profile: profile } : {}),
  };
}

function costs(f: Record<string, Figure>, corpus: Corpus): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of ['naive', 'duckdb', 'cflogs', 'cflogs_filtered']) {
    const x = f[k];
    if (x) out[k] = round(costPerTb(x.mbps, corpus.uncompressedBytes / 1e6).total, 3);
  }
  return out;
}

function textReport(
  f: Record<string, Figure>,
  corpus: Corpus,
  m: Machine,
  args: Args,
  profile?: ProfileReport,
): string {
  const out: string[] = [];
  out.push('');
  out.push(
    `cflogs benchmark (${args.quick ? 'quick' : 'full'}, median of ${args.reps}, ${args.cold ? "cold processes" : "warm processes"}): ${corpus.lines} ${corpus.options.dataset} lines, ` +
      `${(corpus.uncompressedBytes / 1e6).toFixed(1)} MB uncompressed / ${(corpus.compressedBytes / 1e6).toFixed(1)} MB gzip; ` +
      `${m.cpu}, ${m.nproc} CPUs, node ${m.node}${m.taskset ? '' : ' (NOT pinned: taskset unavailable)'}; ` +
      `load average ${m.load_before} before, ${m.load_after} after`,
  );
  const contended = Object.entries(f).filter(([k, x]) => k !== 'cflogs_2core' && k !== 'e2e' && x.cpu_pct < 90);
  if (contended.length) {
    out.push(
      `warning: ${contended.map(([k]) => k).join(', ')} got under 90% of their core (other processes were running): ` +
        'wall-time figures are pessimistic there; the MB/CPU-s column is the steadier comparison.',
    );
  }
  out.push('');
  out.push(`| ${'contender'.padEnd(16)} | ${'MB/s'.padStart(7)} | ${'lines/s'.padStart(9)} | ${'peak RSS MB'.padStart(11)} | ${'MB/CPU-s'.padStart(8)} | ${'CPU %'.padStart(5)} | ${'out MB'.padStart(7)} | cores |`);
  out.push(`|${'-'.repeat(18)}|${'-'.repeat(8)}:|${'-'.repeat(10)}:|${'-'.repeat(12)}:|${'-'.repeat(9)}:|${'-'.repeat(6)}:|${'-'.repeat(8)}:|-------|`);
  const rows: Array<[string, string]> = [
    ['floor', '1'],
    ['floor_rewrite', '1'],
    ['naive', '1'],
    ['duckdb', '1'],
    ['cflogs', '1'],
    ['cflogs_filtered', '1'],
    ['cflogs_2core', '2'],
    ['e2e', '1 (+1 s3rver)'],
  ];
  for (const [label, cores] of rows) {
    const x = f[label];
    if (!x) continue;
    out.push(
      `| ${label.padEnd(16)} | ${fmt(x.mbps, 7, 1)} | ${fmt(x.lines_per_s, 9, 0)} | ${fmt(x.peak_rss_mb, 11, 0)} | ${fmt(x.mbps_cpu, 8, 1)} | ${fmt(x.cpu_pct, 5, 0)} | ${fmt(x.bytes_out / 1e6, 7, 1)} | ${cores} |`,
    );
  }
  out.push('');
  out.push('detail: peak V8 heap in use / peak off-heap (Buffers, zlib) / heap retained after the work and a full GC (MB);');
  out.push('        share of CPU time on the main JS thread (the rest: zlib thread pool, GC helpers, DuckDB threads)');
  for (const [label] of rows) {
    const x = f[label];
    if (!x) continue;
    const retained = x.heap_after_gc_mb === undefined ? '    -' : fmt(x.heap_after_gc_mb, 5, 1);
    const main = x.main_thread_pct === undefined ? '' : `   main thread ${fmt(x.main_thread_pct, 3, 0)}%`;
    out.push(`  ${label.padEnd(16)} ${fmt(x.heap_used_peak_mb, 6, 1)} / ${fmt(x.external_peak_mb, 6, 1)} / ${retained}${main}`);
  }
  out.push('');
  const r = ratios(f);
  for (const t of TARGETS) {
    const v = r[`cflogs_${t.of}`];
    if (!v) continue;
    out.push(
      `${t.name.padEnd(16)} ${fmt(v.value, 5, 2)}x   target >= ${t.target}x   ${(v.met ? 'met' : 'NOT met').padEnd(7)}   (per CPU-second: ${fmt(v.value_cpu, 4, 2)}x)`,
    );
  }
  if (f.cflogs) {
    const ok = f.cflogs.peak_rss_mb <= RSS_TARGET_MB;
    out.push(`cflogs peak RSS  ${fmt(f.cflogs.peak_rss_mb, 5, 0)} MB  target <= ${RSS_TARGET_MB} MB  ${ok ? 'met' : 'NOT met'}`);
  }
  if (f.cflogs && f.floor_rewrite) {
    out.push(
      `cflogs / floor_rewrite ${fmt(f.cflogs.mbps / f.floor_rewrite.mbps, 4, 2)}x   (not a target: floor_rewrite only parses, re-serialises and gzips` +
        (f.duckdb ? `, ${fmt(f.floor_rewrite.mbps / f.duckdb.mbps, 4, 2)}x DuckDB)` : ')'),
    );
  }
  if (f.cflogs_filtered) {
    const n = f.cflogs_filtered.notes?.filtered;
    out.push(`cflogs_filtered: raw exclude on ${corpus.needle} dropped ${n} of ${corpus.lines} lines (${((100 * corpus.needleLines) / corpus.lines).toFixed(1)}%)`);
  }
  const c = costs(f, corpus);
  if (Object.keys(c).length) {
    out.push(
      `Lambda cost per TB of uncompressed input (arm64 us-east-1, $${LAMBDA_ARM64_GB_S_USD}/GB-s at 1,769 MB = ${ONE_VCPU_GB.toFixed(4)} GB, ` +
        `+ $0.20/M requests at ${(corpus.uncompressedBytes / 1e6).toFixed(0)} MB objects): ` +
        Object.entries(c)
          .map(([k, v]) => `${k} $${v.toFixed(2)}`)
          .join(', '),
    );
  }
  if (profile) {
    out.push('');
    out.push(`cflogs CPU profile: top self time (${profile.totalMs.toFixed(0)} ms sampled; ${profile.file})`);
    out.push(`| ${'self ms'.padStart(8)} | ${'%'.padStart(5)} | function | module |`);
    out.push(`|---------:|------:|----------|--------|`);
    for (const e of profile.functions) out.push(`| ${fmt(e.ms, 8, 0)} | ${fmt(e.pct, 5, 1)} | ${e.name} | ${e.where} |`);
    out.push('');
    out.push('by module:');
    for (const e of profile.modules.slice(0, 10)) out.push(`  ${fmt(e.pct, 5, 1)}%  ${fmt(e.ms, 7, 0)} ms  ${e.name}`);
    out.push(
      'note: the profile samples the main thread only. Pinned to one core, zlib work on the thread pool pre-empts it and is\n' +
        'charged to whatever the main thread was in (mostly zlib processChunk / _read, or (idle)); JSON.parse and\n' +
        'JSON.stringify are built-ins and count as self time of their caller. It covers the whole process, the warm-up\n' +
        'object included.',
    );
  }
  out.push('');
  return out.join('\n');
}

function fmt(n: number, width: number, digits: number): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }).padStart(width);
}

function round(n: number, digits: number): number {
  const p = 10 ** digits;
  return Math.round(n * p) / p;
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
