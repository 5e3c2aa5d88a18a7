import { isDeepStrictEqual } from 'node:util';
import { LineParser, type LineReject } from '../lib/record/parser';
import type { LogTypeEntry } from '../lib/record/registry';
import { P_COLUMNS } from '../lib/row/contract';
import { RowWriter, type EnrichContext } from '../lib/row/writer';
import { Rng } from './generate/core';

/**
 * The scanner (lib/record/scan.ts) against the general parser, line by line: both read the same lines in the same
 * order, and every line must give the same reject, or a row that reads the same through everything a sink reads
 * (its NDJSON text, each column's value and JSON text, each p_* column). Used by test/unit/scan.test.ts and, longer,
 * by bench/probes/scan-differential.ts.
 */
export interface Differences {
  lines: number;
  rows: number;
  rejects: number;
  /** Lines the scanner took itself (the rest it handed to the general parser). */
  scanned: number;
  /** The first differences, each naming the line. */
  found: string[];
}

const CTX: EnrichContext = { rowIdPrefix: '0123456789abcdef0123', parseTime: '2026-12-07 00:00:00.000000000', sourceId: 's', sourceLabel: 'l' };

export class ParserComparison {
  private readonly fast: LineParser;
  private readonly reference: LineParser;
  private readonly fastRow: RowWriter;
  private readonly referenceRow: RowWriter;
  readonly result: Differences = { lines: 0, rows: 0, rejects: 0, scanned: 0, found: [] };
  /** What sinks ask jsonText for: json columns only. */
  private readonly jsonColumn: readonly boolean[];

  constructor(private readonly entry: LogTypeEntry) {
    this.jsonColumn = entry.plan.jsonColumns;
    this.fast = new LineParser(entry);
    this.reference = new LineParser(entry, { scan: false });
    this.fastRow = new RowWriter(entry.plan, CTX, this.fast);
    this.referenceRow = new RowWriter(entry.plan, CTX, this.reference);
  }

  line(text: string): void {
    const r = this.result;
    const n = ++r.lines;
    const scannedBefore = this.fast.scannedLines;
    const a = this.fast.parse(text);
    const b = this.reference.parse(text);
    if (this.fast.scannedLines !== scannedBefore) r.scanned++;
    const differ = (what: string): void => {
      if (r.found.length < 20) r.found.push(`${this.entry.schema.logType} line ${n}: ${what}: ${JSON.stringify(text).slice(0, 300)}`);
    };
    if (a !== undefined || b !== undefined) {
      r.rejects++;
      if (!sameReject(a, b)) differ(`reject ${JSON.stringify(a)} against ${JSON.stringify(b)}`);
      return;
    }
    r.rows++;
    const x = this.fastRow.write(text, n);
    const y = this.referenceRow.write(text, n);
    if (x.json() !== y.json()) return differ(`row text\n${x.json()}\nagainst\n${y.json()}`);
    for (let i = 0; i < x.columnNames.length; i++) {
      if (!isDeepStrictEqual(x.value(i), y.value(i))) return differ(`${x.columnNames[i]}: ${String(x.value(i))} against ${String(y.value(i))}`);
      if (this.jsonColumn[i] === true && x.jsonText(i) !== y.jsonText(i)) return differ(`${x.columnNames[i]} as JSON: ${x.jsonText(i)} against ${y.jsonText(i)}`);
    }
    for (let k = 0; k < P_COLUMNS.length; k++) {
      if (!isDeepStrictEqual(x.standard(k), y.standard(k))) return differ(`${P_COLUMNS[k]?.name}`);
    }
  }
}

function sameReject(a: LineReject | undefined, b: LineReject | undefined): boolean {
  return a !== undefined && b !== undefined && a.reason === b.reason && a.message === b.message;
}

/** Values a fuzzed field may take, as JSON text: every type, the edges of numbers, escapes, nesting. */
const VALUES = [
  'null', '""', '" "', '"x"', '0', '-0', '1', '-1', '1.5', '1.0', '1e3', '1E+2', '-1.5e-7', '1e400', '-1e400', '0.1000000000000000055511151231257827',
  '9007199254740993', '12345678901234567890', '1793527200000033384', '"1793527200000033384"', '1793527200000033384.5', '"12"', '" 12 "', '"1.5"',
  '"true"', '"false"', 'true', 'false', '[]', '{}', '[1,2]', '["a","b"]', '[null]', '["a",1]', '[12345678901234567890]', '{"a":1}', '{"a":{"b":[1,{"c":null}]}}',
  '{"__proto__":{"x":1}}', '{"a":12345678901234567890}', '[[[]]]', '"\\u00e9"', '"\\ud83d\\ude00"', '"\\ud800"', '"\\udc00x"', '"a\\"b"', '"\\\\"', '"\\n\\t"',
  '"é"', '"\u2028"', '"2022-11-15T00:00:01Z"', '"2022-11-15T00:00:01.123456789+01:00"', '"Tue, 15 Nov 2022 08:12:31 GMT"', '"2022-13-45"', '1668470401',
  '1668470401123', '"192.0.2.1"', '"2001:db8::1"', '"https://a.example.com:8443/x?y"', '"a.example.com."', '"user@example.com"', '"-"', '"unknown"',
  '[' + '"x",'.repeat(40) + '"y"]', '"' + 'a'.repeat(5000) + '"', '['.repeat(40) + ']'.repeat(40), '{"a":'.repeat(35) + '1' + '}'.repeat(35),
];
/** Characters a fuzzed line may gain: JSON's structure, escapes, control characters, and text beyond ASCII. */
const CHARS = ['"', '\\', '{', '}', '[', ']', ',', ':', ' ', '\t', '0', '5', '-', '+', '.', 'e', 'E', 't', 'n', 'u', 'x', '\u0000', '\u001f', '\u007f', 'é', '\u2028', '\ud83d\ude00', '\ud800', '\ufeff'];

