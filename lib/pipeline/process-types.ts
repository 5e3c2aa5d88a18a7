import type { Compression } from '../decode/decompress';
import type { ObjectLocation } from '../errors';
import type { FilterSet } from '../filter/filters';
import type { OutputFile, RowSink } from '../lake/types';
import type { RejectReason } from '../record/parser';
import type { LogTypeEntry, SchemaRegistry } from '../record/registry';
import type { AlertRecord } from '../rules/alert';
import type { RuleErrors, RuleSet } from '../rules/engine';
import type { GroupContribution } from '../rules/windows';
import type { ScanAhead } from './scan-ahead';

/** What processStream takes (an input, its dependencies, the limits) and what it gives back (a summary). */

export interface Limits {
  /** Longest accepted line in bytes (default 1 MiB). */
  maxLineBytes: number;
  /** Decompressed bytes per input at most (decompression bombs). */
  maxDecompressedBytes: number;
}

export const DEFAULT_LIMITS: Limits = { maxLineBytes: 1024 * 1024, maxDecompressedBytes: 64 * 1024 ** 3 };

/** What one input is, for ids, rejects and errors. */
export interface InputInfo {
  /** `s3://bucket/key`, a file path or an HTTP request id: written into reject records. */
  source: string;
  /** Stable identity of this exact content (bucket, key, version/ETag; or a body hash): seeds p_row_id. */
  identity: string;
  entry: LogTypeEntry;
  sourceId?: string;
  sourceLabel?: string;
  /** Ingestion filters for this input (raw, then normalised). */
  filters?: FilterSet;
  /** Attached to errors so they name the object. */
  location: ObjectLocation;
}

export interface ProcessDeps {
  sink: RowSink;
  /** p_parse_time for this input (the caller's clock, read once, so tests are deterministic). */
  now: Date;
  limits: Limits;
  /**
   * On corrupt or truncated compression, keep the rows read so far and record the unreadable rest as one
   * `corrupt_input` reject, instead of failing. For the last attempts at an object that failed the same way
   * before, so a permanently corrupt object does not loop into the dead-letter queue with its good rows.
   */
  salvageCorrupt?: boolean;
  /** The detection rules: those of the input's log type run on every row written (none: the stage is skipped). */
  rules?: RuleSet;
  /** The log types a suspect row is ranked against, to name its best fit (none: suspect rows are counted only). */
  registry?: SchemaRegistry;
  /** A thread that scans lines ahead of the one writing rows (lib/pipeline/scan-ahead.ts); none: one thread. */
  scanAhead?: ScanAhead;
}

/** What the rules stage found in one input: matches to apply to the detection state, and rules that failed. */
export interface DetectionSummary {
  /** Rows the rules ran on. */
  rows: number;
  matches: number;
  matchesByRule: Record<string, number>;
  /** Rules that threw, per rule and function, with the first message (never row values) and row id. */
  ruleErrors: RuleErrors[];
  contributions: GroupContribution[];
}

export interface ProcessSummary {
  source: string;
  logType: string;
  compression: Compression | 'unknown';
  /**
   * Bytes read from the source (compressed when the input is): the input's size, every one of them decoded (an input
   * whose decoder stops short fails, see InputRun in input-run.ts), unless it was salvaged.
   */
  bytesIn: number;
  /** Bytes of the input after decompression: what the line framer read. */
  decompressedBytes: number;
  lines: number;
  rows: number;
  /** Rejected lines per reason; they add up to `rejected`. */
  rejectsByReason: Partial<Record<RejectReason, number>>;
  /** Rejected lines in all. */
  rejected: number;
  filtered: number;
  /** Lines dropped per filter name. */
  filteredBy: Record<string, number>;
  blank: number;
  /** Input field names the schema does not know, with how many rows had them (schema drift). */
  unknownFields: Record<string, number>;
  /** Schema fields whose value did not fit their column, with how many rows kept one in p_invalid_fields. */
  invalidFields: Record<string, number>;
  outputs: OutputFile[];
  durationMs: number;
  /** True when the input was corrupt and its readable part was kept (see ProcessDeps.salvageCorrupt). */
  salvaged: boolean;
  /**
   * Rows with none of the log type's fields but (at most) its event time, all the rest unknown: the input is
   * likely of another log type (forced with --log-type, or a route to the wrong one). Rows are still written.
   * `bestFit`: the log type whose schema names those rows' fields best, when one does.
   */
  suspectLogType?: { rows: number; bestFit?: string };
  /** Present when the log type has enabled rules. */
  detections?: DetectionSummary;
  /** Alerts this input fired or joined (set by ingest when alerting is on). */
  alerts?: { fired: number; updated: number; records: AlertRecord[] };
}
