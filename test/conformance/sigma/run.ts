/**
 * `npm run conformance:sigma`: a differential check of the Sigma compiler (lib/sigma) against pySigma, an independent
 * implementation (PyPI `pysigma` with `pysigma-backend-duckdb`, run in DuckDB). SigmaHQ's corpus rules
 * (../shared/corpus-sigma/rules, read at run time) of the webserver, proxy and dns categories run on the same rows on
 * both sides: benign generated lines plus, per rule, lines built from its own selections and near misses of them,
 * all parsed through the real pipeline. The rows, with the mapping's derived columns, go to NDJSON; the mapping
 * (lib/sigma/fields.ts) goes to JSON, from which check_pysigma.py builds its processing pipeline. Every rule's set
 * of matching rows is compared; a disagreement fails the check unless differences.json lists it, with its reason
 * (docs/sigma.md, "Checking against pySigma"). Python comes from CFLOGS_PYTHON or `.out/pyenv`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtInRegistry } from '../../../lib/record/registry';
import type { RuleEvent } from '../../../lib/rules/model';
import type { CompiledSigma } from '../../../lib/sigma/compile';
import { CATEGORIES, derivedColumns, fieldColumns, isDerivedColumn } from '../../../lib/sigma/fields';
import { compileSigmaDir } from '../../../lib/sigma/load';
import { generateLines } from '../../../testkit/generate';
import { enrich, parseLine } from '../../../testkit/reference';
import { candidateRows } from '../../../testkit/sigma-rows';

const ROOT = join(__dirname, '..', '..', '..');
const CORPUS = process.argv[2] ?? join(ROOT, '..', 'shared', 'corpus-sigma', 'rules');
const OUT = join(ROOT, '.out', 'sigma-conformance');
const SEED = 7;
const BENIGN = 2000;
/** At most this many built rows per rule (alternatives of its condition), each with its near misses. */
const PER_RULE = 4;

/** The categories compared, each on one dataset. */
const TARGETS = [
  { category: 'webserver', dataset: 'http_requests', logType: 'Cloudflare.HttpRequest' },
  { category: 'proxy', dataset: 'gateway_http', logType: 'Cloudflare.GatewayHTTP' },
  { category: 'dns', dataset: 'gateway_dns', logType: 'Cloudflare.GatewayDNS' },
] as const;

interface Difference {
  rule: string;
  row: string;
  class: string;
}
interface Documented {
  class: string;
  reason: string;
  /** Which side follows the Sigma specification. */
  follows: string;
  cases: { rule: string; row: string }[];
}

/** Near misses of a built row: each string column it set, upper-cased, lower-cased, and without its last character. */
function nearMisses(built: Record<string, unknown>, base: Record<string, unknown>): Record<string, unknown>[] {
  const changed = Object.keys(built).filter((k) => typeof built[k] === 'string' && built[k] !== base[k] && (built[k] as string).length > 0);
  const edit = (f: (s: string) => string): Record<string, unknown> => {
    const r = { ...built };
    for (const k of changed) r[k] = f(r[k] as string);
    return r;
  };
  if (changed.length === 0) return [];
  return [edit((s) => s.toUpperCase()), edit((s) => s.toLowerCase()), edit((s) => s.slice(0, -1))];
}

