/**
 * Probe (not part of `npm run bench`): does cflogs use a second core? Runs the cflogs contender once, either as is
 * or with every gzip stream given a larger writable buffer (patched into zlib's Gzip before the core runs), and
 * prints wall time, CPU % and the main thread's share of CPU.
 *
 *   taskset -c 0,1 npx tsx bench/probes/two-core.ts bench/data/corpus-.../manifest.json default|deep [hwm KiB]
 *
 * What it found, in order. First, LakeWriter handed gzip 256 KiB blocks against a zlib stream's writable highWaterMark
 * of 16 KiB, so every block made write() return false and processStream waited for 'drain': two cores did no better
 * than one (fixed: a deeper write buffer, which `deep` imitates). Then 113% CPU remained: each block is one job on
 * libuv's thread pool, and the next job starts only when the main thread has run the last one's completion callback,
 * which it does between input chunks (each about 3 ms of parsing) at best; with 256 KiB jobs (1.6 ms of deflate) the
 * pool idled most of the time. 1 MiB blocks (6 ms of deflate per job) made it 146% CPU and 1.4-1.5x one core.
 */
import { readFileSync } from 'node:fs';
import { Gzip } from 'node:zlib';
import { threadCpuMs, threadSplit } from '../contender';
import type { Corpus } from '../corpus';
import cflogs from '../contenders/cflogs';

async function main(): Promise<void> {
  const corpus = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as Corpus;
  const mode = process.argv[3] ?? 'default';
  const hwm = Number(process.argv[4] ?? 4096) * 1024;
  if (mode === 'deep') {
    // zlib's exports are read-only: raise the writable buffer of every Gzip at its first write instead.
    const proto = Gzip.prototype as unknown as { write: (...a: unknown[]) => boolean };
    const write = proto.write;
    proto.write = function (this: { _writableState: { highWaterMark: number } }, ...a: unknown[]): boolean {
      this._writableState.highWaterMark = hwm;
      return write.apply(this, a);
    };
  }
  const work = await cflogs.prepare(corpus, {});
  const t0 = threadCpuMs();
  const c0 = process.cpuUsage();
  const start = performance.now();
  const out = await work();
  const wall = performance.now() - start;
  const c = process.cpuUsage(c0);
  const { main_thread_cpu_ms: main = 0, other_threads_cpu_ms: other = 0 } = threadSplit(t0, threadCpuMs());
  const cpu = (c.user + c.system) / 1000;
  console.log(
    `${mode}${mode === 'deep' ? ` (${hwm / 1024} KiB)` : ''}: ${out.rows} rows, ${(corpus.uncompressedBytes / 1e6 / (wall / 1000)).toFixed(1)} MB/s, ` +
      `CPU ${((100 * cpu) / wall).toFixed(0)}%, main thread ${((100 * main) / (main + other)).toFixed(0)}% of CPU`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
