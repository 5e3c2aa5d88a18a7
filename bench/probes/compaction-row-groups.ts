/**
 * `npx tsx bench/probes/compaction-row-groups.ts LAKE [--sizes 16384,32768,...] [--memory 256MB]`
 *
 * What the compaction's row group size gives. LAKE is a lake with Iceberg tables (`cflogs parse --out LAKE --iceberg
 * ...`, e.g. of the bench corpus). For each size, in a fresh process (so its peak RSS is its own), a copy of the
 * lake's warehouse is compacted as `cflogs compact --row-group-rows N` does it (lib/cli/compact.ts); the probe prints
 * the compacted files' bytes, the bytes a query of the bench's 5 columns reads of them (their column chunks and the
 * footers), the seconds and the peak RSS (Node and DuckDB), then removes the files it wrote. bench/README.md,
 * "Compaction", has the figures.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMPACTION_DEFAULTS, compactionDuckDB, compactTables } from '../../lib/cli/compact';
import { LocalCatalog, localFiles } from '../../lib/iceberg/catalog';
import { currentDataFiles } from '../../lib/iceberg/commit';
import { peakMb, resetPeak } from './peak';

const QUERY_COLUMNS = ['p_event_time', 'ClientIP', 'ClientRequestHost', 'ClientRequestPath', 'EdgeResponseStatus'];
const TABLE = 'cloudflare_httprequest';
const lit = (s: string): string => `'${s.replace(/'/g, "''")}'`;

async function child(lake: string, rowGroupRows: number, memoryLimit: string): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'cflogs-probe-compact-'));
  cpSync(join(lake, 'iceberg'), tmp, { recursive: true });
  const catalog = new LocalCatalog(tmp);
  const opts = { ...COMPACTION_DEFAULTS, rowGroupRows, memoryLimit };
  resetPeak();
  const t0 = performance.now();
  const [r] = await compactTables(catalog, [TABLE], opts);
  const seconds = (performance.now() - t0) / 1000;
  const peak = peakMb();
  const t = await catalog.load(TABLE);
  const files = t ? (await currentDataFiles(localFiles.read, t.metadata)).filter((f) => f.includes('/compacted-')) : [];
  const figures = await compactionDuckDB(opts, async (conn) => {
    const q = await conn.runAndReadAll(
      `SELECT count(*)::INTEGER, sum(total_compressed_size) FILTER (WHERE split_part(path_in_schema, ', ', 1) IN (${QUERY_COLUMNS.map(lit).join(', ')}))::BIGINT ` +
        `FROM parquet_metadata([${files.map(lit).join(', ')}]) WHERE column_id = 0`,
    );
    const chunks = await conn.runAndReadAll(
      `SELECT sum(total_compressed_size) FILTER (WHERE split_part(path_in_schema, ', ', 1) IN (${QUERY_COLUMNS.map(lit).join(', ')}))::BIGINT FROM parquet_metadata([${files.map(lit).join(', ')}])`,
    );
    const f = await conn.runAndReadAll(`SELECT sum(file_size_bytes)::BIGINT, sum(footer_size)::BIGINT FROM parquet_file_metadata([${files.map(lit).join(', ')}])`);
    const [groups] = q.getRows()[0] as [number];
    const [chunkBytes] = chunks.getRows()[0] as [bigint];
    const [bytes, footers] = f.getRows()[0] as [bigint, bigint];
    return { groups, bytes: Number(bytes), queryBytes: Number(chunkBytes) + Number(footers) + 8 * files.length };
  });
  for (const f of files) rmSync(f, { force: true });
  rmSync(tmp, { recursive: true, force: true });
  process.stdout.write(JSON.stringify({ rowGroupRows, before: r?.bytesBefore ?? 0, files: files.length, ...figures, seconds, peakMb: peak }) + '\n');
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') {
    await child(argv[3] as string, Number(argv[1]), argv[2] as string);
    return;
  }
  const opt = (name: string, def: string): string => {
    const i = argv.indexOf(name);
    if (i < 0) return def;
    const v = argv[i + 1] as string;
    argv.splice(i, 2);
    return v;
  };
  const sizes = opt('--sizes', '16384,32768,49152,65536,98304,122880').split(',').map(Number);
  const memory = opt('--memory', COMPACTION_DEFAULTS.memoryLimit);
  const [lake] = argv;
  if (!lake) throw new Error('usage: compaction-row-groups.ts LAKE [--sizes N,...] [--memory 256MB]');
  process.stdout.write(`lake ${lake}, table ${TABLE}; DuckDB memory_limit ${memory}, 1 thread\n`);
  process.stdout.write('| rows per group | row groups | bytes | x before | 5-column query bytes | seconds | peak RSS MB |\n|--:|--:|--:|--:|--:|--:|--:|\n');
  for (const n of sizes) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', __filename, '--child', String(n), memory, lake], { encoding: 'utf8' });
    if (r.status !== 0) {
      process.stdout.write(`| ${n} | failed: ${(r.stderr || '').split('\n').find((l) => l.includes('Error')) ?? r.status} |\n`);
      continue;
    }
    const x = JSON.parse(r.stdout.trim().split('\n').pop() as string) as { before: number; groups: number; bytes: number; queryBytes: number; seconds: number; peakMb: number };
    process.stdout.write(`| ${n} | ${x.groups} | ${x.bytes} | ${(x.bytes / x.before).toFixed(3)} | ${x.queryBytes} | ${x.seconds.toFixed(2)} | ${x.peakMb.toFixed(0)} |\n`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
