/**
 * `npm run bench [-- --quick] [--json] [--cpu-prof] [--prof-row ROW] [--cold] [--node PATH] [--reps N] [--lines N] [--only a,b] [--dataset D] [--rules-enable IDS] [--rules-disable IDS]`
 *
 * Runs every contender on one generated corpus, each in its own process pinned to one core, sequentially (rounds
 * of one run per contender, so drift on the machine affects all of them alike), takes the median of the repetitions,
 * and prints MB/s of uncompressed input, lines/s and peak RSS, with the ratios of cflogs to the baselines against
 * the targets of issue 7, and what a TB of input costs: Lambda compute and requests, a year of S3 storage of the
 * output and one Athena scan of it. cflogs and DuckDB are compared writing the same codec (zstd, cflogs' default);
 * gzip rows of both are kept for reference, and both writing zstd Parquet (cflogs_parquet, duckdb_parquet).
 * cflogs_rules is the cflogs row with the default detection rules: the report gives what the rules stage costs per
 * CPU-second, round by round. The JSON form of the last run is also kept in bench/data/last-run.json.
 * See bench/README.md.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { ChildResult } from './contender';
import { Corpus, corpusOptions, DATA_DIR, ensureCorpus } from './corpus';
import { Dataset, DATASETS } from '../testkit/generate';
import { analyseProfile, ProfileReport } from './profile';
import { buildBundles, cpuCount, newestProfile, nodeVersion, runOnce, RunSpec, tasksetWorks } from './runner';

interface Args {
  quick: boolean;
  json: boolean;
  cpuProf: boolean;
  /** The row --cpu-prof profiles (cflogs by default). */
  profRow: string;
  /** Time a fresh process's first object, JIT warm-up included, instead of a warm process's. */
  cold: boolean;
  /** Another node binary to run the contenders with (Lambda's major version, say). */
  node: string | undefined;
  reps: number;
  lines: number;
  only: string[] | undefined;
  /** The generated dataset of the corpus (http_requests unless --dataset). */
  dataset: Dataset;
  /** Rule ids the cflogs_rules row enables or disables besides the defaults (as CFLOGS_RULES_ENABLE / _DISABLE). */
  rulesEnable: string[];
  rulesDisable: string[];
}

const FULL_LINES = 100_000;
const QUICK_LINES = 15_000;

function parseArgs(argv: string[]): Args {
  const a: Args = { quick: false, json: false, cpuProf: false, profRow: 'cflogs', cold: false, node: undefined, reps: 0, lines: 0, only: undefined, dataset: 'http_requests', rulesEnable: [], rulesDisable: [] };
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
    else if (arg === '--prof-row') {
      a.profRow = value();
      a.cpuProf = true;
    } else if (arg === '--cold') a.cold = true;
    else if (arg === '--node') a.node = value();
    else if (arg === '--reps') a.reps = positiveInt(arg, value());
    else if (arg === '--lines') a.lines = positiveInt(arg, value());
    else if (arg === '--only') a.only = value().split(',');
    else if (arg === '--dataset') {
      const d = value();
      if (!(DATASETS as readonly string[]).includes(d)) usage(`--dataset: one of ${DATASETS.join(', ')}`);
      a.dataset = d as Dataset;
    } else if (arg === '--rules-enable') a.rulesEnable = value().split(',');
    else if (arg === '--rules-disable') a.rulesDisable = value().split(',');
    else if (arg === '--help' || arg === '-h') usage();
    else usage(`unknown argument ${arg}`);
  }
  // Checked before the corpus is generated (which takes a while for a new size).
  const unknown = a.only?.filter((r) => !(ROWS as readonly string[]).includes(r)) ?? [];
  if (unknown.length) usage(`--only: unknown row ${unknown.join(',')}`);
  if (!(PROFILABLE as readonly string[]).includes(a.profRow)) usage(`--prof-row: one of ${PROFILABLE.join(', ')}`);
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

/** Rows in the order they run and are reported. */
const ROWS = [
  'floor',
  'floor_rewrite',
  'naive',
  'duckdb',
  'cflogs',
  'cflogs_rules',
  'cflogs_filtered',
  'cflogs_2core',
  'duckdb_gzip',
  'cflogs_gzip',
  'cflogs_parquet',
  'cflogs_parquet_2core',
  'cflogs_iceberg',
  'cflogs_compacted',
  'duckdb_parquet',
  'e2e',
] as const;

/** Rows --prof-row can profile: the cflogs contender's. */
const PROFILABLE = ['cflogs', 'cflogs_rules', 'cflogs_filtered', 'cflogs_2core', 'cflogs_gzip', 'cflogs_parquet', 'cflogs_parquet_2core', 'cflogs_iceberg', 'cflogs_compacted'] as const;

