import type { Transform } from 'node:stream';
import type { OutputCodec } from './codec';
import { LakeColumn, LakeFormat, PARQUET_EXTENSION } from './format';
import { Backpressure } from './backpressure';
import { outputKey } from './layout';
import { ColumnBuffer, MAX_ROW_GROUPS_PER_FILE, ParquetFile } from './parquet';
import type { ObjectStore, OutputFile, PartitionFile, RowSink, WriteTarget } from './types';
import type { Row } from '../row/writer';

export interface LakeWriterOptions {
  store: ObjectStore;
  /** Key prefix inside the output bucket, '' or ending in '/'. */
  prefix: string;
  /** File name stem, deterministic from the input's identity, so a retry overwrites. */
  baseName: string;
  /**
   * Added to the stem of events files (not rejects): unique per attempt where files are handed to an Iceberg table,
   * whose files are never overwritten.
   */
  eventsSuffix?: string;
  /**
   * The hour rejects are filed under (output timestamp text). The input's own time (an S3 object's
   * LastModified) where there is one, so a retry in a later hour overwrites its rejects file instead of adding a
   * second one; else the processing time.
   */
  rejectTime: string;
  /** How files are compressed (and so named); Parquet files take its zstd level for their column chunks. */
  codec: OutputCodec;
  /**
   * Rows as Parquet, with each table's columns (lib/lake/format.ts eventColumns), or NDJSON (also when absent: a
   * sink of rejects or text alone). Rejects are NDJSON in both: raw lines, few, read by people.
   */
  format?: { name: LakeFormat; columns(table: string): readonly LakeColumn[] };
  /** Open partition files at most; the least recently used is finished beyond it (memory bound). */
  maxOpenFiles: number;
  /** Bytes of rows that may wait for a file of their own (DEFAULT_WAITING_BYTES). */
  waitingBytes?: number;
  /**
   * Rows held for Parquet row groups, all open files together, in UTF-16 code units of their lines (Row.size):
   * past it, the file holding the most encodes them as a row group (DEFAULT_COLUMN_BUFFER_CHARS).
   */
  columnBufferChars?: number;
  /** Row groups per Parquet file (MAX_ROW_GROUPS_PER_FILE). */
  maxRowGroups?: number;
}

/**
 * Rows are encoded straight into blocks this big before they go to the compressor: one UTF-8 encode per row into a
 * preallocated buffer, no joined string, and few large writes. Each write is one job on libuv's thread pool, and
 * the next job only starts once the main thread has run the last one's completion callback, which it does between
 * input chunks at best: a megabyte (about 6 ms of deflate) keeps a second core busy across the parser's turns, where
 * 256 KiB (1.6 ms) left it idle most of the time (bench/probes/two-core.ts).
 */
const BLOCK_BYTES = 1024 * 1024;
const MAX_CLOSING = 2;

/**
 * Blocks the compressor has finished with, handed out again, to the same file or the next one opened: memory stays at the
 * blocks in use (per open file, one being filled and usually at most two with the compressor, since the writer waits once a
 * second is queued and pressure() is checked per input chunk) instead of a megabyte per flush left to the garbage
 * collector, which freed them late enough to add about 23 MiB to the soak's peak.
 */
class BlockPool {
  private readonly free: Buffer[] = [];
  constructor(private readonly max: number) {}

  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafe(BLOCK_BYTES);
  }

  give(block: Buffer): void {
    if (block.length === BLOCK_BYTES && this.free.length < this.max) this.free.push(block);
  }
}

function errorText(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const code = (e as { Code?: string; code?: string }).Code ?? (e as { code?: string }).code;
  const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return [e.name !== 'Error' ? e.name : '', code && code !== e.name ? code : '', status ? `HTTP ${status}` : '', e.message]
    .filter(Boolean)
    .join(': ');
}

/** Room a row needs in a block at most: a UTF-16 code unit takes at most 3 bytes in UTF-8; +1 for the newline. */
function worstLineBytes(json: string): number {
  return json.length * 3 + 1;
}

/** Encodes the row and its newline into `block` at `used` (room checked by the caller); returns the new end. */
function appendLine(block: Buffer, used: number, json: string): number {
  const end = used + block.write(json, used, 'utf8');
  block[end] = 0x0a;
  return end + 1;
}

/** The block of a closed file. */
const RELEASED = Buffer.alloc(0);

