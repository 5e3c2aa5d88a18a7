import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CflogsError } from '../errors';
import type { TableMetadata } from './metadata';

/**
 * Where a table's current metadata is: the one point of Iceberg's optimistic concurrency. A commit names the version
 * it read; if another commit (a compaction, another committer) moved the table since, it fails with CommitConflict
 * and the committer reads the table again and retries. The Glue Data Catalog (UpdateTable with the table's VersionId)
 * and an Iceberg REST catalog implement the same interface; LocalCatalog keeps a warehouse in a directory.
 */
export interface IcebergCatalog {
  /** The table's current metadata, where it is, and the version a commit must name; undefined when there is no table. */
  load(table: string): Promise<LoadedTable | undefined>;
  /** Writes `metadata` as the version after `version` (0: the table does not exist yet) and returns its location. */
  commit(table: string, version: number, metadata: TableMetadata): Promise<string>;
  /** Where a table's files go (its `location`). */
  tableLocation(table: string): string;
}

export interface LoadedTable {
  metadata: TableMetadata;
  metadataLocation: string;
  version: number;
}

/** The local file system as the committer writes and reads a local warehouse's metadata files. */
export const localFiles = {
  async write(location: string, bytes: Buffer): Promise<void> {
    await mkdir(dirname(location), { recursive: true });
    await writeFile(location, bytes);
  },
  read: (location: string): Promise<Buffer> => readFile(location),
};

/** Another commit changed the table since it was read: read it again and retry. */
export class CommitConflict extends CflogsError {
  override name = 'CommitConflict';
}

/**
 * A warehouse in a local directory, as Iceberg's file-system catalogs keep one: `<table>/metadata/v<N>.metadata.json`,
 * the highest N current, each version created only if it does not exist yet (the file system's exclusive create is
 * the compare-and-swap). For `cflogs` on a laptop, the demo and the tests; readers open the current metadata file.
 */
export class LocalCatalog implements IcebergCatalog {
  constructor(readonly warehouse: string) {}

  tableLocation(table: string): string {
    return join(this.warehouse, table);
  }

  private metadataPath(table: string, version: number): string {
    return join(this.tableLocation(table), 'metadata', `v${version}.metadata.json`);
  }

  private hintPath(table: string): string {
    return join(this.tableLocation(table), 'metadata', 'version-hint.text');
  }

  async load(table: string): Promise<LoadedTable | undefined> {
    let version = Number((await readFile(this.hintPath(table), 'utf8').catch(() => '0')).trim()) || 0;
    // The hint is written after the version: a newer version may exist beyond it.
    for (;;) {
      const next = await readFile(this.metadataPath(table, version + 1), 'utf8').catch(() => undefined);
      if (next === undefined) break;
      version++;
    }
    if (version === 0) return undefined;
    const metadataLocation = this.metadataPath(table, version);
    const metadata = JSON.parse(await readFile(metadataLocation, 'utf8')) as TableMetadata;
    return { metadata, metadataLocation, version };
  }

  async commit(table: string, version: number, metadata: TableMetadata): Promise<string> {
    const location = this.metadataPath(table, version + 1);
    await mkdir(join(this.tableLocation(table), 'metadata'), { recursive: true });
    try {
      await writeFile(location, JSON.stringify(metadata), { flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new CommitConflict(`table ${table}: version ${version + 1} was committed by another writer`, { cause: e });
      }
      throw e;
    }
    await writeFile(this.hintPath(table), String(version + 1));
    return location;
  }
}
