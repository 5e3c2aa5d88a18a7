import { AvroDecoder, AvroEncoder, type AvroRecord, readContainer, writeContainer } from '../../lib/iceberg/avro';
import { boundBytes, type DataFileEntry, MANIFEST_FILE_SCHEMA, manifestEntrySchema, manifestListEntryFor, type PartitionFieldSpec, writeManifest, writeManifestList } from '../../lib/iceberg/manifest';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const encode = (f: (e: AvroEncoder) => void) => { const e = new AvroEncoder(); f(e); return hex(e.result()); };

describe('Avro binary encoding', () => {
  it('zigzag varints for int and long, including the 64-bit extremes', () => {
    expect(encode((e) => e.long(0))).toBe('00');
    expect(encode((e) => e.long(-1))).toBe('01');
    expect(encode((e) => e.long(1))).toBe('02');
    expect(encode((e) => e.long(-64))).toBe('7f');
    expect(encode((e) => e.long(64))).toBe('8001');
    expect(encode((e) => e.int(2 ** 31 - 1))).toBe('feffffff0f');
    expect(encode((e) => e.int(-(2 ** 31)))).toBe('ffffffff0f');
    expect(encode((e) => e.long(2n ** 63n - 1n))).toBe('feffffffffffffffff01');
    expect(encode((e) => e.long(-(2n ** 63n)))).toBe('ffffffffffffffffff01');
    expect(() => new AvroEncoder().int(2 ** 31)).toThrow(RangeError);
    expect(() => new AvroEncoder().value('long', 2n ** 63n)).toThrow(RangeError);
    expect(() => new AvroEncoder().value('long', 2 ** 53)).toThrow(RangeError);
  });

  it('strings, bytes, booleans, doubles, unions and arrays', () => {
    expect(encode((e) => e.value('string', 'ü'))).toBe('04c3bc');
    expect(encode((e) => e.value('bytes', Uint8Array.of(1, 2)))).toBe('040102');
    expect(encode((e) => e.value('boolean', true))).toBe('01');
    expect(encode((e) => e.value('double', 1))).toBe('000000000000f03f');
    expect(encode((e) => e.value(['null', 'int'], null))).toBe('00');
    expect(encode((e) => e.value(['null', 'int'], undefined))).toBe('00');
    expect(encode((e) => e.value(['null', 'int'], 3))).toBe('0206');
    expect(encode((e) => e.value({ type: 'array', items: 'int' }, []))).toBe('00');
    expect(encode((e) => e.value({ type: 'array', items: 'int' }, [1, 2]))).toBe('04020400');
    expect(encode((e) => e.value({ type: 'int', logicalType: 'date' }, 20_624))).toBe(encode((e) => e.int(20_624)));
    expect(() => new AvroEncoder().value('int', null)).toThrow(TypeError);
    expect(() => new AvroEncoder().value({ type: 'record', name: 'r', fields: [{ name: 'a', type: 'string' }] }, {})).toThrow(/\$\.a: expected a string/);
  });

  it('decodes what it encodes', () => {
    const schema: AvroRecord = {
      type: 'record',
      name: 'r',
      fields: [
        { name: 'l', type: 'long' },
        { name: 'o', type: ['null', 'string'] },
        { name: 'a', type: { type: 'array', items: { type: 'record', name: 'kv', fields: [{ name: 'key', type: 'int' }, { name: 'value', type: 'bytes' }] } } },
        { name: 'd', type: 'double' },
        { name: 'b', type: 'boolean' },
      ],
    };
    const value = { l: -(2n ** 62n), o: 'x', a: [{ key: -3, value: Buffer.from('hi') }], d: -1.5, b: false };
    const e = new AvroEncoder();
    e.value(schema, value);
    const d = new AvroDecoder(e.result());
    expect(d.value(schema)).toEqual(value);
    expect(d.done).toBe(true);
  });

  it('an object container file: magic, metadata with the schema JSON verbatim, sync markers around one block', () => {
    const schema: AvroRecord = { type: 'record', name: 'r', fields: [{ name: 'x', type: 'int', 'field-id': 7 }] };
    const sync = Buffer.alloc(16, 0xab);
    const file = writeContainer(schema, { k: 'v' }, [{ x: 1 }, { x: 2 }], sync);
    expect(hex(file.subarray(0, 4))).toBe('4f626a01');
    expect(file.subarray(file.length - 16).equals(sync)).toBe(true);
    const read = readContainer(file);
    expect(read.metadata).toEqual({ k: 'v', 'avro.schema': JSON.stringify(schema), 'avro.codec': 'null' });
    expect(read.records).toEqual([{ x: 1 }, { x: 2 }]);
    expect(readContainer(writeContainer(schema, {}, [])).records).toEqual([]);
    const bad = Buffer.from(file);
    bad[bad.length - 1] = bad[bad.length - 1]! ^ 1;
    expect(() => readContainer(bad)).toThrow(/sync/);
  });
});

