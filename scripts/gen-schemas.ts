/**
 * Build step: schemas/**.yml -> lib/generated/ (log-types.js and a module per log type, schemas.js and typings;
 * see lib/codegen/build.ts). Runs before start/test/bench/package; a user who drops a YAML file into schemas/
 * re-runs it (or deploys). Files are only rewritten when their content changes, and files of an earlier build that
 * this one does not make (a removed schema's module, the old single-file layout) are deleted. It ends by writing
 * lib/generated/.stamp (a hash of its inputs and the files it made), which scripts/gen-fresh.mjs checks so that
 * `npm run cflogs` and the other scripts skip this step when nothing changed.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { buildArtifacts } from '../lib/codegen/build';
import { loadSchemaDir } from '../lib/schema/load';
import { inputsHash, STAMP } from './gen-fresh.mjs';

const root = join(__dirname, '..');
const out = join(root, 'lib', 'generated');
// Hashed before reading them: an input edited while this runs leaves a stamp that no longer matches.
const inputs = inputsHash(root);
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
const stamp = join(root, STAMP);
for (const file of files(out)) {
  if (file !== stamp && !(relative(out, file) in artifacts)) rmSync(file);
}
writeFileSync(stamp, JSON.stringify({ inputs, files: Object.keys(artifacts).sort() }) + '\n');
