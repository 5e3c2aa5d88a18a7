/**
 * `npm run package`: everything `serverless deploy` needs, built and checked offline.
 *
 *   (npm's prepackage: npm run gen)    schemas/ -> lib/generated/
 *   1. bundle                          functions/*.ts -> .build/<name>/index.js(.map) -> .build/<name>.zip
 *   2. osls package                    serverless.yml + infra/ -> .serverless/ (CloudFormation template, artifacts),
 *                                      with no AWS credentials, no AWS config files and no telemetry: a clean,
 *                                      offline run that fails if anything in the config needs an AWS call
 *   3. report                          bundle sizes and cold-start module init time (median of fresh processes),
 *                                      also written to .build/package-report.json
 *
 * Usage: tsx scripts/package.ts [--bundle-only] [--runs N] [--no-measure] [--compare-sdk] [<osls options>]
 *   e.g. npm run package -- --stage prod --param="inputPrefixes=cloudflare/"   (other options go to osls)
 *   --bundle-only   stop after step 1 (what `npm run bundle` / `npm run deploy` use)
 *   --compare-sdk   also measure the S3 handler with the AWS SDK left out of the bundle (loaded from
 *                   node_modules, as the Lambda runtime's copy would be): the figure behind the bundling decision
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { build } from 'esbuild';
import { bundleFunction, BundleResult, entryPoints, LAMBDA_BUILD, writeAtomic } from './package/bundle';
import { InitTiming, measureOnce, measurementEnv, summarise } from './package/init-time';

const ROOT = join(__dirname, '..');
const BUILD = join(ROOT, '.build');

interface Options {
  bundleOnly: boolean;
  measure: boolean;
  runs: number;
  compareSdk: boolean;
  oslsArgs: string[];
}

function parseOptions(argv: string[]): Options {
  const o: Options = { bundleOnly: false, measure: true, runs: 9, compareSdk: false, oslsArgs: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      o.oslsArgs = argv.slice(i + 1);
      break;
    } else if (a === '--bundle-only') o.bundleOnly = true;
    else if (a === '--no-measure') o.measure = false;
    else if (a === '--compare-sdk') o.compareSdk = true;
    else if (a === '--runs') o.runs = Math.max(1, Number(argv[++i]));
    else if (a.startsWith('--runs=')) o.runs = Math.max(1, Number(a.slice(7)));
    else o.oslsArgs.push(a); // anything else is for osls (--stage, --param, --region, --package)
  }
  if (!Number.isInteger(o.runs)) throw new Error('--runs needs an integer');
  return o;
}

/** The environment osls runs in: no credentials, no profile, no config files, no metadata service, no telemetry. */
export function offlineEnv(home: string): Record<string, string> {
  const keep = ['PATH', 'LANG', 'LC_ALL', 'TMPDIR', 'TERM', 'SYSTEMROOT'];
  const env: Record<string, string> = {};
  for (const k of keep) if (process.env[k] !== undefined) env[k] = process.env[k]!;
  return {
    ...env,
    HOME: home,
    USERPROFILE: home,
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_SDK_LOAD_CONFIG: '0',
    AWS_CONFIG_FILE: join(home, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    SLS_TELEMETRY_DISABLED: '1',
    SLS_TRACKING_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    SLS_DEPRECATION_DISABLE: '*',
    SLS_INTERACTIVE_SETUP_DISABLE: '1',
    CI: '1',
  };
}

function oslsBin(): string {
  return join(dirname(require.resolve('osls/package.json')), 'bin', 'serverless.js');
}

/** `osls package <args>` in the offline environment, from the project root (quiet: output only on failure). */
export function runOslsPackage(args: string[], opts: { quiet?: boolean } = {}): void {
  mkdirSync(BUILD, { recursive: true });
  const home = mkdtempSync(join(BUILD, 'osls-home-'));
  try {
    const r = spawnSync(process.execPath, [oslsBin(), 'package', ...args], {
      cwd: ROOT,
      env: offlineEnv(home),
      stdio: ['ignore', opts.quiet ? 'pipe' : 'inherit', opts.quiet ? 'pipe' : 'inherit'],
      encoding: 'utf8',
      timeout: 300_000,
    });
    if (r.status !== 0) {
      const output = opts.quiet ? `:\n${r.stdout}${r.stderr}` : '';
      throw new Error(`osls package failed (exit ${r.status ?? r.signal})${output}`);
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/** The S3 handler bundled with the AWS SDK external, to be run against node_modules (the runtime-provided-SDK case). */
async function buildExternalSdkVariant(): Promise<string> {
  const out = join(BUILD, 'compare-sdk', `${process.pid}`, 'index.js');
  await build({
    absWorkingDir: ROOT,
    entryPoints: [join(ROOT, 'functions', 's3-ingest.ts')],
    outfile: out,
    ...LAMBDA_BUILD,
    external: ['@aws-sdk/*', '@smithy/*'],
    logLevel: 'error',
  });
  return out;
}

interface Variant {
  name: string;
  js: string;
  env: Record<string, string>;
  flags: string[];
  runs: number[];
}

/** Round-robin over the variants, so a burst of load on the machine spreads over all of them alike. */
function measureVariants(variants: Variant[], runs: number): Map<string, InitTiming> {
  for (let i = 0; i < runs; i++) for (const v of variants) v.runs.push(measureOnce(v.js, v.env, v.flags));
  return new Map(variants.map((v) => [v.name, summarise(v.runs)]));
}

const kb = (n: number): string => `${(n / 1024).toFixed(0)} KiB`;
const ms = (t: InitTiming | undefined): string => (t ? `${t.median.toFixed(0)} ms (min ${t.min.toFixed(0)})` : 'not measured');
const INIT_TARGET_MS = 150; // the S3 handler's cold start on this machine

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  mkdirSync(BUILD, { recursive: true });
  const started = Date.now();
  const bundles: BundleResult[] = await Promise.all(entryPoints(ROOT).map((fn) => bundleFunction(ROOT, fn, BUILD)));
  for (const b of bundles) process.stderr.write(`bundled ${relative(ROOT, b.entry)} -> ${relative(ROOT, b.zip)}\n`);
  if (opts.bundleOnly) return;

  runOslsPackage(opts.oslsArgs);
  const packageDir = packageDirOf(opts.oslsArgs);

  let timings = new Map<string, InitTiming>();
  const load = loadavg()[0]!;
  if (opts.measure) {
    const env = measurementEnv();
    const variants: Variant[] = bundles.flatMap((b) => [
      { name: b.name, js: b.js, env, flags: [], runs: [] },
      { name: `${b.name}+sm`, js: b.js, env, flags: ['--enable-source-maps'], runs: [] },
    ]);
    const external = opts.compareSdk ? await buildExternalSdkVariant() : undefined;
    if (external) variants.push({ name: 'external-sdk', js: external, env: measurementEnv({ NODE_PATH: join(ROOT, 'node_modules') }), flags: [], runs: [] });
    try {
      timings = measureVariants(variants, opts.runs);
    } finally {
      if (external) rmSync(dirname(external), { recursive: true, force: true });
    }
  }

  const report = {
    generatedAt: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    loadAverage: load,
    runs: opts.measure ? opts.runs : 0,
    functions: Object.fromEntries(
      bundles.map((b) => [
        b.name,
        {
          artifact: relative(ROOT, b.zip),
          jsBytes: b.jsBytes,
          mapBytes: b.mapBytes,
          zipBytes: b.zipBytes,
          initMs: timings.get(b.name),
          initWithSourceMapsMs: timings.get(`${b.name}+sm`),
          largestContributors: b.contributors.slice(0, 8),
        },
      ]),
    ),
    ...(timings.has('external-sdk') ? { s3IngestWithExternalSdkMs: timings.get('external-sdk') } : {}),
  };
  writeAtomic(join(BUILD, 'package-report.json'), JSON.stringify(report, null, 2) + '\n');

  const lines: string[] = ['', 'function       bundle     map        zip        init (require, fresh node)   with --enable-source-maps'];
  for (const b of bundles) {
    lines.push(
      `${b.name.padEnd(14)} ${kb(b.jsBytes).padEnd(10)} ${kb(b.mapBytes).padEnd(10)} ${kb(b.zipBytes).padEnd(10)} ` +
        `${ms(timings.get(b.name)).padEnd(28)} ${ms(timings.get(`${b.name}+sm`))}`,
    );
    lines.push(`  largest: ${b.contributors.slice(0, 5).map((c) => `${c.name} ${kb(c.bytes)}`).join(', ')}`);
  }
  if (timings.has('external-sdk')) {
    lines.push(`s3-ingest with the AWS SDK loaded from node_modules instead of bundled: ${ms(timings.get('external-sdk'))}`);
  }
  const s3 = timings.get('s3-ingest');
  if (s3) {
    lines.push(
      `(${opts.runs} runs each, round-robin, on ${process.version}, ${cpus().length} CPUs, load average ${load.toFixed(1)}; ` +
        `init = compile + top-level code of the bundle)`,
      `s3-ingest init target < ${INIT_TARGET_MS} ms: ${s3.median < INIT_TARGET_MS ? 'met' : 'NOT met'} (median ${s3.median.toFixed(0)} ms)` +
        (load > cpus().length * 0.75 ? ' - the machine is busy: figures are inflated, re-run when idle' : ''),
    );
  }
  lines.push(`packaged in ${((Date.now() - started) / 1000).toFixed(1)} s: ${relative(ROOT, join(packageDir, 'cloudformation-template-update-stack.json'))}`);
  process.stdout.write(lines.join('\n') + '\n');
}

/** Where osls writes (its --package / -p option, else .serverless). */
function packageDirOf(args: string[]): string {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if ((a === '--package' || a === '-p') && args[i + 1]) return resolve(ROOT, args[i + 1]!);
    if (a.startsWith('--package=')) return resolve(ROOT, a.slice('--package='.length));
  }
  return join(ROOT, '.serverless');
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`package: ${(e as Error).message}\n`);
    process.exitCode = 1;
  });
}

