import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { devDependencies: Record<string, string>; dependencies?: Record<string, string> };

describe('dependencies', () => {
  it('take every Powertools package at one version, so a bundle holds one copy of their commons', () => {
    const versions = new Set(Object.entries({ ...pkg.devDependencies, ...pkg.dependencies }).filter(([name]) => name.startsWith('@aws-lambda-powertools/')).map(([, v]) => v));
    expect(versions.size).toBe(1);
  });

  it('are all bundled: the installed command line depends on nothing but the optional DuckDB', () => {
    expect(pkg.dependencies ?? {}).toEqual({});
  });
});
