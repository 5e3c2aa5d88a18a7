import { outputCodec, OutputCompression } from '../../lib/lake/codec';
import { objectBaseName } from '../../lib/lake/layout';
import { LocalStore } from '../../lib/lake/local-store';
import { LakeWriter } from '../../lib/lake/writer';
import { DEFAULT_LIMITS, processStream } from '../../lib/pipeline/process';
import { builtInRegistry } from '../../lib/record/registry';
import { formatDate } from '../../lib/record/timestamps';
import { Router } from '../../lib/route/router';
import { sampleObjects } from '../../scripts/samples';
import { tempDir } from './lake';

/** The demo's sample objects that route by their key, written to a new local lake by the real writer. */
export async function writeSampleLake(compression: OutputCompression, name = `samples-${compression}`): Promise<string> {
  const lake = tempDir(name);
  const router = new Router([], builtInRegistry());
  const now = new Date('2026-11-24T12:00:00Z');
  for (const sample of sampleObjects()) {
    const route = router.route(sample.key);
    if (!route || sample.key.includes('ownership-challenge')) continue;
    const identity = `s3://samples/${sample.key}`;
    const sink = new LakeWriter({
      store: new LocalStore(lake),
      prefix: '',
      baseName: objectBaseName(sample.key, identity),
      rejectTime: formatDate(now),
      codec: outputCodec(compression),
      maxOpenFiles: 16,
    });
    await processStream([sample.body], { source: identity, identity, entry: route.entry, location: { key: sample.key } }, { sink, now, limits: DEFAULT_LIMITS });
  }
  return lake;
}
