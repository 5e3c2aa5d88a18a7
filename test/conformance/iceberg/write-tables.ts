/**
 * Writes an Iceberg warehouse from the demo's sample objects, as the pipeline and the committer would: each object
 * parsed into Parquet data files by the real lake writer, each object's files handed to the committer
 * (lib/iceberg/commit.ts) on a local catalog. The same hand-off is delivered three times, two commits race, and one
 * object's files are written twice (a crash after the data files, before the commit): the tables must still hold
 * each row once. Prints the warehouse's tables and what each must hold (count, row ids, event times to the
 * microsecond), for check_tables.py to compare with what pyiceberg reads.
 *
 * Run by test/conformance/iceberg/run.ts (`npm run conformance:iceberg`).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { appendHandoffs, Handoff, handoffOf } from '../../../lib/iceberg/commit';
import { LocalCatalog, localFiles } from '../../../lib/iceberg/catalog';
import { outputCodec } from '../../../lib/lake/codec';
import { eventColumns } from '../../../lib/lake/format';
import { objectBaseName } from '../../../lib/lake/layout';
import { LocalStore } from '../../../lib/lake/local-store';
import { LakeWriter } from '../../../lib/lake/writer';
import { DEFAULT_LIMITS, processStream } from '../../../lib/pipeline/process';
import { builtInRegistry } from '../../../lib/record/registry';
import { formatDate } from '../../../lib/record/timestamps';
import { Router } from '../../../lib/route/router';
import { sampleObjects } from '../../../scripts/samples';
import { MemorySink } from '../../../testkit/memory-sink';

export async function writeTables(out: string): Promise<void> {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const warehouse = join(out, 'warehouse');
  const catalog = new LocalCatalog(warehouse);
  const deps = { catalog, ...localFiles, now: () => Date.parse('2026-11-24T12:00:00Z') };
  const registry = builtInRegistry();
  const router = new Router([], registry);
  const now = new Date('2026-11-24T12:00:00Z');
  const handoffs = new Map<string, Handoff[]>();
  const expected = new Map<string, { rowId: string; eventTime: string; ips: string[] | null }[]>();

  for (const sample of sampleObjects()) {
    const route = router.route(sample.key);
    if (!route || sample.key.includes('ownership-challenge')) continue;
    const identity = `s3://samples/${sample.key}`;
    const input = { source: identity, identity, entry: route.entry, location: { key: sample.key } };
    const columns = eventColumns(route.entry.schema, 'parquet');
    const writeFiles = async () => {
      const sink = new LakeWriter({
        store: new LocalStore(join(out, 'data')),
        prefix: '',
        baseName: objectBaseName(sample.key, identity),
        rejectTime: formatDate(now),
        codec: outputCodec('zstd'),
        maxOpenFiles: 4,
        format: { name: 'parquet', columns: () => columns },
      });
      const s = await processStream([sample.body], input, { sink, now, limits: DEFAULT_LIMITS });
      return s.outputs.filter((o) => o.kind === 'events');
    };
    // A crash after the data files, before the hand-off: the redelivery writes the same files again.
    if (sample.key.includes('firewall_events')) await writeFiles();
    const files = await writeFiles();
    if (files.length === 0) continue;
    const table = route.entry.plan.table;
    const h = handoffOf(identity, files, (key) => join(out, 'data', key));
    handoffs.set(table, [...(handoffs.get(table) ?? []), h]);
    // What the table must hold: the rows of the same input, as the row writer writes them.
    const mem = new MemorySink();
    await processStream([sample.body], input, { sink: mem, now, limits: DEFAULT_LIMITS });
    const rows = mem.rows.map((r) => JSON.parse(r.json) as { p_row_id: string; p_event_time: string; p_any_ip_addresses?: string[] });
    expected.set(table, [...(expected.get(table) ?? []), ...rows.map((r) => ({ rowId: r.p_row_id, eventTime: r.p_event_time, ips: r.p_any_ip_addresses ?? null }))]);
  }

  const report: Record<string, unknown> = {};
  for (const [table, hs] of handoffs) {
    const entry = registry.schemas().find((s) => s.table === table);
    if (!entry) throw new Error(`no schema for ${table}`);
    const columns = eventColumns(entry, 'parquet');
    const [first, ...rest] = hs as [Handoff, ...Handoff[]];
    // The first hand-off three times, then the rest racing each other in pairs.
    for (let i = 0; i < 3; i++) await appendHandoffs(deps, table, columns, [first]);
    for (let i = 0; i < rest.length; i += 2) {
      await Promise.all(rest.slice(i, i + 2).map((h) => appendHandoffs(deps, table, columns, [h])));
    }
    const again = await appendHandoffs(deps, table, columns, hs);
    if (again.committed.length !== 0) throw new Error(`${table}: a hand-off delivered again was committed again`);
    const loaded = await catalog.load(table);
    if (!loaded) throw new Error(`${table}: no table`);
    report[table] = { metadata: loaded.metadataLocation, snapshots: loaded.metadata.snapshots.length, rows: expected.get(table) };
  }
  writeFileSync(join(out, 'expected.json'), JSON.stringify(report));
  process.stdout.write(`${Object.keys(report).length} tables in ${warehouse}\n`);
}
