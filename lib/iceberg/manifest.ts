/**
 * Iceberg v2 manifest files and manifest lists as Avro object container files, with the field ids, record names and
 * header metadata that Iceberg (Java) and pyiceberg write, so either reads them:
 * - a manifest holds manifest_entry records (status, snapshot_id, sequence_number, file_sequence_number, data_file);
 * - a manifest list holds manifest_file records, one per manifest of a snapshot.
 * Maps (column id -> count or bound) are Iceberg's map-as-array-of-{key, value}-records with "logicalType": "map".
 */
import { type AvroField, type AvroRecord, type AvroType, readContainer, writeContainer } from './avro';

/**
 * One field of a partition spec. hour(ts) results are int (hours since the epoch); day(ts) results are days since the
 * epoch, written as Iceberg type date (an Avro int with logicalType "date"), as Iceberg Java and pyiceberg type them.
 */
export interface PartitionFieldSpec { sourceId: number; fieldId: number; name: string; transform: 'hour' | 'day' | 'identity'; resultType: 'int' }

export interface DataFileEntry {
  filePath: string;
  fileSizeInBytes: number;
  recordCount: number;
  /** Values in partition-spec field order; hour(ts) is hours and day(ts) days since 1970-01-01 (UTC). */
  partition: (number | null)[];
  columnSizes?: Map<number, number>;
  valueCounts?: Map<number, number>;
  nullValueCounts?: Map<number, number>;
  nanValueCounts?: Map<number, number>;
  /** Iceberg single-value binary serialization (boundBytes). */
  lowerBounds?: Map<number, Uint8Array>;
  upperBounds?: Map<number, Uint8Array>;
  /** Row group offsets, as another writer (Iceberg Java, Glue) may record them: carried over as they are. */
  splitOffsets?: bigint[];
  sortOrderId?: number;
}

/** A manifest entry's status: Iceberg's EXISTING (carried over), ADDED (by this snapshot), DELETED (by this snapshot). */
export const STATUS_EXISTING = 0;
export const STATUS_ADDED = 1;
export const STATUS_DELETED = 2;
export type EntryStatus = typeof STATUS_EXISTING | typeof STATUS_ADDED | typeof STATUS_DELETED;

/**
 * One manifest entry. Null snapshot and sequence numbers are inherited from the manifest list when read (the spec
 * allows null sequence numbers for ADDED entries only); EXISTING and DELETED entries carry the file's own.
 */
export interface ManifestEntry {
  status: EntryStatus;
  snapshotId: bigint | null;
  /** The data sequence number. */
  sequenceNumber: bigint | null;
  fileSequenceNumber: bigint | null;
  file: DataFileEntry;
}

export interface ManifestListEntry {
  manifestPath: string;
  /** 0: data files; 1: delete files (another writer's, as Athena's DELETE or MERGE writes them), carried as they are. */
  content?: number;
  manifestLength: number;
  specId: number;
  sequenceNumber: bigint;
  minSequenceNumber: bigint;
  addedSnapshotId: bigint;
  addedFilesCount: number;
  existingFilesCount: number;
  deletedFilesCount: number;
  addedRowsCount: number;
  existingRowsCount: number;
  deletedRowsCount: number;
  /** One summary per partition-spec field, in spec order. */
  partitions?: { containsNull: boolean; containsNan?: boolean; lowerBound?: Uint8Array; upperBound?: Uint8Array }[];
}

const CONTENT_DATA = 0;

const opt = (type: AvroType): AvroType => ['null', type];
const field = (id: number, name: string, type: AvroType, optional = false): AvroField =>
  optional ? { name, 'field-id': id, type: opt(type), default: null } : { name, 'field-id': id, type };
/** Iceberg's map with int keys, as an array of {key, value} records named k<keyId>_v<valueId>. */
const intMap = (id: number, name: string, keyId: number, valueId: number, value: AvroType): AvroField =>
  field(id, name, {
    type: 'array',
    logicalType: 'map',
    items: { type: 'record', name: `k${keyId}_v${valueId}`, fields: [{ name: 'key', type: 'int', 'field-id': keyId }, { name: 'value', type: value, 'field-id': valueId }] },
  }, true);

