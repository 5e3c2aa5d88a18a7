/**
 * Every Logpush dataset the build knows, end to end by all three entry points: a gzip object holding one line
 * with only the dataset's event time, under `cloudflare/<dataset>/<date>/<name>.log.gz`, becomes one row with
 * the right p_event_time through `cflogs parse FILE` (routed by the path, no --log-type), through the S3 handler
 * against s3rver into its table's hour partition, and through `cflogs serve` at `/<dataset>`. A dataset whose
 * schema requires more than the event time (REQUIRED_BEYOND_EVENT_TIME) gets those fields too, and its
 * event-time-only line is checked to be rejected.
 *
 * Data-driven over builtInRegistry().datasets(): a new schema is covered the day it lands. One CLI process,
 * one s3rver, one handler invocation and one serve for all datasets, so the file stays fast.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { builtInRegistry } from '../../lib/record/registry';
import { handleS3Event, IngestReport } from '../../lib/s3/handler';
import { serveCommand } from '../../lib/cli/serve';
import type { Log } from '../../lib/log';
import { LocalS3, s3CreatedEvent, startLocalS3 } from '../../testkit/local-s3';
import { readLakeFile } from '../../testkit/lake-files';
import { filesUnder, INPUT, LAKE, listKeys, objectDeps, put, readLakeLines, recordingLog, tempDir } from '../support/lake';

const ROOT = join(__dirname, '..', '..');
const registry = builtInRegistry();
const DATASETS = registry.datasets().sort();

/** The one instant every line carries: 2026-11-01T10:20:30.123456789Z. */
const RFC3339 = '2026-11-01T10:20:30.123456789Z';
const PARTITION = 'year=2026/month=11/day=01/hour=10';
/**
 * Event-time fields that Cloudflare writes in one fixed form whatever the job's timestamp_format; every other
 * dataset's event time follows timestamp_format, and RFC 3339 is one of its forms.
 */
const FIXED_FORM: Record<string, { value: number; p_event_time: string }> = {
  // EventTimestampMs: integer Unix milliseconds.
  workers_trace_events: { value: Date.UTC(2026, 10, 1, 10, 20, 30, 123), p_event_time: '2026-11-01 10:20:30.123000000' },
};

/**
 * Datasets whose schema requires fields beyond the event time, so that a line with only its event time is
 * rejected (missing_required) rather than becoming a row. Their lines here add those fields; the test below pins
 * the list, and that the event-time-only line is indeed rejected, so a schema change shows up here.
 */
const REQUIRED_BEYOND_EVENT_TIME: Record<string, string[]> = {
  // Cloudflare.Audit keeps Panther's required ID and ResourceType.
  audit_logs: ['ID', 'ResourceType'],
};

interface Case {
  dataset: string;
  logType: string;
  table: string;
  field: string;
  /** The line with the event time alone. */
  eventTimeOnly: string;
  /** The line sent: the event time, and the other required fields where the schema has any. */
  line: string;
  pEventTime: string;
}

const CASES: Case[] = DATASETS.map((dataset) => {
  const { schema } = registry.forDataset(dataset)!;
  const fixed = FIXED_FORM[dataset];
  const eventTime = { [schema.eventTimeField]: fixed ? fixed.value : RFC3339 };
  const others = schema.fields.filter((f) => f.required && f.name !== schema.eventTimeField);
  for (const f of others) if (f.type !== 'string') throw new Error(`${dataset}: required ${f.name} is a ${f.type}: give the test a value for it`);
  return {
    dataset,
    logType: schema.logType,
    table: schema.table,
    field: schema.eventTimeField,
    eventTimeOnly: JSON.stringify(eventTime),
    line: JSON.stringify({ ...Object.fromEntries(others.map((f) => [f.name, `${f.name}-1`])), ...eventTime }),
    pEventTime: fixed ? fixed.p_event_time : '2026-11-01 10:20:30.123456789',
  };
});

