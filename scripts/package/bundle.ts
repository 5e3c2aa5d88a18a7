/**
 * esbuild, one bundle per Lambda entry point (functions/*.ts) -> .build/<name>/index.js (+ .map) -> .build/<name>.zip,
 * the artifact serverless.yml deploys (`package.artifact`), so no Serverless plugin is involved.
 *
 * AWS SDK v3: bundled, not taken from the Lambda runtime. `npm run package -- --compare-sdk` measures both
 * (require of the S3 handler in fresh node processes, round-robin, on the 2-CPU development machine): bundled
 * 167 ms median / 131 ms min against 171 / 147 ms with the SDK resolved from node_modules the way the runtime's
 * copy is loaded (load average 1.2), and 344 / 290 against 454 / 363 ms on a busy machine. One minified,
 * tree-shaken file is compiled once instead of hundreds of small modules being resolved, read and compiled, and
 * the gap grows with contention. Bundling also pins the SDK version the tests ran against (the runtime's copy
 * changes without notice) and drops the clients and credential providers the code never loads. The cost is a
 * bigger artifact (under 1.1 MB zipped, most of it the source map), which Lambda fetches once per sandbox.
 */
import { mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { build, BuildOptions, Metafile } from 'esbuild';
import { createZip } from './zip';

export interface BundleResult {
  /** `s3-ingest`, from functions/s3-ingest.ts. */
  name: string;
  entry: string;
  js: string;
  zip: string;
  jsBytes: number;
  mapBytes: number;
  zipBytes: number;
  /** Bytes in the bundle per package (or `lib`, `functions`), largest first. */
  contributors: { name: string; bytes: number }[];
}

/** The Lambda entry points: every functions/*.ts (the handler is `index.handler` in each artifact). */
export function entryPoints(root: string): { name: string; entry: string }[] {
  return readdirSync(join(root, 'functions'))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.endsWith('.test.ts'))
    .sort()
    .map((f) => ({ name: basename(f, '.ts'), entry: join(root, 'functions', f) }));
}

/** The functions whose wiring may start the scan thread (lib/wiring.ts wireS3). */
const SCAN_THREAD_FUNCTIONS = new Set(['s3-ingest']);

/** How a Lambda function is built; shared with the runtime-provided-SDK comparison in scripts/package.ts. */
export const LAMBDA_BUILD = {
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'cjs',
  minify: true,
  // ESM builds first: the AWS SDK v3 and Powertools ship `module` entries that tree-shake far better.
  mainFields: ['module', 'main'],
  charset: 'utf8',
} satisfies BuildOptions;

export async function bundleFunction(root: string, fn: { name: string; entry: string }, outRoot: string): Promise<BundleResult> {
  const dir = join(outRoot, fn.name);
  mkdirSync(dir, { recursive: true });
  const js = join(dir, 'index.js');
  const result = await build({
    absWorkingDir: root,
    entryPoints: [fn.entry],
    outfile: js,
    write: false, // written below, each file atomically: concurrent runs (a test and a developer) never see halves
    ...LAMBDA_BUILD,
    treeShaking: true,
    // index.js.map next to the code, linked by a comment: used when NODE_OPTIONS has --enable-source-maps.
    sourcemap: 'linked',
    sourcesContent: true,
    legalComments: 'linked', // licences kept, in index.js.LEGAL.txt, out of the code Lambda compiles
    metafile: true,
    logLevel: 'warning',
  });
  const files = new Map(result.outputFiles.map((f) => [basename(f.path), Buffer.from(f.contents)]));
  const code = files.get('index.js');
  const map = files.get('index.js.map');
  if (!code || !map) throw new Error(`esbuild produced no index.js / index.js.map for ${fn.entry}`);
  // A function that may start the scan thread carries its code beside index.js, where lib/pipeline/scan-ahead.ts looks.
  if (SCAN_THREAD_FUNCTIONS.has(fn.name)) {
    const thread = await build({
      absWorkingDir: root,
      entryPoints: [join(root, 'lib', 'pipeline', 'scan-thread.ts')],
      outfile: join(dir, 'scan-thread.js'),
      write: false,
      ...LAMBDA_BUILD,
      treeShaking: true,
      legalComments: 'none', // the same packages' licences as index.js.LEGAL.txt
      logLevel: 'warning',
    });
    for (const f of thread.outputFiles) files.set(basename(f.path), Buffer.from(f.contents));
  }
  const order = ['index.js', 'index.js.map', 'index.js.LEGAL.txt', 'scan-thread.js'].filter((f) => files.has(f));
  const zipBuf = await createZip(order.map((f) => ({ name: f, data: files.get(f)! })));
  for (const [name, data] of files) writeAtomic(join(dir, name), data);
  writeAtomic(join(dir, 'meta.json'), Buffer.from(JSON.stringify(result.metafile)));
  const zip = join(outRoot, `${fn.name}.zip`);
  writeAtomic(zip, zipBuf);
  return {
    name: fn.name,
    entry: fn.entry,
    js,
    zip,
    jsBytes: code.length,
    mapBytes: map.length,
    zipBytes: zipBuf.length,
    contributors: contributors(result.metafile as Metafile),
  };
}

/** Write to a temporary name, then rename over the target: readers see the old file or the new one. */
export function writeAtomic(path: string, data: Buffer | string): void {
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

function contributors(meta: Metafile): { name: string; bytes: number }[] {
  const out = Object.entries(meta.outputs).find(([k]) => k.endsWith('.js'))?.[1];
  const by = new Map<string, number>();
  for (const [path, info] of Object.entries(out?.inputs ?? {})) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
    const name = m ? m[1]! : path.split('/')[0]!;
    by.set(name, (by.get(name) ?? 0) + info.bytesInOutput);
  }
  return [...by.entries()].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes);
}
