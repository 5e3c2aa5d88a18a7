/**
 * Reads a zstd stream frame by frame (RFC 8878 section 3.1). Node's zstd decompressor (22.15 to 24 at least) stops
 * at the end of the first frame and drops what follows in the same write: an object of several frames (`zstd`
 * output concatenated, pzstd, the seekable format) would lose every row after its first frame. So frames are
 * found here, from their headers (4 to 18 bytes per frame, 3 per block), and each is decoded on its own.
 *
 * A decoder costs far more than a small frame (a streaming one about 0.25 ms, a one-shot call about 15 us): one per
 * frame would make 900 KB of empty frames take 25 s. So a small frame that lies whole in the buffered input is taken
 * at once by scan(): one of raw and RLE blocks only (an empty frame is one) is copied out here, without a decoder;
 * another goes to a one-shot decoder. A large frame, or one the scan cannot take whole (cut short, malformed),
 * streams through frame(), as slices of the chunks it came in: memory stays at one chunk whatever the frame's size,
 * and a frame cut short still gives every whole block before the error.
 */

import { CflogsError, Disposition, Dispositions } from '../errors';

const ZSTD_MAGIC = 0xfd2fb528;
/** Skippable frames: magic 0x184D2A50..0x184D2A5F, a 4-byte size, that many bytes. */
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
const ZSTD_MAGIC_BYTES = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
const SKIPPABLE_MAGIC_BYTES = Buffer.from([0x50, 0x2a, 0x4d, 0x18]);
const NOT_A_FRAME = 'data after a zstd frame is not a zstd frame';
/** The largest block content the format allows (Block_Maximum_Size is at most 128 KiB). */
const BLOCK_MAX = 128 * 1024;
/** The checksum of empty content (the low 32 bits of XXH64 of nothing): an empty frame's, when it has one. */
const EMPTY_CHECKSUM = 0x51d8e999;

/** Frames up to this size are taken whole from the buffer; larger ones stream (their decoder's cost is amortised). */
export const SMALL_FRAME_BYTES = 64 * 1024;
/** At most this much content is made by one small frame at once; a frame making more streams. */
export const SMALL_FRAME_OUTPUT = 1024 * 1024;

/**
 * A frame's window may be up to 2^windowLogMax bytes, which the decompressor then allocates: 2^24 (16 MiB) holds
 * every level of `zstd` up to 19 (8 MiB at most); larger windows (`--long`, `--ultra`) are refused rather than let
 * an input decide how much memory the function takes.
 */
export const ZSTD_WINDOW_LOG_MAX = 24;

/**
 * What scan() found at the read position. `frame`: a small frame, whole in the buffer (copyFrame() or takeFrame()
 * it); `more`: the buffered bytes do not tell yet (read(), then scan again); `stream`: a frame to stream, large, cut
 * short or malformed, whose decoder then says how (nextFrame(), then frame()); `end`: the input ended on a frame
 * boundary.
 */
export type Scan = 'frame' | 'more' | 'stream' | 'end';

/** A zstd stream's frames are malformed or cut short: corrupt input (decompress() makes it a DecompressError). */
export class ZstdFrameError extends CflogsError {
  override readonly name = 'ZstdFrameError';
  constructor(
    message: string,
    /** Compressed bytes read before the problem. */
    readonly offset: number,
  ) {
    super(message);
  }
  override get disposition(): Disposition {
    return Dispositions.salvage;
  }
}

export class ZstdFrameReader {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  private ended = false;
  /** Bytes wanted from pos when scan() said 'more'. */
  private need = 1;
  /** Bytes of a skippable frame still to skip, when it goes on past the buffer. */
  private skipLeft = 0;
  /** The frame scan() found: where its blocks start and where it ends in buf, whether copyFrame() may take it. */
  private blocksAt = 0;
  private frameEnd = 0;
  /** The frame holds only raw and RLE blocks whose content copied out is what the decoder would make of it. */
  copyable = false;
  /** The content size its header declares, or -1. */
  contentSize = -1;
  /** Bytes before pos: decoded, skipped, or handed to a decoder. */
  consumed = 0;

  constructor(private readonly source: AsyncIterator<Buffer>) {}

