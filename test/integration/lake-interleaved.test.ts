/**
 * Rows whose event hours interleave (line i in hour i % 6), more hours than the writer keeps files open for,
 * through the two ways an object arrives: the S3 handler against s3rver, and `cflogs serve` over real HTTP. Every
 * row lands exactly once, in its hour's partition, and each hour in one or two files (the rows of the hours
 * without an open file wait in memory instead of opening and closing a file per row).
 */
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { generateInterleaved } from '../../testkit/generate';
import { serveCommand } from '../../lib/cli/serve';
import { loadConfig } from '../../lib/config';
import { LocalS3, s3CreatedEvent, startLocalS3 } from '../../testkit/local-s3';
import { handleS3Event, IngestReport } from '../../lib/s3/handler';
import { readParquetRows } from '../../testkit/lake-files';
import { INPUT, LAKE, lakeRows, objectDeps, put, recordingLog, tempDir } from '../support/lake';

const HOURS = 6;
const LINES = 20_000;
const START = new Date('2026-11-01T06:00:00Z');
const lines = [...generateInterleaved({ dataset: 'http_requests', lines: LINES, seed: 3, start: START }, HOURS)];
const body = gzipSync(Buffer.from(lines.join('\n') + '\n'));
/** The hour (00-05 after 06:00) each input line belongs to, by its RayID. */
const hourOf = new Map(lines.map((l, i) => [(JSON.parse(l) as { RayID: string }).RayID, String(6 + (i % HOURS)).padStart(2, '0')]));

/** Checks that the rows are the input's lines, each once, each in its own hour's partition, in few files per hour. */
function expectEveryRowOnceInItsHour(files: Map<string, Record<string, unknown>[]>): void {
  const hours = [...files.keys()].map((k) => /hour=(\d\d)\//.exec(k)?.[1]);
  expect([...new Set(hours)].sort()).toEqual(['06', '07', '08', '09', '10', '11']);
  // About 40 MB of rows against 16 MiB of room for waiting rows: a few hours are split once, not per row.
  expect(hours.length).toBeLessThanOrEqual(2 * HOURS);
  const seen = new Set<string>();
  for (const [key, rows] of files) {
    const hour = /hour=(\d\d)\//.exec(key)?.[1];
    for (const r of rows) {
      const ray = r.RayID as string;
      expect(seen.has(ray)).toBe(false);
      seen.add(ray);
      if (hourOf.get(ray) !== hour) throw new Error(`${ray} is in hour ${hour}, expected ${hourOf.get(ray)}`);
    }
  }
  expect(seen.size).toBe(LINES);
  expect(hourOf.size).toBe(LINES);
}

describe('rows whose event hours interleave', () => {
  it('land once each, in few files per hour, through the S3 handler with the default open files', async () => {
    const s3: LocalS3 = await startLocalS3({ directory: tempDir('interleaved'), buckets: [INPUT, LAKE] });
    try {
      const key = 'cf/http_requests/20261101/20261101T060000Z_20261101T120000Z_i6.log.gz';
      const { size, eTag } = await put(s3.client, key, body);
      const deps = objectDeps(s3.client, recordingLog());
      deps.config = { ...deps.config, maxOpenFiles: loadConfig({}).maxOpenFiles };
      const report = (await handleS3Event(s3CreatedEvent([{ bucket: INPUT, key, size, eTag }]), deps)) as IngestReport;
      expect(report.outcomes.map((o) => o.status)).toEqual(['processed']);
      expectEveryRowOnceInItsHour(await lakeRows(s3.client));
    } finally {
      await s3.close();
    }
  });

  it('land once each, in few files per hour, through cflogs serve', async () => {
    const out = tempDir('interleaved-serve');
    const stop = new AbortController();
    let base = '';
    let stopped: Promise<number> | undefined;
    const ready = new Promise<void>((resolve) => {
      const finished = serveCommand(['--port', '0', '--secret', 'interleaved-test-secret', '--out', out], {
        stdout: new PassThrough(),
        stderr: new PassThrough(),
        env: { CFLOGS_MAX_BODY_BYTES: String(body.length + 1) },
        signal: stop.signal,
        log: { info() {}, warn() {}, error() {} },
        onListening: (url) => {
          base = url;
          resolve();
        },
      });
      stopped = finished;
    });
    try {
      await ready;
      const res = await fetch(`${base}/http_requests`, {
        method: 'POST',
        body,
        headers: { 'x-panther-cloudflare': 'interleaved-test-secret', 'content-encoding': 'gzip' },
      });
      expect(res.status).toBe(200);
      const paths: string[] = [];
      const walk = (dir: string): void => {
        for (const name of readdirSync(dir)) {
          const p = join(dir, name);
          if (statSync(p).isDirectory()) walk(p);
          else if (relative(out, p).startsWith('logs/')) paths.push(p);
        }
      };
      walk(out);
      const files = new Map<string, Record<string, unknown>[]>();
      for (const p of paths) {
        expect(p).toMatch(/\.parquet$/); // the default format
        files.set(relative(out, p), await readParquetRows(readFileSync(p), ['RayID']));
      }
      expectEveryRowOnceInItsHour(files);
    } finally {
      stop.abort();
      expect(await stopped).toBe(0);
      rmSync(out, { recursive: true, force: true });
    }
  });
});
