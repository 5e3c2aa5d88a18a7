import type { Transform } from 'node:stream';
import * as zlib from 'node:zlib';
import { CflogsError, Disposition, Dispositions } from '../errors';
import { Scan, SMALL_FRAME_OUTPUT, ZSTD_WINDOW_LOG_MAX, ZstdFrameError, ZstdFrameReader } from './zstd-frames';

/** What cflogs decodes. */
export type DecodedCompression = 'gzip' | 'zstd' | 'none';
/** Compressions recognised by their magic bytes only to be refused with their name. */
export type UnsupportedCompression = 'bzip2' | 'xz' | 'lz4' | 'zip';
export type Compression = DecodedCompression | UnsupportedCompression;

/**
 * The magic bytes of the compressions cflogs refuses by name. NDJSON starts with `{` or whitespace, so none of
 * them can be the start of a readable input.
 */
const REFUSED: readonly (readonly [UnsupportedCompression, Buffer])[] = [
  ['xz', Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])],
  ['lz4', Buffer.from([0x04, 0x22, 0x4d, 0x18])],
  // The legacy frame of `lz4 -l`.
  ['lz4', Buffer.from([0x02, 0x21, 0x4c, 0x18])],
  // A local file header, and the end record that is all of an empty archive.
  ['zip', Buffer.from('PK\x03\x04', 'latin1')],
  ['zip', Buffer.from('PK\x05\x06', 'latin1')],
];

/** Bytes the sniff needs: the longest magic (xz) is six. */
const SNIFF_BYTES = 6;

/**
 * Magic bytes decide, never the name or headers: Logpush objects are `.log.gz`, but copies and tests lie. Other
 * compressions are recognised only to fail the input with their name: read as text, they became a few
 * `invalid_utf8` rejects and the input counted as done.
 */
export function sniffCompression(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  for (const [name, magic] of REFUSED) {
    if (head.length >= magic.length && head.subarray(0, magic.length).equals(magic)) return name;
  }
  if (head.length < 4) return 'none';
  // bzip2: "BZh" and the block size, a digit 1..9.
  if (head.toString('latin1', 0, 3) === 'BZh' && (head[3] as number) >= 0x31 && (head[3] as number) <= 0x39) return 'bzip2';
  // A zstd skippable frame (magic 0x184D2A50..5F, little-endian), which pzstd and seekable zstd write first.
  if (((head[0] as number) & 0xf0) === 0x50 && head[1] === 0x2a && head[2] === 0x4d && head[3] === 0x18) return 'zstd';
  return 'none';
}

export interface DecompressLimits {
  /** Stop reading beyond this many decompressed bytes (decompression bombs). */
  maxBytes: number;
}

/** Raised for corrupt/truncated or unsupported compression, or the size limit; the caller attaches the object. */
export class DecompressError extends CflogsError {
  override readonly name = 'DecompressError';
  constructor(
    message: string,
    readonly compressedOffset: number,
    options?: { cause?: unknown; salvageable?: boolean },
  ) {
    super(message, options);
    this.salvageable = options?.salvageable ?? true;
  }
  /** False when nothing of the input can be read whatever the attempt (an unsupported compression): never salvaged. */
  readonly salvageable: boolean;
  /** Corruption keeps what was read before it; an input nothing can read is the sender's to fix. */
  override get disposition(): Disposition {
    return this.salvageable ? Dispositions.salvage : Dispositions.client(400);
  }
}

/** A stream decompress() already made (an HTTP body whose start was looked at to classify it). */
export function isDecodedStream(v: unknown): v is DecodedStream {
  return typeof (v as Partial<DecodedStream>).bytesIn === 'function';
}

export interface DecodedStream {
  compression: DecodedCompression;
  /** Ends without an error only once every byte of the input has been decoded (see decompress). */
  chunks: AsyncIterable<Buffer>;
  /** Bytes read from the source so far, compressed when the input is (for summaries and error offsets). */
  bytesIn(): number;
  /** Of those, the bytes the decoder has used: all of them once the input is read whole. */
  bytesConsumed(): number;
  /** True once the source has said it has no more bytes. */
  sourceEnded(): boolean;
  /** Decompressed bytes produced so far. */
  bytesOut(): number;
}

