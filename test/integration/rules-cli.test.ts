import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runMain } from '../support/cli';
import { builtInRules } from '../../lib/rules/builtin';

const ROOT = join(__dirname, '..', '..');


describe('cflogs rules test', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cflogs-rules-cli-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const userRule = (tests: string) =>
    `export default {\n  id: 'User.Blocked', logTypes: ['Cloudflare.Firewall'], severity: 'Low',\n  rule: (e: { Action?: string }) => e.Action === 'block',\n  tests: ${tests},\n};\n`;

  test('runs every built-in rule case, prints PASS per case and exits 0', async () => {
    const r = await runMain(['rules', 'test']);
    const cases = builtInRules().reduce((n, rule) => n + rule.tests.length, 0);
    expect(r.code).toBe(0);
    expect(r.out.match(/^PASS /gm)).toHaveLength(cases);
    expect(r.out).toContain('PASS Cloudflare.Firewall.L7DDoS: an L7 DDoS request Cloudflare blocked is Info');
    expect(r.out).toMatch(new RegExp(`\\n${builtInRules().length} rules: ${cases} passed, 0 failed\\n$`));
  });

  test("adds the rules of --rules DIR; a failing case is printed with why, and exits 1", async () => {
    writeFileSync(join(dir, 'blocked.ts'), userRule(`[{ name: 'a block', expected: true, log: { Action: 'block' } }, { name: 'wrongly expected', expected: true, log: { Action: 'log' } }]`));
    const r = await runMain(['rules', 'test', '--rules', dir]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('PASS User.Blocked: a block\n');
    expect(r.out).toContain('FAIL User.Blocked: wrongly expected\n     expected true, rule() returned false\n');
    expect(r.out).toMatch(/ passed, 1 failed\n$/);
  });

  test('an invalid rule file stops the command with exit 2, naming the file', async () => {
    writeFileSync(join(dir, 'bad.ts'), `export default { id: 'User.Bad', logTypes: ['Cloudflare.Nope'], severity: 'Low', rule: () => true };\n`);
    const r = await runMain(['rules', 'test', '--rules', dir]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`cflogs rules: rule User.Bad in ${join(dir, 'bad.ts')}: unknown log type "Cloudflare.Nope"`);
  });

  test('CFLOGS_RULES_DIR names the user rules when --rules is not given; other subcommands are usage errors', async () => {
    writeFileSync(join(dir, 'blocked.ts'), userRule(`[{ name: 'a block', expected: true, log: { Action: 'block' } }]`));
    process.env.CFLOGS_RULES_DIR = dir;
    try {
      expect((await runMain(['rules', 'test'])).out).toContain('PASS User.Blocked: a block');
    } finally {
      delete process.env.CFLOGS_RULES_DIR;
    }
    expect((await runMain(['rules', 'run'])).code).toBe(2);
    expect((await runMain(['rules', '--help'])).out).toMatch(/^usage: cflogs rules test \[--rules DIR\] \| list .*\n\nRuns every rule's own test cases \(test\), lists the rules \(list\), compiles Sigma rules \(sigma\)\.\n\noptions:\n {2}--rules DIR /);
  });

  test('under tsx, as npm run cflogs runs it, a TypeScript rule file that imports defineRule loads', async () => {
    const model = JSON.stringify(join(ROOT, 'lib', 'rules', 'model'));
    writeFileSync(
      join(dir, 'typed.ts'),
      `import { defineRule } from ${model};\nexport default defineRule<{ Action?: string }>({ id: 'User.Typed', logTypes: ['Cloudflare.Firewall'], severity: 'Low', rule: (e) => e.Action === 'block', tests: [{ name: 'typed case', expected: true, log: { Action: 'block' } }] });\n`,
    );
    const { stdout } = await promisify(execFile)(join(ROOT, 'node_modules', '.bin', 'tsx'), ['lib/cli/main.ts', 'rules', 'test', '--rules', dir], { cwd: ROOT });
    expect(stdout).toContain('PASS User.Typed: typed case');
  });
});
