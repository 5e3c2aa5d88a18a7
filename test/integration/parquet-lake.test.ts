import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { parseCommand } from '../../lib/cli/parse';
import { queryCommand } from '../../lib/cli/query';
import { eventColumns } from '../../lib/lake/format';
import { builtInRegistry } from '../../lib/record/registry';
import { generateLines } from '../../testkit/generate';
import { LAKE_FILE, readLakeFile } from '../../testkit/lake-files';
import { filesUnder, tempDir } from '../support/lake';
import { runCommand } from '../support/cli';


const cflogs = runCommand;

/** Nanoseconds since the epoch of a lake timestamp, worked out here with Date (the product has its own). */
function nanosOf(ts: string): bigint {
  return BigInt(Date.parse(`${ts.slice(0, 10)}T${ts.slice(11, 19)}Z`)) * 1_000_000n + BigInt(ts.slice(20));
}

const schema = builtInRegistry().find('Cloudflare.HttpRequest')!.schema;

describe('Parquet lake files (cflogs parse --out DIR, the default format)', () => {
  let input: string;
  let parquetLake: string;
  let ndjsonLake: string;
  let rows: Record<string, unknown>[];

  beforeAll(async () => {
    const dir = tempDir('parquet-lake');
    input = join(dir, 'http_requests', '20261101T100000Z_20261101T110000Z_abc.log');
    // Two event hours, nanosecond times, one big ASN that a double cannot hold, and a 404 or two.
    const lines = [...generateLines({ dataset: 'http_requests', lines: 600, timestampFormat: 'unixnano', spanSeconds: 7200 })];
    lines.push(
      '{"EdgeStartTimestamp":1793529000123456789,"EdgeResponseStatus":404,"ClientIP":"192.0.2.1","RayID":"ff00"}',
      '{"EdgeStartTimestamp":"2026-11-01T10:59:59.999999999Z","EdgeResponseStatus":404,"ClientASN":9007199254740993,"BotDetectionIDs":[1,9007199254740995]}',
      '{"EdgeStartTimestamp": "not a time"}',
    );
    mkdirSync(join(dir, 'http_requests'), { recursive: true });
    writeFileSync(input, lines.join('\n') + '\n');
    parquetLake = join(dir, 'parquet');
    ndjsonLake = join(dir, 'ndjson');
    const p = await cflogs(parseCommand, ['--out', parquetLake, input]);
    expect([p.code, p.stdout]).toEqual([0, '']);
    const n = await cflogs(parseCommand, ['--format', 'ndjson', '--out', ndjsonLake, input]);
    expect([n.code, n.stdout]).toEqual([0, '']);
    rows = filesUnder(ndjsonLake)
      .filter((f) => f.startsWith('logs/') && LAKE_FILE.test(f))
      .flatMap((f) => readLakeFile(readFileSync(join(ndjsonLake, f))).trim().split('\n'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }, 60000);

  it('writes .parquet files in the lake layout, one per event hour, and the rejects as NDJSON', () => {
    const files = filesUnder(parquetLake).sort();
    const logs = files.filter((f) => f.startsWith('logs/'));
    expect(logs.length).toBe(2);
    for (const f of logs) expect(f).toMatch(/^logs\/cloudflare_httprequest\/year=2026\/month=11\/day=01\/hour=1[01]\/[\w.-]+\.parquet$/);
    expect(files.filter((f) => f.startsWith('rejects/'))).toEqual([expect.stringMatching(/^rejects\/cloudflare_httprequest\/.+\.json\.zst$/)]);
    // The same names as the NDJSON lake's, but for the extension: deterministic per input, table and hour.
    const ndjsonNames = filesUnder(ndjsonLake).filter((f) => f.startsWith('logs/')).map((f) => f.replace(/\.json\.zst$/, ''));
    expect(logs.map((f) => f.replace(/\.parquet$/, '')).sort()).toEqual(ndjsonNames.sort());
  });

  it('DuckDB reads integer, list and timestamp columns, and every event time to the nanosecond', async () => {
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    try {
      const glob = join(parquetLake, 'logs', '**', '*.parquet');
      const read = `read_parquet('${glob}', hive_partitioning = false)`;
      const described = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${read}`)).getRowObjectsJS();
      const types = Object.fromEntries(described.map((r) => [String(r.column_name), String(r.column_type)]));
      expect(types).toMatchObject({
        EdgeResponseStatus: 'SMALLINT',
        ClientASN: 'BIGINT',
        BotDetectionIDs: 'BIGINT[]',
        p_any_ip_addresses: 'VARCHAR[]',
        EdgeStartTimestamp: 'TIMESTAMP WITH TIME ZONE',
        p_event_time: 'TIMESTAMP WITH TIME ZONE',
        p_event_time_ns: 'BIGINT',
      });
      // Every column of the schema is in the file, in the contract's order.
      expect(Object.keys(types)).toEqual(eventColumns(schema, 'parquet').map((c) => c.name));

      const back = (
        await conn.runAndReadAll(`SELECT p_row_id, p_event_time_ns::VARCHAR AS ns FROM ${read}`)
      ).getRowObjectsJS();
      expect(back.length).toBe(rows.length);
      const byId = new Map(back.map((r) => [r.p_row_id, r]));
      for (const row of rows) {
        const got = byId.get(row.p_row_id as string);
        expect([row.p_row_id, got?.ns]).toEqual([row.p_row_id, nanosOf(row.p_event_time as string).toString()]);
      }
      // Integers past 2^53 (kept in p_invalid_fields, since no bigint column holds them exactly) keep their digits.
      const invalid = (await conn.runAndReadAll(`SELECT p_invalid_fields AS v FROM ${read} WHERE p_invalid_fields IS NOT NULL`)).getRowObjectsJS();
      expect(invalid.map((r) => r.v)).toEqual(['{"BotDetectionIDs":[1,9007199254740995],"ClientASN":9007199254740993}']);
      expect(back.some((r) => r.ns === '1793529000123456789')).toBe(true);
    } finally {
      conn.closeSync();
    }
  }, 60000);

  it('cflogs query sees the same rows in the Parquet lake as in the NDJSON lake, column for column', async () => {
    // Both views have the Parquet table's columns (p_event_time_ns too), timestamps to the microsecond.
    const sql = 'SELECT * FROM cloudflare_httprequest ORDER BY p_row_id';
    const a = await cflogs(queryCommand, ['--lake', parquetLake, '--json', sql]);
    const b = await cflogs(queryCommand, ['--lake', ndjsonLake, '--json', sql]);
    expect([a.code, a.stderr]).toEqual([0, '']);
    expect(a.stdout.trim().split('\n').length).toBe(rows.length);
    expect(Object.keys(JSON.parse(a.stdout.split('\n')[0] as string) as object)).toContain('p_event_time_ns');
    const [pa, pb] = [a.stdout.split('\n'), b.stdout.split('\n')];
    const first = pa.findIndex((l, i) => l !== pb[i]);
    expect([first, pa[first]]).toEqual([-1, undefined]);
  }, 60000);

  it('answers the 404 count the same on both lakes, and right', async () => {
    const expected = rows.filter((r) => r.EdgeResponseStatus === 404).length;
    expect(expected).toBeGreaterThanOrEqual(2);
    for (const lake of [parquetLake, ndjsonLake]) {
      const r = await cflogs(queryCommand, ['--lake', lake, '--json', 'SELECT count(*) AS n FROM cloudflare_httprequest WHERE EdgeResponseStatus = 404']);
      expect([lake, r.code, r.stdout]).toEqual([lake, 0, `{"n":${expected}}\n`]);
    }
  }, 60000);

  it('a lake whose format was switched, NDJSON and Parquet files under one table, reads as one view of every row', async () => {
    const mixed = tempDir('mixed-lake');
    // A second object of the same lines: its own file names, so both formats' files sit side by side.
    const later = join(tempDir('mixed-input'), 'http_requests', '20261101T110000Z_20261101T120000Z_def.log');
    mkdirSync(join(later, '..'), { recursive: true });
    writeFileSync(later, readFileSync(input));
    expect((await cflogs(parseCommand, ['--format', 'ndjson', '--out', mixed, input])).code).toBe(0);
    expect((await cflogs(parseCommand, ['--out', mixed, later])).code).toBe(0);
    const logs = filesUnder(mixed).filter((f) => f.startsWith('logs/'));
    expect([logs.some((f) => f.endsWith('.json.zst')), logs.some((f) => f.endsWith('.parquet'))]).toEqual([true, true]);
    const sql = 'SELECT RayID, EdgeResponseStatus, ClientASN, p_event_time, p_event_time_ns FROM cloudflare_httprequest ORDER BY ALL';
    const one = await cflogs(queryCommand, ['--lake', ndjsonLake, '--json', sql]);
    const both = await cflogs(queryCommand, ['--lake', mixed, '--json', sql]);
    expect([one.code, both.code, both.stderr]).toEqual([0, 0, '']);
    const lines = one.stdout.trim().split('\n');
    expect(lines.length).toBe(rows.length);
    expect(both.stdout).toBe(lines.flatMap((l) => [l, l]).join('\n') + '\n');
  }, 60000);

  it('--format needs --out, and an unknown format is refused', async () => {
    const a = await cflogs(parseCommand, ['--format', 'parquet', input]).catch((e: Error) => ({ code: 2, stdout: '', stderr: e.message }));
    expect(a.stderr).toMatch(/--format needs --out/);
    const b = await cflogs(parseCommand, ['--format', 'orc', '--out', tempDir('orc'), input]).catch((e: Error) => ({ code: 2, stdout: '', stderr: e.message }));
    expect(b.stderr).toMatch(/CFLOGS_OUTPUT_FORMAT must be one of ndjson, parquet/);
  });
});

describe('lone surrogates, escaped (\\ud800) or as raw bytes, in an NDJSON and a Parquet lake of the same input', () => {
  it('are invalid_utf8 rejects, so cflogs query reads the same rows from both lakes; an escaped pair is a row in both', async () => {
    const dir = tempDir('surrogates');
    const input = join(dir, 'http_requests', '20261101T100000Z_20261101T110000Z_surrogates.log');
    mkdirSync(join(dir, 'http_requests'), { recursive: true });
    const ts = '"EdgeStartTimestamp":"2026-11-01T10:00:00Z"';
    const lone = [
      `{${ts},"RayID":"a1","ClientCity":"x\\ud800y"}`,
      `{${ts},"RayID":"a2","BotTags":["\\udc00"]}`,
      `{${ts},"RayID":"a3","Cookies":{"k":"\\ud83d"}}`,
      `{${ts},"RayID":"a4","NewField":{"n":["\\udfff"]}}`,
      `{${ts},"RayID":"a5","\\ud800":1}`,
    ];
    const pair = `{${ts},"RayID":"b1","ClientCity":"\\ud83d\\ude00","BotTags":["\\ud83d\\ude00"],"Cookies":{"k":"\\ud83d\\ude00"},"NewField":"\\ud83d\\ude00"}`;
    const plain = `{${ts},"RayID":"b2","ClientCity":"Z\\u00fcrich"}`;
    const raw = Buffer.concat([Buffer.from(`{${ts},"RayID":"a6","ClientCity":"`), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]);
    writeFileSync(input, Buffer.concat([Buffer.from([...lone, pair, plain].join('\n') + '\n'), raw, Buffer.from('\n')]));

    const lakes = { ndjson: join(dir, 'ndjson'), parquet: join(dir, 'parquet') };
    for (const format of ['ndjson', 'parquet'] as const) {
      const p = await cflogs(parseCommand, ['--format', format, '--out', lakes[format], input]);
      expect([format, p.code, p.stdout]).toEqual([format, 0, '']);
      // Every line a row or a reject.
      expect(p.stderr).toContain('8 lines, 2 rows, 6 rejects (invalid_utf8: 6), 0 filtered, 0 blank');
    }

    const rows = 'SELECT * FROM cloudflare_httprequest ORDER BY RayID';
    const [a, b] = [await cflogs(queryCommand, ['--lake', lakes.ndjson, '--json', rows]), await cflogs(queryCommand, ['--lake', lakes.parquet, '--json', rows])];
    expect([a.code, a.stderr, b.code, b.stderr]).toEqual([0, '', 0, '']);
    expect(b.stdout).toBe(a.stdout);
    const values = 'SELECT RayID, ClientCity, BotTags, Cookies->>\'k\' AS cookie, p_unknown_fields->>\'NewField\' AS unknown FROM cloudflare_httprequest ORDER BY RayID';
    for (const lake of [lakes.ndjson, lakes.parquet]) {
      const r = await cflogs(queryCommand, ['--lake', lake, '--json', values]);
      expect([lake, r.code, r.stderr]).toEqual([lake, 0, '']);
      expect(r.stdout).toBe(
        '{"RayID":"b1","ClientCity":"\u{1F600}","BotTags":["\u{1F600}"],"cookie":"\u{1F600}","unknown":"\u{1F600}"}\n' +
          '{"RayID":"b2","ClientCity":"Z\u00fcrich","BotTags":null,"cookie":null,"unknown":null}\n',
      );
      // The reject records keep what was received: the escaped lines as text, the raw bytes in raw_base64.
      const rejects = await cflogs(queryCommand, ['--lake', lake, '--json', 'SELECT line, reason, raw FROM cflogs_rejects ORDER BY line']);
      expect([lake, rejects.code, rejects.stderr]).toEqual([lake, 0, '']);
      expect(rejects.stdout.trim().split('\n').map((l) => JSON.parse(l) as unknown)).toEqual([
        ...lone.map((l, i) => ({ line: i + 1, reason: 'invalid_utf8', raw: l })),
        { line: 8, reason: 'invalid_utf8', raw: raw.toString('utf8') },
      ]);
    }
  }, 60000);
});
