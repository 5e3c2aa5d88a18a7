/**
 * `npm run conformance -- DIR`: runs third-party Cloudflare samples through the real parser and checks the
 * outcome. NDJSON files (Elastic pipeline fixtures, OpenTelemetry receiver payloads) must be accepted, except
 * the lines listed in differences.ts; Panther's schema tests must produce Panther's expected `result`
 * (field values, p_event_time instant, indicator sets) apart from the documented differences; Panther rule
 * test logs (Panther-normalised records) must parse back and keep their indicators. Exit 1 on anything else.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { processStream, DEFAULT_LIMITS } from '../../lib/pipeline/process';
import { parseCloudflareTime, parseHttpDate } from '../../lib/record/timestamps';
import { builtInRegistry, LogTypeEntry } from '../../lib/record/registry';
import { MemorySink } from '../../testkit/memory-sink';
import { EXPECTED_REJECTS, FOLDER_LOG_TYPES, KNOWN_DIFFERENCES } from './differences';

const NOW = new Date('2026-01-01T00:00:00Z');
const registry = builtInRegistry();
let failures = 0;
const fail = (msg: string) => {
  failures++;
  console.log(`  FAIL ${msg}`);
};

interface Outcome {
  rows: Record<string, unknown>[];
  rejects: { line: number; reason: string; message: string }[];
}

async function run(entry: LogTypeEntry, text: string, source: string): Promise<Outcome> {
  const sink = new MemorySink();
  await processStream([Buffer.from(text)], { source, identity: source, entry, location: { key: source } }, {
    sink,
    now: NOW,
    limits: DEFAULT_LIMITS,
  });
  return {
    rows: sink.rows.map((r) => JSON.parse(r.json) as Record<string, unknown>),
    rejects: sink.rejects.map((r) => JSON.parse(r.json) as Outcome['rejects'][number]),
  };
}

function walk(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((n) => {
      const p = join(dir, n);
      return statSync(p).isDirectory() ? walk(p) : [p];
    });
}

/** NDJSON samples: every line accepted unless listed in EXPECTED_REJECTS with that reason. */
async function checkNdjson(root: string, file: string, logType: string): Promise<void> {
  const rel = relative(root, file).split(sep).join('/');
  const out = await run(registry.require(logType), readFileSync(file, 'utf8'), rel);
  const reasons = out.rejects.map((r) => `line ${r.line}: ${r.reason} (${r.message})`);
  console.log(`${rel} [${logType}]: ${out.rows.length} accepted, ${out.rejects.length} rejected${reasons.length ? `\n    ${reasons.join('\n    ')}` : ''}`);
  const expected = EXPECTED_REJECTS.filter((e) => e.file === rel);
  for (const r of out.rejects) {
    const e = expected.find((x) => x.line === r.line);
    if (!e) fail(`${rel} line ${r.line} rejected unexpectedly: ${r.reason} ${r.message}`);
    else if (e.reason !== r.reason) fail(`${rel} line ${r.line}: expected ${e.reason}, got ${r.reason}`);
    else console.log(`    expected: ${e.why}`);
  }
  for (const e of expected) if (!out.rejects.some((r) => r.line === e.line)) fail(`${rel} line ${e.line} should be rejected (${e.why})`);
  if (out.rows.length === 0 && expected.length === 0) fail(`${rel}: no rows`);
}

const INDICATORS = ['p_any_ip_addresses', 'p_any_domain_names', 'p_any_trace_ids', 'p_any_emails', 'p_any_usernames'];

/** Instants compare by value: Panther writes RFC3339, cflogs `YYYY-MM-DD HH:MM:SS.fffffffff`. */
function sameInstant(expected: unknown, actual: unknown, httpDate = false): boolean {
  if (typeof expected !== 'string' || typeof actual !== 'string') return false;
  return (httpDate ? parseHttpDate(expected) : parseCloudflareTime(expected)) === actual;
}

