import { isUtf8 } from 'node:buffer';
import { DecodedStream, decompress, DecompressError, isDecodedStream } from '../decode/decompress';
import { LineFramer, LineSink } from '../decode/lines';
import { DecodeError, InvariantError, messageOf, ObjectLocation, SinkError, SourceError } from '../errors';
import { FilterSet, NO_FILTERS, RowFilters } from '../filter/filters';
import type { RowSink } from '../lake/types';
import { columnIndexOf } from '../record/normalise';
import { LineParser, NOT_UTF8, RejectReason } from '../record/parser';
import { lineText, ScannedBatch, ScannedLines } from '../record/scan-batch';
import { formatDate } from '../record/timestamps';
import { EnrichContext, RowWriter, rowIdPrefix } from '../row/writer';
import type { InputDetections } from '../rules/engine';
import { ColumnsEvent } from '../rules/view';
import { FieldTally } from './field-tally';
import type { InputInfo, ProcessDeps, ProcessSummary } from './process-types';
import { LineBatch, ScanAhead } from './scan-ahead';

/** Input framed between two checks of the sink's pressure (gunzip's own chunks are this size). */
const MAX_PIECE_BYTES = 256 * 1024;
/** Batches with the scan thread at a time, beyond the one being written: it scans one while the next waits. */
const BATCHES_AHEAD = 2;

/**
 * One input on its way through the stages (processStream drives it): set up per input, then fed its bytes; each
 * line the framer cuts becomes a row, a reject, a filtered or a blank line, counted in the summary.
 */
export class InputRun implements LineSink {
  private readonly started = Date.now();
  private readonly sink: RowSink;
  private readonly table: string;
  private readonly parseTime: string;
  private readonly parser: LineParser;
  private readonly writer: RowWriter;
  private readonly detections: InputDetections | undefined;
  private readonly ruleView: ColumnsEvent | undefined;
  private readonly filters: FilterSet;
  private readonly rawFilters: boolean;
  private readonly rowFilters: RowFilters;
  private readonly tally = new FieldTally();
  private readonly framer: LineFramer;
  private readonly s: ProcessSummary;
  private decoded: DecodedStream | undefined;
  /** With a scan thread: the batch being framed, and those sent to it, oldest first. */
  private readonly ahead: ScanAhead | undefined;
  private batch: LineBatch | undefined;
  /** Batches written, to fill again. */
  private readonly spare: LineBatch[] = [];
  private readonly sent: { lines: LineBatch; scanned: Promise<ScannedBatch | undefined> }[] = [];

  constructor(
    private readonly input: InputInfo,
    private readonly deps: ProcessDeps,
  ) {
    this.sink = deps.sink;
    const { plan } = input.entry;
    this.table = plan.table;
    const parseTime = (this.parseTime = formatDate(deps.now));
    const ctx: EnrichContext = {
      rowIdPrefix: rowIdPrefix(input.identity),
      parseTime,
      ...(input.sourceId !== undefined ? { sourceId: input.sourceId } : {}),
      ...(input.sourceLabel !== undefined ? { sourceLabel: input.sourceLabel } : {}),
    };
    this.parser = new LineParser(input.entry);
    this.writer = new RowWriter(plan, ctx, this.parser);
    // Rows are handed to the rules as a view of the parsed columns (no object per row), after they are written.
    this.detections = deps.rules?.forLogType(plan.logType)?.start();
    this.ruleView =
      this.detections &&
      new ColumnsEvent(plan, this.parser.cols, {
        p_parse_time: parseTime,
        ...(input.sourceId !== undefined ? { p_source_id: input.sourceId } : {}),
        ...(input.sourceLabel !== undefined ? { p_source_label: input.sourceLabel } : {}),
      });
    this.s = {
      source: input.source,
      logType: plan.logType,
      compression: 'unknown',
      bytesIn: 0,
      decompressedBytes: 0,
      lines: 0,
      rows: 0,
      rejectsByReason: {},
      rejected: 0,
      filtered: 0,
      filteredBy: {},
      blank: 0,
      unknownFields: this.tally.unknownFields,
      invalidFields: this.tally.invalidFields,
      outputs: [],
      durationMs: 0,
      salvaged: false,
    };
    this.filters = input.filters ?? NO_FILTERS;
    this.rawFilters = this.filters.raw.length > 0;
    this.rowFilters = this.filters.bind(columnIndexOf(plan));
    this.framer = new LineFramer(deps.limits.maxLineBytes, this);
    this.ahead = deps.scanAhead?.takes(input.entry) ? deps.scanAhead : undefined;
  }

  /**
   * A line the framer cut: a blank, a filtered line, a reject or a row. With a scan thread, a line to parse joins
   * the batch being framed, and is written when the batch comes back (`writeBatch`).
   */
  line(buf: Buffer, start: number, end: number, lineNo: number): void {
    if (isBlank(buf, start, end)) {
      this.s.blank++;
      return;
    }
    if (this.rawFilters) {
      const by = this.filters.dropRaw(buf, start, end);
      if (by !== undefined) return this.drop(by);
    }
    if (!this.ahead) {
      if (this.parsed(buf, start, end, lineNo, undefined, 0)) this.framer.pause();
      return;
    }
    const batch = this.batching();
    batch.add(buf, start, end, lineNo);
    if (batch.full) this.framer.pause();
  }

