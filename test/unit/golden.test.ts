/**
 * Golden files: every directory under test/fixtures/golden/ is one case, run through processStream exactly as
 * the Lambda would run an object, with an in-memory sink and the clock fixed by the case.
 *
 *   input.ndjson            raw Logpush lines (hand-written, never copied from real data)
 *   meta.json               {"logType", "identity", "parseTime", "sourceId"?, "sourceLabel"?, "source"?}
 *                           (`source`, written into reject records, defaults to `identity`)
 *   expected.ndjson         the output rows, one per accepted line, exactly as serialised
 *   expected-rejects.ndjson the reject records, one per refused line (empty when none)
 *
 * Each case runs twice, as plain bytes and gzip-compressed in small chunks; both must give the same bytes.
 *
 * After an intended change of the output, rewrite the expected files with
 *     UPDATE_GOLDEN=1 npx jest test/unit/golden.test.ts
 * and then review the diff line by line against the output contract (docs/output.md) before committing it:
 * the expected files are the contract, not a snapshot of whatever the code does.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { DEFAULT_LIMITS, processStream, ProcessSummary } from '../../lib/pipeline/process';
import { builtInRegistry } from '../../lib/record/registry';
import { MemorySink } from '../../testkit/memory-sink';

const GOLDEN_DIR = path.join(__dirname, '..', 'fixtures', 'golden');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

interface Meta {
  logType: string;
  identity: string;
  parseTime: string;
  sourceId?: string;
  sourceLabel?: string;
  source?: string;
}

async function* chunked(buf: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

async function runCase(dir: string, meta: Meta, body: Buffer, chunkSize: number): Promise<{ sink: MemorySink; summary: ProcessSummary }> {
  const sink = new MemorySink();
  const summary = await processStream(
    chunked(body, chunkSize),
    {
      source: meta.source ?? meta.identity,
      identity: meta.identity,
      entry: builtInRegistry().require(meta.logType),
      location: { key: path.basename(dir) },
      ...(meta.sourceId !== undefined ? { sourceId: meta.sourceId } : {}),
      ...(meta.sourceLabel !== undefined ? { sourceLabel: meta.sourceLabel } : {}),
    },
    { sink, now: new Date(meta.parseTime), limits: DEFAULT_LIMITS },
  );
  return { sink, summary };
}

const asFile = (records: { json: string }[]): string => records.map((r) => r.json + '\n').join('');

const cases = readdirSync(GOLDEN_DIR, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

test('there are golden cases to run', () => {
  expect(cases.length).toBeGreaterThanOrEqual(7);
});

describe.each(cases)('golden case %s', (name) => {
  const dir = path.join(GOLDEN_DIR, name);
  const meta = JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8')) as Meta;
  const input = readFileSync(path.join(dir, 'input.ndjson'));
  const expectedPath = path.join(dir, 'expected.ndjson');
  const rejectsPath = path.join(dir, 'expected-rejects.ndjson');

  test('rows and rejects match the expected files byte for byte', async () => {
    const { sink, summary } = await runCase(dir, meta, input, 64 * 1024);
    const rows = asFile(sink.rows);
    const rejects = asFile(sink.rejects);
    if (UPDATE) {
      writeFileSync(expectedPath, rows);
      writeFileSync(rejectsPath, rejects);
    }
    expect(existsSync(expectedPath)).toBe(true);
    expect(rows).toBe(readFileSync(expectedPath, 'utf8'));
    expect(rejects).toBe(existsSync(rejectsPath) ? readFileSync(rejectsPath, 'utf8') : '');
    expect(summary.lines).toBe(summary.rows + summary.rejected + summary.filtered + summary.blank);
    expect(summary.rows).toBeGreaterThan(0);
  });

  test('the same input gzip-compressed and read in small chunks gives the same bytes', async () => {
    const plain = await runCase(dir, meta, input, 64 * 1024);
    const gz = await runCase(dir, meta, gzipSync(input), 13);
    expect(gz.summary.compression).toBe('gzip');
    expect(gz.sink.rows).toEqual(plain.sink.rows);
    expect(gz.sink.rejects).toEqual(plain.sink.rejects);
  });
});
