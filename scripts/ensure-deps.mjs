// Lets `npm start` / `npm test` work straight after a clone, and after a pull that changed the lockfile: install
// exactly the locked dependencies when node_modules lacks one of them. Runs on whatever node is on PATH (the
// system's, before the first install); everything after it runs on the Node the project pins (the `node` dev
// dependency, which npm puts first on the PATH of its scripts). With --gen it then runs `npm run gen` unless
// lib/generated is up to date (scripts/gen-fresh.mjs).
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execSync } from 'node:child_process';
import { whyStale } from './gen-fresh.mjs';

const root = new URL('..', import.meta.url);
const read = (path) => JSON.parse(readFileSync(new URL(path, root), 'utf8')).packages ?? {};

function missing() {
  if (!existsSync(new URL('node_modules/.package-lock.json', root))) return 'node_modules missing';
  const locked = read('package-lock.json');
  const installed = read('node_modules/.package-lock.json');
  for (const [path, pkg] of Object.entries(locked)) {
    // Optional packages for other platforms are never installed here.
    if (path === '' || pkg.optional || pkg.link) continue;
    if (installed[path]?.version !== pkg.version) return `${path.replace(/^node_modules\//, '')}@${pkg.version} not installed`;
  }
  // The pinned Node is fetched by its package's install script; `npm ci --ignore-scripts` would leave it out.
  if (!existsSync(new URL('node_modules/node/bin/node', root))) return 'the pinned Node (node_modules/node) is not installed';
  return undefined;
}

const why = missing();
if (why !== undefined) {
  console.error(`cflogs: ${why}, running npm ci ...`);
  execSync('npm ci --no-audit --no-fund', { stdio: 'inherit', cwd: root });
}

if (process.argv.includes('--gen') && whyStale(fileURLToPath(root)) !== undefined) {
  execSync('npm run --silent gen', { stdio: 'inherit', cwd: root });
}
