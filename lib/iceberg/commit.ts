import { createHash, randomUUID } from 'node:crypto';
import type { LakeColumn } from '../lake/format';
import { P } from '../row/contract';
import { PARQUET_EXTENSION } from '../lake/format';
import { partitionHourOf } from '../lake/layout';
import type { ColumnStats, OutputFile } from '../lake/types';
import { CommitConflict, IcebergCatalog } from './catalog';
import {
  boundBytes,
  DataFileEntry,
  inherited,
  manifestDataFiles,
  ManifestEntry,
  ManifestListEntry,
  manifestListEntryFor,
  manifestListEntryOf,
  PartitionFieldSpec,
  readManifestEntries,
  readManifestList,
  STATUS_DELETED,
  STATUS_EXISTING,
  writeManifest,
  writeManifestEntries,
  writeManifestList,
} from './manifest';
import { currentSchema, currentSnapshot, newTableMetadata, TableMetadata, withAppend } from './metadata';
import { IcebergField, icebergSchema, IcebergSchema, nameMapping } from './schema';

/**
 * The committer: appends the data files the ingest functions wrote to an Iceberg table, in one snapshot per call,
 * exactly once per input. Each snapshot's summary names the inputs it committed (`cflogs.inputs`), as Iceberg's Kafka
 * Connect sink records its offsets: a hand-off delivered again, or a commit retried after it landed, finds its input
 * there and adds nothing. A conflict with another writer (a compaction, a second committer) is retried on the new
 * current metadata.
 */

/** One input's data files, as an ingest function hands them over: written, not yet in the table. */
export interface Handoff {
  /** The input's identity (bucket, key and version or ETag; or a request's hash): what makes it once. */
  input: string;
  files: HandoffFile[];
}

export interface HandoffFile {
  /** Where the file is, as readers open it (an s3:// URI, or a local path). */
  path: string;
  bytes: number;
  rows: number;
  /** The event hour the file holds (`YYYY-MM-DD HH`): its partition. */
  hour: string;
  columns?: readonly ColumnStats[];
}

export interface CommitDeps {
  catalog: IcebergCatalog;
  /** Writes a metadata file (manifest, manifest list) at a location under the table's. */
  write(location: string, bytes: Buffer): Promise<void>;
  read(location: string): Promise<Buffer>;
  now(): number;
}

export interface CommitResult {
  /** The snapshot made, or undefined when every input was in the table already. */
  snapshotId?: number;
  committed: string[];
  /** Inputs the table had already: delivered again. */
  already: string[];
  attempts: number;
}

/**
 * The hand-off of one input's lake files: its Parquet event files (rejects are not a table's rows), each at the
 * location `locate` gives its key (an s3:// URI, or a path under a local lake).
 */
export function handoffOf(input: string, outputs: readonly OutputFile[], locate: (key: string) => string): Handoff {
  const files = outputs
    .filter((o) => o.kind === 'events' && o.key.endsWith(PARQUET_EXTENSION))
    .map((o): HandoffFile => {
      const hour = partitionHourOf(o.key);
      if (hour === undefined) throw new Error(`${o.key}: not a lake key with an event hour`);
      return { path: locate(o.key), bytes: o.bytes, rows: o.rows, hour, ...(o.columns ? { columns: o.columns } : {}) };
    });
  return { input, files };
}

/** The data files of a table's current snapshot, from its manifest list and manifests. */
export async function currentDataFiles(read: (location: string) => Promise<Buffer>, m: TableMetadata): Promise<string[]> {
  const s = currentSnapshot(m);
  if (!s) return [];
  const files: string[] = [];
  for (const manifest of readManifestList(await read(s['manifest-list']))) {
    // Row deletes (Athena's DELETE or MERGE) would have to be applied to these files: not something to ignore.
    if ((manifest.content ?? 0) !== 0) throw new Error(`table ${m.location}: it has row deletes (${manifest.manifestPath}), which this reader does not apply`);
    files.push(...manifestDataFiles(await read(manifest.manifestPath)));
  }
  return files;
}

/** Summary key naming the inputs a snapshot committed. */
export const INPUTS_KEY = 'cflogs.inputs';
const MAX_ATTEMPTS = 8;

