import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadUserRules, loadUserRulesSync } from '../../lib/rules/load';
import { defineRule, RuleDefinitionError, RuleSpec } from '../../lib/rules/model';
import { rulesConfigFromEnv } from '../../lib/rules/config';

const ROOT = join(__dirname, '..', '..');
const base: RuleSpec = { id: 'My.Rule', logTypes: ['Cloudflare.Firewall'], severity: 'Low', rule: () => true };

describe('defineRule', () => {
  test('fills Panther defaults', () => {
    const r = defineRule(base);
    expect(r).toMatchObject({ enabled: true, threshold: 1, dedupPeriodMinutes: 60, displayName: 'My.Rule', tags: [], tests: [] });
    expect(Object.isFrozen(r)).toBe(true);
  });

  test.each([
    ['an id with a space', { id: 'My Rule' }, /rule My Rule in rules\/x\.ts: id must be/],
    ['no id', { id: '' }, /rule \(no id\) in rules\/x\.ts: id must be/],
    ['an unknown severity', { severity: 'Severe' }, /severity must be one of Info, Low, Medium, High, Critical, got "Severe"/],
    ['a threshold below 1', { threshold: 0 }, /threshold must be an integer of 1 or more, got 0/],
    ['a fractional threshold', { threshold: 1.5 }, /threshold must be an integer/],
    ['a dedup period of 0', { dedupPeriodMinutes: 0 }, /dedupPeriodMinutes must be an integer from 1 to 10080/],
    ['no log type', { logTypes: [] }, /logTypes must be a non-empty list/],
    ['no rule function', { rule: undefined }, /rule must be a function/],
    ['a title that is not a function', { title: 'x' }, /title must be a function/],
    ['two tests with one name', { tests: [{ name: 'a', expected: true, log: {} }, { name: 'a', expected: false, log: {} }] }, /two tests are named "a"/],
    ['a test without expected', { tests: [{ name: 'a', log: {} }] }, /test "a": expected must be true or false/],
  ])('refuses %s, naming the rule and its file', (_what, change, message) => {
    expect(() => defineRule({ ...base, ...(change as Partial<RuleSpec>) } as RuleSpec, 'rules/x.ts')).toThrow(message);
    expect(() => defineRule({ ...base, ...(change as Partial<RuleSpec>) } as RuleSpec, 'rules/x.ts')).toThrow(RuleDefinitionError);
  });
});

describe('loadUserRules', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cflogs-rules-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const model = JSON.stringify(join(ROOT, 'lib', 'rules', 'model'));

  test('loads a default-exported rule, a plain object and a `rules` list; skips helpers and declarations', async () => {
    writeFileSync(
      join(dir, 'a.ts'),
      `import { defineRule } from ${model};\nexport default defineRule({ id: 'User.A', logTypes: ['Cloudflare.Firewall'], severity: 'High', rule: (e: any) => e.Action === 'block' });\n`,
    );
    writeFileSync(join(dir, 'b.js'), `module.exports = { default: { id: 'User.B', logTypes: ['Cloudflare.Audit'], severity: 'Low', threshold: 3, rule: () => true } };\n`);
    writeFileSync(
      join(dir, 'c.ts'),
      `export const rules = [\n  { id: 'User.C1', logTypes: ['Cloudflare.Firewall'], severity: 'Info', rule: () => false },\n  { id: 'User.C2', logTypes: ['Cloudflare.Firewall'], severity: 'Info', rule: () => false },\n];\n`,
    );
    writeFileSync(join(dir, '_helpers.ts'), 'export const x = 1;\n');
    writeFileSync(join(dir, 'types.d.ts'), 'export type X = number;\n');
    writeFileSync(join(dir, 'notes.md'), '# not code\n');
    const rules = await loadUserRules(dir);
    expect(rules.map((r) => [r.id, r.threshold, r.source])).toEqual([
      ['User.A', 1, join(dir, 'a.ts')],
      ['User.B', 3, join(dir, 'b.js')],
      ['User.C1', 1, join(dir, 'c.ts')],
      ['User.C2', 1, join(dir, 'c.ts')],
    ]);
    expect(rules[0]!.rule({ Action: 'block' })).toBe(true);
  });

  test('the cold start loader (require) accepts every shape import() does, CommonJS exports included', async () => {
    writeFileSync(join(dir, 'a.ts'), `export default { id: 'User.A', logTypes: ['Cloudflare.Firewall'], severity: 'High', rule: () => true };\n`);
    writeFileSync(join(dir, 'b.js'), `module.exports = { id: 'User.B', logTypes: ['Cloudflare.Audit'], severity: 'Low', rule: () => true };\n`);
    writeFileSync(join(dir, 'c.js'), `module.exports = [{ id: 'User.C', logTypes: ['Cloudflare.Audit'], severity: 'Low', rule: () => true }];\n`);
    writeFileSync(join(dir, 'd.js'), `exports.rules = [{ id: 'User.D', logTypes: ['Cloudflare.Audit'], severity: 'Low', rule: () => true }];\n`);
    writeFileSync(join(dir, 'e.ts'), `export const rules = [{ id: 'User.E', logTypes: ['Cloudflare.Audit'], severity: 'Low', rule: () => true }];\n`);
    const ids = ['User.A', 'User.B', 'User.C', 'User.D', 'User.E'];
    expect((await loadUserRules(dir)).map((r) => r.id)).toEqual(ids);
    expect(loadUserRulesSync(dir).map((r) => r.id)).toEqual(ids);
  });

  test('a file that is not a valid rule fails the load, naming the file', async () => {
    writeFileSync(join(dir, 'bad.ts'), `export default { id: 'User.Bad', logTypes: ['Cloudflare.Firewall'], severity: 'Urgent', rule: () => true };\n`);
    await expect(loadUserRules(dir)).rejects.toThrow(new RegExp(`rule User\\.Bad in ${join(dir, 'bad.ts').replace(/[.\\/]/g, '\\$&')}: severity must be one of`));
  });

  test('a module that exports no rule, or does not load, fails naming the file', async () => {
    writeFileSync(join(dir, 'empty.ts'), 'export const nothing = 1;\n');
    await expect(loadUserRules(dir)).rejects.toThrow(/empty\.ts: exports no rule/);
    rmSync(join(dir, 'empty.ts'));
    writeFileSync(join(dir, 'broken.js'), 'throw new Error("boom at load");\n');
    await expect(loadUserRules(dir)).rejects.toThrow(/broken\.js: cannot be loaded: boom at load/);
  });

  test('a missing directory is a configuration error', async () => {
    await expect(loadUserRules(join(dir, 'nope'))).rejects.toThrow(RuleDefinitionError);
  });
});

test('the detection settings come from CFLOGS_RULES_* variables', () => {
  expect(rulesConfigFromEnv({})).toEqual({ enabled: true, enable: [], disable: [] });
  expect(
    rulesConfigFromEnv({
      CFLOGS_RULES: 'false',
      CFLOGS_RULES_DIR: '/opt/rules',
      CFLOGS_RULES_ENABLE: 'A.B, C.D',
      CFLOGS_RULES_DISABLE: 'E',
      CFLOGS_RULES_TABLE: 'cflogs-detections',
      CFLOGS_ALERTS_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:cflogs-alerts',
    }),
  ).toEqual({
    enabled: false,
    dir: '/opt/rules',
    enable: ['A.B', 'C.D'],
    disable: ['E'],
    table: 'cflogs-detections',
    topicArn: 'arn:aws:sns:eu-west-1:123456789012:cflogs-alerts',
  });
});
