import {
  AccessDeniedException,
  AlreadyExistsException,
  ConcurrentModificationException,
  CreateTableCommand,
  EntityNotFoundException,
  GetTableCommand,
  GlueClient,
  Table,
  TableInput,
  UpdateTableCommand,
} from '@aws-sdk/client-glue';
import { mockClient } from 'aws-sdk-client-mock';
import { GlueCatalog, metadataFileNumber } from '../../lib/aws/glue-catalog';
import { ConfigError } from '../../lib/errors';
import { CommitConflict } from '../../lib/iceberg/catalog';
import { appendHandoffs, committedInputs, Handoff } from '../../lib/iceberg/commit';
import { newTableMetadata, TableMetadata } from '../../lib/iceberg/metadata';
import { icebergSchema } from '../../lib/iceberg/schema';
import type { LakeColumn } from '../../lib/lake/format';

/**
 * The Glue catalog's mapping of Glue's answers, on a mocked client (the conformance run, test/conformance/iceberg/
 * glue.ts, commits against moto's Glue and reads the tables back with pyiceberg's GlueCatalog). moto accepts an
 * UpdateTable with a stale VersionId, so Glue's refusal is scripted here: a fake Glue that checks the VersionId as
 * AWS does, and single faults (a stale VersionId, a table created meanwhile, an error the catalog does not know).
 */

const glue = mockClient(GlueClient);
beforeEach(() => glue.reset());

const COLUMNS: LakeColumn[] = [
  { name: 'ClientIP', type: 'string', description: 'the client' },
  { name: 'ClientRequestBytes', type: 'bigint' },
  { name: 'EdgeResponseStatus', type: 'int' },
  { name: 'OriginResponseTime', type: 'float' },
  { name: 'CacheCacheStatus', type: 'boolean' },
  { name: 'p_event_time', type: 'timestamp' },
  { name: 'p_any_ip_addresses', type: 'array', element: 'string' },
];
const WAREHOUSE = 's3://lake/iceberg';

/** Metadata files in memory, standing in for S3. */
function memoryFiles() {
  const files = new Map<string, Buffer>();
  return {
    files,
    write: async (location: string, bytes: Buffer) => void files.set(location, bytes),
    read: async (location: string) => {
      const b = files.get(location);
      if (!b) throw new Error(`no ${location}`);
      return b;
    },
  };
}

function catalog(files = memoryFiles()) {
  return { catalog: new GlueCatalog({ client: new GlueClient({ region: 'us-east-1' }), database: 'cflogs', warehouse: `${WAREHOUSE}/`, files }), files };
}

function metadata(location: string): TableMetadata {
  const { schema, lastColumnId } = icebergSchema(COLUMNS);
  return newTableMetadata({ uuid: '00000000-0000-4000-8000-000000000000', location, schema, lastColumnId, transform: 'hour', now: 0 });
}

/** A Glue table registered at `metadataLocation`, the metadata file in `files`. */
function registered(files: ReturnType<typeof memoryFiles>, metadataLocation: string, versionId: string, m: TableMetadata): Table {
  files.files.set(metadataLocation, Buffer.from(JSON.stringify(m)));
  return {
    Name: 't',
    DatabaseName: 'cflogs',
    TableType: 'EXTERNAL_TABLE',
    VersionId: versionId,
    Description: 'kept',
    Parameters: { table_type: 'ICEBERG', metadata_location: metadataLocation, 'other.param': 'kept' },
    StorageDescriptor: { Location: m.location, Columns: [] },
  };
}

const notFound = () => new EntityNotFoundException({ message: 'Table t not found.', $metadata: {} });

/** A fake Glue holding one table, refusing a stale VersionId as AWS does; counts the refusals. */
function fakeGlue() {
  let table: (TableInput & { VersionId: string }) | undefined;
  let refused = 0;
  glue.on(GetTableCommand).callsFake(async () => {
    if (!table) throw notFound();
    return { Table: { ...structuredClone(table), DatabaseName: 'cflogs' } };
  });
  glue.on(CreateTableCommand).callsFake(async (input: { TableInput: TableInput }) => {
    if (table) throw new AlreadyExistsException({ message: 'Table already exists.', $metadata: {} });
    table = { ...structuredClone(input.TableInput), VersionId: '0' };
    return {};
  });
  glue.on(UpdateTableCommand).callsFake(async (input: { TableInput: TableInput; VersionId?: string }) => {
    if (!table) throw notFound();
    if (input.VersionId !== table.VersionId) {
      refused++;
      throw new ConcurrentModificationException({ message: 'Update table failed due to concurrent modifications.', $metadata: {} });
    }
    table = { ...structuredClone(input.TableInput), VersionId: String(Number(table.VersionId) + 1) };
    return {};
  });
  return { table: () => table, refused: () => refused };
}

const handoff = (input: string): Handoff => ({ input, files: [{ path: `s3://lake/data/${input}.parquet`, bytes: 1000, rows: 10, hour: '2026-11-01 10' }] });