/** An NDJSON lake file being written: rows' text into blocks, blocks through the compressor to the upload. */
class NdjsonFile implements PartitionFile {
  /** NDJSON files take rows until the input ends (or the file is evicted). */
  readonly full = false;
  /** Rows are encoded as they come: nothing waits for a row group. */
  readonly buffered = 0;
  rows = 0;
  bytes = 0;
  private block: Buffer;
  private used = 0;
  private readonly out: Transform;
  private readonly pending: Backpressure;
  /** Settles once the compressor has taken everything written so far. */
  private written: Promise<void> = Promise.resolve();

  constructor(
    readonly key: string,
    readonly kind: OutputFile['kind'],
    readonly table: string,
    private readonly target: WriteTarget,
    codec: OutputCodec,
    private readonly blocks: BlockPool,
  ) {
    this.block = blocks.take();
    // Room for a second block: the writer only waits when the compressor (on libuv's thread pool) falls that far
    // behind, so compression overlaps with parsing instead of alternating with it. Output chunks of 256 KiB hold a
    // block's compressed bytes (under 100 KiB for Logpush text), so a block is usually one job (when the output
    // chunk fills part way through, two).
    this.out = codec.create({ chunkSize: 256 * 1024, writableHighWaterMark: 2 * BLOCK_BYTES });
    this.out.on('data', (b: Buffer) => {
      this.bytes += b.length;
    });
    this.out.pipe(target.stream);
    this.pending = new Backpressure(this.out, target.result);
  }

  put(item: Row | string): number {
    this.add(typeof item === 'string' ? item : item.json());
    return 0;
  }

  writeRowGroup(): number {
    return 0;
  }

  private add(json: string): void {
    if (this.block === RELEASED) throw new Error(`${this.key}: row added after the file was closed`);
    this.rows++;
    const worst = worstLineBytes(json);
    if (this.used + worst > this.block.length) {
      this.flush();
      if (worst > this.block.length) {
        this.write(Buffer.from(json + '\n'));
        return;
      }
    }
    this.used = appendLine(this.block, this.used, json);
  }

  /** Rows already encoded as NDJSON (a waiting partition's), in order. */
  addEncoded(blocks: Buffer[], rows: number): void {
    if (this.block === RELEASED) throw new Error(`${this.key}: rows added after the file was closed`);
    this.rows += rows;
    this.flush();
    for (const b of blocks) this.write(b);
  }

  /** Hands the filled block to the compressor and goes on in another. */
  private flush(): void {
    if (this.used === 0) return;
    this.handOver();
    this.block = this.blocks.take();
  }

  /** The last flush: a closed file keeps no block, so the next file opened can take it. */
  private release(): void {
    if (this.block === RELEASED) return;
    if (this.used > 0) this.handOver();
    else this.blocks.give(this.block);
    this.block = RELEASED;
  }

  /** The compressor reads the block until its write callback; then the pool has it back. */
  private handOver(): void {
    const full = this.block;
    this.write(full.subarray(0, this.used), (err) => {
      if (!err) this.blocks.give(full);
    });
    this.used = 0;
  }

  private write(buf: Buffer, done?: (err: Error | null | undefined) => void): void {
    this.written = new Promise((settled) => {
      this.pending.write(buf, (err) => {
        done?.(err);
        settled();
      });
    });
  }

  /** Pending backpressure, raced with the store's failure so a dead upload cannot hang us. */
  pressure(): Promise<unknown> | undefined {
    return this.pending.wait();
  }

  async close(): Promise<OutputFile> {
    this.release();
    // The compressor ends the stream after it has taken the last block, whatever the timing: zlib would otherwise end
    // with that block when it is still queued at end(), and without it when not, two different last frames.
    await Promise.race([this.written, this.target.result]);
    this.out.end();
    await this.target.result;
    return { key: this.key, kind: this.kind, table: this.table, rows: this.rows, bytes: this.bytes };
  }

  /** Stops compressing and discards the object (the store aborts the upload). */
  async abort(): Promise<void> {
    this.out.destroy();
    await this.target.abort();
  }
}

/** Rows of a partition that has no open file yet, in the form its file takes them. */
interface Waiting {
  readonly kind: OutputFile['kind'];
  readonly table: string;
  readonly time: string;
  readonly rows: number;
  /** What the rows cost in memory, counted against the budget. */
  readonly allocated: number;
  /** Returns what the row newly costs. */
  put(item: Row | string): number;
  /** Hands the rows, in order, to the partition's newly opened file; the object is not used after this. */
  into(file: PartitionFile): void;
}

/**
 * Rows waiting for an NDJSON file, UTF-8 encoded as they came, in blocks that grow from small (many partitions may
 * wait at once) to a full block.
 */