/** Panther's schema tests: `input` through our parser must give `result`. */
async function checkPantherSchemaTests(root: string, file: string): Promise<void> {
  const rel = relative(root, file).split(sep).join('/');
  for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
    const t = doc.toJS() as { name: string; logType: string; input: string; result: string } | null;
    if (!t?.input) continue;
    const entry = registry.require(t.logType);
    // Pretty-printed JSON: a raw newline cannot occur inside a JSON string, so joining lines is lossless.
    const out = await run(entry, t.input.replace(/[\r\n]+/g, ' ') + '\n', `${rel}#${t.name}`);
    const expected = JSON.parse(t.result) as Record<string, unknown>;
    const row = out.rows[0];
    const known = (field: string) => KNOWN_DIFFERENCES.find((d) => d.test === t.name && d.field === field);
    const diffs: string[] = [];
    if (!row) {
      fail(`${rel} "${t.name}": rejected: ${out.rejects[0]?.reason} ${out.rejects[0]?.message}`);
      continue;
    }
    const fields = new Map(entry.schema.fields.map((f) => [f.name, f]));
    for (const [k, v] of Object.entries(expected)) {
      if (k.startsWith('p_') && k !== 'p_log_type' && k !== 'p_event_time' && !INDICATORS.includes(k)) continue;
      const actual = row[k];
      let same: boolean;
      if (INDICATORS.includes(k)) same = isDeepStrictEqual([...(v as string[])].sort(), actual);
      else if (k === 'p_event_time' || fields.get(k)?.type === 'timestamp') {
        same = sameInstant(v, actual, fields.get(k)?.timeFormats.includes('rfc1123'));
      }
      else same = isDeepStrictEqual(v, actual);
      if (!same) diffs.push(`${k}: Panther ${JSON.stringify(v)}, cflogs ${JSON.stringify(actual)}`);
    }
    for (const k of Object.keys(row)) {
      if (expected[k] !== undefined) continue;
      if (INDICATORS.includes(k) || !k.startsWith('p_')) diffs.push(`${k}: Panther has none, cflogs ${JSON.stringify(row[k])}`);
    }
    const unexpected = diffs.filter((d) => !known(d.slice(0, d.indexOf(':'))));
    const accepted = diffs.filter((d) => known(d.slice(0, d.indexOf(':'))));
    console.log(`${rel} "${t.name}" [${t.logType}]: ${unexpected.length === 0 ? 'matches Panther' : 'DIFFERS'}${accepted.length ? ` (${accepted.length} documented difference${accepted.length > 1 ? 's' : ''})` : ''}`);
    for (const d of accepted) console.log(`    documented: ${d}\n      because ${known(d.slice(0, d.indexOf(':')))?.why}`);
    for (const d of unexpected) fail(`${rel} "${t.name}": ${d}`);
  }
}

/**
 * Panther rule tests carry Panther-normalised records (its p_* fields included). Re-parsed without those,
 * they must be accepted and yield every indicator Panther had, as host names rather than URLs and without
 * placeholders ("00", "").
 */
async function checkPantherRuleLogs(root: string, file: string): Promise<void> {
  const rel = relative(root, file).split(sep).join('/');
  const doc = parseAllDocuments(readFileSync(file, 'utf8'))[0]?.toJS() as {
    LogTypes?: string[];
    Tests?: { Name: string; Log: Record<string, unknown> }[];
  };
  const logType = doc?.LogTypes?.[0];
  if (!logType || !doc.Tests) return;
  const entry = registry.require(logType);
  let ok = 0;
  for (const test of doc.Tests) {
    const input = Object.fromEntries(Object.entries(test.Log).filter(([k]) => !k.startsWith('p_')));
    const out = await run(entry, JSON.stringify(input) + '\n', `${rel}#${test.Name}`);
    const row = out.rows[0];
    if (!row) {
      fail(`${rel} "${test.Name}": rejected: ${out.rejects[0]?.reason} ${out.rejects[0]?.message}`);
      continue;
    }
    for (const col of INDICATORS) {
      const theirs = (test.Log[col] as string[] | undefined) ?? [];
      const ours = (row[col] as string[] | undefined) ?? [];
      for (const v of theirs) {
        const asHost = /^[a-z]+:\/\//i.test(v) ? new URL(v).hostname : v;
        if (v === '00' || v === '') continue;
        if (!ours.includes(asHost)) fail(`${rel} "${test.Name}": ${col} lacks ${v}`);
      }
    }
    ok++;
  }
  console.log(`${rel} [${logType}]: ${ok}/${doc.Tests.length} Panther-normalised rule logs re-parsed with their indicators`);
}

async function main(): Promise<void> {
  const root = process.argv[2];
  if (!root) {
    console.error('usage: npm run conformance -- DIR');
    process.exit(2);
  }
  for (const file of walk(root)) {
    const rel = relative(root, file).split(sep).join('/');
    if (/\.(log|txt)$/.test(file) && !/PROVENANCE/.test(file)) {
      const folder = rel.split('/').slice(-2, -1)[0] ?? '';
      const top = rel.split('/')[0] ?? '';
      const logType = FOLDER_LOG_TYPES[folder] ?? FOLDER_LOG_TYPES[top];
      if (!logType) fail(`${rel}: no log type known for this file`);
      else await checkNdjson(root, file, logType);
    } else if (/schema-tests\/.*\.ya?ml$/.test(rel)) {
      await checkPantherSchemaTests(root, file);
    } else if (/\.ya?ml$/.test(file)) {
      await checkPantherRuleLogs(root, file);
    } else if (basename(file) !== 'PROVENANCE.md') {
      console.log(`${rel}: not a sample format the check knows; skipped`);
    }
  }
  console.log(failures === 0 ? '\nconformance: every sample behaved as expected' : `\nconformance: ${failures} unexpected result(s)`);
  process.exitCode = failures === 0 ? 0 : 1;
}

void main();
