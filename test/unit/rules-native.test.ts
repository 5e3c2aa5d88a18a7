import { BUILT_IN_RULES } from '../../rules';
import { NATIVE_RULES } from '../../rules/native';
import { matchOutputs } from '../../lib/rules/engine';
import { checkRules, Rule, RuleEvent } from '../../lib/rules/model';
import { runRuleTest } from '../../lib/rules/testing';
import { DEFAULT_LIMITS, processStream } from '../../lib/pipeline/process';
import { builtInRegistry } from '../../lib/record/registry';
import { Dataset, DATASETS, generateLines } from '../../testkit/generate';
import { MemorySink } from '../../testkit/memory-sink';

/**
 * The Cloudflare-native rules (rules/native.ts, docs/rules-native.md): their inline tests through the machinery of
 * `cflogs rules test` (lib/rules/testing.ts), their metadata, and what they make of generated traffic: 2,000
 * generated lines of every dataset they cover, parsed by the pipeline into lake rows, and each rule run on them.
 */

const registry = builtInRegistry();
const NOW = new Date('2026-11-24T12:00:00Z');
const LINES = 2000;

const cases = NATIVE_RULES.flatMap((rule) => rule.tests.map((t) => [rule.id, t.name, rule, t] as const));

describe('native rules pass their inline tests', () => {
  test.each(cases)('%s: %s', (_id, _name, rule, t) => {
    expect(runRuleTest(rule, t).problems).toEqual([]);
  });
});

