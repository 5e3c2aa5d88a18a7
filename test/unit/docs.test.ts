import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { COMMANDS } from '../../lib/cli/main';
import { datasetsDoc, DATASETS_DOC } from '../../scripts/gen-datasets-doc';

const ROOT = join(__dirname, '..', '..');
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

/** Every .ts file under dir (relative to the root), skipping the folders named in `skip`. */
function tsFiles(dir: string, skip: readonly string[] = [], recursive = true): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (recursive && !skip.includes(path)) out.push(...tsFiles(path, skip, recursive));
    } else if (entry.name.endsWith('.ts')) out.push(path);
  }
  return out;
}

const CFLOGS_NAME = /CFLOGS_[A-Z0-9_]+/g;
const namesIn = (text: string): Set<string> => new Set(text.match(CFLOGS_NAME) ?? []);

const docPages = (): string[] => ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];

describe('the documentation', () => {
  it('docs/datasets.md is what `npm run docs` generates from the schema registry', () => {
    expect(readFileSync(DATASETS_DOC, 'utf8')).toBe(datasetsDoc());
  });

  it('docs/configuration.md lists every CFLOGS_* variable the product code names, and no other', () => {
    const code = new Set<string>();
    for (const file of [...tsFiles('lib', [join('lib', 'generated')]), ...tsFiles('functions', [], false)]) {
      for (const name of namesIn(read(file))) code.add(name);
    }
    const documented = namesIn(read('docs/configuration.md'));
    expect(code.size).toBeGreaterThan(0);
    expect([...code].filter((n) => !documented.has(n)).sort()).toEqual([]);
    expect([...documented].filter((n) => !code.has(n)).sort()).toEqual([]);
  });

  it('docs/cli.md names every option of every command, and no option no command has', () => {
    const cli = read('docs/cli.md');
    // npm's --silent, in the examples run from a clone.
    const known = new Set(['help', 'version', 'silent', ...Object.values(COMMANDS).flatMap((c) => Object.keys(c.options))]);
    for (const [name, cmd] of Object.entries(COMMANDS)) {
      expect(cli).toContain(`## ${name}`);
      for (const option of Object.keys(cmd.options)) expect([name, cli.includes(`--${option}`)]).toEqual([name, true]);
    }
    const documented = new Set([...cli.matchAll(/(?<![\w-])--([a-z][a-z0-9-]*)/g)].map((m) => m[1] as string));
    expect([...documented].filter((o) => !known.has(o)).sort()).toEqual([]);
  });

  it('README.md has at most 300 lines', () => {
    expect(read('README.md').replace(/\n$/, '').split('\n').length).toBeLessThanOrEqual(300);
  });

  it.each([
    ['a planning document', /\bBRIEF\b/],
    ['a work-item number', /\bissue #?\d+/i],
    ['development history (sessions)', /\bsession\b/i],
    ['development history (rounds)', /\bround\b/i],
  ])('README.md and docs/*.md never mention %s', (_what, pattern) => {
    const hits = docPages().flatMap((page) =>
      read(page)
        .split('\n')
        .flatMap((line, i) => (pattern.test(line) ? [`${relative(ROOT, join(ROOT, page))}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(hits).toEqual([]);
  });
});
