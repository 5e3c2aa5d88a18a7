/**
 * Objects of many small zstd frames: each frame costs a header read, not a decoder. The decoders zlib makes are
 * counted (not timed): none for empty frames or frames stored raw, no streaming decoder for small frames.
 */
import * as zlib from 'node:zlib';
import { decompress } from '../../lib/decode/decompress';

const made = { streams: 0, sync: 0, writes: 0 };
jest.mock('node:zlib', () => {
  const actual = jest.requireActual<typeof import('node:zlib')>('node:zlib');
  return {
    ...actual,
    createZstdDecompress: (...args: Parameters<typeof actual.createZstdDecompress>) => {
      made.streams++;
      const stream = actual.createZstdDecompress(...args);
      const write = stream.write.bind(stream) as (...a: unknown[]) => boolean;
      stream.write = (...a: unknown[]) => {
        made.writes++;
        return write(...a);
      };
      return stream;
    },
    zstdDecompressSync: (...args: Parameters<typeof actual.zstdDecompressSync>) => {
      made.sync++;
      return actual.zstdDecompressSync(...args);
    },
  };
});

const LIMITS = { maxBytes: 1 << 30 };
const checksum = { params: { [zlib.constants.ZSTD_c_checksumFlag]: 1 } };

async function* chunksOf(buf: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

async function decode(input: Buffer, chunkSize = 64 * 1024): Promise<{ text: Buffer; consumed: number }> {
  made.streams = 0;
  made.sync = 0;
  made.writes = 0;
  const d = await decompress(chunksOf(input, chunkSize), LIMITS);
  const out: Buffer[] = [];
  for await (const b of d.chunks) out.push(b);
  return { text: Buffer.concat(out), consumed: d.bytesConsumed() };
}

/** The type of a one-block frame's block, as the zstd format numbers them (0 raw, 1 RLE, 2 compressed). */
const blockType = (frame: Buffer): number => {
  const fhd = frame[4] as number;
  const header = 5 + ((fhd >> 5) & 1 ? 0 : 1) + ([0, 1, 2, 4][fhd & 3] as number) + (fhd >> 6 === 0 ? (fhd >> 5) & 1 : 1 << (fhd >> 6));
  return (frame.readUIntLE(header, 3) >> 1) & 3;
};

/**
 * `n` spaces as one RLE block, then a raw newline: the zstd library writes RLE blocks only after a frame's first
 * block (its own first-block rule), so a small frame of them is made by hand.
 */
const rleFrame = (n: number): Buffer => {
  const header = (last: number, type: number, size: number): Buffer => {
    const b = Buffer.alloc(3);
    b.writeUIntLE((size << 3) | (type << 1) | last, 0, 3);
    return b;
  };
  // Single segment with a one-byte content size.
  return Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x20, n + 1]), header(0, 1, n), Buffer.from(' '), header(1, 0, 1), Buffer.from('\n')]);
};

// The decoders are counted, not timed, so a few thousand frames (several input chunks, frames split across chunk
// boundaries) show the same as a hundred thousand would.
describe('decompress: objects of many small zstd frames', () => {
  test('20,000 empty frames, with and without a checksum, decode to nothing without a decoder', async () => {
    const bare = zlib.zstdCompressSync(Buffer.alloc(0));
    const summed = zlib.zstdCompressSync(Buffer.alloc(0), checksum);
    expect([bare.length, summed.length]).toEqual([9, 13]);
    const input = Buffer.concat(Array.from({ length: 20_000 }, (_, i) => (i % 2 ? summed : bare)));
    for (const chunkSize of [64 * 1024, 1000, 7]) {
      const { text, consumed } = await decode(input, chunkSize);
      expect([chunkSize, text.length, consumed, made.streams, made.sync]).toEqual([chunkSize, 0, input.length, 0, 0]);
    }
  });

  test('10,000 frames of one short line each, stored raw or repeated (RLE), come out whole and in order without a decoder', async () => {
    const lines = Array.from({ length: 10_000 }, (_, i) => (i % 10 === 9 ? ' '.repeat(200) + '\n' : `{"i":${i}}\n`));
    const frames = lines.map((l, i) => (i % 10 === 9 ? rleFrame(200) : zlib.zstdCompressSync(Buffer.from(l))));
    expect(new Set(frames.map(blockType))).toEqual(new Set([0, 1]));
    // The library reads the hand-made frame as the same line.
    expect(zlib.zstdDecompressSync(rleFrame(200)).toString()).toBe(lines[9]);
    const input = Buffer.concat(frames);
    const { text, consumed } = await decode(input);
    expect(text.toString()).toBe(lines.join(''));
    expect([consumed, made.streams, made.sync]).toEqual([input.length, 0, 0]);
  });

  test('5,000 frames of one compressed line each, some with a checksum, come out whole and in order without a streaming decoder', async () => {
    const lines = Array.from({ length: 5_000 }, (_, i) => `{"EdgeStartTimestamp":"2026-11-01T10:00:00Z","RayID":"${i.toString(16).padStart(16, '0')}","ClientIP":"10.0.${i % 256}.${i >> 8}","ClientRequestHost":"www.example.com"}\n`);
    const frames = lines.map((l, i) => zlib.zstdCompressSync(Buffer.from(l), i % 2 ? checksum : {}));
    expect(new Set(frames.map(blockType))).toEqual(new Set([2]));
    const input = Buffer.concat(frames);
    const { text, consumed } = await decode(input, 16 * 1024);
    expect(text.toString()).toBe(lines.join(''));
    expect([consumed, made.streams, made.sync]).toEqual([input.length, 0, frames.length]);
  });

  test('a large frame still streams through one decoder, between small frames', async () => {
    const big = Buffer.from(Array.from({ length: 100_000 }, (_, i) => `{"n":${(i * 7919) % 100_003}}\n`).join(''));
    const small = Buffer.from('{"small":1}\n');
    const input = Buffer.concat([zlib.zstdCompressSync(small), zlib.zstdCompressSync(big), zlib.zstdCompressSync(small)]);
    const { text, consumed } = await decode(input, 16 * 1024);
    expect(text.equals(Buffer.concat([small, big, small]))).toBe(true);
    expect([consumed, made.streams]).toEqual([input.length, 1]);
  });

  test('a large frame of 100,000 empty blocks goes to its decoder a chunk at a time, not a block at a time', async () => {
    const line = Buffer.from('{"after":"the empty blocks"}\n');
    const last = Buffer.alloc(3);
    last.writeUIntLE((line.length << 3) | 1, 0, 3);
    // A window descriptor (1 KiB), no content size; empty raw blocks are three zero bytes each.
    const input = Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x00]), Buffer.alloc(3 * 100_000), last, line]);
    expect(zlib.zstdDecompressSync(input).equals(line)).toBe(true);
    const { text, consumed } = await decode(input, 16 * 1024);
    expect(text.equals(line)).toBe(true);
    expect([consumed, made.streams]).toEqual([input.length, 1]);
    expect(made.writes).toBeLessThanOrEqual(Math.ceil(input.length / (16 * 1024)) + 1);
  });
});