describe('boundBytes: Iceberg single-value serialization', () => {
  it('int is 4 bytes little-endian two’s complement', () => {
    expect(hex(boundBytes('int', 1))).toBe('01000000');
    expect(hex(boundBytes('int', -2))).toBe('feffffff');
    expect(hex(boundBytes('int', 495_000))).toBe('988d0700');
    expect(() => boundBytes('int', 2 ** 31)).toThrow(RangeError);
    expect(() => boundBytes('int', 1.5)).toThrow(RangeError);
  });
  it('long and timestamptz (microseconds) are 8 bytes little-endian, negative values included', () => {
    expect(hex(boundBytes('long', 1n))).toBe('0100000000000000');
    expect(hex(boundBytes('long', -1n))).toBe('ffffffffffffffff');
    expect(hex(boundBytes('long', -5_000_000_000))).toBe('000efad5feffffff') // pyiceberg to_bytes(LongType(), -5000000000);
    expect(hex(boundBytes('long', -(2n ** 63n)))).toBe('0000000000000080');
    expect(hex(boundBytes('timestamptz', 1_781_913_600_000_000n))).toBe('00002617a4540600'); // pyiceberg to_bytes(TimestamptzType(), ...)
    expect(hex(boundBytes('timestamptz', -1))).toBe('ffffffffffffffff');
    expect(() => boundBytes('long', 2 ** 53)).toThrow(RangeError);
  });
  it('double is 8 bytes IEEE 754 little-endian; boolean one byte; string UTF-8 without a length', () => {
    expect(hex(boundBytes('double', 1))).toBe('000000000000f03f');
    expect(hex(boundBytes('double', -0.25))).toBe('000000000000d0bf');
    expect(hex(boundBytes('boolean', true))).toBe('01');
    expect(hex(boundBytes('boolean', false))).toBe('00');
    expect(hex(boundBytes('string', 'zü'))).toBe('7ac3bc');
    expect(hex(boundBytes('string', ''))).toBe('');
    expect(() => boundBytes('string', 1)).toThrow(TypeError);
  });
});

const partitionFields: PartitionFieldSpec[] = [
  { sourceId: 1, fieldId: 1000, name: 'ts_hour', transform: 'hour', resultType: 'int' },
  { sourceId: 1, fieldId: 1001, name: 'ts_day', transform: 'day', resultType: 'int' },
];
const schemaJson = JSON.stringify({ type: 'struct', 'schema-id': 4, fields: [{ id: 1, name: 'ts', required: true, type: 'timestamptz' }, { id: 2, name: 'zone', required: false, type: 'long' }] });
const files: DataFileEntry[] = [
  {
    filePath: 's3://bucket/t/data/a.parquet',
    fileSizeInBytes: 1000,
    recordCount: 10,
    partition: [495_000, 20_625],
    columnSizes: new Map([[2, 20], [1, 80]]),
    valueCounts: new Map([[1, 10], [2, 10]]),
    nullValueCounts: new Map([[1, 0], [2, 3]]),
    lowerBounds: new Map([[1, boundBytes('timestamptz', 1n)], [2, boundBytes('long', -7n)]]),
    upperBounds: new Map([[1, boundBytes('timestamptz', 2n)], [2, boundBytes('long', 7n)]]),
  },
  { filePath: '/abs/b.parquet', fileSizeInBytes: 5, recordCount: 1, partition: [495_001, null] },
];

