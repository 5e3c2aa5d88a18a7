import { P_COLUMNS } from '../lib/row/contract';
import type { Row } from '../lib/row/writer';

/**
 * A Row from a row's NDJSON text, for tests and benchmarks that hand the lake writer rows of their own: its columns
 * are the text's fields, parsed when a columnar file asks for them. `columnNames` must be the same array for every
 * row of one file (a Parquet file maps its columns once per array); the p_* fields come from the text too.
 */
export function jsonRow(eventTime: string, json: string, columnNames: readonly string[] = NO_COLUMNS): Row {
  let parsed: Record<string, unknown> | undefined;
  const field = (name: string): unknown => (parsed ??= JSON.parse(json) as Record<string, unknown>)[name];
  return {
    rowId: '',
    eventTime,
    size: json.length,
    columnNames,
    json: () => json,
    value: (i) => field(columnNames[i] as string),
    jsonText(i) {
      const v = field(columnNames[i] as string);
      return v === undefined ? undefined : JSON.stringify(v);
    },
    standard(k) {
      const c = P_COLUMNS[k];
      const v = c === undefined ? undefined : field(c.name);
      return v === undefined ? undefined : c !== undefined && 'json' in c ? JSON.stringify(v) : (v as string | string[]);
    },
  };
}

const NO_COLUMNS: readonly string[] = [];
