import { P } from '../row/contract';
import { IcebergSchema, nameMapping } from './schema';

/**
 * Iceberg v2 table metadata (the spec's `metadata.json`), created and advanced by pure functions: the caller gives
 * the clock, ids and locations, the catalog (lib/iceberg/catalog.ts) makes a new version current.
 */

export interface PartitionField {
  'source-id': number;
  'field-id': number;
  name: string;
  transform: 'hour' | 'day';
}

export interface PartitionSpec {
  'spec-id': number;
  fields: PartitionField[];
}

/**
 * What a snapshot did: `append` adds files; `replace` rewrites files without changing the table's rows (a compaction),
 * which readers of changes (incremental scans) skip.
 */
export type SnapshotOperation = 'append' | 'replace';

export interface Snapshot {
  'snapshot-id': number;
  'parent-snapshot-id'?: number;
  'sequence-number': number;
  'timestamp-ms': number;
  'manifest-list': string;
  summary: Record<string, string> & { operation: SnapshotOperation };
  'schema-id': number;
}

export interface TableMetadata {
  'format-version': 2;
  'table-uuid': string;
  location: string;
  'last-sequence-number': number;
  'last-updated-ms': number;
  'last-column-id': number;
  'current-schema-id': number;
  schemas: IcebergSchema[];
  'default-spec-id': number;
  'partition-specs': PartitionSpec[];
  'last-partition-id': number;
  'default-sort-order-id': number;
  'sort-orders': { 'order-id': number; fields: [] }[];
  properties: Record<string, string>;
  'current-snapshot-id'?: number;
  refs: Record<string, { 'snapshot-id': number; type: 'branch' }>;
  snapshots: Snapshot[];
  'snapshot-log': { 'snapshot-id': number; 'timestamp-ms': number }[];
  'metadata-log': { 'metadata-file': string; 'timestamp-ms': number }[];
}

/** Partition field ids start here (the spec's convention, apart from column ids). */
const FIRST_PARTITION_FIELD_ID = 1000;

/** The partition spec: the event time's hour or day (`p_event_time_hour` or `_day`), the lake's own partitioning. */
export function partitionSpec(schema: IcebergSchema, transform: 'hour' | 'day'): PartitionSpec {
  const source = schema.fields.find((f) => f.name === P.p_event_time);
  if (!source) throw new Error(`the schema has no ${P.p_event_time}`);
  return { 'spec-id': 0, fields: [{ 'source-id': source.id, 'field-id': FIRST_PARTITION_FIELD_ID, name: `${P.p_event_time}_${transform}`, transform }] };
}

/** A new table's metadata: no snapshot yet. */
export function newTableMetadata(o: {
  uuid: string;
  location: string;
  schema: IcebergSchema;
  lastColumnId: number;
  transform: 'hour' | 'day';
  now: number;
  properties?: Record<string, string>;
}): TableMetadata {
  const spec = partitionSpec(o.schema, o.transform);
  return {
    'format-version': 2,
    'table-uuid': o.uuid,
    location: o.location,
    'last-sequence-number': 0,
    'last-updated-ms': o.now,
    'last-column-id': o.lastColumnId,
    'current-schema-id': o.schema['schema-id'],
    schemas: [o.schema],
    'default-spec-id': spec['spec-id'],
    'partition-specs': [spec],
    'last-partition-id': Math.max(FIRST_PARTITION_FIELD_ID - 1, ...spec.fields.map((f) => f['field-id'])),
    'default-sort-order-id': 0,
    'sort-orders': [{ 'order-id': 0, fields: [] }],
    properties: { 'write.format.default': 'parquet', 'schema.name-mapping.default': nameMapping(o.schema), ...o.properties },
    refs: {},
    snapshots: [],
    'snapshot-log': [],
    'metadata-log': [],
  };
}

export function currentSnapshot(m: TableMetadata): Snapshot | undefined {
  return m.snapshots.find((s) => s['snapshot-id'] === m['current-snapshot-id']);
}

export function currentSchema(m: TableMetadata): IcebergSchema {
  const s = m.schemas.find((x) => x['schema-id'] === m['current-schema-id']);
  if (!s) throw new Error(`table ${m.location}: no schema ${m['current-schema-id']}`);
  return s;
}

/**
 * The metadata after an append: a new snapshot with the next sequence number, current on `main`. `previous` is the
 * metadata file this version replaces (the metadata log).
 */
export function withAppend(
  m: TableMetadata,
  o: { snapshotId: number; manifestList: string; summary: Record<string, string>; now: number; previous: string },
): TableMetadata {
  return withSnapshot(m, 'append', o);
}

/**
 * The metadata after a rewrite of data files (a compaction): a `replace` snapshot, made as an append's is. Earlier
 * snapshots stay, and with them the inputs their summaries name.
 */
export function withReplace(
  m: TableMetadata,
  o: { snapshotId: number; manifestList: string; summary: Record<string, string>; now: number; previous: string },
): TableMetadata {
  return withSnapshot(m, 'replace', o);
}

function withSnapshot(
  m: TableMetadata,
  operation: SnapshotOperation,
  o: { snapshotId: number; manifestList: string; summary: Record<string, string>; now: number; previous: string },
): TableMetadata {
  const sequenceNumber = m['last-sequence-number'] + 1;
  const parent = m['current-snapshot-id'];
  const snapshot: Snapshot = {
    'snapshot-id': o.snapshotId,
    ...(parent !== undefined ? { 'parent-snapshot-id': parent } : {}),
    'sequence-number': sequenceNumber,
    'timestamp-ms': o.now,
    'manifest-list': o.manifestList,
    summary: { ...o.summary, operation },
    'schema-id': m['current-schema-id'],
  };
  return {
    ...m,
    'last-sequence-number': sequenceNumber,
    'last-updated-ms': o.now,
    'current-snapshot-id': o.snapshotId,
    refs: { ...m.refs, main: { 'snapshot-id': o.snapshotId, type: 'branch' } },
    snapshots: [...m.snapshots, snapshot],
    'snapshot-log': [...m['snapshot-log'], { 'snapshot-id': o.snapshotId, 'timestamp-ms': o.now }],
    // The newest entries only (Iceberg's write.metadata.previous-versions-max): every commit rewrites the file.
    'metadata-log': [...m['metadata-log'], { 'metadata-file': o.previous, 'timestamp-ms': m['last-updated-ms'] }].slice(-PREVIOUS_VERSIONS_MAX),
  };
}

/** Metadata files a table's metadata log names at most, Iceberg's default. */
export const PREVIOUS_VERSIONS_MAX = 100;