/**
 * Streams the decompressed bytes of `source`. gzip may be multi-member (zlib handles concatenated members), zstd
 * multi-frame (split here, see zstd-frames.ts); memory is bounded by the codec's window and one chunk, whatever
 * the object's size. Another compression recognised by its magic bytes is a DecompressError at once, not
 * salvageable, naming it.
 *
 * Every byte of the input is decoded or refused: a decoder that stops before the input does (gunzip ends quietly at
 * a zero byte after a member, as gzip(1) ignores "trailing garbage") would have the object read as complete without
 * the rest. The chunks end with a DecompressError at the offset of the first unread byte instead: corruption,
 * retried and then salvaged like any other.
 */
export async function decompress(
  source: AsyncIterable<Buffer> | Iterable<Buffer>,
  limits: DecompressLimits,
): Promise<DecodedStream> {
  const it: AsyncIterator<Buffer> | Iterator<Buffer> =
    Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
  let inBytes = 0;
  let outBytes = 0;
  // Peek until the sniff has its bytes (a first chunk of one byte is legal).
  const head: Buffer[] = [];
  let headLen = 0;
  let done = false;
  while (headLen < SNIFF_BYTES) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    const b = toBuffer(r.value);
    head.push(b);
    headLen += b.length;
  }
  const first = Buffer.concat(head);
  const compression = sniffCompression(first);
  const refuse = async (why: string): Promise<never> => {
    // Release the source (e.g. the GetObject socket): nothing of it can be read, whatever the attempt.
    if (!done) await it.return?.();
    throw new DecompressError(why, 0, { salvageable: false });
  };
  if (compression !== 'gzip' && compression !== 'zstd' && compression !== 'none') {
    return refuse(`input is ${compression}-compressed, which cflogs does not read (supported: gzip, zstd, uncompressed)`);
  }
  if (compression === 'zstd' && !HAS_ZSTD) {
    return refuse(`input is zstd-compressed, which needs Node 22.15 or later (this is ${process.versions.node})`);
  }
  async function* rest(): AsyncGenerator<Buffer> {
    try {
      if (first.length) {
        inBytes += first.length;
        yield first;
      }
      if (done) return;
      for (;;) {
        const r = await it.next();
        if (r.done) {
          done = true;
          return;
        }
        const b = toBuffer(r.value);
        inBytes += b.length;
        yield b;
      }
    } finally {
      // Stopped early (an error downstream, a size limit): release the source, e.g. the GetObject socket.
      if (!done) await it.return?.();
    }
  }
  const limitError = () =>
    new DecompressError(`decompressed size exceeds the limit of ${limits.maxBytes} bytes`, inBytes);
  const sourceEnded = (): boolean => done;

  if (compression === 'none') {
    return {
      compression,
      bytesIn: () => inBytes,
      bytesConsumed: () => inBytes,
      sourceEnded,
      bytesOut: () => outBytes,
      chunks: (async function* () {
        for await (const b of rest()) {
          outBytes += b.length;
          if (outBytes > limits.maxBytes) throw limitError();
          yield b;
        }
      })(),
    };
  }

  let inflated: AsyncIterable<Buffer>;
  let consumed: () => number;
  if (compression === 'gzip') {
    const gunzip = zlib.createGunzip(INFLATE_OPTIONS);
    inflated = through(rest(), gunzip);
    // What zlib has taken in (not what was written to it): short of the input when it stopped early.
    consumed = () => gunzip.bytesWritten;
  } else {
    const frames = new ZstdFrameReader(rest());
    inflated = inflateZstd(frames);
    consumed = () => frames.consumed;
  }
  return {
    compression,
    bytesIn: () => inBytes,
    bytesConsumed: consumed,
    sourceEnded,
    bytesOut: () => outBytes,
    chunks: (async function* () {
      try {
        for await (const b of inflated) {
          outBytes += b.length;
          if (outBytes > limits.maxBytes) throw limitError();
          yield b;
        }
      } catch (e) {
        throw codecError(e, compression, inBytes);
      }
      // Every byte read decoded, and the source read to its end (a decoder that stopped early had it released):
      // otherwise the unread bytes start where the decoded ones end.
      const used = consumed();
      if (used < inBytes || !done) throw new DecompressError(STOPPED_EARLY[compression], used < inBytes ? used : inBytes);
    })(),
  };
}