  tooLong(head: Buffer, length: number, lineNo: number): void {
    if (!this.ahead) {
      if (this.lineTooLong(head, length, lineNo)) this.framer.pause();
      return;
    }
    const batch = this.batching();
    batch.addTooLong(head, length, lineNo);
    if (batch.full) this.framer.pause();
  }

  /** The batch being framed for the scan thread. */
  private batching(): LineBatch {
    return (this.batch ??= this.spare.pop() ?? new LineBatch(this.parser.cols.state.length));
  }

  /**
   * Line `lineNo`, [start, end) of `buf`, to a reject, a filtered line or a row; line r of `scanned` when the scan
   * thread took it. True when the sink asks to wait before the next.
   */
  private parsed(buf: Buffer, start: number, end: number, lineNo: number, scanned: ScannedLines | undefined, r: number): boolean {
    const { s, parser } = this;
    const text = lineText(buf, start, end);
    const taken = scanned?.taken(r) === true;
    // U+FFFD in the text is either in the data or the decoder's replacement: only then check the bytes. The scan
    // thread takes no line that has one.
    if (!taken && text.includes('\ufffd') && !isUtf8(buf.subarray(start, end))) {
      return this.reject(lineNo, 'invalid_utf8', NOT_UTF8, text, buf.toString('base64', start, end));
    }
    if (taken) (scanned as ScannedLines).take(r, text);
    else {
      const failure = parser.parse(text);
      if (failure) return this.reject(lineNo, failure.reason, failure.message, text);
    }
    if (!this.rowFilters.empty) {
      const by = this.rowFilters.dropRow(parser.cols);
      if (by !== undefined) {
        this.drop(by);
        return false;
      }
    }
    this.tally.row(parser);
    const out = this.writer.write(text, lineNo);
    s.rows++;
    if (this.detections) this.detections.onRow((this.ruleView as ColumnsEvent).row(out.rowId, out.eventTime));
    try {
      return this.sink.row(this.table, out) === true;
    } catch (e) {
      throw writeFailed(e, { ...this.input.location, line: lineNo });
    }
  }

  private lineTooLong(head: Buffer, length: number, lineNo: number): boolean {
    return this.reject(
      lineNo,
      'line_too_long',
      `line is ${length} bytes, over the limit of ${this.deps.limits.maxLineBytes}; raw holds its first ${head.length} bytes`,
      head.toString('utf8'),
    );
  }

  /** Sends the batch being framed to the scan thread, and writes what came back while too many are out. */
  private async send(): Promise<void> {
    const lines = this.batch;
    if (lines === undefined) return;
    this.batch = undefined;
    this.sent.push({ lines, scanned: (this.ahead as ScanAhead).scan(lines.request(this.input.entry.plan.logType)) });
    while (this.sent.length > BATCHES_AHEAD) await this.writeBatch();
  }

  /** Writes every line framed so far (with a scan thread, the batches out and the one being framed). */
  private async drain(): Promise<void> {
    await this.send();
    while (this.sent.length > 0) await this.writeBatch();
  }

  /** The oldest batch sent, with what the thread made of it (nothing: every line is parsed here), in line order. */
  private async writeBatch(): Promise<void> {
    const { lines, scanned } = this.sent.shift() as { lines: LineBatch; scanned: Promise<ScannedBatch | undefined> };
    const results = await scanned;
    const taken = results && new ScannedLines(results, this.parser);
    const { bytes, starts, ends, lineNos, heads, tooLong } = lines;
    for (let r = 0; r < lines.count; r++) {
      const lineNo = lineNos[r] as number;
      const head = heads[r];
      const wait =
        head === undefined ? this.parsed(bytes, starts[r] as number, ends[r] as number, lineNo, taken, r) : this.lineTooLong(head, tooLong[r] as number, lineNo);
      if (wait) await this.sinkRoom(lineNo);
    }
    lines.clear();
    this.spare.push(lines);
  }

  /** Waits while the sink has no room; a failure there names line `lineNo`, or the line the framer is at. */
  private async sinkRoom(lineNo?: number): Promise<void> {
    const p = this.sink.pressure();
    if (!p) return;
    try {
      await p;
    } catch (e) {
      throw writeFailed(e, lineNo === undefined ? this.where() : { ...this.input.location, line: lineNo });
    }
  }

  private drop(name: string): void {
    this.s.filtered++;
    this.s.filteredBy[name] = (this.s.filteredBy[name] ?? 0) + 1;
  }