/** The Avro schema of a v2 manifest entry, the data_file's partition record built from the spec's fields. */
export function manifestEntrySchema(partitionFields: PartitionFieldSpec[]): AvroRecord {
  // day(ts) is Iceberg type date (days since 1970-01-01, an Avro int with logicalType date), as Java and pyiceberg type it.
  const partitionType = (p: PartitionFieldSpec): AvroType => (p.transform === 'day' ? { type: 'int', logicalType: 'date' } : p.resultType);
  const partition: AvroRecord = { type: 'record', name: 'r102', fields: partitionFields.map((p) => field(p.fieldId, p.name, partitionType(p), true)) };
  const dataFile: AvroRecord = {
    type: 'record',
    name: 'r2',
    fields: [
      field(134, 'content', 'int'),
      field(100, 'file_path', 'string'),
      field(101, 'file_format', 'string'),
      field(102, 'partition', partition),
      field(103, 'record_count', 'long'),
      field(104, 'file_size_in_bytes', 'long'),
      intMap(108, 'column_sizes', 117, 118, 'long'),
      intMap(109, 'value_counts', 119, 120, 'long'),
      intMap(110, 'null_value_counts', 121, 122, 'long'),
      intMap(137, 'nan_value_counts', 138, 139, 'long'),
      intMap(125, 'lower_bounds', 126, 127, 'bytes'),
      intMap(128, 'upper_bounds', 129, 130, 'bytes'),
      field(131, 'key_metadata', 'bytes', true),
      field(132, 'split_offsets', { type: 'array', 'element-id': 133, items: 'long' }, true),
      field(135, 'equality_ids', { type: 'array', 'element-id': 136, items: 'int' }, true),
      field(140, 'sort_order_id', 'int', true),
    ],
  };
  return {
    type: 'record',
    name: 'manifest_entry',
    fields: [field(0, 'status', 'int'), field(1, 'snapshot_id', 'long', true), field(3, 'sequence_number', 'long', true), field(4, 'file_sequence_number', 'long', true), field(2, 'data_file', dataFile)],
  };
}

export const MANIFEST_FILE_SCHEMA: AvroRecord = {
  type: 'record',
  name: 'manifest_file',
  fields: [
    field(500, 'manifest_path', 'string'),
    field(501, 'manifest_length', 'long'),
    field(502, 'partition_spec_id', 'int'),
    field(517, 'content', 'int'),
    field(515, 'sequence_number', 'long'),
    field(516, 'min_sequence_number', 'long'),
    field(503, 'added_snapshot_id', 'long'),
    field(504, 'added_files_count', 'int'),
    field(505, 'existing_files_count', 'int'),
    field(506, 'deleted_files_count', 'int'),
    field(512, 'added_rows_count', 'long'),
    field(513, 'existing_rows_count', 'long'),
    field(514, 'deleted_rows_count', 'long'),
    field(507, 'partitions', {
      type: 'array',
      'element-id': 508,
      items: {
        type: 'record',
        name: 'r508',
        fields: [field(509, 'contains_null', 'boolean'), field(518, 'contains_nan', 'boolean', true), field(510, 'lower_bound', 'bytes', true), field(511, 'upper_bound', 'bytes', true)],
      },
    }, true),
    field(519, 'key_metadata', 'bytes', true),
  ],
};

/** The partition-spec JSON of the manifest header and table metadata: [{name, transform, source-id, field-id}]. */
export function partitionSpecJson(partitionFields: PartitionFieldSpec[]): string {
  return JSON.stringify(partitionFields.map((p) => ({ name: p.name, transform: p.transform, 'source-id': p.sourceId, 'field-id': p.fieldId })));
}

const entries = <V>(m: Map<number, V> | undefined): { key: number; value: V }[] | null =>
  m === undefined ? null : [...m].sort(([a], [b]) => a - b).map(([key, value]) => ({ key, value }));

/**
 * One manifest (content=data) of ADDED entries for one snapshot. `sequenceNumber` null writes the entries' sequence
 * numbers as null, to be inherited from the manifest list (what Iceberg's writers do for new files: the manifest then
 * stays valid if a commit retries with another sequence number); a bigint writes it explicitly.
 * The header's "schema-id" is the table schema JSON's "schema-id" (0 if absent) unless `schemaId` is given.
 */
export function writeManifest(o: {
  schemaJson: string;
  schemaId?: number;
  specId: number;
  partitionFields: PartitionFieldSpec[];
  snapshotId: bigint;
  sequenceNumber: bigint | null;
  files: DataFileEntry[];
  sync?: Uint8Array;
}): Buffer {
  const entries = o.files.map((file): ManifestEntry => ({ status: STATUS_ADDED, snapshotId: o.snapshotId, sequenceNumber: o.sequenceNumber, fileSequenceNumber: o.sequenceNumber, file }));
  return writeManifestEntries({ ...o, entries });
}

