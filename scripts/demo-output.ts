/** The demo's output (scripts/demo.ts), apart so a test can check it: no escape codes unless on a terminal. */
import type { ObjectOutcome } from '../lib/s3/object';
import type { ProcessSummary } from '../lib/pipeline/process';

export interface TableRow {
  key: string;
  note: string;
  outcome: ObjectOutcome;
}

/** Colour (ANSI escapes) only on a terminal, and never with NO_COLOR set to anything but '' (no-color.org). */
export function useColour(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  return stream.isTTY === true && !env.NO_COLOR;
}

/** The demo's table of objects, one line per string; dim notes only when `colour`. */
export function tableLines(rows: TableRow[], colour: boolean): string[] {
  const out: string[] = [];
  const lines: string[][] = [['object', 'log type', 'lines', 'rows', 'rejects', 'blank', 'output files']];
  for (const { key, note, outcome } of rows) {
    lines.push([objectName(key), ...(outcome.status === 'skipped' ? [`skipped: ${outcome.reason}`, '', '', '', '', ''] : counts(outcome.summary))]);
    if (note) lines.push([`  ${note}`, '', '', '', '', '', '']);
    // Schema drift the rows kept rather than lost: counted per field in the summary.
    if (outcome.status === 'processed') {
      const drift = (what: string, fields: Record<string, number>) => {
        const list = Object.entries(fields).map(([f, n]) => `${f} (${n} ${n === 1 ? 'row' : 'rows'})`).join(', ');
        if (list) lines.push([`  ${what}: ${list}`, '', '', '', '', '', '']);
      };
      drift('kept in p_invalid_fields', outcome.summary.invalidFields);
      drift('kept in p_unknown_fields', outcome.summary.unknownFields);
    }
  }
  const widths = lines[0]!.map((_, i) => Math.max(...lines.filter((l) => !l[0]!.startsWith('  ')).map((l) => l[i]!.length)));
  for (const l of lines) {
    if (l[0]!.startsWith('  ')) out.push(colour ? `\x1b[2m${l[0]}\x1b[0m` : l[0]!);
    else out.push(l.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
  }
  return out;
}

/** The key's last folder that is not a day (the dataset, or whatever names none) and its file name. */
function objectName(key: string): string {
  const parts = key.split('/');
  const file = parts.pop() ?? '';
  const folder = parts.filter((p) => !/^\d{8}$/.test(p)).pop();
  return folder ? `${folder}/${file}` : file;
}

function counts(s: ProcessSummary): string[] {
  const reasons = Object.entries(s.rejectsByReason).map(([r, n]) => `${r}:${n}`).join(' ');
  return [s.logType, String(s.lines), String(s.rows), reasons || '0', String(s.blank), String(s.outputs.length)];
}

