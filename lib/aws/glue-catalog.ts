import { gunzipSync } from 'node:zlib';
import { randomUUID } from 'node:crypto';
import { Column, CreateTableCommand, GetTableCommand, GlueClient, Table, TableInput, UpdateTableCommand } from '@aws-sdk/client-glue';
import { ConfigError, messageOf } from '../errors';
import { CommitConflict, IcebergCatalog, LoadedTable } from '../iceberg/catalog';
import type { TableMetadata } from '../iceberg/metadata';
import type { IcebergField } from '../iceberg/schema';

/**
 * The Iceberg catalog on the AWS Glue Data Catalog, where Athena (engine v3) and Glue's table optimizers (compaction,
 * snapshot retention, orphan file deletion) find Iceberg tables. What they need of the registration:
 * - a Glue table in the database, TableType EXTERNAL_TABLE, with Parameters `table_type` = `ICEBERG` (what makes Athena
 *   and the optimizers treat it as Iceberg, not Hive) and `metadata_location` = the s3:// URI of the current
 *   metadata JSON (all they read: schema, partition spec, snapshots come from that file, not from the Glue columns);
 *   `previous_metadata_location` names the one it replaced, as Iceberg's own catalogs set it;
 * - StorageDescriptor.Location = the table's location (data and metadata under it, in S3; the optimizers need S3)
 *   and Columns in Glue's types, for the Glue console, Lake Formation and `SHOW COLUMNS` (each with Iceberg's field
 *   id, optionality and whether it is in the current schema, as Iceberg's Java and Python catalogs write them);
 * - every commit an UpdateTable naming the table's VersionId as read: the optimizers commit the same way, so a
 *   compaction and this committer never overwrite each other (the loser gets ConcurrentModificationException).
 *
 * IcebergCatalog's `version` is a number and Glue's VersionId a string, so the interface is kept and the VersionId
 * stays here: `version` is the Iceberg metadata version, one more than the number of the current metadata file
 * (`<NNNNN>-<uuid>.metadata.json`, the name every Iceberg catalog gives it; 0 is no table), and each load remembers
 * the Glue table it read under (table, version). A commit takes that record: UpdateTable with its VersionId, and the
 * Glue table's other parameters, description and storage descriptor carried over. A commit of a version this
 * catalog did not load (or no longer remembers, or already committed on) is a CommitConflict: read the table again.
 * As an Iceberg commit's metadata names the file it replaces last in its `metadata-log`, a commit whose log does not
 * end with the remembered file (two loads gave the same number for different files: a rollback, a writer numbering
 * otherwise) is a CommitConflict too.
 *
 * A commit writes the new metadata file first (through `files`: S3 in production, any store in tests), then
 * registers it; a file whose registration lost the race stays, unreferenced, for orphan file deletion. UpdateTable
 * passes SkipArchive (by default), as pyiceberg does: a committer's many commits would otherwise fill Glue's quota
 * of archived table versions.
 */

/** Where metadata files are read and written: S3 in production (an s3:// URI), any store in tests. */
export interface MetadataFiles {
  read(location: string): Promise<Buffer>;
  write(location: string, bytes: Buffer): Promise<void>;
}

export interface GlueCatalogOptions {
  client: GlueClient;
  /** The Glue database the tables are in (it must exist). */
  database: string;
  /** Where new tables go: `<warehouse>/<table>` (an s3:// URI). */
  warehouse: string;
  files: MetadataFiles;
  /** The Data Catalog's account id, when not the caller's. */
  catalogId?: string;
  /** UpdateTable's SkipArchive: no archived table version per commit (default true). */
  skipArchive?: boolean;
}

/** What a load saw of the Glue table, for the commit made from it. */
interface Loaded {
  versionId: string | undefined;
  metadataLocation: string;
  table: Table;
}

/** Loads remembered for their commits; the oldest are forgotten beyond this (their commit then reads again). */
const MAX_REMEMBERED = 256;
/** Glue's limit on a column comment. */
const MAX_COMMENT = 255;

/** The number of a metadata file named as Iceberg's catalogs name them, `…/<NNNNN>-<uuid>[.gz].metadata.json`. */
export function metadataFileNumber(location: string): number | undefined {
  const m = /(?:^|\/)(\d+)-[^/]*\.metadata\.json(?:\.gz)?$/.exec(location);
  return m ? Number(m[1]) : undefined;
}

/** Glue's (Hive's) type of an Iceberg field's type, as Athena shows it. */
export function glueType(t: IcebergField['type']): string {
  if (typeof t === 'object') return `array<${glueType(t.element)}>`;
  switch (t) {
    case 'long':
      return 'bigint';
    case 'timestamptz':
      return 'timestamp';
    default:
      return t;
  }
}

/** The Glue columns of a table: the current schema's, then those only older schemas have (not current). */
export function glueColumns(m: TableMetadata): Column[] {
  const columns = new Map<string, Column>();
  const add = (f: IcebergField, current: boolean) => {
    if (columns.has(f.name)) return;
    columns.set(f.name, {
      Name: f.name,
      Type: glueType(f.type),
      ...(f.doc ? { Comment: f.doc.slice(0, MAX_COMMENT) } : {}),
      Parameters: { 'iceberg.field.id': String(f.id), 'iceberg.field.optional': String(!f.required), 'iceberg.field.current': String(current) },
    });
  };
  const currentId = m['current-schema-id'];
  for (const s of m.schemas) if (s['schema-id'] === currentId) for (const f of s.fields) add(f, true);
  for (const s of m.schemas) if (s['schema-id'] !== currentId) for (const f of s.fields) add(f, false);
  return [...columns.values()];
}

const errorName = (e: unknown): string | undefined => (e as { name?: string } | undefined)?.name;