/** Hours since 1970-01-01 of an event hour `YYYY-MM-DD HH`: hour(p_event_time), the partition's value. */
export function hourValue(hour: string): number {
  return Date.UTC(Number(hour.slice(0, 4)), Number(hour.slice(5, 7)) - 1, Number(hour.slice(8, 10)), Number(hour.slice(11, 13))) / 3_600_000;
}

/** Every input the table's snapshots have committed. */
export function committedInputs(m: TableMetadata): Set<string> {
  const seen = new Set<string>();
  for (const s of m.snapshots) {
    const inputs = s.summary[INPUTS_KEY];
    if (inputs !== undefined) for (const i of JSON.parse(inputs) as string[]) seen.add(i);
  }
  return seen;
}

/** A snapshot id from what it commits and its parent: a retry of the same commit makes the same id. */
export function snapshotId(table: string, parent: number | undefined, inputs: string[]): number {
  const h = createHash('sha256').update(`${table}\n${parent ?? ''}\n${inputs.join('\n')}`).digest();
  // 52 bits: a positive long that JSON and JavaScript numbers hold exactly.
  return h.readUIntBE(0, 6) * 16 + (h[6] as number >> 4);
}

/** The partition value of an event hour `YYYY-MM-DD HH` under hour(p_event_time) (hours) or day(p_event_time) (days). */
export function partitionValue(transform: string, hour: string): number {
  const hours = hourValue(hour);
  if (transform === 'hour') return hours;
  if (transform === 'day') return Math.floor(hours / 24);
  throw new Error(`partition transform ${transform}: this committer writes hour and day partitions only`);
}

/** The data file entries of the hand-offs, their column stats keyed by the schema's field ids. */
function dataFiles(schema: IcebergSchema, transform: string, handoffs: Handoff[]): DataFileEntry[] {
  const byName = new Map(schema.fields.map((f) => [f.name, f]));
  return handoffs.flatMap((h) =>
    h.files.map((f): DataFileEntry => {
      const valueCounts = new Map<number, number>();
      const nullValueCounts = new Map<number, number>();
      const lowerBounds = new Map<number, Uint8Array>();
      const upperBounds = new Map<number, Uint8Array>();
      for (const c of f.columns ?? []) {
        const field = byName.get(c.name);
        // Lists' counts are of their elements, under the element's id: not kept.
        if (field === undefined || typeof field.type === 'object') continue;
        valueCounts.set(field.id, c.values);
        nullValueCounts.set(field.id, c.nulls);
        const t = boundType(field);
        if (t !== undefined && c.min !== undefined && c.max !== undefined) {
          // Bounds are optional in a manifest: one that does not fit the column's type now (a hand-off written
          // before a schema changed the type) is left out, never the reason the table's commit fails.
          try {
            const lower = boundBytes(t, c.min);
            const upper = boundBytes(t, c.max);
            lowerBounds.set(field.id, lower);
            upperBounds.set(field.id, upper);
          } catch {
            // no bounds for this column of this file
          }
        }
      }
      return {
        filePath: f.path,
        fileSizeInBytes: f.bytes,
        recordCount: f.rows,
        partition: [partitionValue(transform, f.hour)],
        valueCounts,
        nullValueCounts,
        lowerBounds,
        upperBounds,
      };
    }),
  );
}

export function boundType(f: IcebergField): 'int' | 'long' | 'timestamptz' | 'double' | undefined {
  return f.type === 'int' || f.type === 'long' || f.type === 'timestamptz' || f.type === 'double' ? f.type : undefined;
}

/** The manifest-list entries of a snapshot, read back to carry them into the next one. */
export async function manifestsOf(deps: CommitDeps, m: TableMetadata): Promise<ManifestListEntry[]> {
  const s = currentSnapshot(m);
  return s ? readManifestList(await deps.read(s['manifest-list'])) : [];
}

/**
 * Appends the hand-offs' files to `table` (created with `columns` if it does not exist; a column the schema gained
 * is added with a new id), one snapshot for all of them, skipping inputs the table has already.
 */
