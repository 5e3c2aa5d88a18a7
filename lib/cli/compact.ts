import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import type { Writable } from 'node:stream';
import type { DuckDBConnection } from '@duckdb/node-api';
import { binPack, PackFile, PackTarget } from '../iceberg/bin-pack';
import { IcebergCatalog, localFiles } from '../iceberg/catalog';
import type { CommitDeps } from '../iceberg/commit';
import { currentSchema, TableMetadata } from '../iceberg/metadata';
import { LiveFile, liveFiles, NewFile, replaceFiles, Rewrite } from '../iceberg/rewrite';
import type { IcebergSchema } from '../iceberg/schema';
import { sqlLiteral } from '../lake/duckdb';
import { loadDuckDB } from './duckdb';
import type { ColumnStats } from '../lake/types';
import { P } from '../row/contract';
import { localWarehouse } from './iceberg';
import { DEMO_LAKE } from './query';
import { cliRegistry } from './schemas';
import { CliOptions, parseCommandArgs, UsageError } from './usage';

export const COMPACT_USAGE = 'cflogs compact [--lake DIR] [--table T]... [--target-mb N] [--row-group-rows N]';

/** What `cflogs compact --help` prints after the usage. */
export const COMPACT_HELP = [
  "Compacts the lake's Iceberg tables (DIR/iceberg; --lake defaults to the demo's lake) as Glue's compaction",
  'optimizer (bin-pack) does: in each partition (event hour or day), the files below 75% of the target size',
  '(--target-mb, default 128) are rewritten, sorted by p_event_time, into as few files as the target allows,',
  'with row groups of --row-group-rows rows (default 65536), next to them (compacted-<uuid>.parquet); one',
  '`replace` snapshot per table. DuckDB does the rewrite on one thread under a 256 MB memory limit. A second run',
  'finds nothing to do. The rewritten files stay on disk: readers of older snapshots still read them. Expiring',
  "snapshots and deleting the files no snapshot lists is the retention and orphan-file cleanup's job, not this one's.",
].join('\n');

/**
 * `cflogs compact`: the lake's Iceberg tables compacted as Glue's compaction optimizer (bin-pack) does: in each
 * partition (event hour or day), the files below the target size are rewritten, sorted by p_event_time, into as few
 * files as the target allows, with large row groups, and the table gets one `replace` snapshot per run (lib/iceberg/rewrite.ts).
 * The rewritten files stay on disk: readers of the older snapshots still read them, and removing them is snapshot
 * expiry's and the orphan-file cleanup's job. DuckDB (an optional dependency) writes the files, loaded when the command runs.
 */

/**
 * The defaults, chosen by measurement (bench/README.md, "Compaction"): rows per row group as many as DuckDB's writer
 * holds within the memory limit for the widest log type (HttpRequest, about 3 kB a row); files of 128 MiB.
 */
export const COMPACTION_DEFAULTS = {
  fileBytes: 128 * 2 ** 20,
  rowGroupRows: 65_536,
  /** DuckDB's memory_limit: its buffers, spilled to a temporary directory beyond it. */
  memoryLimit: '256MB',
  threads: 1,
  /** Rows sorted at once: a sort of a whole file's rows does not fit the memory limit, one of this many does. */
  sortRows: 32_768,
} as const;

export type CompactionOptions = PackTarget & { memoryLimit: string; threads: number; sortRows: number };

export interface TableCompaction {
  table: string;
  filesBefore: number;
  bytesBefore: number;
  filesAfter: number;
  bytesAfter: number;
  /** Partitions rewritten. */
  partitions: number;
  snapshotId?: number;
  /** Rewrites left out because another commit removed their files meanwhile (their new files deleted). */
  conflicted: number;
}

/** The prefix of the files a compaction writes: a file so named is not rewritten alone (bin-pack.ts). */
export const COMPACTED_PREFIX = 'compacted-';

const ident = (s: string): string => `"${s.replace(/"/g, '""')}"`;

