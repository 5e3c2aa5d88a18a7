import { join } from 'node:path';
import { builtInRules } from '../../lib/rules/builtin';
import { defineRule } from '../../lib/rules/model';
import { caseProblems, checkPantherCase, metadataProblems, pantherRuleFiles } from '../conformance/panther-rules';

/**
 * Panther's own test cases for the rules cflogs ports (panther-analysis YAML in ../shared/corpus, read at run time,
 * not copied into the project), as the conformance check runs them. Where the corpus is not beside the project,
 * the ports are held to their inline tests (rules-inline.test.ts) and to the ids below.
 */
const CORPUS = join(__dirname, '..', '..', '..', 'shared', 'corpus', 'panther-analysis');
const files = pantherRuleFiles(CORPUS);
const PORTED = ['Cloudflare.Firewall.L7DDoS', 'Cloudflare.HttpRequest.BotHighVolume', 'Cloudflare.Firewall.React2Shell.RCE'];

test('every Panther Cloudflare rule cflogs follows has a port', () => {
  const ids = new Set(builtInRules().map((r) => r.id));
  expect(PORTED.filter((id) => !ids.has(id))).toEqual([]);
  // With the corpus present, it names exactly those rules: a new Panther rule there needs a port.
  if (files.length > 0) expect(files.map((f) => f.ruleId).sort()).toEqual([...PORTED].sort());
});

const cases = files.flatMap((f) => f.cases.map((c) => [f.ruleId, c.name, f, c] as const));
const metas = files.map((f) => [f.ruleId, f] as const);

describe('Panther test cases pass against the ports', () => {
  if (cases.length > 0) {
    test.each(cases)('%s: %s', async (_id, _name, f, c) => {
      expect(await checkPantherCase(f, c)).toEqual([]);
    });
    test.each(metas)('%s: the port carries Panther’s severity, threshold, dedup period, enabled flag and log types', (_id, f) => {
      expect(metadataProblems(f)).toEqual([]);
    });
  } else {
    test('no Panther corpus beside the project: each port has inline tests, matching and not', () => {
      const ports = builtInRules().filter((r) => PORTED.includes(r.id));
      expect(ports.map((r) => [r.id, r.tests.some((t) => t.expected), r.tests.some((t) => !t.expected)])).toEqual(PORTED.map((id) => [id, true, true]));
    });
  }
});

test('a port that answers differently from Panther is reported', () => {
  const wrong = defineRule({ id: 'Cloudflare.Firewall.L7DDoS', logTypes: ['Cloudflare.Firewall'], severity: 'Medium', rule: () => false });
  expect(caseProblems(wrong, { name: 'x', expected: true, log: {} }, {})).toEqual(['expected true, rule() returned false']);
  const titled = defineRule({ id: 'X', logTypes: ['Cloudflare.Firewall'], severity: 'Medium', rule: () => true, title: () => 'mine' });
  expect(caseProblems(titled, { name: 'x', expected: true, log: {}, title: 'theirs' }, {})).toEqual(['title: Panther "theirs", port "mine"']);
});
