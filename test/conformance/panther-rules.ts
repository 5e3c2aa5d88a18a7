/**
 * Panther's Cloudflare rules (panther-analysis YAML with their Tests, read from the corpus at run time, never copied
 * into the project) against cflogs' ports in rules/: every test case's Log must give Panther's ExpectedResult,
 * twice: as Panther's record, and as the row cflogs writes when it parses that record (its p_* fields dropped).
 * Expected title, dedup, severity or alert context, when a case gives one, must match what the engine records (an
 * error it would count fails the case); and each port must carry the YAML's RuleID, Severity, Threshold,
 * DedupPeriodMinutes, Enabled and LogTypes. Used by `npm run conformance` (run.ts) and by
 * test/unit/rules-panther.test.ts.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { processStream, DEFAULT_LIMITS } from '../../lib/pipeline/process';
import { builtInRegistry } from '../../lib/record/registry';
import { builtInRules } from '../../lib/rules/builtin';
import type { Rule, RuleEvent } from '../../lib/rules/model';
import { matchOutputs } from '../../lib/rules/engine';
import { errorProblems } from '../../lib/rules/testing';
import { MemorySink } from '../../testkit/memory-sink';

export interface PantherCase {
  name: string;
  expected: boolean;
  log: Record<string, unknown>;
  title?: string;
  dedup?: string;
  severity?: string;
  alertContext?: Record<string, unknown>;
}

export interface PantherRuleFile {
  file: string;
  ruleId: string;
  severity: string;
  threshold: number;
  dedupPeriodMinutes: number;
  enabled: boolean;
  logTypes: string[];
  cases: PantherCase[];
}

interface PantherYaml {
  AnalysisType?: string;
  RuleID?: string;
  Severity?: string;
  Threshold?: number;
  DedupPeriodMinutes?: number;
  Enabled?: boolean;
  LogTypes?: string[];
  Tests?: {
    Name: string;
    ExpectedResult: boolean;
    Log: Record<string, unknown>;
    ExpectedTitle?: string;
    ExpectedDedup?: string;
    ExpectedSeverity?: string;
    ExpectedAlertContext?: Record<string, unknown>;
  }[];
}

/** A panther-analysis rule file, or undefined when the YAML is not a rule (a policy, a schema test, ...). */
export function readPantherRuleFile(file: string): PantherRuleFile | undefined {
  const doc = parseAllDocuments(readFileSync(file, 'utf8'))[0]?.toJS() as PantherYaml | undefined;
  if (doc?.AnalysisType !== 'rule' || !doc.RuleID) return undefined;
  return {
    file,
    ruleId: doc.RuleID,
    severity: doc.Severity ?? '',
    threshold: doc.Threshold ?? 1,
    dedupPeriodMinutes: doc.DedupPeriodMinutes ?? 60,
    enabled: doc.Enabled ?? true,
    logTypes: doc.LogTypes ?? [],
    cases: (doc.Tests ?? []).map((t) => ({
      name: t.Name,
      expected: t.ExpectedResult,
      log: t.Log,
      ...(t.ExpectedTitle !== undefined ? { title: t.ExpectedTitle } : {}),
      ...(t.ExpectedDedup !== undefined ? { dedup: t.ExpectedDedup } : {}),
      ...(t.ExpectedSeverity !== undefined ? { severity: t.ExpectedSeverity } : {}),
      ...(t.ExpectedAlertContext !== undefined ? { alertContext: t.ExpectedAlertContext } : {}),
    })),
  };
}

/** The rule files of a panther-analysis folder (the corpus keeps them at its top, schema tests in a subfolder). */
export function pantherRuleFiles(dir: string): PantherRuleFile[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => /\.ya?ml$/.test(n))
    .sort()
    .flatMap((n) => readPantherRuleFile(join(dir, n)) ?? []);
}

/** How the port's metadata differs from the YAML's (empty when it carries them all), or why there is no port. */
export function metadataProblems(f: PantherRuleFile, rules: readonly Rule[] = builtInRules()): string[] {
  const port = rules.find((r) => r.id === f.ruleId);
  if (!port) return [`no port of ${f.ruleId} in rules/`];
  const diffs: string[] = [];
  const same = (what: string, theirs: unknown, ours: unknown) => {
    if (!isDeepStrictEqual(theirs, ours)) diffs.push(`${what}: Panther ${JSON.stringify(theirs)}, port ${JSON.stringify(ours)}`);
  };
  same('Severity', f.severity, port.severity);
  same('Threshold', f.threshold, port.threshold);
  same('DedupPeriodMinutes', f.dedupPeriodMinutes, port.dedupPeriodMinutes);
  same('Enabled', f.enabled, port.enabled);
  same('LogTypes', [...f.logTypes].sort(), [...port.logTypes].sort());
  return diffs;
}

