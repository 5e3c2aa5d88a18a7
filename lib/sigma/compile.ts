import { defineRule, Rule, RuleEvent, Severity } from '../rules/model';
import { Condition, evaluate, parseCondition } from './condition';
import { CATEGORIES, categoryDatasets, DatasetMapping, fieldOf, UNMAPPABLE } from './fields';
import type { SigmaCorrelation, SigmaMeta, SigmaRule } from './parse';
import { refuse } from './refusal';
import { checkModifiers, fieldMatcher, textMatcher, textTests, ValuePredicate, valueMatcher } from './values';

/**
 * Compiles a parsed Sigma rule into a cflogs Rule (lib/rules/model.ts): the detection's selections become
 * predicates over a row's fields (mapped per logsource category: lib/sigma/fields.ts), the condition combines them.
 * A rule that cannot be compiled faithfully throws a SigmaRefusal with the reason; nothing is applied in part.
 */

/** One field of a selection map (field '' is a keyword search), its modifiers and values as written. */
export interface FieldCondition {
  field: string;
  modifiers: readonly string[];
  values: readonly unknown[];
  /** Any value (every value with `all`) matches the field's value. */
  match: ValuePredicate;
  /** Per value, for keyword searches with `all` (each value in any keyword column). */
  each: readonly ValuePredicate[];
}

/** A selection: OR over its maps, each an AND over its fields. A keyword list is one map with one field ''. */
export interface Selection {
  maps: readonly (readonly FieldCondition[])[];
}

export interface CompiledDetection {
  selections: Readonly<Record<string, Selection>>;
  condition: Condition;
}

export interface CompiledSigma {
  rule: Rule;
  meta: SigmaMeta;
  category: string;
  /** The datasets (log types) it runs on: those of its category where every field it names maps. */
  logTypes: readonly string[];
  detection: CompiledDetection;
  /** Set for a compiled correlation: the rule it counts. */
  correlationOf?: string;
}

export const DRL = 'Detection Rule License (DRL) 1.1, https://github.com/SigmaHQ/Detection-Rule-License';

const LEVELS: ReadonlyMap<string, Severity> = new Map([
  ['informational', 'Info'],
  ['low', 'Low'],
  ['medium', 'Medium'],
  ['high', 'High'],
  ['critical', 'Critical'],
]);

function selectionOf(name: string, raw: unknown): Selection {
  const keywordsOf = (values: unknown[], modifiers: readonly string[]): FieldCondition => {
    checkModifiers(`${name} (keywords)`, modifiers);
    // A keyword is found anywhere in a keyword column: contains, unless the rule says where.
    const where = ['contains', 'startswith', 'endswith', 're', 'cidr', 'exists', 'lt', 'lte', 'gt', 'gte'].some((m) => modifiers.includes(m)) ? [] : ['contains'];
    const mods = [...where, ...modifiers.filter((m) => m !== 'all')];
    // A number among keywords is its text in the line (`200`).
    const texts = values.map((v) => (typeof v === 'number' ? String(v) : v));
    if (texts.length === 0) refuse(`${name}: an empty keyword list`);
    const each = texts.map((v) => valueMatcher(`${name} (keywords)`, v, mods));
    const all = modifiers.includes('all');
    // Without `all`, plain keywords are tested together on each column's text, folded once.
    const plain = !all && texts.every((v) => typeof v === 'string') && !mods.some((m) => ['re', 'cidr', 'exists', 'lt', 'lte', 'gt', 'gte'].includes(m));
    const match = plain ? textMatcher(textTests(`${name} (keywords)`, texts as string[], mods), 'some') : all ? (v: unknown) => each.every((p) => p(v)) : (v: unknown) => each.some((p) => p(v));
    return { field: '', modifiers, values, each, match };
  };
  const mapOf = (m: Record<string, unknown>): FieldCondition[] => {
    const entries = Object.entries(m);
    if (entries.length === 0) refuse(`${name}: an empty selection map`);
    return entries.map(([key, values]) => {
      const [field, ...modifiers] = key.split('|') as [string, ...string[]];
      if (field === '') return keywordsOf(Array.isArray(values) ? values : [values], modifiers);
      const list = Array.isArray(values) ? values : [values];
      if (list.some((v) => typeof v === 'object' && v !== null)) refuse(`${name}.${field}: nested values are not Sigma`);
      return { field, modifiers, values: list, match: fieldMatcher(field, list, modifiers), each: [] };
    });
  };
  if (Array.isArray(raw)) {
    if (raw.length === 0) refuse(`${name}: an empty list`);
    if (raw.every((v) => typeof v !== 'object' || v === null)) return { maps: [[keywordsOf(raw, [])]] };
    if (raw.every((v) => typeof v === 'object' && v !== null && !Array.isArray(v))) return { maps: raw.map((m) => mapOf(m as Record<string, unknown>)) };
    refuse(`${name}: a list mixing keywords and maps`);
  }
  if (typeof raw === 'object' && raw !== null) return { maps: [mapOf(raw as Record<string, unknown>)] };
  if (typeof raw === 'string' || typeof raw === 'number') return { maps: [[keywordsOf([raw], [])]] };
  return refuse(`${name}: a selection must be a map, a list of maps or a list of keywords`);
}

