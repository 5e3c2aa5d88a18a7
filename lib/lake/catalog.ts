import { P_COLUMNS as STANDARD_COLUMNS } from '../row/contract';
import { athenaType, LogSchema } from '../schema/model';
import { PARTITION_KEYS as KEYS, PARTITION_TEMPLATE, tableDir } from './layout';

/**
 * Glue / Athena table definitions, generated from the same schemas as the validators, so the lake's tables
 * always match what the parser writes. Used by `cflogs ddl` and by the deploy stack (infra/).
 */

export interface GlueColumn {
  Name: string;
  Type: string;
  Comment?: string;
}

const P_COLUMNS: GlueColumn[] = STANDARD_COLUMNS.map((c) => ({ Name: c.name, Type: c.type, Comment: c.description }));

export const PARTITION_KEYS: GlueColumn[] = KEYS.map((n) => ({ Name: n, Type: 'string' }));

export const JSON_SERDE = 'org.openx.data.jsonserde.JsonSerDe';
export const INPUT_FORMAT = 'org.apache.hadoop.mapred.TextInputFormat';
export const OUTPUT_FORMAT = 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat';

export function tableColumns(schema: LogSchema): GlueColumn[] {
  return [
    ...schema.fields.map((f) => ({
      Name: f.name,
      Type: athenaType(f),
      ...(f.description ? { Comment: f.description.slice(0, 255) } : {}),
    })),
    ...P_COLUMNS,
  ];
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

/** `CREATE EXTERNAL TABLE` for Athena (Hive DDL), one per log type. */
export function createTableDdl(schema: LogSchema, opts: DdlOptions): string {
  const location = tableLocation(opts.bucketUri, schema);
  const cols = tableColumns(schema)
    .map((c) => `  \`${c.Name.toLowerCase()}\` ${c.Type}${c.Comment ? ` COMMENT '${sqlString(c.Comment)}'` : ''}`)
    .join(',\n');
  const props = { classification: 'json', ...projectionParameters(location) };
  return [
    `CREATE EXTERNAL TABLE IF NOT EXISTS \`${opts.database}\`.\`${schema.table}\` (`,
    cols,
    `)`,
    `COMMENT '${sqlString(`${schema.logType}: ${schema.description}`.slice(0, 255))}'`,
    `PARTITIONED BY (${PARTITION_KEYS.map((k) => `\`${k.Name}\` ${k.Type}`).join(', ')})`,
    `ROW FORMAT SERDE '${JSON_SERDE}'`,
    `WITH SERDEPROPERTIES ('case.insensitive' = 'true', 'ignore.malformed.json' = 'false')`,
    `STORED AS INPUTFORMAT '${INPUT_FORMAT}' OUTPUTFORMAT '${OUTPUT_FORMAT}'`,
    `LOCATION '${location}'`,
    `TBLPROPERTIES (`,
    Object.entries(props)
      .map(([k, v]) => `  '${k}' = '${sqlString(v)}'`)
      .join(',\n'),
    `);`,
  ].join('\n');
}

/** The `TableInput` of an `AWS::Glue::Table` resource, with the same columns and projection as the DDL. */
export function glueTableInput(schema: LogSchema, bucketUri: string): Record<string, unknown> {
  const location = tableLocation(bucketUri, schema);
  return {
    Name: schema.table,
    Description: `${schema.logType}: ${schema.description}`.slice(0, 2048),
    TableType: 'EXTERNAL_TABLE',
    Parameters: { classification: 'json', EXTERNAL: 'TRUE', ...projectionParameters(location) },
    PartitionKeys: PARTITION_KEYS,
    StorageDescriptor: {
      Columns: tableColumns(schema).map((c) => ({ ...c, Name: c.Name.toLowerCase() })),
      Location: location,
      InputFormat: INPUT_FORMAT,
      OutputFormat: OUTPUT_FORMAT,
      SerdeInfo: { SerializationLibrary: JSON_SERDE, Parameters: { 'case.insensitive': 'true' } },
    },
  };
}

function sqlString(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
}
