/**
 * Build step: schemas/**.yml -> lib/generated/ (validators.js, normalisers.js, schemas.json and typings; see
 * lib/codegen/build.ts). Runs before start/test/bench/package; a user who drops a YAML file into schemas/ re-runs
 * it (or deploys). Files are only rewritten when their content changes.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildArtifacts } from '../lib/codegen/build';
import { loadSchemaDir } from '../lib/schema/load';

const root = join(__dirname, '..');
const out = join(root, 'lib', 'generated');
mkdirSync(out, { recursive: true });
for (const [name, text] of Object.entries(buildArtifacts(loadSchemaDir(join(root, 'schemas'))))) {
  const file = join(out, name);
  let old: string | undefined;
  try {
    old = readFileSync(file, 'utf8');
  } catch {
    old = undefined;
  }
  if (old !== text) writeFileSync(file, text);
}
