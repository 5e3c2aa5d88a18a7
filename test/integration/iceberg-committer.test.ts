/**
 * The AWS path of the Iceberg tables, over a real S3 protocol (s3rver): the S3 function (wireS3 with
 * CFLOGS_ICEBERG_QUEUE_URL) writes each object's Parquet files and hands them off; the committer (commitQueued)
 * appends them, its metadata files (manifests, manifest lists, metadata JSON) in S3 through s3MetadataFiles. The
 * queue is an array here; the Glue catalog's own protocol is checked against moto in the conformance step.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { parseS3Uri, s3MetadataFiles } from '../../lib/aws/iceberg-io';
import { CommitConflict, IcebergCatalog, LoadedTable } from '../../lib/iceberg/catalog';
import { currentDataFiles } from '../../lib/iceberg/commit';
import { commitQueued, CommitterDeps } from '../../lib/iceberg/committer';
import { encodeHandoff, TableHandoff } from '../../lib/iceberg/handoff';
import { handleCommitterEvent } from '../../lib/iceberg/lambda';
import type { TableMetadata } from '../../lib/iceberg/metadata';
import { icebergTableSpecs } from '../../lib/iceberg/tables';
import { builtInRegistry } from '../../lib/record/registry';
import { handleS3Event, IngestReport } from '../../lib/s3/handler';
import { wireS3 } from '../../lib/wiring';
import { generateLines } from '../../testkit/generate';
import { readParquetRows } from '../../testkit/lake-files';
import { LocalS3, s3CreatedEvent, startLocalS3 } from '../../testkit/local-s3';
import { INPUT, LAKE, listKeys, put, readBytes, recordingLog, tempDir } from '../support/lake';

const TABLE = 'cloudflare_httprequest';
const specs = icebergTableSpecs(builtInRegistry().schemas());

/**
 * A catalog keeping each table's current metadata in memory and its files in S3, with the compare-and-swap a real
 * catalog has (Glue's VersionId): enough to run the committer against S3 here.
 */
class MemoryCatalog implements IcebergCatalog {
  readonly tables = new Map<string, LoadedTable>();
  constructor(private readonly files: { write(location: string, bytes: Buffer): Promise<void> }) {}
  tableLocation(table: string): string {
    return `s3://${LAKE}/logs/${table}`;
  }
  async load(table: string): Promise<LoadedTable | undefined> {
    const t = this.tables.get(table);
    return t && { ...t, metadata: structuredClone(t.metadata) };
  }
  async commit(table: string, version: number, metadata: TableMetadata): Promise<string> {
    if ((this.tables.get(table)?.version ?? 0) !== version) throw new CommitConflict(`table ${table} moved past version ${version}`);
    const location = `${metadata.location}/metadata/${String(version + 1).padStart(5, '0')}.metadata.json`;
    await this.files.write(location, Buffer.from(JSON.stringify(metadata)));
    this.tables.set(table, { metadata, metadataLocation: location, version: version + 1 });
    return location;
  }
}

