import { chooseLogType, detectLogType } from '../../lib/pipeline/log-type';
import { decompress } from '../../lib/decode/decompress';
import { builtInRegistry } from '../../lib/record/registry';
import { generateLines } from '../../testkit/generate';

const registry = builtInRegistry();
const keysOf = (lines: string[]) => lines.map((l) => Object.keys(JSON.parse(l) as object));
const detect = (lines: string[]) => chooseLogType(registry.fits(keysOf(lines)), lines.length);

describe('telling a log type from its records', () => {
  it.each(['http_requests', 'firewall_events', 'spectrum_events', 'audit_logs'] as const)('finds %s from generated Logpush lines', (dataset) => {
    const lines = [...generateLines({ dataset, lines: 5 })];
    expect(detect(lines).entry?.schema.dataset).toBe(dataset);
  });

  it('finds a dataset from a few of its own field names', () => {
    const line = JSON.stringify({ Datetime: '2026-11-01T10:00:00Z', QueryName: 'example.com.', QueryType: 1, SrcIP: '192.0.2.1', ResolverDecision: 'allowedOnNoPolicyMatch', RCode: 0 });
    expect(detect([line]).entry?.schema.logType).toBe('Cloudflare.GatewayDNS');
  });

  it('refuses to choose on an event time alone: many log types have it', () => {
    const d = detect(['{"Datetime":"2026-11-01T10:00:00Z"}']);
    expect(d.entry).toBeUndefined();
    expect(d.entry === undefined && d.why).toMatch(/^ambiguous: /);
  });

  it('refuses when no log type names most of the fields', () => {
    const d = detect(['{"Datetime":"2026-11-01T10:00:00Z","a":1,"b":2,"c":3,"d":4}']);
    expect(d.entry === undefined && d.why).toMatch(/^no log type names most of the fields/);
    expect(chooseLogType([], 0)).toEqual({ entry: undefined, why: 'no JSON object among the first lines' });
  });

  it('gives back a stream that yields every byte from the start, the looked-at ones included', async () => {
    const text = [...generateLines({ dataset: 'firewall_events', lines: 400 })].join('\n') + '\n';
    const chunks = Array.from({ length: Math.ceil(text.length / 1000) }, (_, i) => Buffer.from(text.slice(i * 1000, (i + 1) * 1000)));
    const { choice, stream } = await detectLogType(await decompress(chunks, { maxBytes: 1 << 30 }), registry);
    expect(choice.entry?.schema.logType).toBe('Cloudflare.Firewall');
    const out: Buffer[] = [];
    for await (const b of stream.chunks) out.push(b);
    expect(Buffer.concat(out).toString()).toBe(text);
  });

  it('releases the source when the stream is stopped after the look', async () => {
    let released = false;
    async function* source(): AsyncGenerator<Buffer> {
      try {
        for (let i = 0; i < 1000; i++) yield Buffer.from('{"Datetime":"2026-11-01T10:00:00Z"}\n'.repeat(100));
      } finally {
        released = true;
      }
    }
    const { stream } = await detectLogType(await decompress(source(), { maxBytes: 1 << 30 }), registry);
    for await (const _ of stream.chunks) break;
    expect(released).toBe(true);
  });
});