  /** Records a reject; true when the sink asks to wait before the next line. */
  private reject(lineNo: number, reason: RejectReason, message: string, raw: string, rawBase64?: string): boolean {
    const { s, input } = this;
    s.rejected++;
    s.rejectsByReason[reason] = (s.rejectsByReason[reason] ?? 0) + 1;
    let wait: boolean | void;
    try {
      wait = this.sink.reject(
        this.table,
        JSON.stringify({
          source: input.source,
          line: lineNo,
          reason,
          message,
          raw,
          ...(rawBase64 !== undefined ? { raw_base64: rawBase64 } : {}),
          log_type: input.entry.plan.logType,
          parse_time: this.parseTime,
        }),
      );
    } catch (e) {
      throw writeFailed(e, { ...input.location, line: lineNo });
    }
    return wait === true;
  }

  private where(): ObjectLocation {
    return { ...this.input.location, line: this.framer.linesSeen + 1 };
  }

  /**
   * Reads the input to its end, line by line. A failure of the input is a DecodeError or SourceError naming where
   * it happened, or with salvageCorrupt a `corrupt_input` reject for an unreadable rest; a sink error stays one.
   */
  async read(body: AsyncIterable<Buffer> | Iterable<Buffer> | DecodedStream): Promise<void> {
    try {
      await this.readToEnd(body);
    } catch (thrown) {
      // Only what the input threw is the input's fault; a sink error stays one, and anything else is a bug in
      // cflogs, left as it is rather than retried as a read failure.
      if (!(thrown instanceof FromInput)) throw thrown;
      await this.inputFailed(thrown.error);
    }
  }

  private async readToEnd(body: AsyncIterable<Buffer> | Iterable<Buffer> | DecodedStream): Promise<void> {
    let decoded: DecodedStream;
    let chunks: AsyncIterator<Buffer>;
    try {
      decoded = this.decoded = isDecodedStream(body) ? body : await decompress(body, { maxBytes: this.deps.limits.maxDecompressedBytes });
      chunks = decoded.chunks[Symbol.asyncIterator]();
    } catch (e) {
      throw new FromInput(e);
    }
    this.s.compression = decoded.compression;
    await this.readChunks(chunks);
    // Every byte read was decoded, and the source was read to its end. decompress() fails an input whose decoder
    // stopped early; an input that ended here all the same would be reported complete, its lines reconciling
    // because the rest was never counted.
    const consumed = decoded.bytesConsumed();
    if (consumed !== decoded.bytesIn() || !decoded.sourceEnded()) {
      throw new FromInput(new DecompressError('the input was not decoded to its end', Math.min(consumed, decoded.bytesIn())));
    }
    this.framer.end();
    if (this.ahead) await this.drain();
  }

  private async readChunks(chunks: AsyncIterator<Buffer>): Promise<void> {
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
        await this.frame(next.value);
      }
    } finally {
      // Stopped early (a sink error, a bug): release the source, e.g. the GetObject socket, as for-await would.
      if (!finished) await chunks.return?.();
    }
  }

  /**
   * Frames one chunk's lines. The sink is asked to make room between pieces of bounded size, and after any row
   * that needs it (the framer pauses there), whatever the size of the chunks the source hands over (an HTTP body
   * is one).
   */
  private async frame(chunk: Buffer): Promise<void> {
    const { framer } = this;
    for (let at = 0; at < chunk.length; at += MAX_PIECE_BYTES) {
      let done = framer.push(at === 0 && chunk.length <= MAX_PIECE_BYTES ? chunk : chunk.subarray(at, at + MAX_PIECE_BYTES));
      for (;;) {
        if (this.batch?.full) await this.send();
        await this.sinkRoom();
        if (done) break;
        done = framer.resume();
      }
    }
  }

  /** What the input threw while being read: the rest recorded as one reject when it may be salvaged, else an error. */
  private async inputFailed(e: unknown): Promise<void> {
    const { decoded, framer } = this;
    const loc = { ...this.where(), ...(decoded ? { byteOffset: decoded.bytesIn() } : {}) };
    if (e instanceof DecompressError) {
      if (!this.deps.salvageCorrupt || e.disposition.kind !== 'salvage') throw new DecodeError(e.message, { ...loc, byteOffset: e.compressedOffset }, { cause: e });
      // The lines read before it come first.
      await this.drain();
      const partial = framer.abandon();
      this.s.salvaged = true;
      this.reject(
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

  /** Checks that every line was counted once, then commits the sink's output. */
  async commit(): Promise<void> {
    const { s, input } = this;
    s.lines = this.framer.linesSeen;
    if (s.lines !== s.rows + s.rejected + s.filtered + s.blank) {
      throw new InvariantError(
        `counts do not reconcile: ${s.lines} lines != ${s.rows} rows + ${s.rejected} rejects + ${s.filtered} filtered + ${s.blank} blank`,
        input.location,
      );
    }
    try {
      s.outputs = await this.sink.commit();
    } catch (e) {
      throw new SinkError(`finishing output failed: ${messageOf(e)}`, input.location, { cause: e });
    }
  }

  /** The summary of a committed input. */
  summary(): ProcessSummary {
    const { s, decoded, detections } = this;
    s.bytesIn = decoded?.bytesIn() ?? 0;
    s.decompressedBytes = decoded?.bytesOut() ?? 0;
    s.durationMs = Date.now() - this.started;
    const suspect = this.tally.suspect(s.logType, this.deps.registry);
    if (suspect) s.suspectLogType = suspect;
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
