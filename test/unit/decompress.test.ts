import { gzipSync } from 'node:zlib';
import { decompress, DecompressError, sniffCompression } from '../../lib/decode/decompress';
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

describe('sniffCompression', () => {
  test('the gzip magic bytes decide, nothing else', () => {
    expect(sniffCompression(Buffer.from([0x1f, 0x8b, 0x08]))).toBe('gzip');
    expect(sniffCompression(Buffer.from('{"a":1}'))).toBe('none');
    expect(sniffCompression(Buffer.from([0x1f]))).toBe('none');
    expect(sniffCompression(Buffer.alloc(0))).toBe('none');
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

  test('a truncated gzip stream is a DecompressError that says so', async () => {
    const gz = gzipSync(TEXT);
    const d = await decompress(chunksOf(gz.subarray(0, Math.floor(gz.length / 2))), LIMITS);
    const e = await failure(readAll(d.chunks));
    expect(e).toBeInstanceOf(DecompressError);
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
