import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATASETS, generateLines } from '../../bench/generate';
import { enrich, EnrichContext, RowWriter, rowIdPrefix } from '../../lib/enrich/enrich';
import { parseInto, parseLine, parseRecord } from '../../lib/parse/parser';
import { builtInRegistry, LogTypeEntry } from '../../lib/schema/registry';
import { variants } from '../support/variants';

const registry = builtInRegistry();
const ctx: EnrichContext = { rowIdPrefix: rowIdPrefix('s3://b/k#e'), parseTime: '2026-11-24 12:00:00.000000000', sourceId: 'src-1', sourceLabel: 'L"1' };

/** The reference: the row object (parseLine) through enrich, i.e. JSON.stringify in the contract's order. */
function reference(entry: LogTypeEntry, text: string, lineNo: number): string {
  const r = parseLine(entry, text);
  return r.ok ? enrich(entry.plan, r.value, lineNo, ctx).json : `reject ${r.reject.reason}: ${r.reject.message}`;
}

/** The pipeline's path: scan, fill the columns, write. */
function written(writer: RowWriter, entry: LogTypeEntry, text: string, lineNo: number): string {
  const failure = parseInto(entry, text, writer.fields, writer.cols);
  return failure ? `reject ${failure.reason}: ${failure.message}` : writer.write(text, lineNo).json;
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

describe('the row writer', () => {
  it.each(DATASETS.map((d) => [d]))('writes byte for byte what the reference writes, for %s records spelled every way', (dataset) => {
    const entry = registry.forDataset(dataset);
    if (!entry) throw new Error(`no schema for ${dataset}`);
    // One writer for all of them, as for one input: its shape changes from line to line.
    const writer = new RowWriter(entry.plan, ctx);
    let compared = 0;
    let lineNo = 0;
    for (const format of ['unixnano', 'unix', 'rfc3339ns'] as const) {
      for (const line of generateLines({ dataset, lines: 8, seed: 5, timestampFormat: format })) {
        for (const v of variants(line)) {
          for (const text of [v, ...spellings(v)]) {
            lineNo++;
            expect(written(writer, entry, text, lineNo)).toBe(reference(entry, text, lineNo));
            compared++;
          }
        }
      }
    }
    expect(compared).toBeGreaterThan(3000);
  });

  it('writes what the reference writes for every golden input line', () => {
    const root = join(__dirname, '../fixtures/golden');
    for (const c of readdirSync(root)) {
      const meta = JSON.parse(readFileSync(join(root, c, 'meta.json'), 'utf8')) as { logType: string };
      const entry = registry.require(meta.logType);
      const writer = new RowWriter(entry.plan, ctx);
      readFileSync(join(root, c, 'input.ndjson'), 'utf8')
        .split(/\r?\n/)
        .forEach((text, i) => {
          const t = text.replace(/^\uFEFF/, '');
          if (t.trim() === '') return;
          expect(written(writer, entry, t, i + 1)).toBe(reference(entry, t, i + 1));
        });
    }
  });

  it('follows a shape only where Object.keys proves the text order: integer-like keys are listed first', () => {
    const entry = registry.require('Cloudflare.HttpRequest');
    const writer = new RowWriter(entry.plan, ctx);
    // The same keys for JSON.parse, in another text order; "12345678" is as long as "ZoneName".
    const lines = [
      '{"12345678":"x","ZoneName":"a.example","EdgeStartTimestamp":1506702504}',
      '{"ZoneName":"b.example","12345678":"y","EdgeStartTimestamp":1506702504}',
    ];
    lines.forEach((text, i) => expect(written(writer, entry, text, i + 1)).toBe(reference(entry, text, i + 1)));
    expect(JSON.parse(written(writer, entry, lines[1] as string, 2)).ZoneName).toBe('b.example');
  });

  describe('copies from the line only when the text is what JSON.stringify writes', () => {
    const entry = registry.require('Cloudflare.HttpRequest');
    const line = '{"RayID":"r1","EdgeStartTimestamp":1506702504433000201,"ClientIP":"192.0.2.1","ClientRequestBytes":12}';
    const scanned = (text: string): RowWriter => {
      const writer = new RowWriter(entry.plan, ctx);
      const r = parseRecord(entry, text);
      if (!r.ok) throw new Error(r.reject.message);
      writer.fields.scan(text, r.raw);
      return writer;
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