class WaitingText implements Waiting {
  readonly blocks: Buffer[] = [];
  private block: Buffer = RELEASED;
  private used = 0;
  rows = 0;
  allocated = 0;

  constructor(
    readonly kind: OutputFile['kind'],
    readonly table: string,
    readonly time: string,
  ) {}

  put(item: Row | string): number {
    const json = typeof item === 'string' ? item : item.json();
    this.rows++;
    const worst = worstLineBytes(json);
    let grew = 0;
    if (this.used + worst > this.block.length) {
      if (this.used > 0) this.blocks.push(this.block.subarray(0, this.used));
      grew = Math.max(Math.min(BLOCK_BYTES, this.block.length * 2 || WAITING_FIRST_BLOCK), worst);
      this.block = Buffer.allocUnsafe(grew);
      this.allocated += grew;
      this.used = 0;
    }
    this.used = appendLine(this.block, this.used, json);
    return grew;
  }

  into(file: PartitionFile): void {
    if (!(file instanceof NdjsonFile)) throw new Error(`${file.key}: waiting text rows for a file that is not NDJSON`);
    if (this.used > 0) this.blocks.push(this.block.subarray(0, this.used));
    this.block = RELEASED;
    this.used = 0;
    file.addEncoded(this.blocks, this.rows);
  }
}

/**
 * Rows waiting for a Parquet file, as typed columns already: the file adopts them as its first row group's. What they
 * cost is what their buffers and dictionaries hold, plus the columns' objects, counted against the waiting budget as
 * they grow, so many partitions waiting with a row or two each stay bounded.
 */
class WaitingColumns implements Waiting {
  private readonly buffer: ColumnBuffer;
  private readonly objects: number;

  constructor(
    readonly kind: OutputFile['kind'],
    readonly table: string,
    readonly time: string,
    columns: readonly LakeColumn[],
  ) {
    this.buffer = new ColumnBuffer(columns);
    this.objects = columns.length * COLUMN_OBJECT_BYTES;
  }

  get rows(): number {
    return this.buffer.rows;
  }

  get allocated(): number {
    return this.objects + this.buffer.meter.bytes;
  }

  put(item: Row | string): number {
    if (typeof item === 'string') throw new Error(`${this.table}: a Parquet partition takes rows, not text`);
    const before = this.rows === 0 ? 0 : this.allocated;
    this.buffer.add(item);
    return this.allocated - before;
  }

  into(file: PartitionFile): void {
    if (!(file instanceof ParquetFile)) throw new Error(`${file.key}: waiting columns for a file that is not Parquet`);
    file.adopt(this.buffer);
  }
}

/** A column's objects (its leaf, level and value buffers, dictionary map), about. */
const COLUMN_OBJECT_BYTES = 512;

const WAITING_FIRST_BLOCK = 4 * 1024;
/** Rows held for Parquet row groups, all open files together (bench/README.md, Parquet: how the size was chosen). */
export const DEFAULT_COLUMN_BUFFER_CHARS = 16 * 1024 * 1024;

/** Closes a file, naming it in the error: "finishing output failed" alone does not say which of an object's files broke. */
async function closeFile(f: PartitionFile): Promise<OutputFile> {
  try {
    return await f.close();
  } catch (e) {
    throw new Error(`${f.key}: ${errorText(e)}`, { cause: e });
  }
}
/** Rows waiting for a file, all partitions together, before the largest partition is given one. */
export const DEFAULT_WAITING_BYTES = 16 * 1024 * 1024;

/**
 * One lake file (Parquet, or compressed NDJSON) per (input, table, event hour), rejects in one NDJSON file per
 * (input, table), at the keys lib/lake/layout.ts gives.
 *
 * At most `maxOpenFiles` files are open (each holds its row group or a block, compressor state and an upload). A row
 * for a partition with no open file while all are taken waits in memory, in its partition's text blocks or columns,
 * counted at what they hold; when the waiting rows of all
 * partitions pass a budget, the largest waiting partition takes the least recently used file's place and its rows
 * go into a file of its own, one partition per row written, until half the budget is left. Rows in any order thus
 * cost bounded memory, an hour's rows land in few files, and every decision depends only on the sequence of rows,
 * never on timing, so a retry writes the same files under the same names. After a row that evicted a file, row()
 * returns true: the caller awaits pressure() before the next row, so evicted files finish uploading in bounded
 * numbers whatever the order.
 */