export class GlueCatalog implements IcebergCatalog {
  private readonly client: GlueClient;
  private readonly database: string;
  private readonly warehouse: string;
  private readonly files: MetadataFiles;
  private readonly catalogId: string | undefined;
  private readonly skipArchive: boolean;
  private readonly loaded = new Map<string, Loaded>();

  constructor(o: GlueCatalogOptions) {
    this.client = o.client;
    this.database = o.database;
    this.warehouse = o.warehouse.replace(/\/+$/, '');
    this.files = o.files;
    this.catalogId = o.catalogId;
    this.skipArchive = o.skipArchive ?? true;
  }

  tableLocation(table: string): string {
    return `${this.warehouse}/${table}`;
  }

  private get scope(): { DatabaseName: string; CatalogId?: string } {
    return { DatabaseName: this.database, ...(this.catalogId !== undefined ? { CatalogId: this.catalogId } : {}) };
  }

  private name(table: string): string {
    return `${this.database}.${table}`;
  }

  async load(table: string): Promise<LoadedTable | undefined> {
    let glue: Table | undefined;
    try {
      glue = (await this.client.send(new GetTableCommand({ ...this.scope, Name: table }))).Table;
    } catch (e) {
      // No such table (or no such database: CreateTable says which).
      if (errorName(e) === 'EntityNotFoundException') return undefined;
      throw e;
    }
    if (!glue) return undefined;
    const params = glue.Parameters ?? {};
    if (params.table_type?.toUpperCase() !== 'ICEBERG') {
      throw new ConfigError(`Glue table ${this.name(table)} is not an Iceberg table (table_type ${params.table_type ?? 'unset'})`);
    }
    const metadataLocation = params.metadata_location;
    if (!metadataLocation) throw new ConfigError(`Glue table ${this.name(table)} has no metadata_location`);
    let bytes = await this.files.read(metadataLocation);
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
    const metadata = JSON.parse(bytes.toString('utf8')) as TableMetadata;
    const version = (metadataFileNumber(metadataLocation) ?? (metadata['metadata-log'] ?? []).length) + 1;
    this.remember(table, version, { versionId: glue.VersionId, metadataLocation, table: glue });
    return { metadata, metadataLocation, version };
  }

  private key(table: string, version: number): string {
    return `${table}\n${version}`;
  }

  private remember(table: string, version: number, l: Loaded): void {
    const key = this.key(table, version);
    this.loaded.delete(key);
    this.loaded.set(key, l);
    while (this.loaded.size > MAX_REMEMBERED) this.loaded.delete(this.loaded.keys().next().value as string);
  }

  async commit(table: string, version: number, metadata: TableMetadata): Promise<string> {
    let prior: Loaded | undefined;
    if (version !== 0) {
      // Taken: a load is good for one commit; another commit of the same version from this catalog must read again.
      const key = this.key(table, version);
      prior = this.loaded.get(key);
      this.loaded.delete(key);
      if (!prior) throw new CommitConflict(`table ${this.name(table)}: version ${version} is not one this catalog loaded last: read it again`);
      const replaces = (metadata['metadata-log'] ?? []).at(-1)?.['metadata-file'];
      if (replaces !== undefined && replaces !== prior.metadataLocation) {
        throw new CommitConflict(`table ${this.name(table)}: the metadata replaces ${replaces}, but version ${version} was ${prior.metadataLocation}: read it again`);
      }
      if (prior.versionId === undefined) throw new Error(`Glue table ${this.name(table)} has no VersionId: no commit can be made safely`);
    }
    const location = `${metadata.location}/metadata/${String(version).padStart(5, '0')}-${randomUUID()}.metadata.json`;
    await this.files.write(location, Buffer.from(JSON.stringify(metadata)));
    const input = this.tableInput(table, location, metadata, prior);
    try {
      if (prior === undefined) {
        await this.client.send(new CreateTableCommand({ ...this.scope, TableInput: input }));
      } else {
        await this.client.send(new UpdateTableCommand({ ...this.scope, TableInput: input, VersionId: prior.versionId, SkipArchive: this.skipArchive }));
      }
    } catch (e) {
      switch (errorName(e)) {
        // A stale VersionId (Glue: "Update table failed due to concurrent modifications"), or two updates at once.
        case 'ConcurrentModificationException':
          throw new CommitConflict(`table ${this.name(table)}: changed since version ${version} was read (${messageOf(e)})`, { cause: e });
        case 'AlreadyExistsException':
          if (prior === undefined) throw new CommitConflict(`table ${this.name(table)}: created by another writer`, { cause: e });
          break;
        case 'EntityNotFoundException':
          // Dropped since it was read: reading again finds no table, and the committer creates it.
          if (prior !== undefined) throw new CommitConflict(`table ${this.name(table)}: dropped since version ${version} was read`, { cause: e });
          throw new ConfigError(`Glue database ${this.database} not found: ${messageOf(e)}`, { cause: e });
      }
      throw e;
    }
    return location;
  }

  /** The Glue table of `metadata` at `location`: what it had carried over, the Iceberg parameters and columns set. */
  private tableInput(table: string, location: string, metadata: TableMetadata, prior: Loaded | undefined): TableInput {
    const old = prior?.table;
    return {
      Name: table,
      TableType: 'EXTERNAL_TABLE',
      ...(old?.Description !== undefined ? { Description: old.Description } : {}),
      ...(old?.Owner !== undefined ? { Owner: old.Owner } : {}),
      Parameters: {
        ...old?.Parameters,
        table_type: 'ICEBERG',
        metadata_location: location,
        ...(prior !== undefined ? { previous_metadata_location: prior.metadataLocation } : {}),
      },
      StorageDescriptor: { ...old?.StorageDescriptor, Location: metadata.location, Columns: glueColumns(metadata) },
    };
  }
}
