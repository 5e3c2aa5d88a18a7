import { parseAllDocuments } from 'yaml';
import { refuse, SigmaRefusal } from './refusal';

/**
 * A Sigma rule (or correlation rule) document as cflogs reads it (sigma-rules-specification.md,
 * sigma-correlation-rules-specification.md): the metadata kept for the compiled rule, the logsource and the detection
 * as written. Anything the structure does not allow refuses the document, with the reason.
 */

export interface SigmaMeta {
  title: string;
  id: string;
  name?: string;
  status?: string;
  level?: string;
  description?: string;
  author?: string;
  date?: string;
  tags: string[];
  references: string[];
  falsepositives: string[];
  /** The file it came from (and its document number when the file holds several). */
  file: string;
}

export interface SigmaRule extends SigmaMeta {
  kind: 'rule';
  logsource: { category?: string; product?: string; service?: string };
  detection: Record<string, unknown>;
}

export interface SigmaCorrelation extends SigmaMeta {
  kind: 'correlation';
  type: string;
  rules: string[];
  groupBy: string[];
  timespan?: string;
  condition?: Record<string, unknown>;
  /** Whether the referenced rules alert on their own too (default false). */
  generate: boolean;
}

export type SigmaDocument = SigmaRule | SigmaCorrelation;

/** A document that could not be read, with enough to name it in a report. */
export interface SigmaParseRefusal {
  file: string;
  id?: string;
  title?: string;
  reason: string;
}

const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
const texts = (v: unknown, what: string): string[] => {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' || typeof x === 'number')) refuse(`${what} must be a list of text`);
  return (v as unknown[]).map(String);
};

/** Reads one YAML file's documents; each is a rule, a correlation or a refusal. Action-chaining (`action: global`) and filters are refused. */
export function parseSigmaFile(source: string, file: string): Array<SigmaDocument | SigmaParseRefusal> {
  let docs: unknown[];
  try {
    const parsed = parseAllDocuments(source, { uniqueKeys: true });
    const list = Array.isArray(parsed) ? parsed : [parsed];
    for (const d of list) if (d.errors.length > 0) throw new Error(d.errors[0]?.message);
    docs = list.map((d) => d.toJS({ maxAliasCount: 50 }) as unknown);
  } catch (e) {
    return [{ file, reason: `not valid YAML: ${(e as Error).message.split('\n')[0]}` }];
  }
  docs = docs.filter((d) => d !== null && d !== undefined);
  return docs.map((d, i) => {
    const where = docs.length > 1 ? `${file}#${i + 1}` : file;
    try {
      return parseSigmaDocument(d, where);
    } catch (e) {
      if (!(e instanceof SigmaRefusal)) throw e;
      const o = (typeof d === 'object' && d !== null ? d : {}) as Record<string, unknown>;
      const id = text(o.id);
      const title = text(o.title);
      return { file: where, ...(id !== undefined ? { id } : {}), ...(title !== undefined ? { title } : {}), reason: e.message };
    }
  });
}

export function parseSigmaDocument(doc: unknown, file: string): SigmaDocument {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) refuse('a Sigma document must be a map');
  const o = doc as Record<string, unknown>;
  if (o.action !== undefined) refuse(`action: ${String(o.action)} (rule collections of the old format) are not supported; write each rule whole`);
  if (o.filter !== undefined) refuse('Sigma filters (meta filters applied to other rules) are not supported');
  const title = text(o.title);
  if (!title) refuse('the rule has no title');
  const id = text(o.id);
  if (!id) refuse('the rule has no id');
  if (!/^[A-Za-z0-9][A-Za-z0-9._:-]{0,190}$/.test(id)) refuse(`id ${JSON.stringify(id)} cannot be a cflogs rule id (letters, digits and . _ - :)`);
  const author = Array.isArray(o.author) ? o.author.map(String).join(', ') : text(o.author);
  const meta: SigmaMeta = {
    title,
    id,
    ...(text(o.name) !== undefined ? { name: text(o.name) as string } : {}),
    ...(text(o.status) !== undefined ? { status: text(o.status) as string } : {}),
    ...(text(o.level) !== undefined ? { level: text(o.level) as string } : {}),
    ...(text(o.description) !== undefined ? { description: (text(o.description) as string).trim() } : {}),
    ...(author !== undefined ? { author } : {}),
    ...(o.date !== undefined ? { date: o.date instanceof Date ? o.date.toISOString().slice(0, 10) : String(o.date) } : {}),
    tags: texts(o.tags, 'tags'),
    references: texts(o.references, 'references'),
    falsepositives: texts(o.falsepositives, 'falsepositives'),
    file,
  };
  if (o.correlation !== undefined) {
    const c = o.correlation as Record<string, unknown>;
    if (typeof c !== 'object' || c === null || Array.isArray(c)) refuse('correlation must be a map');
    const type = text(c.type);
    if (!type) refuse('the correlation has no type');
    const rules = texts(c.rules, 'correlation.rules');
    if (rules.length === 0) refuse('the correlation names no rules');
    const groupBy = texts(c['group-by'], 'correlation.group-by');
    const timespan = text(c.timespan ?? c.timeframe);
    const condition = c.condition;
    if (condition !== undefined && (typeof condition !== 'object' || condition === null || Array.isArray(condition))) refuse('correlation.condition must be a map');
    return {
      ...meta,
      kind: 'correlation',
      type,
      rules,
      groupBy,
      ...(timespan !== undefined ? { timespan } : {}),
      ...(condition !== undefined ? { condition: condition as Record<string, unknown> } : {}),
      generate: c.generate === true,
    };
  }
  const ls = o.logsource as Record<string, unknown> | undefined;
  if (typeof ls !== 'object' || ls === null || Array.isArray(ls)) refuse('the rule has no logsource');
  const det = o.detection as Record<string, unknown> | undefined;
  if (typeof det !== 'object' || det === null || Array.isArray(det)) refuse('the rule has no detection');
  const logsource: SigmaRule['logsource'] = {};
  for (const k of ['category', 'product', 'service'] as const) {
    const v = text(ls[k]);
    if (v !== undefined) logsource[k] = v;
  }
  return { ...meta, kind: 'rule', logsource, detection: det };
}
