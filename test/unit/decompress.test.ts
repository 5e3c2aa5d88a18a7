import { gzipSync } from 'node:zlib';
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

  test.each(Object.entries(COMPRESSED_LINE))(
    '%s input is a DecompressError naming the compression, never salvaged, not text',
    async (name, hex) => {
      const e = await failure(decompress(chunksOf(Buffer.from(hex, 'hex')), LIMITS));
      expect(e).toBeInstanceOf(DecompressError);
      expect((e as DecompressError).message).toBe(`input is ${name}-compressed, which cflogs does not read (supported: gzip, uncompressed)`);
      expect((e as DecompressError).salvageable).toBe(false);
      expect((e as DecompressError).compressedOffset).toBe(0);
    },
  );

  test('a refused compression is recognised across one-byte chunks, and the source is released', async () => {
    const zstd = Buffer.from(COMPRESSED_LINE.zstd as string, 'hex');
    let released = false;
    async function* source(): AsyncGenerator<Buffer> {
      try {
        for (const b of split(zstd, 1)) yield b;
      } finally {
        released = true;
      }
    }
    const e = await failure(decompress(source(), LIMITS));
    expect((e as DecompressError).message).toMatch(/^input is zstd-compressed/);
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
