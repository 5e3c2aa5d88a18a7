import { randomUUID } from 'node:crypto';
import type { ColumnStats } from '../lake/types';
import { CommitConflict } from './catalog';
import { boundType, CommitDeps, manifestsOf, snapshotId } from './commit';
import {
  boundBytes,
  DataFileEntry,
  inherited,
  ManifestEntry,
  ManifestListEntry,
  manifestListEntryOf,
  PartitionFieldSpec,
  readManifestEntries,
  readManifestList,
  STATUS_ADDED,
  STATUS_DELETED,
  STATUS_EXISTING,
  writeManifestEntries,
  writeManifestList,
} from './manifest';
import { currentSchema, currentSnapshot, TableMetadata, withReplace } from './metadata';
import type { IcebergSchema } from './schema';

/**
 * Rewrites of a table's data files (a compaction): one `replace` snapshot that deletes the files rewritten and adds
 * the files they were rewritten into, the table's rows unchanged. As Iceberg's RewriteFiles does: manifests holding
 * none of the rewritten files are carried over as they are; the entries of those holding some go into one new
 * manifest, the rewritten files DELETED and the others EXISTING (keeping their stats and sequence numbers), next to
 * the new files ADDED. A rewrite whose files another commit removed meanwhile (another compaction) is dropped, not
 * committed: its new files hold rows the table no longer lists that way. A commit that lost a race with an append
 * is made again on the table as the append left it, so nothing appended is lost.
 */

/** A data file of the current snapshot, with its stats and the numbers Iceberg's inheritance gives it. */
export interface LiveFile {
  file: DataFileEntry;
  specId: number;
  snapshotId: bigint;
  sequenceNumber: bigint;
  fileSequenceNumber: bigint;
}

/** A file a rewrite wrote: where it is, its size and rows, and its columns' stats (by name). */
export interface NewFile {
  path: string;
  bytes: number;
  rows: number;
  columns: readonly ColumnStats[];
}

/** Files of one partition (`replaced`, all in the current snapshot) rewritten into `added`, the same rows. */
export interface Rewrite {
  replaced: string[];
  added: NewFile[];
}

export interface ReplaceResult {
  /** The snapshot made, or undefined when no rewrite could be committed. */
  snapshotId?: number;
  committed: Rewrite[];
  /** Rewrites whose files the table no longer lists (another commit removed them): their new files are no table's. */
  conflicted: Rewrite[];
  attempts: number;
}

const MAX_ATTEMPTS = 8;

/** The current snapshot's manifests and their live entries, numbers resolved. */
async function readLive(read: (location: string) => Promise<Buffer>, list: ManifestListEntry[]): Promise<{ manifest: ManifestListEntry; entries: LiveFile[] }[]> {
  const out: { manifest: ManifestListEntry; entries: LiveFile[] }[] = [];
  for (const manifest of list) {
    // Rewriting data files that row deletes apply to would bring the deleted rows back.
    if ((manifest.content ?? 0) !== 0) throw new Error(`${manifest.manifestPath}: the table has row deletes, which this compaction does not apply`);
    const { entries } = readManifestEntries(await read(manifest.manifestPath));
    out.push({
      manifest,
      entries: entries
        .filter((e) => e.status !== STATUS_DELETED)
        .map((e) => {
          const r = inherited(e, manifest);
          return { file: r.file, specId: manifest.specId, snapshotId: r.snapshotId, sequenceNumber: r.sequenceNumber, fileSequenceNumber: r.fileSequenceNumber };
        }),
    });
  }
  return out;
}

/** The data files of a table's current snapshot, with their stats: what a compaction plans from. */
export async function liveFiles(read: (location: string) => Promise<Buffer>, m: TableMetadata): Promise<LiveFile[]> {
  const s = currentSnapshot(m);
  if (!s) return [];
  return (await readLive(read, readManifestList(await read(s['manifest-list'])))).flatMap((x) => x.entries);
}

