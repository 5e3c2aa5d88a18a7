import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tempDir } from '../support/lake';

const MODULE = pathToFileURL(join(__dirname, '..', '..', 'scripts', 'gen-fresh.mjs')).href;

/** scripts/gen-fresh.mjs's whyStale(root), called in a plain node (it is an ES module that runs before tsx). */
function whyStale(root: string): string | null {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e',
    `import { whyStale } from ${JSON.stringify(MODULE)}; process.stdout.write(JSON.stringify(whyStale(process.argv[1]) ?? null));`, root], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as string | null;
}

describe('gen-fresh: lib/generated is up to date', () => {
  const root = tempDir('gen-fresh');
  const at = (path: string, seconds: number) => utimesSync(join(root, path), seconds, seconds);
  const build = (seconds: number) => {
    writeFileSync(join(root, 'lib/generated/.stamp'), JSON.stringify({ files: ['log-types.js'] }));
    writeFileSync(join(root, 'lib/generated/log-types.js'), '');
    at('lib/generated/.stamp', seconds);
  };
  beforeAll(() => {
    for (const d of ['schemas/cloudflare', 'lib/codegen', 'lib/schema', 'lib/generated', 'scripts']) mkdirSync(join(root, d), { recursive: true });
    for (const f of ['schemas/cloudflare/http.yml', 'lib/codegen/build.ts', 'lib/schema/load.ts', 'scripts/gen-schemas.ts']) writeFileSync(join(root, f), '');
    for (const p of ['schemas/cloudflare/http.yml', 'schemas/cloudflare', 'schemas', 'lib/codegen/build.ts', 'lib/codegen', 'lib/schema/load.ts', 'lib/schema', 'scripts/gen-schemas.ts']) at(p, 1000);
  });

  it('is stale with no build, fresh after one, stale again when a schema or codegen source changes', () => {
    expect(whyStale(root)).toBe('lib/generated has not been built');
    build(2000);
    expect(whyStale(root)).toBeNull();
    at('schemas/cloudflare/http.yml', 3000);
    expect(whyStale(root)).toBe('schemas changed');
    build(4000);
    at('lib/codegen/build.ts', 5000);
    expect(whyStale(root)).toBe('lib/codegen changed');
    build(6000);
    at('scripts/gen-schemas.ts', 7000);
    expect(whyStale(root)).toBe('scripts/gen-schemas.ts changed');
  });

  it('is stale when a schema is moved in with an old time (its folder changes), or a generated file is gone', () => {
    build(10000);
    writeFileSync(join(root, 'old.yml'), '');
    utimesSync(join(root, 'old.yml'), 500, 500);
    renameSync(join(root, 'old.yml'), join(root, 'schemas/cloudflare/old.yml'));
    expect(whyStale(root)).toBe('schemas changed');
    rmSync(join(root, 'schemas/cloudflare/old.yml'));
    at('schemas/cloudflare', 1000);
    build(20000);
    expect(whyStale(root)).toBeNull();
    rmSync(join(root, 'lib/generated/log-types.js'));
    expect(whyStale(root)).toBe('lib/generated/log-types.js is missing');
  });
});