export async function appendHandoffs(
  deps: CommitDeps,
  table: string,
  columns: readonly LakeColumn[],
  handoffs: Handoff[],
  opts: { transform?: 'hour' | 'day' } = {},
): Promise<CommitResult> {
  for (let attempt = 1; ; attempt++) {
    const loaded = await deps.catalog.load(table);
    const now = deps.now();
    let m = loaded?.metadata ?? newTable(deps.catalog, table, columns, opts.transform ?? 'hour', now);
    m = withSchema(m, columns);
    const done = committedInputs(m);
    // An input delivered twice in one batch is committed once too.
    const batch = [...new Map(handoffs.map((h) => [h.input, h])).values()];
    const todo = batch.filter((h) => !done.has(h.input));
    const already = batch.filter((h) => done.has(h.input)).map((h) => h.input);
    if (todo.length === 0) return { committed: [], already, attempts: attempt };

    const inputs = todo.map((h) => h.input).sort();
    const parent = m['current-snapshot-id'];
    const id = snapshotId(table, parent, inputs);
    const sequenceNumber = BigInt(m['last-sequence-number'] + 1);
    const spec = m['partition-specs'].find((s) => s['spec-id'] === m['default-spec-id']);
    if (!spec) throw new Error(`table ${table}: no partition spec ${m['default-spec-id']}`);
    const partitionFields: PartitionFieldSpec[] = spec.fields.map((f) => ({ sourceId: f['source-id'], fieldId: f['field-id'], name: f.name, transform: f.transform, resultType: 'int' }));
    const schema = currentSchema(m);
    const [partitionField] = spec.fields;
    if (!partitionField || spec.fields.length !== 1) throw new Error(`table ${table}: partition spec ${spec['spec-id']} is not one field of ${P.p_event_time}`);
    const files = dataFiles(schema, partitionField.transform, todo);

    const manifest = writeManifest({ schemaJson: JSON.stringify(schema), specId: spec['spec-id'], partitionFields, snapshotId: BigInt(id), sequenceNumber, files });
    // Named apart per attempt (as Iceberg's writers do): two committers making the same snapshot id never write one file.
    const attemptId = randomUUID();
    const manifestPath = `${m.location}/metadata/${attemptId}-m0.avro`;
    await deps.write(manifestPath, manifest);
    const entry = manifestListEntryFor({ manifestPath, manifestLength: manifest.length, specId: spec['spec-id'], snapshotId: BigInt(id), sequenceNumber, files, fieldCount: partitionFields.length });
    const carried = await mergeManifests(deps, await manifestsOf(deps, m), {
      path: `${m.location}/metadata/${attemptId}-m1.avro`,
      schemaJson: JSON.stringify(schema),
      specId: spec['spec-id'],
      partitionFields,
      snapshotId: BigInt(id),
      sequenceNumber,
    });
    const list = writeManifestList({
      snapshotId: BigInt(id),
      parentSnapshotId: parent === undefined ? null : BigInt(parent),
      sequenceNumber,
      manifests: [entry, ...carried],
    });
    const listPath = `${m.location}/metadata/snap-${id}-${attempt}-${attemptId}.avro`;
    await deps.write(listPath, list);

    const rows = files.reduce((n, f) => n + f.recordCount, 0);
    const next = withAppend(m, {
      snapshotId: id,
      manifestList: listPath,
      now,
      previous: loaded?.metadataLocation ?? '',
      summary: {
        'added-data-files': String(files.length),
        'added-records': String(rows),
        'added-files-size': String(files.reduce((n, f) => n + f.fileSizeInBytes, 0)),
        [INPUTS_KEY]: JSON.stringify(inputs),
      },
    });
    if (!loaded) next['metadata-log'] = [];
    try {
      await deps.catalog.commit(table, loaded?.version ?? 0, next);
      return { snapshotId: id, committed: inputs, already, attempts: attempt };
    } catch (e) {
      // Another writer moved the table: read it again (the inputs it committed drop out) and make the snapshot anew.
      if (!(e instanceof CommitConflict) || attempt >= MAX_ATTEMPTS) throw e;
    }
  }
}

/** Iceberg's defaults for merging manifests on append (commit.manifest.min-count-to-merge, .target-size-bytes). */
export const MIN_MANIFESTS_TO_MERGE = 100;
export const MANIFEST_TARGET_BYTES = 8 * 1024 * 1024;

/**
 * The manifests a new snapshot carries over, their small ones merged into one once there are enough of them, as
 * Iceberg's merging append does: without it every commit adds a manifest that every later commit and every query
 * plan reads (a committer's table gains 1,440 a day). The merged manifest holds the live files as EXISTING entries,
 * each with its own snapshot id and sequence numbers (deletes of earlier snapshots are not carried); manifests of
 * another partition spec, or past the target size, are carried as they are.
 */