/** A new file's entry: its columns' counts and number and time bounds keyed by the schema's field ids, as an append's. */
export function newFileEntry(schema: IcebergSchema, f: NewFile, partition: (number | null)[]): DataFileEntry {
  const byName = new Map(schema.fields.map((x) => [x.name, x]));
  const valueCounts = new Map<number, number>();
  const nullValueCounts = new Map<number, number>();
  const lowerBounds = new Map<number, Uint8Array>();
  const upperBounds = new Map<number, Uint8Array>();
  for (const c of f.columns) {
    const field = byName.get(c.name);
    if (field === undefined) throw new Error(`${f.path}: column ${c.name} is not in the table's schema`);
    // Lists' counts are of their elements, under the element's id: not kept, as in an append.
    if (typeof field.type === 'object') continue;
    valueCounts.set(field.id, c.values);
    nullValueCounts.set(field.id, c.nulls);
    const t = boundType(field);
    if (t !== undefined && c.min !== undefined && c.max !== undefined) {
      lowerBounds.set(field.id, boundBytes(t, c.min));
      upperBounds.set(field.id, boundBytes(t, c.max));
    }
  }
  return { filePath: f.path, fileSizeInBytes: f.bytes, recordCount: f.rows, partition, valueCounts, nullValueCounts, lowerBounds, upperBounds };
}

function partitionFieldsOf(m: TableMetadata, specId: number): PartitionFieldSpec[] {
  const spec = m['partition-specs'].find((s) => s['spec-id'] === specId);
  if (!spec) throw new Error(`table ${m.location}: no partition spec ${specId}`);
  return spec.fields.map((f) => ({ sourceId: f['source-id'], fieldId: f['field-id'], name: f.name, transform: f.transform, resultType: 'int' }));
}

/**
 * Commits `rewrites` in one `replace` snapshot of `table`. Each rewrite's files must be live in one partition of the
 * current snapshot, and its new files must hold as many rows; a rewrite whose files are no longer all live is left
 * out (`conflicted`). Retried on the new current metadata when another writer commits first.
 */
