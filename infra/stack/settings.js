'use strict';
/**
 * Every setting the computed parts of the stack depend on, read from serverless.yml's params (overridable with
 * --param) and checked: a bad one fails the packaging with a ConfigError that names it.
 */
const path = require('node:path');
const { statSync } = require('node:fs');
const { layout, outputCompressionSettings, outputFormat } = require('./lib');

const ROOT = path.join(__dirname, '..', '..');

/** Cloudflare's Logpush IAM user (developers.cloudflare.com/logs/logpush/aws-s3/). */
const CLOUDFLARE_LOGPUSH_PRINCIPAL = 'arn:aws:iam::391854517948:user/cloudflare-logpush';

/**
 * A setting that cannot be deployed. Not lib/errors.ts's ConfigError: the checks here also run under jest (whose
 * loader cannot host tsx), and osls reports the rejection as `Error: <message>`, which a renamed error would change.
 */
class ConfigError extends Error {}

async function settings(resolveVariable) {
  const param = async (name) => {
    const v = await resolveVariable(`param:${name}`);
    return v === null || v === undefined ? '' : String(v).trim();
  };
  const service = String(await resolveVariable('self:service'));
  const stage = String(await resolveVariable('sls:stage'));
  const timeout = Number(await resolveVariable('self:functions.s3Ingest.timeout'));
  const existingInputBucket = await param('existingInputBucket');
  const alarmEmail = await param('alarmEmail');
  const alertEmail = await param('alertEmail');
  const s = {
    service,
    stage,
    timeout,
    inputPrefixes: parsePrefixes(await param('inputPrefixes')),
    existingInputBucket,
    logpushPrincipal: (await param('logpushPrincipal')) || CLOUDFLARE_LOGPUSH_PRINCIPAL,
    routes: await param('routes'),
    sourceId: await param('sourceId'),
    sourceLabel: await param('sourceLabel'),
    alarmEmail,
    alertEmail,
    rulesDir: parseRulesDir(await param('rulesDir')),
    sigmaDir: parseRulesDir(await param('sigmaDir'), 'sigmaDir'),
    rulesEnable: parseRuleIds('rulesEnable', await param('rulesEnable')),
    rulesDisable: parseRuleIds('rulesDisable', await param('rulesDisable')),
    httpReservedConcurrency: parseReservedConcurrency(await param('httpReservedConcurrency')),
    outputCompression: await param('outputCompression'),
    outputCompressionLevel: await param('outputCompressionLevel'),
    outputFormat: await param('outputFormat'),
    // serverless.yml's defaults, also when a caller resolves no params.
    icebergTables: parseFlag('icebergTables', (await param('icebergTables')) || 'true'),
    icebergSnapshotRetentionDays: parseWholeNumber('icebergSnapshotRetentionDays', (await param('icebergSnapshotRetentionDays')) || '5', 1, 3650),
  };
  try {
    outputCompressionSettings({ CFLOGS_OUTPUT_COMPRESSION: s.outputCompression, CFLOGS_OUTPUT_COMPRESSION_LEVEL: s.outputCompressionLevel });
  } catch (e) {
    throw new ConfigError(`outputCompression / outputCompressionLevel: ${e.message}`);
  }
  try {
    // Checked and defaulted by lib/config.ts (Parquet when unset), so the functions and the Glue tables agree.
    s.outputFormat = outputFormat({ CFLOGS_OUTPUT_FORMAT: s.outputFormat });
  } catch (e) {
    throw new ConfigError(`outputFormat: ${e.message}`);
  }
  if (s.icebergTables && s.outputFormat !== 'parquet') {
    throw new ConfigError(`icebergTables is true but outputFormat is ${s.outputFormat}: Iceberg tables hold Parquet files (set icebergTables=false for NDJSON)`);
  }
  if (!Number.isInteger(timeout) || timeout < 1) throw new ConfigError(`functions.s3Ingest.timeout must be set, got ${timeout}`);
  if (existingInputBucket && !layout().BUCKET_NAME.test(existingInputBucket)) {
    throw new ConfigError(`existingInputBucket is not a valid bucket name: ${JSON.stringify(existingInputBucket)}`);
  }
  for (const [name, value] of [['alarmEmail', alarmEmail], ['alertEmail', alertEmail]]) {
    if (value && !EMAIL.test(value)) throw new ConfigError(`${name} is not an e-mail address: ${value}`);
  }
  if (!existingInputBucket) {
    // <service>-<stage>-input-<account id>-<region>: unique per account and region, and known before the bucket
    // exists, which the queue policy needs (the bucket's notification waits for that policy).
    const fixed = `${service}-${stage}-input-`.length + 12 + 1 + 14; // longest region name: 14
    if (fixed > 63 || !/^[a-z0-9-]+$/.test(`${service}-${stage}`)) {
      throw new ConfigError(
        `the input bucket name ${service}-${stage}-input-<account>-<region> must be lower case and at most 63 ` +
          'characters: use a shorter, lower-case stage or pass --param="existingInputBucket=<name>"',
      );
    }
  }
  return s;
}