describe('writeManifest', () => {
  const manifest = writeManifest({ schemaJson, specId: 2, partitionFields, snapshotId: -9n, sequenceNumber: 5n, files });
  const read = readContainer(manifest);

  it('has the header metadata Iceberg requires of a v2 data manifest', () => {
    expect(read.metadata).toEqual({
      schema: schemaJson,
      'schema-id': '4',
      'partition-spec': '[{"name":"ts_hour","transform":"hour","source-id":1,"field-id":1000},{"name":"ts_day","transform":"day","source-id":1,"field-id":1001}]',
      'partition-spec-id': '2',
      'format-version': '2',
      content: 'data',
      'avro.schema': JSON.stringify(manifestEntrySchema(partitionFields)),
      'avro.codec': 'null',
    });
  });

  it('has the manifest_entry v2 schema with Iceberg field ids and map conventions', () => {
    const s = read.schema as AvroRecord;
    expect(s.name).toBe('manifest_entry');
    expect(s.fields.map((f) => [f.name, f['field-id']])).toEqual([['status', 0], ['snapshot_id', 1], ['sequence_number', 3], ['file_sequence_number', 4], ['data_file', 2]]);
    const dataFile = s.fields[4]!.type as AvroRecord;
    expect(dataFile.name).toBe('r2');
    expect(dataFile.fields.map((f) => f['field-id'])).toEqual([134, 100, 101, 102, 103, 104, 108, 109, 110, 137, 125, 128, 131, 132, 135, 140]);
    expect(dataFile.fields[3]!.type).toEqual({
      type: 'record',
      name: 'r102',
      fields: [
        { name: 'ts_hour', 'field-id': 1000, type: ['null', 'int'], default: null },
        { name: 'ts_day', 'field-id': 1001, type: ['null', { type: 'int', logicalType: 'date' }], default: null },
      ],
    });
    expect(dataFile.fields[10]).toEqual({
      name: 'lower_bounds',
      'field-id': 125,
      type: ['null', { type: 'array', logicalType: 'map', items: { type: 'record', name: 'k126_v127', fields: [{ name: 'key', type: 'int', 'field-id': 126 }, { name: 'value', type: 'bytes', 'field-id': 127 }] } }],
      default: null,
    });
  });

  it('holds one ADDED entry per file, maps as sorted {key, value} arrays, absent maps as null', () => {
    expect(read.records).toEqual([
      {
        status: 1,
        snapshot_id: -9n,
        sequence_number: 5n,
        file_sequence_number: 5n,
        data_file: {
          content: 0,
          file_path: 's3://bucket/t/data/a.parquet',
          file_format: 'PARQUET',
          partition: { ts_hour: 495_000, ts_day: 20_625 },
          record_count: 10n,
          file_size_in_bytes: 1000n,
          column_sizes: [{ key: 1, value: 80n }, { key: 2, value: 20n }],
          value_counts: [{ key: 1, value: 10n }, { key: 2, value: 10n }],
          null_value_counts: [{ key: 1, value: 0n }, { key: 2, value: 3n }],
          nan_value_counts: null,
          lower_bounds: [{ key: 1, value: Buffer.from(boundBytes('timestamptz', 1n)) }, { key: 2, value: Buffer.from(boundBytes('long', -7n)) }],
          upper_bounds: [{ key: 1, value: Buffer.from(boundBytes('timestamptz', 2n)) }, { key: 2, value: Buffer.from(boundBytes('long', 7n)) }],
          key_metadata: null,
          split_offsets: null,
          equality_ids: null,
          sort_order_id: null,
        },
      },
      {
        status: 1,
        snapshot_id: -9n,
        sequence_number: 5n,
        file_sequence_number: 5n,
        data_file: expect.objectContaining({ file_path: '/abs/b.parquet', partition: { ts_hour: 495_001, ts_day: null }, record_count: 1n, file_size_in_bytes: 5n, column_sizes: null, lower_bounds: null }),
      },
    ]);
  });

  it('writes null sequence numbers (inherited from the manifest list) when asked, and schema-id 0 by default', () => {
    const m = readContainer(writeManifest({ schemaJson: '{"type":"struct","fields":[]}', specId: 0, partitionFields: [], snapshotId: 1n, sequenceNumber: null, files: [{ filePath: 'x', fileSizeInBytes: 1, recordCount: 1, partition: [] }] }));
    expect(m.metadata['schema-id']).toBe('0');
    expect(m.metadata['partition-spec']).toBe('[]');
    expect(m.records[0]).toMatchObject({ snapshot_id: 1n, sequence_number: null, file_sequence_number: null, data_file: { partition: {} } });
  });

  it('is deterministic given a sync marker, and refuses empty manifests and mismatched partitions', () => {
    const sync = Buffer.alloc(16, 1);
    const o = { schemaJson, specId: 0, partitionFields, snapshotId: 1n, sequenceNumber: 1n, files, sync };
    expect(writeManifest(o).equals(writeManifest(o))).toBe(true);
    expect(() => writeManifest({ ...o, files: [] })).toThrow(/at least one/);
    expect(() => writeManifest({ ...o, files: [{ ...files[0]!, partition: [1] }] })).toThrow(/1 partition values for 2/);
  });
});