export async function mergeManifests(
  deps: Pick<CommitDeps, 'read' | 'write'>,
  manifests: ManifestListEntry[],
  into: { path: string; schemaJson: string; specId: number; partitionFields: PartitionFieldSpec[]; snapshotId: bigint; sequenceNumber: bigint },
): Promise<ManifestListEntry[]> {
  // Data manifests only: a delete manifest (another writer's row deletes) is carried as it is, as Iceberg does.
  const small = manifests.filter((m) => (m.content ?? 0) === 0 && m.specId === into.specId && m.manifestLength < MANIFEST_TARGET_BYTES);
  // Counting the new snapshot's own manifest, as Iceberg does.
  if (small.length + 1 < MIN_MANIFESTS_TO_MERGE) return manifests;
  const entries: ManifestEntry[] = [];
  for (const m of small) {
    for (const e of readManifestEntries(await deps.read(m.manifestPath)).entries) {
      if (e.status === STATUS_DELETED) continue;
      entries.push({ ...inherited(e, m), status: STATUS_EXISTING });
    }
  }
  const rest = manifests.filter((m) => !small.includes(m));
  if (entries.length === 0) return rest;
  const bytes = writeManifestEntries({ schemaJson: into.schemaJson, specId: into.specId, partitionFields: into.partitionFields, entries });
  await deps.write(into.path, bytes);
  const merged = manifestListEntryOf({
    manifestPath: into.path,
    manifestLength: bytes.length,
    specId: into.specId,
    snapshotId: into.snapshotId,
    sequenceNumber: into.sequenceNumber,
    entries,
    fieldCount: into.partitionFields.length,
  });
  return [merged, ...rest];
}

/** A table's first metadata: the columns' schema, partitioned by the event time's hour or day, no snapshot. */
function newTable(catalog: IcebergCatalog, table: string, columns: readonly LakeColumn[], transform: 'hour' | 'day', now: number): TableMetadata {
  const { schema, lastColumnId } = icebergSchema(columns);
  return newTableMetadata({ uuid: randomUUID(), location: catalog.tableLocation(table), schema, lastColumnId, transform, now });
}

/**
 * Creates `table` when it does not exist (no snapshot: an empty table, as the stack creates every table so that the
 * table optimizers can be set on it); an existing table is left as it is, its schema updated at its next append.
 * Returns whether it created it.
 */
export async function ensureTable(
  deps: Pick<CommitDeps, 'catalog' | 'now'>,
  table: string,
  columns: readonly LakeColumn[],
  transform: 'hour' | 'day',
): Promise<boolean> {
  if (await deps.catalog.load(table)) return false;
  try {
    await deps.catalog.commit(table, 0, newTable(deps.catalog, table, columns, transform, deps.now()));
    return true;
  } catch (e) {
    // Created meanwhile by another writer (the committer's first append): there it is.
    if (e instanceof CommitConflict && (await deps.catalog.load(table))) return false;
    throw e;
  }
}

/** The metadata with the columns' schema current: the same schema, or a new one keeping ids and adding columns. */
function withSchema(m: TableMetadata, columns: readonly LakeColumn[]): TableMetadata {
  const current = currentSchema(m);
  const { schema, lastColumnId } = icebergSchema(columns, { schema: current, lastColumnId: m['last-column-id'] });
  if (schema['schema-id'] === current['schema-id']) return m;
  // Columns a schema dropped stay in the table (older files have them): the new schema is the old one plus the new.
  const kept = current.fields.filter((f) => !schema.fields.some((n) => n.name === f.name));
  const fields = [...schema.fields, ...kept];
  // The same fields as the current schema, in any order (a column dropped before, kept at the end): nothing new.
  const key = (fs: readonly IcebergSchema['fields'][number][]): string => JSON.stringify([...fs].sort((a, b) => a.id - b.id));
  if (key(fields) === key(current.fields)) return m;
  const merged: IcebergSchema = { ...schema, 'schema-id': Math.max(...m.schemas.map((s) => s['schema-id'])) + 1, fields };
  return {
    ...m,
    schemas: [...m.schemas, merged],
    'current-schema-id': merged['schema-id'],
    'last-column-id': lastColumnId,
    properties: { ...m.properties, 'schema.name-mapping.default': nameMapping(merged) },
  };
}
