import { CflogsError, Disposition, Dispositions } from '../errors';
import type { ColumnStats } from '../lake/types';
import type { Handoff, HandoffFile } from './commit';

/**
 * The message an ingest function sends the committer for one input and one table: the data files it wrote, never
 * yet in the table. JSON, with column bounds that a double cannot hold (int64 columns) as decimal strings. A message
 * is bounded (a queue's limit): past it, the files go without their column statistics, which Iceberg's manifests
 * may omit (readers then cannot skip those files by bounds, and read them).
 */
export interface TableHandoff {
  table: string;
  handoff: Handoff;
  /** When the input landed (ms since the epoch; an S3 object's LastModified): the committer reports its rows' lag. */
  landed?: number;
}

/** Where hand-offs go: a queue the committer reads (lib/aws/handoff-queue.ts), or straight to a commit locally. */
export interface HandoffSender {
  send(messages: readonly TableHandoff[]): Promise<void>;
}

/**
 * An ingest's hand-off to the committer: where its events files are for readers (`locate`: an s3:// URI), a suffix
 * unique to this attempt for their names (a data file in a table is never overwritten: a retry writes new files, and
 * the files of an attempt the table never took are orphans for the orphan file optimizer), and where hand-offs go.
 */
export interface HandoffTarget {
  sender: HandoffSender;
  locate(key: string): string;
  attempt(): string;
}

/** SQS's message size limit, the smallest a queue in front of the committer is likely to have. */
export const MAX_HANDOFF_BYTES = 256 * 1024;
const VERSION = 1;

type WireStats = [name: string, values: number, nulls: number, min?: number | string | null, max?: number | string | null];
interface WireFile {
  path: string;
  bytes: number;
  rows: number;
  hour: string;
  columns?: WireStats[];
}
interface WireMessage {
  v: number;
  table: string;
  input: string;
  landed?: number;
  files: WireFile[];
}

const bound = (v: number | bigint | undefined): number | string | null => (v === undefined ? null : typeof v === 'bigint' ? v.toString() : v);

/** A hand-off as message text, within `maxBytes` (its files' statistics dropped when they would not fit). */
export function encodeHandoff(m: TableHandoff, maxBytes = MAX_HANDOFF_BYTES): string {
  const wire = (withStats: boolean): string =>
    JSON.stringify({
      v: VERSION,
      table: m.table,
      input: m.handoff.input,
      ...(m.landed !== undefined ? { landed: m.landed } : {}),
      files: m.handoff.files.map((f) => ({
        path: f.path,
        bytes: f.bytes,
        rows: f.rows,
        hour: f.hour,
        ...(withStats && f.columns ? { columns: f.columns.map((c): WireStats => [c.name, c.values, c.nulls, bound(c.min), bound(c.max)]) } : {}),
      })),
    } satisfies WireMessage);
  const full = wire(true);
  if (Buffer.byteLength(full) <= maxBytes) return full;
  const bare = wire(false);
  if (Buffer.byteLength(bare) > maxBytes) throw new CflogsError(`hand-off of ${m.handoff.input} to ${m.table}: ${m.handoff.files.length} files do not fit in ${maxBytes} bytes`);
  return bare;
}

/** A message the committer cannot read: no retry makes it readable, so it goes to the dead-letter queue. */
export class HandoffError extends CflogsError {
  override readonly name = 'HandoffError';
  override get disposition(): Disposition {
    return Dispositions.deadLetter;
  }
}

const HOUR = /^\d{4}-\d\d-\d\d \d\d$/;
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** A hand-off read back from its message, every field checked (a queue can be written by anything allowed to). */
export function decodeHandoff(text: string): TableHandoff {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch (e) {
    throw new HandoffError('hand-off is not JSON', { cause: e });
  }
  const bad = (what: string): never => {
    throw new HandoffError(`hand-off: ${what}`);
  };
  if (typeof m !== 'object' || m === null) return bad('not an object');
  const w = m as Partial<WireMessage>;
  if (w.v !== VERSION) bad(`version ${String(w.v)}, expected ${VERSION}`);
  if (typeof w.table !== 'string' || !/^[a-z0-9_]{1,255}$/.test(w.table)) bad('table is not a table name');
  if (typeof w.input !== 'string' || w.input === '') bad('no input');
  if (!Array.isArray(w.files)) return bad('files is not a list');
  const files = w.files.map((f: Partial<WireFile>, i): HandoffFile => {
    if (typeof f !== 'object' || f === null) return bad(`file ${i} is not an object`);
    if (typeof f.path !== 'string' || f.path === '') bad(`file ${i}: no path`);
    if (!isCount(f.bytes) || !isCount(f.rows)) bad(`file ${i}: bytes and rows must be counts`);
    if (typeof f.hour !== 'string' || !HOUR.test(f.hour)) bad(`file ${i}: hour is not YYYY-MM-DD HH`);
    const file: HandoffFile = { path: f.path as string, bytes: f.bytes as number, rows: f.rows as number, hour: f.hour as string };
    if (f.columns !== undefined) {
      if (!Array.isArray(f.columns)) bad(`file ${i}: columns is not a list`);
      file.columns = (f.columns as unknown[]).map((c) => statsOf(c, i, bad));
    }
    return file;
  });
  if (w.landed !== undefined && !isCount(w.landed)) bad('landed is not a time');
  return { table: w.table as string, handoff: { input: w.input as string, files }, ...(w.landed !== undefined ? { landed: w.landed } : {}) };
}

function statsOf(c: unknown, file: number, bad: (what: string) => never): ColumnStats {
  if (!Array.isArray(c) || typeof c[0] !== 'string' || !isCount(c[1]) || !isCount(c[2])) return bad(`file ${file}: a column's statistics are not [name, values, nulls, min, max]`);
  const s: ColumnStats = { name: c[0], values: c[1], nulls: c[2] };
  const min = boundOf(c[3]);
  const max = boundOf(c[4]);
  if (min === false || max === false) return bad(`file ${file}: column ${c[0]}'s bounds are not numbers`);
  if (min !== undefined && max !== undefined) Object.assign(s, { min, max });
  return s;
}

function boundOf(v: unknown): number | bigint | undefined | false {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^-?\d{1,20}$/.test(v)) return BigInt(v);
  return false;
}
