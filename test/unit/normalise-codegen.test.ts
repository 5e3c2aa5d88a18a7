import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATASETS, generateLines } from '../../testkit/generate';

/** The four datasets with hand-tuned generators; the rest are schema-driven. */
const SEED_DATASETS: readonly string[] = ['http_requests', 'firewall_events', 'spectrum_events', 'audit_logs'];
import { normalise, normaliseGeneric } from '../../testkit/reference';
import { builtInRegistry } from '../../lib/record/registry';
import { variants } from '../support/variants';

const registry = builtInRegistry();

describe('the generated normaliser', () => {
  it('is in use for every built-in log type', () => {
    for (const lt of registry.logTypes()) expect(registry.require(lt).plan.compiled).toBeInstanceOf(Function);
  });

  it.each(DATASETS.map((d) => [d]))('gives exactly what the generic loop gives, for %s records and their variants', (dataset) => {
    const entry = registry.forDataset(dataset);
    if (!entry) throw new Error(`no schema for ${dataset}`);
    let compared = 0;
    for (const format of ['unixnano', 'unix', 'rfc3339ns'] as const) {
      // Wide schema-driven datasets vary every field of every line: a few lines are enough. A field's variant is
      // the same on every line, so the seed datasets need only enough lines to meet their optional fields' shapes.
      for (const line of generateLines({ dataset, lines: SEED_DATASETS.includes(dataset) ? 6 : 4, seed: 9, timestampFormat: format })) {
        for (const text of variants(line)) {
          const raw = JSON.parse(text) as Record<string, unknown>;
          const fast = normalise(entry.plan, raw, text);
          const slow = normaliseGeneric(entry.plan, JSON.parse(text) as Record<string, unknown>, text);
          // Same outcome, same column order, same values, same unknown fields.
          expect(JSON.stringify(fast)).toBe(JSON.stringify(slow));
          expect(Object.keys((fast as { row?: object }).row ?? {})).toEqual(Object.keys((slow as { row?: object }).row ?? {}));
          compared++;
        }
      }
    }
    // Every line in every variant: at least a few per field for the smallest schemas.
    expect(compared).toBeGreaterThan(50);
  });

  it('agrees with the generic loop on every golden input line', () => {
    const root = join(__dirname, '../fixtures/golden');
    for (const c of readdirSync(root)) {
      const meta = JSON.parse(readFileSync(join(root, c, 'meta.json'), 'utf8')) as { logType: string };
      const entry = registry.require(meta.logType);
      for (const text of readFileSync(join(root, c, 'input.ndjson'), 'utf8').split(/\r?\n/)) {
        let raw: unknown;
        try {
          raw = JSON.parse(text.replace(/^\uFEFF/, ''));
        } catch {
          continue;
        }
        if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) continue;
        const fast = normalise(entry.plan, raw as Record<string, unknown>, text);
        const slow = normaliseGeneric(entry.plan, JSON.parse(text.replace(/^\uFEFF/, '')) as Record<string, unknown>, text);
        expect(JSON.stringify(fast)).toBe(JSON.stringify(slow));
      }
    }
  });
});
