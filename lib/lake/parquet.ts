import * as zlib from 'node:zlib';
import type { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import type { RowGroup, SchemaElement } from 'hyparquet';
import { ExactNumber } from '../record/json';
import { timestampMicros, timestampNanos } from '../record/timestamps';
import { P, P_COLUMNS } from '../row/contract';
import type { TextSpan } from '../record/normalise';
import type { Row } from '../row/writer';
import type { ScalarType } from '../schema/model';
import { Backpressure } from './backpressure';
import { BooleanLeaf, Int64Leaf, Leaf, Meter, NumberLeaf, PageOut, TextLeaf } from './column-chunk';
import { EVENT_TIME_NS, LakeColumn } from './format';
import type { ColumnStats, OutputFile, PartitionFile, WriteTarget } from './types';

/**
 * Parquet lake files, written a row group at a time (hyparquet-writer, chosen by measurement: bench/README.md).
 *
 * Rows arrive as the row writer's columns (lib/row/writer.ts Row), never as text: each lake column's value is
 * taken from the row, typed as the column's Parquet type, and encoded into its column chunk's buffers
 * (lib/lake/column-chunk.ts) as it arrives. The lake writer decides when a file's buffer becomes a row group (the buffers of all open files share one
 * budget), which is encoded with zstd and handed to the upload straight away. Memory is thus bounded whatever the
 * object's size, and the footer is written at close. The values are the ones the NDJSON text is written from, so a
 * Parquet file holds exactly the NDJSON file's rows (the tests compare them through DuckDB).
 */

/**
 * Row groups per file at most: the footer's metadata (every row group's column chunks) stays in memory until the file
 * is finished, so a file is finished after this many and the partition goes on in a new one.
 */
export const MAX_ROW_GROUPS_PER_FILE = 32;

/** Parquet's physical and logical type for a scalar column type. */
function leaf(t: ScalarType): Omit<SchemaElement, 'name'> {
  switch (t) {
    case 'string':
      return { type: 'BYTE_ARRAY', converted_type: 'UTF8' };
    case 'json':
      // JSON text in a UTF8 column, digits as received: what Athena reads as a string (its Glue type); Athena does not
      // read Parquet's JSON annotation.
      return { type: 'BYTE_ARRAY', converted_type: 'UTF8' };
    case 'boolean':
      return { type: 'BOOLEAN' };
    case 'bigint':
      return { type: 'INT64' };
    case 'int':
      return { type: 'INT32' };
    case 'smallint':
      return { type: 'INT32', converted_type: 'INT_16' };
    case 'float':
      return { type: 'DOUBLE' };
    case 'timestamp':
      // Microseconds, UTC: what Athena (engine v3), Glue, Spark and DuckDB all read as a timestamp.
      return { type: 'INT64', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' } };
  }
}

/** The file's schema: every column optional, lists in the standard three-level form. */
export function parquetSchema(columns: readonly LakeColumn[]): SchemaElement[] {
  const out: SchemaElement[] = [{ name: 'root', num_children: columns.length }];
  for (const c of columns) {
    if (c.type === 'array') {
      out.push(
        { name: c.name, repetition_type: 'OPTIONAL', num_children: 1, converted_type: 'LIST' },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
        { name: 'element', repetition_type: 'OPTIONAL', ...leaf(c.element ?? 'string') },
      );
    } else out.push({ name: c.name, repetition_type: 'OPTIONAL', ...leaf(c.type) });
  }
  return out;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * p_event_time_ns, or undefined outside what an INT64 of nanoseconds holds (1677-09-21 to 2262-04-11): the lake takes
 * event times from year 1 to 9999 (Go's zero time is common), and p_event_time still holds those to the microsecond.
 */
function eventTimeNanos(ts: string): bigint | undefined {
  const ns = timestampNanos(ts);
  return ns !== undefined && ns >= INT64_MIN && ns <= INT64_MAX ? ns : undefined;
}

/** Which columns are worth min/max statistics: Athena skips row groups by them for numbers and times, not text. */
function wantsStatistics(c: LakeColumn): boolean {
  return c.type === 'timestamp' || c.type === 'bigint' || c.type === 'int' || c.type === 'smallint' || c.type === 'float';
}

/** hyparquet-writer, loaded when the first Parquet file opens: an NDJSON lake's cold start does not pay for it. */
let writerModule: typeof import('hyparquet-writer') | undefined;
function hyparquet(): typeof import('hyparquet-writer') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (writerModule ??= require('hyparquet-writer') as typeof import('hyparquet-writer'));
}

/**
 * A Writer for hyparquet-writer that hands its bytes to a stream when flushed: before each page the file appends
 * (lib/lake/column-chunk.ts PageOut), after each row group, and after the footer (finish()).
 */
function streamWriter(push: (bytes: Buffer) => void): ByteWriter & { flush(): void } {
  const w = new (hyparquet().ByteWriter)() as ByteWriter & { flush(): void };
  w.flush = () => {
    if (w.index === 0) return;
    if (w.index < 64 * 1024) {
      // A page header or the footer: copied, and the writer keeps its buffer.
      push(Buffer.from(w.getBytes()));
    } else {
      push(Buffer.from(w.buffer, 0, w.index));
      w.buffer = new ArrayBuffer(64 * 1024);
      w.view = new DataView(w.buffer);
    }
    w.index = 0;
  };
  w.finish = w.flush;
  return w;
}

/** Where a lake column's values come from in a Row, and how they are typed on the way. */
const FIELD = 0; // a schema column: number, boolean
const FIELD_TEXT = 10; // a schema column of text
const FIELD_BIGINT = 1;
const FIELD_TIME = 2;
const FIELD_JSON = 3;
const FIELD_LIST = 4;
const STANDARD = 5; // a p_* text column
const STANDARD_LIST = 6; // a p_any_* array
const STANDARD_TIME = 7;
const EVENT_NS = 8;
const MISSING = 9; // a column the rows do not have: NULL

/** Where a row's text value is, for ColumnBuffer#add (one for the process: add runs to its end without waiting). */
const span: TextSpan = { line: '', start: 0, end: 0 };

const P_POSITION = new Map<string, number>(P_COLUMNS.map((c, k) => [c.name, k]));
const EVENT_TIME_POSITION = P_POSITION.get(P.p_event_time) as number;

/** The leaf that holds a scalar type's values: a column's (definition level 1) or a list's elements (3, repeated). */
function leafFor(t: ScalarType, list: boolean, statistics: boolean, meter: Meter): Leaf {
  const maxDef = list ? 3 : 1;
  switch (t) {
    case 'string':
    case 'json':
      return new TextLeaf(maxDef, list, meter);
    case 'boolean':
      return new BooleanLeaf(maxDef, list, meter);
    case 'bigint':
    case 'timestamp':
      return new Int64Leaf(maxDef, list, statistics, meter);
    case 'int':
    case 'smallint':
      return new NumberLeaf('INT32', maxDef, list, statistics, meter);
    case 'float':
      return new NumberLeaf('DOUBLE', maxDef, list, statistics, meter);
  }
}

/** A list element as its leaf takes it, or undefined for a null element. */
function element(t: ScalarType, v: unknown): unknown {
  if (v === undefined || v === null) return undefined;
  switch (t) {
    case 'json':
      return JSON.stringify(v);
    case 'bigint':
      return v instanceof ExactNumber ? BigInt(v.text) : v;
    case 'timestamp':
      return typeof v === 'string' ? timestampMicros(v) : undefined;
    default:
      return v instanceof ExactNumber ? v.value : v;
  }
}

/** A list's slots: definition level 0 for a NULL list, 1 for an empty one, 2 for a NULL element. */
function putList(leaf: Leaf, t: ScalarType, v: unknown): void {
  if (!Array.isArray(v)) return leaf.empty(0, 0);
  if (v.length === 0) return leaf.empty(1, 0);
  for (let k = 0; k < v.length; k++) {
    const e = t === 'string' ? v[k] : element(t, v[k]);
    if (e === undefined || e === null) leaf.empty(2, k === 0 ? 0 : 1);
    else leaf.put(e, k === 0 ? 0 : 1);
  }
}

/**
 * The rows of one row group (or of a partition waiting for a file), encoded column by column as they arrive
 * (lib/lake/column-chunk.ts). `size` is the rows' size in UTF-16 code units (Row.size), what the lake writer
 * budgets.
 */
export class ColumnBuffer {
  rows = 0;
  size = 0;
  /** What the columns' buffers and dictionaries hold now, in bytes. */
  readonly meter: Meter = { bytes: 0 };
  private readonly leaves: Leaf[];
  private readonly paths: string[][];
  private readonly elements: ScalarType[];
  private kinds = new Uint8Array(0);
  private from = new Int32Array(0);
  private mappedFor: readonly string[] | undefined = undefined;

  constructor(readonly columns: readonly LakeColumn[]) {
    this.leaves = columns.map((c) => (c.type === 'array' ? leafFor(c.element ?? 'string', true, false, this.meter) : leafFor(c.type, false, wantsStatistics(c), this.meter)));
    this.paths = columns.map((c) => (c.type === 'array' ? [c.name, 'list', 'element'] : [c.name]));
    this.elements = columns.map((c) => (c.type === 'array' ? (c.element ?? 'string') : c.type));
  }

  add(row: Row): void {
    if (row.columnNames !== this.mappedFor) this.map(row.columnNames);
    const { kinds, from, leaves, elements } = this;
    for (let j = 0; j < kinds.length; j++) {
      const at = from[j] as number;
      const leaf = leaves[j] as Leaf;
      let v: unknown;
      switch (kinds[j]) {
        case FIELD: {
          const x = row.value(at);
          v = x instanceof ExactNumber ? x.value : x;
          break;
        }
        case FIELD_TEXT:
          // Text still in the line is looked up in the dictionary where it is.
          if (row.textSpan?.(at, span) === true) {
            (leaf as TextLeaf).putSpan(span.line, span.start, span.end, 0);
            span.line = ''; // not kept past the row
            continue;
          }
          v = row.value(at);
          break;
        case FIELD_BIGINT: {
          const x = row.value(at);
          v = x instanceof ExactNumber ? BigInt(x.text) : typeof x === 'number' && !Number.isSafeInteger(x) ? BigInt(x) : x;
          break;
        }
        case FIELD_TIME: {
          const x = row.value(at);
          v = typeof x === 'string' ? timestampMicros(x) : undefined;
          break;
        }
        case FIELD_JSON:
          // An explicit JSON null is a value here (the NDJSON row has it too); an absent field is SQL NULL.
          v = row.jsonText(at);
          break;
        case FIELD_LIST:
          putList(leaf, elements[j] as ScalarType, row.value(at));
          continue;
        case STANDARD:
          v = row.standard(at);
          break;
        case STANDARD_LIST:
          putList(leaf, 'string', row.standard(at));
          continue;
        case STANDARD_TIME: {
          const x = row.standard(at);
          v = typeof x === 'string' ? timestampMicros(x) : undefined;
          break;
        }
        case EVENT_NS: {
          const x = row.standard(at);
          v = typeof x === 'string' ? eventTimeNanos(x) : undefined;
          break;
        }
        default:
          v = undefined;
      }
      if (v === undefined || v === null) leaf.empty(0, 0);
      else leaf.put(v, 0);
    }
    this.rows++;
    this.size += row.size;
  }

  /** Writes the rows as one row group at the writer's offset, and starts again empty; returns the group's footer entry. */
  writeRowGroup(out: PageOut, compress: (b: Buffer) => Buffer): RowGroup {
    const start = out.writer.offset;
    const rows = this.rows;
    const columns = this.leaves.map((leaf, j) => leaf.write(out, this.paths[j] as string[], rows, compress));
    let total = 0n;
    for (const c of columns) total += c.meta_data?.total_uncompressed_size ?? 0n;
    this.rows = 0;
    this.size = 0;
    return { columns, total_byte_size: total, num_rows: BigInt(rows), total_compressed_size: BigInt(out.writer.offset - start) };
  }

  /** Works out, once per kind of row, where each lake column is in it. */
  private map(names: readonly string[]): void {
    const index = new Map(names.map((n, i) => [n, i]));
    const n = this.columns.length;
    this.kinds = new Uint8Array(n);
    this.from = new Int32Array(n);
    for (let j = 0; j < n; j++) {
      const c = this.columns[j] as LakeColumn;
      const p = c.name === EVENT_TIME_NS ? EVENT_TIME_POSITION : P_POSITION.get(c.name);
      const i = index.get(c.name);
      let kind: number;
      if (p !== undefined) {
        kind = c.name === EVENT_TIME_NS ? EVENT_NS : c.type === 'timestamp' ? STANDARD_TIME : c.type === 'array' ? STANDARD_LIST : STANDARD;
        this.from[j] = p;
      } else if (i !== undefined) {
        kind =
          c.type === 'array' ? FIELD_LIST
          : c.type === 'bigint' ? FIELD_BIGINT
          : c.type === 'timestamp' ? FIELD_TIME
          : c.type === 'json' ? FIELD_JSON
          : c.type === 'string' ? FIELD_TEXT
          : FIELD;
        this.from[j] = i;
      } else kind = MISSING;
      this.kinds[j] = kind;
    }
    this.mappedFor = names;
  }
}

export interface ParquetFileOptions {
  columns: readonly LakeColumn[];
  /** zstd level of the column chunks. */
  level: number;
  /** The file is full after this many row groups (MAX_ROW_GROUPS_PER_FILE). */
  maxRowGroups: number;
}

/** One Parquet lake file being written: rows in, row groups out to the upload when the lake writer says. */
export class ParquetFile implements PartitionFile {
  rows = 0;
  /** Row groups written. */
  rowGroups = 0;
  bytes = 0;
  private buffer: ColumnBuffer;
  private closed = false;
  private readonly writer: ParquetWriter;
  private readonly compress: (b: Buffer) => Buffer;
  /** The file's header and footer writer (page headers too), and where pages go. */
  private readonly header: ByteWriter & { flush(): void };
  private readonly pages: PageOut;
  private readonly upload: Backpressure;

  constructor(
    readonly key: string,
    readonly kind: OutputFile['kind'],
    readonly table: string,
    private readonly target: WriteTarget,
    private readonly opts: ParquetFileOptions,
  ) {
    this.upload = new Backpressure(target.stream, target.result);
    const { ZSTD_c_compressionLevel } = zlib.constants;
    const params = { [ZSTD_c_compressionLevel]: opts.level };
    this.compress = (input) => zlib.zstdCompressSync(input, { params });
    // The file's header and footer; the row groups' pages are filled by ColumnBuffer.
    this.writer = new (hyparquet().ParquetWriter)({
      writer: streamWriter((b) => this.write(b)),
      schema: parquetSchema(opts.columns),
      codec: 'ZSTD',
      createdBy: 'cflogs',
    });
    this.buffer = new ColumnBuffer(opts.columns);
    const header = (this.header = this.writer.writer as ByteWriter & { flush(): void });
    this.pages = {
      writer: header,
      append: (bytes) => {
        // After the header bytes before them.
        header.flush();
        this.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
        header.offset += bytes.byteLength;
      },
    };
  }

  get full(): boolean {
    return this.rowGroups >= this.opts.maxRowGroups;
  }

  /** Size of the rows not yet encoded (ColumnBuffer.size). */
  get buffered(): number {
    return this.buffer.size;
  }

  /** Returns the size it adds to the buffered rows. */
  put(row: Row | string): number {
    if (this.closed) throw new Error(`${this.key}: row added after the file was closed`);
    if (typeof row === 'string') throw new Error(`${this.key}: a Parquet file takes rows, not text`);
    this.rows++;
    this.buffer.add(row);
    return row.size;
  }

  /** Takes a waiting partition's rows (all of them, in order), in place of its own empty buffer. */
  adopt(buffer: ColumnBuffer): void {
    if (this.buffer.rows > 0) throw new Error(`${this.key}: waiting rows after the file's own`);
    this.rows += buffer.rows;
    this.buffer = buffer;
  }

  /** Encodes the buffered rows as one row group; returns the size no longer buffered. */
  writeRowGroup(): number {
    const n = this.buffer.rows;
    if (n === 0) return 0;
    const size = this.buffer.size;
    const group = this.buffer.writeRowGroup(this.pages, this.compress);
    this.writer.row_groups.push(group);
    this.writer.num_rows += BigInt(n);
    this.header.flush();
    this.rowGroups++;
    return size;
  }

  private write(buf: Buffer): void {
    this.bytes += buf.length;
    this.upload.write(buf);
  }

  pressure(): Promise<unknown> | undefined {
    return this.upload.wait();
  }

  async close(): Promise<OutputFile> {
    if (!this.closed) {
      this.closed = true;
      this.writeRowGroup();
      void this.writer.finish();
      this.target.stream.end();
    }
    await this.target.result;
    return { key: this.key, kind: this.kind, table: this.table, rows: this.rows, bytes: this.bytes, columns: this.columnStats() };
  }

  /** Each column over the file's row groups, from the footer's entries. */
  private columnStats(): ColumnStats[] {
    const stats = new Map<string, ColumnStats>();
    for (const group of this.writer.row_groups) {
      for (const chunk of group.columns) {
        const m = chunk.meta_data;
        const name = m?.path_in_schema[0];
        if (m === undefined || name === undefined) continue;
        let s = stats.get(name);
        if (s === undefined) stats.set(name, (s = { name, values: 0, nulls: 0 }));
        s.values += Number(m.num_values);
        s.nulls += Number(m.statistics?.null_count ?? 0n);
        const { min_value: lo, max_value: hi } = m.statistics ?? {};
        if ((typeof lo === 'number' || typeof lo === 'bigint') && (s.min === undefined || lo < s.min)) s.min = lo;
        if ((typeof hi === 'number' || typeof hi === 'bigint') && (s.max === undefined || hi > s.max)) s.max = hi;
      }
    }
    return [...stats.values()];
  }

  async abort(): Promise<void> {
    this.closed = true;
    this.target.stream.destroy();
    await this.target.abort();
  }
}