describe('writeManifestList', () => {
  const entry = manifestListEntryFor({ manifestPath: 's3://bucket/t/metadata/m.avro', manifestLength: 4321, specId: 2, snapshotId: -9n, sequenceNumber: 5n, files, fieldCount: 2 });

  it('manifestListEntryFor counts files and rows and summarises each partition field with int bounds', () => {
    expect(entry).toEqual({
      manifestPath: 's3://bucket/t/metadata/m.avro',
      manifestLength: 4321,
      specId: 2,
      sequenceNumber: 5n,
      minSequenceNumber: 5n,
      addedSnapshotId: -9n,
      addedFilesCount: 2,
      existingFilesCount: 0,
      deletedFilesCount: 0,
      addedRowsCount: 11,
      existingRowsCount: 0,
      deletedRowsCount: 0,
      partitions: [
        { containsNull: false, containsNan: false, lowerBound: boundBytes('int', 495_000), upperBound: boundBytes('int', 495_001) },
        { containsNull: true, containsNan: false, lowerBound: boundBytes('int', 20_625), upperBound: boundBytes('int', 20_625) },
      ],
    });
  });

  it('writes the manifest_file v2 records and the snapshot header', () => {
    const list = readContainer(writeManifestList({ snapshotId: -9n, parentSnapshotId: 3n, sequenceNumber: 5n, manifests: [entry, { ...entry, partitions: undefined, manifestPath: 'p2' }] }));
    expect(list.metadata).toEqual({ 'snapshot-id': '-9', 'parent-snapshot-id': '3', 'sequence-number': '5', 'format-version': '2', 'avro.schema': JSON.stringify(MANIFEST_FILE_SCHEMA), 'avro.codec': 'null' });
    expect((list.schema as AvroRecord).fields.map((f) => f['field-id'])).toEqual([500, 501, 502, 517, 515, 516, 503, 504, 505, 506, 512, 513, 514, 507, 519]);
    expect(list.records).toEqual([
      {
        manifest_path: 's3://bucket/t/metadata/m.avro',
        manifest_length: 4321n,
        partition_spec_id: 2,
        content: 0,
        sequence_number: 5n,
        min_sequence_number: 5n,
        added_snapshot_id: -9n,
        added_files_count: 2,
        existing_files_count: 0,
        deleted_files_count: 0,
        added_rows_count: 11n,
        existing_rows_count: 0n,
        deleted_rows_count: 0n,
        partitions: [
          { contains_null: false, contains_nan: false, lower_bound: Buffer.from('988d0700', 'hex'), upper_bound: Buffer.from('998d0700', 'hex') },
          { contains_null: true, contains_nan: false, lower_bound: Buffer.from(boundBytes('int', 20_625)), upper_bound: Buffer.from(boundBytes('int', 20_625)) },
        ],
        key_metadata: null,
      },
      expect.objectContaining({ manifest_path: 'p2', partitions: null }),
    ]);
  });

  it('writes "null" for a first snapshot’s parent', () => {
    expect(readContainer(writeManifestList({ snapshotId: 1n, parentSnapshotId: null, sequenceNumber: 1n, manifests: [entry] })).metadata['parent-snapshot-id']).toBe('null');
  });
});
