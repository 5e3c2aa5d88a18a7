import { isUtf8 } from 'node:buffer';
import { EnrichContext, RowWriter, rowIdPrefix } from '../row/writer';
import type { AlertRecord } from '../rules/alert';
import type { RuleErrors, RuleSet } from '../rules/engine';
import { ColumnsEvent } from '../rules/view';
import type { GroupContribution } from '../rules/windows';
import { DecodeError, InvariantError, messageOf, ObjectLocation, SinkError, SourceError } from '../errors';
import { Compression, DecodedStream, decompress, DecompressError, isDecodedStream } from '../decode/decompress';
import { LineFramer } from '../decode/lines';
import { FilterSet, NO_FILTERS } from '../filter/filters';
import { ABSENT_COLUMN, columnIndexOf } from '../record/normalise';
import { chooseLogType } from './detect';
import { LineParser, NOT_UTF8, RejectReason } from '../record/parser';
import { formatDate } from '../record/timestamps';
import type { LogTypeEntry, SchemaRegistry } from '../record/registry';
import type { OutputFile, RowSink } from '../lake/types';

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
   * whose decoder stops short fails, see processStream), unless it was salvaged.
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

const MAX_UNKNOWN_FIELD_NAMES = 100;
/** Input framed between two checks of the sink's pressure (gunzip's own chunks are this size). */
const MAX_PIECE_BYTES = 256 * 1024;
/** The summary's count of unknown field names not shaped like field names. */
export const OTHER_NAMES = '(other)';

/**
 * Shaped like a Cloudflare field name: PascalCase words of letters and digits (`ClientRequestHost`, `JA3Hash`,
 * `FirewallMatchesRuleIDs`), at most 64 characters. Not an IP address or e-mail (punctuation), nor most tokens:
 * a lowercase letter right after a digit, more than 8 capitals or 3 digits in a row, mark random text. A loop, not
 * a regex: the same rule as a regex backtracks badly on long runs of capitals.
 */
export function looksLikeFieldName(k: string): boolean {
  if (k.length === 0 || k.length > 64) return false;
  let upper = 0;
  let digits = 0;
  let prev = 0; // 0 start, 1 capital, 2 lowercase, 3 digit
  for (let i = 0; i < k.length; i++) {
    const c = k.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) {
      if (++upper > 8) return false;
      digits = 0;
      prev = 1;
    } else if (c >= 0x61 && c <= 0x7a) {
      if (prev === 0 || prev === 3) return false;
      upper = 0;
      prev = 2;
    } else if (c >= 0x30 && c <= 0x39) {
      if (prev === 0 || ++digits > 3) return false;
      upper = 0;
      prev = 3;
    } else return false;
  }
  return true;
}

/**
 * The core: bytes of one input -> rows and rejects in the sink. Pure apart from the sink it is handed;
 * no AWS here. Per-line problems become reject records; a failure of the input or the sink aborts the sink
 * (nothing from this attempt stays visible) and throws an error naming the input and position.
 */
