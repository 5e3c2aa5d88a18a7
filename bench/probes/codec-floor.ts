/**
 * Probe (not part of `npm run bench`): what the codecs alone cost, the part of cflogs' time no parser can save.
 * Reads a bench corpus (gzip) and an NDJSON lake file cflogs wrote from it (zstd), then times, in CPU seconds of
 * this process (zlib runs on libuv's pool, counted too): gunzip of the corpus as cflogs reads it (256 KiB chunks),
 * and zstd at the output's level of the rows that file holds, written as cflogs writes them (1 MiB blocks). Prints
 * each, and the MB per CPU-second of uncompressed input that the two alone would allow.
 *
 *   taskset -c 0 npx tsx bench/probes/codec-floor.ts bench/data/corpus-.../manifest.json OUT.json.zst [LEVEL]
 */
import { readFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Readable, Writable } from 'node:stream';
import { constants, createGunzip, createZstdCompress, zstdDecompressSync } from 'node:zlib';
import type { Corpus } from '../corpus';

const CHUNK = 256 * 1024;
const BLOCK = 1024 * 1024;

async function cpuSeconds(work: () => Promise<void>): Promise<number> {
  let best = Infinity;
  for (let r = 0; r < 3; r++) {
    const c0 = process.cpuUsage();
    await work();
    const c = process.cpuUsage(c0);
    best = Math.min(best, (c.user + c.system) / 1e6);
  }
  return best;
}

const discard = (): Writable => new Writable({ write: (_c, _e, done) => done() });

async function main(): Promise<void> {
  const corpus = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as Corpus;
  const rows = zstdDecompressSync(readFileSync(process.argv[3] as string));
  const level = Number(process.argv[4] ?? 3);
  const input = readFileSync(corpus.path);
  const gunzip = await cpuSeconds(() => pipeline(Readable.from([input]), createGunzip({ chunkSize: CHUNK }), discard()));
  const blocks = function* (): Generator<Buffer> {
    for (let at = 0; at < rows.length; at += BLOCK) yield rows.subarray(at, at + BLOCK);
  };
  const zstd = await cpuSeconds(() =>
    pipeline(Readable.from(blocks()), createZstdCompress({ params: { [constants.ZSTD_c_compressionLevel]: level, [constants.ZSTD_c_checksumFlag]: 1 } }), discard()),
  );
  const mb = corpus.uncompressedBytes / 1e6;
  console.log(`gunzip of ${mb.toFixed(1)} MB: ${gunzip.toFixed(2)} CPU-s; zstd ${level} of ${(rows.length / 1e6).toFixed(1)} MB of rows: ${zstd.toFixed(2)} CPU-s`);
  console.log(`the two alone: ${(mb / (gunzip + zstd)).toFixed(1)} MB of input per CPU-second`);
}

void main();
