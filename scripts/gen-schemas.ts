/**
 * Build step: schemas/**.yml -> lib/generated/ (log-types.js and a module per log type, schemas.js and typings;
 * see lib/codegen/build.ts). Runs before start/test/bench/package; a user who drops a YAML file into schemas/
 * re-runs it (or deploys). Files are only rewritten when their content changes, and files of an earlier build that
 * this one does not make (a removed schema's module, the old single-file layout) are deleted.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { buildArtifacts } from '../lib/codegen/build';
import { loadSchemaDir } from '../lib/schema/load';

const root = join(__dirname, '..');
const out = join(root, 'lib', 'generated');
const artifacts = buildArtifacts(loadSchemaDir(join(root, 'schemas')));
for (const [name, text] of Object.entries(artifacts)) {
  const file = join(out, name);
  mkdirSync(dirname(file), { recursive: true });
  let old: string | undefined;
  try {
    old = readFileSync(file, 'utf8');
  } catch {
    old = undefined;
  }
  if (old !== text) writeFileSync(file, text);
}
const files = (dir: string): string[] =>
  readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)]));
for (const file of files(out)) {
  if (!(relative(out, file) in artifacts)) rmSync(file);
}
