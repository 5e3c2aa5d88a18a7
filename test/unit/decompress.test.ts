import { once } from 'node:events';
import { constants, createZstdCompress, gzipSync, zstdCompressSync } from 'node:zlib';
import { decompress, DecompressError, sniffCompression } from '../../lib/decode/decompress';
import { CflogsError } from '../../lib/errors';
import { failure } from '../support/failure';

async function* chunksOf(...parts: (Buffer | Uint8Array | string)[]): AsyncGenerator<Buffer> {
  for (const p of parts) yield p as Buffer;
}

/** Splits a buffer into chunks of `size` bytes. */
function split(buf: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size));
  return out;
}

async function readAll(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of chunks) out.push(c);
  return Buffer.concat(out);
}

const TEXT = Buffer.from('{"a":1}\n{"b":2}\n'.repeat(1000));
const LIMITS = { maxBytes: 1 << 30 };

/** One log line compressed by the real tools (`zstd`, `bzip2`, `xz`, `lz4`, `zip`), as hex. */
const COMPRESSED_LINE: Record<string, string> = {
  zstd: '28b52ffd04587101007b2245646765537461727454696d657374616d70223a22323032362d31312d30315431303a30303a30305a227d0a44ecbf2a',
  bzip2:
    '425a68393141592653592597090e0000165f8000101002711002000c1026a25c0a20002229fa93d219a8c2669ea141a3468320343e60d24d14932b20a2f3e88c2082fd15095c3e59dd44f449aec5dc914e14240965c24380',
  xz: 'fd377a585a000004e6d6b4460200210116000000742fe5a301002d7b2245646765537461727454696d657374616d70223a22323032362d31312d30315431303a30303a30305a227d0a000000f7189b8d660bdad50001462e6750735a1fb6f37d010000000004595a',
  lz4: '04224d186440a72e0000807b2245646765537461727454696d657374616d70223a22323032362d31312d30315431303a30303a30305a227d0a00000000ad2a268e',
  // The start of a zip archive: its first local file header.
  zip: '504b03041400000008003ab7815d73f607f72d0000002e00000005001c006c2e6c6f675554090003',
};

describe('sniffCompression', () => {
  test('the gzip magic bytes decide, nothing else', () => {
    expect(sniffCompression(Buffer.from([0x1f, 0x8b, 0x08]))).toBe('gzip');
    expect(sniffCompression(Buffer.from('{"a":1}'))).toBe('none');
    expect(sniffCompression(Buffer.from([0x1f]))).toBe('none');
    expect(sniffCompression(Buffer.alloc(0))).toBe('none');
  });

  test.each(Object.entries(COMPRESSED_LINE))('%s output is recognised by its magic bytes', (name, hex) => {
    expect(sniffCompression(Buffer.from(hex, 'hex'))).toBe(name);
  });

  test('every magic cflogs refuses by name is recognised, and its near misses are plain', () => {
    const cases: [number[] | string, string][] = [
      [[0x28, 0xb5, 0x2f, 0xfd], 'zstd'],
      // zstd skippable frames, 0x184D2A50..0x184D2A5F little-endian (pzstd, seekable zstd)
      [[0x50, 0x2a, 0x4d, 0x18, 0, 0, 0, 0], 'zstd'],
      [[0x5f, 0x2a, 0x4d, 0x18, 0, 0, 0, 0], 'zstd'],
      [[0x60, 0x2a, 0x4d, 0x18, 0, 0, 0, 0], 'none'],
      ['BZh9', 'bzip2'],
      ['BZh1', 'bzip2'],
      ['BZh0', 'none'],
      ['BZh', 'none'],
      [[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], 'xz'],
      [[0xfd, 0x37, 0x7a, 0x58, 0x5a], 'none'],
      [[0x04, 0x22, 0x4d, 0x18], 'lz4'],
      [[0x02, 0x21, 0x4c, 0x18], 'lz4'], // the legacy frame (lz4 -l)
      ['PK\x03\x04', 'zip'],
      ['PK\x05\x06', 'zip'], // an empty archive
      ['PK', 'none'],
    ];
    for (const [bytes, name] of cases) {
      const head = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : Buffer.from(bytes);
      expect([head.toString('hex'), sniffCompression(head)]).toEqual([head.toString('hex'), name]);
    }
  });
});