export async function replaceFiles(deps: CommitDeps, table: string, rewrites: Rewrite[]): Promise<ReplaceResult> {
  const seen = new Set<string>();
  for (const r of rewrites) {
    if (r.replaced.length === 0 || r.added.length === 0) throw new Error(`table ${table}: a rewrite replaces and adds at least one file`);
    for (const p of r.replaced) {
      if (seen.has(p)) throw new Error(`table ${table}: ${p} is rewritten twice`);
      seen.add(p);
    }
  }
  for (let attempt = 1; ; attempt++) {
    const loaded = await deps.catalog.load(table);
    const m = loaded?.metadata;
    const snapshot = m && currentSnapshot(m);
    if (!loaded || !m || !snapshot) return { committed: [], conflicted: rewrites, attempts: attempt };
    const manifests = await readLive(deps.read, await manifestsOf(deps, m));
    const live = new Map<string, LiveFile>();
    for (const x of manifests) for (const e of x.entries) live.set(e.file.filePath, e);

    const committed: Rewrite[] = [];
    const conflicted: Rewrite[] = [];
    // The replaced files' entries, and the new files' partition (the replaced files') and spec, by rewrite.
    const added: { specId: number; entry: ManifestEntry }[] = [];
    const replaced = new Set<string>();
    const schema = currentSchema(m);
    for (const r of rewrites) {
      const files = r.replaced.map((p) => live.get(p));
      if (files.some((f) => f === undefined)) {
        conflicted.push(r);
        continue;
      }
      const olds = files as LiveFile[];
      const [first] = olds as [LiveFile];
      const key = JSON.stringify([first.specId, first.file.partition]);
      if (olds.some((f) => JSON.stringify([f.specId, f.file.partition]) !== key)) throw new Error(`table ${table}: a rewrite's files are in more than one partition`);
      const before = olds.reduce((n, f) => n + f.file.recordCount, 0);
      const after = r.added.reduce((n, f) => n + f.rows, 0);
      // A replace must not change the table's rows: refuse a rewrite that lost or made some.
      if (before !== after) throw new Error(`table ${table}: a rewrite of ${before} rows wrote ${after}`);
      committed.push(r);
      for (const p of r.replaced) replaced.add(p);
      for (const f of r.added) {
        added.push({ specId: first.specId, entry: { status: STATUS_ADDED, snapshotId: null, sequenceNumber: null, fileSequenceNumber: null, file: newFileEntry(schema, f, first.file.partition) } });
      }
    }
    if (committed.length === 0) return { committed, conflicted, attempts: attempt };

    const parent = m['current-snapshot-id'];
    const id = snapshotId(table, parent, ['replace', ...committed.flatMap((r) => r.added.map((f) => f.path)).sort()]);
    const sequenceNumber = BigInt(m['last-sequence-number'] + 1);
    for (const a of added) a.entry.snapshotId = BigInt(id);

    // Manifests holding a rewritten file are rewritten; their other live files stay, EXISTING, with their numbers.
    const touched = manifests.filter((x) => x.entries.some((e) => replaced.has(e.file.filePath)));
    const carried = manifests.filter((x) => !touched.includes(x)).map((x) => x.manifest);
    const bySpec = new Map<number, ManifestEntry[]>();
    const put = (specId: number, e: ManifestEntry): void => {
      const list = bySpec.get(specId) ?? [];
      list.push(e);
      bySpec.set(specId, list);
    };
    for (const a of added) put(a.specId, a.entry);
    for (const x of touched) {
      for (const e of x.entries) {
        const gone = replaced.has(e.file.filePath);
        // A deleted entry names the snapshot that deleted it and keeps the sequence numbers the file was added with.
        put(e.specId, { status: gone ? STATUS_DELETED : STATUS_EXISTING, snapshotId: gone ? BigInt(id) : e.snapshotId, sequenceNumber: e.sequenceNumber, fileSequenceNumber: e.fileSequenceNumber, file: e.file });
      }
    }
    const written: ManifestListEntry[] = [];
    let n = 0;
    // Named apart per attempt: a retried or concurrent commit of the same snapshot id never writes over one.
    const attemptId = randomUUID();
    for (const [specId, entries] of [...bySpec].sort(([a], [b]) => a - b)) {
      const partitionFields = partitionFieldsOf(m, specId);
      const manifest = writeManifestEntries({ schemaJson: JSON.stringify(schema), specId, partitionFields, entries });
      const manifestPath = `${m.location}/metadata/${attemptId}-m${n++}.avro`;
      await deps.write(manifestPath, manifest);
      written.push(manifestListEntryOf({ manifestPath, manifestLength: manifest.length, specId, snapshotId: BigInt(id), sequenceNumber, entries, fieldCount: partitionFields.length }));
    }
    const list = writeManifestList({ snapshotId: BigInt(id), parentSnapshotId: parent === undefined ? null : BigInt(parent), sequenceNumber, manifests: [...written, ...carried] });
    const listPath = `${m.location}/metadata/snap-${id}-${attemptId}.avro`;
    await deps.write(listPath, list);

    const gone = [...replaced].map((p) => (live.get(p) as LiveFile).file);
    const news = added.map((a) => a.entry.file);
    const next = withReplace(m, {
      snapshotId: id,
      manifestList: listPath,
      now: deps.now(),
      previous: loaded.metadataLocation,
      // No inputs of its own: the exactly-once check reads the earlier snapshots' summaries, which all stay.
      summary: {
        'added-data-files': String(news.length),
        'deleted-data-files': String(gone.length),
        'added-records': String(news.reduce((x, f) => x + f.recordCount, 0)),
        'deleted-records': String(gone.reduce((x, f) => x + f.recordCount, 0)),
        'added-files-size': String(news.reduce((x, f) => x + f.fileSizeInBytes, 0)),
        'removed-files-size': String(gone.reduce((x, f) => x + f.fileSizeInBytes, 0)),
      },
    });
    try {
      await deps.catalog.commit(table, loaded.version, next);
      return { snapshotId: id, committed, conflicted, attempts: attempt };
    } catch (e) {
      // Another writer moved the table: read it again (an append's files are carried, a compaction's may conflict).
      if (!(e instanceof CommitConflict) || attempt >= MAX_ATTEMPTS) throw e;
    }
  }
}