/** The detection's selections and condition, dataset-independent. */
export function compileDetection(detection: Record<string, unknown>): CompiledDetection {
  if (detection.timeframe !== undefined) refuse('detection.timeframe (with aggregations) is deprecated and not supported; use a correlation rule');
  const cond = detection.condition;
  if (cond === undefined) refuse('the detection has no condition');
  const names = Object.keys(detection).filter((k) => k !== 'condition');
  if (names.length === 0) refuse('the detection has no selection');
  const selections: Record<string, Selection> = Object.create(null) as Record<string, Selection>;
  for (const n of names) selections[n] = selectionOf(n, detection[n]);
  const conds = Array.isArray(cond) ? cond : [cond];
  if (conds.length === 0 || !conds.every((c) => typeof c === 'string')) refuse('condition must be text or a list of text');
  // A list of conditions: any of them (the specification's OR).
  const parsed = conds.map((c) => parseCondition(c as string, names));
  return { selections, condition: parsed.length === 1 ? (parsed[0] as Condition) : { kind: 'or', of: parsed } };
}

/** The fields a detection names (besides keyword searches), and whether it searches keywords. */
function fieldsOf(d: CompiledDetection): { fields: string[]; keywords: boolean } {
  const fields = new Set<string>();
  let keywords = false;
  for (const s of Object.values(d.selections)) {
    for (const m of s.maps) {
      for (const f of m) {
        if (f.field === '') keywords = true;
        else fields.add(f.field);
      }
    }
  }
  return { fields: [...fields].sort(), keywords };
}

/** A row predicate for one dataset: every field bound to its getter. */
function bind(d: CompiledDetection, ds: DatasetMapping): (row: RuleEvent) => boolean {
  const sels = new Map<string, (row: RuleEvent) => boolean>();
  for (const [name, s] of Object.entries(d.selections)) {
    const maps = s.maps.map((m) =>
      m.map((f): ((row: RuleEvent) => boolean) => {
        if (f.field === '') {
          const cols = ds.keywords;
          const inAny = (p: ValuePredicate) => (row: RuleEvent) => cols.some((c) => p(row[c]));
          if (!f.modifiers.includes('all')) return inAny(f.match);
          const each = f.each.map(inAny);
          return (row) => each.every((p) => p(row));
        }
        const src = fieldOf(ds, f.field);
        if (!src) refuse(`internal: ${f.field} unmapped`);
        const get = src.get;
        return (row) => f.match(get(row));
      }),
    );
    sels.set(name, (row) => maps.some((m) => m.every((p) => p(row))));
  }
  return (row) => evaluate(d.condition, (n) => (sels.get(n) as (row: RuleEvent) => boolean)(row));
}

/** Which of the category's datasets a detection can run on; refuses naming the unmapped fields when none. */
function datasetsFor(category: string, d: CompiledDetection, extraFields: readonly string[] = []): DatasetMapping[] {
  const all = categoryDatasets(category);
  if (!all) refuse(`logsource category ${JSON.stringify(category)} has no Cloudflare dataset (supported: ${Object.keys(CATEGORIES).join(', ')})`);
  const { fields, keywords } = fieldsOf(d);
  const wanted = [...new Set([...fields, ...extraFields])];
  const fit = all.filter((ds) => wanted.every((f) => fieldOf(ds, f) !== undefined) && (!keywords || ds.keywords.length > 0));
  if (fit.length > 0) return fit;
  // Named for the dataset that comes closest (the fewest unmapped fields).
  const misses = all.map((ds) => wanted.filter((f) => fieldOf(ds, f) === undefined)).sort((a, b) => a.length - b.length);
  const unmapped = misses[0] ?? [];
  const why = unmapped.map((f) => (UNMAPPABLE[f] ? `${f} (${UNMAPPABLE[f]})` : f));
  if (unmapped.length === 0 && keywords) refuse(`keyword searches have no text columns in ${category}'s datasets (${all.map((a) => a.logType).join(', ')})`);
  return refuse(`unmapped field${unmapped.length === 1 ? '' : 's'} for category ${category}: ${why.join(', ')}`);
}

