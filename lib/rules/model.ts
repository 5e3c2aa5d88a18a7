import { ConfigError } from '../errors';
import type { StandardFields } from '../row/contract';

/**
 * A detection rule, Panther's model in TypeScript: a function of one lake row (`rule(event) -> boolean`) with
 * optional `title`, `dedup` (default: the title), `severityOf` (the row may change the severity) and
 * `alertContext`, plus Panther's metadata (RuleID, LogTypes, Severity, Enabled, Threshold, DedupPeriodMinutes, ...)
 * and its tests as data. A rule file default-exports `defineRule({...})`; user rules may export the plain object,
 * which the loader passes through `defineRule`. docs/detections.md describes the semantics.
 */

export const SEVERITIES = ['Info', 'Low', 'Medium', 'High', 'Critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** The p_* fields a lake row carries (lib/row/contract.ts); times are the lake's text, `2022-11-15 00:00:01.123000000`. */
export type PantherFields = StandardFields;

/** Any lake row: schema fields (absent ones omitted, never null) and the p_* fields. */
export type RuleEvent = PantherFields & { readonly [field: string]: unknown };

/** One inline test: a row and whether the rule matches it; the optional fields are checked when given. */
export interface RuleTest {
  name: string;
  expected: boolean;
  log: Readonly<Record<string, unknown>>;
  title?: string;
  dedup?: string;
  severity?: Severity;
  alertContext?: Readonly<Record<string, unknown>>;
}

/** What a rule file gives; `E` is the typed row of its log type(s) (lib/rules/events.ts). */
export interface RuleSpec<E extends object = RuleEvent> {
  /** Panther's RuleID: letters, digits and `._-:`, e.g. `Cloudflare.Firewall.L7DDoS`. */
  id: string;
  /** Log type names (`Cloudflare.Firewall`), checked against the known log types when a RuleSet is built. */
  logTypes: readonly string[];
  severity: Severity;
  /** Default true. */
  enabled?: boolean;
  /** Matches with one dedup string within one period that raise an alert; default 1 (every first match). */
  threshold?: number;
  /** Default 60. */
  dedupPeriodMinutes?: number;
  displayName?: string;
  description?: string;
  runbook?: string;
  reference?: string;
  tags?: readonly string[];
  summaryAttributes?: readonly string[];
  rule(event: E): boolean;
  title?(event: E): string;
  dedup?(event: E): string;
  /** Panther's `severity(event)`: a severity (any case) or 'DEFAULT' for the rule's own. */
  severityOf?(event: E): Severity | Uppercase<Severity> | 'DEFAULT';
  alertContext?(event: E): Record<string, unknown>;
  tests?: readonly RuleTest[];
}

/** A checked rule with its defaults filled; the functions take any row. */
export interface Rule {
  readonly id: string;
  readonly logTypes: readonly string[];
  readonly severity: Severity;
  readonly enabled: boolean;
  readonly threshold: number;
  readonly dedupPeriodMinutes: number;
  readonly displayName: string;
  readonly description: string;
  readonly runbook: string;
  readonly reference: string;
  readonly tags: readonly string[];
  readonly summaryAttributes: readonly string[];
  readonly rule: (event: RuleEvent) => boolean;
  readonly title?: (event: RuleEvent) => string;
  readonly dedup?: (event: RuleEvent) => string;
  readonly severityOf?: (event: RuleEvent) => string;
  readonly alertContext?: (event: RuleEvent) => Record<string, unknown>;
  readonly tests: readonly RuleTest[];
  /** The file the rule came from, when loaded from one: named in errors. */
  readonly source?: string;
}

/** A rule that cannot be used: thrown at load, naming the rule and its file, so a bad rule fails at start. */
// Its name stays ConfigError (that class fixes it): the entry points treat it as any bad configuration.
export class RuleDefinitionError extends ConfigError {}

const RULE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/;
/** A week: longer periods would keep windows (and DynamoDB items) around for little gain. */
export const MAX_DEDUP_PERIOD_MINUTES = 7 * 24 * 60;

/** Checks a rule's metadata and fills its defaults; throws a RuleDefinitionError naming the rule (and `source`). */
export function defineRule<E extends object = RuleEvent>(spec: RuleSpec<E>, source?: string): Rule {
  const s = spec as unknown as Record<string, unknown>;
  const where = (id: unknown) => `rule ${typeof id === 'string' && id !== '' ? id : '(no id)'}${source ? ` in ${source}` : ''}`;
  const bad = (why: string): never => {
    throw new RuleDefinitionError(`${where(s.id)}: ${why}`);
  };
  if (typeof spec !== 'object' || spec === null) throw new RuleDefinitionError(`${where(undefined)}: not an object`);
  if (typeof s.id !== 'string' || !RULE_ID.test(s.id)) bad(`id must be 1-200 letters, digits or . _ - : (starting with a letter or digit), got ${JSON.stringify(s.id)}`);
  if (!Array.isArray(s.logTypes) || s.logTypes.length === 0 || !s.logTypes.every((t) => typeof t === 'string' && t !== '')) {
    bad('logTypes must be a non-empty list of log type names');
  }
  if (!SEVERITIES.includes(s.severity as Severity)) bad(`severity must be one of ${SEVERITIES.join(', ')}, got ${JSON.stringify(s.severity)}`);
  const threshold = s.threshold ?? 1;
  if (!Number.isInteger(threshold) || (threshold as number) < 1) bad(`threshold must be an integer of 1 or more, got ${JSON.stringify(s.threshold)}`);
  const period = s.dedupPeriodMinutes ?? 60;
  if (!Number.isInteger(period) || (period as number) < 1 || (period as number) > MAX_DEDUP_PERIOD_MINUTES) {
    bad(`dedupPeriodMinutes must be an integer from 1 to ${MAX_DEDUP_PERIOD_MINUTES}, got ${JSON.stringify(s.dedupPeriodMinutes)}`);
  }
  if (s.enabled !== undefined && typeof s.enabled !== 'boolean') bad('enabled must be true or false');
  if (typeof s.rule !== 'function') bad('rule must be a function of the row returning true or false');
  for (const fn of ['title', 'dedup', 'severityOf', 'alertContext'] as const) {
    if (s[fn] !== undefined && typeof s[fn] !== 'function') bad(`${fn} must be a function when given`);
  }
  for (const text of ['displayName', 'description', 'runbook', 'reference'] as const) {
    if (s[text] !== undefined && typeof s[text] !== 'string') bad(`${text} must be text`);
  }
  for (const list of ['tags', 'summaryAttributes'] as const) {
    if (s[list] !== undefined && !(Array.isArray(s[list]) && (s[list] as unknown[]).every((t) => typeof t === 'string'))) bad(`${list} must be a list of text`);
  }
  const tests = (s.tests ?? []) as unknown[];
  if (!Array.isArray(tests)) bad('tests must be a list');
  const names = new Set<string>();
  tests.forEach((t, i) => {
    const c = t as Partial<RuleTest> | null;
    if (typeof c !== 'object' || c === null || typeof c.name !== 'string' || c.name === '') bad(`test ${i + 1} needs a name`);
    const name = (c as RuleTest).name;
    if (names.has(name)) bad(`two tests are named ${JSON.stringify(name)}`);
    names.add(name);
    if (typeof c?.expected !== 'boolean') bad(`test ${JSON.stringify(name)}: expected must be true or false`);
    if (typeof c?.log !== 'object' || c.log === null || Array.isArray(c.log)) bad(`test ${JSON.stringify(name)}: log must be an object (a row)`);
    if (c?.severity !== undefined && !SEVERITIES.includes(c.severity)) bad(`test ${JSON.stringify(name)}: severity must be one of ${SEVERITIES.join(', ')}`);
  });
  const fn = <T>(f: unknown) => f as T | undefined;
  return Object.freeze({
    id: spec.id,
    logTypes: Object.freeze([...spec.logTypes]),
    severity: spec.severity,
    enabled: spec.enabled ?? true,
    threshold: threshold as number,
    dedupPeriodMinutes: period as number,
    // Never empty: the title defaults to it, the dedup string to the title, and '' is the overflow group's.
    displayName: spec.displayName || spec.id,
    description: spec.description ?? '',
    runbook: spec.runbook ?? '',
    reference: spec.reference ?? '',
    tags: Object.freeze([...(spec.tags ?? [])]),
    summaryAttributes: Object.freeze([...(spec.summaryAttributes ?? [])]),
    rule: spec.rule as unknown as Rule['rule'],
    title: fn<Rule['title']>(spec.title),
    dedup: fn<Rule['dedup']>(spec.dedup),
    severityOf: fn<Rule['severityOf']>(spec.severityOf),
    alertContext: fn<Rule['alertContext']>(spec.alertContext),
    tests: Object.freeze([...(spec.tests ?? [])]),
    ...(source !== undefined ? { source } : {}),
  });
}

/** `Medium`, `MEDIUM` or `medium` as a Severity; 'DEFAULT' (Panther's "the rule's own") and anything else: undefined. */
export function severityOf(v: unknown): Severity | undefined {
  if (typeof v !== 'string' || v.length === 0) return undefined;
  const cap = v.charAt(0).toUpperCase() + v.slice(1).toLowerCase();
  return SEVERITIES.includes(cap as Severity) ? (cap as Severity) : undefined;
}

/**
 * Checks a rule list as a whole: unique ids, and every log type among `knownLogTypes` (when given: the built-in
 * schemas plus any custom ones). Throws a RuleDefinitionError naming the rule and its file.
 */
export function checkRules(rules: readonly Rule[], knownLogTypes?: readonly string[]): void {
  const seen = new Map<string, Rule>();
  const known = knownLogTypes ? new Set(knownLogTypes) : undefined;
  for (const r of rules) {
    const where = `rule ${r.id}${r.source ? ` in ${r.source}` : ''}`;
    const other = seen.get(r.id);
    if (other) {
      throw new RuleDefinitionError(
        `${where}: the id is also used by ${other.source ?? 'a built-in rule'}; give it another id (and disable the other with CFLOGS_RULES_DISABLE to replace it)`,
      );
    }
    seen.set(r.id, r);
    if (known) {
      for (const t of r.logTypes) {
        if (!known.has(t)) throw new RuleDefinitionError(`${where}: unknown log type ${JSON.stringify(t)} (known: ${[...known].join(', ')})`);
      }
    }
  }
}