  /**
   * Looks at the buffered bytes only (no await, no allocation): skips skippable frames and finds the frame at the
   * read position. Throws when the bytes at a frame boundary are not a frame.
   */
  scan(): Scan {
    const buf = this.buf;
    const len = buf.length;
    let p = this.pos;
    for (;;) {
      if (this.skipLeft > 0) {
        const k = Math.min(this.skipLeft, len - p);
        p += k;
        this.skipLeft -= k;
        this.consumed += k;
        this.pos = p;
        if (this.skipLeft > 0) {
          if (this.ended) throw this.error('zstd stream is truncated (inside a skippable frame)');
          return this.more(1);
        }
      }
      if (len - p < 4) {
        if (!this.ended) return this.more(4);
        if (p === len) return 'end';
        // Fewer bytes than a magic number: the start of a frame cut short, or trailing bytes that are no frame.
        return 'stream';
      }
      const magic = buf.readUInt32LE(p);
      if (magic === ZSTD_MAGIC) break;
      if ((magic & SKIPPABLE_MASK) >>> 0 !== SKIPPABLE_MAGIC) throw this.error(NOT_A_FRAME);
      if (len - p < 8) return this.ended ? 'stream' : this.more(8);
      this.skipLeft = buf.readUInt32LE(p + 4);
      p += 8;
      this.consumed += 8;
      this.pos = p;
    }

    // Frame header: magic, descriptor, then the optional window descriptor, dictionary id and content size.
    if (len - p < 5) return this.ended ? 'stream' : this.more(5);
    const fhd = buf[p + 4] as number;
    if (fhd & 0x08) return 'stream'; // the reserved bit: the decoder reports it
    const singleSegment = (fhd >> 5) & 1;
    const fcsFlag = fhd >> 6;
    const fcsBytes = fcsFlag === 0 ? singleSegment : 1 << fcsFlag;
    const didBytes = (fhd & 3) === 3 ? 4 : fhd & 3;
    const hasChecksum = (fhd >> 2) & 1;
    const headerBytes = 5 + (singleSegment ? 0 : 1) + didBytes + fcsBytes;
    if (len - p < headerBytes) return this.ended ? 'stream' : this.more(headerBytes);
    const at = p + headerBytes - fcsBytes;
    let fcs = -1;
    if (fcsBytes === 1) fcs = buf[at] as number;
    else if (fcsBytes === 2) fcs = buf.readUInt16LE(at) + 256;
    else if (fcsBytes === 4) fcs = buf.readUInt32LE(at);
    // 8 bytes: beyond any small frame whatever it says, so left to the decoder.
    else if (fcsBytes === 8) fcs = buf.readUInt32LE(at + 4) === 0 ? buf.readUInt32LE(at) : Number.MAX_SAFE_INTEGER;
    let window = fcs;
    if (!singleSegment) {
      const wd = buf[p + 5] as number;
      const base = 2 ** (10 + (wd >> 3));
      window = base + (base / 8) * (wd & 7);
    }
    const blockMax = Math.min(window, BLOCK_MAX);

    // Blocks: copyable while raw or RLE, within the frame's block size, and where the decoder would take the frame
    // (no dictionary, a window it allows).
    let copyable = didBytes === 0 && window <= 2 ** ZSTD_WINDOW_LOG_MAX;
    let content = 0;
    let q = p + headerBytes;
    for (let last = 0; !last; ) {
      if (q + 3 - p > SMALL_FRAME_BYTES) return 'stream';
      if (len - q < 3) return this.ended ? 'stream' : this.more(q + 3 - p);
      const header = buf.readUIntLE(q, 3);
      last = header & 1;
      const type = (header >> 1) & 3;
      const size = header >>> 3;
      if (type === 3) return 'stream'; // the reserved type: the decoder reports it
      if (type === 2) copyable = false;
      else {
        content += size;
        if (size > blockMax) copyable = false;
      }
      // Raw and compressed blocks carry `size` bytes, an RLE block one byte repeated `size` times.
      q += 3 + (type === 1 ? 1 : size);
    }
    if (hasChecksum) q += 4;
    if (q - p > SMALL_FRAME_BYTES) return 'stream';
    if (q > len) return this.ended ? 'stream' : this.more(q - p);
    // Copied out only where the decoder would accept the frame and make the same bytes: the checksum of content is
    // the decoder's to check (only the empty content's is known here).
    this.copyable =
      copyable &&
      content <= SMALL_FRAME_OUTPUT &&
      (fcs === -1 || fcs === content) &&
      !(hasChecksum && (content !== 0 || buf.readUInt32LE(q - 4) !== EMPTY_CHECKSUM));
    this.contentSize = fcs;
    this.blocksAt = p + headerBytes;
    this.frameEnd = q;
    return 'frame';
  }

  /** Appends the content of the copyable frame scan() found to `out` and returns its size; reads past it. */
  copyFrame(out: Buffer[]): number {
    const buf = this.buf;
    let n = 0;
    for (let q = this.blocksAt, last = 0; !last; ) {
      const header = buf.readUIntLE(q, 3);
      last = header & 1;
      const size = header >>> 3;
      if (size > 0) {
        // Raw content is handed on as a slice (the reader copies what it keeps); RLE is one byte repeated.
        out.push((header & 6) === 0 ? buf.subarray(q + 3, q + 3 + size) : Buffer.alloc(size, buf[q + 3] as number));
        n += size;
      }
      q += 3 + ((header & 6) === 2 ? 1 : size);
    }
    this.consumed += this.frameEnd - this.pos;
    this.pos = this.frameEnd;
    return n;
  }

  /** The bytes of the frame scan() found, whole; reads past it. */
  takeFrame(): Buffer {
    const frame = this.buf.subarray(this.pos, this.frameEnd);
    this.consumed += frame.length;
    this.pos = this.frameEnd;
    return frame;
  }

