import { REJECT_COLUMNS } from '../row/contract';
import { ALERT_COLUMNS } from '../rules/alert-record';
import { athenaType, LogSchema } from '../schema/model';
import { DEFAULT_LAKE_FORMAT, eventColumns, LakeFormat } from './format';
import { KIND_DIRS, PARTITION_KEYS as KEYS, PARTITION_TEMPLATE, tableDir } from './layout';

/**
 * Glue / Athena table definitions, generated from the same schemas as the validators, so the lake's tables
 * always match what the parser writes. Used by `cflogs ddl` and by the deploy stack (infra/).
 */

export interface GlueColumn {
  Name: string;
  Type: string;
  Comment?: string;
}

export const PARTITION_KEYS: GlueColumn[] = KEYS.map((n) => ({ Name: n, Type: 'string' }));

/** How a table's files are read: Hive's SerDe and formats, and the classification Glue shows. */
export interface Storage {
  classification: 'json' | 'parquet';
  serde: string;
  serdeParameters: Record<string, string>;
  inputFormat: string;
  outputFormat: string;
}

/**
 * NDJSON through the OpenX JSON SerDe. No `timestamp.formats`: the lake's `YYYY-MM-DD HH:MM:SS.fffffffff` is a form
 * the SerDe reads by default (in Athena engine v3, Trino's reader parses it with java.time: years 0001-9999, up to
 * nine fraction digits, rounded to the column's milliseconds), and a format list would only narrow that.
 */
export const JSON_STORAGE: Storage = {
  classification: 'json',
  serde: 'org.openx.data.jsonserde.JsonSerDe',
  serdeParameters: { 'case.insensitive': 'true', 'ignore.malformed.json': 'false' },
  inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
  outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
};

/** Parquet; timestamps are INT64 TIMESTAMP(MICROS), epoch microseconds, which hold every year the lake does. */
export const PARQUET_STORAGE: Storage = {
  classification: 'parquet',
  serde: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
  serdeParameters: {},
  inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
  outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
};

/** A log type's columns with Athena's types, for the lake's format (Parquet adds p_event_time_ns). */
export function tableColumns(schema: LogSchema, format: LakeFormat = DEFAULT_LAKE_FORMAT): GlueColumn[] {
  return eventColumns(schema, format).map((c) => ({
    Name: c.name,
    Type: athenaType({ type: c.type, ...(c.element ? { element: { type: c.element } } : {}) }),
    ...(c.description ? { Comment: c.description.slice(0, 255) } : {}),
  }));
}

/** `s3://bucket/prefix/logs/<table>/` */
export function tableLocation(bucketUri: string, schema: LogSchema): string {
  return `${bucketUri.replace(/\/+$/, '')}/${tableDir('events', schema.table)}`;
}

/**
 * Partition projection: Athena computes partitions from the key layout, so no crawler and no MSCK REPAIR.
 * Values are zero-padded like the keys the writer produces (`month=03`, lib/lake/layout.ts).
 */
export function projectionParameters(location: string, firstYear = 2015): Record<string, string> {
  return {
    'projection.enabled': 'true',
    'projection.year.type': 'integer',
    'projection.year.range': `${firstYear},2099`,
    'projection.month.type': 'integer',
    'projection.month.range': '1,12',
    'projection.month.digits': '2',
    'projection.day.type': 'integer',
    'projection.day.range': '1,31',
    'projection.day.digits': '2',
    'projection.hour.type': 'integer',
    'projection.hour.range': '0,23',
    'projection.hour.digits': '2',
    'storage.location.template': `${location}${PARTITION_TEMPLATE}`,
  };
}

export interface DdlOptions {
  database: string;
  /** `s3://output-bucket` or `s3://output-bucket/prefix`. */
  bucketUri: string;
}

/** One table of the lake, whatever it holds: what the DDL and the Glue resource are both made from. */
export interface TableDef {
  name: string;
  description: string;
  columns: GlueColumn[];
  partitionKeys: GlueColumn[];
  location: string;
  parameters: Record<string, string>;
  storage: Storage;
}

/** A log type's rows: `logs/<table>/`, partitioned by event hour, as Parquet (by default) or NDJSON files. */
export function eventsTable(schema: LogSchema, bucketUri: string, format: LakeFormat = DEFAULT_LAKE_FORMAT): TableDef {
  const location = tableLocation(bucketUri, schema);
  return {
    name: schema.table,
    description: `${schema.logType}: ${schema.description}`,
    columns: tableColumns(schema, format),
    partitionKeys: PARTITION_KEYS,
    location,
    parameters: projectionParameters(location),
    storage: format === 'parquet' ? PARQUET_STORAGE : JSON_STORAGE,
  };
}

export const REJECTS_TABLE = 'cflogs_rejects';
/** The rejects table's extra partition: the log type's table, the folder under rejects/. */
const TABLE_KEY = 'table_name';

