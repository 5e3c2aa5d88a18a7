/**
 * Writes a manifest and its manifest list into a directory, plus expected.json describing what they hold, for
 * check_manifests.py to read back with pyiceberg:
 *   npx tsx test/conformance/iceberg/write-manifests.ts <dir>
 *   .out/pyenv/bin/python test/conformance/iceberg/check_manifests.py <dir>
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { boundBytes, type DataFileEntry, manifestListEntryFor, type PartitionFieldSpec, writeManifest, writeManifestList } from '../../../lib/iceberg/manifest';

const dir = resolve(process.argv[2] ?? '.out/iceberg-manifests');
mkdirSync(dir, { recursive: true });

const schemaJson = JSON.stringify({
  type: 'struct',
  'schema-id': 3,
  fields: [
    { id: 1, name: 'EdgeStartTimestamp', required: true, type: 'timestamptz' },
    { id: 2, name: 'ZoneID', required: false, type: 'long' },
    { id: 3, name: 'ClientIP', required: false, type: 'string' },
    { id: 4, name: 'OriginResponseTime', required: false, type: 'double' },
    { id: 5, name: 'CacheHit', required: false, type: 'boolean' },
    { id: 6, name: 'EdgeResponseStatus', required: false, type: 'int' },
  ],
});
const partitionFields: PartitionFieldSpec[] = [
  { sourceId: 1, fieldId: 1000, name: 'EdgeStartTimestamp_hour', transform: 'hour', resultType: 'int' },
  { sourceId: 1, fieldId: 1001, name: 'EdgeStartTimestamp_day', transform: 'day', resultType: 'int' },
];
const snapshotId = 8_765_432_109_876_543_210n - 9_000_000_000_000_000_000n; // a negative id, as Java's random ids can be
const parentSnapshotId = 1_234_567_890_123_456_789n;
const sequenceNumber = 7n;
const hour = 495_000; // 2026-06-20T00:00Z in hours since the epoch
const micros = (h: number, s = 0): bigint => BigInt(h) * 3_600_000_000n + BigInt(s) * 1_000_000n;

const files: DataFileEntry[] = [
  {
    filePath: 's3://lake-bucket/iceberg/http_requests/data/EdgeStartTimestamp_hour=495000/00000-0-a.parquet',
    fileSizeInBytes: 1_234_567,
    recordCount: 5_882,
    partition: [hour, Math.floor(hour / 24)],
    columnSizes: new Map([[1, 40_000], [2, 900], [3, 120_000], [4, 30_000], [5, 800], [6, 2_000]]),
    valueCounts: new Map([[1, 5_882], [2, 5_882], [3, 5_882], [4, 5_882], [5, 5_882], [6, 5_882]]),
    nullValueCounts: new Map([[1, 0], [2, 0], [3, 12], [4, 100], [5, 0], [6, 0]]),
    lowerBounds: new Map([
      [1, boundBytes('timestamptz', micros(hour))],
      [2, boundBytes('long', -5_000_000_000n)],
      [3, boundBytes('string', '2001:db8::1')],
      [4, boundBytes('double', -0.25)],
      [5, boundBytes('boolean', false)],
      [6, boundBytes('int', 200)],
    ]),
    upperBounds: new Map([
      [1, boundBytes('timestamptz', micros(hour, 3599))],
      [2, boundBytes('long', 9_007_199_254_740_993n)],
      [3, boundBytes('string', 'ÿ-zürich')],
      [4, boundBytes('double', 12.5)],
      [5, boundBytes('boolean', true)],
      [6, boundBytes('int', 504)],
    ]),
  },
  {
    filePath: 's3://lake-bucket/iceberg/http_requests/data/EdgeStartTimestamp_hour=495001/00001-0-b.parquet',
    fileSizeInBytes: 4_096,
    recordCount: 3,
    partition: [hour + 1, Math.floor((hour + 1) / 24)],
  },
];

const manifestPath = `${dir}/manifest-1.avro`;
const manifest = writeManifest({ schemaJson, specId: 0, partitionFields, snapshotId, sequenceNumber: null, files });
writeFileSync(manifestPath, manifest);
const listEntry = manifestListEntryFor({ manifestPath, manifestLength: manifest.length, specId: 0, snapshotId, sequenceNumber, files, fieldCount: partitionFields.length });
writeFileSync(`${dir}/snap-1.avro`, writeManifestList({ snapshotId, parentSnapshotId, sequenceNumber, manifests: [listEntry] }));

// A second manifest with explicit sequence numbers, listed in a second manifest list with no parent.
const manifest2Path = `${dir}/manifest-2.avro`;
const files2: DataFileEntry[] = [{ filePath: '/tmp/local/absolute/path.parquet', fileSizeInBytes: 10, recordCount: 1, partition: [null, null] }];
const manifest2 = writeManifest({ schemaJson, specId: 0, partitionFields, snapshotId: 42n, sequenceNumber: 1n, files: files2 });
writeFileSync(manifest2Path, manifest2);
writeFileSync(
  `${dir}/snap-2.avro`,
  writeManifestList({
    snapshotId: 42n,
    parentSnapshotId: null,
    sequenceNumber: 1n,
    manifests: [manifestListEntryFor({ manifestPath: manifest2Path, manifestLength: manifest2.length, specId: 0, snapshotId: 42n, sequenceNumber: 1n, files: files2, fieldCount: 2 })],
  }),
);

const hex = (m: Map<number, Uint8Array> | undefined) => (m ? Object.fromEntries([...m].map(([k, v]) => [k, Buffer.from(v).toString('hex')])) : null);
const obj = (m: Map<number, number> | undefined) => (m ? Object.fromEntries(m) : null);
const fileJson = (f: DataFileEntry) => ({
  file_path: f.filePath,
  file_size_in_bytes: f.fileSizeInBytes,
  record_count: f.recordCount,
  partition: f.partition,
  column_sizes: obj(f.columnSizes),
  value_counts: obj(f.valueCounts),
  null_value_counts: obj(f.nullValueCounts),
  lower_bounds: hex(f.lowerBounds),
  upper_bounds: hex(f.upperBounds),
});
// The bounds of the first file as values, for the check to serialize with pyiceberg's to_bytes and compare.
const boundValues = [
  { field_id: 1, type: 'timestamptz', lower: String(micros(hour)), upper: String(micros(hour, 3599)) },
  { field_id: 2, type: 'long', lower: '-5000000000', upper: '9007199254740993' },
  { field_id: 3, type: 'string', lower: '2001:db8::1', upper: 'ÿ-zürich' },
  { field_id: 4, type: 'double', lower: '-0.25', upper: '12.5' },
  { field_id: 5, type: 'boolean', lower: 'false', upper: 'true' },
  { field_id: 6, type: 'int', lower: '200', upper: '504' },
];
const expected = {
  schema_json: schemaJson,
  bound_values: boundValues,
  partition_fields: partitionFields,
  lists: [
    {
      file: 'snap-1.avro',
      snapshot_id: String(snapshotId),
      parent_snapshot_id: String(parentSnapshotId),
      sequence_number: String(sequenceNumber),
      manifests: [{ path: manifestPath, length: manifest.length, entry_sequence_number: null, snapshot_id: String(snapshotId), files: files.map(fileJson) }],
    },
    {
      file: 'snap-2.avro',
      snapshot_id: '42',
      parent_snapshot_id: 'null',
      sequence_number: '1',
      manifests: [{ path: manifest2Path, length: manifest2.length, entry_sequence_number: '1', snapshot_id: '42', files: files2.map(fileJson) }],
    },
  ],
};
writeFileSync(`${dir}/expected.json`, JSON.stringify(expected, null, 2));
console.log(`wrote ${dir}: manifest-1.avro (${manifest.length} B), snap-1.avro, manifest-2.avro (${manifest2.length} B), snap-2.avro, expected.json`);
