import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tempDir } from '../support/lake';

const MODULE = pathToFileURL(join(__dirname, '..', '..', 'scripts', 'gen-fresh.mjs')).href;

/** A function of scripts/gen-fresh.mjs called with `root`, in a plain node (it is an ES module that runs before tsx). */
function call(fn: 'whyStale' | 'inputsHash', root: string): string | null {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e',
    `import { ${fn} } from ${JSON.stringify(MODULE)}; process.stdout.write(JSON.stringify(${fn}(process.argv[1]) ?? null));`, root], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as string | null;
}

const CHANGED = 'its inputs changed (schemas, generator sources or package versions)';

describe('gen-fresh: lib/generated is up to date', () => {
  const root = tempDir('gen-fresh');
  const put = (path: string, text: string) => writeFileSync(join(root, path), text);
  const whyStale = () => call('whyStale', root);
  /** What scripts/gen-schemas.ts leaves: the generated files and the stamp with the inputs' hash. */
  const build = () => {
    put('lib/generated/log-types.js', '');
    put('lib/generated/.stamp', JSON.stringify({ inputs: call('inputsHash', root), files: ['log-types.js'] }));
  };
  beforeAll(() => {
    for (const d of ['schemas/cloudflare', 'lib/codegen', 'lib/schema', 'lib/record', 'lib/generated', 'scripts', 'node_modules/ajv', 'node_modules/yaml']) {
      mkdirSync(join(root, d), { recursive: true });
    }
    put('schemas/cloudflare/http.yml', 'schema: A\n');
    put('lib/codegen/build.ts', 'build');
    put('lib/schema/load.ts', 'load');
    put('lib/record/normalise.ts', 'normalise');
    put('scripts/gen-schemas.ts', 'gen');
    put('node_modules/ajv/package.json', JSON.stringify({ name: 'ajv', version: '8.20.0' }));
    put('node_modules/yaml/package.json', JSON.stringify({ name: 'yaml', version: '2.9.1' }));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('is stale with no build, fresh after one, and stale again when any input changes', () => {
    expect(whyStale()).toBe('lib/generated has not been built');
    build();
    expect(whyStale()).toBeNull();
    for (const [path, text] of [
      ['schemas/cloudflare/http.yml', 'schema: B\n'],
      ['lib/codegen/build.ts', 'build 2'],
      ['lib/schema/load.ts', 'load 2'],
      ['lib/record/normalise.ts', 'normalise 2'],
      ['scripts/gen-schemas.ts', 'gen 2'],
      ['node_modules/ajv/package.json', JSON.stringify({ name: 'ajv', version: '8.21.0' })],
    ] as const) {
      put(path, text);
      expect([path, whyStale()]).toEqual([path, CHANGED]);
      build();
      expect([path, whyStale()]).toEqual([path, null]);
    }
  });

  it('reads contents, not times: a touched input leaves it fresh, an input added or moved in with an old time does not', () => {
    build();
    utimesSync(join(root, 'schemas/cloudflare/http.yml'), 4_000_000_000, 4_000_000_000);
    utimesSync(join(root, 'lib/codegen/build.ts'), 4_000_000_000, 4_000_000_000);
    expect(whyStale()).toBeNull();
    put('old.yml', 'schema: Old\n');
    utimesSync(join(root, 'old.yml'), 500, 500);
    renameSync(join(root, 'old.yml'), join(root, 'schemas/cloudflare/old.yml'));
    expect(whyStale()).toBe(CHANGED);
    rmSync(join(root, 'schemas/cloudflare/old.yml'));
    expect(whyStale()).toBeNull();
    renameSync(join(root, 'schemas/cloudflare/http.yml'), join(root, 'schemas/cloudflare/https.yml'));
    expect(whyStale()).toBe(CHANGED);
    renameSync(join(root, 'schemas/cloudflare/https.yml'), join(root, 'schemas/cloudflare/http.yml'));
    expect(whyStale()).toBeNull();
  });

  it('is stale when a generated file is gone or the stamp is not one', () => {
    build();
    rmSync(join(root, 'lib/generated/log-types.js'));
    expect(whyStale()).toBe('lib/generated/log-types.js is missing');
    build();
    put('lib/generated/.stamp', '{');
    expect(whyStale()).toBe('lib/generated/.stamp is unreadable');
    put('lib/generated/.stamp', JSON.stringify({ files: ['log-types.js'] }));
    expect(whyStale()).toBe(CHANGED);
  });
});
