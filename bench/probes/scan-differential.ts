/**
 * Probe (not part of `npm run bench`): the scanner (lib/record/scan.ts) against the general parser, longer than
 * test/unit/scan.test.ts runs it. Two parts:
 *
 *   npx tsx bench/probes/scan-differential.ts lines [LINES] [SEED]
 *     Every dataset's bench corpus (`--dataset D`: seed 1, unixnano) line by line through both parsers, then LINES
 *     lines per dataset of which 35% are fuzzed (testkit/differential.ts), with the seed given. Prints the lines
 *     compared, rows, rejects and lines the scanner took, and every difference; exit 1 if there is one.
 *
 *   npx tsx bench/probes/scan-differential.ts files TREE OUT [LINES]
 *     Runs TREE's `cflogs parse --out` (TREE: a checkout of this repository, e.g. a `git worktree` of an earlier
 *     commit) over every dataset's bench corpus with a fixed clock, in both output formats, into OUT/<format>/:
 *     run it for two trees and `diff -r` the two OUTs to compare their files byte for byte. The corpora are written
 *     once, next to OUT (its parent's inputs/): an input's path is its identity, which names files and rows.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { builtInRegistry } from '../../lib/record/registry';
import { compareParsers } from '../../testkit/differential';
import { DATASETS, generateLines, generateNdjson, logpushKey } from '../../testkit/generate';
import { gzipSync } from 'node:zlib';
import { corpusOptions } from '../corpus';

const CORPUS_LINES = 100_000;

function compareLines(fuzzLines: number, seed: number): number {
  const registry = builtInRegistry();
  let total = { lines: 0, rows: 0, rejects: 0, scanned: 0 };
  let differences = 0;
  for (const dataset of DATASETS) {
    const entry = registry.forDataset(dataset)!;
    const corpus = compareParsers(entry, generateLines(corpusOptions(CORPUS_LINES, dataset)), 0, seed);
    const fuzzed = compareParsers(entry, generateLines({ dataset, lines: fuzzLines, seed: seed + 1 }), 0.35, seed);
    for (const r of [corpus, fuzzed]) {
      total = { lines: total.lines + r.lines, rows: total.rows + r.rows, rejects: total.rejects + r.rejects, scanned: total.scanned + r.scanned };
      differences += r.found.length;
      for (const f of r.found) console.log(f);
    }
    console.log(`${dataset}: corpus ${corpus.lines} lines (${corpus.scanned} scanned), fuzzed ${fuzzed.lines} lines (${fuzzed.rows} rows, ${fuzzed.rejects} rejects, ${fuzzed.scanned} scanned)`);
  }
  console.log(`compared ${total.lines} lines: ${total.rows} rows, ${total.rejects} rejects, ${total.scanned} taken by the scanner; ${differences} differences`);
  return differences === 0 ? 0 : 1;
}

async function writeFiles(tree: string, out: string, lines: number): Promise<number> {
  const { parseCommand } = (await import(resolve(tree, 'lib/cli/parse.ts'))) as typeof import('../../lib/cli/parse');
  const inputs = join(dirname(resolve(out)), 'inputs');
  mkdirSync(inputs, { recursive: true });
  const sink = new Writable({ write: (_c, _e, done) => done() });
  let failed = 0;
  for (const dataset of DATASETS) {
    const opts = corpusOptions(lines, dataset);
    const file = join(inputs, logpushKey('', opts).split('/').join('_'));
    if (!existsSync(file)) writeFileSync(file, gzipSync(generateNdjson(opts)));
    for (const format of ['ndjson', 'parquet']) {
      const code = await parseCommand(
        ['--out', join(out, format), '--format', format, '--log-type', builtInRegistry().forDataset(dataset)!.schema.logType, file],
        { stdout: sink, stderr: process.stderr, stdin: process.stdin, clock: () => new Date(Date.UTC(2026, 11, 7)) },
        {},
      );
      if (code !== 0) failed++;
    }
  }
  return failed === 0 ? 0 : 1;
}

async function main(): Promise<void> {
  const [mode, a, b, c] = process.argv.slice(2);
  if (mode === 'lines') process.exitCode = compareLines(Number(a ?? 20_000), Number(b ?? 1));
  else if (mode === 'files' && a !== undefined && b !== undefined) process.exitCode = await writeFiles(a, b, Number(c ?? CORPUS_LINES));
  else {
    console.error('usage: scan-differential.ts lines [LINES] [SEED] | files TREE OUT [LINES]');
    process.exitCode = 2;
  }
}

void main();
