import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATASETS, generateLines } from '../../testkit/generate';

/** The four datasets with hand-tuned generators (testkit/generate/); the rest are schema-driven. */
const SEED_DATASETS: readonly string[] = ['http_requests', 'firewall_events', 'spectrum_events', 'audit_logs'];
import { EnrichContext, RowWriter, rowIdPrefix } from '../../lib/row/writer';
import { LineParser, parseRecord } from '../../lib/record/parser';
import { enrich, parseLine } from '../../testkit/reference';
import { builtInRegistry, LogTypeEntry } from '../../lib/record/registry';
import { variants } from '../support/variants';

const registry = builtInRegistry();
const ctx: EnrichContext = { rowIdPrefix: rowIdPrefix('s3://b/k#e'), parseTime: '2026-11-24 12:00:00.000000000', sourceId: 'src-1', sourceLabel: 'L"1' };

/** Number tokens become strings starting with this (no test input holds it), so JSON.parse keeps their text. */
const NUMBER_TEXT = '\u0000\u0001number:';
const STRING_OR_NUMBER = /"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?/g;
const numbersAsText = (text: string): string =>
  text.replace(STRING_OR_NUMBER, (t) => (t.startsWith('"') ? t : JSON.stringify(NUMBER_TEXT + t)));
const NUMBER_TEXT_WRITTEN = /"\\u0000\\u0001number:([-+.0-9eE]*)"/g;

/** A decimal's value as `digits e exponent`, through BigInt: equal for 1.50 and 1.5, 1e2 and 100, -0 and 0. */
function decimalValue(t: string): string {
  const [, sign, int, frac = '', exp = '0'] = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([-+]?\d+))?$/.exec(t) ?? [];
  let digits = BigInt(`${int}${frac}`);
  let e = Number(exp) - frac.length;
  if (digits === 0n) return '0';
  while (digits % 10n === 0n) {
    digits /= 10n;
    e++;
  }
  return `${sign}${digits}e${e}`;
}

/** The contract for a number outside the typed columns: the double's form when it is the same value, else the text. */
function numberWritten(t: string): string {
  const double = JSON.stringify(Number(t));
  return decimalValue(double) === decimalValue(t) ? double : t;
}

/**
 * The reference: the row object (parseLine) through enrich, i.e. JSON.stringify in the contract's order, with the
 * json columns, unknown fields and invalid fields taken from JSON.parse of the line with its numbers as text (so duplicates, key
 * order and `__proto__` are JSON.parse's), each number then written by `numberWritten`.
 */
function reference(entry: LogTypeEntry, text: string, lineNo: number): string {
  const r = parseLine(entry, text);
  if (!r.ok) return `reject ${r.reject.reason}: ${r.reject.message}`;
  // Only a number of 16 or more digits, or with an exponent, can be another value than its double.
  if (!/[0-9.]{16}|[0-9.][eE]/.test(text)) return enrich(entry.plan, r.value, lineNo, ctx).json;
  const asText = JSON.parse(numbersAsText(text)) as Record<string, unknown>;
  const { row, unknown, invalid } = r.value;
  for (const f of entry.plan.fields) {
    if (!entry.plan.jsonColumns[f.index] || row[f.name] === undefined) continue;
    row[f.name] = asText[f.inputs.find((k) => asText[k] !== undefined) as string];
  }
  // A prototype-less object: assigning `__proto__` sets a plain key.
  if (unknown !== undefined) for (const k of Object.keys(unknown)) unknown[k] = asText[k];
  // Values kept as received in p_invalid_fields, the same way.
  if (invalid !== undefined) for (const k of Object.keys(invalid)) invalid[k] = asText[k];
  return enrich(entry.plan, r.value, lineNo, ctx).json.replace(NUMBER_TEXT_WRITTEN, (_, t: string) => numberWritten(t));
}

/** The pipeline's two stages for one input: the parser and the writer of its rows. */
interface Stages {
  parser: LineParser;
  writer: RowWriter;
}
function stagesOf(entry: LogTypeEntry): Stages {
  const parser = new LineParser(entry);
  return { parser, writer: new RowWriter(entry.plan, ctx, parser) };
}

