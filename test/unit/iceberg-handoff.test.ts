import { decodeHandoff, encodeHandoff, HandoffError, TableHandoff } from '../../lib/iceberg/handoff';
import { partitionTransform } from '../../lib/iceberg/tables';

const handoff = (files: number, columns = 3): TableHandoff => ({
  table: 'cloudflare_httprequest',
  landed: 1_790_000_000_000,
  handoff: {
    input: 's3://in/cloudflare/a.log.gz#"etag"',
    files: Array.from({ length: files }, (_, i) => ({
      path: `s3://lake/logs/cloudflare_httprequest/year=2026/month=11/day=01/hour=${String(i % 24).padStart(2, '0')}/a-${i}.parquet`,
      bytes: 1000 + i,
      rows: 10 + i,
      hour: `2026-11-01 ${String(i % 24).padStart(2, '0')}`,
      columns: Array.from({ length: columns }, (_, c) => ({ name: `c${c}`, values: 10, nulls: c, min: c === 0 ? 2n ** 62n : -1.5, max: c === 0 ? 2n ** 63n - 1n : 7 })),
    })),
  },
});

describe('the hand-off message', () => {
  it('reads back what was written, int64 bounds exactly', () => {
    const h = handoff(3);
    expect(decodeHandoff(encodeHandoff(h))).toEqual(h);
  });

  it('drops the column statistics when the message would exceed its limit, and keeps every file', () => {
    const h = handoff(24, 200);
    const text = encodeHandoff(h, 64 * 1024);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(64 * 1024);
    const back = decodeHandoff(text);
    expect(back.handoff.files.map((f) => [f.path, f.rows, f.bytes, f.hour])).toEqual(h.handoff.files.map((f) => [f.path, f.rows, f.bytes, f.hour]));
    expect(back.handoff.files.every((f) => f.columns === undefined)).toBe(true);
    expect(() => encodeHandoff(h, 500)).toThrow(/do not fit in 500 bytes/);
  });

  it.each([
    ['not JSON', '{'],
    ['another version', JSON.stringify({ v: 2, table: 't', input: 'i', files: [] })],
    ['a table name that is not one', JSON.stringify({ v: 1, table: '../x', input: 'i', files: [] })],
    ['negative counts', JSON.stringify({ v: 1, table: 't', input: 'i', files: [{ path: 'p', bytes: -1, rows: 1, hour: '2026-11-01 10' }] })],
    ['an hour in another form', JSON.stringify({ v: 1, table: 't', input: 'i', files: [{ path: 'p', bytes: 1, rows: 1, hour: '2026-11-01T10' }] })],
    ['bounds that are not numbers', JSON.stringify({ v: 1, table: 't', input: 'i', files: [{ path: 'p', bytes: 1, rows: 1, hour: '2026-11-01 10', columns: [['c', 1, 0, 'x', 'y']] }] })],
    ['a prototype key', '{"v":1,"table":"t","input":"i","files":[{"__proto__":{"path":"p"},"bytes":1,"rows":1,"hour":"2026-11-01 10"}]}'],
  ])('refuses %s, as a message for the dead-letter queue', (_what, text) => {
    let err: unknown;
    try {
      decodeHandoff(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HandoffError);
    expect((err as HandoffError).disposition.kind).toBe('dead-letter');
  });
});

describe('the partition of each table', () => {
  it('is the hour for traffic datasets and the day for administrative ones', () => {
    expect(partitionTransform('cloudflare_httprequest')).toBe('hour');
    expect(partitionTransform('cloudflare_gatewaydns')).toBe('hour');
    expect(partitionTransform('cloudflare_audit')).toBe('day');
    expect(partitionTransform('custom_table')).toBe('hour');
  });
});
