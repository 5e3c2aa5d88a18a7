'use strict';
/**
 * The detections' rules in the deployment.
 *
 * User rules (the rulesDir param): every rule file directly in that directory (the names lib/rules/load.ts takes:
 * `*.ts`, `*.js`, ...; not `_*`, `.*`, `*.d.ts`, `*.test.*`) is compiled by esbuild into one self-contained
 * CommonJS file (bundled: its imports of the project's lib/rules helpers, of its own `_helpers.ts` or of packages
 * are inside it), and both function artifacts get them under rules/, with the functions' CFLOGS_RULES_DIR set to
 * /var/task/rules (infra/stack.js). The zips are written beside the bundles as
 * .build/with-rules/<function>-<hash>.zip, named by their content (concurrent packagings never share a file).
 *
 * Before anything is deployed, the rule set is built as a cold start builds it (lib/rules/builtin.ts): the built-in
 * rules, the compiled user rules loaded from their compiled files, rulesEnable / rulesDisable, the log types of
 * schemas/. A rule file that does not compile, is not a valid rule, repeats an id or names an unknown log type, and
 * an enable / disable id no rule has, fail the packaging with the message the function would have died with at
 * every cold start (where every S3 object would fail into the dead-letter queue).
 *
 * This runs when osls resolves serverless.yml (`osls package` and `osls deploy`, so `npm run package` and
 * `npm run deploy`), the one step that sees --param: npm runs the bundle step of `npm run deploy` (predeploy)
 * without deploy's arguments. Nothing here is loaded before it is needed (the jest tests require infra/stack.js).
 */
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { ConfigError, ROOT } = require('./settings');
const { ruleSets, schemaTools, sigmaTools } = require('./lib');

const BUILD = path.join(ROOT, '.build');
/** The rules' folder in an artifact, and where Lambda finds it (the artifact is unpacked in /var/task). */
const RULES_FOLDER = 'rules';
const RULES_DIR_IN_LAMBDA = `/var/task/${RULES_FOLDER}`;
/** The Sigma rules' folder in an artifact (the sigmaDir param's files, as they are), and where Lambda finds it. */
const SIGMA_FOLDER = 'sigma';
const SIGMA_DIR_IN_LAMBDA = `/var/task/${SIGMA_FOLDER}`;
/** serverless.yml's functions and their bundles, .build/<name>.zip (scripts/package.ts, one per functions/*.ts). */
const FUNCTION_BUNDLES = { s3Ingest: 's3-ingest', httpIngest: 'http-ingest' };
/** lib/rules/load.ts's RULE_FILE: the files of a rules directory that are rule modules. */
const RULE_FILE = /^[^_.].*(?<!\.d|\.test|\.spec)\.(ts|js|mjs|cjs|mts|cts)$/;
/** Makes the compiled files CommonJS whatever surrounds them; not a rule file (loadUserRules skips .json). */
const PACKAGE_JSON = Buffer.from('{ "type": "commonjs" }\n');

const memo = new Map();
function once(key, make) {
  if (!memo.has(key)) memo.set(key, make());
  return memo.get(key);
}

/** The rule files of a directory, by name; at least one. */
function ruleSources(dir) {
  const names = fs
    .readdirSync(dir)
    .filter((n) => RULE_FILE.test(n) && fs.statSync(path.join(dir, n)).isFile())
    .sort();
  if (names.length === 0) throw new ConfigError(`rulesDir ${dir} holds no rule file (*.ts or *.js, not starting with _ or .)`);
  return names;
}

/**
 * The compiled user rules of s.rulesDir, checked: [{ name: 'my_rule.js', data }], the same for every caller of
 * one packaging.
 */
