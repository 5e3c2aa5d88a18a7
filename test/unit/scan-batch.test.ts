import { LineParser } from '../../lib/record/parser';
import { builtInRegistry } from '../../lib/record/registry';
import { lineText, scanLines, scannedBatch, ScannedLines } from '../../lib/record/scan-batch';
import { P_COLUMNS } from '../../lib/row/contract';
import { RowWriter } from '../../lib/row/writer';
import { mutate } from '../../testkit/differential';
import { DATASETS, generateLines } from '../../testkit/generate';
import { Rng } from '../../testkit/generate/core';

/**
 * The hand-over of the scan thread (lib/pipeline/scan-ahead.ts), in one thread: lines scanned by one parser into a
 * batch and taken by another make the same rows as the second parser reading them itself, through everything a
 * sink reads. Lines the scan leaves (fuzzed ones) are not taken.
 */
const ctx = { rowIdPrefix: '0123456789abcdef0123', parseTime: '2026-12-07 00:00:00.000000000' };

describe.each(DATASETS)('%s', (dataset) => {
  test('a batch scanned by one parser and taken by another gives the rows that parser makes itself', () => {
    const entry = builtInRegistry().forDataset(dataset)!;
    const rng = new Rng(17);
    const names = entry.plan.fields.map((f) => f.name);
    const lines = [...generateLines({ dataset, lines: 60, seed: 5 })].map((l) => (rng.chance(0.25) ? mutate(rng, l, names) : l));
    const bytes = Buffer.from(lines.join('\n'));
    const starts = new Int32Array(lines.length);
    const ends = new Int32Array(lines.length);
    let at = 0;
    lines.forEach((l, r) => {
      starts[r] = at;
      ends[r] = at += Buffer.byteLength(l);
      at++;
    });
    const out = scannedBatch(lines.length, names.length);
    const scanner = new LineParser(entry);
    scanLines(scanner, bytes, starts, ends, lines.length, out);
    // Twice into the same room, as a batch is used again: the second fill is what is read.
    scanLines(scanner, bytes, starts, ends, lines.length, out);
    const taking = new LineParser(entry);
    const reading = new LineParser(entry);
    const taken = new ScannedLines(out, taking);
    const a = new RowWriter(entry.plan, ctx, taking);
    const b = new RowWriter(entry.plan, ctx, reading);
    let rows = 0;
    lines.forEach((_, r) => {
      const text = lineText(bytes, starts[r]!, ends[r]!);
      const failure = reading.parse(text);
      if (!taken.taken(r)) return;
      expect(failure).toBeUndefined();
      taken.take(r, text);
      const x = a.write(text, r + 1);
      const y = b.write(text, r + 1);
      expect(x.json()).toBe(y.json());
      names.forEach((_n, i) => {
        expect(x.value(i)).toEqual(y.value(i));
        expect(x.jsonText(i)).toBe(y.jsonText(i));
      });
      P_COLUMNS.forEach((_c, k) => expect(x.standard(k)).toEqual(y.standard(k)));
      rows++;
    });
    expect(rows).toBeGreaterThan(lines.length / 2);
    expect(taking.scannedLines).toBe(rows);
  });
});
