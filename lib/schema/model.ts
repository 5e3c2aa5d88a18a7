/** The in-memory form of a log type schema (Panther's YAML schema format plus a few cflogs keys). */

export const SCALAR_TYPES = ['string', 'boolean', 'bigint', 'int', 'smallint', 'float', 'timestamp', 'json'] as const;
export type ScalarType = (typeof SCALAR_TYPES)[number];
export type FieldType = ScalarType | 'array';

/** The integer types' ranges, both ends included; bigint holds what a double holds exactly (rows are JSON numbers). */
export const INTEGER_RANGES = {
  smallint: [-32768, 32767],
  int: [-2147483648, 2147483647],
  bigint: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
} as const satisfies Record<string, readonly [number, number]>;
export type IntegerType = keyof typeof INTEGER_RANGES;

/** The range of an integer type, or undefined for any other type. */
export function integerRange(type: FieldType): readonly [number, number] | undefined {
  return type === 'smallint' || type === 'int' || type === 'bigint' ? INTEGER_RANGES[type] : undefined;
}

/**
 * Indicator kinds a field may carry. `url` puts the URL in p_any_urls and its host in the domain (or IP) array;
 * `device_id` is a Zero Trust device's id (WARP, Gateway, DEX, posture), which joins one laptop across datasets.
 */
export const INDICATORS = ['ip', 'domain', 'url', 'trace_id', 'email', 'username', 'md5', 'sha1', 'sha256', 'device_id'] as const;
export type Indicator = (typeof INDICATORS)[number];

/** `cloudflare`: unixnano / unix integers or RFC3339 strings. `rfc1123`: HTTP header dates. */
export const TIME_FORMATS = ['cloudflare', 'rfc3339', 'unix', 'rfc1123'] as const;
export type TimeFormat = (typeof TIME_FORMATS)[number];

export interface FieldSpec {
  name: string;
  type: FieldType;
  /** Element type, for `array` fields. */
  element?: { type: ScalarType; timeFormats?: TimeFormat[] };
  required: boolean;
  description: string;
  indicators: Indicator[];
  timeFormats: TimeFormat[];
  isEventTime: boolean;
  /** Other input spellings that land in this column (Cloudflare writes ClientAsn in Spectrum). */
  aliases: string[];
}

export const DATASET_SCOPES = ['zone', 'account'] as const;
export type DatasetScope = (typeof DATASET_SCOPES)[number];

export interface LogSchema {
  logType: string;
  description: string;
  referenceURL?: string;
  /** Logpush dataset name; a key path segment equal to it routes to this schema. */
  dataset?: string;
  /** Where Cloudflare offers the dataset: a zone's Logpush jobs, an account's, or both (the API path of a job). */
  scopes?: DatasetScope[];
  /** Glue/Athena table name. */
  table: string;
  fields: FieldSpec[];
  /** The single isEventTime field. */
  eventTimeField: string;
}

/** Athena/Glue column type for a field. */
export function athenaType(f: { type: FieldType; element?: { type: ScalarType } }): string {
  switch (f.type) {
    case 'string':
    case 'json':
      return 'string';
    case 'boolean':
      return 'boolean';
    case 'bigint':
      return 'bigint';
    case 'int':
      return 'int';
    case 'smallint':
      return 'smallint';
    case 'float':
      return 'double';
    case 'timestamp':
      return 'timestamp';
    case 'array':
      return `array<${athenaType({ type: f.element?.type ?? 'string' })}>`;
  }
}

/** Default table name: `Cloudflare.HttpRequest` -> `cloudflare_httprequest`, as Panther names its tables. */
export function defaultTableName(logType: string): string {
  return logType.toLowerCase().replace(/[^a-z0-9]+/g, '_');
}