describe('GlueCatalog', () => {
  it('has no table when Glue has none, and puts tables under the warehouse', async () => {
    glue.on(GetTableCommand).rejects(notFound());
    const { catalog: c } = catalog();
    expect(await c.load('t')).toBeUndefined();
    expect(c.tableLocation('t')).toBe(`${WAREHOUSE}/t`);
    expect(glue.commandCalls(GetTableCommand)[0]?.args[0].input).toEqual({ DatabaseName: 'cflogs', Name: 't' });
  });

  it('creates a table as Athena reads it: EXTERNAL_TABLE, table_type ICEBERG, metadata_location, location and Glue-typed columns', async () => {
    glue.on(CreateTableCommand).resolves({});
    const { catalog: c, files } = catalog();
    const m = metadata(c.tableLocation('t'));
    const location = await c.commit('t', 0, m);
    expect(location).toMatch(new RegExp(`^${WAREHOUSE}/t/metadata/00000-[0-9a-f-]{36}\\.metadata\\.json$`));
    expect(JSON.parse(files.files.get(location)!.toString())).toEqual(m);
    const input = glue.commandCalls(CreateTableCommand)[0]!.args[0].input;
    expect(input.DatabaseName).toBe('cflogs');
    expect(input.TableInput).toMatchObject({ Name: 't', TableType: 'EXTERNAL_TABLE', Parameters: { table_type: 'ICEBERG', metadata_location: location } });
    expect(input.TableInput?.Parameters).not.toHaveProperty('previous_metadata_location');
    expect(input.TableInput?.StorageDescriptor?.Location).toBe(`${WAREHOUSE}/t`);
    expect(input.TableInput?.StorageDescriptor?.Columns?.map((col) => [col.Name, col.Type])).toEqual([
      ['ClientIP', 'string'],
      ['ClientRequestBytes', 'bigint'],
      ['EdgeResponseStatus', 'int'],
      ['OriginResponseTime', 'double'],
      ['CacheCacheStatus', 'boolean'],
      ['p_event_time', 'timestamp'],
      ['p_any_ip_addresses', 'array<string>'],
    ]);
    expect(input.TableInput?.StorageDescriptor?.Columns?.[0]).toEqual({
      Name: 'ClientIP',
      Type: 'string',
      Comment: 'the client',
      Parameters: { 'iceberg.field.id': '1', 'iceberg.field.optional': 'true', 'iceberg.field.current': 'true' },
    });
  });

  it('updates with the VersionId it loaded: the next metadata file, previous_metadata_location, and what the table had kept', async () => {
    const { catalog: c, files } = catalog();
    const old = `${WAREHOUSE}/t/metadata/00004-aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa.metadata.json`;
    glue.on(GetTableCommand).resolves({ Table: registered(files, old, '17', metadata(`${WAREHOUSE}/t`)) });
    glue.on(UpdateTableCommand).resolves({});
    const loaded = (await c.load('t'))!;
    expect(loaded.version).toBe(5);
    expect(loaded.metadataLocation).toBe(old);
    const next = { ...loaded.metadata, 'metadata-log': [{ 'metadata-file': old, 'timestamp-ms': 0 }] };
    const location = await c.commit('t', loaded.version, next);
    expect(location).toMatch(/\/t\/metadata\/00005-[0-9a-f-]{36}\.metadata\.json$/);
    const input = glue.commandCalls(UpdateTableCommand)[0]!.args[0].input;
    expect(input).toMatchObject({ DatabaseName: 'cflogs', VersionId: '17', SkipArchive: true });
    expect(input.TableInput).toMatchObject({
      Name: 't',
      TableType: 'EXTERNAL_TABLE',
      Description: 'kept',
      Parameters: { table_type: 'ICEBERG', metadata_location: location, previous_metadata_location: old, 'other.param': 'kept' },
    });
    expect(input.TableInput?.StorageDescriptor?.Columns).toHaveLength(COLUMNS.length);
  });

  it('turns a stale VersionId (ConcurrentModificationException) into CommitConflict, and a load is good for one commit', async () => {
    const { catalog: c, files } = catalog();
    const old = `${WAREHOUSE}/t/metadata/00000-aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa.metadata.json`;
    glue.on(GetTableCommand).resolves({ Table: registered(files, old, '3', metadata(`${WAREHOUSE}/t`)) });
    glue.on(UpdateTableCommand).rejects(new ConcurrentModificationException({ message: 'Update table failed due to concurrent modifications.', $metadata: {} }));
    const loaded = (await c.load('t'))!;
    const next = { ...loaded.metadata, 'metadata-log': [{ 'metadata-file': old, 'timestamp-ms': 0 }] };
    await expect(c.commit('t', loaded.version, next)).rejects.toThrow(CommitConflict);
    // Committed (or refused) once: the same version again must be read again first, without asking Glue.
    await expect(c.commit('t', loaded.version, next)).rejects.toThrow(/not one this catalog loaded/);
    expect(glue.commandCalls(UpdateTableCommand)).toHaveLength(1);
  });

  it('refuses a version it did not load, and metadata made from another file than the one loaded', async () => {
    const { catalog: c, files } = catalog();
    const old = `${WAREHOUSE}/t/metadata/00002-aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa.metadata.json`;
    glue.on(GetTableCommand).resolves({ Table: registered(files, old, '3', metadata(`${WAREHOUSE}/t`)) });
    const loaded = (await c.load('t'))!;
    await expect(c.commit('t', 7, loaded.metadata)).rejects.toThrow(CommitConflict);
    const elsewhere = { ...loaded.metadata, 'metadata-log': [{ 'metadata-file': `${WAREHOUSE}/t/metadata/00002-other.metadata.json`, 'timestamp-ms': 0 }] };
    await expect(c.commit('t', loaded.version, elsewhere)).rejects.toThrow(CommitConflict);
    expect(glue.commandCalls(UpdateTableCommand)).toHaveLength(0);
  });

  it('turns a table created meanwhile (AlreadyExistsException) into CommitConflict; a missing database is a configuration error', async () => {
    const { catalog: c } = catalog();
    glue.on(CreateTableCommand).rejectsOnce(new AlreadyExistsException({ message: 'Table already exists.', $metadata: {} })).rejectsOnce(new EntityNotFoundException({ message: 'Database cflogs not found.', $metadata: {} }));
    await expect(c.commit('t', 0, metadata(c.tableLocation('t')))).rejects.toThrow(CommitConflict);
    await expect(c.commit('t', 0, metadata(c.tableLocation('t')))).rejects.toThrow(ConfigError);
  });

  it('passes on an error it does not know, unchanged: not a conflict, so the committer does not retry it', async () => {
    const { catalog: c } = catalog();
    glue.on(GetTableCommand).rejects(notFound());
    const denied = new AccessDeniedException({ message: 'not authorized to perform glue:CreateTable', $metadata: {} });
    glue.on(CreateTableCommand).rejects(denied);
    const deps = { catalog: c, write: async () => undefined, read: async () => Buffer.alloc(0), now: () => 0 };
    await expect(appendHandoffs(deps, 't', COLUMNS, [handoff('a')])).rejects.toBe(denied);
    expect(glue.commandCalls(CreateTableCommand)).toHaveLength(1);
  });

  it('refuses a Glue table that is not Iceberg', async () => {
    glue.on(GetTableCommand).resolves({ Table: { Name: 't', DatabaseName: 'cflogs', VersionId: '0', Parameters: { classification: 'parquet' } } });
    await expect(catalog().catalog.load('t')).rejects.toThrow(ConfigError);
  });

  it('numbers metadata files as Iceberg\'s catalogs do', () => {
    expect(metadataFileNumber('s3://b/t/metadata/00012-0f5e.metadata.json')).toBe(12);
    expect(metadataFileNumber('s3://b/t/metadata/00003-0f5e.gz.metadata.json')).toBe(3);
    expect(metadataFileNumber('s3://b/t/metadata/v3.metadata.json')).toBeUndefined();
  });
});

