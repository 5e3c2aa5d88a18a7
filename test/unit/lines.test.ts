import { LineFramer, LineSink, TOO_LONG_HEAD_BYTES } from '../../lib/decode/lines';

type Event = { kind: 'line'; no: number; text: string } | { kind: 'tooLong'; no: number; head: string; length: number };

class Collect implements LineSink {
  events: Event[] = [];
  line(buf: Buffer, start: number, end: number, lineNo: number): void {
    this.events.push({ kind: 'line', no: lineNo, text: buf.toString('latin1', start, end) });
  }
  tooLong(head: Buffer, length: number, lineNo: number): void {
    this.events.push({ kind: 'tooLong', no: lineNo, head: head.toString('latin1'), length });
  }
}

function frame(chunks: (string | Buffer)[], maxLineBytes = 1024): { events: Event[]; seen: number } {
  const sink = new Collect();
  const f = new LineFramer(maxLineBytes, sink);
  for (const c of chunks) f.push(typeof c === 'string' ? Buffer.from(c, 'latin1') : c);
  f.end();
  return { events: sink.events, seen: f.linesSeen };
}

const lines = (events: Event[]): string[] => events.map((e) => (e.kind === 'line' ? e.text : `<too long ${e.length}>`));

describe('LineFramer: splitting', () => {
  test('splits on LF and numbers lines from 1', () => {
    const { events, seen } = frame(['a\nbb\nccc\n']);
    expect(events).toEqual([
      { kind: 'line', no: 1, text: 'a' },
      { kind: 'line', no: 2, text: 'bb' },
      { kind: 'line', no: 3, text: 'ccc' },
    ]);
    expect(seen).toBe(3);
  });

  test('drops the CR of CRLF line endings', () => {
    expect(lines(frame(['a\r\nb\r\n']).events)).toEqual(['a', 'b']);
  });

  test('a CR inside a line is kept; only the one before LF goes', () => {
    expect(lines(frame(['a\rb\r\n']).events)).toEqual(['a\rb']);
  });

  test('keeps a final line that has no newline', () => {
    const { events } = frame(['a\nlast']);
    expect(events).toEqual([
      { kind: 'line', no: 1, text: 'a' },
      { kind: 'line', no: 2, text: 'last' },
    ]);
  });

  test('a trailing newline does not make an extra empty line', () => {
    expect(frame(['a\n']).seen).toBe(1);
    expect(frame(['']).seen).toBe(0);
    expect(frame([]).seen).toBe(0);
  });

  test('empty lines are reported (and counted) as empty lines', () => {
    const { events, seen } = frame(['\n\r\na\n\n']);
    expect(events).toEqual([
      { kind: 'line', no: 1, text: '' },
      { kind: 'line', no: 2, text: '' },
      { kind: 'line', no: 3, text: 'a' },
      { kind: 'line', no: 4, text: '' },
    ]);
    expect(seen).toBe(4);
  });

  test('a line split across chunks at every byte position comes out whole', () => {
    const input = '{"a":1}\r\n{"bb":22}\n\nxyz\r\nend';
    const expected = ['{"a":1}', '{"bb":22}', '', 'xyz', 'end'];
    for (let i = 0; i <= input.length; i++) {
      for (let j = i; j <= input.length; j++) {
        const { events } = frame([input.slice(0, i), input.slice(i, j), input.slice(j)]);
        expect(lines(events)).toEqual(expected);
        expect(events.map((e) => e.no)).toEqual([1, 2, 3, 4, 5]);
      }
    }
  });

  test('one byte per chunk works too', () => {
    const input = 'ab\r\ncd\ne';
    expect(lines(frame([...input]).events)).toEqual(['ab', 'cd', 'e']);
  });

  test('the line handed over survives the producer reusing its chunk buffer', () => {
    const sink = new Collect();
    const f = new LineFramer(1024, sink);
    const chunk = Buffer.from('hello');
    f.push(chunk);
    chunk.fill(0x21); // producer reuses its memory
    f.push(Buffer.from(' world\n'));
    f.end();
    expect(lines(sink.events)).toEqual(['hello world']);
  });
});