describe('native rules: metadata', () => {
  test('there are at least 25, all built in, with ids unique among the built-in rules, on known log types', () => {
    expect(NATIVE_RULES.length).toBeGreaterThanOrEqual(25);
    expect(BUILT_IN_RULES).toEqual(expect.arrayContaining([...NATIVE_RULES]));
    expect(() => checkRules(BUILT_IN_RULES, registry.logTypes())).not.toThrow();
  });

  test.each(NATIVE_RULES.map((r) => [r.id, r] as const))('%s: tests, ATT&CK tags, runbook, reference, id form', (_id, rule) => {
    expect({ id: rule.id, positives: rule.tests.filter((t) => t.expected).length >= 1 }).toEqual({ id: rule.id, positives: true });
    expect({ id: rule.id, negatives: rule.tests.filter((t) => !t.expected).length >= 2 }).toEqual({ id: rule.id, negatives: true });
    expect(rule.tags.some((t) => /^attack\.(t\d{4}(\.\d{3})?|[a-z_]+)$/.test(t))).toBe(true);
    expect(rule.tags.some((t) => /^attack\.t\d{4}/.test(t))).toBe(true);
    expect(rule.runbook.trim()).not.toBe('');
    expect(rule.description.trim()).not.toBe('');
    expect(rule.reference).toMatch(/^https:\/\/developers\.cloudflare\.com\//);
    expect(rule.id).toMatch(/^Cloudflare\.[A-Za-z0-9]+\.[A-Za-z0-9]+$/);
    for (const t of rule.logTypes) expect(rule.id.startsWith(t.replace(/^Cloudflare\.(Audit|AuditV2)$/, 'Cloudflare.Audit') + '.')).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Generated traffic

/**
 * Rules whose dataset is itself the signal: every row of it is a detection (a forensic copy is a DLP match, an IDS
 * row a signature hit, a sinkhole row a request to malware infrastructure), or the generator draws the very field
 * the rule reads at random (Toggled is a random bool, so half the rows are WARP switched off; audit ruleset deletes
 * are among the generated audit actions). For them the test checks they match what they should, no more.
 */
const EXPECTED: Readonly<Record<string, string>> = {
  'Cloudflare.DLPForensicCopy.ProfileMatched': 'every forensic copy is a DLP match',
  'Cloudflare.MagicIDS.Detection': 'every row is an IDS signature match',
  'Cloudflare.SinkholeHTTP.InfectedHost': 'every row is a request to a sinkhole',
  'Cloudflare.WARPToggleChange.SwitchedOff': 'the generator draws Toggled at random: half the rows are a switch-off',
  'Cloudflare.Audit.WAFRuleDisabledOrDeleted': 'the audit generator deletes firewall rulesets now and then',
};

interface Count {
  rule: string;
  dataset: string;
  rows: number;
  matched: number;
  groups: number;
  /** Dedup groups whose matches reach the threshold: the alerts the rows would raise (they all fall in one period). */
  alerts: number;
}

async function* once(buf: Buffer): AsyncGenerator<Buffer> {
  yield buf;
}

async function rowsOf(dataset: Dataset, seed: number): Promise<RuleEvent[]> {
  const entry = registry.forDataset(dataset);
  if (entry === undefined) throw new Error(`no log type for dataset ${dataset}`);
  const body = Buffer.from([...generateLines({ dataset, lines: LINES, seed, timestampFormat: 'rfc3339' })].join('\n') + '\n');
  const key = `logs/${dataset}/20261101/20261101T100000Z_20261101T100030Z_0000abcd.log.gz`;
  const sink = new MemorySink();
  const summary = await processStream(once(body), { source: `s3://cf-logs/${key}`, identity: `cf-logs/${key}/etag-1`, entry, location: { bucket: 'cf-logs', key } }, {
    sink,
    now: NOW,
    limits: DEFAULT_LIMITS,
    registry,
  });
  expect({ dataset, rows: summary.rows, rejected: summary.rejected }).toEqual({ dataset, rows: LINES, rejected: 0 });
  return sink.parsedRows() as RuleEvent[];
}

function count(rule: Rule, dataset: string, rows: readonly RuleEvent[]): Count {
  const groups = new Map<string, number>();
  let matched = 0;
  for (const row of rows) {
    if (rule.rule(row) !== true) continue;
    matched++;
    const dedup = matchOutputs(rule, row).dedup;
    groups.set(dedup, (groups.get(dedup) ?? 0) + 1);
  }
  const alerts = [...groups.values()].filter((n) => n >= rule.threshold).length;
  return { rule: rule.id, dataset, rows: rows.length, matched, groups: groups.size, alerts };
}

describe('native rules on generated traffic', () => {
  const counts: Count[] = [];

  beforeAll(async () => {
    const byLogType = new Map<string, Dataset>();
    for (const r of NATIVE_RULES) {
      for (const t of r.logTypes) {
        const dataset = registry.require(t).schema.dataset as Dataset;
        expect(DATASETS).toContain(dataset);
        byLogType.set(t, dataset);
      }
    }
    const rows = new Map<string, RuleEvent[]>();
    let seed = 11;
    for (const [logType, dataset] of byLogType) rows.set(logType, await rowsOf(dataset, seed++));
    for (const r of NATIVE_RULES) for (const t of r.logTypes) counts.push(count(r, byLogType.get(t) as string, rows.get(t) as RuleEvent[]));
  }, 60_000);

  test('every rule ran on 2,000 parsed rows of each of its datasets', () => {
    expect(counts.length).toBe(NATIVE_RULES.reduce((n, r) => n + r.logTypes.length, 0));
    for (const c of counts) expect(c.rows).toBe(LINES);
  });

  test('a rule that is not about the dataset itself raises no alert on generated traffic', () => {
    const loud = counts.filter((c) => EXPECTED[c.rule] === undefined && c.alerts > 0);
    expect(loud).toEqual([]);
  });

  test('the rules whose dataset is the signal match it', () => {
    const of = (id: string) => counts.filter((c) => c.rule === id);
    for (const id of ['Cloudflare.DLPForensicCopy.ProfileMatched', 'Cloudflare.MagicIDS.Detection', 'Cloudflare.SinkholeHTTP.InfectedHost']) {
      for (const c of of(id)) expect(c.matched).toBe(c.rows);
    }
    for (const c of of('Cloudflare.WARPToggleChange.SwitchedOff')) {
      expect(c.matched).toBeGreaterThan(0.4 * c.rows);
      expect(c.matched).toBeLessThan(0.6 * c.rows);
    }
    // Only deletions of firewall rulesets: a few percent of the generated audit actions, never the v2 rows.
    for (const c of of('Cloudflare.Audit.WAFRuleDisabledOrDeleted')) expect(c.matched).toBeLessThan(0.05 * c.rows);
  });
});