describe('decompress', () => {
  test('gzip input is recognised by its magic bytes and inflated', async () => {
    const gz = gzipSync(TEXT);
    const d = await decompress(chunksOf(...split(gz, 100)), LIMITS);
    expect(d.compression).toBe('gzip');
    expect((await readAll(d.chunks)).equals(TEXT)).toBe(true);
    expect(d.bytesIn()).toBe(gz.length);
    expect(d.bytesOut()).toBe(TEXT.length);
  });

  test('plain input passes through unchanged', async () => {
    const d = await decompress(chunksOf(...split(TEXT, 777)), LIMITS);
    expect(d.compression).toBe('none');
    expect((await readAll(d.chunks)).equals(TEXT)).toBe(true);
    expect(d.bytesIn()).toBe(TEXT.length);
    expect(d.bytesOut()).toBe(TEXT.length);
  });

  test('a multi-member gzip (concatenated members) yields every member', async () => {
    const a = Buffer.from('{"member":1}\n');
    const b = Buffer.from('{"member":2}\n');
    const c = Buffer.from('{"member":3}\n');
    const gz = Buffer.concat([gzipSync(a), gzipSync(b), gzipSync(c)]);
    const d = await decompress(chunksOf(gz), LIMITS);
    expect((await readAll(d.chunks)).toString()).toBe('{"member":1}\n{"member":2}\n{"member":3}\n');
  });

  test('a first chunk of one byte is enough to sniff gzip', async () => {
    const gz = gzipSync(TEXT);
    const d = await decompress(chunksOf(gz.subarray(0, 1), gz.subarray(1)), LIMITS);
    expect(d.compression).toBe('gzip');
    expect((await readAll(d.chunks)).equals(TEXT)).toBe(true);
  });

  test('gzip delivered one byte per chunk inflates the same', async () => {
    const small = Buffer.from('{"x":"one byte at a time"}\n');
    const gz = gzipSync(small);
    const d = await decompress(chunksOf(...split(gz, 1)), LIMITS);
    expect(d.compression).toBe('gzip');
    expect((await readAll(d.chunks)).equals(small)).toBe(true);
  });

  test('plain input of a single byte, and an empty input, are plain', async () => {
    const one = await decompress(chunksOf(Buffer.from('x')), LIMITS);
    expect(one.compression).toBe('none');
    expect((await readAll(one.chunks)).toString()).toBe('x');
    const empty = await decompress(chunksOf(), LIMITS);
    expect(empty.compression).toBe('none');
    expect((await readAll(empty.chunks)).length).toBe(0);
  });

  test('Uint8Array and string chunks are accepted as bytes', async () => {
    const d = await decompress(chunksOf(new Uint8Array([0x61, 0x62]), 'cd'), LIMITS);
    expect((await readAll(d.chunks)).toString()).toBe('abcd');
  });

  test('a truncated gzip stream is a DecompressError (a CflogsError) that says so', async () => {
    const gz = gzipSync(TEXT);
    const d = await decompress(chunksOf(gz.subarray(0, Math.floor(gz.length / 2))), LIMITS);
    const e = await failure(readAll(d.chunks));
    expect(e).toBeInstanceOf(DecompressError);
    expect(e).toBeInstanceOf(CflogsError);
    expect((e as DecompressError).message).toMatch(/truncated/);
  });

  test('a gzip stream cut just before its trailer is truncated too', async () => {
    const gz = gzipSync(TEXT);
    const d = await decompress(chunksOf(gz.subarray(0, gz.length - 4)), LIMITS);
    expect(await failure(readAll(d.chunks))).toBeInstanceOf(DecompressError);
  });

  test('a truncated input gives the same bytes before its error whether the reader keeps up or lags (salvage is deterministic)', async () => {
    const text = Buffer.from(Array.from({ length: 100_000 }, (_, i) => `{"i":${i},"r":"${((i * 2654435761) % 4294967296).toString(36)}"}\n`).join(''));
    for (const packed of [gzipSync(text), zstdCompressSync(text)]) {
      const cut = packed.subarray(0, Math.floor(packed.length * 0.7));
      const readOut = async (lag: number): Promise<number> => {
        const d = await decompress(chunksOf(...split(cut, 16 * 1024)), LIMITS);
        let n = 0;
        const e = await failure((async () => {
          for await (const b of d.chunks) {
            n += b.length;
            if (lag) await new Promise((r) => setTimeout(r, lag));
          }
        })());
        expect((e as DecompressError).message).toMatch(/stream is truncated/);
        return n;
      };
      const fast = await readOut(0);
      expect(fast).toBeGreaterThan(text.length / 2);
      expect(await readOut(5)).toBe(fast);
    }
  });

  test('a corrupt gzip stream (bad checksum) is a DecompressError naming the zlib code', async () => {
    const gz = Buffer.from(gzipSync(TEXT));
    gz[gz.length - 8] = (gz[gz.length - 8] as number) ^ 0xff; // CRC32 in the trailer
    const d = await decompress(chunksOf(gz), LIMITS);
    const e = await failure(readAll(d.chunks));
    expect(e).toBeInstanceOf(DecompressError);
    expect((e as DecompressError).message).toMatch(/corrupt \(Z_/);
  });

  test('garbage after the gzip magic bytes is corrupt', async () => {
    const bad = Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), Buffer.alloc(64, 0xab)]);
    const d = await decompress(chunksOf(bad), LIMITS);
    expect(d.compression).toBe('gzip');
    expect(await failure(readAll(d.chunks))).toBeInstanceOf(DecompressError);
  });

  test('the decompressed size limit stops a gzip bomb', async () => {
    const bomb = gzipSync(Buffer.alloc(10 * 1024 * 1024));
    const d = await decompress(chunksOf(bomb), { maxBytes: 1024 * 1024 });
    const e = await failure(readAll(d.chunks));
    expect(e).toBeInstanceOf(DecompressError);
    expect((e as DecompressError).message).toMatch(/exceeds the limit of 1048576 bytes/);
    expect(d.bytesOut()).toBeLessThan(10 * 1024 * 1024);
  });

  test('the size limit applies to plain input too', async () => {
    const d = await decompress(chunksOf(Buffer.alloc(50, 0x61), Buffer.alloc(51, 0x61)), { maxBytes: 100 });
    expect(await failure(readAll(d.chunks))).toBeInstanceOf(DecompressError);
  });

  test('input of exactly the limit is accepted', async () => {
    const d = await decompress(chunksOf(gzipSync(Buffer.alloc(100, 0x61))), { maxBytes: 100 });
    expect((await readAll(d.chunks)).length).toBe(100);
  });

  test.each(Object.entries(COMPRESSED_LINE).filter(([name]) => name !== 'zstd'))(
    '%s input is a DecompressError naming the compression, never salvaged, not text',
    async (name, hex) => {
      const e = await failure(decompress(chunksOf(Buffer.from(hex, 'hex')), LIMITS));
      expect(e).toBeInstanceOf(DecompressError);
      expect((e as DecompressError).message).toBe(`input is ${name}-compressed, which cflogs does not read (supported: gzip, zstd, uncompressed)`);
      expect((e as DecompressError).salvageable).toBe(false);
      expect((e as DecompressError).compressedOffset).toBe(0);
    },
  );

  test('a refused compression is recognised across one-byte chunks, and the source is released', async () => {
    const xz = Buffer.from(COMPRESSED_LINE.xz as string, 'hex');
    let released = false;
    async function* source(): AsyncGenerator<Buffer> {
      try {
        for (const b of split(xz, 1)) yield b;
      } finally {
        released = true;
      }
    }
    const e = await failure(decompress(source(), LIMITS));
    expect((e as DecompressError).message).toMatch(/^input is xz-compressed/);
    expect(released).toBe(true);
  });

  test('an error of the source itself is passed on, not disguised as bad data', async () => {
    const gz = gzipSync(TEXT);
    async function* failing(): AsyncGenerator<Buffer> {
      yield gz.subarray(0, 20);
      throw new Error('connection reset');
    }
    const d = await decompress(failing(), LIMITS);
    const e = await failure(readAll(d.chunks));
    expect(e).not.toBeInstanceOf(DecompressError);
    expect((e as Error).message).toMatch(/connection reset/);
  });
});