/** Why the input was not read whole, when the decoder ended before it. */
const STOPPED_EARLY: Record<'gzip' | 'zstd', string> = {
  gzip: 'the gzip stream ends before the input does: the bytes after it are not a gzip member',
  zstd: 'the zstd stream ends before the input does',
};

// Decompression runs on libuv's thread pool; a deeper readable buffer lets it work ahead of the parser, and
// 256 KiB chunks (not 64) mean fewer hand-offs: 6-7% faster for ~25 MB more peak RSS (40 MiB in the soak; bench/README.md).
const INFLATE_OPTIONS = { chunkSize: 256 * 1024, readableHighWaterMark: 1024 * 1024 };

const HAS_ZSTD = typeof (zlib as Partial<typeof zlib>).createZstdDecompress === 'function';

const ZSTD_PARAMS = { [zlib.constants.ZSTD_d_windowLogMax]: ZSTD_WINDOW_LOG_MAX };
/** Content of small frames is handed on in pieces of about this size (gunzip's chunks are this size too). */
const ZSTD_OUT_BYTES = INFLATE_OPTIONS.chunkSize;

/**
 * Each frame decoded on its own: Node's decompressor stops at the end of the first (zstd-frames.ts). A small frame
 * is copied out or decoded in one call, its content gathered with its neighbours' into chunks of ZSTD_OUT_BYTES;
 * others stream through a decompressor each. What was decoded is handed on before any error and before any wait
 * for input.
 */
async function* inflateZstd(frames: ZstdFrameReader): AsyncGenerator<Buffer> {
  const out: Buffer[] = [];
  let outLen = 0;
  const flush = (): Buffer => {
    const b = out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out, outLen);
    out.length = 0;
    outLen = 0;
    return b;
  };
  for (;;) {
    let found: Scan;
    try {
      found = frames.scan();
    } catch (e) {
      if (outLen > 0) yield flush();
      throw e;
    }
    if (found === 'frame') {
      if (frames.copyable) outLen += frames.copyFrame(out);
      else {
        const start = frames.consumed;
        const frame = frames.takeFrame();
        const content = decodeSmallFrame(frame, frames.contentSize);
        if (content === undefined) {
          // Larger than it looked, or failing: streamed, so it gives what a decoder makes of it, error included.
          if (outLen > 0) yield flush();
          yield* streamFrame(oneChunk(frame), start);
        } else if (content.length > 0) {
          out.push(content);
          outLen += content.length;
        }
      }
      if (outLen >= ZSTD_OUT_BYTES) yield flush();
      continue;
    }
    if (outLen > 0) yield flush();
    if (found === 'more') await frames.read();
    else if (found === 'end') return;
    else if (await frames.nextFrame()) yield* streamFrame(frames.frame(), frames.consumed);
    else return;
  }
}

/**
 * One small frame in one call (a streaming decompressor costs far more than such a frame): its content, or
 * undefined when the call fails or makes more than SMALL_FRAME_OUTPUT, for the caller to stream it instead.
 */
