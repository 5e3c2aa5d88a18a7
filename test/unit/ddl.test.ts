import { ALERTS_TABLE, alertsTable, createTableDdl, eventsTable, glueTableInput, JSON_STORAGE, lakeTables, REJECTS_TABLE, rejectsTable, tableColumns } from '../../lib/lake/catalog';
import { eventColumns } from '../../lib/lake/format';
import { parquetSchema } from '../../lib/lake/parquet';
import { fromRfc3339 } from '../../lib/record/timestamps';
import { alertRecord } from '../../lib/rules/alert';
import { builtInRules } from '../../lib/rules/builtin';
import type { AlertState } from '../../lib/rules/windows';
import { REJECT_COLUMNS } from '../../lib/row/contract';
import { athenaType } from '../../lib/schema/model';
import { builtInRegistry } from '../../lib/record/registry';

const schemas = builtInRegistry().schemas();

describe('Athena DDL from the schemas', () => {
  it.each(schemas.map((s) => [s.table, s]))('%s has every schema column with its Athena type, then the p_* columns', (_t, schema) => {
    const ddl = createTableDdl(eventsTable(schema, 's3://lake/prefix'), 'cflogs');
    expect(ddl).toContain(`CREATE EXTERNAL TABLE IF NOT EXISTS \`cflogs\`.\`${schema.table}\` (`);
    for (const f of schema.fields) expect(ddl).toMatch(new RegExp(`\\n  \`${f.name.toLowerCase()}\` ${athenaType(f).replace(/[<>]/g, '\\$&')}[ ,\\n]`));
    for (const p of ['p_event_time` timestamp', 'p_row_id` string', 'p_any_ip_addresses` array<string>', 'p_unknown_fields` string', 'p_invalid_fields` string']) expect(ddl).toContain(p);
    expect(ddl).toContain("PARTITIONED BY (`year` string, `month` string, `day` string, `hour` string)");
    expect(ddl).toContain(`LOCATION 's3://lake/prefix/logs/${schema.table}/'`);
    expect(ddl).toContain(`'storage.location.template' = 's3://lake/prefix/logs/${schema.table}/year=\${year}/month=\${month}/day=\${day}/hour=\${hour}'`);
    expect(ddl).toContain("'projection.hour.digits' = '2'");
    expect(ddl.trim().endsWith(');')).toBe(true);
    // Balanced parentheses and quotes: a cheap syntax sanity check.
    expect((ddl.match(/\(/g) ?? []).length).toBe((ddl.match(/\)/g) ?? []).length);
    expect((ddl.replace(/\\'/g, '').match(/'/g) ?? []).length % 2).toBe(0);
  });

  it('a Parquet lake, the default, reads through ParquetHiveSerDe, with p_event_time_ns beside p_event_time; NDJSON has no such column', () => {
    const schema = schemas[0]!;
    expect(eventsTable(schema, 's3://lake')).toEqual(eventsTable(schema, 's3://lake', 'parquet'));
    expect(lakeTables(schemas, 's3://lake')).toEqual(lakeTables(schemas, 's3://lake', 'parquet'));
    const ddl = createTableDdl(eventsTable(schema, 's3://lake'), 'cflogs');
    expect(ddl).toContain("ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'");
    expect(ddl).toContain("STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat'");
    expect(ddl).toContain("'classification' = 'parquet'");
    expect(ddl).not.toContain('SERDEPROPERTIES');
    expect(ddl).toMatch(/`p_event_time` timestamp COMMENT [^\n]*\n  `p_event_time_ns` bigint /);
    const json = createTableDdl(eventsTable(schema, 's3://lake', 'ndjson'), 'cflogs');
    expect(json).toContain("'org.openx.data.jsonserde.JsonSerDe'");
    expect(json).not.toContain('p_event_time_ns');
  });

  it('every timestamp column is an Athena timestamp, read from the lake\'s text with no timestamp.formats, or from Parquet TIMESTAMP(MICROS)', () => {
    // What was checked against Trino's readers: the OpenX SerDe's default parser takes this text, years 0001-9999.
    expect(JSON_STORAGE.serdeParameters).not.toHaveProperty('timestamp.formats');
    expect([fromRfc3339('0001-01-01T00:00:00Z'), fromRfc3339('9999-12-31T23:59:59.999999999Z')]).toEqual(['0001-01-01 00:00:00.000000000', '9999-12-31 23:59:59.999999999']);
    for (const schema of schemas) {
      for (const format of ['ndjson', 'parquet'] as const) {
        const types = new Map(tableColumns(schema, format).map((c) => [c.Name, c.Type]));
        for (const c of eventColumns(schema, format).filter((x) => x.type === 'timestamp')) expect([c.name, types.get(c.name)]).toEqual([c.name, 'timestamp']);
      }
      const leaves = parquetSchema(eventColumns(schema, 'parquet')).filter((e) => e.logical_type?.type === 'TIMESTAMP');
      expect(leaves.length).toBeGreaterThan(0);
      for (const e of leaves) expect([e.type, e.logical_type]).toEqual(['INT64', { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' }]);
    }
  });

  it('the Glue TableInput has the same columns and projection as the DDL', () => {
    for (const schema of schemas) {
      const input = glueTableInput(eventsTable(schema, 's3://lake')) as { StorageDescriptor: { Columns: { Name: string; Type: string }[] }; Parameters: Record<string, string> };
      expect(input.StorageDescriptor.Columns.map((c) => [c.Name, c.Type])).toEqual(tableColumns(schema).map((c) => [c.Name.toLowerCase(), c.Type]));
      expect(input.Parameters['projection.enabled']).toBe('true');
    }
  });

  it('escapes quotes in comments', () => {
    const ddl = createTableDdl(eventsTable({ ...schemas[0]!, description: "it's" }, 's3://b'), 'd');
    expect(ddl).toContain("it\\'s");
  });

  it('the rejects table reads every log type\'s reject records, partitioned by table and hour as the writer files them', () => {
    const t = rejectsTable(['cloudflare_firewall', 'cloudflare_audit'], 's3://lake/prefix/');
    const ddl = createTableDdl(t, 'cflogs');
    expect(ddl).toContain(`CREATE EXTERNAL TABLE IF NOT EXISTS \`cflogs\`.\`${REJECTS_TABLE}\` (`);
    for (const c of REJECT_COLUMNS) expect(ddl).toContain(`\`${c.name}\` ${c.type}`);
    expect(ddl).toContain('PARTITIONED BY (`table_name` string, `year` string, `month` string, `day` string, `hour` string)');
    expect(ddl).toContain("LOCATION 's3://lake/prefix/rejects/'");
    expect(ddl).toContain("'projection.table_name.type' = 'enum'");
    expect(ddl).toContain("'projection.table_name.values' = 'cloudflare_audit,cloudflare_firewall'");
    expect(ddl).toContain("'storage.location.template' = 's3://lake/prefix/rejects/${table_name}/year=${year}/month=${month}/day=${day}/hour=${hour}'");
  });

  it('the lake is one table per log type, then the rejects and the alerts tables', () => {
    const tables = lakeTables(schemas, 's3://lake');
    expect(tables.map((t) => t.name)).toEqual([...schemas.map((s) => s.table), REJECTS_TABLE, ALERTS_TABLE]);
  });

  it('the alerts table has a column per field of the alert record, in its order, under alerts/ by hour', () => {
    const record = alertRecord(builtInRules()[0], {
      groupKey: 'k', alertId: 'a', ruleId: 'r', dedup: 'd', windowStart: '2026-11-01 10:00:00.000000000', windowEnd: '2026-11-01 11:00:00.000000000',
      eventCount: 1, firstEventTime: '2026-11-01 10:00:00.000000000', lastEventTime: '2026-11-01 10:00:00.000000000', rowIds: ['x'], title: 't',
      severity: 'Info', alertContext: {}, createdAt: '2026-11-01 10:00:00.000000000', published: false,
    } as AlertState, new Date(0));
    const t = alertsTable('s3://lake/p');
    expect(t.columns.map((c) => c.Name)).toEqual(Object.keys(record));
    const ddl = createTableDdl(t, 'cflogs');
    expect(ddl).toContain("LOCATION 's3://lake/p/alerts/'");
    expect(ddl).toContain("'storage.location.template' = 's3://lake/p/alerts/year=${year}/month=${month}/day=${day}/hour=${hour}'");
    expect(ddl).toContain('`eventcount` bigint');
    expect(ddl).toContain('`rowids` array<string>');
  });
});