/**
 * Every log type's reject records in one table: `rejects/<table>/year=/month=/day=/hour=/`, the table a partition
 * projected from the list of log types' tables, so `WHERE table_name = 'cloudflare_firewall'` reads one folder.
 */
export function rejectsTable(tables: readonly string[], bucketUri: string): TableDef {
  const location = `${bucketUri.replace(/\/+$/, '')}/${KIND_DIRS.rejects}`;
  const hours = projectionParameters(location);
  return {
    name: REJECTS_TABLE,
    description: 'Lines that did not become rows, with the reason, for every log type',
    columns: REJECT_COLUMNS.map((c) => ({ Name: c.name, Type: c.type, Comment: c.description })),
    partitionKeys: [{ Name: TABLE_KEY, Type: 'string' }, ...PARTITION_KEYS],
    location,
    parameters: {
      ...hours,
      [`projection.${TABLE_KEY}.type`]: 'enum',
      [`projection.${TABLE_KEY}.values`]: [...tables].sort().join(','),
      'storage.location.template': `${location}\${${TABLE_KEY}}/${PARTITION_TEMPLATE}`,
    },
    // NDJSON whatever the rows' format: a reject's raw line is text, and rejects are few.
    storage: JSON_STORAGE,
  };
}

export const ALERTS_TABLE = 'cflogs_alerts';

/** The detections' alerts: `alerts/year=/month=/day=/hour=/<alert id>.json.zst`, by the hour their window starts. */
export function alertsTable(bucketUri: string): TableDef {
  const location = `${bucketUri.replace(/\/+$/, '')}/${KIND_DIRS.alerts}`;
  return {
    name: ALERTS_TABLE,
    description: 'Alerts the detection rules raised: one record per alert, rewritten as later matches join it',
    columns: ALERT_COLUMNS.map((c) => ({ Name: c.name, Type: c.type, Comment: c.description })),
    partitionKeys: PARTITION_KEYS,
    location,
    parameters: projectionParameters(location),
    storage: JSON_STORAGE,
  };
}

/** Every table of the lake: one per log type, then the rejects and the alerts tables. */
export function lakeTables(schemas: readonly LogSchema[], bucketUri: string, format: LakeFormat = DEFAULT_LAKE_FORMAT): TableDef[] {
  return [...schemas.map((s) => eventsTable(s, bucketUri, format)), rejectsTable(schemas.map((s) => s.table), bucketUri), alertsTable(bucketUri)];
}

/** `CREATE EXTERNAL TABLE` for Athena (Hive DDL). */
export function createTableDdl(t: TableDef, database: string): string {
  const cols = t.columns
    .map((c) => `  \`${c.Name.toLowerCase()}\` ${c.Type}${c.Comment ? ` COMMENT '${sqlString(c.Comment)}'` : ''}`)
    .join(',\n');
  const { storage } = t;
  const props = { classification: storage.classification, ...t.parameters };
  const serdeProps = Object.entries(storage.serdeParameters);
  return [
    `CREATE EXTERNAL TABLE IF NOT EXISTS \`${database}\`.\`${t.name}\` (`,
    cols,
    `)`,
    `COMMENT '${sqlString(t.description.slice(0, 255))}'`,
    `PARTITIONED BY (${t.partitionKeys.map((k) => `\`${k.Name}\` ${k.Type}`).join(', ')})`,
    `ROW FORMAT SERDE '${storage.serde}'`,
    ...(serdeProps.length > 0 ? [`WITH SERDEPROPERTIES (${serdeProps.map(([k, v]) => `'${k}' = '${sqlString(v)}'`).join(', ')})`] : []),
    `STORED AS INPUTFORMAT '${storage.inputFormat}' OUTPUTFORMAT '${storage.outputFormat}'`,
    `LOCATION '${t.location}'`,
    `TBLPROPERTIES (`,
    Object.entries(props)
      .map(([k, v]) => `  '${k}' = '${sqlString(v)}'`)
      .join(',\n'),
    `);`,
  ].join('\n');
}

/** The `TableInput` of an `AWS::Glue::Table` resource, with the same columns and projection as the DDL. */
export function glueTableInput(t: TableDef): Record<string, unknown> {
  return {
    Name: t.name,
    Description: t.description.slice(0, 2048),
    TableType: 'EXTERNAL_TABLE',
    Parameters: { classification: t.storage.classification, EXTERNAL: 'TRUE', ...t.parameters },
    PartitionKeys: t.partitionKeys,
    StorageDescriptor: {
      Columns: t.columns.map((c) => ({ ...c, Name: c.Name.toLowerCase() })),
      Location: t.location,
      InputFormat: t.storage.inputFormat,
      OutputFormat: t.storage.outputFormat,
      SerdeInfo: { SerializationLibrary: t.storage.serde, Parameters: t.storage.serdeParameters },
    },
  };
}

function sqlString(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
}
