/**
 * `npm run build:cli` (and npm's prepack): the command line as one file, dist/cflogs.js, the package's `bin`. Bundled
 * as the functions are (esbuild, CommonJS, minified), for Node 22.15 and later, with the entry's shebang; the third-party
 * licences beside it (dist/cflogs.js.LEGAL.txt), and the scan thread's code (dist/scan-thread.js). DuckDB stays outside: `cflogs query` and `compact` load it when run,
 * from the optional dependency `@duckdb/node-api` (a native module per platform, which no bundle can carry).
 */
import { chmodSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';
import { LAMBDA_BUILD } from './package/bundle';

const ROOT = join(__dirname, '..');
export const CLI_BUNDLE = join(ROOT, 'dist', 'cflogs.js');

export async function buildCli(outfile = CLI_BUNDLE): Promise<void> {
  mkdirSync(dirname(outfile), { recursive: true });
  await build({
    ...LAMBDA_BUILD,
    absWorkingDir: ROOT,
    entryPoints: [join(ROOT, 'lib', 'cli', 'main.ts')],
    outfile,
    target: 'node22',
    external: ['@duckdb/node-api'],
    legalComments: 'linked',
    logLevel: 'warning',
  });
  chmodSync(outfile, 0o755);
  // The scan thread's code, beside the command (lib/pipeline/scan-ahead.ts looks for it there).
  await build({
    ...LAMBDA_BUILD,
    absWorkingDir: ROOT,
    entryPoints: [join(ROOT, 'lib', 'pipeline', 'scan-thread.ts')],
    outfile: join(dirname(outfile), 'scan-thread.js'),
    target: 'node22',
    legalComments: 'none', // the same packages' licences as the command's
    logLevel: 'warning',
  });
}

if (require.main === module) {
  buildCli().then(
    () => process.stdout.write(`built ${CLI_BUNDLE}\n`),
    (e: unknown) => {
      process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
