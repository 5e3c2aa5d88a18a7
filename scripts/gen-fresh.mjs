// Whether lib/generated is up to date, so `npm run cflogs` (and start, test, ...) skip regenerating it: the stamp
// scripts/gen-schemas.ts leaves (lib/generated/.stamp: a SHA-256 of the build's inputs as they were when it started,
// and the files it made) must hold the inputs' hash as they are now, and every file it made must still be there.
// Contents, not times: a checkout, a copy or a restored cache changes times without changing what is generated.
// Plain JavaScript: runs before tsx is needed, on whatever Node is on PATH.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

export const STAMP = join('lib', 'generated', '.stamp');

/** What the build reads: the schemas, the code that loads and compiles them, and the generator itself. */
const INPUTS = [
  'schemas',
  join('lib', 'codegen'),
  join('lib', 'schema'),
  join('lib', 'record', 'normalise.ts'),
  join('scripts', 'gen-schemas.ts'),
  join('scripts', 'gen-fresh.mjs'),
];
/** Packages whose code the build runs: their versions are inputs too. */
const PACKAGES = ['ajv', 'yaml'];

/** The files at a path, or under it (none when absent). */
function filesAt(path) {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) return [];
  if (!st.isDirectory()) return [path];
  return readdirSync(path).flatMap((name) => filesAt(join(path, name)));
}

/** SHA-256 (hex) of the build's inputs under `root`: each file's path and content, and the packages' versions. */
export function inputsHash(root) {
  const h = createHash('sha256');
  const files = INPUTS.flatMap((p) => filesAt(join(root, p))).map((f) => relative(root, f).split(sep).join('/'));
  for (const file of files.sort()) {
    const content = readFileSync(join(root, file));
    // Lengths delimit the parts, so no two different sets of files hash alike.
    h.update(`${file}\0${content.length}\0`).update(content);
  }
  for (const pkg of PACKAGES) {
    let version = 'not installed';
    try {
      version = JSON.parse(readFileSync(join(root, 'node_modules', pkg, 'package.json'), 'utf8')).version;
    } catch {
      // Hashed as absent: installing it changes the hash.
    }
    h.update(`${pkg}@${version}\0`);
  }
  return h.digest('hex');
}

/** Why lib/generated under `root` must be rebuilt, or undefined when it is up to date. */
export function whyStale(root) {
  const stampFile = join(root, STAMP);
  if (!existsSync(stampFile)) return 'lib/generated has not been built';
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(stampFile, 'utf8'));
  } catch {
    return `${STAMP} is unreadable`;
  }
  const files = stamp?.files;
  if (!Array.isArray(files) || files.length === 0) return `${STAMP} lists no files`;
  for (const f of files) if (!existsSync(join(root, 'lib', 'generated', f))) return `lib/generated/${f} is missing`;
  if (stamp.inputs !== inputsHash(root)) return 'its inputs changed (schemas, generator sources or package versions)';
  return undefined;
}