function checkLogsource(r: SigmaRule): string {
  const { category, product, service } = r.logsource;
  if (category === undefined) refuse(`logsource without a category (product ${product ?? '-'}, service ${service ?? '-'}) is not a Cloudflare log`);
  // A product or service narrows the source to another vendor's log (apache, zeek, ...): not Cloudflare's.
  if (product !== undefined && product.toLowerCase() !== 'cloudflare') refuse(`logsource product ${product} is not a Cloudflare log`);
  if (service !== undefined) refuse(`logsource service ${service} is not a Cloudflare dataset`);
  return category;
}

function severityOfLevel(level: string | undefined): Severity {
  if (level === undefined) return 'Medium';
  const s = LEVELS.get(level.toLowerCase());
  if (!s) refuse(`level ${JSON.stringify(level)} is not one of ${[...LEVELS.keys()].join(', ')}`);
  return s;
}

/** The description, with the author and the licence: the DRL asks for both wherever the rule is shown. */
export function creditLine(meta: SigmaMeta): string {
  return `Sigma rule ${meta.id} by ${meta.author ?? 'an unnamed author'}, licensed under the ${DRL}.`;
}

function describe(meta: SigmaMeta, extra = ''): string {
  const fp = meta.falsepositives.length > 0 ? `\n\nFalse positives: ${meta.falsepositives.join('; ')}.` : '';
  return `${meta.description ?? meta.title}${extra}${fp}\n\n${creditLine(meta)}`;
}

function ruleOf(
  meta: SigmaMeta,
  datasets: readonly DatasetMapping[],
  predicate: (row: RuleEvent) => boolean,
  opts: { threshold?: number; dedupPeriodMinutes?: number; dedup?: (row: RuleEvent, ds: DatasetMapping) => string; extraDescription?: string } = {},
): Rule {
  const byType = new Map(datasets.map((d) => [d.logType, d]));
  const only = datasets.length === 1 ? datasets[0] : undefined;
  // Rows carry their log type (p_log_type); a test row without one is taken as the first dataset's.
  const dsOf = (row: RuleEvent): DatasetMapping | undefined => {
    const t = row.p_log_type as string | undefined;
    return t === undefined ? datasets[0] : only !== undefined ? (t === only.logType ? only : undefined) : byType.get(t);
  };
  const client = (row: RuleEvent): string => {
    const ds = dsOf(row);
    const v = ds ? row[ds.client] : undefined;
    return typeof v === 'string' || typeof v === 'number' ? String(v) : '';
  };
  const status = meta.status?.toLowerCase();
  return defineRule({
    id: `Sigma.${meta.id}`,
    logTypes: datasets.map((d) => d.logType),
    severity: severityOfLevel(meta.level),
    // Sigma's deprecated and unsupported rules are kept out of the way: listed, but off until enabled.
    enabled: status !== 'deprecated' && status !== 'unsupported',
    threshold: opts.threshold ?? 1,
    dedupPeriodMinutes: opts.dedupPeriodMinutes ?? 60,
    displayName: meta.title,
    description: describe(meta, opts.extraDescription),
    ...(meta.references[0] !== undefined ? { reference: meta.references[0] } : {}),
    tags: meta.tags,
    summaryAttributes: [...new Set(datasets.map((d) => d.client))],
    rule: (row) => {
      const ds = dsOf(row);
      return ds !== undefined && predicate(row);
    },
    title: (row) => {
      const c = client(row);
      return c ? `${meta.title} from ${c}` : meta.title;
    },
    // Per rule (a group is the rule's id and this) and client address.
    dedup: (row) => {
      const ds = dsOf(row);
      return opts.dedup && ds ? opts.dedup(row, ds) : client(row);
    },
    alertContext: (row) => ({
      sigma: {
        id: meta.id,
        title: meta.title,
        author: meta.author ?? null,
        license: DRL,
        level: meta.level ?? null,
        status: meta.status ?? null,
        ...(meta.references[0] !== undefined ? { reference: meta.references[0] } : {}),
      },
      client: client(row) || null,
    }),
  }, meta.file);
}

