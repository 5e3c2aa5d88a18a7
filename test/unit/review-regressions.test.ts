import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { DEFAULT_LIMITS, processStream } from '../../lib/pipeline/process';
import { parseLine } from '../../lib/record/parser';
import { builtInRegistry } from '../../lib/record/registry';
import { MemorySink } from '../../testkit/memory-sink';

const entry = builtInRegistry().require('Cloudflare.HttpRequest');
const line = (i: number) => `{"EdgeStartTimestamp":${1762000000 + i},"RayID":"r${i}","ClientRequestPath":"/${'x'.repeat(200)}"}\n`;

/** A sink whose output fails on the third wait, like an upload that dies mid-object. */
class FailingSink extends MemorySink {
  private calls = 0;
  override pressure(): Promise<void> {
    this.calls++;
    return this.calls >= 3 ? Promise.reject(new Error('upload failed')) : Promise.resolve(undefined);
  }
}

describe('regressions found in review', () => {
  it.each([
    ['plain', (b: Buffer) => b],
    ['gzip', (b: Buffer) => gzipSync(b)],
  ])('a %s source is released when processing stops early', async (_kind, encode) => {
    const payload = encode(Buffer.from(Array.from({ length: 20000 }, (_, i) => line(i)).join('')));
    const chunks = Array.from({ length: Math.ceil(payload.length / 16384) }, (_, i) => payload.subarray(i * 16384, (i + 1) * 16384));
    const source = Readable.from(chunks, { objectMode: false });
    const sink = new FailingSink();
    await expect(
      processStream(source, { source: 's', identity: 's', entry, location: { key: 's' } }, { sink, now: new Date(), limits: DEFAULT_LIMITS }),
    ).rejects.toThrow('writing output failed');
    expect(sink.aborted).toBe(true);
    await new Promise((r) => setImmediate(r));
    expect(source.destroyed).toBe(true);
  });

  it('a long run of closing brackets is refused as invalid_json (with backtracking this line took minutes)', () => {
    const r = parseLine(entry, '}'.repeat(200000) + 'x');
    expect(r).toMatchObject({ ok: false, reject: { reason: 'invalid_json' } });
  });
});