/** A FIELD_IDS value for the written columns: each column's Iceberg field id, a list's element id under `element`. */
function fieldIds(schema: IcebergSchema, columns: readonly string[]): string {
  const byName = new Map(schema.fields.map((f) => [f.name, f]));
  return `{${columns
    .map((c) => {
      const f = byName.get(c);
      if (f === undefined) throw new Error(`column ${c} is not in the table's schema`);
      return typeof f.type === 'object' ? `${ident(c)}: {__duckdb_field_id: ${f.id}, element: ${f.type['element-id']}}` : `${ident(c)}: ${f.id}`;
    })
    .join(', ')}}`;
}

const list = (paths: readonly string[]): string => `[${paths.map(sqlLiteral).join(', ')}]`;
const read = (paths: readonly string[]): string => `read_parquet(${list(paths)}, union_by_name = true, hive_partitioning = false)`;

async function rows(conn: DuckDBConnection, sql: string): Promise<unknown[][]> {
  return (await conn.runAndReadAll(sql)).getRows() as unknown[][];
}

export const COMPACT_OPTIONS = {
  lake: { type: 'string', default: DEMO_LAKE, value: 'DIR', description: 'the lake whose Iceberg tables (DIR/iceberg) are compacted' },
  table: { type: 'string', multiple: true, value: 'T', description: 'these tables only' },
  'target-mb': { type: 'string', value: 'N', description: 'target file size in MiB (default 128)' },
  'row-group-rows': { type: 'string', value: 'N', description: 'rows per row group (default 65536)' },
} satisfies CliOptions;

/**
 * Rewrites `files` (one partition's) into one file next to them, sorted by p_event_time: in slices of `sortRows`
 * rows by event time, each sorted on its own (the memory a sort needs is bounded by a slice), then the slices, in
 * order, into the file. Returns the file with its columns' stats read back from it.
 */
export async function rewriteBin(conn: DuckDBConnection, schema: IcebergSchema, files: readonly PackFile[], opts: CompactionOptions, scratch: string): Promise<NewFile> {
  const paths = files.map((f) => f.path);
  const total = files.reduce((n, f) => n + f.rows, 0);
  const time = ident(P.p_event_time);
  const k = Math.max(1, Math.ceil(total / opts.sortRows));
  const cuts = k > 1
    ? (await rows(conn, `SELECT epoch_us(unnest(quantile_disc(${time}, [${Array.from({ length: k - 1 }, (_, i) => ((i + 1) / k).toFixed(9)).join(', ')}])))::BIGINT FROM ${read(paths)}`)).map((r) => BigInt(r[0] as bigint))
    : [];
  const slices: string[] = [];
  for (let i = 0; i < k; i++) {
    const lo = i === 0 ? undefined : cuts[i - 1];
    const hi = i === k - 1 ? undefined : cuts[i];
    // Equal cut points (many rows of one microsecond) make empty slices: harmless.
    const where = [lo !== undefined ? `epoch_us(${time}) >= ${lo}` : 'TRUE', hi !== undefined ? `epoch_us(${time}) < ${hi}` : 'TRUE'].join(' AND ');
    const slice = join(scratch, `slice-${i}.parquet`);
    await conn.run(
      `COPY (SELECT * FROM ${read(paths)} WHERE (${where})${i === k - 1 ? ` OR ${time} IS NULL` : ''} ORDER BY ${time}) ` +
        `TO ${sqlLiteral(slice)} (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1)`,
    );
    slices.push(slice);
  }
  const columns = (await rows(conn, `DESCRIBE SELECT * FROM ${read(slices)}`)).map((r) => r[0] as string);
  const out = join(dirname(paths[0] as string), `${COMPACTED_PREFIX}${randomUUID()}.parquet`);
  try {
    // One thread and insertion order kept: the slices' rows come out in the order of the list. Parquet's v2 encodings
    // (as the ingest writer's v2 data pages): the sorted event times delta-encoded, text without length prefixes.
    await conn.run(
      `COPY (SELECT * FROM ${read(slices)}) TO ${sqlLiteral(out)} ` +
        `(FORMAT parquet, PARQUET_VERSION V2, COMPRESSION zstd, COMPRESSION_LEVEL 3, ROW_GROUP_SIZE ${opts.rowGroupRows}, FIELD_IDS ${fieldIds(schema, columns)})`,
    );
    for (const s of slices) unlinkSync(s);
    const stats = await fileStats(conn, out, schema, columns);
    if (stats.rows !== total) throw new Error(`${out}: ${stats.rows} rows written from ${total}`);
    return { path: out, bytes: statSync(out).size, rows: stats.rows, columns: stats.columns };
  } catch (e) {
    rmSync(out, { force: true });
    throw e;
  }
}

/**
 * A written file's rows and its columns' stats, as the lake writer reports them (lib/lake/types.ts ColumnStats): values
 * (NULLs included) and NULLs from the footer, min and max of number and time columns (times in microseconds) by query.
 */
async function fileStats(conn: DuckDBConnection, path: string, schema: IcebergSchema, columns: readonly string[]): Promise<{ rows: number; columns: ColumnStats[] }> {
  const [[n]] = (await rows(conn, `SELECT num_rows::BIGINT FROM parquet_file_metadata(${sqlLiteral(path)})`)) as [[bigint]];
  const counts = new Map(
    (await rows(conn, `SELECT path_in_schema, sum(num_values)::BIGINT, sum(stats_null_count)::BIGINT FROM parquet_metadata(${sqlLiteral(path)}) GROUP BY ALL`)).map((r) => [
      r[0] as string,
      { values: Number(r[1] as bigint), nulls: Number(r[2] as bigint) },
    ]),
  );
  const byName = new Map(schema.fields.map((f) => [f.name, f]));
  const bounded = columns.filter((c) => {
    const t = byName.get(c)?.type;
    return t === 'int' || t === 'long' || t === 'double' || t === 'timestamptz';
  });
  const value = (c: string, agg: 'min' | 'max'): string => (byName.get(c)?.type === 'timestamptz' ? `epoch_us(${agg}(${ident(c)}))::BIGINT` : `${agg}(${ident(c)})`);
  const bounds = bounded.length > 0 ? ((await rows(conn, `SELECT ${bounded.flatMap((c) => [value(c, 'min'), value(c, 'max')]).join(', ')} FROM read_parquet(${sqlLiteral(path)})`))[0] ?? []) : [];
  const num = (v: unknown, c: string): number | bigint | undefined => {
    if (v === null || v === undefined) return undefined;
    const t = byName.get(c)?.type;
    return t === 'long' || t === 'timestamptz' ? BigInt(v as bigint) : Number(v);
  };
  const stats = columns
    .filter((c) => typeof byName.get(c)?.type !== 'object')
    .map((c): ColumnStats => {
      const count = counts.get(c) ?? { values: Number(n), nulls: 0 };
      const i = bounded.indexOf(c);
      const min = i < 0 ? undefined : num(bounds[2 * i], c);
      const max = i < 0 ? undefined : num(bounds[2 * i + 1], c);
      return { name: c, values: count.values, nulls: count.nulls, ...(min !== undefined && max !== undefined ? { min, max } : {}) };
    });
  return { rows: Number(n), columns: stats };
}

/** The files of each partition (spec and value) of a table's current snapshot. */
function byPartition(files: readonly LiveFile[]): LiveFile[][] {
  const groups = new Map<string, LiveFile[]>();
  for (const f of files) {
    const key = JSON.stringify([f.specId, f.file.partition]);
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  return [...groups.values()];
}

/** Compacts one table of a catalog whose data files are local; a table without a snapshot has nothing to compact. */
export async function compactTable(
  deps: CommitDeps,
  conn: DuckDBConnection,
  table: string,
  opts: CompactionOptions,
  scratch: string,
): Promise<TableCompaction | undefined> {
  const loaded = await deps.catalog.load(table);
  if (!loaded) return undefined;
  const m: TableMetadata = loaded.metadata;
  const before = await liveFiles(deps.read, m);
  const result: TableCompaction = {
    table,
    filesBefore: before.length,
    bytesBefore: before.reduce((n, f) => n + f.file.fileSizeInBytes, 0),
    filesAfter: before.length,
    bytesAfter: before.reduce((n, f) => n + f.file.fileSizeInBytes, 0),
    partitions: 0,
    conflicted: 0,
  };
  const schema = currentSchema(m);
  const rewrites: Rewrite[] = [];
  try {
    for (const partition of byPartition(before)) {
      const pack: PackFile[] = [];
      for (const f of partition) {
        const path = f.file.filePath;
        if (!isAbsolute(path) || !existsSync(path)) throw new Error(`table ${table}: ${path} is not a local file (cflogs compact rewrites a local lake's files)`);
        const small = f.file.fileSizeInBytes < opts.fileBytes;
        // The footer is read only where the planner may need it: a file that could be a bin of its own.
        const rowGroups = small && partition.length === 1 ? Number(((await rows(conn, `SELECT num_row_groups::BIGINT FROM parquet_file_metadata(${sqlLiteral(path)})`))[0] as [bigint])[0]) : 0;
        pack.push({ path, bytes: f.file.fileSizeInBytes, rows: f.file.recordCount, rowGroups, compacted: basename(path).startsWith(COMPACTED_PREFIX) });
      }
      for (const bin of binPack(pack, opts)) {
        const added = await rewriteBin(conn, schema, bin, opts, scratch);
        rewrites.push({ replaced: bin.map((f) => f.path), added: [added] });
      }
    }
    if (rewrites.length === 0) return result;
    const r = await replaceFiles(deps, table, rewrites);
    // The new files of a rewrite left out are in no snapshot: removed, as a failed write's would be.
    for (const c of r.conflicted) for (const f of c.added) rmSync(f.path, { force: true });
    result.conflicted = r.conflicted.length;
    if (r.snapshotId === undefined) return result;
    result.snapshotId = r.snapshotId;
    result.partitions = r.committed.length;
    const after = await liveFiles(deps.read, (await deps.catalog.load(table))?.metadata ?? m);
    result.filesAfter = after.length;
    result.bytesAfter = after.reduce((n, f) => n + f.file.fileSizeInBytes, 0);
    return result;
  } catch (e) {
    for (const w of rewrites) for (const f of w.added) rmSync(f.path, { force: true });
    throw e;
  }
}

