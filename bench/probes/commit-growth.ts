/**
 * `npx tsx bench/probes/commit-growth.ts [--commits 1440] [--inputs 2]`
 *
 * What a table's commits cost as its history grows: one commit per committer window (60 s: 1,440 a day) of `inputs`
 * hand-offs each (an object every 30 s), on a local catalog. Prints, every tenth of the run, the commit's wall time, the
 * metadata JSON's size, the manifest list's entries and size: what each commit reads and writes, and what a query
 * planner reads. bench/README.md, "Iceberg commits over time", has the figures.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalCatalog, localFiles } from '../../lib/iceberg/catalog';
import { appendHandoffs, Handoff } from '../../lib/iceberg/commit';
import { readManifestList } from '../../lib/iceberg/manifest';
import { currentSnapshot } from '../../lib/iceberg/metadata';
import { eventColumns } from '../../lib/lake/format';
import { builtInRegistry } from '../../lib/record/registry';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

async function main(): Promise<void> {
  const commits = arg('commits', 1440);
  const perCommit = arg('inputs', 2);
  const schema = builtInRegistry().require('Cloudflare.HttpRequest').schema;
  const columns = eventColumns(schema, 'parquet');
  const dir = mkdtempSync(join(tmpdir(), 'cflogs-commit-growth-'));
  const catalog = new LocalCatalog(dir);
  let now = Date.parse('2026-11-01T00:00:00Z');
  const deps = { catalog, ...localFiles, now: () => now };
  const stats = columns.filter((c) => c.type === 'bigint' || c.type === 'int').map((c) => ({ name: c.name, values: 100, nulls: 0, min: 1, max: 1000 }));
  process.stdout.write('commit  ms     metadata KB  manifests  manifest list KB\n');
  try {
    for (let i = 1; i <= commits; i++) {
      now += 60_000;
      const hour = new Date(now).toISOString().slice(0, 13).replace('T', ' ');
      const handoffs: Handoff[] = Array.from({ length: perCommit }, (_, j) => ({
        input: `s3://cflogs-input/cloudflare/http_requests/${hour}/object-${i}-${j}.log.gz#"0123456789abcdef0123456789abcdef"`,
        files: [{ path: `s3://cflogs-lake/logs/cloudflare_httprequest/${hour}/object-${i}-${j}.parquet`, bytes: 5_000_000, rows: 30_000, hour, columns: stats }],
      }));
      const t0 = performance.now();
      await appendHandoffs(deps, 'cloudflare_httprequest', columns, handoffs);
      const ms = performance.now() - t0;
      if (i % Math.max(1, Math.floor(commits / 10)) === 0 || i === 1) {
        const t = await catalog.load('cloudflare_httprequest');
        const list = currentSnapshot(t!.metadata)!['manifest-list'];
        const entries = readManifestList(await localFiles.read(list)).length;
        process.stdout.write(
          `${String(i).padStart(6)}  ${ms.toFixed(1).padStart(5)}  ${(statSync(t!.metadataLocation).size / 1024).toFixed(0).padStart(11)}  ${String(entries).padStart(9)}  ${(statSync(list).size / 1024).toFixed(0).padStart(16)}\n`,
        );
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