describe('decompress: zstd', () => {
  const zstd = (text: Buffer | string, params: Record<number, number> = {}) => zstdCompressSync(text, { params });
  const skippable = (payload: Buffer) => {
    const head = Buffer.alloc(8);
    head.writeUInt32LE(0x184d2a53, 0);
    head.writeUInt32LE(payload.length, 4);
    return Buffer.concat([head, payload]);
  };
  const read = async (...chunks: Buffer[]) => {
    const d = await decompress(chunksOf(...chunks), LIMITS);
    return { text: (await readAll(d.chunks)).toString('utf8'), d };
  };

  test("the zstd tool's own output is read", async () => {
    const { text, d } = await read(Buffer.from(COMPRESSED_LINE.zstd as string, 'hex'));
    expect(text).toBe('{"EdgeStartTimestamp":"2026-11-01T10:00:00Z"}\n');
    expect(d.compression).toBe('zstd');
  });

  // Node's decompressor alone returns only the first frame of these: every frame must come out.
  const a = Buffer.from('{"a":1}\n'.repeat(3000));
  const b = Buffer.from('{"b":2}\n');
  const c = Buffer.from(Array.from({ length: 5000 }, (_, i) => `{"c":${(i * 7919) % 10007},"r":"${((i * 104729) % 65536).toString(36)}"}\n`).join(''));
  const frames = Buffer.concat([zstd(a, { [constants.ZSTD_c_checksumFlag]: 1 }), skippable(Buffer.from('seek table')), zstd(b), zstd(c, { [constants.ZSTD_c_compressionLevel]: 19 })]);
  const all = Buffer.concat([a, b, c]).toString('utf8');

  test('several frames, and a skippable frame between them, all come out in one chunk', async () => {
    expect((await read(frames)).text).toBe(all);
  });

  test('frames come out whole wherever the chunks are cut, and one byte at a time', async () => {
    for (let cut = 1; cut < frames.length; cut += 97) {
      expect((await read(frames.subarray(0, cut), frames.subarray(cut))).text).toBe(all);
    }
    expect((await read(...split(frames, 1))).text).toBe(all);
  });

  test('raw and RLE blocks (incompressible and repeated bytes) are framed right', async () => {
    const noise = Buffer.alloc(300_000);
    for (let i = 0, x = 1; i < noise.length; i++) noise[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
    const text = Buffer.concat([noise, Buffer.alloc(500_000, 0x20)]);
    const both = Buffer.concat([zstd(text), zstd(text)]);
    const out = await decompress(chunksOf(...split(both, 65536)), LIMITS);
    expect((await readAll(out.chunks)).equals(Buffer.concat([text, text]))).toBe(true);
  });

  test('a truncated stream is a DecompressError that says so, wherever it is cut', async () => {
    for (const cut of [4, 5, 12, frames.length - 1, zstd(a).length - 2, zstd(a).length + 2]) {
      const e = await failure(read(frames.subarray(0, cut)));
      expect(e).toBeInstanceOf(DecompressError);
      expect((e as DecompressError).message).toMatch(/^zstd stream is truncated/);
    }
  });

  test('a truncated stream gives every whole block before the error, as gzip does (a salvage keeps those rows)', async () => {
    const big = Buffer.from(Array.from({ length: 40_000 }, (_, i) => `{"i":${i},"r":"${((i * 2654435761) % 4294967296).toString(36)}"}\n`).join(''));
    const one = zstd(big);
    const d = await decompress(chunksOf(...split(one.subarray(0, Math.floor(one.length * 0.8)), 4096)), LIMITS);
    const got: Buffer[] = [];
    const e = await failure((async () => {
      for await (const b of d.chunks) got.push(b);
    })());
    expect((e as DecompressError).message).toMatch(/^zstd stream is truncated/);
    // zstd decodes whole blocks of 128 KiB at most: all but the cut one come out, and they are the input's start.
    const out = Buffer.concat(got);
    expect(out.length).toBeGreaterThanOrEqual(128 * 1024);
    expect(out.equals(big.subarray(0, out.length))).toBe(true);
  });

  test('corrupt data and garbage after a frame are DecompressErrors', async () => {
    const one = zstd(c, { [constants.ZSTD_c_checksumFlag]: 1 });
    const bad = Buffer.from(one);
    const mid = Math.floor(bad.length / 2);
    bad[mid] = (bad[mid] as number) ^ 0xff;
    const e = await failure(read(bad));
    expect(e).toBeInstanceOf(DecompressError);
    expect((e as DecompressError).message).toMatch(/^zstd stream is corrupt \(ZSTD_error_|^zstd (block|frame)/);
    const g = await failure(read(Buffer.concat([one, Buffer.from('{"not":"zstd"}\n')])));
    expect((g as DecompressError).message).toBe('data after a zstd frame is not a zstd frame');
  });

  test('the decompressed size limit stops a zstd bomb', async () => {
    const bomb = zstd(Buffer.alloc(10_000_000, 0x61));
    expect(bomb.length).toBeLessThan(2000);
    const d = await decompress(chunksOf(bomb), { maxBytes: 1_000_000 });
    const e = await failure(readAll(d.chunks));
    expect((e as DecompressError).message).toMatch(/exceeds the limit/);
  });

  test('a frame asking for a window over 16 MiB is refused, not allocated, and never salvaged', async () => {
    // Streamed with flushes, so zstd cannot shrink the window to the input's size: the header asks for 128 MiB.
    const z = createZstdCompress({ params: { [constants.ZSTD_c_windowLog]: 27 } });
    const parts: Buffer[] = [];
    z.on('data', (p: Buffer) => parts.push(p));
    for (let i = 0; i < 3; i++) {
      z.write(a);
      await new Promise<void>((r) => z.flush(() => r()));
    }
    z.end();
    await once(z, 'end');
    const d = await decompress(chunksOf(Buffer.concat(parts)), LIMITS);
    const e = await failure(readAll(d.chunks));
    expect(e).toBeInstanceOf(DecompressError);
    expect((e as DecompressError).message).toMatch(/needs a window over 16777216 bytes/);
    expect((e as DecompressError).salvageable).toBe(false);
  });
});

describe('decompress: every byte of the input is decoded or refused', () => {
  const ten = Buffer.from(Array.from({ length: 10 }, (_, i) => `{"first":${i}}\n`).join(''));
  const rest = Buffer.from(Array.from({ length: 990 }, (_, i) => `{"second":${i}}\n`).join(''));
  /** Reads a decoded stream to its end or its error, keeping what came out before. */
  const drain = async (d: { chunks: AsyncIterable<Buffer> }): Promise<{ out: Buffer; error: unknown }> => {
    const out: Buffer[] = [];
    try {
      for await (const b of d.chunks) out.push(b);
      return { out: Buffer.concat(out), error: undefined };
    } catch (error) {
      return { out: Buffer.concat(out), error };
    }
  };
  /** Whole, one byte at a time, and cut at and around `at`. */
  const cuts = (buf: Buffer, at: number): Buffer[][] => [
    [buf],
    split(buf, 1),
    split(buf, 4096),
    ...[at - 1, at, at + 1].map((c) => [buf.subarray(0, c), buf.subarray(c)]),
  ];

  test('a gzip member, a zero byte, then another member: refused at the zero byte, after the first member came out, wherever the chunks are cut', async () => {
    const first = gzipSync(ten);
    const input = Buffer.concat([first, Buffer.from([0x00]), gzipSync(rest)]);
    for (const parts of cuts(input, first.length)) {
      const { out, error } = await drain(await decompress(chunksOf(...parts), LIMITS));
      expect(error).toBeInstanceOf(DecompressError);
      expect((error as DecompressError).message).toBe('the gzip stream ends before the input does: the bytes after it are not a gzip member');
      expect((error as DecompressError).compressedOffset).toBe(first.length);
      // Corruption, not an unreadable format: retried, then salvaged.
      expect((error as DecompressError).salvageable).toBe(true);
      expect(out.equals(ten)).toBe(true);
    }
  });

  test('zero padding after the last gzip member is refused at its offset, as gzip(1) would warn', async () => {
    const gz = gzipSync(TEXT);
    for (const pad of [1, 3, 512]) {
      const input = Buffer.concat([gz, Buffer.alloc(pad)]);
      for (const parts of cuts(input, gz.length)) {
        const { out, error } = await drain(await decompress(chunksOf(...parts), LIMITS));
        expect([pad, (error as DecompressError).compressedOffset]).toEqual([pad, gz.length]);
        expect(out.equals(TEXT)).toBe(true);
      }
    }
  });

  test('a multi-member gzip is read whole: every byte read is consumed', async () => {
    const members = Buffer.concat([gzipSync(ten), gzipSync(rest), gzipSync(Buffer.alloc(0)), gzipSync(ten)]);
    for (const parts of cuts(members, gzipSync(ten).length)) {
      const d = await decompress(chunksOf(...parts), LIMITS);
      const { out, error } = await drain(d);
      expect(error).toBeUndefined();
      expect(out.equals(Buffer.concat([ten, rest, ten]))).toBe(true);
      expect([d.bytesIn(), d.bytesConsumed()]).toEqual([members.length, members.length]);
    }
  });

  test('bytes after the last zstd frame that are not a frame are refused at their offset; a frame cut in its magic is truncated', async () => {
    const frames = Buffer.concat([zstdCompressSync(ten), zstdCompressSync(rest)]);
    const trailers: [string, Buffer][] = [
      ['one zero byte', Buffer.from([0x00])],
      ['three zero bytes', Buffer.alloc(3)],
      ['zero padding', Buffer.alloc(512)],
      ['text', Buffer.from('{"after":"the frames"}\n')],
      ['a gzip member', gzipSync(rest)],
    ];
    for (const [name, trailer] of trailers) {
      const input = Buffer.concat([frames, trailer]);
      for (const parts of cuts(input, frames.length)) {
        const { out, error } = await drain(await decompress(chunksOf(...parts), LIMITS));
        expect([name, (error as DecompressError).message, (error as DecompressError).compressedOffset]).toEqual([
          name,
          'data after a zstd frame is not a zstd frame',
          frames.length,
        ]);
        expect(out.equals(Buffer.concat([ten, rest]))).toBe(true);
      }
    }
    const cut = await drain(await decompress(chunksOf(frames, Buffer.from([0x28, 0xb5])), LIMITS));
    expect((cut.error as DecompressError).message).toMatch(/^zstd stream is truncated/);
  });

  test('zstd and plain input: every byte read is consumed', async () => {
    const frames = Buffer.concat([zstdCompressSync(ten), zstdCompressSync(rest)]);
    for (const [input, text] of [
      [frames, Buffer.concat([ten, rest])],
      [TEXT, TEXT],
    ] as const) {
      const d = await decompress(chunksOf(...split(input, 1000)), LIMITS);
      expect((await drain(d)).out.equals(text)).toBe(true);
      expect([d.bytesIn(), d.bytesConsumed()]).toEqual([input.length, input.length]);
    }
  });
});
