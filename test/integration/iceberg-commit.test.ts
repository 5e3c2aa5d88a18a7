import { CommitConflict, LocalCatalog, localFiles } from '../../lib/iceberg/catalog';
import { appendHandoffs, committedInputs, currentDataFiles, Handoff, hourValue, INPUTS_KEY, MIN_MANIFESTS_TO_MERGE } from '../../lib/iceberg/commit';
import { readManifestEntries, readManifestList, STATUS_EXISTING } from '../../lib/iceberg/manifest';
import { currentSnapshot, PREVIOUS_VERSIONS_MAX } from '../../lib/iceberg/metadata';
import { currentSchema } from '../../lib/iceberg/metadata';
import { icebergSchema } from '../../lib/iceberg/schema';
import type { LakeColumn } from '../../lib/lake/format';
import { tempDir } from '../support/lake';

const COLUMNS: LakeColumn[] = [
  { name: 'ClientIP', type: 'string' },
  { name: 'EdgeResponseStatus', type: 'int' },
  { name: 'p_event_time', type: 'timestamp' },
  { name: 'p_any_ip_addresses', type: 'array', element: 'string' },
];

function setup() {
  const warehouse = tempDir('iceberg');
  const catalog = new LocalCatalog(warehouse);
  const deps = { catalog, ...localFiles, now: () => Date.parse('2026-11-24T12:00:00Z') };
  return { catalog, deps };
}

const handoff = (input: string, rows = 10): Handoff => ({
  input,
  files: [
    {
      path: `/lake/${input}.parquet`,
      bytes: 1000,
      rows,
      hour: '2026-11-01 10',
      columns: [
        { name: 'EdgeResponseStatus', values: rows, nulls: 1, min: 200, max: 404 },
        { name: 'p_event_time', values: rows, nulls: 0, min: 1793527200000000, max: 1793530799999999 },
      ],
    },
  ],
});

/** The data files the table's current snapshot lists. */
async function tableFiles(catalog: LocalCatalog, table: string): Promise<string[]> {
  const t = await catalog.load(table);
  return t ? (await currentDataFiles(localFiles.read, t.metadata)).sort() : [];
}