/** One manifest (content=data) of entries of any status, as a rewrite writes them: each entry as given. */
export function writeManifestEntries(o: {
  schemaJson: string;
  schemaId?: number;
  specId: number;
  partitionFields: PartitionFieldSpec[];
  entries: ManifestEntry[];
  sync?: Uint8Array;
}): Buffer {
  if (o.entries.length === 0) throw new Error('a manifest needs at least one data file');
  const schemaId = o.schemaId ?? (JSON.parse(o.schemaJson) as { 'schema-id'?: number })['schema-id'] ?? 0;
  const schema = manifestEntrySchema(o.partitionFields);
  const records = o.entries.map(({ status, snapshotId, sequenceNumber, fileSequenceNumber, file: f }) => {
    if (f.partition.length !== o.partitionFields.length) {
      throw new Error(`${f.filePath}: ${f.partition.length} partition values for ${o.partitionFields.length} partition fields`);
    }
    if (status !== STATUS_ADDED && (sequenceNumber === null || fileSequenceNumber === null || snapshotId === null)) {
      // Only ADDED entries inherit: a carried-over or deleted file keeps the numbers it was added with.
      throw new Error(`${f.filePath}: an entry of status ${status} needs its snapshot id and sequence numbers`);
    }
    return {
      status,
      snapshot_id: snapshotId,
      sequence_number: sequenceNumber,
      file_sequence_number: fileSequenceNumber,
      data_file: {
        content: CONTENT_DATA,
        file_path: f.filePath,
        file_format: 'PARQUET',
        partition: Object.fromEntries(o.partitionFields.map((p, i) => [p.name, f.partition[i]])),
        record_count: f.recordCount,
        file_size_in_bytes: f.fileSizeInBytes,
        column_sizes: entries(f.columnSizes),
        value_counts: entries(f.valueCounts),
        null_value_counts: entries(f.nullValueCounts),
        nan_value_counts: entries(f.nanValueCounts),
        lower_bounds: entries(f.lowerBounds),
        upper_bounds: entries(f.upperBounds),
        key_metadata: null,
        split_offsets: f.splitOffsets ?? null,
        equality_ids: null,
        sort_order_id: f.sortOrderId ?? null,
      },
    };
  });
  const metadata = {
    schema: o.schemaJson,
    'schema-id': String(schemaId),
    'partition-spec': partitionSpecJson(o.partitionFields),
    'partition-spec-id': String(o.specId),
    'format-version': '2',
    content: 'data',
  };
  return writeContainer(schema, metadata, records, o.sync);
}

/**
 * The manifest-list entry for a manifest written by writeManifest: counts and per-field partition summaries
 * (int bounds) from its files.
 */
export function manifestListEntryFor(o: {
  manifestPath: string;
  manifestLength: number;
  specId: number;
  snapshotId: bigint;
  sequenceNumber: bigint;
  files: DataFileEntry[];
  fieldCount: number;
}): ManifestListEntry {
  const entries = o.files.map((file): ManifestEntry => ({ status: STATUS_ADDED, snapshotId: o.snapshotId, sequenceNumber: null, fileSequenceNumber: null, file }));
  return manifestListEntryOf({ ...o, entries });
}

/**
 * The manifest-list entry for a manifest of entries of any status: files and rows counted by status, the lowest data
 * sequence number of its live (ADDED or EXISTING) files, and partition summaries over every entry, as Iceberg's
 * writers make them.
 */
export function manifestListEntryOf(o: {
  manifestPath: string;
  manifestLength: number;
  specId: number;
  snapshotId: bigint;
  sequenceNumber: bigint;
  entries: ManifestEntry[];
  fieldCount: number;
}): ManifestListEntry {
  const partitions = Array.from({ length: o.fieldCount }, (_, i) => {
    const values = o.entries.map((e) => e.file.partition[i] ?? null);
    const present = values.filter((v): v is number => v !== null);
    const summary: NonNullable<ManifestListEntry['partitions']>[number] = { containsNull: present.length < values.length, containsNan: false };
    if (present.length > 0) {
      summary.lowerBound = boundBytes('int', Math.min(...present));
      summary.upperBound = boundBytes('int', Math.max(...present));
    }
    return summary;
  });
  const of = (status: EntryStatus): ManifestEntry[] => o.entries.filter((e) => e.status === status);
  const rows = (es: ManifestEntry[]): number => es.reduce((n, e) => n + e.file.recordCount, 0);
  const live = o.entries.filter((e) => e.status !== STATUS_DELETED).map((e) => e.sequenceNumber ?? o.sequenceNumber);
  return {
    manifestPath: o.manifestPath,
    manifestLength: o.manifestLength,
    specId: o.specId,
    sequenceNumber: o.sequenceNumber,
    minSequenceNumber: live.length > 0 ? live.reduce((a, b) => (b < a ? b : a)) : o.sequenceNumber,
    addedSnapshotId: o.snapshotId,
    addedFilesCount: of(STATUS_ADDED).length,
    existingFilesCount: of(STATUS_EXISTING).length,
    deletedFilesCount: of(STATUS_DELETED).length,
    addedRowsCount: rows(of(STATUS_ADDED)),
    existingRowsCount: rows(of(STATUS_EXISTING)),
    deletedRowsCount: rows(of(STATUS_DELETED)),
    partitions,
  };
}