/** The pipeline's path: scan, fill the columns, write. */
function written(s: Stages, text: string, lineNo: number): string {
  const failure = s.parser.parse(text);
  return failure ? `reject ${failure.reason}: ${failure.message}` : s.writer.write(text, lineNo).json();
}

const members = (o: Record<string, unknown>) => Object.entries(o).map(([k, v]) => [JSON.stringify(k), JSON.stringify(v)] as const);
const join_ = (m: (readonly [string, string])[], colon = ':', comma = ',') => `{${m.map(([k, v]) => k + colon + v).join(comma)}}`;
const escapeFirst = (s: string) => (s === '' ? s : `"\\u${s.charCodeAt(0).toString(16).padStart(4, '0')}${JSON.stringify(s.slice(1)).slice(1)}`);

/** The same record spelled differently: whitespace, escapes, number forms, key order, duplicates, odd keys. */
function spellings(line: string): string[] {
  const o = JSON.parse(line) as Record<string, unknown>;
  const m = members(o);
  const firstString = m.findIndex(([, v]) => v.startsWith('"') && v.length > 2);
  const firstNumber = m.findIndex(([, v]) => /^\d+$/.test(v));
  const withValue = (i: number, text: string) => m.map((e, j) => (j === i ? ([e[0], text] as const) : e));
  const out = [
    JSON.stringify(o, null, 1),
    join_(m, ': ', ', '),
    `  ${line} `,
    join_([...m].reverse()),
    join_(m.map(([k, v]) => [k, v.replace(/\//g, '\\/')] as const)),
    join_(m.map(([k, v], i) => [i === 0 ? escapeFirst(JSON.parse(k) as string) : k, v] as const)),
    `${line.slice(0, -1)},${m[0]?.[0]}:"again"}`,
    `{"7":"x",${line.slice(1)}`,
  ];
  if (firstString >= 0) out.push(join_(withValue(firstString, escapeFirst(JSON.parse(m[firstString]?.[1] ?? '""') as string))));
  if (firstNumber >= 0) {
    const v = m[firstNumber]?.[1] ?? '0';
    for (const form of [`${v}.0`, `${v}e0`, `${v}E+0`, '-0', '12345678901234567', '1234567890123456789']) out.push(join_(withValue(firstNumber, form)));
  }
  return out;
}

/**
 * The record with numbers a double cannot hold (and some it can) in unknown fields and json columns: nested,
 * duplicated, under `__proto__`, spaced, and on lines whose field positions are not known (escaped, duplicate and
 * integer-like keys).
 */
function withLongNumbers(entry: LogTypeEntry, line: string): string[] {
  const body = line.slice(0, -1);
  const extras = [
    ',"NewField":1506702504433000201',
    ', "NewField" : -12345678901234567891 ',
    ',"NewNested":{"id":9007199254740993,"f":0.1000000000000000055511151231257827,"tiny":1e-400,"same":[1.50E+2,-0.0,1e5,1234567890123456]}',
    ',"__proto__":{"n":12345678901234567891},"7":[9007199254740993]',
    ',"NewField":12345678901234567891,"NewField":1',
    ',"NewField":1,"NewField":12345678901234567891',
    ',"New\\u0046ield":12345678901234567891',
    ',"NewField":12345678901234567891e-3',
  ];
  const json = entry.plan.fields.find((f) => entry.plan.jsonColumns[f.index])?.name;
  if (json !== undefined) {
    extras.push(
      `,"${json}":{"x-id":12345678901234567891}`,
      `,"${json}":[{"id":9007199254740993},{"id":1}]`,
      `,"${json}":12345678901234567891`,
      `,"${json}":{"a":12345678901234567891,"a":"b"}`,
      `,"${json}": { "a" : { "b" : [ [ 1e-400 ] ] } } `,
    );
  }
  return extras.map((e) => `${body}${e}}`);
}

describe('the row writer', () => {
  it.each(DATASETS.map((d) => [d]))('writes byte for byte what the reference writes, for %s records spelled every way', (dataset) => {
    const entry = registry.forDataset(dataset);
    if (!entry) throw new Error(`no schema for ${dataset}`);
    // One writer for all of them, as for one input: its shape changes from line to line.
    const writer = stagesOf(entry);
    let compared = 0;
    let lineNo = 0;
    // The seed datasets' hand-tuned lines in three formats; the schema-driven ones (up to 84 fields, each varied
    // every way) in one, with fewer lines: the variants per field, not the lines, are what meet every shape. A
    // field's variant is the same on every line, so more than a few lines per format only repeat the same shapes.
    const seedDataset = SEED_DATASETS.includes(dataset);
    const formats = seedDataset ? (['unixnano', 'unix', 'rfc3339ns'] as const) : (['unixnano'] as const);
    for (const format of formats) {
      for (const [l, line] of [...generateLines({ dataset, lines: seedDataset ? 3 : 2, seed: 5, timestampFormat: format })].entries()) {
        for (const [i, v] of variants(line).entries()) {
          // The seed datasets' wide lines take each spelling on every third variant, rotating with the line, so
          // the three lines of a format still meet every variant in every spelling.
          const spelt = spellings(v).filter((_, j) => !seedDataset || (i + j + l) % 3 === 0);
          // Long numbers on every eighth variant: enough to meet every column shape, at a bearable test time.
          for (const text of [v, ...spelt, ...(i % 8 === 0 ? withLongNumbers(entry, v) : [])]) {
            lineNo++;
            expect(written(writer, text, lineNo)).toBe(reference(entry, text, lineNo));
            compared++;
          }
        }
      }
    }
    expect(compared).toBeGreaterThanOrEqual(seedDataset ? 1000 : 100);
  });

  it('writes what the reference writes for every golden input line', () => {
    const root = join(__dirname, '../fixtures/golden');
    for (const c of readdirSync(root)) {
      const meta = JSON.parse(readFileSync(join(root, c, 'meta.json'), 'utf8')) as { logType: string };
      const entry = registry.require(meta.logType);
      const writer = stagesOf(entry);
      readFileSync(join(root, c, 'input.ndjson'), 'utf8')
        .split(/\r?\n/)
        .forEach((text, i) => {
          const t = text.replace(/^\uFEFF/, '');
          if (t.trim() === '') return;
          expect(written(writer, t, i + 1)).toBe(reference(entry, t, i + 1));
        });
    }
  });

  it('follows a shape only where Object.keys proves the text order: integer-like keys are listed first', () => {
    const entry = registry.require('Cloudflare.HttpRequest');
    const writer = stagesOf(entry);
    // The same keys for JSON.parse, in another text order; "12345678" is as long as "ZoneName".
    const lines = [
      '{"12345678":"x","ZoneName":"a.example","EdgeStartTimestamp":1506702504}',
      '{"ZoneName":"b.example","12345678":"y","EdgeStartTimestamp":1506702504}',
    ];
    lines.forEach((text, i) => expect(written(writer, text, i + 1)).toBe(reference(entry, text, i + 1)));
    expect(JSON.parse(written(writer, lines[1] as string, 2)).ZoneName).toBe('b.example');
  });

  describe('numbers a double cannot hold, outside the typed columns', () => {
    const entry = registry.require('Cloudflare.HttpRequest');
    const line = (extra: string) => `{"RayID":"r1","EdgeStartTimestamp":1506702504433000201,"ClientRequestBytes":12${extra}}`;
    const write = (text: string): { out: string; inexact: boolean; usable: boolean } => {
      const writer = stagesOf(entry);
      const out = written(writer, text, 1);
      expect(out).toBe(reference(entry, text, 1));
      return { out, inexact: writer.parser.fields.inexact, usable: writer.parser.fields.usable };
    };

    it.each([
      ['an unknown field', ',"NewField":1506702504433000201', '"p_unknown_fields":{"NewField":1506702504433000201}'],
      ['a json column', ',"RequestHeaders":{"x-id":12345678901234567891}', '"RequestHeaders":{"x-id":12345678901234567891}'],
      ['a nested value', ',"Subrequests":[{"id":9007199254740993}]', '"Subrequests":[{"id":9007199254740993}]'],
      ['an unknown field on a line without field positions', ',"NewField":1506702504433000201,"7":1', '"p_unknown_fields":{"7":1,"NewField":1506702504433000201}'],
      ['a json column on a line without field positions', ',"Request\\u0048eaders":{"x-id":12345678901234567891}', '"RequestHeaders":{"x-id":12345678901234567891}'],
    ])('keeps the digits of an integer beyond 2^53 in %s', (_, extra, member) => {
      expect(write(line(extra)).out).toContain(member);
    });

    it('keeps a fraction longer than a double holds and an underflow; writes the double of the same value as before', () => {
      const { out } = write(line(',"JA4Signals":{"f":0.1000000000000000055511151231257827,"u":1e-400,"same":[1.50,1E2,-0]},"NewField":0.30000000000000004'));
      expect(out).toContain('"JA4Signals":{"f":0.1000000000000000055511151231257827,"u":1e-400,"same":[1.5,100,0]}');
      expect(out).toContain('"p_unknown_fields":{"NewField":0.30000000000000004}');
    });

    it('reads a line again only when a json column or an unknown field holds a long number', () => {
      // The 19-digit unixnano timestamps of every Logpush line are typed columns: not a reason.
      for (const text of generateLines({ dataset: 'http_requests', lines: 200, seed: 3, timestampFormat: 'unixnano' })) {
        expect(write(text)).toMatchObject({ usable: true, inexact: false });
      }
      expect(write(line(',"OriginResponseBytes":1234567890123456,"RequestHeaders":{"a":"12345678901234567891"},"NewField":[1.5,-2]'))).toMatchObject({
        usable: true,
        inexact: false,
      });
      expect(write(line(',"NewField":[1.5,1234567890123456]'))).toMatchObject({ usable: true, inexact: true });
    });
  });

  describe('copies from the line only when the text is what JSON.stringify writes', () => {
    const entry = registry.require('Cloudflare.HttpRequest');
    const line = '{"RayID":"r1","EdgeStartTimestamp":1506702504433000201,"ClientIP":"192.0.2.1","ClientRequestBytes":12}';
    const scanned = (text: string): LineParser => {
      const parser = new LineParser(entry);
      const r = parseRecord(entry, text);
      if (!r.ok) throw new Error(r.reject.message);
      parser.fields.scan(text, r.raw);
      return parser;
    };

    it('copies a plain Logpush line, and reads the unixnano digits from the scan', () => {
      const w = scanned(line);
      expect(w.fields.usable).toBe(true);
      expect(w.fields.integerText('EdgeStartTimestamp', 1506702504433000201)).toBe('1506702504433000201');
      // 19 digits are more than a double holds: the timestamp is converted anyway, never copied.
      expect(Array.from(w.fields.canonical.subarray(0, 4))).toEqual([1, 0, 1, 1]);
    });

    it.each([
      ['a duplicate key', '{"RayID":"r1","EdgeStartTimestamp":1506702504,"RayID":"r2"}'],
      ['an integer-like key', '{"RayID":"r1","EdgeStartTimestamp":1506702504,"7":"x"}'],
      ['an escaped key', '{"Ray\\u0049D":"r1","EdgeStartTimestamp":1506702504}'],
    ])('copies nothing from a line with %s', (_, text) => {
      expect(scanned(text).fields.usable).toBe(false);
    });

    it.each([
      ['an escape in a string', '{"RayID":"r\\u0031","EdgeStartTimestamp":1}', 0],
      ['a space after the colon', '{"RayID": "r1","EdgeStartTimestamp":1}', 0],
      ['a fraction', '{"RayID":"r1","EdgeStartTimestamp":1.0}', 1],
      ['an exponent', '{"RayID":"r1","EdgeStartTimestamp":1e0}', 1],
      ['minus zero', '{"RayID":"r1","EdgeStartTimestamp":-0}', 1],
      ['an integer a double cannot hold', '{"RayID":"r1","EdgeStartTimestamp":1234567890123456}', 1],
      ['a non-empty object', '{"RayID":"r1","EdgeStartTimestamp":1,"RequestHeaders":{"a":"b"}}', 2],
    ])('serialises a value with %s', (_, text, field) => {
      const w = scanned(text);
      expect(w.fields.usable).toBe(true);
      expect(w.fields.canonical[field]).toBe(0);
    });
  });
});