/** Compiles one Sigma rule; throws a SigmaRefusal saying why it cannot be. */
export function compileSigmaRule(r: SigmaRule): CompiledSigma {
  const category = checkLogsource(r);
  const detection = compileDetection(r.detection);
  const datasets = datasetsFor(category, detection);
  const preds = new Map(datasets.map((ds) => [ds.logType, bind(detection, ds)]));
  const only = datasets.length === 1 ? preds.get((datasets[0] as DatasetMapping).logType) : undefined;
  const first = preds.get((datasets[0] as DatasetMapping).logType) as (row: RuleEvent) => boolean;
  const predicate = only ?? ((row: RuleEvent) => (row.p_log_type === undefined ? first : (preds.get(row.p_log_type) ?? (() => false)))(row));
  const rule = ruleOf(r, datasets, predicate);
  return { rule, meta: r, category, logTypes: rule.logTypes, detection };
}

/** Sigma's timespan (`5m`, `1h`, `2d`, `30s`) in whole minutes; refused when it is not a whole number of them. */
export function timespanMinutes(t: string | undefined): number {
  if (t === undefined) refuse('the correlation has no timespan');
  const m = /^(\d+)([smhdwM])$/.exec(t.trim());
  if (!m) refuse(`timespan ${JSON.stringify(t)} is not a number and a unit (s, m, h, d)`);
  const n = Number(m[1]);
  const seconds = n * ({ s: 1, m: 60, h: 3600, d: 86400, w: 604800, M: NaN }[m[2] as string] as number);
  if (!Number.isFinite(seconds) || seconds % 60 !== 0 || seconds === 0) refuse(`timespan ${t}: the rule engine counts in whole minutes`);
  return seconds / 60;
}

/**
 * A correlation rule onto the threshold model: event_count with a `gte`/`gt` condition over one rule, grouped by
 * fields, within a timespan, is the rule's predicate with threshold N, dedup by the group-by values and a dedup
 * period of the timespan. value_count, temporal and temporal_ordered need distinct counts or sequences the model does
 * not keep: refused with the reason.
 */
export function compileCorrelation(c: SigmaCorrelation, base: (ref: string) => CompiledSigma | string): CompiledSigma {
  if (c.type === 'value_count') refuse('value_count correlations count distinct values of a field, which the threshold model cannot (it counts matches)');
  if (c.type === 'temporal' || c.type === 'temporal_ordered') refuse(`${c.type} correlations need several rules to match in a window (in order), which the threshold model cannot express`);
  if (c.type !== 'event_count') refuse(`correlation type ${JSON.stringify(c.type)} is not supported`);
  if (c.rules.length !== 1) refuse('an event_count correlation over several rules is not supported (one rule per threshold)');
  const b = base(c.rules[0] as string);
  if (typeof b === 'string') refuse(`the correlated rule ${c.rules[0]}: ${b}`);
  const cond = c.condition ?? {};
  const keys = Object.keys(cond);
  let threshold: number;
  if (keys.length === 1 && typeof cond.gte === 'number' && Number.isInteger(cond.gte) && cond.gte >= 1) threshold = cond.gte;
  else if (keys.length === 1 && typeof cond.gt === 'number' && Number.isInteger(cond.gt) && cond.gt >= 0) threshold = cond.gt + 1;
  else return refuse(`correlation condition ${JSON.stringify(cond)}: only gte or gt N (at least N matches) maps onto a threshold`);
  const minutes = timespanMinutes(c.timespan);
  if (minutes > 7 * 24 * 60) refuse(`timespan ${c.timespan} is longer than the longest dedup period (a week)`);
  const datasets = datasetsFor(b.category, b.detection, c.groupBy);
  const ok = new Set(datasets.map((d) => d.logType));
  const logTypes = b.logTypes.filter((t) => ok.has(t));
  if (logTypes.length === 0) refuse(`group-by fields ${c.groupBy.join(', ')} do not map on the datasets of ${c.rules[0]}`);
  const used = datasets.filter((d) => logTypes.includes(d.logType));
  const rule = ruleOf(c, used, (row) => b.rule.rule(row), {
    threshold,
    dedupPeriodMinutes: minutes,
    dedup: (row, ds) => c.groupBy.map((g) => String(fieldOf(ds, g)?.get(row) ?? '')).join('|') || '(all)',
    extraDescription: `\n\nCorrelation: at least ${threshold} matches of ${b.meta.title} (${b.meta.id})${c.groupBy.length ? ` per ${c.groupBy.join(', ')}` : ''} within ${c.timespan} (the engine's dedup period: windows start at the first match).`,
  });
  return { rule, meta: c, category: b.category, logTypes: rule.logTypes, detection: b.detection, correlationOf: b.meta.id };
}
