import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LineParser } from '../../lib/record/parser';
import { builtInRegistry } from '../../lib/record/registry';
import { formatDate } from '../../lib/record/timestamps';
import { RowWriter, rowId, rowIdPrefix } from '../../lib/row/writer';
import type { RuleEvent } from '../../lib/rules/model';
import { ColumnsEvent, DETACH } from '../../lib/rules/view';
import { generateLines } from '../../testkit/generate';

/**
 * The columns view gives rules the row the lake writes: for every golden input line, its fields and values equal
 * JSON.parse of the written row (p_any_* included).
 */
const GOLDEN = join(__dirname, '..', 'fixtures', 'golden');
const cases = readdirSync(GOLDEN).sort();

test.each(cases)('%s: the view of each row equals the row written', (name) => {
  const meta = JSON.parse(readFileSync(join(GOLDEN, name, 'meta.json'), 'utf8')) as { logType: string; identity: string; parseTime: string; sourceId?: string; sourceLabel?: string };
  const entry = builtInRegistry().require(meta.logType);
  const parser = new LineParser(entry);
  const ctx = {
    rowIdPrefix: rowIdPrefix(meta.identity),
    parseTime: formatDate(new Date(meta.parseTime)),
    ...(meta.sourceId !== undefined ? { sourceId: meta.sourceId } : {}),
    ...(meta.sourceLabel !== undefined ? { sourceLabel: meta.sourceLabel } : {}),
  };
  const writer = new RowWriter(entry.plan, ctx, parser);
  const view = new ColumnsEvent(entry.plan, parser.cols, {
    p_parse_time: ctx.parseTime,
    ...(meta.sourceId !== undefined ? { p_source_id: meta.sourceId } : {}),
    ...(meta.sourceLabel !== undefined ? { p_source_label: meta.sourceLabel } : {}),
  });
  let compared = 0;
  readFileSync(join(GOLDEN, name, 'input.ndjson'), 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line.trim() === '' || parser.parse(line) !== undefined) return;
      const written = writer.write(line, i + 1);
      const event = view.row(rowId(ctx.rowIdPrefix, i + 1), written.eventTime);
      const row = JSON.parse(written.json()) as Record<string, unknown>;
      expect(Object.fromEntries(Object.keys(event).map((k) => [k, event[k]]))).toEqual(row);
      expect(Object.keys(event).sort()).toEqual(Object.keys(row).sort());
      for (const k of Object.keys(row)) expect(k in event).toBe(true);
      compared++;
    });
  expect(compared).toBeGreaterThan(0);
});

test('the view cannot be written to, and absent fields read as undefined', () => {
  const entry = builtInRegistry().require('Cloudflare.Firewall');
  const parser = new LineParser(entry);
  expect(parser.parse('{"Datetime":"2026-01-01T00:00:00Z","Source":"l7ddos"}')).toBeUndefined();
  const event = new ColumnsEvent(entry.plan, parser.cols, { p_parse_time: '2026-01-01 00:00:00.000000000' }).row('r1', '2026-01-01 00:00:00.000000000');
  expect(event.Source).toBe('l7ddos');
  expect(event.ClientIP).toBeUndefined();
  expect('ClientIP' in event).toBe(false);
  expect(() => {
    (event as Record<string, unknown>).Source = 'x';
  }).toThrow(TypeError);
});

test('a detached view keeps its row after the next lines are parsed, text left in the line included', () => {
  const entry = builtInRegistry().forDataset('http_requests')!;
  const parser = new LineParser(entry);
  const view = new ColumnsEvent(entry.plan, parser.cols, { p_parse_time: '2026-01-01 00:00:00.000000000' });
  const lines = [...generateLines({ dataset: 'http_requests', lines: 4, seed: 9 })];
  const detached: (() => RuleEvent)[] = [];
  for (const line of lines) {
    expect(parser.parse(line)).toBeUndefined();
    const event = view.row('r', '2026-01-01 00:00:00.000000000');
    detached.push((event as { [DETACH]: () => () => RuleEvent })[DETACH]());
  }
  // The scanner took the lines, so their text columns were still in the line when detached.
  expect(parser.scannedLines).toBe(4);
  detached.forEach((show, i) => {
    const want = JSON.parse(lines[i] as string) as Record<string, unknown>;
    const event = show();
    expect(event.ClientRequestHost).toBe(want.ClientRequestHost);
    expect(event.ClientRequestUserAgent).toBe(want.ClientRequestUserAgent);
    expect(event.RayID).toBe(want.RayID);
  });
});