/** The object key (S3) and the relative file path (CLI) of a dataset's delivery. */
const keyOf = (dataset: string) => `cloudflare/${dataset}/20261101/20261101T102030Z_20261101T102100Z_${dataset.replace(/_/g, '')}.log.gz`;
const gz = (line: string) => gzipSync(Buffer.from(line + '\n'));
const bodyOf = (c: Case) => gz(c.line);
/** For the datasets that require more: the event-time-only line, as a file of its own for the CLI. */
const onlyKeyOf = (dataset: string) => `cloudflare/${dataset}/20261101/event-time-only.log.gz`;
const ONLY = CASES.filter((c) => c.line !== c.eventTimeOnly);

type Row = Record<string, unknown>;
const SECRET = 'datasets-test-secret';

/** What each entry point made of each dataset's line. */
const cliRows = new Map<string, Row[]>();
let cliStderr = '';
let cliCode: number | null = null;
const s3Rows = new Map<string, { key: string; rows: Row[] }[]>();
let s3Report: IngestReport;
const serveStatus = new Map<string, { status: number; json: Row }>();
const serveRows = new Map<string, { file: string; rows: Row[] }[]>();

let s3: LocalS3;


function lines(text: string): Row[] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Row);
}

function push<T>(m: Map<string, T[]>, k: string, v: T): void {
  m.set(k, [...(m.get(k) ?? []), v]);
}

const tableToDataset = new Map(CASES.map((c) => [c.table, c.dataset]));

beforeAll(async () => {
  expect(DATASETS.length).toBeGreaterThanOrEqual(37);
  for (const d of Object.keys(FIXED_FORM)) expect(DATASETS).toContain(d);

  // The CLI: one process, every dataset's file, the log type told by the path alone.
  const dir = tempDir('datasets-cli');
  const paths = CASES.map((c) => {
    const p = join(dir, keyOf(c.dataset));
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, bodyOf(c));
    return p;
  });
  for (const c of ONLY) {
    const p = join(dir, onlyKeyOf(c.dataset));
    writeFileSync(p, gz(c.eventTimeOnly));
    paths.push(p);
  }
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'lib/cli/main.ts', 'parse', ...paths], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    maxBuffer: 16 * 1024 * 1024,
  });
  cliCode = r.status;
  cliStderr = r.stderr;
  for (const row of lines(r.stdout)) push(cliRows, String(row.p_log_type), row);

  // The S3 handler against s3rver: one object per dataset, one event announcing them all.
  s3 = await startLocalS3({ directory: tempDir('datasets-s3'), buckets: [INPUT, LAKE] });
  const objs = [];
  for (const c of CASES) {
    const key = keyOf(c.dataset);
    objs.push({ bucket: INPUT, key, ...(await put(s3.client, key, bodyOf(c))) });
  }
  s3Report = (await handleS3Event(s3CreatedEvent(objs), objectDeps(s3.client, recordingLog()))) as IngestReport;
  for (const key of await listKeys(s3.client, LAKE, 'logs/')) {
    const dataset = tableToDataset.get(key.split('/')[1] as string) ?? `unknown table in ${key}`;
    push(s3Rows, dataset, { key, rows: await readLakeLines(s3.client, key) });
  }

  // `cflogs serve`: one server, one POST per dataset at /<dataset>.
  const out = tempDir('datasets-serve');
  const stop = new AbortController();
  const quiet: Log = { info: () => undefined, warn: () => undefined, error: () => undefined };
  let listening!: (url: string) => void;
  const ready = new Promise<string>((res) => (listening = res));
  const finished = serveCommand(['--port', '0', '--secret', SECRET, '--out', out], {
    stdout: new PassThrough(),
    stderr: new PassThrough(),
    // NDJSON, to compare its rows with the CLI's stdout text.
    env: { CFLOGS_OUTPUT_FORMAT: 'ndjson' },
    signal: stop.signal,
    log: quiet,
    onListening: listening,
  });
  try {
    const base = await ready;
    for (const c of CASES) {
      const res = await fetch(`${base}/${c.dataset}`, { method: 'POST', body: bodyOf(c), headers: { 'x-panther-cloudflare': SECRET } });
      serveStatus.set(c.dataset, { status: res.status, json: JSON.parse(await res.text()) as Row });
    }
  } finally {
    stop.abort();
    await finished;
  }
  for (const f of filesUnder(out)) {
    const dataset = tableToDataset.get(f.split('/')[1] as string) ?? `unknown table in ${f}`;
    push(serveRows, dataset, { file: f, rows: lines(readLakeFile(readFileSync(join(out, f)))) });
  }
}, 60_000);