/** A DuckDB connection as the compaction runs it: one thread, a memory limit, spilling to `scratch`. */
export async function compactionDuckDB<T>(opts: CompactionOptions, work: (conn: DuckDBConnection, scratch: string) => Promise<T>): Promise<T> {
  const { DuckDBInstance } = await loadDuckDB('compact');
  const scratch = mkdtempSync(join(tmpdir(), 'cflogs-compact-'));
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    await conn.run(`SET memory_limit = ${sqlLiteral(opts.memoryLimit)}; SET threads = ${opts.threads}; SET preserve_insertion_order = true; SET temp_directory = ${sqlLiteral(join(scratch, 'spill'))}`);
    return await work(conn, scratch);
  } finally {
    conn.closeSync();
    db.closeSync();
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Compacts `tables` of a catalog (those it has); one DuckDB for all of them. */
export async function compactTables(catalog: IcebergCatalog, tables: readonly string[], opts: CompactionOptions, now: () => number = Date.now): Promise<TableCompaction[]> {
  const deps: CommitDeps = { catalog, ...localFiles, now };
  return compactionDuckDB(opts, async (conn, scratch) => {
    const out: TableCompaction[] = [];
    for (const t of tables) {
      const r = await compactTable(deps, conn, t, opts, scratch);
      if (r) out.push(r);
    }
    return out;
  });
}

const mb = (n: number): string => `${(n / 1e6).toFixed(2)} MB`;

/** One line per table: files and bytes before and after, and the snapshot. */
export function compactionLine(r: TableCompaction): string {
  const files = (n: number): string => `${n} file${n === 1 ? '' : 's'}`;
  const head = `${r.table}: ${files(r.filesBefore)}, ${mb(r.bytesBefore)}`;
  const conflicts = r.conflicted > 0 ? `; ${r.conflicted} partition${r.conflicted === 1 ? '' : 's'} changed meanwhile, left for the next run` : '';
  if (r.snapshotId === undefined) return `${head}: nothing to compact${conflicts}`;
  return `${head} -> ${files(r.filesAfter)}, ${mb(r.bytesAfter)} (${r.partitions} partition${r.partitions === 1 ? '' : 's'} rewritten); snapshot ${r.snapshotId} (replace)${conflicts}`;
}

/**
 * `cflogs compact`: compacts the lake's Iceberg tables (all the log types', or those named with --table). Prints one
 * line per table. Exit 0 when done, 1 when the lake has no Iceberg tables, 2 on usage errors.
 */
export async function compactCommand(argv: string[], io: { stdout: Writable; stderr: Writable }, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { values, positionals } = parseCommandArgs({
    args: argv,
    allowPositionals: false,
    options: COMPACT_OPTIONS,
  }, COMPACT_USAGE);
  if (positionals.length > 0) throw new UsageError(`unexpected ${positionals.join(' ')}\nusage: ${COMPACT_USAGE}`);
  const positive = (name: string, v: string | undefined, def: number): number => {
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} takes a positive number\nusage: ${COMPACT_USAGE}`);
    return n;
  };
  const opts: CompactionOptions = {
    ...COMPACTION_DEFAULTS,
    fileBytes: Math.round(positive('target-mb', values['target-mb'], COMPACTION_DEFAULTS.fileBytes / 2 ** 20) * 2 ** 20),
    rowGroupRows: Math.max(2048, Math.round(positive('row-group-rows', values['row-group-rows'], COMPACTION_DEFAULTS.rowGroupRows))),
  };
  const catalog = localWarehouse(values.lake);
  if (!existsSync(catalog.warehouse)) {
    io.stderr.write(`cflogs compact: no Iceberg tables in ${values.lake} (cflogs parse --out DIR --iceberg, or npm start, makes them)\n`);
    return 1;
  }
  const known = cliRegistry(env).schemas().map((s) => s.table);
  const unknown = (values.table ?? []).filter((t) => !known.includes(t));
  if (unknown.length > 0) throw new UsageError(`unknown table ${unknown.join(', ')} (tables: ${known.join(', ')})`);
  const tables = values.table ?? known;
  const results = await compactTables(catalog, tables, opts);
  if (results.length === 0) io.stdout.write(`no Iceberg table to compact in ${values.lake}\n`);
  for (const r of results) io.stdout.write(`${compactionLine(r)}\n`);
  return 0;
}
