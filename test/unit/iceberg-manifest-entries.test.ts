import {
  boundBytes,
  type DataFileEntry,
  inherited,
  type ManifestEntry,
  manifestListEntryOf,
  type PartitionFieldSpec,
  readManifestEntries,
  STATUS_ADDED,
  STATUS_DELETED,
  STATUS_EXISTING,
  writeManifestEntries,
} from '../../lib/iceberg/manifest';

const FIELDS: PartitionFieldSpec[] = [{ sourceId: 3, fieldId: 1000, name: 'p_event_time_hour', transform: 'hour', resultType: 'int' }];
const SCHEMA = JSON.stringify({ type: 'struct', 'schema-id': 0, fields: [] });

const file = (path: string, hour: number, rows: number): DataFileEntry => ({
  filePath: path,
  fileSizeInBytes: rows * 10,
  recordCount: rows,
  partition: [hour],
  valueCounts: new Map([[3, rows]]),
  nullValueCounts: new Map([[3, 0]]),
  lowerBounds: new Map([[3, boundBytes('timestamptz', 1_793_527_200_000_000n)]]),
  upperBounds: new Map([[3, boundBytes('timestamptz', 1_793_530_799_999_999n)]]),
});

describe('manifest entries of any status, as a rewrite writes them', () => {
  const entries: ManifestEntry[] = [
    { status: STATUS_ADDED, snapshotId: 9n, sequenceNumber: null, fileSequenceNumber: null, file: file('/new.parquet', 498202, 30) },
    { status: STATUS_DELETED, snapshotId: 9n, sequenceNumber: 1n, fileSequenceNumber: 1n, file: file('/old-a.parquet', 498202, 10) },
    { status: STATUS_DELETED, snapshotId: 9n, sequenceNumber: 2n, fileSequenceNumber: 2n, file: file('/old-b.parquet', 498202, 20) },
    { status: STATUS_EXISTING, snapshotId: 5n, sequenceNumber: 2n, fileSequenceNumber: 2n, file: { ...file('/kept.parquet', 498203, 7), splitOffsets: [4n, 100n], sortOrderId: 0 } },
  ];

  it('reads back what it writes: status, snapshot and sequence numbers, stats, partition', () => {
    const read = readManifestEntries(writeManifestEntries({ schemaJson: SCHEMA, specId: 0, partitionFields: FIELDS, entries }));
    expect(read.specId).toBe(0);
    expect(read.entries).toEqual(entries);
  });

  it('counts files and rows by status; the lowest sequence number is of the live files', () => {
    const l = manifestListEntryOf({ manifestPath: '/m.avro', manifestLength: 1, specId: 0, snapshotId: 9n, sequenceNumber: 4n, entries, fieldCount: 1 });
    expect(l).toMatchObject({ addedFilesCount: 1, existingFilesCount: 1, deletedFilesCount: 2, addedRowsCount: 30, existingRowsCount: 7, deletedRowsCount: 30, sequenceNumber: 4n, minSequenceNumber: 2n });
    expect(l.partitions?.[0]).toMatchObject({ containsNull: false, lowerBound: boundBytes('int', 498202), upperBound: boundBytes('int', 498203) });
  });

  it('inherits an ADDED entry\'s null numbers from its manifest, and refuses an EXISTING entry without them', () => {
    const list = manifestListEntryOf({ manifestPath: '/m.avro', manifestLength: 1, specId: 0, snapshotId: 9n, sequenceNumber: 4n, entries, fieldCount: 1 });
    expect(inherited({ ...entries[0]!, snapshotId: null }, list)).toMatchObject({ snapshotId: 9n, sequenceNumber: 4n, fileSequenceNumber: 4n });
    expect(inherited(entries[3]!, list)).toMatchObject({ snapshotId: 5n, sequenceNumber: 2n });
    expect(() => writeManifestEntries({ schemaJson: SCHEMA, specId: 0, partitionFields: FIELDS, entries: [{ ...entries[3]!, sequenceNumber: null }] })).toThrow(/needs its snapshot id and sequence numbers/);
  });
});
