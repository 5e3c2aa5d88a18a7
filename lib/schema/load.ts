import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { SchemaError } from '../errors';
import {
  DATASET_SCOPES,
  DatasetScope,
  defaultTableName,
  FieldSpec,
  INDICATORS,
  Indicator,
  LogSchema,
  SCALAR_TYPES,
  ScalarType,
  TIME_FORMATS,
  TimeFormat,
} from './model';

/** Reads every `*.yml` / `*.yaml` below `dir` (user schemas can be dropped in a sub-folder). */
export function loadSchemaDir(dir: string): LogSchema[] {
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(name)) files.push(p);
    }
  };
  walk(dir);
  const schemas = files.map((f) => parseSchema(readFileSync(f, 'utf8'), f));
  const seen = new Map<string, string>();
  for (const s of schemas) {
    for (const id of [s.logType, `table:${s.table}`, ...(s.dataset ? [`dataset:${s.dataset}`] : [])]) {
      if (seen.has(id)) throw new SchemaError(`${id} is defined twice (${seen.get(id)} and ${s.logType})`);
      seen.set(id, s.logType);
    }
  }
  return schemas;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Parses and checks one schema document; every mistake names the file and field. */
export function parseSchema(text: string, file = '<schema>'): LogSchema {
  const doc: unknown = parse(text);
  const fail = (msg: string): never => {
    throw new SchemaError(`${file}: ${msg}`);
  };
  if (!isRecord(doc)) return fail('not a YAML mapping');
  const logType = str(doc.schema) ?? fail('`schema` (the log type name) is required');
  if (!Array.isArray(doc.fields) || doc.fields.length === 0) return fail('`fields` must be a non-empty list');
  const names = new Set<string>();
  const fields: FieldSpec[] = doc.fields.map((raw: unknown, i: number): FieldSpec => {
    if (!isRecord(raw)) return fail(`fields[${i}] is not a mapping`);
    const name = str(raw.name) ?? fail(`fields[${i}] has no name`);
    const where = `field ${name}`;
    if (!NAME.test(name) || name.startsWith('p_')) fail(`${where}: invalid name (letters, digits, _; p_ is reserved)`);
    const type = str(raw.type) ?? fail(`${where}: type is required`);
    if (type !== 'array' && !isScalar(type)) fail(`${where}: unknown type ${type}`);
    let element: FieldSpec['element'];
    if (type === 'array') {
      if (!isRecord(raw.element) || !isScalar(str(raw.element.type))) fail(`${where}: array needs element.type`);
      const el = raw.element as Record<string, unknown>;
      element = { type: el.type as ScalarType };
      if (element.type === 'timestamp') element.timeFormats = timeFormats(el.timeFormats, `${where} element`, fail);
    }
    const indicators = list(raw.indicators, `${where}: indicators`, fail).map((x) =>
      (INDICATORS as readonly string[]).includes(x) ? (x as Indicator) : fail(`${where}: unknown indicator ${x}`),
    );
    const tf = type === 'timestamp' ? timeFormats(raw.timeFormats, where, fail) : [];
    const aliases = list(raw.aliases, `${where}: aliases`, fail);
    for (const n of [name, ...aliases]) {
      if (names.has(n)) fail(`${where}: name ${n} is used twice`);
      names.add(n);
    }
    return {
      name,
      type: type as FieldSpec['type'],
      ...(element ? { element } : {}),
      required: raw.required === true,
      description: str(raw.description) ?? '',
      indicators,
      timeFormats: tf,
      isEventTime: raw.isEventTime === true,
      aliases,
    };
  });
  const eventTime = fields.filter((f) => f.isEventTime);
  if (eventTime.length !== 1) fail(`exactly one field must have isEventTime (found ${eventTime.length})`);
  const et = eventTime[0] as FieldSpec;
  if (et.type !== 'timestamp') fail(`event time field ${et.name} must be a timestamp`);
  const table = str(doc.table) ?? defaultTableName(logType);
  if (!/^[a-z_][a-z0-9_]*$/.test(table)) fail(`table ${table} is not a valid Glue table name`);
  const dataset = str(doc.dataset);
  const referenceURL = str(doc.referenceURL);
  const scopes =
    doc.scopes === undefined
      ? undefined
      : list(doc.scopes, 'scopes', fail).map((x) => ((DATASET_SCOPES as readonly string[]).includes(x) ? (x as DatasetScope) : fail(`scopes: ${x} is not zone or account`)));
  if (scopes && (scopes.length === 0 || dataset === undefined)) fail('scopes names where Cloudflare offers the dataset: it needs a dataset and at least one scope');
  return {
    logType,
    description: str(doc.description) ?? '',
    ...(referenceURL ? { referenceURL } : {}),
    ...(dataset ? { dataset } : {}),
    ...(scopes ? { scopes } : {}),
    table,
    fields,
    eventTimeField: et.name,
  };
}

function timeFormats(v: unknown, where: string, fail: (m: string) => never): TimeFormat[] {
  const tf = list(v, `${where}: timeFormats`, fail);
  if (tf.length === 0) fail(`${where}: a timestamp needs timeFormats`);
  return tf.map((x) => ((TIME_FORMATS as readonly string[]).includes(x) ? (x as TimeFormat) : fail(`${where}: unknown time format ${x}`)));
}

function list(v: unknown, where: string, fail: (m: string) => never): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) return fail(`${where} must be a list of strings`);
  return v as string[];
}

function isScalar(t: string | undefined): t is ScalarType {
  return t !== undefined && (SCALAR_TYPES as readonly string[]).includes(t);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
