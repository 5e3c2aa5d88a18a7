import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { COMPACTION_DEFAULTS, compactCommand, compactTables } from '../../lib/cli/compact';
import { localWarehouse } from '../../lib/cli/iceberg';
import { parseCommand } from '../../lib/cli/parse';
import { queryCommand } from '../../lib/cli/query';
import { LocalCatalog, localFiles } from '../../lib/iceberg/catalog';
import { committedInputs, currentDataFiles } from '../../lib/iceberg/commit';
import { readManifestEntries, readManifestList, STATUS_ADDED, STATUS_DELETED, STATUS_EXISTING } from '../../lib/iceberg/manifest';
import type { TableMetadata } from '../../lib/iceberg/metadata';
import { liveFiles, replaceFiles } from '../../lib/iceberg/rewrite';
import { generateLines } from '../../testkit/generate';
import { runCommand, runMain } from '../support/cli';
import { tempDir } from '../support/lake';

const cflogs = runCommand;
const TABLE = 'cloudflare_httprequest';

/** A Logpush-named http_requests file of `lines` generated lines over two event hours. */
function input(dir: string, name: string, seed: number, lines: number): string {
  mkdirSync(join(dir, 'http_requests'), { recursive: true });
  const file = join(dir, 'http_requests', name);
  writeFileSync(file, [...generateLines({ dataset: 'http_requests', lines, seed, timestampFormat: 'unixnano', spanSeconds: 7200 })].join('\n') + '\n');
  return file;
}

async function query(lake: string, sql: string): Promise<unknown[]> {
  const q = await cflogs(queryCommand, ['--lake', lake, '--json', sql]);
  expect([q.code, q.stderr]).toEqual([0, '']);
  return q.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown);
}

/** Every row's id and a few typed columns (time, smallint, string, list, a second time), in one order. */
const ROWS_SQL =
  'SELECT p_row_id, p_event_time, p_event_time_ns, EdgeResponseStatus, ClientIP, ClientRequestPath, p_any_ip_addresses, EdgeStartTimestamp, EdgeResponseCompressionRatio, hour ' +
  `FROM ${TABLE} ORDER BY p_row_id`;
const SUMMARY_SQL = `SELECT count(*)::INTEGER AS n, count(DISTINCT p_row_id)::INTEGER AS ids, sum(EdgeResponseStatus)::BIGINT AS s FROM ${TABLE}`;

async function table(lake: string): Promise<TableMetadata> {
  const t = await localWarehouse(lake).load(TABLE);
  if (!t) throw new Error('no table');
  return t.metadata;
}

/** The current snapshot's data files by partition folder. */
async function filesPerPartition(lake: string): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const f of await currentDataFiles(localFiles.read, await table(lake))) out.set(dirname(f), [...(out.get(dirname(f)) ?? []), basename(f)]);
  return out;
}

async function lakeOf(name: string, inputs: number): Promise<{ dir: string; lake: string; files: string[] }> {
  const dir = tempDir(name);
  const lake = join(dir, 'lake');
  const files = Array.from({ length: inputs }, (_, i) => input(dir, `20261101T10${i}000Z_20261101T10${i}030Z_${'abcdefgh'[i]!.repeat(4)}.log`, i + 1, 150 + 50 * i));
  for (const f of files) expect((await cflogs(parseCommand, ['--out', lake, '--iceberg', f])).code).toBe(0);
  return { dir, lake, files };
}