describe('the committer on GlueCatalog, with Glue\'s VersionId check', () => {
  it('commits a hand-off delivered three times once, and two racing committers both, the loser retrying on Glue\'s refusal', async () => {
    const fake = fakeGlue();
    const files = memoryFiles();
    const committer = () => ({ catalog: catalog(files).catalog, ...files, now: () => Date.parse('2026-11-24T12:00:00Z') });
    const [a, b] = [committer(), committer()];
    const thrice = [];
    for (let i = 0; i < 3; i++) thrice.push(await appendHandoffs(a, 't', COLUMNS, [handoff('a')]));
    expect(thrice.map((r) => r.committed)).toEqual([['a'], [], []]);
    const raced = await Promise.all([appendHandoffs(a, 't', COLUMNS, [handoff('b')]), appendHandoffs(b, 't', COLUMNS, [handoff('c')])]);
    expect(raced.map((r) => r.committed).flat().sort()).toEqual(['b', 'c']);
    expect(raced.map((r) => r.attempts).sort()).toEqual([1, 2]);
    expect(fake.refused()).toBe(1);

    const table = fake.table()!;
    expect(table.VersionId).toBe('2');
    const m = JSON.parse(files.files.get(table.Parameters!.metadata_location!)!.toString()) as TableMetadata;
    expect(m.snapshots).toHaveLength(3);
    expect(committedInputs(m)).toEqual(new Set(['a', 'b', 'c']));
    expect(table.Parameters!.previous_metadata_location).toBe(m['metadata-log'].at(-1)?.['metadata-file']);
    expect(table.Parameters!.metadata_location).toMatch(/\/metadata\/00002-/);
  });
});
