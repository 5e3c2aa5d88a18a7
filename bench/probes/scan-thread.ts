/**
 * Probe (not part of `npm run bench`): what the scan thread (lib/pipeline/scan-ahead.ts) does to each thread's work.
 * Runs the core over the bench corpus into a discarding lake, with the thread off and on in turn, and prints for
 * each run the wall time, the process's CPU time and the main thread's (`process.threadCpuUsage`): the main thread
 * is what the wall time waits on once the other work has a core of its own.
 *
 *   npx esbuild bench/probes/scan-thread.ts --bundle --platform=node --outfile=/tmp/probe/scan-thread-probe.js
 *   npx esbuild lib/pipeline/scan-thread.ts --bundle --platform=node --outfile=/tmp/probe/scan-thread.js
 *   taskset -c 0,1 node /tmp/probe/scan-thread-probe.js bench/data/corpus-.../manifest.json parquet|ndjson [pairs]
 *
 * Bundled (as the functions are), so the thread's code is beside the probe where the core looks for it; under tsx
 * the same module's exports are getters, which costs the hot loops several times over.
 */
import { createReadStream, readFileSync } from 'node:fs';
import { loadConfig } from '../../lib/config';
import { eventColumns } from '../../lib/lake/format';
import { LakeWriter } from '../../lib/lake/writer';
import { processStream } from '../../lib/pipeline/process';
import { processScanThread } from '../../lib/pipeline/scan-ahead';
import { builtInRegistry } from '../../lib/record/registry';
import type { Corpus } from '../corpus';
import { DiscardStore } from '../discard-store';

const seconds = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1e6;

async function main(): Promise<void> {
  const corpus = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as Corpus;
  const format = process.argv[3] ?? 'parquet';
  const pairs = Number(process.argv[4] ?? 4);
  const config = loadConfig({ CFLOGS_OUTPUT_FORMAT: format });
  const entry = builtInRegistry().forDataset(corpus.options.dataset);
  if (!entry) throw new Error(`no log type for ${corpus.options.dataset}`);
  const thread = processScanThread((e) => console.error(`the scan thread failed: ${String(e)}`));
  if (!thread) throw new Error('no scan-thread.js beside this script: bundle it there (see the header)');
  const columns = eventColumns(entry.schema, config.format);
  // The first pair warms both up (the JIT, the thread's start).
  for (let i = 0; i <= pairs; i++) {
    for (const on of [false, true]) {
      const sink = new LakeWriter({
        store: new DiscardStore(), prefix: '', baseName: 'probe', rejectTime: '2026-11-24 12:00:00.000000000',
        codec: config.codec, maxOpenFiles: config.maxOpenFiles, format: { name: config.format, columns: () => columns },
      });
      const cpu = process.cpuUsage();
      const main = process.threadCpuUsage();
      const t0 = performance.now();
      await processStream(createReadStream(corpus.path), { source: 'probe', identity: 'probe', entry, location: {} }, {
        sink, now: new Date(0), limits: config.limits, ...(on ? { scanAhead: thread } : {}),
      });
      const wall = (performance.now() - t0) / 1000;
      const all = seconds(process.cpuUsage(cpu));
      const mainThread = seconds(process.threadCpuUsage(main));
      if (i > 0) console.log(`${format} thread ${on ? 'on ' : 'off'}  wall ${wall.toFixed(2)} s  CPU ${all.toFixed(2)} s  main thread ${mainThread.toFixed(2)} s  other threads ${(all - mainThread).toFixed(2)} s`);
    }
  }
  await thread.close();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
