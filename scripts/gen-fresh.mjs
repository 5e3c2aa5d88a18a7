// Whether lib/generated is up to date, so `npm run cflogs` (and start, test, ...) skip regenerating it: the stamp
// scripts/gen-schemas.ts leaves (lib/generated/.stamp: when that build started, and the files it made) must be
// newer than every schema, codegen source and folder holding them (a folder's time changes when a file is added,
// removed or renamed), and every file it made must still be there. Plain JavaScript: runs before tsx is needed.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const STAMP = join('lib', 'generated', '.stamp');
const INPUTS = ['schemas', join('lib', 'codegen'), join('lib', 'schema'), join('scripts', 'gen-schemas.ts')];

/** The newest modification time of a file, or of a folder and everything under it (0 when absent). */
function newest(path) {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.mtimeMs;
  let m = st.mtimeMs;
  for (const name of readdirSync(path)) m = Math.max(m, newest(join(path, name)));
  return m;
}

/** Why lib/generated under `root` must be rebuilt, or undefined when it is up to date. */
export function whyStale(root) {
  const stampFile = join(root, STAMP);
  const stamp = statSync(stampFile, { throwIfNoEntry: false });
  if (!stamp) return 'lib/generated has not been built';
  let files;
  try {
    files = JSON.parse(readFileSync(stampFile, 'utf8')).files;
  } catch {
    return `${STAMP} is unreadable`;
  }
  if (!Array.isArray(files) || files.length === 0) return `${STAMP} lists no files`;
  for (const f of files) if (!existsSync(join(root, 'lib', 'generated', f))) return `lib/generated/${f} is missing`;
  for (const input of INPUTS) if (newest(join(root, input)) > stamp.mtimeMs) return `${input} changed`;
  return undefined;
}
