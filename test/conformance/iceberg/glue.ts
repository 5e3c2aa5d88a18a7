/**
 * The Glue catalog (lib/aws/glue-catalog.ts) against moto's Glue in server mode: moto_server from the Python virtual
 * environment (`.out/pyenv`, `pip install 'moto[server]'`), started here on a free port and stopped at the end.
 *
 * 1. Probes what moto enforces: CreateTable of an existing table, GetTable's VersionId, and UpdateTable with a stale
 *    VersionId. moto 5 accepts the stale VersionId (AWS answers ConcurrentModificationException, "Update table
 *    failed due to concurrent modifications"), so the committers below talk to moto through a proxy that adds
 *    AWS's check: UpdateTables one at a time, each refused when its VersionId is not the table's current one.
 * 2. Writes Parquet data files from the demo's sample objects (the real lake writer) and commits them with
 *    appendHandoffs on the Glue catalog: each table's first hand-off three times, then the others two at a time
 *    from two committers (two GlueCatalogs, as two Lambda invocations), then all of them again. Metadata, manifests
 *    and data files are in a local directory standing in for S3.
 * 3. Checks with GetTable that each table is registered as Athena and the Glue table optimizers read it (table_type
 *    ICEBERG, metadata_location at the current metadata file, previous_metadata_location, location and columns),
 *    and that the current metadata's snapshots name every input exactly once.
 * 4. Runs check_glue.py: pyiceberg's own GlueCatalog loads each table from moto, counts its rows, and commits to it
 *    (a table property); then cflogs loads pyiceberg's metadata file, finds its inputs committed, and appends on it.
 *
 * usage: tsx test/conformance/iceberg/glue.ts [OUT_DIR]   (default .out/iceberg-glue; Python from CFLOGS_PYTHON)
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateDatabaseCommand, CreateTableCommand, GetTableCommand, GlueClient, UpdateTableCommand } from '@aws-sdk/client-glue';
import { GlueCatalog, glueColumns } from '../../../lib/aws/glue-catalog';
import { localFiles } from '../../../lib/iceberg/catalog';
import { appendHandoffs, committedInputs, Handoff, INPUTS_KEY } from '../../../lib/iceberg/commit';
import type { TableMetadata } from '../../../lib/iceberg/metadata';
import type { LakeColumn } from '../../../lib/lake/format';
import { checkGlue, finish, glueClient, startMoto, startVersionCheck } from './moto';
import { sampleHandoffs } from './write-tables';

const ROOT = join(__dirname, '..', '..', '..');
const DATABASE = 'cflogs';

/** What moto does with a stale VersionId and a second CreateTable. */
async function probe(client: GlueClient): Promise<{ versionIds: (string | undefined)[]; staleUpdate: string; createAgain: string }> {
  const table = { Name: 'probe', TableType: 'EXTERNAL_TABLE', Parameters: { v: '1' } };
  await client.send(new CreateTableCommand({ DatabaseName: DATABASE, TableInput: table }));
  const v1 = (await client.send(new GetTableCommand({ DatabaseName: DATABASE, Name: 'probe' }))).Table?.VersionId;
  await client.send(new UpdateTableCommand({ DatabaseName: DATABASE, TableInput: { ...table, Parameters: { v: '2' } }, VersionId: v1 }));
  const v2 = (await client.send(new GetTableCommand({ DatabaseName: DATABASE, Name: 'probe' }))).Table?.VersionId;
  const outcome = (p: Promise<unknown>) =>
    p.then(
      () => 'accepted',
      (e: unknown) => `refused: ${(e as Error).name}`,
    );
  const staleUpdate = await outcome(client.send(new UpdateTableCommand({ DatabaseName: DATABASE, TableInput: { ...table, Parameters: { v: 'stale' } }, VersionId: v1 })));
  const after = (await client.send(new GetTableCommand({ DatabaseName: DATABASE, Name: 'probe' }))).Table;
  const createAgain = await outcome(client.send(new CreateTableCommand({ DatabaseName: DATABASE, TableInput: table })));
  return { versionIds: [v1, v2, after?.VersionId], staleUpdate: `${staleUpdate} (parameter v now ${after?.Parameters?.v})`, createAgain };
}

