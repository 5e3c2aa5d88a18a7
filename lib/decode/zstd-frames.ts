/**
 * Splits a zstd stream into its frames (RFC 8878 section 3.1), so that each frame goes to a decompressor of its
 * own. Node's zstd decompressor (22.15 to 24 at least) stops at the end of the first frame and drops what follows
 * in the same write, then fails on the next write: an object of several frames (`zstd` output concatenated, pzstd,
 * the seekable format) would lose every row after its first frame. Skippable frames are skipped.
 *
 * Only headers are read here: 4 to 18 bytes per frame and 3 per block. The frame's bytes are handed on as slices
 * of the chunks they came in, so memory stays at one chunk whatever the frame's size.
 */

const ZSTD_MAGIC = 0xfd2fb528;
/** Skippable frames: magic 0x184D2A50..0x184D2A5F, a 4-byte size, that many bytes. */
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;

export class ZstdFrameError extends Error {
  constructor(
    message: string,
    /** Compressed bytes read before the problem. */
    readonly offset: number,
  ) {
    super(message);
  }
}

export class ZstdFrameReader {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  private ended = false;
  /** Bytes handed out or skipped so far, for error offsets. */
  consumed = 0;

  constructor(private readonly source: AsyncIterator<Buffer>) {}

  /** Skips skippable frames; true when a zstd frame starts here, false at the end of the input. */
  async nextFrame(): Promise<boolean> {
    for (;;) {
      if (!(await this.fill(1))) return false;
      if (!(await this.fill(4))) throw this.error('zstd stream is truncated (a frame header is cut short)');
      const magic = this.buf.readUInt32LE(this.pos);
      if (magic === ZSTD_MAGIC) return true;
      if ((magic & SKIPPABLE_MASK) >>> 0 !== SKIPPABLE_MAGIC) throw this.error('data after a zstd frame is not a zstd frame');
      if (!(await this.fill(8))) throw this.error('zstd stream is truncated (a skippable frame header is cut short)');
      const size = this.buf.readUInt32LE(this.pos + 4);
      this.skip(8);
      await this.skipBytes(size);
    }
  }

  /** The bytes of the frame that starts here (nextFrame() said so), header to checksum. */
  async *frame(): AsyncGenerator<Buffer> {
    // Magic, descriptor, then the optional window descriptor, dictionary id and content size.
    if (!(await this.fill(5))) throw this.truncated();
    const fhd = this.buf[this.pos + 4] as number;
    if (fhd & 0x08) throw this.error('zstd frame header has its reserved bit set: the stream is corrupt');
    const singleSegment = (fhd >> 5) & 1;
    const fcsFlag = fhd >> 6;
    const fcsBytes = fcsFlag === 0 ? singleSegment : 1 << fcsFlag;
    const didBytes = [0, 1, 2, 4][fhd & 3] as number;
    const checksum = (fhd >> 2) & 1;
    yield* this.take(5 + (singleSegment ? 0 : 1) + didBytes + fcsBytes);
    for (let last = false; !last; ) {
      if (!(await this.fill(3))) throw this.truncated();
      const header = this.buf.readUIntLE(this.pos, 3);
      last = (header & 1) === 1;
      const type = (header >> 1) & 3;
      const size = header >>> 3;
      if (type === 3) throw this.error('zstd block has the reserved type: the stream is corrupt');
      // Raw and compressed blocks carry `size` bytes, an RLE block one byte repeated `size` times.
      yield* this.take(3 + (type === 1 ? 1 : size));
    }
    if (checksum) yield* this.take(4);
  }

  private truncated(): ZstdFrameError {
    return this.error('zstd stream is truncated');
  }

  private error(message: string): ZstdFrameError {
    return new ZstdFrameError(message, this.consumed);
  }

  /** Yields the next n bytes, as slices of the chunks they lie in. */
  private async *take(n: number): AsyncGenerator<Buffer> {
    while (n > 0) {
      if (!(await this.fill(1))) throw this.truncated();
      const k = Math.min(n, this.buf.length - this.pos);
      const piece = this.buf.subarray(this.pos, this.pos + k);
      this.skip(k);
      n -= k;
      yield piece;
    }
  }

  private async skipBytes(n: number): Promise<void> {
    while (n > 0) {
      if (!(await this.fill(1))) throw this.error('zstd stream is truncated (inside a skippable frame)');
      const k = Math.min(n, this.buf.length - this.pos);
      this.skip(k);
      n -= k;
    }
  }

  private skip(k: number): void {
    this.pos += k;
    this.consumed += k;
  }

  /** Makes at least n bytes available from pos (joining chunks only for headers); false at the end of the input. */
  private async fill(n: number): Promise<boolean> {
    while (this.buf.length - this.pos < n) {
      if (this.ended) return false;
      const r = await this.source.next();
      if (r.done) {
        this.ended = true;
        return this.buf.length - this.pos >= n;
      }
      const rest = this.buf.subarray(this.pos);
      this.buf = rest.length === 0 ? r.value : Buffer.concat([rest, r.value]);
      this.pos = 0;
    }
    return true;
  }
}