describe('the Iceberg committer on a local catalog', () => {
  it('merges small manifests as they pile up, so no commit or query plan reads one per commit ever made', async () => {
    const { catalog, deps } = setup();
    const commits = MIN_MANIFESTS_TO_MERGE + 30;
    for (let i = 0; i < commits; i++) await appendHandoffs(deps, 't', COLUMNS, [handoff(`in-${i}`, i + 1)]);
    const t = (await catalog.load('t'))!;
    const list = readManifestList(await localFiles.read(currentSnapshot(t.metadata)!['manifest-list']));
    expect(list.length).toBeLessThan(MIN_MANIFESTS_TO_MERGE);
    // Every file is still the table's, once, with its own snapshot and sequence number as an EXISTING entry.
    expect(await tableFiles(catalog, 't')).toEqual(Array.from({ length: commits }, (_, i) => `/lake/in-${i}.parquet`).sort());
    const merged = list.find((m) => m.existingFilesCount > 0)!;
    const entries = readManifestEntries(await localFiles.read(merged.manifestPath)).entries;
    expect(entries.every((e) => e.status === STATUS_EXISTING && e.sequenceNumber !== null && e.snapshotId !== null)).toBe(true);
    const first = entries.find((e) => e.file.filePath === '/lake/in-0.parquet')!;
    expect([first.sequenceNumber, first.snapshotId]).toEqual([1n, BigInt(t.metadata.snapshots[0]!['snapshot-id'])]);
    expect(first.file.recordCount).toBe(1);
    expect(first.file.lowerBounds?.size).toBeGreaterThan(0);
    // The rows the manifest list counts are the rows handed off.
    const rows = list.reduce((n, m) => n + m.addedRowsCount + m.existingRowsCount, 0);
    expect(rows).toBe((commits * (commits + 1)) / 2);
    // The metadata log keeps the newest versions only.
    expect(t.metadata['metadata-log']).toHaveLength(PREVIOUS_VERSIONS_MAX);
    expect(committedInputs(t.metadata).size).toBe(commits);
  });

  it('commits a hand-off delivered three times once: the snapshot summary names its input', async () => {
    const { catalog, deps } = setup();
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await appendHandoffs(deps, 't', COLUMNS, [handoff('a')]));
    expect(results.map((r) => [r.committed, r.already])).toEqual([
      [['a'], []],
      [[], ['a']],
      [[], ['a']],
    ]);
    const t = await catalog.load('t');
    expect(t?.metadata.snapshots).toHaveLength(1);
    expect(t?.metadata.snapshots[0]?.summary[INPUTS_KEY]).toBe('["a"]');
    expect(committedInputs(t!.metadata)).toEqual(new Set(['a']));
    expect(await tableFiles(catalog, 't')).toEqual(['/lake/a.parquet']);
  });

  it('commits an input that comes twice in one batch once', async () => {
    const { catalog, deps } = setup();
    const r = await appendHandoffs(deps, 't', COLUMNS, [handoff('a'), handoff('b'), handoff('a')]);
    expect(r.committed).toEqual(['a', 'b']);
    expect(await tableFiles(catalog, 't')).toEqual(['/lake/a.parquet', '/lake/b.parquet']);
  });

  it('carries the earlier snapshots\' manifests into each new one, and adds only the inputs it has not seen in a mixed batch', async () => {
    const { catalog, deps } = setup();
    await appendHandoffs(deps, 't', COLUMNS, [handoff('a')]);
    const r = await appendHandoffs(deps, 't', COLUMNS, [handoff('a'), handoff('b'), handoff('c')]);
    expect([r.committed, r.already]).toEqual([['b', 'c'], ['a']]);
    expect(await tableFiles(catalog, 't')).toEqual(['/lake/a.parquet', '/lake/b.parquet', '/lake/c.parquet']);
    const t = await catalog.load('t');
    expect(t?.metadata['last-sequence-number']).toBe(2);
    expect(t?.metadata.snapshots[1]?.['parent-snapshot-id']).toBe(t?.metadata.snapshots[0]?.['snapshot-id']);
  });

  it('retries a commit another writer got to first, on the table as that writer left it', async () => {
    const { catalog, deps } = setup();
    await appendHandoffs(deps, 't', COLUMNS, [handoff('a')]);
    const results = await Promise.all([appendHandoffs(deps, 't', COLUMNS, [handoff('b')]), appendHandoffs(deps, 't', COLUMNS, [handoff('c')])]);
    expect(results.map((r) => r.committed).flat().sort()).toEqual(['b', 'c']);
    expect(Math.max(...results.map((r) => r.attempts))).toBe(2);
    expect(await tableFiles(catalog, 't')).toEqual(['/lake/a.parquet', '/lake/b.parquet', '/lake/c.parquet']);
    expect((await catalog.load('t'))?.metadata.snapshots).toHaveLength(3);
  });

  it('refuses a version another writer created: the catalog is the compare-and-swap', async () => {
    const { catalog, deps } = setup();
    await appendHandoffs(deps, 't', COLUMNS, [handoff('a')]);
    const t = (await catalog.load('t'))!;
    await expect(catalog.commit('t', t.version - 1, t.metadata)).rejects.toThrow(CommitConflict);
  });

  it('adds no schema per commit once a column was dropped, and commits a file whose bounds no longer fit its column without them', async () => {
    const { catalog, deps } = setup();
    await appendHandoffs(deps, 't', COLUMNS, [handoff('a')]);
    const fewer = COLUMNS.filter((c) => c.name !== 'ClientIP');
    for (const input of ['b', 'c', 'd']) await appendHandoffs(deps, 't', fewer, [handoff(input)]);
    expect((await catalog.load('t'))!.metadata.schemas).toHaveLength(1);
    // A hand-off written when EdgeResponseStatus held text: its bounds are left out, the file committed.
    const stale = handoff('e');
    stale.files[0]!.columns = [{ name: 'EdgeResponseStatus', values: 10, nulls: 0, min: 2n ** 40n, max: 2n ** 41n }];
    const r = await appendHandoffs(deps, 't', fewer, [stale, handoff('f')]);
    expect(r.committed).toEqual(['e', 'f']);
  });

  it('keeps column ids when the schema gains a column, which gets the next id, and names it in the name mapping', async () => {
    const { catalog, deps } = setup();
    await appendHandoffs(deps, 't', COLUMNS, [handoff('a')]);
    const before = currentSchema((await catalog.load('t'))!.metadata);
    await appendHandoffs(deps, 't', [...COLUMNS.slice(0, 2), { name: 'RayID', type: 'string' }, ...COLUMNS.slice(2)], [handoff('b')]);
    const m = (await catalog.load('t'))!.metadata;
    const after = currentSchema(m);
    expect(m.schemas).toHaveLength(2);
    for (const f of before.fields) expect(after.fields.find((g) => g.name === f.name)?.id).toBe(f.id);
    expect(after.fields.find((f) => f.name === 'RayID')?.id).toBe(m['last-column-id']);
    expect(m['last-column-id']).toBeGreaterThan(Math.max(...before.fields.map((f) => f.id), 5));
    expect(JSON.parse(m.properties['schema.name-mapping.default'] ?? '[]')).toContainEqual({ 'field-id': m['last-column-id'], names: ['RayID'] });
  });

  it('partitions by the event hour: hours since 1970, the hour transform\'s value', async () => {
    expect(hourValue('1970-01-01 01')).toBe(1);
    expect(hourValue('2026-11-01 10')).toBe(Date.UTC(2026, 10, 1, 10) / 3_600_000);
    const { schema, lastColumnId } = icebergSchema(COLUMNS);
    expect(schema.fields.map((f) => [f.id, f.name, f.type])).toEqual([
      [1, 'ClientIP', 'string'],
      [2, 'EdgeResponseStatus', 'int'],
      [3, 'p_event_time', 'timestamptz'],
      [4, 'p_any_ip_addresses', { type: 'list', 'element-id': 5, element: 'string', 'element-required': false }],
    ]);
    expect(lastColumnId).toBe(5);
  });
});
