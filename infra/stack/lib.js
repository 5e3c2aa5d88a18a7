'use strict';
/**
 * The modules of lib/ the stack takes its rules from, loaded through tsx (which osls itself depends on), so a rule
 * lib owns is never repeated here. Loaded on first use only: the stack's pure helpers (and the tests that require
 * them under jest, whose loader cannot host tsx) never touch lib/.
 */
const path = require('node:path');

const ROOT = path.join(__dirname, '..', '..');
const loaded = new Map();

/** `lake/layout.ts` -> lib/lake/layout.ts's exports (one load per module). */
function fromLib(file) {
  if (!loaded.has(file)) loaded.set(file, require('tsx/cjs/api').require(`../../lib/${file}`, __filename));
  return loaded.get(file);
}

/** lib/lake/layout.ts, the module the writer names its keys with: bucket-name rule, the lake's folders. */
function layout() {
  return fromLib('lake/layout.ts');
}

/** The generator `cflogs ddl` uses (lib/lake/catalog.ts), over the schema YAML in schemas/ (lib/schema/load.ts). */
function schemaTools() {
  const { loadSchemaDir } = fromLib('schema/load.ts');
  const { glueTableInput, lakeTables } = fromLib('lake/catalog.ts');
  return { schemas: loadSchemaDir(path.join(ROOT, 'schemas')), glueTableInput, lakeTables };
}

/** lib/config.ts's check of the output compression settings, so the stack refuses what the functions would. */
function outputCompressionSettings(env) {
  return fromLib('config.ts').outputCompressionSettings(env);
}

/** lib/config.ts's check of the lake's file format (ndjson | parquet). */
function outputFormat(env) {
  return fromLib('config.ts').outputFormat(env);
}

/**
 * lib/rules/builtin.ts: the rule set an entry point builds at start (the built-in rules plus a directory of user
 * rules, enable / disable lists, known log types), so the stack refuses the rules a cold start would refuse.
 */
function ruleSets() {
  return fromLib('rules/builtin.ts');
}

/** lib/sigma: the Sigma compiler the functions run at start on CFLOGS_SIGMA_DIR. */
function sigmaTools() {
  return fromLib('sigma/index.ts');
}

module.exports = { layout, schemaTools, outputCompressionSettings, outputFormat, ruleSets, sigmaTools };
