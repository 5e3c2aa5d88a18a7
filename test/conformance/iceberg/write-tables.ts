/**
 * Writes an Iceberg warehouse from the demo's sample objects, as the pipeline and the committer would: each object
 * parsed into Parquet data files by the real lake writer, each object's files handed to the committer
 * (lib/iceberg/commit.ts) on a local catalog. The same hand-off is delivered three times, two commits race, and one
 * object's files are written twice (a crash after the data files, before the commit): the tables must still hold
 * each row once. Then every table is compacted (`cflogs compact`'s bin-pack, one `replace` snapshot), and both versions
 * are listed: the last append's metadata, whose files stay on disk, and the compacted one; and one file of a table
 * whose manifest holds two is rewritten alone, so the other is carried as EXISTING. Prints the warehouse's
 * tables and what each must hold (count, row ids, event times to the microsecond, the snapshots' operations), for
 * check_tables.py to compare with what pyiceberg reads.
 *
 * Run by test/conformance/iceberg/run.ts (`npm run conformance:iceberg`).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMPACTION_DEFAULTS, compactionDuckDB, compactTables, rewriteBin } from '../../../lib/cli/compact';
import { appendHandoffs, Handoff, handoffOf, MIN_MANIFESTS_TO_MERGE } from '../../../lib/iceberg/commit';
import { LocalCatalog, localFiles } from '../../../lib/iceberg/catalog';
import { currentSchema } from '../../../lib/iceberg/metadata';
import { liveFiles, replaceFiles } from '../../../lib/iceberg/rewrite';
import { outputCodec } from '../../../lib/lake/codec';
import { eventColumns, LakeColumn } from '../../../lib/lake/format';
import { objectBaseName } from '../../../lib/lake/layout';
import { LocalStore } from '../../../lib/lake/local-store';
import { LakeWriter } from '../../../lib/lake/writer';
import { DEFAULT_LIMITS, processStream } from '../../../lib/pipeline/process';
import { builtInRegistry } from '../../../lib/record/registry';
import { formatDate } from '../../../lib/record/timestamps';
import { Router } from '../../../lib/route/router';
import { sampleObjects } from '../../../scripts/samples';
import { generateLines } from '../../../testkit/generate';
import { MemorySink } from '../../../testkit/memory-sink';

/** The rows a table must hold: each row of its inputs, as the row writer writes it. */
export interface ExpectedRow {
  rowId: string;
  eventTime: string;
  ips: string[] | null;
}

export interface SampleTable {
  columns: LakeColumn[];
  handoffs: Handoff[];
  rows: ExpectedRow[];
}

/**
 * The sample objects' Parquet data files under `dataDir`, written by the real pipeline, and one hand-off per object, by
 * table. `crash`: the objects whose files are written twice, as after a crash between the data files and the commit.
 */
export async function sampleHandoffs(dataDir: string, crash: (key: string) => boolean = () => false): Promise<Map<string, SampleTable>> {
  return objectHandoffs(sampleObjects(), dataDir, crash);
}

/** The hand-offs of any Logpush-named objects, as sampleHandoffs makes the samples'. */
async function objectHandoffs(objects: { key: string; body: Buffer }[], dataDir: string, crash: (key: string) => boolean = () => false): Promise<Map<string, SampleTable>> {
  const router = new Router([], builtInRegistry());
  const now = new Date('2026-11-24T12:00:00Z');
  const tables = new Map<string, SampleTable>();
  for (const sample of objects) {
    const route = router.route(sample.key);
    if (!route || sample.key.includes('ownership-challenge')) continue;
    const identity = `s3://samples/${sample.key}`;
    const input = { source: identity, identity, entry: route.entry, location: { key: sample.key } };
    const columns = eventColumns(route.entry.schema, 'parquet');
    const writeFiles = async () => {
      const sink = new LakeWriter({
        store: new LocalStore(dataDir),
        prefix: '',
        baseName: objectBaseName(sample.key, identity),
        rejectTime: formatDate(now),
        codec: outputCodec('zstd'),
        maxOpenFiles: 4,
        format: { name: 'parquet', columns: () => columns },
      });
      return (await processStream([sample.body], input, { sink, now, limits: DEFAULT_LIMITS })).outputs;
    };
    if (crash(sample.key)) await writeFiles();
    const h = handoffOf(identity, await writeFiles(), (key) => join(dataDir, key));
    if (h.files.length === 0) continue;
    const mem = new MemorySink();
    await processStream([sample.body], input, { sink: mem, now, limits: DEFAULT_LIMITS });
    const rows = mem.rows.map((r) => JSON.parse(r.json) as { p_row_id: string; p_event_time: string; p_any_ip_addresses?: string[] });
    const t = tables.get(route.entry.plan.table) ?? { columns, handoffs: [], rows: [] };
    t.handoffs.push(h);
    t.rows.push(...rows.map((r) => ({ rowId: r.p_row_id, eventTime: r.p_event_time, ips: r.p_any_ip_addresses ?? null })));
    tables.set(route.entry.plan.table, t);
  }
  return tables;
}