export class LakeWriter implements RowSink {
  private readonly open = new Map<string, PartitionFile>();
  private readonly waiting = new Map<string, Waiting>();
  private waitingBytes = 0;
  /** Set once the waiting rows pass the budget; cleared when they are back under half of it. */
  private spilling = false;
  private readonly waitingBudget: number;
  private readonly blocks: BlockPool;
  /** How many files a partition has had (an evicted partition that gets rows again continues in `-1`, `-2`...). */
  private readonly parts = new Map<string, number>();
  private readonly finished: Promise<OutputFile>[] = [];
  /** Evicted files still uploading; bounded so memory stays flat when event hours interleave. */
  private closing: Promise<unknown>[] = [];
  private lastHour = '';
  private lastTable = '';
  private lastFile: PartitionFile | undefined;
  /** Rows the open Parquet files hold for their next row groups, together (Row.size). */
  private buffered = 0;
  private readonly bufferBudget: number;

  constructor(private readonly opts: LakeWriterOptions) {
    this.blocks = new BlockPool(opts.maxOpenFiles + MAX_CLOSING);
    this.waitingBudget = opts.waitingBytes ?? DEFAULT_WAITING_BYTES;
    this.bufferBudget = opts.columnBufferChars ?? DEFAULT_COLUMN_BUFFER_CHARS;
  }

  row(table: string, row: Row): boolean {
    const eventTime = row.eventTime;
    // Same hour as the previous row is the common case in an ordered batch: skip the map lookup.
    const hour = eventTime.slice(0, 13);
    const last = this.lastFile;
    if (last !== undefined && hour === this.lastHour && table === this.lastTable) {
      const added = last.put(row);
      if (added !== 0 && (this.buffered += added) > this.bufferBudget) return this.encodeLargest();
      return last.full ? this.retire(`${table}/${hour}`, last) : false;
    }
    const id = `${table}/${hour}`;
    const f = this.add(id, 'events', table, eventTime, row);
    if (f !== undefined) {
      if (this.buffered > this.bufferBudget) return this.encodeLargest();
      if (f.full) return this.retire(id, f);
      this.lastHour = hour;
      this.lastTable = table;
      this.lastFile = f;
    }
    return this.spillIfOver();
  }

  reject(table: string, json: string): boolean {
    this.add(`rejects:${table}`, 'rejects', table, this.opts.rejectTime, json);
    return this.spillIfOver();
  }

  /** Writes to the partition's open file (marked most recently used), opens one if there is room, or waits the row. */
  private add(id: string, kind: OutputFile['kind'], table: string, time: string, item: Row | string): PartitionFile | undefined {
    let f = this.open.get(id);
    if (f !== undefined) {
      // Map order doubles as LRU order.
      this.open.delete(id);
      this.open.set(id, f);
    } else {
      let w = this.waiting.get(id);
      if (w === undefined && this.open.size < this.opts.maxOpenFiles) f = this.openFile(id, kind, table, time);
      else {
        if (w === undefined) this.waiting.set(id, (w = this.waitingFor(kind, table, time)));
        this.waitingBytes += w.put(item);
        return undefined;
      }
    }
    this.buffered += f.put(item);
    return f;
  }

  private isParquet(kind: OutputFile['kind']): boolean {
    return this.opts.format?.name === 'parquet' && kind === 'events';
  }

  private waitingFor(kind: OutputFile['kind'], table: string, time: string): Waiting {
    const { format } = this.opts;
    return format !== undefined && this.isParquet(kind) ? new WaitingColumns(kind, table, time, format.columns(table)) : new WaitingText(kind, table, time);
  }

  /**
   * Encodes the Parquet file holding the most rows as a row group, once the files' rows together pass the
   * budget: one busy hour's file thus takes the whole budget, and many open files share it. A file that is then
   * full is finished. Returns true: the caller awaits pressure() before the next row, as the row group is uploading.
   */
  private encodeLargest(): true {
    while (this.buffered > this.bufferBudget) {
      let largest: [string, PartitionFile] | undefined;
      for (const entry of this.open) if (largest === undefined || entry[1].buffered > largest[1].buffered) largest = entry;
      if (largest === undefined || largest[1].buffered === 0) break;
      const [id, f] = largest;
      this.buffered -= f.writeRowGroup();
      if (f.full) this.retire(id, f);
    }
    return true;
  }

  /** One spill step when the waiting rows are over budget; true when a file was evicted (await pressure()). */
  private spillIfOver(): boolean {
    if (!this.spilling) {
      if (this.waitingBytes <= this.waitingBudget) return false;
      this.spilling = true;
    }
    const evicted = this.spillLargest();
    if (this.waitingBytes <= this.waitingBudget / 2) this.spilling = false;
    return evicted;
  }

