/**
 * How the conformance check judges an NDJSON corpus file and reports it: pure code (no I/O), used by run.ts and
 * tested by ndjson.test.ts.
 */
import type { LogSchema } from '../../lib/schema/model';
import type { ExpectedReject } from './differences';

/** The data stream a corpus file holds: Elastic's folder (`elastic-integrations/dns/x.log` -> `dns`), else the file's name. */
export function streamOf(rel: string): string {
  const parts = rel.split('/');
  return parts.length >= 3 ? (parts[parts.length - 2] as string) : (parts[parts.length - 1] as string);
}

export interface Reject {
  line: number;
  reason: string;
  message: string;
}

/**
 * Every reject must be allowed for its stream, reason and line; every allowed line must be refused that way.
 * Returns the failures, and for each allowed reject the line to print.
 */
export function judgeRejects(stream: string, rejects: Reject[], allowed: ExpectedReject[]): { failures: string[]; expected: string[] } {
  const mine = allowed.filter((e) => e.stream === stream);
  const failures: string[] = [];
  const expected: string[] = [];
  for (const r of rejects) {
    const e = mine.find((x) => x.reason === r.reason && x.lines.includes(r.line));
    const other = mine.find((x) => x.lines.includes(r.line));
    if (e) expected.push(`line ${r.line}: ${r.reason}, expected (${e.kind}): ${e.why}`);
    else if (other) failures.push(`${stream} line ${r.line}: expected ${other.reason}, got ${r.reason} (${r.message})`);
    else failures.push(`${stream} line ${r.line} rejected unexpectedly: ${r.reason} (${r.message})`);
  }
  for (const e of mine) {
    for (const line of e.lines) {
      const r = rejects.find((x) => x.line === line);
      if (r) continue; // refused: judged above
      failures.push(
        e.kind === 'drift'
          ? `${stream} line ${line} is now a row (listed as refused as ${e.reason} until drift tolerance): remove it from differences.ts and docs/compatibility.md`
          : `${stream} line ${line} should be refused as ${e.reason} (${e.why})`,
      );
    }
  }
  return { failures, expected };
}

/**
 * Input fields of an accepted line that its row does not hold anywhere: not in their column (under the field's name
 * or an alias), not in p_unknown_fields, not in p_invalid_fields. A null, and "" where the column is not text, are
 * "no value" and omitted by design (docs/compatibility.md).
 */
export function lostFields(schema: LogSchema, input: Record<string, unknown>, row: Record<string, unknown>): string[] {
  const column = new Map<string, { name: string; type: string }>();
  for (const f of schema.fields) {
    column.set(f.name, f);
    for (const a of f.aliases) column.set(a, f);
  }
  const unknown = (row.p_unknown_fields ?? {}) as Record<string, unknown>;
  const invalid = (row.p_invalid_fields ?? {}) as Record<string, unknown>;
  return Object.keys(input).filter((k) => {
    const v = input[k];
    if (v === null || k in invalid) return false;
    const f = column.get(k);
    if (!f) return !(k in unknown);
    if (v === '' && f.type !== 'string') return false;
    // An alias beside the field's own name: the column holds the name's value, the alias's is gone unless equal.
    if (f.name !== k && input[f.name] !== undefined && input[f.name] !== null) return JSON.stringify(input[f.name]) !== JSON.stringify(v);
    return !(f.name in row);
  });
}

export interface StreamResult {
  stream: string;
  /** Path of the file inside its corpus. */
  file: string;
  dataset: string;
  logType: string;
  /** Non-blank lines. */
  lines: number;
  rows: number;
  rejectsByReason: Record<string, number>;
  /** Input field names kept in p_unknown_fields, with how many rows had them. */
  unknownFields: Record<string, number>;
}

export function rejectsCell(r: Pick<StreamResult, 'rejectsByReason'>): string {
  const parts = Object.entries(r.rejectsByReason)
    .filter(([, n]) => n > 0)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([reason, n]) => `\`${reason}\` ${n}`);
  return parts.length ? parts.join(', ') : 'none';
}

export const RESULTS_HEADING = '## Corpus results';
export const REFUSED_HEADING = '## What cflogs refuses';
const TABLE_HEAD = ['| stream | dataset | log type | lines | rows | rejects by reason |', '|---|---|---|---|---|---|'];

/** The results table; docs/compatibility.md holds it under RESULTS_HEADING, each row followed by a notes cell. */
export function resultsTable(results: StreamResult[]): string[] {
  return [
    ...TABLE_HEAD,
    ...results.map((r) => `| \`${r.stream}\` | ${r.dataset} | ${r.logType} | ${r.lines} | ${r.rows} | ${rejectsCell(r)} |`),
  ];
}

function section(doc: string, heading: string): string[] | undefined {
  const lines = doc.split(/\r?\n/);
  const start = lines.findIndex((l) => l.trim() === heading);
  if (start < 0) return undefined;
  const end = lines.findIndex((l, i) => i > start && /^## /.test(l));
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

/**
 * The page must say what the check measured: a results-table row for each stream that starts with the cells
 * resultsTable gives it (a notes cell may follow), and under
 * REFUSED_HEADING a line naming each allowed refusal's stream and reason. Rows of streams not in this run (a corpus
 * not given) are not judged.
 */
export function checkDocs(doc: string, results: StreamResult[], allowed: ExpectedReject[]): string[] {
  const failures: string[] = [];
  const table = section(doc, RESULTS_HEADING);
  const expectedRows = resultsTable(results).slice(TABLE_HEAD.length);
  if (!table) failures.push(`docs/compatibility.md has no "${RESULTS_HEADING}" section`);
  else {
    const rows = new Map(table.filter((l) => l.startsWith('| `')).map((l) => [l.slice(3, l.indexOf('`', 3)), l.trim()]));
    results.forEach((r, i) => {
      const have = rows.get(r.stream);
      if (!have?.startsWith(expectedRows[i] as string)) failures.push(`docs/compatibility.md results table: ${r.stream} is ${have ? `"${have}"` : 'missing'}; the check measured "${expectedRows[i]} (notes) |"`);
    });
  }
  const refused = section(doc, REFUSED_HEADING);
  if (!refused) failures.push(`docs/compatibility.md has no "${REFUSED_HEADING}" section`);
  else {
    for (const e of allowed) {
      if (!refused.some((l) => l.includes(`\`${e.stream}\``) && l.includes(`\`${e.reason}\``))) {
        failures.push(`docs/compatibility.md "${REFUSED_HEADING}" does not name ${e.stream}'s ${e.reason} refusal (${e.why})`);
      }
    }
  }
  return failures;
}