export async function processStream(
  /** The input's bytes as read, or a stream already being decompressed (read as it is, never decompressed again). */
  body: AsyncIterable<Buffer> | Iterable<Buffer> | DecodedStream,
  input: InputInfo,
  deps: ProcessDeps,
): Promise<ProcessSummary> {
  const started = Date.now();
  const { sink } = deps;
  const { plan } = input.entry;
  const table = plan.table;
  const parseTime = formatDate(deps.now);
  const ctx: EnrichContext = {
    rowIdPrefix: rowIdPrefix(input.identity),
    parseTime,
    ...(input.sourceId !== undefined ? { sourceId: input.sourceId } : {}),
    ...(input.sourceLabel !== undefined ? { sourceLabel: input.sourceLabel } : {}),
  };
  const parser = new LineParser(input.entry);
  const writer = new RowWriter(plan, ctx, parser);
  // Rows are handed to the rules as a view of the parsed columns (no object per row), after they are written.
  const detections = deps.rules?.forLogType(plan.logType)?.start();
  const ruleView =
    detections &&
    new ColumnsEvent(plan, parser.cols, {
      p_parse_time: parseTime,
      ...(input.sourceId !== undefined ? { p_source_id: input.sourceId } : {}),
      ...(input.sourceLabel !== undefined ? { p_source_label: input.sourceLabel } : {}),
    });
  const rejectsByReason: ProcessSummary['rejectsByReason'] = {};
  const s: ProcessSummary = {
    source: input.source,
    logType: plan.logType,
    compression: 'unknown',
    bytesIn: 0,
    decompressedBytes: 0,
    lines: 0,
    rows: 0,
    rejectsByReason,
    rejected: 0,
    filtered: 0,
    filteredBy: {},
    blank: 0,
    // Keys come from the input: a null prototype keeps `__proto__` an ordinary key.
    unknownFields: Object.create(null) as Record<string, number>,
    invalidFields: Object.create(null) as Record<string, number>,
    outputs: [],
    durationMs: 0,
    salvaged: false,
  };
  let unknownNames = 0;
  let suspectRows = 0;
  const suspectSample: string[][] = [];
  const filters = input.filters ?? NO_FILTERS;
  const rawFilters = filters.raw.length > 0;
  const rowFilters = filters.bind(columnIndexOf(plan));
  const drop = (name: string): void => {
    s.filtered++;
    s.filteredBy[name] = (s.filteredBy[name] ?? 0) + 1;
  };

  const reject = (lineNo: number, reason: RejectReason, message: string, raw: string, rawBase64?: string): void => {
    s.rejected++;
    s.rejectsByReason[reason] = (s.rejectsByReason[reason] ?? 0) + 1;
    let wait: boolean | void;
    try {
      wait = sink.reject(
        table,
        JSON.stringify({
          source: input.source,
          line: lineNo,
          reason,
          message,
          raw,
          ...(rawBase64 !== undefined ? { raw_base64: rawBase64 } : {}),
          log_type: plan.logType,
          parse_time: parseTime,
        }),
      );
    } catch (e) {
      throw writeFailed(e, { ...input.location, line: lineNo });
    }
    if (wait) framer.pause();
  };

  const framer = new LineFramer(deps.limits.maxLineBytes, {
    line(buf, start, end, lineNo) {
      if (isBlank(buf, start, end)) {
        s.blank++;
        return;
      }
      if (rawFilters) {
        const by = filters.dropRaw(buf, start, end);
        if (by !== undefined) return drop(by);
      }
      let text = buf.toString('utf8', start, end);
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a UTF-8 BOM on the first line
      // U+FFFD in the text is either in the data or the decoder's replacement: only then check the bytes.
      if (text.includes('\ufffd') && !isUtf8(buf.subarray(start, end))) {
        reject(lineNo, 'invalid_utf8', NOT_UTF8, text, buf.toString('base64', start, end));
        return;
      }
      const failure = parser.parse(text);
      if (failure) {
        reject(lineNo, failure.reason, failure.message, text);
        return;
      }
      if (!rowFilters.empty) {
        const by = rowFilters.dropRow(parser.cols);
        if (by !== undefined) return drop(by);
      }
      const invalid = parser.cols.invalid;
      if (invalid !== undefined) {
        // Input names of schema fields (a column or an alias): safe to log, and as few as the schema's fields.
        for (const key in invalid) s.invalidFields[key] = (s.invalidFields[key] ?? 0) + 1;
      }
      const unknown = parser.cols.unknown;
      // Only a row with unknown fields can be suspect, so the count of its columns is taken for those alone.
      if (unknown !== undefined && columnsPresent(parser.cols.state) <= (parser.cols.eventTime === undefined ? 0 : 1)) {
        suspectRows++;
        if (suspectSample.length < SUSPECT_SAMPLE) suspectSample.push(Object.keys(parser.fields.raw));
      }
      if (unknown !== undefined) {
        for (const key in unknown) {
          const seen = s.unknownFields[key];
          if (seen !== undefined) {
            // A name already counted (schema drift repeats on every row): no need to look at its shape again.
            s.unknownFields[key] = seen + 1;
            continue;
          }
          // These names are logged: only those shaped like a schema's field names; the rest (an IP, an e-mail
          // address, a token sent as a key) are counted together, never written to the log.
          const k = looksLikeFieldName(key) ? key : OTHER_NAMES;
          const c = s.unknownFields[k];
          if (c !== undefined) s.unknownFields[k] = c + 1;
          else if (unknownNames < MAX_UNKNOWN_FIELD_NAMES || k === OTHER_NAMES) {
            s.unknownFields[k] = 1;
            unknownNames++;
          }
        }
      }
      const out = writer.write(text, lineNo);
      s.rows++;
      if (detections) detections.onRow((ruleView as ColumnsEvent).row(out.rowId, out.eventTime));
      let wait: boolean | void;
      try {
        wait = sink.row(table, out.eventTime, out.json);
      } catch (e) {
        throw writeFailed(e, { ...input.location, line: lineNo });
      }
      if (wait) framer.pause();
    },
    tooLong(head, length, lineNo) {
      reject(
        lineNo,
        'line_too_long',
        `line is ${length} bytes, over the limit of ${deps.limits.maxLineBytes}; raw holds its first ${head.length} bytes`,
        head.toString('utf8'),
      );
    },
  });

  const where = (): ObjectLocation => ({ ...input.location, line: framer.linesSeen + 1 });
  let decoded: DecodedStream | undefined;
  try {
    try {
      let chunks: AsyncIterator<Buffer>;
      try {
        decoded = isDecodedStream(body) ? body : await decompress(body, { maxBytes: deps.limits.maxDecompressedBytes });
        chunks = decoded.chunks[Symbol.asyncIterator]();
      } catch (e) {
        throw new FromInput(e);
      }
      s.compression = decoded.compression;
      let finished = false;
      try {
        for (;;) {
          let next: IteratorResult<Buffer>;
          try {
            next = await chunks.next();
          } catch (e) {
            finished = true; // a source that threw has ended
            throw new FromInput(e);
          }
          if (next.done) {
            finished = true;
            break;
          }
          const chunk = next.value;
          // The sink is asked to make room between pieces of bounded size, and after any row that needs it (the
          // framer pauses there), whatever the size of the chunks the source hands over (an HTTP body is one).
          for (let at = 0; at < chunk.length; at += MAX_PIECE_BYTES) {
            let done = framer.push(at === 0 && chunk.length <= MAX_PIECE_BYTES ? chunk : chunk.subarray(at, at + MAX_PIECE_BYTES));
            for (;;) {
              const p = sink.pressure();
              if (p) {
                try {
                  await p;
                } catch (e) {
                  throw writeFailed(e, where());
                }
              }
              if (done) break;
              done = framer.resume();
            }
          }
        }
      } finally {
        // Stopped early (a sink error, a bug): release the source, e.g. the GetObject socket, as for-await would.
        if (!finished) await chunks.return?.();
      }
      // Every byte read was decoded, and the source was read to its end. decompress() fails an input whose decoder
      // stopped early; an input that ended here all the same would be reported complete, its lines reconciling
      // because the rest was never counted.
      const consumed = decoded.bytesConsumed();
      if (consumed !== decoded.bytesIn() || !decoded.sourceEnded()) {
        throw new FromInput(new DecompressError('the input was not decoded to its end', Math.min(consumed, decoded.bytesIn())));
      }
      framer.end();
    } catch (thrown) {
      // Only what the input threw is the input's fault; a sink error stays one, and anything else is a bug in
      // cflogs, left as it is rather than retried as a read failure.
      if (!(thrown instanceof FromInput)) throw thrown;
      const e = thrown.error;
      const loc = { ...where(), ...(decoded ? { byteOffset: decoded.bytesIn() } : {}) };
      if (e instanceof DecompressError) {
        if (!deps.salvageCorrupt || e.disposition.kind !== 'salvage') throw new DecodeError(e.message, { ...loc, byteOffset: e.compressedOffset }, { cause: e });
        const partial = framer.abandon();
        s.salvaged = true;
        reject(
          framer.linesSeen,
          'corrupt_input',
          `${e.message} at compressed byte ${e.compressedOffset}: the rest of the input could not be read` +
            (partial ? `; raw holds the first ${partial.head.length} of ${partial.length} bytes of the cut line` : ''),
          partial?.head.toString('utf8') ?? '',
        );
      } else {
        throw new SourceError(`reading input failed: ${messageOf(e)}`, loc, { cause: e });
      }
    }
    s.lines = framer.linesSeen;
    if (s.lines !== s.rows + s.rejected + s.filtered + s.blank) {
      throw new InvariantError(
        `counts do not reconcile: ${s.lines} lines != ${s.rows} rows + ${s.rejected} rejects + ${s.filtered} filtered + ${s.blank} blank`,
        input.location,
      );
    }
    try {
      s.outputs = await sink.commit();
    } catch (e) {
      throw new SinkError(`finishing output failed: ${messageOf(e)}`, input.location, { cause: e });
    }
  } catch (e) {
    await sink.abort();
    throw e;
  }
  s.bytesIn = decoded?.bytesIn() ?? 0;
  s.decompressedBytes = decoded?.bytesOut() ?? 0;
  s.durationMs = Date.now() - started;
  if (suspectRows > 0) {
    const best = deps.registry ? chooseLogType(deps.registry.fits(suspectSample), suspectSample.length) : { entry: undefined };
    s.suspectLogType = { rows: suspectRows, ...(best.entry && best.entry.schema.logType !== plan.logType ? { bestFit: best.entry.schema.logType } : {}) };
  }
  if (detections) {
    s.detections = {
      rows: detections.rows,
      matches: detections.matches,
      matchesByRule: Object.fromEntries(detections.matchesByRule),
      ruleErrors: detections.ruleErrors(),
      contributions: detections.contributions(),
    };
  }
  return s;
}

