/**
 * Line framing on Buffers: splits on LF, drops a trailing CR, keeps a final line without newline, and never
 * buffers more than `maxLineBytes` of one line (a longer line is reported with its first bytes only).
 * Synchronous callbacks per line: no per-line promise or generator step on the hot path.
 */

export interface LineSink {
  /** A complete line: `buf[start, end)` (end excludes LF and CR). `lineNo` is 1-based. */
  line(buf: Buffer, start: number, end: number, lineNo: number): void;
  /** A line over the limit; `head` holds its first bytes, `length` its full length in bytes. */
  tooLong(head: Buffer, length: number, lineNo: number): void;
}

const LF = 0x0a;
const CR = 0x0d;
/** How much of an over-long line to keep for the reject record. */
export const TOO_LONG_HEAD_BYTES = 4096;
const EMPTY = Buffer.alloc(0);

export class LineFramer {
  private carry: Buffer[] = [];
  private carryLen = 0;
  /** Set while skipping the rest of an over-long line. */
  private overflowHead: Buffer | undefined;
  private overflowLen = 0;
  private lineNo = 0;
  /** The chunk being framed and where in it, kept across a pause. */
  private chunk: Buffer = EMPTY;
  private pos = 0;
  private paused = false;

  constructor(
    private readonly maxLineBytes: number,
    private readonly sink: LineSink,
  ) {}

  get linesSeen(): number {
    return this.lineNo;
  }

  /**
   * Frames the lines of `chunk`. Returns false when a line callback asked to pause (see pause()): the rest of the
   * chunk is kept, and resume() goes on with it once the caller has waited for what it needed to.
   */
  push(chunk: Buffer): boolean {
    this.chunk = chunk;
    this.pos = 0;
    return this.run();
  }

  /**
   * Called from a line callback: stop after this line. A sink that has just started I/O it must wait for (a file
   * evicted, another opened) pauses here, so the reader awaits it before the next line rather than after the chunk.
   */
  pause(): void {
    this.paused = true;
  }

  /** Goes on with the chunk a pause stopped in; false if paused again. */
  resume(): boolean {
    return this.run();
  }

  private run(): boolean {
    this.paused = false;
    const chunk = this.chunk;
    let pos = this.pos;
    const len = chunk.length;
    while (pos < len) {
      const nl = chunk.indexOf(LF, pos);
      if (nl === -1) {
        this.keep(chunk, pos, len);
        break;
      }
      if (this.overflowHead !== undefined) {
        // The line's CR is not part of its length, as for accepted lines.
        this.overflowLen += nl - pos - (nl > pos && chunk[nl - 1] === CR ? 1 : 0);
        this.emitTooLong();
      } else if (this.carryLen > 0) {
        this.keep(chunk, pos, nl);
        if (this.overflowHead !== undefined) this.emitTooLong();
        else {
          const joined = Buffer.concat(this.carry, this.carryLen);
          this.carry = [];
          this.carryLen = 0;
          this.emit(joined, 0, joined.length);
        }
      } else if (nl - pos > this.maxLineBytes + 1) {
        const end = nl > pos && chunk[nl - 1] === CR ? nl - 1 : nl;
        this.overflowHead = Buffer.from(chunk.subarray(pos, Math.min(end, pos + TOO_LONG_HEAD_BYTES)));
        this.overflowLen = end - pos;
        this.emitTooLong();
      } else {
        this.emit(chunk, pos, nl);
      }
      pos = nl + 1;
      if (this.paused) {
        this.pos = pos;
        return false;
      }
    }
    this.chunk = EMPTY;
    this.pos = 0;
    return true;
  }

  /** Flushes a final line that had no newline. */
  end(): void {
    if (this.overflowHead !== undefined) this.emitTooLong();
    else if (this.carryLen > 0) {
      const joined = Buffer.concat(this.carry, this.carryLen);
      this.carry = [];
      this.carryLen = 0;
      this.emit(joined, 0, joined.length);
    }
  }

  /**
   * The input broke off mid-stream: counts what was buffered of the current line as one line and returns its
   * first bytes (or undefined when the break fell on a line boundary).
   */
  abandon(): { head: Buffer; length: number } | undefined {
    let out: { head: Buffer; length: number } | undefined;
    if (this.overflowHead !== undefined) out = { head: this.overflowHead, length: this.overflowLen };
    else if (this.carryLen > 0) {
      const all = Buffer.concat(this.carry, this.carryLen);
      out = { head: Buffer.from(all.subarray(0, TOO_LONG_HEAD_BYTES)), length: this.carryLen };
    }
    this.carry = [];
    this.carryLen = 0;
    this.overflowHead = undefined;
    this.overflowLen = 0;
    this.lineNo++;
    return out;
  }

  private emit(buf: Buffer, start: number, end: number): void {
    if (end > start && buf[end - 1] === CR) end--;
    this.lineNo++;
    if (end - start > this.maxLineBytes) {
      this.sink.tooLong(Buffer.from(buf.subarray(start, Math.min(end, start + TOO_LONG_HEAD_BYTES))), end - start, this.lineNo);
      return;
    }
    this.sink.line(buf, start, end, this.lineNo);
  }

  private emitTooLong(): void {
    this.lineNo++;
    this.sink.tooLong(this.overflowHead as Buffer, this.overflowLen, this.lineNo);
    this.overflowHead = undefined;
    this.overflowLen = 0;
  }

  /** Holds a partial line, switching to overflow mode (counting, not storing) past the limit. */
  private keep(chunk: Buffer, start: number, end: number): void {
    if (this.overflowHead !== undefined) {
      this.overflowLen += end - start;
      return;
    }
    const n = end - start;
    if (this.carryLen + n > this.maxLineBytes + 1) {
      const all = Buffer.concat([...this.carry, chunk.subarray(start, end)]);
      this.overflowHead = Buffer.from(all.subarray(0, TOO_LONG_HEAD_BYTES));
      this.overflowLen = all.length;
      this.carry = [];
      this.carryLen = 0;
      return;
    }
    // Copy: the chunk's memory may be reused by the producer after push() returns.
    this.carry.push(Buffer.from(chunk.subarray(start, end)));
    this.carryLen += n;
  }
}
