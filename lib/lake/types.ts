import type { Writable } from 'node:stream';
import type { Row } from '../row/writer';

/** One finished output object. */
export interface OutputFile {
  key: string;
  kind: 'events' | 'rejects';
  table: string;
  rows: number;
  /** Compressed bytes written. */
  bytes: number;
  /** A Parquet file's columns, from its footer: what an Iceberg manifest describes a data file by. */
  columns?: readonly ColumnStats[];
}

/** One column of a file: its values (list elements counted one by one), NULLs, and min and max where it keeps them. */
export interface ColumnStats {
  name: string;
  values: number;
  nulls: number;
  min?: number | bigint;
  max?: number | bigint;
}

/**
 * Where rows and rejects of one input go. `row`/`reject` are synchronous appends (the hot path); they return
 * true when the caller must await `pressure()` before the next row (the sink started I/O it has to bound), and
 * `pressure()` is also awaited between input chunks, so memory stays bounded whatever the rows; `commit` makes the
 * output visible, `abort` leaves nothing visible from this attempt.
 */
export interface RowSink {
  /** The row is valid during the call only (the row writer reuses it): a sink copies what it keeps. */
  row(table: string, row: Row): boolean | void;
  reject(table: string, json: string): boolean | void;
  /** A promise to await before reading more input, or undefined when there is room. */
  pressure(): Promise<void> | undefined;
  commit(): Promise<OutputFile[]>;
  abort(): Promise<void>;
}

/** One lake file being written (NDJSON or Parquet), as the lake writer drives it. */
export interface PartitionFile {
  readonly key: string;
  readonly kind: OutputFile['kind'];
  readonly table: string;
  /** Takes no more rows: the writer finishes it, and the partition goes on in its next part. */
  readonly full: boolean;
  /** Rows held for the next row group (Row.size), 0 for a file that encodes rows as they come. */
  readonly buffered: number;
  /** A row, or a reject's text; returns what it adds to `buffered`. */
  put(item: Row | string): number;
  /** Encodes the rows held as one row group; returns what `buffered` drops by. */
  writeRowGroup(): number;
  /** Pending backpressure, or undefined. */
  pressure(): Promise<unknown> | undefined;
  /** Finishes the file; resolves once the store has it. */
  close(): Promise<OutputFile>;
  /** Stops writing and discards the object. */
  abort(): Promise<void>;
}

/** A place that stores whole objects by key: S3, or a local directory. */
export interface ObjectStore {
  openWrite(key: string): WriteTarget;
}

export interface WriteTarget {
  /** Bytes written here become the object once `stream` has ended and `result` has resolved. */
  stream: Writable;
  /** Started at open; resolves when the object is durably stored, rejects if the store failed. */
  result: Promise<void>;
  /** Discards the object (multipart upload aborted, temp file removed). */
  abort(): Promise<void>;
}
