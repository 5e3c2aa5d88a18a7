import { LineFramer, LineSink } from '../../lib/decode/lines';

function tooLongOf(input: string, max: number): { head: string; length: number }[] {
  const out: { head: string; length: number }[] = [];
  const sink: LineSink = { line() {}, tooLong(head, length) { out.push({ head: head.toString('latin1'), length }); } };
  const f = new LineFramer(max, sink);
  f.push(Buffer.from(input, 'latin1'));
  f.end();
  return out;
}

test('the head of a too-long line holds bytes of that line only (emit path)', () => {
  // 9 bytes, limit 8: reported through emit(); head = subarray(start, start + 4096) is not clamped to end.
  expect(tooLongOf('yyyyyyyyy\nafter\n', 8)).toEqual([{ head: 'yyyyyyyyy', length: 9 }]);
});

test('the head of a too-long line holds bytes of that line only (overflow path)', () => {
  // 30 bytes, limit 10: push() overflow branch; head = chunk.subarray(pos, pos + 4096) is not clamped to nl.
  expect(tooLongOf('q'.repeat(30) + '\nnext\n', 10)).toEqual([{ head: 'q'.repeat(30), length: 30 }]);
});

test('the length of a too-long CRLF line excludes the CR, as accepted lines do', () => {
  expect(tooLongOf('x'.repeat(9) + '\r\n', 8)).toEqual([{ head: 'x'.repeat(9), length: 9 }]);
});