/**
 * A line changed the way broken or hostile input differs from Logpush's: a field's value replaced by another type or
 * form, a field dropped, doubled, renamed, moved or added, spaces, or characters inserted, deleted or replaced.
 */
export function mutate(rng: Rng, line: string, names: readonly string[]): string {
  let fields: [string, string][];
  try {
    fields = fieldsOf(line);
  } catch {
    return charMutation(rng, line);
  }
  if (fields.length === 0 || rng.chance(0.3)) return charMutation(rng, line);
  const at = rng.int(0, fields.length - 1);
  const field = fields[at] as [string, string];
  switch (rng.int(0, 9)) {
    case 0:
    case 1:
    case 2:
      field[1] = rng.pick(VALUES);
      break;
    case 3:
      fields.splice(at, 1);
      break;
    case 4:
      fields.push([field[0], rng.chance(0.5) ? field[1] : rng.pick(VALUES)]);
      break;
    case 5:
      fields.splice(rng.int(0, fields.length), 0, [rng.chance(0.5) ? rng.pick(names) : rng.pick(['NotAField', '__proto__', '1', 'constructor', 'a"b', '']), rng.pick(VALUES)]);
      break;
    case 6: {
      const other = rng.int(0, fields.length - 1);
      fields[at] = fields[other] as [string, string];
      fields[other] = field;
      break;
    }
    case 7:
      return '{' + fields.map(([k, v]) => `${JSON.stringify(k)}${rng.pick([':', ' :', ': ', ':\t'])}${v}`).join(rng.pick([',', ', ', ' ,'])) + '}';
    case 8:
      field[0] = rng.pick(names);
      break;
    default:
      return rng.pick([`[${line}]`, `${line} `, ` ${line}`, `${line},`, '{}', '[]', 'null', '"x"', '{"logs":[' + line + ']}', line.slice(0, -1)]);
  }
  return '{' + fields.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',') + '}';
}

function charMutation(rng: Rng, line: string): string {
  let s = line;
  for (let n = rng.int(1, 3); n > 0; n--) {
    const i = rng.int(0, s.length);
    const op = rng.int(0, 2);
    const c = rng.pick(CHARS);
    s = op === 0 ? s.slice(0, i) + c + s.slice(i) : op === 1 ? s.slice(0, i) + s.slice(i + 1) : s.slice(0, i) + c + s.slice(i + 1);
  }
  return s;
}

/** A line's top-level fields as [key, value's JSON text], in order (duplicates kept). */
function fieldsOf(line: string): [string, string][] {
  const parsed = JSON.parse(line) as unknown;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
  // Split by the object's own structure: each value's text, read back with JSON.parse to find where it ends.
  const out: [string, string][] = [];
  let i = 1;
  while (i < line.length - 1) {
    const keyEnd = endOfJsonString(line, i);
    const key = JSON.parse(line.slice(i, keyEnd)) as string;
    let j = keyEnd + 1;
    const valueStart = j;
    let depth = 0;
    for (; j < line.length; j++) {
      const c = line[j];
      if (c === '"') j = endOfJsonString(line, j) - 1;
      else if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') {
        if (depth === 0) break;
        depth--;
      } else if (c === ',' && depth === 0) break;
    }
    out.push([key, line.slice(valueStart, j)]);
    i = j + 1;
  }
  return out;
}

function endOfJsonString(s: string, i: number): number {
  for (let j = i + 1; j < s.length; j++) {
    if (s[j] === '\\') j++;
    else if (s[j] === '"') return j + 1;
  }
  return s.length;
}

/**
 * Runs `lines` through both parsers, with a mutated line in place of a share of them (`mutated`, 0 to 1), in the
 * order given: runs of clean lines let the scanner settle on their shape, and the broken lines among them test it.
 */
export function compareParsers(entry: LogTypeEntry, lines: Iterable<string>, mutated: number, seed: number): Differences {
  const rng = new Rng(seed);
  const names = entry.plan.fields.flatMap((f) => f.inputs);
  const cmp = new ParserComparison(entry);
  for (const line of lines) {
    const text = rng.chance(mutated) ? mutate(rng, line, names) : line;
    // As the pipeline has lines, decoded from UTF-8: a lone surrogate inserted here arrives as U+FFFD.
    cmp.line(Buffer.from(text, 'utf8').toString('utf8'));
  }
  return cmp.result;
}
