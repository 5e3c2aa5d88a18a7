import type { LakeColumn } from '../lake/format';
import type { ScalarType } from '../schema/model';

/**
 * A lake table's Iceberg schema: the lake's columns (lib/lake/format.ts eventColumns, as the Parquet files hold them)
 * with Iceberg field ids. Ids are the table's, never reused: a table keeps the ids its columns have, and a column a
 * schema gains gets the next id after the table's last one, so files written before read it as NULL.
 */

export type IcebergPrimitive = 'string' | 'long' | 'int' | 'double' | 'boolean' | 'timestamptz';

export interface IcebergList {
  type: 'list';
  'element-id': number;
  element: IcebergPrimitive;
  'element-required': false;
}

export interface IcebergField {
  id: number;
  name: string;
  required: boolean;
  type: IcebergPrimitive | IcebergList;
  doc?: string;
}

export interface IcebergSchema {
  type: 'struct';
  'schema-id': number;
  fields: IcebergField[];
}

/** Iceberg's type of a lake column type: json is text, as in the Parquet files; timestamps are UTC microseconds. */
export function icebergType(t: ScalarType): IcebergPrimitive {
  switch (t) {
    case 'string':
    case 'json':
      return 'string';
    case 'boolean':
      return 'boolean';
    case 'bigint':
      return 'long';
    case 'int':
    case 'smallint':
      return 'int';
    case 'float':
      return 'double';
    case 'timestamp':
      return 'timestamptz';
  }
}

/**
 * The schema of `columns`, keeping the ids of `current` (a table's schema) by name and giving new columns ids after
 * `lastColumnId`. Returns the schema and the table's new last column id.
 */
export function icebergSchema(
  columns: readonly LakeColumn[],
  current?: { schema: IcebergSchema; lastColumnId: number },
): { schema: IcebergSchema; lastColumnId: number } {
  const known = new Map((current?.schema.fields ?? []).map((f) => [f.name, f]));
  let last = current?.lastColumnId ?? 0;
  const fields = columns.map((c): IcebergField => {
    const had = known.get(c.name);
    const id = had?.id ?? ++last;
    const type: IcebergField['type'] =
      c.type === 'array'
        ? {
            type: 'list',
            'element-id': had !== undefined && typeof had.type === 'object' ? had.type['element-id'] : ++last,
            element: icebergType(c.element ?? 'string'),
            'element-required': false,
          }
        : icebergType(c.type);
    return { id, name: c.name, required: false, type, ...(c.description ? { doc: c.description } : {}) };
  });
  const same = current !== undefined && JSON.stringify(current.schema.fields) === JSON.stringify(fields);
  const schemaId = current === undefined ? 0 : same ? current.schema['schema-id'] : current.schema['schema-id'] + 1;
  return { schema: { type: 'struct', 'schema-id': schemaId, fields }, lastColumnId: last };
}

/**
 * The table's default name mapping (`schema.name-mapping.default`): the lake's Parquet files carry column names, not
 * field ids, and Iceberg readers map them to ids by it (a list's element is `element`, the three-level form).
 */
export function nameMapping(schema: IcebergSchema): string {
  return JSON.stringify(
    schema.fields.map((f) => ({
      'field-id': f.id,
      names: [f.name],
      ...(typeof f.type === 'object' ? { fields: [{ 'field-id': f.type['element-id'], names: ['element'] }] } : {}),
    })),
  );
}
