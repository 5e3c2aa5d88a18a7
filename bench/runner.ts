/**
 * The shared runner: bundles each contender into its own script (as the Lambda is bundled, and so a contender's
 * process loads only its own code), then runs it in a fresh child process, pinned with taskset, and reads back
 * its ChildResult.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { NODE_OPTIONS } from '../infra/stack/runtime';
import type { ChildRequest, ChildResult } from './contender';
import type { Corpus } from './corpus';

export const CONTENDERS = ['floor', 'naive', 'duckdb', 'cflogs', 'e2e'] as const;
export type ContenderName = (typeof CONTENDERS)[number];

/** Native or lazily required packages stay outside the bundles and load from node_modules. */
const EXTERNAL = ['@duckdb/node-api', 's3rver'];

export interface Bundles {
  contenders: Record<ContenderName, string>;
  s3Server: string;
}

/** Builds one CommonJS bundle per contender, plus the s3rver helper of the e2e contender. */
export async function buildBundles(outDir: string): Promise<Bundles> {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const common = {
    bundle: true,
    platform: 'node' as const,
    target: 'node24',
    format: 'cjs' as const,
    external: EXTERNAL,
    logLevel: 'error' as const,
  };
  const contenders = {} as Record<ContenderName, string>;
  await Promise.all(
    CONTENDERS.map(async (name) => {
      const outfile = join(outDir, `${name}.js`);
      await build({
        ...common,
        stdin: {
          contents: `import { main } from './contender';\nimport c from './contenders/${name}';\nmain(${JSON.stringify(name)}, c);\n`,
          resolveDir: __dirname,
          loader: 'ts',
          sourcefile: `bench/${name}-main.ts`,
        },
        outfile,
      });
      contenders[name] = outfile;
    }),
  );
  const s3Server = join(outDir, 's3-server.js');
  await build({ ...common, entryPoints: [join(__dirname, 's3-server.ts')], outfile: s3Server });
  // The scan thread's code, beside the bundles that start it (lib/pipeline/scan-ahead.ts looks for it there).
  await build({ ...common, entryPoints: [join(__dirname, '..', 'lib', 'pipeline', 'scan-thread.ts')], outfile: join(outDir, 'scan-thread.js') });
  return { contenders, s3Server };
}

export interface RunSpec {
  /** Row in the report: floor, floor_rewrite, naive, duckdb, cflogs, e2e, cflogs_filtered, cflogs_2core, the gzip and Parquet rows. */
  label: string;
  contender: ContenderName;
  params: Record<string, unknown>;
  /** taskset CPU list, or undefined to run unpinned. */
  cpus: string | undefined;
}

export function tasksetWorks(): boolean {
  const r = spawnSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
  return r.status === 0;
}

/** `process.version` of another node binary. */
export function nodeVersion(path: string): string {
  const r = spawnSync(path, ['--version'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${path} --version failed: ${(r.stderr || r.error?.message || '').trim()}`);
  return r.stdout.trim();
}

export function cpuCount(): number {
  return cpus().length;
}

export interface RunOptions {
  workDir: string;
  /** Extra node flags (--cpu-prof...). */
  nodeArgs?: string[];
  /** Processed untimed before the timed run (see ChildRequest.warmup). */
  warmup?: Corpus;
  /** The node binary that runs the contenders (default: this one). */
  nodePath?: string;
  timeoutMs: number;
}

/** Runs one contender once in a fresh process; rejects if it fails or its output count is wrong. */
export async function runOnce(spec: RunSpec, bundles: Bundles, corpus: Corpus, opts: RunOptions): Promise<ChildResult> {
  mkdirSync(opts.workDir, { recursive: true });
  const stamp = `${spec.label}-${process.hrtime.bigint()}`;
  const reqPath = join(opts.workDir, `${stamp}.req.json`);
  const resultPath = join(opts.workDir, `${stamp}.result.json`);
  const req: ChildRequest = { contender: spec.contender, corpus, params: spec.params, resultPath, ...(opts.warmup ? { warmup: opts.warmup } : {}) };
  writeFileSync(reqPath, JSON.stringify(req));
  // --expose-gc only lets the harness measure retained heap after the timed work; it changes no GC behaviour.
  // cflogs runs with the functions' NODE_OPTIONS (heap limits): its speed and peak are the function's.
  const runtime = spec.contender === 'cflogs' || spec.contender === 'e2e' ? NODE_OPTIONS.split(' ') : [];
  const node = ['--expose-gc', ...runtime, ...(opts.nodeArgs ?? []), bundles.contenders[spec.contender], reqPath];
  const exe = opts.nodePath ?? process.execPath;
  const [cmd, args] = spec.cpus !== undefined ? ['taskset', ['-c', spec.cpus, exe, ...node]] : [exe, node];
  const stderr: Buffer[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(cmd, args as string[], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.on('data', (b: Buffer) => stderr.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('error', reject);
    child.on('exit', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  rmSync(reqPath, { force: true });
  if (code !== 0 || !existsSync(resultPath)) {
    throw new Error(`${spec.label} failed (exit ${code}):\n${Buffer.concat(stderr).toString().trim()}`);
  }
  const result = JSON.parse(readFileSync(resultPath, 'utf8')) as ChildResult;
  rmSync(resultPath, { force: true });
  const o = result.outcome;
  if (o.rows !== o.expectedRows) {
    throw new Error(`${spec.label} wrote ${o.rows} rows, expected ${o.expectedRows}: its figure would be meaningless`);
  }
  return result;
}

/** The newest .cpuprofile in a directory. */
export function newestProfile(dir: string): string | undefined {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort();
  const last = files[files.length - 1];
  return last === undefined ? undefined : join(dir, last);
}