  /** Gives the largest waiting partition a file (evicting the least recently used one); true if one was evicted. */
  private spillLargest(): boolean {
    let id: string | undefined;
    let largest: Waiting | undefined;
    for (const [k, w] of this.waiting) {
      if (largest === undefined || w.allocated > largest.allocated) {
        id = k;
        largest = w;
      }
    }
    if (id === undefined || largest === undefined) return false;
    const evicted = this.open.size >= this.opts.maxOpenFiles;
    if (evicted) this.evictOldest();
    this.waiting.delete(id);
    this.waitingBytes -= largest.allocated;
    const f = this.openFile(id, largest.kind, largest.table, largest.time);
    largest.into(f);
    this.buffered += f.buffered;
    if (this.buffered > this.bufferBudget) this.encodeLargest();
    return (f.full && this.open.get(id) === f && this.retire(id, f)) || evicted;
  }

  private openFile(id: string, kind: OutputFile['kind'], table: string, time: string): PartitionFile {
    const n = this.parts.get(id) ?? 0;
    this.parts.set(id, n + 1);
    const { format, codec } = this.opts;
    const parquet = format !== undefined && this.isParquet(kind);
    const base = kind === 'events' && this.opts.eventsSuffix !== undefined ? `${this.opts.baseName}-${this.opts.eventsSuffix}` : this.opts.baseName;
    const key = outputKey(this.opts.prefix, kind, table, time, base, n, parquet ? PARQUET_EXTENSION : codec.extension);
    const target = this.opts.store.openWrite(key);
    const f: PartitionFile = parquet
      ? new ParquetFile(key, kind, table, target, { columns: format.columns(table), level: codec.compression === 'zstd' ? codec.level : 3, maxRowGroups: this.opts.maxRowGroups ?? MAX_ROW_GROUPS_PER_FILE })
      : new NdjsonFile(key, kind, table, target, codec, this.blocks);
    this.open.set(id, f);
    return f;
  }

  private evictOldest(): void {
    const oldest = this.open.entries().next().value;
    if (oldest) this.retire(oldest[0], oldest[1]);
  }

  /**
   * Finishes an open file early: the least recently used one when another partition needs its place, or a file that
   * is full (a Parquet file's footer metadata grows with its row groups). The partition's next row opens its next
   * part. Returns true: the caller awaits pressure(), which bounds the files still finishing.
   */
  private retire(id: string, f: PartitionFile): true {
    this.open.delete(id);
    if (this.lastFile === f) this.lastFile = undefined;
    // Its rows are encoded as it closes.
    this.buffered -= f.buffered;
    const p = closeFile(f);
    p.catch(() => undefined); // observed in commit()
    this.finished.push(p);
    const settled = p.then(
      () => undefined,
      () => undefined,
    );
    this.closing.push(settled);
    void settled.then(() => {
      this.closing = this.closing.filter((c) => c !== settled);
    });
    return true;
  }

  pressure(): Promise<void> | undefined {
    let waits: Promise<unknown>[] | undefined;
    // At most two evicted files finishing at a time: past that, reading waits for the oldest.
    if (this.closing.length > MAX_CLOSING) (waits ??= []).push(this.closing[0] as Promise<unknown>);
    for (const f of this.open.values()) {
      const p = f.pressure();
      if (p) (waits ??= []).push(p);
    }
    return waits && Promise.all(waits).then(() => undefined);
  }

  async commit(): Promise<OutputFile[]> {
    // The waiting partitions take their turn for a file, largest first, each step bounded like the rest.
    while (this.waiting.size > 0) {
      this.spillLargest();
      const p = this.pressure();
      if (p) await p;
    }
    const closing = [...this.open.values()].map(closeFile);
    this.open.clear();
    this.buffered = 0;
    this.lastFile = undefined;
    const results = await Promise.allSettled([...this.finished, ...closing]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return results.map((r) => (r as PromiseFulfilledResult<OutputFile>).value).sort((a, b) => a.key.localeCompare(b.key));
  }

  /**
   * Aborts the files still being written. Files this attempt already finished (evicted partitions) stay: they
   * hold exactly what a retry writes under the same keys, and deleting them could remove the good output of an
   * earlier successful delivery of the same object.
   */
  async abort(): Promise<void> {
    const files = [...this.open.values()];
    this.open.clear();
    this.waiting.clear();
    this.waitingBytes = 0;
    this.buffered = 0;
    this.lastFile = undefined;
    await Promise.allSettled(files.map((f) => f.abort()));
  }
}
