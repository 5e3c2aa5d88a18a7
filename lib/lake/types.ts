import type { Writable } from 'node:stream';

/** One finished output object. */
export interface OutputFile {
  key: string;
  kind: 'events' | 'rejects';
  table: string;
  rows: number;
  /** Compressed bytes written. */
  bytes: number;
}

/**
 * Where rows and rejects of one input go. `row`/`reject` are synchronous appends (the hot path); they return
 * true when the caller must await `pressure()` before the next row (the sink started I/O it has to bound), and
 * `pressure()` is also awaited between input chunks, so memory stays bounded whatever the rows; `commit` makes the
 * output visible, `abort` leaves nothing visible from this attempt.
 */
export interface RowSink {
  row(table: string, eventTime: string, json: string): boolean | void;
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
  /** One row's JSON text. */
  add(json: string): void;
  /** Rows already encoded as NDJSON lines (a waiting partition's), in order. */
  addEncoded(blocks: Buffer[], rows: number): void;
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
