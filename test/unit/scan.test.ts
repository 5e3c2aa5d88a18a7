import { builtInRegistry } from '../../lib/record/registry';
import { LineParser } from '../../lib/record/parser';
import { shapePatternChars } from '../../lib/record/scan';
import { compareParsers, ParserComparison } from '../../testkit/differential';
import { DATASETS, generateLines, TIMESTAMP_FORMATS } from '../../testkit/generate';

/**
 * The scanner (lib/record/scan.ts) makes the same rows as the general parser and leaves every reject to it: held
 * line by line against the parser with the scanner turned off, on every dataset's generated lines and on lines
 * fuzzed from them with a fixed seed. bench/probes/scan-differential.ts runs the same comparison longer.
 */
const registry = builtInRegistry();
const FUZZED_LINES = 600;

describe('the scanner against the general parser', () => {
  it.each(DATASETS)('%s: takes every generated line itself, in every timestamp format, with the same rows', (dataset) => {
    const entry = registry.forDataset(dataset)!;
    for (const timestampFormat of TIMESTAMP_FORMATS) {
      const r = compareParsers(entry, generateLines({ dataset, lines: 60, seed: 11, timestampFormat }), 0, 1);
      expect(r.found).toEqual([]);
      expect(r).toMatchObject({ lines: 60, rows: 60, scanned: 60 });
    }
  });

  it.each(DATASETS)('%s: fuzzed lines give the same row or the same reject', (dataset) => {
    const entry = registry.forDataset(dataset)!;
    const r = compareParsers(entry, generateLines({ dataset, lines: FUZZED_LINES, seed: 29 }), 0.35, 7);
    expect(r.found).toEqual([]);
    expect(r.lines).toBe(FUZZED_LINES);
    // The fuzz reaches both outcomes, and the scanner still takes the clean lines among the broken ones.
    expect(r.rejects).toBeGreaterThan(FUZZED_LINES / 20);
    expect(r.scanned).toBeGreaterThan(FUZZED_LINES / 2);
  });

  test('lines the scanner leaves to the general parser', () => {
    const entry = registry.forDataset('http_requests')!;
    const cmp = new ParserComparison(entry);
    const clean = [...generateLines({ dataset: 'http_requests', lines: 3, seed: 5 })];
    const [first, second, third] = clean as [string, string, string];
    const leave = [
      first.replace('{', '{ '), // whitespace
      first.replace('"RayID"', '"Unknown":1,"RayID"'), // a field the schema lacks
      first.replace('}', ',"RayID":"x"}'), // a duplicate
      first.replace('"RayID"', '"Ray\\u0049D"'), // an escaped key
      first.replace('"Cookies":{}', '"Cookies":{"n":12345678901234567890}'), // a number a double rounds, in a json column
      first.replace('"RayID":"', '"RayID":"\t'), // a control character
    ];
    for (const line of [...leave, second, third]) cmp.line(line);
    expect(cmp.result.found).toEqual([]);
    expect(cmp.result).toMatchObject({ lines: 8, scanned: 2 });
  });

  test('a column read under its name or its alias keeps the key it came under, line after line', () => {
    const entry = registry.forDataset('spectrum_events')!;
    const cmp = new ParserComparison(entry);
    const clean = [...generateLines({ dataset: 'spectrum_events', lines: 6, seed: 5 })];
    expect(clean[0]).toContain('"ClientAsn":');
    const lines = clean.map((line, i) =>
      i < 2 ? line : line.replace(/"ClientAsn":[^,]*/, i % 2 === 0 ? '"ClientASN":"not a number"' : '"ClientAsn":"not a number"'),
    );
    for (const line of lines) cmp.line(line);
    expect(cmp.result.found).toEqual([]);
    expect(cmp.result).toMatchObject({ lines: 6, rows: 6, scanned: 6 });
    const parser = new LineParser(entry);
    for (const line of lines.slice(0, 3)) parser.parse(line);
    expect(Object.keys(parser.cols.invalid ?? {})).toEqual(['ClientASN']);
    parser.parse(lines[3] as string);
    expect(Object.keys(parser.cols.invalid ?? {})).toEqual(['ClientAsn']);
  });

  test('the patterns kept for line shapes stay within their bound, however many shapes the lines take', () => {
    const entry = registry.forDataset('http_requests')!;
    const parser = new LineParser(entry);
    const lines = [...generateLines({ dataset: 'http_requests', lines: 80, seed: 13 })];
    // 40 orders of the same fields, each on two lines in a row: each order gets its pattern (12 KB of text apiece).
    for (let k = 0; k < 40; k++) {
      for (const line of lines.slice(2 * k, 2 * k + 2)) {
        const fields = [...(line.slice(1, -1).match(/"[A-Za-z0-9]+":(?:"[^"]*"|\[[^\]]*\]|\{[^}]*\}|[^,]*)/g) ?? [])];
        const rotated = [...fields.slice(k), ...fields.slice(0, k)];
        expect(parser.parse(`{${rotated.join(',')}}`)).toBeUndefined();
      }
    }
    expect(parser.scannedLines).toBe(80);
    expect(shapePatternChars()).toBeGreaterThan(0);
    expect(shapePatternChars()).toBeLessThanOrEqual(64 * 1024);
  });

  test('the general parser alone when the scanner is off', () => {
    const parser = new LineParser(registry.forDataset('http_requests')!, { scan: false });
    for (const line of generateLines({ dataset: 'http_requests', lines: 5, seed: 5 })) expect(parser.parse(line)).toBeUndefined();
    expect(parser.scannedLines).toBe(0);
  });
});