/** How the port's answer for one event differs from the case's expectations (empty when it agrees). */
export function caseProblems(rule: Rule, c: PantherCase, event: RuleEvent): string[] {
  let matched: unknown;
  try {
    matched = rule.rule(event);
  } catch (e) {
    return [`rule() threw: ${(e as Error).message}`];
  }
  if (matched !== c.expected) return [`expected ${c.expected}, rule() returned ${String(matched)}`];
  if (!matched) return [];
  // The engine's outputs for the row (capped, resolved, round-tripped), not a reading of the rule's functions.
  const out = matchOutputs(rule, event);
  const problems = errorProblems(out);
  if (c.title !== undefined && out.title !== c.title) problems.push(`title: Panther ${JSON.stringify(c.title)}, port ${JSON.stringify(out.title)}`);
  if (c.dedup !== undefined && out.dedup !== c.dedup) problems.push(`dedup: Panther ${JSON.stringify(c.dedup)}, port ${JSON.stringify(out.dedup)}`);
  if (c.severity !== undefined && out.severity.toUpperCase() !== c.severity.toUpperCase()) problems.push(`severity: Panther ${c.severity}, port ${out.severity}`);
  if (c.alertContext !== undefined && !isDeepStrictEqual(out.alertContext, c.alertContext)) {
    problems.push(`alertContext: Panther ${JSON.stringify(c.alertContext)}, port ${JSON.stringify(out.alertContext)}`);
  }
  return problems;
}

/**
 * The row cflogs writes for a Panther test record: the record without Panther's p_* fields, parsed as the log
 * type's input. Undefined (with the reason) when cflogs rejects it.
 */
export async function cflogsRow(logType: string, log: Record<string, unknown>): Promise<{ row?: RuleEvent; why?: string }> {
  const input = Object.fromEntries(Object.entries(log).filter(([k]) => !k.startsWith('p_')));
  const sink = new MemorySink();
  await processStream([Buffer.from(JSON.stringify(input) + '\n')], { source: 'panther-rule-test', identity: 'panther-rule-test', entry: builtInRegistry().require(logType), location: { key: 'panther-rule-test' } }, {
    sink,
    now: new Date('2026-01-01T00:00:00Z'),
    limits: DEFAULT_LIMITS,
  });
  const row = sink.rows[0];
  if (row) return { row: JSON.parse(row.json) as RuleEvent };
  const reject = sink.rejects[0] ? (JSON.parse(sink.rejects[0].json) as { reason: string; message: string }) : undefined;
  return { why: reject ? `${reject.reason}: ${reject.message}` : 'no row' };
}

/** Every problem of one Panther case: as Panther's record, then as cflogs' row of it. */
export async function checkPantherCase(f: PantherRuleFile, c: PantherCase, rules: readonly Rule[] = builtInRules()): Promise<string[]> {
  const port = rules.find((r) => r.id === f.ruleId);
  if (!port) return [`no port of ${f.ruleId}`];
  const problems = caseProblems(port, c, c.log as RuleEvent).map((p) => `as Panther's record: ${p}`);
  const logType = f.logTypes[0];
  if (logType) {
    const { row, why } = await cflogsRow(logType, c.log);
    if (!row) problems.push(`cflogs rejects the record: ${why}`);
    else problems.push(...caseProblems(port, c, row).map((p) => `as cflogs' row: ${p}`));
  }
  return problems;
}

/** run.ts's hook: checks one corpus YAML file (a no-op for YAML that is not a Panther rule), reporting through `fail`. */
export async function checkPantherRuleTests(rel: string, file: string, fail: (msg: string) => void): Promise<void> {
  const f = readPantherRuleFile(file);
  if (!f) return;
  for (const p of metadataProblems(f)) fail(`${rel}: ${p}`);
  let ok = 0;
  for (const c of f.cases) {
    const problems = await checkPantherCase(f, c);
    for (const p of problems) fail(`${rel} "${c.name}" (${f.ruleId}): ${p}`);
    if (problems.length === 0) ok++;
  }
  console.log(`${rel} [${f.ruleId}]: ${ok}/${f.cases.length} Panther rule tests pass against the port (as Panther's record and as cflogs' row)`);
}