/** The manifest list of one snapshot. */
export function writeManifestList(o: { snapshotId: bigint; parentSnapshotId: bigint | null; sequenceNumber: bigint; manifests: ManifestListEntry[]; sync?: Uint8Array }): Buffer {
  const records = o.manifests.map((m) => ({
    manifest_path: m.manifestPath,
    manifest_length: m.manifestLength,
    partition_spec_id: m.specId,
    content: m.content ?? CONTENT_DATA,
    sequence_number: m.sequenceNumber,
    min_sequence_number: m.minSequenceNumber,
    added_snapshot_id: m.addedSnapshotId,
    added_files_count: m.addedFilesCount,
    existing_files_count: m.existingFilesCount,
    deleted_files_count: m.deletedFilesCount,
    added_rows_count: m.addedRowsCount,
    existing_rows_count: m.existingRowsCount,
    deleted_rows_count: m.deletedRowsCount,
    partitions: m.partitions?.map((p) => ({ contains_null: p.containsNull, contains_nan: p.containsNan ?? null, lower_bound: p.lowerBound ?? null, upper_bound: p.upperBound ?? null })) ?? null,
    key_metadata: null,
  }));
  const metadata = {
    'snapshot-id': String(o.snapshotId),
    'parent-snapshot-id': o.parentSnapshotId === null ? 'null' : String(o.parentSnapshotId),
    'sequence-number': String(o.sequenceNumber),
    'format-version': '2',
  };
  return writeContainer(MANIFEST_FILE_SCHEMA, metadata, records, o.sync);
}

/** The entries of a manifest list, as writeManifestList takes them: a snapshot's list carries the earlier ones. */
export function readManifestList(file: Buffer): ManifestListEntry[] {
  return (readContainer(file).records as Record<string, unknown>[]).map((r) => ({
    manifestPath: r.manifest_path as string,
    ...(r.content !== undefined && r.content !== null && Number(r.content) !== CONTENT_DATA ? { content: Number(r.content) } : {}),
    manifestLength: Number(r.manifest_length),
    specId: Number(r.partition_spec_id),
    sequenceNumber: BigInt(r.sequence_number as bigint),
    minSequenceNumber: BigInt(r.min_sequence_number as bigint),
    addedSnapshotId: BigInt(r.added_snapshot_id as bigint),
    addedFilesCount: Number(r.added_files_count),
    existingFilesCount: Number(r.existing_files_count),
    deletedFilesCount: Number(r.deleted_files_count),
    addedRowsCount: Number(r.added_rows_count),
    existingRowsCount: Number(r.existing_rows_count),
    deletedRowsCount: Number(r.deleted_rows_count),
    ...(Array.isArray(r.partitions)
      ? {
          partitions: (r.partitions as Record<string, unknown>[]).map((p) => ({
            containsNull: p.contains_null === true,
            ...(typeof p.contains_nan === 'boolean' ? { containsNan: p.contains_nan } : {}),
            ...(p.lower_bound instanceof Uint8Array ? { lowerBound: p.lower_bound } : {}),
            ...(p.upper_bound instanceof Uint8Array ? { upperBound: p.upper_bound } : {}),
          })),
        }
      : {}),
  }));
}

/** The data files a manifest holds, but for those its snapshot deleted (status 2: a rewrite's inputs). */
export function manifestDataFiles(file: Buffer): string[] {
  const entries = readContainer(file).records as { status: number; data_file: { file_path: string } }[];
  return entries.filter((e) => e.status !== STATUS_DELETED).map((e) => e.data_file.file_path);
}

type IntMapRecord<V> = { key: number; value: V }[] | null;
const toMap = <V>(a: unknown): Map<number, V> | undefined =>
  Array.isArray(a) ? new Map((a as NonNullable<IntMapRecord<V>>).map((e) => [Number(e.key), e.value])) : undefined;

/**
 * A manifest's entries with their files' stats, as writeManifestEntries takes them back, and its partition spec id.
 * Numbers are as written (null where inherited): resolve them against the manifest list with `inherited`.
 */