/** Reference rows (both contenders writing gzip) that --quick leaves out unless --only names them. */
const NOT_IN_QUICK: ReadonlySet<string> = new Set(['duckdb_gzip', 'cflogs_gzip']);

function usage(problem?: string): never {
  const text = `usage: npm run bench -- [--quick] [--json] [--cpu-prof] [--prof-row ROW] [--cold] [--node PATH] [--reps N] [--lines N] [--only ${ROWS.join(',')}] [--dataset D] [--rules-enable IDS] [--rules-disable IDS]
  --quick     small corpus (${QUICK_LINES} lines), one repetition, and no gzip reference rows (${[...NOT_IN_QUICK].join(', ')};
              name them in --only to run them): under a minute
  --json      print the results as one JSON object on stdout (progress goes to stderr)
  --cpu-prof  also profile one cflogs run and print the top self-time functions
  --prof-row R  profile that row instead of cflogs (implies --cpu-prof): ${PROFILABLE.join(', ')}
  --cold      time each process's first object (JIT warm-up included); by default every contender first
              processes a smaller corpus untimed, as a Lambda container that has handled objects before
  --node PATH run the contenders with this node binary (e.g. the Lambda runtime's major version)
  --reps N    repetitions per contender (median reported; default 3, 1 with --quick)
  --lines N   corpus size in lines (default ${FULL_LINES})
  --only L    run only these rows (any of them, --quick or not)
  --dataset D the corpus's generated dataset (default http_requests; e.g. firewall_events, where three of the
              default detection rules are enabled: --only cflogs,cflogs_rules)
  --rules-enable IDS, --rules-disable IDS
              rule ids (comma-separated) the cflogs_rules row enables or disables besides the defaults, as
              CFLOGS_RULES_ENABLE / CFLOGS_RULES_DISABLE do (e.g. --rules-enable Cloudflare.HttpRequest.BotHighVolume)
rows: duckdb and cflogs both write zstd (cflogs' default output codec; its level comes from loadConfig, as the
Lambda's does) and are the compared pair; duckdb_gzip and cflogs_gzip write gzip, for reference; cflogs_parquet
(CFLOGS_OUTPUT_FORMAT=parquet) and duckdb_parquet write zstd Parquet; cflogs_compacted is cflogs_iceberg with the
table then compacted (cflogs compact: DuckDB, 256 MB memory limit), timed with the ingest; cflogs_rules is cflogs with the default
detection rules (the stage runs only for a log type with enabled rules: none of http_requests' is enabled).`;
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
/** Two vCPUs from 3,538 MB: what `cflogs_2core` is priced at (its wall time on two cores, twice the GB). */
const TWO_VCPU_GB = 3538 / 1024;
/**
 * S3 Standard storage in us-east-1, per GB-month: the first 50 TB a month (aws.amazon.com/s3/pricing, as of
 * 2026-12; $0.022 and $0.021 above 50 and 500 TB). S3 bills GB-months of 2^30 bytes.
 */
const S3_STANDARD_GB_MONTH_USD = 0.023;
/** How long the output is kept in the cost figure: a year of storage. */
const STORAGE_MONTHS = 12;
/**
 * Athena (SQL queries, engine v3) in us-east-1, per TB of data scanned: the compressed bytes read from S3
 * (aws.amazon.com/athena/pricing, as of 2026-12; rounded up to the MB, 10 MB minimum per query, which a TB's
 * output is far above). Taken as 2^40 bytes, as AWS bills data volumes in binary units.
 */
const ATHENA_SCAN_TB_USD = 5;
const GIB = 2 ** 30;
const TIB = 2 ** 40;

/** Rows priced in the report: those that write lake output, from one core at 1,769 MB, and the two-core rows at 3,538 MB. */
const COSTED = ['naive', 'duckdb', 'cflogs', 'cflogs_rules', 'cflogs_filtered', 'cflogs_2core', 'duckdb_gzip', 'cflogs_gzip', 'cflogs_parquet', 'cflogs_parquet_2core', 'cflogs_iceberg', 'cflogs_compacted', 'duckdb_parquet'] as const;
/** Rows run on two cores, priced at 3,538 MB. */
const TWO_CORE = new Set<string>(['cflogs_2core', 'cflogs_parquet_2core']);

interface Cost {
  /** Lambda GB-seconds at 1,769 MB for the seconds one TB of input takes on one core (3,538 MB and two cores for cflogs_2core). */
  compute: number;
  /** One Lambda request per object. */
  requests: number;
  /** GiB of output per TB (10^12 bytes) of uncompressed input. */
  outputGib: number;
  /** S3 Standard storage of that output for STORAGE_MONTHS. */
  storageYear: number;
  /** One Athena query that scans all of that output. */
  scan: number;
  total: number;
}

/**
 * Cost per TB (10^12 bytes) of uncompressed input, from a single-core throughput and the output size: Lambda compute at
 * 1,769 MB (one vCPU) for the seconds one TB takes, one request per object of `objectMb` uncompressed MB, a year of
 * S3 Standard storage of the output, and one Athena full scan of it. `outRatio` is output bytes per input byte.
 */
function costPerTb(mbps: number, objectMb: number, outRatio: number, gb = ONE_VCPU_GB): Cost {
  const seconds = 1e6 / mbps;
  const compute = LAMBDA_ARM64_GB_S_USD * gb * seconds;
  const requests = (1e6 / objectMb) * LAMBDA_REQUEST_USD;
  const outBytes = outRatio * 1e12;
  const storageYear = (outBytes / GIB) * S3_STANDARD_GB_MONTH_USD * STORAGE_MONTHS;
  const scan = (outBytes / TIB) * ATHENA_SCAN_TB_USD;
  return { compute, requests, outputGib: outBytes / GIB, storageYear, scan, total: compute + requests + storageYear + scan };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const log = (m: string): void => {
    process.stderr.write(m + '\n');
  };
  const m = machine(args.node);
  const corpus = await ensureCorpus(corpusOptions(args.lines, args.dataset), log);
  // Other data (another seed) than the timed corpus, of the same dataset.
  const warmup = args.cold ? undefined : await ensureCorpus({ ...corpusOptions(WARMUP_LINES, args.dataset), seed: 2 }, log);
  const workDir = join(DATA_DIR, 'work');
  const bundles = await buildBundles(join(DATA_DIR, 'build'));
  const pin = m.taskset ? '0' : undefined;
  const specs: RunSpec[] = [
    { label: 'floor', contender: 'floor', params: {}, cpus: pin },
    // Writes cflogs' output codec (loadConfig's default), as cflogs does.
    { label: 'floor_rewrite', contender: 'floor', params: { rewrite: true }, cpus: pin },
    { label: 'naive', contender: 'naive', params: {}, cpus: pin },
    // The compared pair: both write zstd (cflogs' default codec).
    { label: 'duckdb', contender: 'duckdb', params: { tmpDir: workDir, compression: 'zstd' }, cpus: pin },
    { label: 'cflogs', contender: 'cflogs', params: {}, cpus: pin },
    // cflogs with the default detection rules (as the Lambda builds them): run next to cflogs in every round.
    {
      label: 'cflogs_rules',
      contender: 'cflogs',
      params: { rules: true, ...(args.rulesEnable.length ? { rulesEnable: args.rulesEnable } : {}), ...(args.rulesDisable.length ? { rulesDisable: args.rulesDisable } : {}) },
      cpus: pin,
    },
    { label: 'cflogs_filtered', contender: 'cflogs', params: { filter: true }, cpus: pin },
    ...(m.nproc >= 2 ? [{ label: 'cflogs_2core', contender: 'cflogs' as const, params: {}, cpus: m.taskset ? '0,1' : undefined }] : []),
    // Reference: both writing gzip (cflogs as with CFLOGS_OUTPUT_COMPRESSION=gzip).
    { label: 'duckdb_gzip', contender: 'duckdb', params: { tmpDir: workDir, compression: 'gzip' }, cpus: pin },
    { label: 'cflogs_gzip', contender: 'cflogs', params: { compression: 'gzip' }, cpus: pin },
    // Parquet: cflogs as with CFLOGS_OUTPUT_FORMAT=parquet, and DuckDB writing zstd Parquet from the same query.
    { label: 'cflogs_parquet', contender: 'cflogs', params: { format: 'parquet' }, cpus: pin },
    ...(m.nproc >= 2 ? [{ label: 'cflogs_parquet_2core', contender: 'cflogs' as const, params: { format: 'parquet' }, cpus: m.taskset ? '0,1' : undefined }] : []),
    // Parquet, and the files committed to an Iceberg table (a local catalog): what the committer adds.
    { label: 'cflogs_iceberg', contender: 'cflogs', params: { format: 'parquet', iceberg: true }, cpus: pin },
    // The same, then the table compacted as `cflogs compact` does it (Glue's compaction optimizer, locally).
    { label: 'cflogs_compacted', contender: 'cflogs', params: { format: 'parquet', iceberg: true, compact: true }, cpus: pin },
    { label: 'duckdb_parquet', contender: 'duckdb', params: { tmpDir: workDir, format: 'parquet' }, cpus: pin },
    {
      label: 'e2e',
      contender: 'e2e',
      params: { tmpDir: workDir, s3ServerBundle: bundles.s3Server, serverCpus: m.taskset && m.nproc >= 2 ? '1' : undefined },
      cpus: pin,
    },
  ];
  const selected = args.only
    ? specs.filter((s) => args.only!.includes(s.label))
    : specs.filter((s) => !(args.quick && NOT_IN_QUICK.has(s.label)));
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
    const spec = specs.find((s) => s.label === args.profRow) as RunSpec;
    log(`  profiling ${args.profRow} (one more run, with --cpu-prof; not counted in the figures)`);
    await runOnce(spec, bundles, corpus, { workDir, timeoutMs, nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`], ...run });
    const file = newestProfile(dir);
    if (!file) throw new Error(`no .cpuprofile written in ${dir}`);
    profile = { ...analyseProfile(file, bundles.contenders.cflogs), row: args.profRow };
  }

  const rc = rulesCost(runs);
  const json = JSON.stringify(jsonReport(figures, corpus, m, args, profile, rc), null, 2) + '\n';
  writeFileSync(join(DATA_DIR, 'last-run.json'), json);
  if (args.json) {
    process.stdout.write(json);
  } else {
    process.stdout.write(textReport(figures, corpus, m, args, profile, rc));
  }
}

/**
 * What the rules stage costs: cflogs_rules against cflogs, per CPU-second, round by round (the two rows run one
 * after the other in every round, so each round's pair saw the same machine). Percent more CPU time for the same
 * object; the spread is the range over the rounds.
 */
interface RulesCost {
  /** Median over the rounds of 100 x (cflogs_rules CPU time / cflogs CPU time - 1). */
  cpu_pct: number;
  cpu_pct_min: number;
  cpu_pct_max: number;
  /** Each round's figure, in round order. */
  cpu_pct_rounds: number[];
  /** 100 x (the least CPU time of cflogs_rules / the least of cflogs - 1): each row's quietest run. */
  cpu_pct_of_minima: number;
  /** The change in MB per CPU-second, cflogs_rules' median against cflogs' (negative: slower). */
  mbps_cpu_pct: number;
  /** The same on wall time (median over the rounds). */
  wall_pct: number;
  rounds: number;
  /** Enabled rules of the corpus's log type (0: the stage was skipped). */
  rules_enabled: number;
  /** Rows the rules saw, their matches and the (rule, dedup) groups they made, in the timed object. */
  rule_rows: number;
  rule_matches: number;
  rule_groups: number;
  /**
   * The two rows wrote the same number of rows (the stage does not change the output; the compressed bytes may differ
   * by a few bytes, as zstd's stream is fed in chunks that depend on timing).
   */
  same_rows: boolean;
}

function rulesCost(runs: Map<string, ChildResult[]>): RulesCost | undefined {
  const base = runs.get('cflogs');
  const rules = runs.get('cflogs_rules');
  if (!base || !rules) return undefined;
  const n = Math.min(base.length, rules.length);
  const cpu: number[] = [];
  const wall: number[] = [];
  for (let i = 0; i < n; i++) {
    const b = base[i] as ChildResult;
    const r = rules[i] as ChildResult;
    cpu.push(100 * (r.cpu_ms / b.cpu_ms - 1));
    wall.push(100 * (r.wall_ms / b.wall_ms - 1));
  }
  const notes = (rules[0] as ChildResult).outcome.notes ?? {};
  return {
    cpu_pct: round(median(cpu), 1),
    cpu_pct_min: round(Math.min(...cpu), 1),
    cpu_pct_max: round(Math.max(...cpu), 1),
    cpu_pct_rounds: cpu.map((x) => round(x, 1)),
    cpu_pct_of_minima: round(100 * (Math.min(...rules.map((r) => r.cpu_ms)) / Math.min(...base.map((r) => r.cpu_ms)) - 1), 1),
    mbps_cpu_pct: round(100 * (median(base.map((r) => r.cpu_ms)) / median(rules.map((r) => r.cpu_ms)) - 1), 1),
    wall_pct: round(median(wall), 1),
    rounds: n,
    rules_enabled: Number(notes.rules_enabled ?? 0),
    rule_rows: Number(notes.rule_rows ?? 0),
    rule_matches: Number(notes.rule_matches ?? 0),
    rule_groups: Number(notes.rule_groups ?? 0),
    same_rows: [...base, ...rules].every((r) => r.outcome.rows === (base[0] as ChildResult).outcome.rows),
  };
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

/** Not targets: cflogs against DuckDB when both write gzip (the reference rows). */
const REFERENCE_RATIOS = [
  { name: 'cflogs_gzip / duckdb_gzip', a: 'cflogs_gzip', b: 'duckdb_gzip', what: 'both write gzip' },
  { name: 'cflogs_parquet / duckdb_parquet', a: 'cflogs_parquet', b: 'duckdb_parquet', what: 'both write zstd Parquet' },
  { name: 'cflogs_parquet / cflogs', a: 'cflogs_parquet', b: 'cflogs', what: 'Parquet against NDJSON, same build' },
] as const;

/** `bytes`: output bytes of a over b's. */
function referenceRatios(f: Record<string, Figure>): Record<string, { value: number; value_cpu: number; bytes: number }> {
  const out: Record<string, { value: number; value_cpu: number; bytes: number }> = {};
  for (const r of REFERENCE_RATIOS) {
    const a = f[r.a];
    const b = f[r.b];
    if (a && b) out[`${r.a}_${r.b}`] = { value: a.mbps / b.mbps, value_cpu: a.mbps_cpu / b.mbps_cpu, bytes: a.bytes_out / b.bytes_out };
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

function jsonReport(f: Record<string, Figure>, corpus: Corpus, m: Machine, args: Args, profile?: ProfileReport, rc?: RulesCost): object {
  // Rows not run (--only) are null, so the five keys are always there.
  const pick = (x: Figure | undefined): object | null => (x === undefined ? null : jsonFigure(x));
  return {
    floor: pick(f.floor),
    naive: pick(f.naive),
    duckdb: pick(f.duckdb),
    cflogs: pick(f.cflogs),
    e2e: pick(f.e2e),
    extras: {
      floor_rewrite: pick(f.floor_rewrite),
      cflogs_filtered: pick(f.cflogs_filtered),
      cflogs_rules: pick(f.cflogs_rules),
      cflogs_2core: pick(f.cflogs_2core),
      duckdb_gzip: pick(f.duckdb_gzip),
      cflogs_gzip: pick(f.cflogs_gzip),
      cflogs_parquet: pick(f.cflogs_parquet),
      cflogs_parquet_2core: pick(f.cflogs_parquet_2core),
      cflogs_iceberg: pick(f.cflogs_iceberg),
      cflogs_compacted: pick(f.cflogs_compacted),
      duckdb_parquet: pick(f.duckdb_parquet),
    },
    // cflogs_duckdb compares the two zstd rows.
    ratios: Object.fromEntries(
      Object.entries(ratios(f)).map(([k, v]) => [k, { ...v, value: round(v.value, 2), value_cpu: round(v.value_cpu, 2) }]),
    ),
    reference_ratios: Object.fromEntries(
      Object.entries(referenceRatios(f)).map(([k, v]) => [k, { value: round(v.value, 2), value_cpu: round(v.value_cpu, 2), bytes: round(v.bytes, 3) }]),
    ),
    // cflogs_rules against cflogs, per CPU-second, round by round (null when either row did not run).
    rules_cost: rc ?? null,
    corpus: {
      dataset: corpus.options.dataset,
      lines: corpus.lines,
      uncompressed_bytes: corpus.uncompressedBytes,
      compressed_bytes: corpus.compressedBytes,
      filtered_lines: corpus.needleLines,
      filter_needle: corpus.needle,
    },
    // Lambda only (compute + requests), as before; the parts and the total with storage and a scan are beside it.
    cost_per_tb_usd: Object.fromEntries(Object.entries(costs(f, corpus)).map(([k, c]) => [k, round(c.compute + c.requests, 3)])),
    cost_per_tb_total_usd: Object.fromEntries(Object.entries(costs(f, corpus)).map(([k, c]) => [k, round(c.total, 3)])),
    cost_per_tb_parts_usd: Object.fromEntries(
      Object.entries(costs(f, corpus)).map(([k, c]) => [
        k,
        {
          compute: round(c.compute, 4),
          requests: round(c.requests, 4),
          storage_year: round(c.storageYear, 3),
          athena_scan: round(c.scan, 3),
          total: round(c.total, 3),
          output_gib: round(c.outputGib, 1),
        },
      ]),
    ),
    cost_prices_usd: {
      region: 'us-east-1',
      lambda_arm64_gb_s: LAMBDA_ARM64_GB_S_USD,
      lambda_memory_gb: round(ONE_VCPU_GB, 4),
      lambda_million_requests: round(LAMBDA_REQUEST_USD * 1e6, 4),
      lambda_object_mb: round(corpus.uncompressedBytes / 1e6, 1),
      s3_standard_gb_month: S3_STANDARD_GB_MONTH_USD,
      storage_months: STORAGE_MONTHS,
      athena_tb_scanned: ATHENA_SCAN_TB_USD,
    },
    machine: m,
    mode: {
      quick: args.quick,
      reps: args.reps,
      warm: !args.cold,
      ...(args.cold ? {} : { warmup_lines: WARMUP_LINES }),
      ...(args.rulesEnable.length ? { rules_enable: args.rulesEnable } : {}),
      ...(args.rulesDisable.length ? { rules_disable: args.rulesDisable } : {}),
    },
    ...(profile ? { cpu_profile: profile } : {}),
  };
}

function costs(f: Record<string, Figure>, corpus: Corpus): Record<string, Cost> {
  const out: Record<string, Cost> = {};
  for (const k of COSTED) {
    const x = f[k];
    if (x) out[k] = costPerTb(x.mbps, corpus.uncompressedBytes / 1e6, x.bytes_out / corpus.uncompressedBytes, TWO_CORE.has(k) ? TWO_VCPU_GB : ONE_VCPU_GB);
  }
  return out;
}

function textReport(
  f: Record<string, Figure>,
  corpus: Corpus,
  m: Machine,
  args: Args,
  profile?: ProfileReport,
  rc?: RulesCost,
): string {
  const out: string[] = [];
  out.push('');
  out.push(
    `cflogs benchmark (${args.quick ? 'quick' : 'full'}, median of ${args.reps}, ${args.cold ? "cold processes" : "warm processes"}): ${corpus.lines} ${corpus.options.dataset} lines, ` +
      `${(corpus.uncompressedBytes / 1e6).toFixed(1)} MB uncompressed / ${(corpus.compressedBytes / 1e6).toFixed(1)} MB gzip; ` +
      `${m.cpu}, ${m.nproc} CPUs, node ${m.node}${m.taskset ? '' : ' (NOT pinned: taskset unavailable)'}; ` +
      `load average ${m.load_before} before, ${m.load_after} after`,
  );
  const contended = Object.entries(f).filter(([k, x]) => !TWO_CORE.has(k) && k !== 'e2e' && x.cpu_pct < 90);
  if (contended.length) {
    out.push(
      `warning: ${contended.map(([k]) => k).join(', ')} got under 90% of their core (other processes were running): ` +
        'wall-time figures are pessimistic there; the MB/CPU-s column is the steadier comparison.',
    );
  }
  out.push('');
  const codecOfRow = (x: Figure): string => (typeof x.notes?.codec === 'string' ? x.notes.codec : x.bytes_out > 0 ? '?' : '-');
  const codecWidth = Math.max(6, ...Object.values(f).map((x) => codecOfRow(x).length));
  out.push(`| ${'contender'.padEnd(16)} | ${'MB/s'.padStart(7)} | ${'lines/s'.padStart(9)} | ${'peak RSS MB'.padStart(11)} | ${'MB/CPU-s'.padStart(8)} | ${'CPU %'.padStart(5)} | ${'out MB'.padStart(7)} | ${'codec'.padEnd(codecWidth)} | cores |`);
  out.push(`|${'-'.repeat(18)}|${'-'.repeat(8)}:|${'-'.repeat(10)}:|${'-'.repeat(12)}:|${'-'.repeat(9)}:|${'-'.repeat(6)}:|${'-'.repeat(8)}:|${'-'.repeat(codecWidth + 2)}|-------|`);
  const cores = (label: string): string => (TWO_CORE.has(label) ? '2' : label === 'e2e' ? '1 (+1 s3rver)' : '1');
  for (const label of ROWS) {
    const x = f[label];
    if (!x) continue;
    const codec = codecOfRow(x);
    out.push(
      `| ${label.padEnd(16)} | ${fmt(x.mbps, 7, 1)} | ${fmt(x.lines_per_s, 9, 0)} | ${fmt(x.peak_rss_mb, 11, 0)} | ${fmt(x.mbps_cpu, 8, 1)} | ${fmt(x.cpu_pct, 5, 0)} | ${fmt(x.bytes_out / 1e6, 7, 1)} | ${codec.padEnd(codecWidth)} | ${cores(label)} |`,
    );
  }
  out.push('');
  out.push('detail: peak V8 heap in use / peak off-heap (Buffers, zlib) / heap retained after the work and a full GC (MB);');
  out.push('        share of CPU time on the main JS thread (the rest: zlib thread pool, GC helpers, DuckDB threads)');
  for (const label of ROWS) {
    const x = f[label];
    if (!x) continue;
    const retained = x.heap_after_gc_mb === undefined ? '    -' : fmt(x.heap_after_gc_mb, 5, 1);
    const main = x.main_thread_pct === undefined ? '' : `   main thread ${fmt(x.main_thread_pct, 3, 0)}%`;
    out.push(`  ${label.padEnd(16)} ${fmt(x.heap_used_peak_mb, 6, 1)} / ${fmt(x.external_peak_mb, 6, 1)} / ${retained}${main}`);
  }
  out.push('');
  const r = ratios(f);
  const codecOf = (label: string): string | undefined => {
    const c = f[label]?.notes?.codec;
    return typeof c === 'string' ? c : undefined;
  };
  for (const t of TARGETS) {
    const v = r[`cflogs_${t.of}`];
    if (!v) continue;
    // What each side wrote, so a reader sees the duckdb ratio is zstd against zstd.
    const a = codecOf('cflogs');
    const b = codecOf(t.of);
    out.push(
      `${t.name.padEnd(16)} ${fmt(v.value, 5, 2)}x   target >= ${t.target}x   ${(v.met ? 'met' : 'NOT met').padEnd(7)}   (per CPU-second: ${fmt(v.value_cpu, 4, 2)}x)` +
        (a && b ? `   [${a} vs ${b}]` : ''),
    );
  }
  if (f.cflogs) {
    const ok = f.cflogs.peak_rss_mb <= RSS_TARGET_MB;
    out.push(`cflogs peak RSS  ${fmt(f.cflogs.peak_rss_mb, 5, 0)} MB  target <= ${RSS_TARGET_MB} MB  ${ok ? 'met' : 'NOT met'}`);
  }
  // Wall time: what a second vCPU buys (its price is in the cost table).
  for (const [two, one, target] of [['cflogs_2core', 'cflogs', 1.6], ['cflogs_parquet_2core', 'cflogs_parquet', undefined]] as const) {
    const a = f[two];
    const b = f[one];
    if (!a || !b) continue;
    const v = a.mbps / b.mbps;
    out.push(
      `${two} / ${one} ${fmt(v, 5, 2)}x wall   ` +
        (target !== undefined ? `target >= ${target}x   ${v >= target ? 'met' : 'NOT met'}` : '(reference, not a target)') +
        `   (${fmt(a.cpu_pct, 3, 0)}% CPU, main thread ${fmt(a.main_thread_pct ?? 0, 2, 0)}% of it)`,
    );
  }
  if (f.cflogs && f.floor_rewrite) {
    out.push(
      `cflogs / floor_rewrite ${fmt(f.cflogs.mbps / f.floor_rewrite.mbps, 4, 2)}x   (not a target: floor_rewrite only parses, re-serialises and compresses as cflogs does` +
        (f.duckdb ? `, ${fmt(f.floor_rewrite.mbps / f.duckdb.mbps, 4, 2)}x DuckDB)` : ')'),
    );
  }
  for (const [k, v] of Object.entries(referenceRatios(f))) {
    const r = REFERENCE_RATIOS.find((x) => `${x.a}_${x.b}` === k);
    out.push(
      `${r?.name ?? k} ${fmt(v.value, 5, 2)}x   (reference, not a target: ${r?.what ?? ''})   (per CPU-second: ${fmt(v.value_cpu, 4, 2)}x; output bytes ${fmt(v.bytes, 5, 3)}x)`,
    );
  }
  if (rc) {
    const logType = String(f.cflogs_rules?.notes?.log_type ?? corpus.options.dataset);
    const changes = [...args.rulesEnable.map((id) => `+${id}`), ...args.rulesDisable.map((id) => `-${id}`)];
    const changed = changes.length ? ` (default set ${changes.join(' ')})` : '';
    const spread = rc.rounds > 1 ? ` (${rc.cpu_pct_min.toFixed(1)} to ${rc.cpu_pct_max.toFixed(1)} over ${rc.rounds} rounds: ${rc.cpu_pct_rounds.map((x) => x.toFixed(1)).join(', ')})` : ' (one round)';
    out.push(
      `cflogs_rules / cflogs: the rules stage costs ${signed(rc.cpu_pct)}% CPU time per object${spread}; ` +
        `${signed(rc.cpu_pct_of_minima)}% between the two rows' quietest runs; MB/CPU-s ${signed(rc.mbps_cpu_pct)}%; wall ${signed(rc.wall_pct)}%; target < 10%`,
    );
    out.push(
      rc.rules_enabled > 0
        ? `  ${rc.rules_enabled} rules${changed || ' of the default set'} enabled for ${logType}: they saw ${rc.rule_rows} rows, ${rc.rule_matches} matches in ${rc.rule_groups} groups` +
            (rc.same_rows ? '' : '; WARNING: the row counts differ from cflogs')
        : `  no rule${changed || ' of the default set'} is enabled for ${logType}: the stage is skipped, so the difference is noise` +
            (rc.same_rows ? '' : '; WARNING: the row counts differ from cflogs'),
    );
  }
  const groups = f.cflogs_parquet?.notes?.row_groups;
  if (f.cflogs_parquet && groups !== undefined) {
    out.push(`cflogs_parquet: ${f.cflogs_parquet.notes?.files} files, ${groups} row groups (${fmt(f.cflogs_parquet.rows / Number(groups), 0, 0)} rows each on average)`);
    const q = Number(f.cflogs_parquet.notes?.query_bytes ?? 0);
    const ndjson = f.cflogs?.bytes_out;
    out.push(
      `cflogs_parquet: a query of 5 columns (${String(f.cflogs_parquet.notes?.query_columns)}) reads ${fmt(q / 1e6, 0, 2)} MB of it (chunks and footers)` +
        (ndjson ? `, ${fmt((100 * q) / ndjson, 0, 1)}% of the NDJSON lake's ${fmt(ndjson / 1e6, 0, 1)} MB, which a query reads whole` : ''),
    );
  }
  if (f.cflogs_iceberg && f.cflogs_parquet) {
    out.push(`cflogs_iceberg / cflogs_parquet  ${fmt(f.cflogs_iceberg.mbps_cpu / f.cflogs_parquet.mbps_cpu, 0, 2)}x per CPU-second (the commit of the object's files to an Iceberg table)`);
  }
  const compacted = f.cflogs_compacted;
  if (compacted) {
    const q = Number(compacted.notes?.query_bytes ?? 0);
    const ndjson = f.cflogs?.bytes_out;
    const ingest = Number(compacted.notes?.ingest_bytes ?? 0);
    const duck = f.duckdb_parquet?.bytes_out;
    out.push(
      `cflogs_compacted: ${compacted.notes?.files} files, ${compacted.notes?.row_groups} row groups (${fmt(compacted.rows / Number(compacted.notes?.row_groups ?? 1), 0, 0)} rows each on average); ` +
        `${fmt(compacted.bytes_out / 1e6, 0, 2)} MB from ${fmt(ingest / 1e6, 0, 2)} MB (${fmt(compacted.bytes_out / ingest, 0, 3)}x), the compaction ${fmt(Number(compacted.notes?.compact_ms ?? 0) / 1000, 0, 2)} s of the timed work`,
    );
    if (duck) out.push(`cflogs_compacted / duckdb_parquet bytes  ${fmt(compacted.bytes_out / duck, 0, 3)}x   target <= 1.1x   ${compacted.bytes_out / duck <= 1.1 ? 'met' : 'NOT met'}`);
    out.push(
      `cflogs_compacted: a query of the 5 columns reads ${fmt(q / 1e6, 0, 2)} MB` +
        (ndjson ? `, ${fmt((100 * q) / ndjson, 0, 1)}% of the NDJSON lake's ${fmt(ndjson / 1e6, 0, 1)} MB   target <= 5%   ${(100 * q) / ndjson <= 5 ? 'met' : 'NOT met'}` : ''),
    );
  }
  if (f.cflogs_filtered) {
    const n = f.cflogs_filtered.notes?.filtered;
    out.push(`cflogs_filtered: raw exclude on ${corpus.needle} dropped ${n} of ${corpus.lines} lines (${((100 * corpus.needleLines) / corpus.lines).toFixed(1)}%)`);
  }
  const c = costs(f, corpus);
  if (Object.keys(c).length) {
    out.push('');
    out.push(
      `cost per TB of uncompressed input, USD, us-east-1: Lambda arm64 at 1,769 MB = ${ONE_VCPU_GB.toFixed(4)} GB (the _2core rows: 3,538 MB = ${TWO_VCPU_GB.toFixed(4)} GB, two vCPUs) ($${LAMBDA_ARM64_GB_S_USD}/GB-s), ` +
        `$${(LAMBDA_REQUEST_USD * 1e6).toFixed(2)}/M requests at ${(corpus.uncompressedBytes / 1e6).toFixed(0)} MB objects;\n` +
        `the output kept ${STORAGE_MONTHS} months in S3 Standard ($${S3_STANDARD_GB_MONTH_USD}/GB-month) and scanned once by Athena ($${ATHENA_SCAN_TB_USD}/TB)\n` +
        '(their GB and TB are 2^30 and 2^40 bytes; out GiB/TB is the output of one TB = 10^12 bytes of input)',
    );
    out.push(`| ${'row'.padEnd(16)} | ${'out GiB/TB'.padStart(10)} | ${'compute'.padStart(7)} | ${'requests'.padStart(8)} | ${'storage/yr'.padStart(10)} | ${'scan'.padStart(6)} | ${'total'.padStart(6)} |`);
    out.push(`|${'-'.repeat(18)}|${'-'.repeat(11)}:|${'-'.repeat(8)}:|${'-'.repeat(9)}:|${'-'.repeat(11)}:|${'-'.repeat(7)}:|${'-'.repeat(7)}:|`);
    for (const [k, v] of Object.entries(c)) {
      out.push(
        `| ${k.padEnd(16)} | ${fmt(v.outputGib, 10, 1)} | ${fmt(v.compute, 7, 2)} | ${fmt(v.requests, 8, 4)} | ${fmt(v.storageYear, 10, 2)} | ${fmt(v.scan, 6, 2)} | ${fmt(v.total, 6, 2)} |`,
      );
    }
  }
  if (profile) {
    out.push('');
    out.push(`${profile.row ?? 'cflogs'} CPU profile: top self time (${profile.totalMs.toFixed(0)} ms sampled; ${profile.file})`);
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

function signed(n: number): string {
  return `${n >= 0 ? '+' : ''}${n.toFixed(1)}`;
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