function decodeSmallFrame(frame: Buffer, contentSize: number): Buffer | undefined {
  try {
    const r = zlib.zstdDecompressSync(frame, {
      params: ZSTD_PARAMS,
      maxOutputLength: SMALL_FRAME_OUTPUT,
      // One output buffer when the header says the size (the default 16 KiB each time would be mostly unused).
      chunkSize: contentSize >= 0 && contentSize < SMALL_FRAME_OUTPUT ? Math.max(64, contentSize + 1) : 16 * 1024,
      info: true,
    }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
    // A decoder ending before the frame does would drop its last bytes: streamed, that is an error.
    return r.engine.bytesWritten === frame.length ? r.buffer : undefined;
  } catch {
    return undefined;
  }
}

async function* oneChunk(b: Buffer): AsyncGenerator<Buffer> {
  yield b;
}

/** One frame through a streaming decompressor; `start` is its offset in the input. */
async function* streamFrame(pieces: AsyncIterable<Buffer>, start: number): AsyncGenerator<Buffer> {
  // A frame cut short ends the decompressor's input instead of destroying it, so the rows of the blocks it has
  // (a salvaged object keeps them, as with gzip) come out before the error.
  let cut: ZstdFrameError | undefined;
  let fed = 0;
  const frame = async function* (): AsyncGenerator<Buffer> {
    try {
      for await (const b of pieces) {
        fed += b.length;
        yield b;
      }
    } catch (e) {
      if (!(e instanceof ZstdFrameError)) throw e;
      cut = e;
    }
  };
  const codec = zlib.createZstdDecompress({ ...INFLATE_OPTIONS, params: ZSTD_PARAMS });
  try {
    yield* through(frame(), codec);
  } catch (e) {
    throw cut ?? e;
  }
  if (cut) throw cut;
  if (codec.bytesWritten < fed) {
    throw new ZstdFrameError('zstd frame ends before its headers say it does: the stream is corrupt', start + codec.bytesWritten);
  }
}

/**
 * `source` through a zlib stream, as an async iterable; stopping early destroys both. Every byte the codec put out
 * before it failed reaches the reader before the error: `for await` over a zlib stream throws as soon as it
 * fails and drops what sits in its readable buffer, so how much of a corrupt input came out (what a salvage keeps,
 * and what its redelivery writes) depended on timing. read() still returns that buffer after the failure, so it
 * is read first. Memory stays at the codec's buffers: it stops inflating while the reader is behind.
 */
async function* through(source: AsyncIterable<Buffer>, codec: Transform): AsyncGenerator<Buffer> {
  let failure: { error: unknown } | undefined;
  let ended = false;
  let stopped = false;
  let wakeReader: (() => void) | undefined;
  let wakeFeeder: (() => void) | undefined;
  const wake = (): void => {
    const r = wakeReader;
    wakeReader = undefined;
    r?.();
  };
  const room = (): void => {
    const f = wakeFeeder;
    wakeFeeder = undefined;
    f?.();
  };
  codec.on('readable', wake);
  codec.on('end', () => {
    ended = true;
    wake();
  });
  codec.on('drain', room);
  codec.on('error', (error) => {
    failure ??= { error };
    wake();
    room();
  });
  const feed = async (): Promise<void> => {
    try {
      for await (const b of source) {
        if (stopped || failure !== undefined) return;
        if (!codec.write(b)) await new Promise<void>((resolve) => (wakeFeeder = resolve));
      }
      if (!stopped && failure === undefined) codec.end();
    } catch (error) {
      // The source failed (a network error): passed on as it is, after what was decoded, so the caller retries.
      failure ??= { error };
      wake();
    }
  };
  const feeding = feed();
  try {
    for (;;) {
      const b = codec.read() as Buffer | null;
      if (b !== null) {
        yield b;
        continue;
      }
      if (failure !== undefined) throw failure.error;
      if (ended) return;
      await new Promise<void>((resolve) => (wakeReader = resolve));
    }
  } finally {
    stopped = true;
    room();
    codec.destroy();
    await feeding;
  }
}

/** A codec's failure as the input's fault (DecompressError), or as it is when the source failed (retried). */
function codecError(e: unknown, compression: DecodedCompression, inBytes: number): unknown {
  if (e instanceof DecompressError) return e;
  if (e instanceof ZstdFrameError) return new DecompressError(e.message, e.offset, { cause: e });
  const code = (e as { code?: string }).code;
  if (code === 'Z_BUF_ERROR') return new DecompressError(`${compression} stream is truncated`, inBytes, { cause: e });
  if (code === 'ZSTD_error_frameParameter_windowTooLarge') {
    return new DecompressError(
      `zstd frame needs a window over ${2 ** ZSTD_WINDOW_LOG_MAX} bytes (written with --long or --ultra): recompress without them`,
      inBytes,
      { cause: e, salvageable: false },
    );
  }
  if (code !== undefined && (code.startsWith('Z_') || code.startsWith('ZSTD_'))) {
    return new DecompressError(`${compression} stream is corrupt (${code})`, inBytes, { cause: e });
  }
  return e; // a source error: not the data's fault, let the caller retry
}

function toBuffer(v: unknown): Buffer {
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (typeof v === 'string') return Buffer.from(v);
  throw new TypeError('source yielded a non-binary chunk');
}
