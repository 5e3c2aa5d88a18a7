import * as zlib from 'node:zlib';
import type { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import type { SchemaElement } from 'hyparquet';
import { ExactNumber, exactFieldsOf, hasLongNumber, stringifyExact } from '../record/json';
import type { ScalarType } from '../schema/model';
import { Backpressure } from './backpressure';
import { EVENT_TIME_NS, LakeColumn } from './format';
import type { OutputFile, PartitionFile, WriteTarget } from './types';

/**
 * Parquet lake files, written a row group at a time (hyparquet-writer, chosen by measurement: bench/README.md).
 *
 * A file keeps the NDJSON text of the rows of its current row group, the form the writer already has and the
 * smallest in memory; when they pass `rowGroupChars`, they are parsed, turned into typed columns and encoded as one
 * zstd row group, whose bytes go to the upload straight away. Memory is thus a row group per open file, whatever
 * the object's size, and the footer is written at close. Every value is read from the row as written, so a
 * Parquet file holds exactly the NDJSON file's rows (the tests compare them through DuckDB).
 */

/** Per file, the row group's text at most, in UTF-16 code units. */
export const MAX_ROW_GROUP_CHARS = 16 * 1024 * 1024;

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
      // JSON text in a UTF8 column: what Athena reads as a string (its Glue type), digits as received. (The JSON
      // annotation would have hyparquet-writer re-serialise the value, rounding long numbers.)
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

const DAY_NS = 86_400n * 1_000_000_000n;

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil): any year, no Date. */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/**
 * Nanoseconds since the epoch of a lake timestamp (`YYYY-MM-DD HH:MM:SS.fffffffff`, lib/record/timestamps.ts), or
 * undefined for any other text.
 */
export function timestampNanos(ts: string): bigint | undefined {
  if (ts.length !== 29) return undefined;
  const n = (from: number, to: number): number => Number(ts.slice(from, to));
  const days = daysFromCivil(n(0, 4), n(5, 7), n(8, 10));
  const secs = n(11, 13) * 3600 + n(14, 16) * 60 + n(17, 19);
  const frac = ts.slice(20);
  if (!Number.isInteger(days) || !Number.isInteger(secs) || !/^\d{9}$/.test(frac)) return undefined;
  return BigInt(days) * DAY_NS + BigInt(secs) * 1_000_000_000n + BigInt(frac);
}

/** Floor division for the microseconds of instants before 1970, whose nanoseconds are negative. */
function nanosToMicros(ns: bigint): bigint {
  const q = ns / 1000n;
  return ns < 0n && q * 1000n !== ns ? q - 1n : q;
}

function scalarValue(t: ScalarType, v: unknown): unknown {
  if (v === undefined) return null;
  switch (t) {
    case 'json':
      // An explicit JSON null is a value here (the NDJSON row has it too); an absent field is SQL NULL.
      return stringifyExact(v);
    case 'bigint':
      if (v === null) return null;
      return BigInt(v instanceof ExactNumber ? v.text : (v as number));
    case 'timestamp': {
      if (typeof v !== 'string') return null;
      const ns = timestampNanos(v);
      return ns === undefined ? null : nanosToMicros(ns);
    }
    default:
      return v instanceof ExactNumber ? v.value : v;
  }
}