function compiledRules(s) {
  return once(JSON.stringify(['compiled', s.rulesDir, s.rulesEnable, s.rulesDisable]), async () => {
    const dir = s.rulesDir;
    const entryPoints = {};
    for (const name of ruleSources(dir)) {
      const out = name.replace(/\.[^.]+$/, '');
      if (entryPoints[out]) {
        throw new ConfigError(`rulesDir: ${path.basename(entryPoints[out])} and ${name} would both become ${RULES_FOLDER}/${out}.js`);
      }
      entryPoints[out] = path.join(dir, name);
    }
    let result;
    try {
      result = await require('esbuild').build({
        absWorkingDir: dir, // error messages name the files as the directory does
        entryPoints,
        // Packages a rule imports resolve from the project too, wherever the directory is.
        nodePaths: [path.join(ROOT, 'node_modules')],
        outdir: path.join(BUILD, RULES_FOLDER), // names only: nothing is written (write: false)
        write: false,
        bundle: true,
        platform: 'node',
        target: 'node24',
        format: 'cjs',
        mainFields: ['module', 'main'], // as the functions are built (scripts/package/bundle.ts)
        charset: 'utf8',
        legalComments: 'inline',
        logLevel: 'silent',
      });
    } catch (e) {
      throw new ConfigError(`rulesDir ${dir}: the rules do not compile: ${e.message}`);
    }
    const files = result.outputFiles
      .map((f) => ({ name: path.basename(f.path), data: Buffer.from(f.contents) }))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
    // On disk, to be loaded as the function will load them.
    const hash = createHash('sha256');
    for (const f of files) hash.update(`${f.name}\0${f.data.length}\0`).update(f.data);
    const compiledDir = path.join(BUILD, 'rules', hash.digest('hex').slice(0, 16));
    writeDirOnce(compiledDir, [...files, { name: 'package.json', data: PACKAGE_JSON }]);
    const sourceOf = Object.fromEntries(Object.entries(entryPoints).map(([out, src]) => [path.join(compiledDir, `${out}.js`), src]));
    await checkRuleSet(s, compiledDir, sourceOf);
    process.stderr.write(
      `rules: ${Object.keys(entryPoints).map((out) => `${out}.js`).join(', ')} from ${dir} -> ${RULES_FOLDER}/ of ` +
        `${Object.values(FUNCTION_BUNDLES).join(', ')} (CFLOGS_RULES_DIR=${RULES_DIR_IN_LAMBDA})\n`,
    );
    return files;
  });
}

/**
 * Builds the rule set the functions will build at cold start (lib/rules/builtin.ts), or fails with its message
 * (compiled files named by their source).
 */
async function checkRuleSet(s, compiledDir, sourceOf = {}) {
  const { loadRuleSetSync, loadRuleSet } = ruleSets();
  const opts = {
    enable: s.rulesEnable,
    disable: s.rulesDisable,
    knownLogTypes: schemaTools().schemas.map((x) => x.logType),
    ...(compiledDir ? { dir: compiledDir } : {}),
  };
  try {
    // The functions load at cold start without awaiting, with require(): the same loader if lib has it.
    if (typeof loadRuleSetSync === 'function') loadRuleSetSync(opts);
    else await loadRuleSet(opts);
  } catch (e) {
    let message = e && e.message ? e.message : String(e);
    for (const [compiled, source] of Object.entries(sourceOf)) message = message.split(compiled).join(`${source} (compiled)`);
    throw new ConfigError(`the detection rules would not load: ${message}`);
  }
}

/**
 * What the functions' environment says about the rules, once the rule set is known to load: CFLOGS_RULES_DIR when
 * user rules are packaged, CFLOGS_RULES_ENABLE / _DISABLE when given.
 */
async function rulesEnvironment(s) {
  if (s.rulesDir) await compiledRules(s);
  else if (s.rulesEnable.length > 0 || s.rulesDisable.length > 0) {
    await once(JSON.stringify(['check', s.rulesEnable, s.rulesDisable]), () => checkRuleSet(s));
  }
  if (s.sigmaDir) sigmaFiles(s);
  return {
    ...(s.rulesDir ? { CFLOGS_RULES_DIR: RULES_DIR_IN_LAMBDA } : {}),
    ...(s.sigmaDir ? { CFLOGS_SIGMA_DIR: SIGMA_DIR_IN_LAMBDA } : {}),
    ...(s.rulesEnable.length > 0 ? { CFLOGS_RULES_ENABLE: s.rulesEnable.join(',') } : {}),
    ...(s.rulesDisable.length > 0 ? { CFLOGS_RULES_DISABLE: s.rulesDisable.join(',') } : {}),
  };
}

/**
 * Each function's artifact (serverless.yml `package.artifact`, relative to the project): its bundle, or with user
 * rules a copy of it with rules/ added. A bundle that is not there is left for osls to report.
 */