describe('cflogs compact: the lake\'s Iceberg tables bin-packed, one replace snapshot', () => {
  it('rewrites each partition\'s files into one, the same rows read before and after, and a second run does nothing', async () => {
    const { lake, files } = await lakeOf('iceberg-compact', 3);
    const rowsBefore = await query(lake, ROWS_SQL);
    const summary = await query(lake, SUMMARY_SQL);
    expect(summary).toEqual([{ n: 450 + 150, ids: 600, s: expect.any(Number) }]);
    const partitionsBefore = await filesPerPartition(lake);
    expect([...partitionsBefore.values()].map((f) => f.length)).toEqual([3, 3]);

    const first = await cflogs(compactCommand, ['--lake', lake]);
    expect([first.code, first.stderr]).toEqual([0, '']);
    expect(first.stdout).toMatch(new RegExp(`^${TABLE}: 6 files, [\\d.]+ MB -> 2 files, [\\d.]+ MB \\(2 partitions rewritten\\); snapshot \\d+ \\(replace\\)\\n$`));

    // The same rows, typed columns and all, through the query path (the current snapshot's files).
    expect(await query(lake, ROWS_SQL)).toEqual(rowsBefore);
    expect(await query(lake, SUMMARY_SQL)).toEqual(summary);
    const after = await filesPerPartition(lake);
    expect([...after.keys()].sort()).toEqual([...partitionsBefore.keys()].sort());
    for (const names of after.values()) expect(names).toEqual([expect.stringMatching(/^compacted-[0-9a-f-]+\.parquet$/)]);

    // The snapshot: a replace, the new files ADDED and the rewritten DELETED; the inputs' summaries all kept.
    const m = await table(lake);
    const last = m.snapshots[m.snapshots.length - 1]!;
    expect(last.summary).toMatchObject({ operation: 'replace', 'added-data-files': '2', 'deleted-data-files': '6', 'added-records': '600', 'deleted-records': '600' });
    expect(last.summary['cflogs.inputs']).toBeUndefined();
    expect(m.snapshots.map((s) => s.summary.operation)).toEqual(['append', 'append', 'append', 'replace']);
    expect(committedInputs(m).size).toBe(3);
    const list = readManifestList(await localFiles.read(last['manifest-list']));
    expect(list).toHaveLength(1);
    const { entries } = readManifestEntries(await localFiles.read(list[0]!.manifestPath));
    expect(entries.map((e) => e.status).sort()).toEqual([STATUS_ADDED, STATUS_ADDED, STATUS_DELETED, STATUS_DELETED, STATUS_DELETED, STATUS_DELETED, STATUS_DELETED, STATUS_DELETED]);
    expect(list[0]).toMatchObject({ addedFilesCount: 2, deletedFilesCount: 6, existingFilesCount: 0, addedRowsCount: 600, deletedRowsCount: 600, sequenceNumber: 4n, minSequenceNumber: 4n });
    // Deleted entries keep the sequence number their file was added with.
    expect(entries.filter((e) => e.status === STATUS_DELETED).map((e) => e.sequenceNumber).sort()).toEqual([1n, 1n, 2n, 2n, 3n, 3n]);
    // The new files' stats: counts and the event time's bounds, as an append's.
    const live = await liveFiles(localFiles.read, m);
    const timeId = m.schemas[0]!.fields.find((f) => f.name === 'p_event_time')!.id;
    for (const f of live) {
      expect(f.file.valueCounts?.get(timeId)).toBe(f.file.recordCount);
      expect(f.file.nullValueCounts?.get(timeId)).toBe(0);
      expect(f.file.lowerBounds?.get(timeId)).toHaveLength(8);
    }

    // Once more: nothing to do, no snapshot.
    const second = await cflogs(compactCommand, ['--lake', lake]);
    expect(second.stdout).toBe(`${TABLE}: 2 files, ${first.stdout.match(/-> 2 files, ([\d.]+ MB)/)![1]}: nothing to compact\n`);
    expect((await table(lake)).snapshots).toHaveLength(4);

    // An input delivered again after the compaction is still committed once.
    const again = await cflogs(parseCommand, ['--out', lake, '--iceberg', files[0]!]);
    expect(again.stderr).toContain(`iceberg ${TABLE}: already committed`);
    expect(await query(lake, SUMMARY_SQL)).toEqual(summary);
  }, 120_000);

  it('retries when an append commits between its read and its commit, losing nothing', async () => {
    const { dir, lake } = await lakeOf('iceberg-compact-race', 2);
    const late = input(dir, '20261101T105000Z_20261101T105030Z_zzzz.log', 9, 120);
    const before = await query(lake, SUMMARY_SQL);
    // A catalog whose first commit finds the table moved: an append lands just before it.
    class Racing extends LocalCatalog {
      raced = 0;
      override async commit(t: string, version: number, metadata: TableMetadata): Promise<string> {
        if (this.raced++ === 0) expect((await cflogs(parseCommand, ['--out', lake, '--iceberg', late])).code).toBe(0);
        return super.commit(t, version, metadata);
      }
    }
    const catalog = new Racing(localWarehouse(lake).warehouse);
    const [r] = await compactTables(catalog, [TABLE], COMPACTION_DEFAULTS);
    expect(catalog.raced).toBe(2);
    expect(r).toMatchObject({ table: TABLE, filesBefore: 4, partitions: 2 });
    // The appended input's rows are there, and its files: one compacted file and the late one per partition.
    const n = (before[0] as { n: number }).n + 120;
    expect(await query(lake, SUMMARY_SQL)).toEqual([{ n, ids: n, s: expect.any(Number) }]);
    const m = await table(lake);
    expect(m.snapshots.map((s) => s.summary.operation)).toEqual(['append', 'append', 'append', 'replace']);
    for (const names of (await filesPerPartition(lake)).values()) expect(names.sort()).toEqual([expect.stringMatching(/zzzz/), expect.stringMatching(/^compacted-/)]);
    // The carried manifest (the late append's) is the append's own, unchanged.
    const list = readManifestList(await localFiles.read(m.snapshots[3]!['manifest-list']));
    expect(list.map((x) => x.manifestPath)).toContain(readManifestList(await localFiles.read(m.snapshots[2]!['manifest-list']))[0]!.manifestPath);
    // The next run packs each compacted file with the late one.
    const next = await cflogs(compactCommand, ['--lake', lake]);
    expect(next.stdout).toMatch(/4 files, .* -> 2 files/);
    expect(await query(lake, SUMMARY_SQL)).toEqual([{ n, ids: n, s: expect.any(Number) }]);
  }, 120_000);

  it('leaves out a rewrite whose files another commit removed, and keeps the other files EXISTING', async () => {
    const { lake } = await lakeOf('iceberg-compact-conflict', 2);
    const deps = { catalog: localWarehouse(lake), ...localFiles, now: () => Date.parse('2026-11-24T12:00:00Z') };
    const live = await liveFiles(localFiles.read, await table(lake));
    // a and b: one input's two files (two hours), in the manifest of the append that added them.
    const a = live[0]!;
    const b = live.find((f) => f.snapshotId === a.snapshotId && f !== a);
    // `a` rewritten as itself under another name (the same rows), and a rewrite of a file the table does not have.
    const copy = { path: `${a!.file.filePath}.copy`, bytes: a!.file.fileSizeInBytes, rows: a!.file.recordCount, columns: [] };
    const r = await replaceFiles(deps, TABLE, [
      { replaced: [a!.file.filePath], added: [copy] },
      { replaced: ['/nowhere/gone.parquet'], added: [{ ...copy, path: '/nowhere/new.parquet' }] },
    ]);
    expect([r.committed.length, r.conflicted.length]).toEqual([1, 1]);
    const m = await table(lake);
    const list = readManifestList(await localFiles.read(m.snapshots[m.snapshots.length - 1]!['manifest-list']));
    const { entries } = readManifestEntries(await localFiles.read(list[0]!.manifestPath));
    const status = new Map(entries.map((e) => [e.file.filePath, e.status]));
    expect(status.get(copy.path)).toBe(STATUS_ADDED);
    expect(status.get(a!.file.filePath)).toBe(STATUS_DELETED);
    // b was in the manifest that held a: carried as EXISTING with its stats and sequence number.
    const existing = entries.find((e) => e.file.filePath === b!.file.filePath)!;
    expect(existing.status).toBe(STATUS_EXISTING);
    expect(existing.sequenceNumber).toBe(b!.sequenceNumber);
    expect(existing.file.valueCounts).toEqual(b!.file.valueCounts);
    expect(existing.file.lowerBounds).toEqual(b!.file.lowerBounds);
    // A rewrite must keep the rows: one that lost some is refused.
    await expect(replaceFiles(deps, TABLE, [{ replaced: [b!.file.filePath], added: [{ ...copy, path: '/x.parquet', rows: 1 }] }])).rejects.toThrow(/wrote 1/);
  }, 120_000);

  it('says in its help that the rewritten files stay on disk', async () => {
    const r = await runMain(['compact', '--help']);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toMatch(/^usage: cflogs compact \[--lake DIR\]/);
    expect(r.out).toContain('The rewritten files stay on disk');
  });

  it('takes --table and refuses an unknown one', async () => {
    const { lake } = await lakeOf('iceberg-compact-usage', 1);
    const r = await cflogs(compactCommand, ['--lake', lake, '--table', 'cloudflare_firewall']);
    expect([r.code, r.stdout]).toEqual([0, `no Iceberg table to compact in ${lake}\n`]);
    await expect(cflogs(compactCommand, ['--lake', lake, '--table', 'nope'])).rejects.toThrow(/unknown table nope/);
    const none = await cflogs(compactCommand, ['--lake', join(lake, 'missing')]);
    expect(none.code).toBe(1);
  }, 60_000);
});