export function readManifestEntries(file: Buffer): { specId: number; entries: ManifestEntry[] } {
  const { metadata, records } = readContainer(file);
  const fields = (JSON.parse(metadata['partition-spec'] ?? '[]') as { name: string }[]).map((f) => f.name);
  const nullableLong = (v: unknown): bigint | null => (v === null || v === undefined ? null : BigInt(v as bigint));
  const entries = (records as Record<string, unknown>[]).map((r): ManifestEntry => {
    const d = r.data_file as Record<string, unknown>;
    const partition = d.partition as Record<string, unknown>;
    const file: DataFileEntry = {
      filePath: d.file_path as string,
      fileSizeInBytes: Number(d.file_size_in_bytes),
      recordCount: Number(d.record_count),
      partition: fields.map((f) => (partition[f] === null || partition[f] === undefined ? null : Number(partition[f]))),
    };
    const maps = {
      columnSizes: toMap<bigint>(d.column_sizes),
      valueCounts: toMap<bigint>(d.value_counts),
      nullValueCounts: toMap<bigint>(d.null_value_counts),
      nanValueCounts: toMap<bigint>(d.nan_value_counts),
    };
    for (const [k, m] of Object.entries(maps)) {
      if (m !== undefined) file[k as keyof typeof maps] = new Map([...m].map(([id, v]) => [id, Number(v)]));
    }
    const lower = toMap<Uint8Array>(d.lower_bounds);
    const upper = toMap<Uint8Array>(d.upper_bounds);
    if (lower !== undefined) file.lowerBounds = lower;
    if (upper !== undefined) file.upperBounds = upper;
    if (Array.isArray(d.split_offsets)) file.splitOffsets = (d.split_offsets as bigint[]).map((x) => BigInt(x));
    if (typeof d.sort_order_id === 'number') file.sortOrderId = d.sort_order_id;
    return {
      status: Number(r.status) as EntryStatus,
      snapshotId: nullableLong(r.snapshot_id),
      sequenceNumber: nullableLong(r.sequence_number),
      fileSequenceNumber: nullableLong(r.file_sequence_number),
      file,
    };
  });
  return { specId: Number(metadata['partition-spec-id'] ?? 0), entries };
}

/**
 * An entry with the numbers Iceberg's inheritance gives it from its manifest's list entry: a null snapshot id is the
 * manifest's added snapshot; null sequence numbers of an ADDED entry are the manifest's sequence number.
 */
export function inherited(e: ManifestEntry, m: ManifestListEntry): ManifestEntry & { snapshotId: bigint; sequenceNumber: bigint; fileSequenceNumber: bigint } {
  const seq = (v: bigint | null): bigint => {
    if (v !== null) return v;
    if (e.status !== STATUS_ADDED) throw new Error(`${e.file.filePath}: no sequence number on an entry of status ${e.status} in ${m.manifestPath}`);
    return m.sequenceNumber;
  };
  return { ...e, snapshotId: e.snapshotId ?? m.addedSnapshotId, sequenceNumber: seq(e.sequenceNumber), fileSequenceNumber: seq(e.fileSequenceNumber) };
}

/**
 * Iceberg's single-value binary serialization, for bounds: int 4 bytes LE, long and timestamptz (microseconds) 8 bytes
 * LE two's complement, double 8 bytes LE IEEE 754, boolean 1 byte (0 or 1), string UTF-8 without a length.
 */
export function boundBytes(type: 'int' | 'long' | 'timestamptz' | 'double' | 'boolean' | 'string', v: number | bigint | boolean | string): Uint8Array {
  switch (type) {
    case 'int': {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < -(2 ** 31) || v > 2 ** 31 - 1) throw new RangeError(`not an int: ${String(v)}`);
      const b = Buffer.alloc(4);
      b.writeInt32LE(v);
      return b;
    }
    case 'long':
    case 'timestamptz': {
      if (typeof v !== 'bigint' && !(typeof v === 'number' && Number.isSafeInteger(v))) throw new RangeError(`not a ${type}: ${String(v)}`);
      const b = Buffer.alloc(8);
      b.writeBigInt64LE(BigInt(v));
      return b;
    }
    case 'double': {
      if (typeof v !== 'number') throw new TypeError(`not a double: ${String(v)}`);
      const b = Buffer.alloc(8);
      b.writeDoubleLE(v);
      return b;
    }
    case 'boolean':
      if (typeof v !== 'boolean') throw new TypeError(`not a boolean: ${String(v)}`);
      return Uint8Array.of(v ? 1 : 0);
    case 'string':
      if (typeof v !== 'string') throw new TypeError(`not a string: ${String(v)}`);
      return Buffer.from(v, 'utf8');
  }
}
