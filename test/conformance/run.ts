/**
 * `npm run conformance -- DIR [DIR...]` (CI: ../shared/corpus ../shared/corpus-datasets): runs third-party Cloudflare
 * samples through the real parser and checks the outcome. Each NDJSON file (Elastic pipeline fixtures, one per data
 * stream; OpenTelemetry receiver payloads) goes through the log type of its dataset (FOLDER_DATASETS): every line
 * must be a row that keeps every input field, or a reject listed for its stream, reason and line in
 * differences.ts and docs/compatibility.md, whose results table must equal what this run measured. Panther's schema
 * tests must produce Panther's expected `result` (field values, p_event_time instant, indicator sets) apart from the
 * documented differences; Panther rule test logs (Panther-normalised records) must parse back and keep their
 * indicators, and give each test's ExpectedResult against cflogs' port of the rule (panther-rules.ts). Exit 1 on
 * anything else.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { processStream, DEFAULT_LIMITS, ProcessSummary } from '../../lib/pipeline/process';
import { parseCloudflareTime, parseHttpDate } from '../../lib/record/timestamps';
import { builtInRegistry, LogTypeEntry } from '../../lib/record/registry';
import { MemorySink } from '../../testkit/memory-sink';
import { EXPECTED_REJECTS, FOLDER_DATASETS, KNOWN_DIFFERENCES } from './differences';
import { checkDocs, judgeRejects, lostFields, Reject, RESULTS_HEADING, resultsTable, streamOf, StreamResult } from './ndjson';
import { checkPantherRuleTests } from './panther-rules';

const NOW = new Date('2026-01-01T00:00:00Z');
const registry = builtInRegistry();
let failures = 0;
const fail = (msg: string): void => {
  failures++;
  console.log(`  FAIL ${msg}`);
};
const n = (k: number, what: string): string => `${k} ${what}${k === 1 ? '' : 's'}`;
/** One per NDJSON file (data stream), for the results table. */
const results: StreamResult[] = [];
const DOCS = join(__dirname, '..', '..', 'docs', 'compatibility.md');

interface Outcome {
  rows: Record<string, unknown>[];
  rejects: Reject[];
  summary: ProcessSummary;
}

async function run(entry: LogTypeEntry, text: string, source: string): Promise<Outcome> {
  const sink = new MemorySink();
  const summary = await processStream([Buffer.from(text)], { source, identity: source, entry, location: { key: source } }, {
    sink,
    now: NOW,
    limits: DEFAULT_LIMITS,
  });
  return {
    rows: sink.rows.map((r) => JSON.parse(r.json) as Record<string, unknown>),
    rejects: sink.rejects.map((r) => JSON.parse(r.json) as Reject),
    summary,
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

/**
 * NDJSON samples: every line through the real parser for its dataset's log type; each must be a row that holds
 * every input field, or a reject allowed in EXPECTED_REJECTS for that stream, reason and line.
 */
async function checkNdjson(root: string, file: string, dataset: string): Promise<void> {
  const rel = relative(root, file).split(sep).join('/');
  const stream = streamOf(rel);
  const entry = registry.forDataset(dataset);
  if (!entry) return fail(`${rel}: no log type for dataset ${dataset}`);
  const seen = results.find((r) => r.stream === stream);
  if (seen) return fail(`${rel}: stream ${stream} again (also ${seen.file}); streams are the allow-list's keys and must be unique`);
  const text = readFileSync(file, 'utf8');
  const out = await run(entry, text, rel);
  const s = out.summary;
  const lines = s.lines - s.blank;
  console.log(`${rel} [${stream}: ${dataset} -> ${entry.schema.logType}]: ${n(lines, 'line')}, ${n(out.rows.length, 'row')}, ${out.rejects.length} rejected`);
  const { failures, expected } = judgeRejects(stream, out.rejects, EXPECTED_REJECTS);
  for (const e of expected) console.log(`    ${e}`);
  for (const f of failures) fail(f);
  if (lines === 0) fail(`${rel}: no lines`);
  if (lines !== out.rows.length + out.rejects.length) fail(`${rel}: ${lines} lines != ${out.rows.length} rows + ${out.rejects.length} rejects`);
  // Rows come in line order: pair each with its input line, skipping blank and refused lines.
  const refused = new Set(out.rejects.map((r) => r.line));
  const accepted = text.split('\n').flatMap((l, i) => (l.trim() === '' || refused.has(i + 1) ? [] : [{ line: i + 1, text: l }]));
  accepted.forEach((l, i) => {
    const row = out.rows[i];
    if (!row) return;
    const lost = lostFields(entry.schema, JSON.parse(l.text.replace(/^\uFEFF/, '')) as Record<string, unknown>, row);
    if (lost.length) fail(`${rel} line ${l.line}: its row lost ${lost.join(', ')}`);
  });
  const unknown = Object.keys(s.unknownFields);
  if (unknown.length) console.log(`    kept in p_unknown_fields: ${unknown.join(', ')}`);
  const invalid = [...new Set(out.rows.flatMap((r) => Object.keys((r.p_invalid_fields ?? {}) as object)))];
  if (invalid.length) console.log(`    kept in p_invalid_fields (a value its column cannot hold): ${invalid.join(', ')}`);
  results.push({
    stream,
    file: rel,
    dataset,
    logType: entry.schema.logType,
    lines,
    rows: out.rows.length,
    rejectsByReason: { ...(s.rejectsByReason as Record<string, number>) },
    unknownFields: s.unknownFields,
  });
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

async function checkCorpus(root: string): Promise<void> {
  for (const file of walk(root)) {
    const rel = relative(root, file).split(sep).join('/');
    if (/\.(log|txt)$/.test(file) && !/PROVENANCE/.test(file)) {
      const folder = rel.split('/').slice(-2, -1)[0] ?? '';
      const top = rel.split('/')[0] ?? '';
      const dataset = FOLDER_DATASETS[folder] ?? FOLDER_DATASETS[top];
      if (!dataset) fail(`${rel}: no dataset known for this file (FOLDER_DATASETS in differences.ts)`);
      else await checkNdjson(root, file, dataset);
    } else if (/schema-tests\/.*\.ya?ml$/.test(rel)) {
      await checkPantherSchemaTests(root, file);
    } else if (/\.ya?ml$/.test(file)) {
      await checkPantherRuleLogs(root, file);
      await checkPantherRuleTests(rel, file, fail);
    } else if (basename(file) !== 'PROVENANCE.md') {
      console.log(`${rel}: not a sample format the check knows; skipped`);
    }
  }
}

async function main(): Promise<void> {
  const roots = process.argv.slice(2);
  if (roots.length === 0) {
    console.error('usage: npm run conformance -- DIR [DIR...]   (e.g. ../shared/corpus ../shared/corpus-datasets)');
    process.exit(2);
  }
  for (const root of roots) {
    if (!existsSync(root) || !statSync(root).isDirectory()) {
      fail(`${root}: not a directory`);
      continue;
    }
    console.log(`== ${root}`);
    await checkCorpus(root);
  }
  const table = resultsTable(results);
  console.log(`\nNDJSON streams (docs/compatibility.md, "${RESULTS_HEADING.slice(3)}"):\n${table.join('\n')}`);
  for (const f of checkDocs(readFileSync(DOCS, 'utf8'), results, EXPECTED_REJECTS)) fail(f);
  console.log(failures === 0 ? '\nconformance: every sample behaved as expected' : `\nconformance: ${failures} unexpected result(s)`);
  process.exitCode = failures === 0 ? 0 : 1;
}

void main();