/** Marks what the input (its source, its decompression) threw, apart from what cflogs' own stages throw. */
class FromInput {
  constructor(readonly error: unknown) {}
}

/** The sink failed while taking rows: its own message (which names the output file) is kept. */
function writeFailed(e: unknown, where: ObjectLocation): SinkError {
  return new SinkError(`writing output failed: ${messageOf(e)}`, where, { cause: e });
}

/** Empty or only spaces/tabs. */
function isBlank(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = buf[i];
    if (c !== 0x20 && c !== 0x09) return false;
  }
  return true;
}

/** Suspect rows whose field names are kept to tell which log type they fit. */
const SUSPECT_SAMPLE = 20;

function columnsPresent(state: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < state.length; i++) if (state[i] !== ABSENT_COLUMN) n++;
  return n;
}

/** The per-input summary line's fields (counts and keys only; never data). */
export function summaryFields(s: ProcessSummary): Record<string, unknown> {
  return {
    logType: s.logType,
    compression: s.compression,
    linesRead: s.lines,
    rowsWritten: s.rows,
    rejectsByReason: s.rejectsByReason,
    filtered: s.filtered,
    filteredBy: s.filteredBy,
    blank: s.blank,
    unknownFields: s.unknownFields,
    invalidFields: s.invalidFields,
    ...(s.suspectLogType ? { suspectLogType: s.suspectLogType } : {}),
    ...(s.detections
      ? {
          ruleMatches: s.detections.matchesByRule,
          // A rule's error message may quote the value it choked on: the log has the rule, the count and the row id.
          ...(s.detections.ruleErrors.length > 0 ? { ruleErrors: s.detections.ruleErrors.map(({ message: _m, ...e }) => e) } : {}),
        }
      : {}),
    ...(s.alerts ? { alertsFired: s.alerts.records.slice(0, s.alerts.fired).map((a) => a.alertId), alertsUpdated: s.alerts.updated } : {}),
    bytesIn: s.bytesIn,
    decompressedBytes: s.decompressedBytes,
    outputs: s.outputs.map((o) => o.key),
    durationMs: s.durationMs,
    ...(s.salvaged ? { salvaged: true } : {}),
  };
}