  /** scan() said 'more': reads until it has what it asked for, or the input ends. */
  async read(): Promise<void> {
    const rest = this.buf.subarray(this.pos);
    // What is left is part of one small frame at most. Reading at least as much again before joining keeps the
    // copying linear in the input however small its chunks.
    const want = Math.max(this.need, 2 * rest.length);
    const parts = rest.length > 0 ? [rest] : [];
    let have = rest.length;
    while (have < want) {
      const r = await this.source.next();
      if (r.done) {
        this.ended = true;
        break;
      }
      parts.push(r.value);
      have += r.value.length;
    }
    this.buf = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, have);
    this.pos = 0;
  }

  private more(need: number): Scan {
    this.need = need;
    return 'more';
  }

  /** Skips skippable frames; true when a zstd frame starts here, false at the end of the input. */
  async nextFrame(): Promise<boolean> {
    for (;;) {
      if (this.skipLeft > 0) await this.skipBytes();
      if (!(await this.fill(1))) return false;
      if (!(await this.fill(4))) {
        // The first bytes of a magic number are a frame cut short; anything else is data after the last frame.
        throw this.error(startsMagic(this.buf.subarray(this.pos)) ? 'zstd stream is truncated (a frame header is cut short)' : NOT_A_FRAME);
      }
      const magic = this.buf.readUInt32LE(this.pos);
      if (magic === ZSTD_MAGIC) return true;
      if ((magic & SKIPPABLE_MASK) >>> 0 !== SKIPPABLE_MAGIC) throw this.error(NOT_A_FRAME);
      if (!(await this.fill(8))) throw this.error('zstd stream is truncated (a skippable frame header is cut short)');
      this.skipLeft = this.buf.readUInt32LE(this.pos + 4);
      this.skip(8);
    }
  }

  /**
   * The bytes of the frame that starts here (nextFrame() said so), header to checksum: each piece is as much of the
   * frame as the buffered chunk holds, so that a frame of many small blocks is not one decoder write per block.
   */
  async *frame(): AsyncGenerator<Buffer> {
    // Magic, descriptor, then the optional window descriptor, dictionary id and content size.
    if (!(await this.fill(5))) throw this.truncated();
    const fhd = this.buf[this.pos + 4] as number;
    if (fhd & 0x08) throw this.error('zstd frame header has its reserved bit set: the stream is corrupt');
    const singleSegment = (fhd >> 5) & 1;
    const fcsFlag = fhd >> 6;
    const fcsBytes = fcsFlag === 0 ? singleSegment : 1 << fcsFlag;
    const didBytes = (fhd & 3) === 3 ? 4 : fhd & 3;
    // Bytes left of the part being read (the header, a block, the checksum), and what follows it.
    let left = 5 + (singleSegment ? 0 : 1) + didBytes + fcsBytes;
    let next: 'block' | 'checksum' | 'end' = 'block';
    const checksum = (fhd >> 2) & 1;
    for (;;) {
      const buf = this.buf;
      const start = this.pos;
      let at = start;
      let reserved = false;
      for (;;) {
        const k = Math.min(left, buf.length - at);
        at += k;
        left -= k;
        if (left > 0 || next === 'end') break;
        if (next === 'checksum') {
          left = 4;
          next = 'end';
          continue;
        }
        if (buf.length - at < 3) break;
        const header = buf.readUIntLE(at, 3);
        const type = (header >> 1) & 3;
        if (type === 3) {
          reserved = true;
          break;
        }
        // Raw and compressed blocks carry `size` bytes, an RLE block one byte repeated `size` times.
        left = 3 + (type === 1 ? 1 : header >>> 3);
        if (header & 1) next = checksum ? 'checksum' : 'end';
      }
      if (at > start) {
        this.skip(at - start);
        yield buf.subarray(start, at);
      }
      if (reserved) throw this.error('zstd block has the reserved type: the stream is corrupt');
      if (left === 0 && next === 'end') return;
      // The rest of a part, or a block header split between chunks.
      if (!(await this.fill(left > 0 ? 1 : 3))) throw this.truncated();
    }
  }

  private truncated(): ZstdFrameError {
    return this.error('zstd stream is truncated');
  }

  private error(message: string): ZstdFrameError {
    return new ZstdFrameError(message, this.consumed);
  }

  /** The rest of a skippable frame, across chunks. */
  private async skipBytes(): Promise<void> {
    while (this.skipLeft > 0) {
      if (!(await this.fill(1))) throw this.error('zstd stream is truncated (inside a skippable frame)');
      const k = Math.min(this.skipLeft, this.buf.length - this.pos);
      this.skip(k);
      this.skipLeft -= k;
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

/** `b`, under 4 bytes, is how the magic number of a zstd frame or a skippable frame starts. */
function startsMagic(b: Buffer): boolean {
  if (b.equals(ZSTD_MAGIC_BYTES.subarray(0, b.length))) return true;
  const skippable = SKIPPABLE_MAGIC_BYTES.subarray(1, b.length);
  return b.length > 0 && ((b[0] as number) & 0xf0) === 0x50 && b.subarray(1).equals(skippable);
}
