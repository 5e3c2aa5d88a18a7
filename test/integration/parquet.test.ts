import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { builtInRegistry } from '../../lib/record/registry';
import { readLakeFile } from '../../testkit/lake-files';
import { duckdbColumns, readJsonSql } from '../support/duckdb';
import { writeSampleLake } from '../support/sample-lake';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

describe('Parquet readiness', () => {
  it('every sample object converts to Parquet with the schema types and reads back unchanged', async () => {
    const lake = await writeSampleLake('zstd', 'parquet');
    const outputs = files(join(lake, 'logs')).filter((f) => f.endsWith('.json.zst'));
    const tables = new Set(outputs.map((f) => f.split('/logs/')[1]?.split('/')[0]));
    expect([...tables].sort()).toEqual([
      'cloudflare_accessrequest',
      'cloudflare_audit',
      'cloudflare_firewall',
      'cloudflare_gatewaydns',
      'cloudflare_gatewayhttp',
      'cloudflare_httprequest',
      'cloudflare_spectrum',
      'cloudflare_workerstrace',
    ]);

    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    try {
      // The log types the samples cover (the tables asserted above).
      for (const schema of builtInRegistry().schemas().filter((sc) => tables.has(sc.table))) {
        const mine = outputs.filter((f) => f.includes(`/logs/${schema.table}/`));
        const lines = mine.flatMap((f) => readLakeFile(readFileSync(f)).trim().split('\n'));
        const parquet = join(lake, `${schema.table}.parquet`);
        await conn.run(`COPY (SELECT * FROM ${readJsonSql(mine, schema)}) TO '${parquet}' (FORMAT parquet)`);

        const count = (await conn.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM read_parquet('${parquet}')`)).getRowObjectsJS();
        expect(count[0]?.n).toBe(lines.length);

        // Column types in the Parquet file are the schema's.
        const described = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${parquet}')`)).getRowObjectsJS();
        const types = Object.fromEntries(described.map((r) => [String(r.column_name), String(r.column_type)]));
        const expected = duckdbColumns(schema);
        for (const [name, type] of Object.entries(expected)) expect([name, types[name]]).toEqual([name, type === 'JSON' ? 'JSON' : type]);

        // Values survive the round trip: row ids, and event times to the microsecond (DuckDB's TIMESTAMP).
        const back = (
          await conn.runAndReadAll(
            `SELECT p_row_id, strftime(p_event_time, '%Y-%m-%d %H:%M:%S.%f') AS t FROM read_parquet('${parquet}') ORDER BY p_row_id`,
          )
        ).getRowObjectsJS();
        const original = lines
          .map((l) => JSON.parse(l) as { p_row_id: string; p_event_time: string })
          .sort((a, b) => (a.p_row_id < b.p_row_id ? -1 : 1));
        expect(back.map((r) => [r.p_row_id, r.t])).toEqual(original.map((r) => [r.p_row_id, r.p_event_time.slice(0, 26)]));
      }
    } finally {
      conn.closeSync();
    }
  }, 60000);
});