/** What the alarm and alert subscriptions accept: something@somewhere, no spaces (SNS checks the rest). */
const EMAIL = /^[^@\s]+@[^@\s]+$/;

/**
 * The directory of user rules (rulesDir), relative to the project or absolute: '' when not set, else its absolute
 * path, which must be a directory (its rule files are compiled into the function artifacts, infra/stack/rules.js).
 */
function parseRulesDir(text, name = 'rulesDir') {
  if (text === '') return '';
  const dir = path.resolve(ROOT, text);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    // reported below
  }
  if (!isDir) throw new ConfigError(`${name} ${JSON.stringify(text)} is not a directory (resolved to ${dir})`);
  return dir;
}

/** The rule id syntax of lib/rules/model.ts (defineRule). Whether a rule has the id is checked with the rule set. */
const RULE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/;

/** `a, b,,a` -> ['a', 'b']: comma-separated rule ids (rulesEnable, rulesDisable), each of the rule id syntax. */
function parseRuleIds(name, text) {
  const ids = [...new Set(text.split(',').map((id) => id.trim()).filter((id) => id !== ''))];
  for (const id of ids) if (!RULE_ID.test(id)) throw new ConfigError(`${name}: ${JSON.stringify(id)} is not a rule id`);
  return ids;
}

/**
 * `a/, b/` -> ['a/', 'b/']; '' (or '/') alone means the whole bucket. A prefix inside another one is dropped: the
 * shorter one covers it, and S3 refuses notification filters that overlap.
 */
function parsePrefixes(text) {
  const list = [...new Set(text.split(',').map((p) => p.trim()).filter((p) => p !== ''))];
  if (list.length === 0 || list.includes('/')) return [''];
  for (const p of list) {
    if (p.startsWith('/')) throw new ConfigError(`input prefix ${JSON.stringify(p)} must not start with '/' (S3 keys do not)`);
    if (/[*?\s]/.test(p)) throw new ConfigError(`input prefix ${JSON.stringify(p)} must not contain '*', '?' or spaces`);
  }
  return list.filter((p) => !list.some((q) => q !== p && p.startsWith(q)));
}

/**
 * The public HTTP function's reserved concurrency: both its guaranteed share of the account's Lambda concurrency
 * and its ceiling, so a flood of requests to the function URL gets 429s instead of taking every other function's
 * concurrency. 0 would switch the function off: refused, like anything but a whole number.
 */
function parseReservedConcurrency(text) {
  if (!/^[0-9]+$/.test(text) || Number(text) < 1 || Number(text) > 10000) {
    throw new ConfigError(`httpReservedConcurrency must be a whole number from 1 to 10000, got ${JSON.stringify(text)}`);
  }
  return Number(text);
}

function parseFlag(name, text) {
  if (text !== 'true' && text !== 'false') throw new ConfigError(`${name} must be true or false, got ${JSON.stringify(text)}`);
  return text === 'true';
}

function parseWholeNumber(name, text, min, max) {
  if (!/^[0-9]+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(text)}`);
  }
  return Number(text);
}

module.exports = { settings, parsePrefixes, parseReservedConcurrency, parseRuleIds, ConfigError, ROOT };
