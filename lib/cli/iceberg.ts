import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { LocalCatalog, localFiles } from '../iceberg/catalog';
import { appendHandoffs, CommitResult, currentDataFiles, handoffOf } from '../iceberg/commit';
import type { LakeColumn } from '../lake/format';
import type { OutputFile } from '../lake/types';

/** A local lake's Iceberg warehouse: `DIR/iceberg`, one table per log type, next to the data files under `DIR/logs`. */
export function localWarehouse(lake: string): LocalCatalog {
  return new LocalCatalog(resolve(lake, 'iceberg'));
}

/** The data files of each of `tables` the lake has as an Iceberg table (its current snapshot's); none without a warehouse. */
export async function icebergTableFiles(lake: string, tables: readonly string[]): Promise<Map<string, string[]>> {
  const files = new Map<string, string[]>();
  const catalog = localWarehouse(lake);
  if (!existsSync(catalog.warehouse)) return files;
  for (const table of tables) {
    const t = await catalog.load(table);
    if (t) files.set(table, await currentDataFiles(localFiles.read, t.metadata));
  }
  return files;
}

/**
 * Commits one input's Parquet files to the lake's Iceberg table, as the committer does in AWS: once per input
 * (`identity`), whatever the number of times it is called.
 */
export async function commitLocal(
  lake: string,
  table: string,
  columns: readonly LakeColumn[],
  identity: string,
  outputs: readonly OutputFile[],
  now: () => number,
): Promise<CommitResult> {
  const handoff = handoffOf(identity, outputs, (key) => resolve(lake, key));
  if (handoff.files.length === 0) return { committed: [], already: [], attempts: 0 };
  return appendHandoffs({ catalog: localWarehouse(lake), ...localFiles, now }, table, columns, [handoff]);
}