describe('Iceberg tables in S3: ingest hands off, the committer appends once', () => {
  let s3: LocalS3;
  beforeAll(async () => {
    s3 = await startLocalS3({ directory: tempDir('s3-iceberg'), buckets: [INPUT, LAKE] });
  });
  afterAll(async () => {
    for (const b of [INPUT, LAKE]) for (const k of await listKeys(s3.client, b)) await s3.client.send(new DeleteObjectCommand({ Bucket: b, Key: k }));
    await s3.close();
  });

  const env = { CFLOGS_OUTPUT_BUCKET: LAKE, CFLOGS_ICEBERG_QUEUE_URL: 'https://sqs.example/commit', CFLOGS_RULES: 'false' };

  function ingestFunction(queue: TableHandoff[], opts: { failSends?: number } = {}) {
    let attempt = 0;
    let fail = opts.failSends ?? 0;
    return wireS3(env, {
      s3: s3.client,
      log: recordingLog(),
      clock: () => new Date('2026-11-24T12:00:00Z'),
      attemptId: () => `attempt${++attempt}`,
      handoffSender: {
        async send(messages) {
          if (fail-- > 0) throw new Error('the queue is unavailable');
          queue.push(...messages);
        },
      },
    });
  }

  function committer(): CommitterDeps & { catalog: MemoryCatalog } {
    const files = s3MetadataFiles(s3.client);
    let now = Date.parse('2026-11-24T12:00:05Z');
    return {
      catalog: new MemoryCatalog(files),
      ...files,
      now: () => (now += 1000),
      table: (name) => specs.find((s) => s.table === name),
      log: recordingLog(),
    };
  }

  async function object(key: string, lines: number, seed: number) {
    const body = gzipSync([...generateLines({ dataset: 'http_requests', lines, seed, timestampFormat: 'unixnano', spanSeconds: 5400 })].join('\n') + '\n');
    const { size, eTag } = await put(s3.client, key, body);
    return s3CreatedEvent([{ bucket: INPUT, key, size, eTag }]);
  }

  /** The table's rows, read from its current snapshot's data files in S3. */
  async function tableRows(c: CommitterDeps, table = TABLE): Promise<string[]> {
    const t = await c.catalog.load(table);
    if (!t) return [];
    const ids: string[] = [];
    for (const path of await currentDataFiles(c.read, t.metadata)) {
      const { bucket, key } = parseS3Uri(path);
      for (const r of await readParquetRows(await readBytes(s3.client, key, bucket), ['p_row_id'])) ids.push(r.p_row_id as string);
    }
    return ids.sort();
  }

  const messages = (q: TableHandoff[]) => q.map((m, i) => ({ id: `m${i}`, body: encodeHandoff(m) }));

  it('commits an object delivered three times once, and only the files of the hand-off it took', async () => {
    const queue: TableHandoff[] = [];
    const fn = ingestFunction(queue);
    const event = await object('cloudflare/http_requests/20261101/20261101T100000Z_20261101T100030Z_aaaa.log.gz', 400, 1);
    for (let i = 0; i < 3; i++) {
      const r = (await handleS3Event(event, fn)) as IngestReport;
      expect(r.outcomes.map((o) => o.status)).toEqual(['processed']);
    }
    // Three attempts, three sets of files (never overwritten: a table's files are immutable), three hand-offs.
    expect(queue).toHaveLength(3);
    expect(new Set(queue.map((m) => m.handoff.input)).size).toBe(1);
    expect(queue[0]!.handoff.files.every((f) => f.path.startsWith(`s3://${LAKE}/logs/${TABLE}/`) && f.path.includes('attempt1'))).toBe(true);
    expect(queue[0]!.landed).toEqual(expect.any(Number));

    const c = committer();
    const first = await commitQueued(c, messages(queue.slice(0, 1)));
    expect(first).toMatchObject({ failed: [], commits: [{ table: TABLE, committed: 1, already: 0, rows: 400 }] });
    // The other two, together and then again: nothing added.
    const again = await commitQueued(c, messages(queue));
    expect(again).toMatchObject({ failed: [], commits: [{ table: TABLE, committed: 0, already: 1 }] });
    const rows = await tableRows(c);
    expect(rows).toHaveLength(400);
    expect(new Set(rows).size).toBe(400);
    const files = await currentDataFiles(c.read, (await c.catalog.load(TABLE))!.metadata);
    expect(files.every((f) => f.includes('attempt1'))).toBe(true);
    // The table's metadata files are in S3, under the table's location.
    expect((await listKeys(s3.client, LAKE, `logs/${TABLE}/metadata/`)).some((k) => k.endsWith('.avro'))).toBe(true);
  });

  it('loses nothing when the hand-off fails after the data files are written: the retry hands off new files', async () => {
    const queue: TableHandoff[] = [];
    const fn = ingestFunction(queue, { failSends: 1 });
    const event = await object('cloudflare/http_requests/20261101/20261101T110000Z_20261101T110030Z_bbbb.log.gz', 300, 2);
    await expect(handleS3Event(event, fn)).rejects.toThrow('the queue is unavailable');
    expect(queue).toHaveLength(0);
    const orphans = (await listKeys(s3.client, LAKE, `logs/${TABLE}/`)).filter((k) => k.includes('bbbb') && k.includes('attempt1'));
    expect(orphans.length).toBeGreaterThan(0);
    await handleS3Event(event, fn);
    expect(queue).toHaveLength(1);
    const c = committer();
    await commitQueued(c, messages(queue));
    const files = await currentDataFiles(c.read, (await c.catalog.load(TABLE))!.metadata);
    // The first attempt's files are orphans: not in the table (the orphan file optimizer deletes them).
    expect(files.some((f) => f.includes('attempt1'))).toBe(false);
    expect(await tableRows(c)).toHaveLength(300);
  });

  it('fails only the messages it cannot commit: unreadable, an unknown table, a table whose commit fails', async () => {
    const queue: TableHandoff[] = [];
    await handleS3Event(await object('cloudflare/http_requests/20261101/20261101T120000Z_20261101T120030Z_cccc.log.gz', 50, 3), ingestFunction(queue));
    const c = committer();
    const good = { id: 'good', body: encodeHandoff(queue[0]!) };
    const report = await commitQueued(c, [
      { id: 'not-json', body: '{"v":1,' },
      { id: 'unknown', body: encodeHandoff({ ...queue[0]!, table: 'no_such_table' }) },
      { id: 'hostile', body: JSON.stringify({ v: 1, table: TABLE, input: 'x', files: [{ path: 'p', bytes: -1, rows: 1, hour: '2026-11-01 10' }] }) },
      good,
    ]);
    expect(report.failed.sort()).toEqual(['hostile', 'not-json', 'unknown']);
    expect(report.commits).toMatchObject([{ table: TABLE, committed: 1, rows: 50 }]);

    // A catalog that refuses every commit fails that table's messages, to be delivered again.
    const broken = committer();
    broken.catalog.commit = async () => {
      throw new Error('the catalog is unavailable');
    };
    expect((await commitQueued(broken, [good])).failed).toEqual(['good']);
  });

  it('creates every table for the stack, answering CloudFormation at its URL, and keeps them on Delete', async () => {
    const answers: Record<string, unknown>[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (b: Buffer) => chunks.push(b));
      req.on('end', () => {
        answers.push({ method: req.method, ...(JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>) });
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/answer?signed`;
    const event = (RequestType: string) => ({ RequestType, ResponseURL: url, StackId: 'stack', RequestId: `r-${RequestType}`, LogicalResourceId: 'IcebergTables', ResourceType: 'Custom::IcebergTables' });
    try {
      const c = { ...committer(), specs };
      expect(await handleCommitterEvent(event('Create'), c)).toEqual({ tables: specs.map((s) => s.table) });
      expect(c.catalog.tables.size).toBe(specs.length);
      const audit = (await c.catalog.load('cloudflare_audit'))!.metadata;
      expect(audit['partition-specs'][0]!.fields[0]!.transform).toBe('day');
      expect((await c.catalog.load(TABLE))!.metadata['partition-specs'][0]!.fields[0]!.transform).toBe('hour');
      expect(await handleCommitterEvent(event('Update'), c)).toEqual({ tables: [] });
      expect(await handleCommitterEvent(event('Delete'), c)).toEqual({ tables: [] });
      expect(c.catalog.tables.size).toBe(specs.length);
      const broken = { ...committer(), specs };
      broken.catalog.commit = async () => {
        throw new Error('AccessDenied: glue:CreateTable');
      };
      await handleCommitterEvent(event('Create'), broken);
      expect(answers.map((a) => [a.method, a.RequestId, a.Status])).toEqual([
        ['PUT', 'r-Create', 'SUCCESS'],
        ['PUT', 'r-Update', 'SUCCESS'],
        ['PUT', 'r-Delete', 'SUCCESS'],
        ['PUT', 'r-Create', 'FAILED'],
      ]);
      expect(answers[3]).toMatchObject({ Reason: 'AccessDenied: glue:CreateTable', LogicalResourceId: 'IcebergTables', StackId: 'stack' });
    } finally {
      server.close();
    }
  });
});