function artifacts(s) {
  return once(JSON.stringify(['artifacts', s.rulesDir, s.sigmaDir, s.rulesEnable, s.rulesDisable]), async () => {
    const out = {};
    const rules = s.rulesDir ? await compiledRules(s) : [];
    const sigma = s.sigmaDir ? sigmaFiles(s) : [];
    for (const [fn, name] of Object.entries(FUNCTION_BUNDLES)) {
      const bundle = path.join(BUILD, `${name}.zip`);
      out[fn] = path.relative(ROOT, bundle);
      if (rules.length === 0 && sigma.length === 0) continue;
      if (!fs.existsSync(bundle)) continue;
      const { createZip, readZip } = zipTools();
      const entries = [...(await readZip(fs.readFileSync(bundle))).entries()]
        .filter(([entry]) => !entry.startsWith(`${RULES_FOLDER}/`) && !entry.startsWith(`${SIGMA_FOLDER}/`))
        .map(([entry, data]) => ({ name: entry, data }));
      const zip = await createZip([
        ...entries,
        ...(rules.length > 0 ? [{ name: `${RULES_FOLDER}/package.json`, data: PACKAGE_JSON }, ...rules.map((r) => ({ name: `${RULES_FOLDER}/${r.name}`, data: r.data }))] : []),
        ...sigma.map((f) => ({ name: `${SIGMA_FOLDER}/${f.name}`, data: f.data })),
      ]);
      const file = path.join(BUILD, 'with-rules', `${name}-${createHash('sha256').update(zip).digest('hex').slice(0, 16)}.zip`);
      writeOnce(file, zip);
      out[fn] = path.relative(ROOT, file);
    }
    return out;
  });
}

/**
 * The sigmaDir param's Sigma rules (`*.yml` / `*.yaml`, recursively, by relative path), compiled here as the functions
 * will compile them at start: none compiling fails the packaging; the refused ones are listed, never applied in part.
 */
function sigmaFiles(s) {
  return once(JSON.stringify(['sigma', s.sigmaDir]), () => {
    const { compileSigmaDir } = sigmaTools();
    const { compiled, refused } = compileSigmaDir(s.sigmaDir);
    if (compiled.length === 0) throw new ConfigError(`sigmaDir ${s.sigmaDir}: no Sigma rule compiles (${refused.length} refused: cflogs rules sigma ${s.sigmaDir} says why)`);
    const files = [];
    const walk = (dir) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
        if (e.name.startsWith('.')) continue;
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.isFile() && /\.ya?ml$/i.test(e.name)) files.push({ name: path.relative(s.sigmaDir, p).split(path.sep).join('/'), data: fs.readFileSync(p) });
      }
    };
    walk(s.sigmaDir);
    process.stderr.write(
      `sigma: ${compiled.length} of ${compiled.length + refused.length} rules from ${s.sigmaDir} compile -> ${SIGMA_FOLDER}/ of ` +
        `${Object.values(FUNCTION_BUNDLES).join(', ')} (CFLOGS_SIGMA_DIR=${SIGMA_DIR_IN_LAMBDA})` +
        `${refused.length ? `; refused: ${refused.map((r) => `${r.file} (${r.reason})`).join('; ')}` : ''}\n`,
    );
    return files;
  });
}

/** scripts/package/zip.ts (deterministic zips, as the bundles are made), through tsx. */
function zipTools() {
  return require('tsx/cjs/api').require('../../scripts/package/zip.ts', __filename);
}

/** A content-named file: written under a temporary name and renamed, unless it is already there. */
function writeOnce(file, data) {
  if (fs.existsSync(file)) return;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

/** A content-named directory: filled under a temporary name and renamed, unless it is already there. */
function writeDirOnce(dir, files) {
  if (fs.existsSync(dir)) return;
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const tmp = fs.mkdtempSync(`${dir}.tmp-`);
  for (const f of files) fs.writeFileSync(path.join(tmp, f.name), f.data);
  try {
    fs.renameSync(tmp, dir);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    if (!fs.existsSync(dir)) throw e; // another packaging renamed the same content first: fine
  }
}

module.exports = { artifacts, rulesEnvironment, RULES_DIR_IN_LAMBDA, SIGMA_DIR_IN_LAMBDA, RULE_FILE };