export async function writeTables(out: string): Promise<void> {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const warehouse = join(out, 'warehouse');
  const catalog = new LocalCatalog(warehouse);
  const deps = { catalog, ...localFiles, now: () => Date.parse('2026-11-24T12:00:00Z') };
  const tables = await sampleHandoffs(join(out, 'data'), (key) => key.includes('firewall_events'));
  const report: Record<string, unknown> = {};
  for (const [table, { columns, handoffs: hs, rows }] of tables) {
    const [first, ...rest] = hs as [Handoff, ...Handoff[]];
    // The first hand-off three times, then the rest racing each other in pairs.
    for (let i = 0; i < 3; i++) await appendHandoffs(deps, table, columns, [first]);
    for (let i = 0; i < rest.length; i += 2) {
      await Promise.all(rest.slice(i, i + 2).map((h) => appendHandoffs(deps, table, columns, [h])));
    }
    const again = await appendHandoffs(deps, table, columns, hs);
    if (again.committed.length !== 0) throw new Error(`${table}: a hand-off delivered again was committed again`);
    const loaded = await catalog.load(table);
    if (!loaded) throw new Error(`${table}: no table`);
    const operations = loaded.metadata.snapshots.map((s) => s.summary.operation);
    report[table] = { metadata: loaded.metadataLocation, snapshots: loaded.metadata.snapshots.length, operations, rows };
    const [compaction] = await compactTables(catalog, [table], COMPACTION_DEFAULTS, deps.now);
    if (compaction?.snapshotId === undefined) continue;
    const compacted = await catalog.load(table);
    if (!compacted) throw new Error(`${table}: no table`);
    report[`${table} (compacted: ${compaction.filesBefore} files -> ${compaction.filesAfter})`] = {
      metadata: compacted.metadataLocation,
      snapshots: compacted.metadata.snapshots.length,
      operations: [...operations, 'replace'],
      rows,
    };
  }
  if (!Object.keys(report).some((k) => k.includes('(compacted'))) throw new Error('no table had files to compact');
  // A rewrite of one file of a manifest that holds two (one input's two event hours): the other is carried EXISTING.
  for (const [table, { rows }] of tables) {
    const loaded = await catalog.load(table);
    if (!loaded) continue;
    const live = await liveFiles(localFiles.read, loaded.metadata);
    const one = live.find((f) => live.some((g) => g !== f && g.snapshotId === f.snapshotId && g.sequenceNumber === f.sequenceNumber));
    if (!one) continue;
    const schema = currentSchema(loaded.metadata);
    const added = await compactionDuckDB(COMPACTION_DEFAULTS, (conn, scratch) =>
      rewriteBin(conn, schema, [{ path: one.file.filePath, bytes: one.file.fileSizeInBytes, rows: one.file.recordCount, rowGroups: 1, compacted: false }], COMPACTION_DEFAULTS, scratch),
    );
    const r = await replaceFiles(deps, table, [{ replaced: [one.file.filePath], added: [added] }]);
    const after = await catalog.load(table);
    if (r.snapshotId === undefined || !after) throw new Error(`${table}: the rewrite of ${one.file.filePath} was not committed`);
    report[`${table} (one file of a manifest rewritten, the other EXISTING)`] = {
      metadata: after.metadataLocation,
      snapshots: after.metadata.snapshots.length,
      operations: after.metadata.snapshots.map((s) => s.summary.operation),
      rows,
    };
    break;
  }
  if (!Object.keys(report).some((k) => k.includes('EXISTING'))) throw new Error('no manifest held two files');
  // One commit per input past the count at which appends merge manifests: the merged manifest's EXISTING entries.
  const appends = MIN_MANIFESTS_TO_MERGE + 10;
  const small = Array.from({ length: appends }, (_, i) => ({
    key: `cloudflare/http_requests/20261101/20261101T1000${String(i).padStart(4, '0')}Z_merge.log`,
    body: Buffer.from([...generateLines({ dataset: 'http_requests', lines: 2, seed: 1000 + i, timestampFormat: 'unixnano', spanSeconds: 600 })].join('\n') + '\n'),
  }));
  const merging = new LocalCatalog(join(out, 'warehouse-merged'));
  const mergeDeps = { ...deps, catalog: merging };
  for (const [table, { columns, handoffs: hs, rows }] of await objectHandoffs(small, join(out, 'data-merged'))) {
    for (const h of hs) await appendHandoffs(mergeDeps, table, columns, [h]);
    const loaded = await merging.load(table);
    if (!loaded) throw new Error(`${table}: no table`);
    report[`${table} (${hs.length} appends, small manifests merged)`] = {
      metadata: loaded.metadataLocation,
      snapshots: loaded.metadata.snapshots.length,
      operations: loaded.metadata.snapshots.map((s) => s.summary.operation),
      rows,
    };
  }
  writeFileSync(join(out, 'expected.json'), JSON.stringify(report));
  process.stdout.write(`${Object.keys(report).length} table versions in ${warehouse}\n`);
}