describe('LineFramer: the line length limit', () => {
  test('a line of exactly the limit is accepted, with or without CR', () => {
    const ok = 'x'.repeat(8);
    expect(lines(frame([`${ok}\n${ok}\r\n${ok}`], 8).events)).toEqual([ok, ok, ok]);
  });

  test('a line one byte over the limit is reported as too long, with its length and number', () => {
    const { events } = frame(['ok\n' + 'y'.repeat(9) + '\nafter\n'], 8);
    expect(events.map((e) => [e.kind, e.no])).toEqual([
      ['line', 1],
      ['tooLong', 2],
      ['line', 3],
    ]);
    const tl = events[1];
    if (tl?.kind !== 'tooLong') throw new Error('expected tooLong');
    expect(tl.length).toBe(9);
    expect(tl.head.startsWith('y'.repeat(9))).toBe(true);
    expect(events[2]).toEqual({ kind: 'line', no: 3, text: 'after' });
  });

  test('a too-long line keeps only its first bytes and its total length, across many chunks', () => {
    const max = 1024;
    const total = 200_000;
    const long = Buffer.alloc(total, 0x61);
    long.write('HEAD', 0, 'latin1');
    const sink = new Collect();
    const f = new LineFramer(max, sink);
    let maxCarry = 0;
    for (let off = 0; off < total; off += 1000) {
      f.push(long.subarray(off, Math.min(off + 1000, total)));
      maxCarry = Math.max(maxCarry, f['carryLen']);
    }
    f.push(Buffer.from('\nnext\n'));
    f.end();
    // The framer never held more than the limit (+1 for a CR) of the long line.
    expect(maxCarry).toBeLessThanOrEqual(max + 1);
    expect(sink.events).toHaveLength(2);
    const [tl, next] = sink.events;
    expect(tl).toMatchObject({ kind: 'tooLong', no: 1, length: total });
    if (tl?.kind !== 'tooLong') throw new Error('expected tooLong');
    expect(tl.head.startsWith('HEAD')).toBe(true);
    expect(tl.head.length).toBeLessThanOrEqual(TOO_LONG_HEAD_BYTES);
    expect(tl.head.length).toBeGreaterThan(max); // at least the limit's worth is kept for the reject record
    expect(next).toEqual({ kind: 'line', no: 2, text: 'next' });
  });

  test('the head of a too-long line holds bytes of that line only, never of the lines after it', () => {
    const tooLong = (events: Event[]) => events.flatMap((e) => (e.kind === 'tooLong' ? [{ head: e.head, length: e.length }] : []));
    // Found when its newline is in the chunk (9 bytes, limit 8) and when it overflows the carry (30 bytes, limit 10).
    expect(tooLong(frame(['yyyyyyyyy\nafter\n'], 8).events)).toEqual([{ head: 'yyyyyyyyy', length: 9 }]);
    expect(tooLong(frame(['q'.repeat(30) + '\nnext\n'], 10).events)).toEqual([{ head: 'q'.repeat(30), length: 30 }]);
  });

  test('the length of a too-long CRLF line excludes the CR, as for accepted lines', () => {
    expect(frame(['x'.repeat(9) + '\r\n'], 8).events).toEqual([{ kind: 'tooLong', no: 1, head: 'x'.repeat(9), length: 9 }]);
  });

  test('a too-long line in a single chunk is reported with its first bytes only', () => {
    const total = TOO_LONG_HEAD_BYTES * 3;
    const { events } = frame([Buffer.alloc(total, 0x62), '\n'], 100);
    expect(events).toEqual([{ kind: 'tooLong', no: 1, head: 'b'.repeat(TOO_LONG_HEAD_BYTES), length: total }]);
  });

  test('a too-long final line without newline is still reported, with its full length', () => {
    const { events } = frame(['a\n', 'z'.repeat(50), 'z'.repeat(50)], 20);
    expect(events).toHaveLength(2);
    expect(events[0]).toEqual({ kind: 'line', no: 1, text: 'a' });
    expect(events[1]).toMatchObject({ kind: 'tooLong', no: 2, length: 100 });
    const tl = events[1];
    if (tl?.kind !== 'tooLong') throw new Error('expected tooLong');
    expect(tl.head.length).toBeGreaterThan(20);
    expect('z'.repeat(100).startsWith(tl.head)).toBe(true);
  });

  test('a too-long line split at every byte position gives the same length and numbering', () => {
    const input = 'ab\n' + 'q'.repeat(30) + '\ncd';
    for (let i = 0; i <= input.length; i++) {
      const { events } = frame([input.slice(0, i), input.slice(i)], 10);
      expect(events.map((e) => (e.kind === 'line' ? [e.no, e.text] : [e.no, e.length]))).toEqual([
        [1, 'ab'],
        [2, 30],
        [3, 'cd'],
      ]);
      const tl = events[1];
      if (tl?.kind !== 'tooLong') throw new Error('expected tooLong');
      expect(tl.head.startsWith('q'.repeat(11))).toBe(true);
    }
  });
});

describe('LineFramer: pausing', () => {
  test('a sink that pauses after every line gets every line once, in order, across chunk borders and long lines', () => {
    const chunks = ['a\nbb', '\nccc\n', 'x'.repeat(40) + '\n\nd', 'e\r\nf'];
    const want = frame(chunks, 16);
    const sink = new Collect();
    const f = new LineFramer(16, {
      line(buf, start, end, no) {
        sink.line(buf, start, end, no);
        f.pause();
      },
      tooLong(head, length, no) {
        sink.tooLong(head, length, no);
        f.pause();
      },
    });
    let pauses = 0;
    for (const c of chunks) {
      let done = f.push(Buffer.from(c, 'latin1'));
      while (!done) {
        pauses++;
        done = f.resume();
      }
    }
    f.end();
    expect(sink.events).toEqual(want.events);
    expect(f.linesSeen).toBe(want.seen);
    // One pause per line completed inside a chunk (the last line, without a newline, comes from end()).
    expect(pauses).toBe(want.seen - 1);
  });
});
