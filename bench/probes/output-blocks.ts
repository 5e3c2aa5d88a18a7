/**
 * Probe (not part of `npm run bench`): how fast output rows become gzip input, by block size.
 * `npx tsx bench/probes/output-blocks.ts [lines]`, ideally under `taskset -c 0`.
 *
 * LakeWriter joins rows into a string until it holds >= 128 KiB (BLOCK_BYTES), then writes it to gzip, which
 * encodes it to UTF-8. A string of 2^17 bytes or more is a V8 large object (its own mmap'ed region, freed only by
 * a full GC): with blocks always just over 128 KiB, every join lands there. This prints join and join + encode
 * throughput below and above that line, and the alternative of writing each row into a reused Buffer.
 */
import { generateLines } from '../../testkit/generate';

const lines = Number(process.argv[2] ?? 20000);
const rows: string[] = [];
for (const l of generateLines({ dataset: 'http_requests', lines })) rows.push(JSON.stringify(JSON.parse(l)));

function blocksOf(size: number): string[][] {
  const blocks: string[][] = [];
  let pending: string[] = [];
  let chars = 0;
  for (const r of rows) {
    pending.push(r);
    chars += r.length + 1;
    if (chars >= size) {
      blocks.push(pending);
      pending = [];
      chars = 0;
    }
  }
  return blocks;
}

function mbps(blocks: string[][], fn: (b: string[]) => unknown): number {
  const bytes = blocks.reduce((a, b) => a + b.reduce((x, r) => x + r.length + 1, 0), 0);
  let best = 0;
  for (let k = 0; k < 3; k++) {
    const t = performance.now();
    for (const b of blocks) fn(b);
    best = Math.max(best, bytes / 1e6 / ((performance.now() - t) / 1000));
  }
  return best;
}

const out = Buffer.allocUnsafe(4 << 20);
console.log(`${rows.length} rows, ${(rows.reduce((a, r) => a + r.length + 1, 0) / 1e6).toFixed(1)} MB; best of 3, MB/s`);
console.log('block bytes | join | join + "\\n" + Buffer.from (what LakeWriter does) | rows written into one reused Buffer');
for (const size of [32 * 1024, 64 * 1024, 120 * 1024, 128 * 1024, 256 * 1024, 1024 * 1024]) {
  const blocks = blocksOf(size);
  const join = mbps(blocks, (b) => b.join('\n'));
  const lake = mbps(blocks, (b) => Buffer.from(b.join('\n') + '\n'));
  const direct = mbps(blocks, (b) => {
    let p = 0;
    for (const r of b) {
      p += out.write(r, p, 'utf8');
      out[p++] = 10;
    }
    return out.subarray(0, p);
  });
  console.log(`${String(size).padStart(11)} | ${join.toFixed(0).padStart(5)} | ${lake.toFixed(0).padStart(5)} | ${direct.toFixed(0).padStart(5)}`);
}