afterAll(async () => {
  await s3?.close();
});

test('the CLI read every file without a failure', () => {
  expect(cliCode).toBe(0);
  expect(cliStderr.trim().split('\n')).toHaveLength(CASES.length + ONLY.length);
});

test('a line with only its event time becomes a row for every dataset but those whose schema requires more', () => {
  const requiring = Object.fromEntries(ONLY.map((c) => [c.dataset, Object.keys(JSON.parse(c.line) as Row).filter((k) => k !== c.field)]));
  expect(requiring).toEqual(REQUIRED_BEYOND_EVENT_TIME);
  for (const c of ONLY) {
    expect(cliStderr).toContain(`${onlyKeyOf(c.dataset)}: ${c.logType}, 1 lines, 0 rows, 1 rejects (missing_required: 1), 0 filtered, 0 blank\n`);
  }
});

test('the S3 handler processed every object', () => {
  expect(s3Report.outcomes.map((o) => o.status)).toEqual(CASES.map(() => 'processed'));
});

describe.each(CASES)('$dataset ($logType, event time $field)', (c) => {
  const expectRow = (row: Row | undefined) => {
    expect(row).toMatchObject({ p_log_type: c.logType, p_event_time: c.pEventTime, [c.field]: c.pEventTime });
  };

  test('cflogs parse FILE, routed by the path: one row', () => {
    expect(cliStderr).toContain(`${keyOf(c.dataset)}: ${c.logType}, 1 lines, 1 rows, 0 rejects, 0 filtered, 0 blank\n`);
    const rows = cliRows.get(c.logType) ?? [];
    expect(rows).toHaveLength(1);
    expectRow(rows[0]);
  });

  test("the S3 handler: one row in its table's hour partition", () => {
    const outcome = s3Report.outcomes[CASES.indexOf(c)];
    expect(outcome).toMatchObject({
      status: 'processed',
      summary: { source: `s3://${INPUT}/${keyOf(c.dataset)}`, logType: c.logType, lines: 1, rows: 1, rejected: 0 },
    });
    const got = s3Rows.get(c.dataset) ?? [];
    expect(got.map((g) => g.key)).toEqual([expect.stringMatching(new RegExp(`^logs/${c.table}/${PARTITION}/[^/]+\\.json\\.zst$`))]);
    expect(got[0]?.rows).toHaveLength(1);
    expectRow(got[0]?.rows[0]);
  });

  test(`cflogs serve at /${c.dataset}: 200, one row in its table's hour partition`, () => {
    expect(serveStatus.get(c.dataset)).toEqual({
      status: 200,
      json: { ok: true, logType: c.logType, lines: 1, rows: 1, rejects: 0, filtered: 0, blank: 0 },
    });
    const got = serveRows.get(c.dataset) ?? [];
    expect(got.map((g) => g.file)).toEqual([expect.stringMatching(new RegExp(`^logs/${c.table}/${PARTITION}/[^/]+\\.json\\.zst$`))]);
    expect(got[0]?.rows).toHaveLength(1);
    expectRow(got[0]?.rows[0]);
  });
});
