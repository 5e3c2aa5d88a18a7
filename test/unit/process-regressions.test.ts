import { DEFAULT_LIMITS, processStream } from '../../lib/pipeline/process';
import { builtInRegistry } from '../../lib/record/registry';
import type { OutputFile, RowSink } from '../../lib/lake/types';

test('the raw of a line_too_long reject holds only that line, not the lines after it', async () => {
  const rejects: string[] = [];
  const sink: RowSink = {
    row() {},
    reject(_t, json) { rejects.push(json); },
    pressure: () => undefined,
    commit: async (): Promise<OutputFile[]> => [],
    abort: async () => {},
  };
  const long = `{"EdgeStartTimestamp":1,"ClientCity":"${'x'.repeat(1100)}"}`;
  const next = '{"EdgeStartTimestamp":2,"ClientIP":"192.0.2.99"}';
  async function* body() { yield Buffer.from(`${long}\n${next}\n`); }
  await processStream(body(), {
    source: 's3://b/k', identity: 'b/k', entry: builtInRegistry().require('Cloudflare.HttpRequest'), location: { bucket: 'b', key: 'k' },
  }, { sink, now: new Date(0), limits: { ...DEFAULT_LIMITS, maxLineBytes: 1024 } });
  const rec = JSON.parse(rejects[0] as string) as { raw: string };
  expect(rec.raw).toBe(long);
});