/** The column's value of one parsed row, as hyparquet-writer takes it. */
function columnValue(c: LakeColumn, v: unknown): unknown {
  if (c.type !== 'array') return scalarValue(c.type, v);
  if (!Array.isArray(v)) return null;
  const el = c.element ?? 'string';
  return el === 'string' ? v : v.map((e) => scalarValue(el, e));
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
 * A Writer for hyparquet-writer that hands each finished row group's bytes to a stream: it calls flush() after
 * every row group and finish() after the footer.
 */
function streamWriter(push: (bytes: Buffer) => void): ByteWriter & { flush(): void } {
  const w = new (hyparquet().ByteWriter)() as ByteWriter & { flush(): void };
  w.flush = () => {
    if (w.index === 0) return;
    // A copy: the writer's buffer is reused for the next row group while the upload still holds these bytes.
    push(Buffer.from(w.getBytes()));
    w.index = 0;
  };
  w.finish = w.flush;
  return w;
}

export interface ParquetFileOptions {
  columns: readonly LakeColumn[];
  /** zstd level of the column chunks. */
  level: number;
  /** A row group is encoded once its rows' text passes this many UTF-16 code units. */
  rowGroupChars: number;
  /** The file is full after this many row groups (MAX_ROW_GROUPS_PER_FILE). */
  maxRowGroups: number;
}

/** One Parquet lake file being written: rows in, row groups out to the upload. */
export class ParquetFile implements PartitionFile {
  rows = 0;
  /** Row groups written. */
  rowGroups = 0;
  bytes = 0;
  private pending: string[] = [];
  private pendingChars = 0;
  private closed = false;
  private readonly writer: ParquetWriter;
  private readonly columnData: { name: string; data: unknown[]; statistics: boolean }[];
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
    this.writer = new (hyparquet().ParquetWriter)({
      writer: streamWriter((b) => this.write(b)),
      schema: parquetSchema(opts.columns),
      codec: 'ZSTD',
      compressors: { ZSTD: (input: Uint8Array) => zlib.zstdCompressSync(input, { params }) },
      createdBy: 'cflogs',
    });
    this.columnData = opts.columns.map((c) => ({ name: c.name, data: [], statistics: wantsStatistics(c) }));
  }

  get full(): boolean {
    return this.rowGroups >= this.opts.maxRowGroups;
  }

  add(json: string): void {
    if (this.closed) throw new Error(`${this.key}: row added after the file was closed`);
    this.rows++;
    this.pending.push(json);
    this.pendingChars += json.length;
    if (this.pendingChars >= this.opts.rowGroupChars) this.writeRowGroup();
  }

  /** Rows already encoded as NDJSON (a waiting partition's), in order. */
  addEncoded(blocks: Buffer[], rows: number): void {
    let seen = 0;
    let carry = '';
    for (const b of blocks) {
      const lines = (carry + b.toString('utf8')).split('\n');
      carry = lines.pop() ?? '';
      for (const line of lines) {
        this.add(line);
        seen++;
      }
    }
    if (carry !== '' || seen !== rows) throw new Error(`${this.key}: ${rows} waiting rows expected, ${seen} found`);
  }

  /** Parses the pending rows into columns and encodes them as one row group. */
  private writeRowGroup(): void {
    const n = this.pending.length;
    if (n === 0) return;
    const { columns } = this.opts;
    for (const c of this.columnData) c.data = new Array<unknown>(n);
    const evIndex = columns.findIndex((c) => c.name === EVENT_TIME_NS);
    for (let i = 0; i < n; i++) {
      const text = this.pending[i] as string;
      const row = JSON.parse(text) as Record<string, unknown>;
      // JSON.parse rounds numbers a double cannot hold; the row's text has their digits (as the NDJSON file does).
      const exact = hasLongNumber(text, 0, text.length) ? exactFieldsOf(text) : undefined;
      for (let j = 0; j < columns.length; j++) {
        const c = columns[j] as LakeColumn;
        const v = j === evIndex ? row.p_event_time : exact?.get(c.name) ?? row[c.name];
        (this.columnData[j] as { data: unknown[] }).data[i] = j === evIndex ? eventTimeNanos(v) : columnValue(c, v);
      }
    }
    this.pending = [];
    this.pendingChars = 0;
    // write() encodes synchronously and calls the stream writer's flush(): the bytes are with the upload now.
    void this.writer.write({ columnData: this.columnData as never, rowGroupSize: n });
    this.rowGroups++;
    for (const c of this.columnData) c.data = [];
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
    return { key: this.key, kind: this.kind, table: this.table, rows: this.rows, bytes: this.bytes };
  }

  async abort(): Promise<void> {
    this.closed = true;
    this.pending = [];
    this.target.stream.destroy();
    await this.target.abort();
  }
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * p_event_time_ns, or null outside what an INT64 of nanoseconds holds (1677-09-21 to 2262-04-11): the lake takes
 * event times from year 1 to 9999 (Go's zero time is common), and p_event_time still holds those to the microsecond.
 */
function eventTimeNanos(v: unknown): bigint | null {
  const ns = typeof v === 'string' ? timestampNanos(v) : undefined;
  return ns !== undefined && ns >= INT64_MIN && ns <= INT64_MAX ? ns : null;
}