function main(): number {
  const python = process.env.CFLOGS_PYTHON ?? join(ROOT, '.out', 'pyenv', 'bin', 'python');
  if (!existsSync(python)) {
    process.stderr.write(`conformance:sigma: no Python at ${python}: python3 -m venv .out/pyenv && .out/pyenv/bin/pip install 'pysigma==1.5.1' 'pysigma-backend-duckdb==0.1.4' 'duckdb==1.4.4'\n`);
    return 1;
  }
  if (!existsSync(CORPUS)) {
    process.stderr.write(`conformance:sigma: no Sigma corpus at ${CORPUS}\n`);
    return 1;
  }
  mkdirSync(OUT, { recursive: true });
  const compiled = compileSigmaDir(CORPUS).compiled.filter((c) => c.correlationOf === undefined);
  const registry = builtInRegistry();
  const mapping: Record<string, unknown> = {};
  const rules: { id: string; file: string; category: string; table: string }[] = [];
  const cflogs: Record<string, string[]> = {};
  let lines = 0;

  for (const t of TARGETS) {
    const entry = registry.find(t.dataset);
    const m = CATEGORIES[t.category]?.find((d) => d.logType === t.logType);
    if (!entry || !m) throw new Error(`no ${t.dataset} log type or ${t.category} mapping`);
    const columns = [...new Set(['p_row_id', ...Object.values(fieldColumns(m)), ...m.keywords])];
    mapping[t.category] = { table: t.dataset, fields: fieldColumns(m), keywords: m.keywords, columns };

    const rows: RuleEvent[] = [];
    const parse = (line: string, prefix: string, n: number): RuleEvent | undefined => {
      const p = parseLine(entry, line);
      if (!p.ok) return undefined;
      return JSON.parse(enrich(entry.plan, p.value, n, { rowIdPrefix: prefix, parseTime: '2026-11-01 10:00:00.000000000' }).json) as RuleEvent;
    };
    const benign = [...generateLines({ dataset: t.dataset, lines: BENIGN, seed: SEED, timestampFormat: 'unixnano' })];
    benign.forEach((l, i) => {
      const r = parse(l, `${t.dataset}-benign`, i + 1);
      if (!r) throw new Error(`generated ${t.dataset} line rejected`);
      rows.push(r);
    });
    // Built lines: the first benign line with the columns a rule's selections set, then through the pipeline.
    const base = JSON.parse(benign[0] as string) as Record<string, unknown>;
    const mine = compiled.filter((c) => c.category === t.category && c.logTypes.includes(t.logType));
    let n = 0;
    let rejected = 0;
    for (const c of mine) {
      for (const built of candidateRows(c, t.category, base).slice(0, PER_RULE)) {
        const b = built as Record<string, unknown>;
        for (const [k, variant] of [[0, b] as const, ...nearMisses(b, base).map((v, i) => [i + 1, v] as const)]) {
          const r = parse(JSON.stringify(variant), `${t.dataset}-built-${c.meta.id}-${k}`, ++n);
          if (r) rows.push(r);
          else rejected++;
        }
      }
      rules.push({ id: c.rule.id, file: join(CORPUS, c.meta.file), category: t.category, table: t.dataset });
    }
    if (rejected > 0) process.stdout.write(`${t.dataset}: ${rejected} built lines rejected by the parser (left out)\n`);

    const ndjson = rows.map((r) => {
      const all: Record<string, unknown> = { ...r, ...derivedColumns(m, r) };
      const out: Record<string, unknown> = {};
      for (const col of columns) out[col] = isDerivedColumn(col) || all[col] !== undefined ? (all[col] ?? null) : null;
      return JSON.stringify(out);
    });
    writeFileSync(join(OUT, `${t.dataset}.ndjson`), `${ndjson.join('\n')}\n`);
    lines += rows.length;
    process.stdout.write(`${t.category} (${t.dataset}): ${mine.length} rules, ${rows.length} rows (${BENIGN} benign, ${rows.length - BENIGN} built)\n`);
    for (const c of mine) cflogs[c.rule.id] = rows.filter((r) => c.rule.rule(r)).map((r) => r.p_row_id as string);
  }
  writeFileSync(join(OUT, 'mapping.json'), JSON.stringify(mapping, null, 1));
  writeFileSync(join(OUT, 'rules.json'), JSON.stringify(rules, null, 1));

  const py = spawnSync(python, [join(__dirname, 'check_pysigma.py'), OUT], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (py.status !== 0) {
    process.stderr.write('conformance:sigma: check_pysigma.py failed\n');
    return 1;
  }
  const pysigma = JSON.parse(readFileSync(join(OUT, 'pysigma.json'), 'utf8')) as Record<string, { rows?: string[]; error?: string }>;
  return compare(compiled, rules, cflogs, pysigma, lines);
}

function compare(
  compiled: CompiledSigma[],
  rules: { id: string; category: string }[],
  cflogs: Record<string, string[]>,
  pysigma: Record<string, { rows?: string[]; error?: string }>,
  lines: number,
): number {
  const documented = JSON.parse(readFileSync(join(__dirname, 'differences.json'), 'utf8')) as Documented[];
  const known = new Map<string, string>();
  for (const d of documented) for (const c of d.cases) known.set(`${c.rule} ${c.row}`, d.class);
  const title = new Map(compiled.map((c) => [c.rule.id, c.meta.file]));
  let agreements = 0;
  let compared = 0;
  const unconverted: string[] = [];
  const diffs: (Difference & { cflogs: boolean; pysigma: boolean })[] = [];
  for (const r of rules) {
    const p = pysigma[r.id];
    if (!p || p.rows === undefined) {
      unconverted.push(`${r.id} ${title.get(r.id)}: ${p?.error ?? 'no result'}`);
      continue;
    }
    compared++;
    const a = new Set(cflogs[r.id] ?? []);
    const b = new Set(p.rows);
    const rowsOf = new Set([...a, ...b]);
    let agree = true;
    for (const row of rowsOf) {
      if (a.has(row) === b.has(row)) continue;
      agree = false;
      diffs.push({ rule: r.id, row, class: known.get(`${r.id} ${row}`) ?? 'UNDOCUMENTED', cflogs: a.has(row), pysigma: b.has(row) });
    }
    if (agree) agreements++;
  }
  const verdict = (m: boolean): string => (m ? 'match' : 'no match');
  for (const d of diffs) process.stdout.write(`  [${d.class}] ${d.rule} (${title.get(d.rule)}) row ${d.row}: cflogs ${verdict(d.cflogs)}, pySigma ${verdict(d.pysigma)}\n`);
  for (const u of unconverted) process.stdout.write(`  not converted by pySigma: ${u}\n`);
  const byClass: Record<string, number> = {};
  for (const d of diffs) byClass[d.class] = (byClass[d.class] ?? 0) + 1;
  const rulesDiffering = new Set(diffs.map((d) => d.rule)).size;
  process.stdout.write(
    `conformance:sigma: ${compared} rules compared on ${lines} rows (${unconverted.length} not converted by pySigma); ` +
      `${agreements} agree on every row, ${rulesDiffering} differ in ${diffs.length} (rule, row) verdicts: ${JSON.stringify(byClass)}\n`,
  );
  writeFileSync(join(OUT, 'disagreements.json'), JSON.stringify(diffs, null, 1));
  const undocumented = diffs.filter((d) => d.class === 'UNDOCUMENTED').length;
  if (undocumented > 0 || unconverted.length > 0) {
    process.stderr.write(`conformance:sigma: ${undocumented} disagreements not in test/conformance/sigma/differences.json, ${unconverted.length} rules not converted\n`);
    return 1;
  }
  return 0;
}

process.exitCode = main();