/** Parquet data files from the sample objects, one hand-off per object, by table (as write-tables.ts makes them). */
async function writeHandoffs(out: string): Promise<Map<string, { columns: LakeColumn[]; handoffs: Handoff[]; rowIds: string[] }>> {
  const tables = await sampleHandoffs(join(out, 'data'));
  return new Map([...tables].map(([table, t]) => [table, { columns: t.columns, handoffs: t.handoffs, rowIds: t.rows.map((r) => r.rowId) }]));
}

async function main(): Promise<string[]> {
  const out = process.argv[2] ?? join(ROOT, '.out', 'iceberg-glue');
  const python = process.env.CFLOGS_PYTHON ?? join(ROOT, '.out', 'pyenv', 'bin', 'python');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const { endpoint: motoEndpoint, proc } = await startMoto(python);
  const check = await startVersionCheck(motoEndpoint);
  const problems: string[] = [];
  try {
    const moto = glueClient(motoEndpoint);
    await moto.send(new CreateDatabaseCommand({ DatabaseInput: { Name: DATABASE } }));
    const p = await probe(moto);
    process.stdout.write(`moto ${motoEndpoint}: VersionIds ${p.versionIds.join(' -> ')}; UpdateTable with a stale VersionId: ${p.staleUpdate}; CreateTable of an existing table: ${p.createAgain}\n`);

    const warehouse = join(out, 'warehouse');
    const now = () => Date.parse('2026-11-24T12:00:00Z');
    const committer = () => {
      const catalog = new GlueCatalog({ client: glueClient(check.endpoint), database: DATABASE, warehouse, files: localFiles });
      return { catalog, ...localFiles, now };
    };
    const [a, b] = [committer(), committer()];
    const tables = await writeHandoffs(out);
    const expected: Record<string, { rows: number; rowIds: string[]; snapshots: number; inputs: string[] }> = {};
    for (const [table, { columns, handoffs, rowIds }] of tables) {
      const [first, ...rest] = handoffs as [Handoff, ...Handoff[]];
      const thrice = [];
      for (let i = 0; i < 3; i++) thrice.push(await appendHandoffs(a, table, columns, [first]));
      if (JSON.stringify(thrice.map((r) => r.committed.length)) !== '[1,0,0]') problems.push(`${table}: the first hand-off three times committed ${thrice.map((r) => r.committed.length)}`);
      const raced = [];
      for (let i = 0; i < rest.length; i += 2) {
        const pair = rest.slice(i, i + 2);
        raced.push(...(await Promise.all(pair.map((h, j) => appendHandoffs(j === 0 ? a : b, table, columns, [h])))));
      }
      const again = await appendHandoffs(b, table, columns, handoffs);
      if (again.committed.length !== 0) problems.push(`${table}: hand-offs delivered again were committed again`);

      // What Glue holds: the registration Athena and the table optimizers read.
      const glue = (await moto.send(new GetTableCommand({ DatabaseName: DATABASE, Name: table }))).Table;
      const params = glue?.Parameters ?? {};
      const location = params.metadata_location ?? '';
      const m = JSON.parse((await localFiles.read(location)).toString('utf8')) as TableMetadata;
      const tableProblems: string[] = [];
      if (params.table_type !== 'ICEBERG' || glue?.TableType !== 'EXTERNAL_TABLE') tableProblems.push(`table_type ${params.table_type}, TableType ${glue?.TableType}`);
      if (!/\/metadata\/\d{5}-[0-9a-f-]{36}\.metadata\.json$/.test(location)) tableProblems.push(`metadata_location ${location}`);
      const previous = m['metadata-log'].at(-1)?.['metadata-file'];
      if (m.snapshots.length > 1 && params.previous_metadata_location !== previous) tableProblems.push(`previous_metadata_location ${params.previous_metadata_location}, the metadata log's last ${previous}`);
      if (glue?.StorageDescriptor?.Location !== a.catalog.tableLocation(table) || m.location !== a.catalog.tableLocation(table)) tableProblems.push(`location ${glue?.StorageDescriptor?.Location}`);
      const cols = (glue?.StorageDescriptor?.Columns ?? []).map((c) => `${c.Name}:${c.Type}`);
      const want = glueColumns(m).map((c) => `${c.Name}:${c.Type}`);
      if (JSON.stringify(cols) !== JSON.stringify(want)) tableProblems.push(`columns ${cols.join(',')} against ${want.join(',')}`);
      const named = m.snapshots.flatMap((s) => JSON.parse(s.summary[INPUTS_KEY] ?? '[]') as string[]);
      const inputs = handoffs.map((h) => h.input).sort();
      if (JSON.stringify([...named].sort()) !== JSON.stringify(inputs)) tableProblems.push(`snapshots name ${named.length} inputs (${new Set(named).size} distinct), ${inputs.length} handed off`);
      if (committedInputs(m).size !== inputs.length) tableProblems.push('committed inputs differ');
      const rows = handoffs.reduce((n, h) => n + h.files.reduce((k, f) => k + f.rows, 0), 0);
      const attempts = raced.map((r) => r.attempts).join(',');
      process.stdout.write(
        `${table}: ${m.snapshots.length} snapshots, ${rows} rows, metadata ${location.slice(location.lastIndexOf('/') + 1)}, Glue VersionId ${glue?.VersionId}` +
          `${raced.length ? `, racing commits' attempts ${attempts}` : ''}: ${tableProblems.length ? 'FAIL ' + tableProblems.join('; ') : 'ok'}\n`,
      );
      problems.push(...tableProblems.map((t) => `${table}: ${t}`));
      expected[table] = { rows, rowIds: rowIds.sort(), snapshots: m.snapshots.length, inputs };
    }
    process.stdout.write(`VersionId check: ${check.checked()} UpdateTables, ${check.refused()} refused as stale\n`);
    if (check.refused() === 0) problems.push('no racing commit met a stale VersionId: the race did not reach Glue');
    writeFileSync(join(out, 'expected.json'), JSON.stringify(expected));

    const checked = await checkGlue(python, join(out, 'expected.json'), { CFLOGS_GLUE_ENDPOINT: check.endpoint, CFLOGS_GLUE_DATABASE: DATABASE });
    if (checked !== undefined) problems.push(checked);

    // After pyiceberg's commit: cflogs reads its metadata file, finds its inputs still committed, and appends on top.
    for (const [table, { columns, handoffs }] of checked === undefined ? tables : []) {
      const loaded = await b.catalog.load(table);
      const numbered = /\/(\d{5})-[^/]*\.metadata\.json$/.exec(loaded?.metadataLocation ?? '');
      const again = await appendHandoffs(b, table, columns, handoffs);
      const first = handoffs[0] as Handoff;
      const more = await appendHandoffs(a, table, columns, [{ ...first, input: `${first.input}#after-pyiceberg` }]);
      const glue = (await moto.send(new GetTableCommand({ DatabaseName: DATABASE, Name: table }))).Table?.Parameters ?? {};
      const m = JSON.parse((await localFiles.read(glue.metadata_location ?? '')).toString('utf8')) as TableMetadata;
      const tableProblems: string[] = [];
      if (loaded?.metadata.properties['checked-by'] !== 'pyiceberg' || !numbered || loaded.version !== Number(numbered[1]) + 1) {
        tableProblems.push(`loaded ${loaded?.metadataLocation} as version ${loaded?.version}`);
      }
      if (again.committed.length !== 0) tableProblems.push('hand-offs delivered again after pyiceberg\'s commit were committed again');
      if (more.committed.length !== 1 || glue.previous_metadata_location !== loaded?.metadataLocation || m.properties['checked-by'] !== 'pyiceberg') {
        tableProblems.push(`append after pyiceberg: committed ${more.committed.length}, previous_metadata_location ${glue.previous_metadata_location}`);
      }
      process.stdout.write(`${table} after pyiceberg's commit: cflogs appended ${glue.metadata_location?.slice(glue.metadata_location.lastIndexOf('/') + 1)}: ${tableProblems.length ? 'FAIL ' + tableProblems.join('; ') : 'ok'}\n`);
      problems.push(...tableProblems.map((t) => `${table}: ${t}`));
    }
  } finally {
    check.server.close();
    proc.kill();
  }
  return problems;
}

finish('glue', main);
