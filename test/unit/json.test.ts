import {
  exactFieldsOf,
  exactIntegerText,
  ExactNumber,
  exactValueOf,
  hasLongNumber,
  loneSurrogateEscape,
  sameDecimal,
  stringifyExact,
  topLevelNumberText,
} from '../../lib/record/json';

const NANOS = '1506702504433000200';

/** What JSON.parse gives for the top-level key, as the normaliser would pass it. */
function parsedOf(line: string, key: string): number {
  return (JSON.parse(line) as Record<string, number>)[key] as number;
}

describe('exactIntegerText', () => {
  test('recovers the literal digits of a 19-digit integer that JSON.parse rounded', () => {
    const line = `{"EdgeStartTimestamp":${NANOS},"RayID":"abc"}`;
    const parsed = parsedOf(line, 'EdgeStartTimestamp');
    expect(BigInt(parsed).toString()).not.toBe(NANOS); // the double is not the literal
    expect(exactIntegerText(line, 'EdgeStartTimestamp', parsed)).toBe(NANOS);
  });

  test('tolerates whitespace around the colon and the key at the end of the object', () => {
    const line = `{ "RayID" : "abc" , "EdgeStartTimestamp" :  ${NANOS} }`;
    expect(exactIntegerText(line, 'EdgeStartTimestamp', parsedOf(line, 'EdgeStartTimestamp'))).toBe(NANOS);
  });

  test('a nested object reusing the key name with a different rounding is ignored', () => {
    const line = `{"Subrequests":[{"EdgeStartTimestamp":1606702504433000999}],"EdgeStartTimestamp":${NANOS}}`;
    expect(exactIntegerText(line, 'EdgeStartTimestamp', parsedOf(line, 'EdgeStartTimestamp'))).toBe(NANOS);
  });

  test('a nested object reusing the key with digits that round to the same double does not confuse it', () => {
    // 1506702504433000201 and ...200 are the same double; only the top-level one is the answer.
    const nested = '1506702504433000201';
    expect(Number(nested)).toBe(Number(NANOS));
    const before = `{"Subrequests":[{"EdgeStartTimestamp":${nested}}],"EdgeStartTimestamp":${NANOS}}`;
    const after = `{"EdgeStartTimestamp":${NANOS},"Subrequests":[{"EdgeStartTimestamp":${nested}}]}`;
    expect(exactIntegerText(before, 'EdgeStartTimestamp', parsedOf(before, 'EdgeStartTimestamp'))).toBe(NANOS);
    expect(exactIntegerText(after, 'EdgeStartTimestamp', parsedOf(after, 'EdgeStartTimestamp'))).toBe(NANOS);
  });

  test('the key appearing escaped inside a string value is not taken for the field', () => {
    const inString = '1506702504433000201';
    const line = JSON.stringify({ Note: `{"EdgeStartTimestamp":${inString}}` }).slice(0, -1) + `,"EdgeStartTimestamp":${NANOS}}`;
    expect(line).toContain('\\"EdgeStartTimestamp\\"');
    expect(exactIntegerText(line, 'EdgeStartTimestamp', parsedOf(line, 'EdgeStartTimestamp'))).toBe(NANOS);
  });

  test('a key that only appears as a string value is not found', () => {
    const line = `{"Field":"EdgeStartTimestamp","Other":${NANOS}}`;
    expect(exactIntegerText(line, 'EdgeStartTimestamp', Number(NANOS))).toBeUndefined();
  });

  test('a value that is not an integer literal yields nothing', () => {
    const line = '{"EdgeStartTimestamp":"2017-09-29T16:28:24Z"}';
    expect(exactIntegerText(line, 'EdgeStartTimestamp', Number(NANOS))).toBeUndefined();
  });

  test('negative integers keep their sign', () => {
    const line = '{"X":-9007199254740993}';
    expect(exactIntegerText(line, 'X', parsedOf(line, 'X'))).toBe('-9007199254740993');
  });
});

describe('topLevelNumberText', () => {
  test('takes the depth-1 binding, not a nested one', () => {
    expect(topLevelNumberText('{"a":{"k":1},"k":2}', 'k')).toBe('2');
    expect(topLevelNumberText('{"k":3,"a":{"k":1}}', 'k')).toBe('3');
  });

  test('braces, brackets and escaped quotes inside strings do not change the depth', () => {
    expect(topLevelNumberText('{"s":"}{]","t":"\\"k\\":9","k":5}', 'k')).toBe('5');
    expect(topLevelNumberText('{"s":"\\\\","k":7}', 'k')).toBe('7');
  });

  test('a string value bound to the key is not a number', () => {
    expect(topLevelNumberText('{"k":"12"}', 'k')).toBeUndefined();
    expect(topLevelNumberText('{"a":{"k":1}}', 'k')).toBeUndefined();
  });
});

describe('reading numbers again where JSON.parse rounded them', () => {
  /** A whole JSON text read exactly, as the row writer writes it; what JSON.stringify writes when nothing was rounded. */
  const written = (text: string): string => {
    const v = exactValueOf(text, 0, text.length);
    return v === undefined ? JSON.stringify(JSON.parse(text)) : stringifyExact(v);
  };

  test('integers beyond 2^53 keep their digits, nested in objects and arrays', () => {
    expect(written('{"x-id":12345678901234567891}')).toBe('{"x-id":12345678901234567891}');
    expect(written('[{"id":9007199254740993},{"id":1}]')).toBe('[{"id":9007199254740993},{"id":1}]');
    expect(written('-1506702504433000201')).toBe('-1506702504433000201');
    expect(written('{"a":{"b":[[12345678901234567891e-3]]}}')).toBe('{"a":{"b":[[12345678901234567891e-3]]}}');
    const v = exactValueOf('[9007199254740993]', 0, '[9007199254740993]'.length) as ExactNumber[];
    // What filters and indicators see stays the parsed double.
    expect(v[0]).toEqual(new ExactNumber('9007199254740993', 9007199254740992));
  });

  test('a fraction longer than a double holds and an underflow are kept as received', () => {
    expect(written('[0.1000000000000000055511151231257827,1e-400,1.00000000000000000001]')).toBe(
      '[0.1000000000000000055511151231257827,1e-400,1.00000000000000000001]',
    );
  });

  test("a number whose double is the same value is written in the double's form, as JSON.stringify does", () => {
    const same = '[1.50E+2,-0.0,1e5,1234567890123456,0.30000000000000004]';
    expect(exactValueOf(same, 0, same.length)).toBeUndefined();
    expect(written('{"a":[1.50E+2,12345678901234567891,-0.0,1e5]}')).toBe('{"a":[150,12345678901234567891,0,100000]}');
  });

  test('only the range given is read: a long number outside it is not seen', () => {
    const line = '{"a":{"n":1},"b":{"n":12345678901234567891}}';
    expect(exactValueOf(line, 5, 12)).toBeUndefined();
    expect(stringifyExact(exactValueOf(line, 17, 43))).toBe('{"n":12345678901234567891}');
  });

  test('duplicate keys, key order, escapes and whitespace are read as JSON.parse reads them', () => {
    expect(written('{"a":12345678901234567891,"a":"b"}')).toBe('{"a":"b"}');
    expect(written('{"a":1,"b":2,"a":12345678901234567891}')).toBe('{"a":12345678901234567891,"b":2}');
    expect(written('{"b":12345678901234567891,"2":"x","1":"y"}')).toBe('{"1":"y","2":"x","b":12345678901234567891}');
    expect(written('{ "k\\u0041\\"" : [ "s\\n\\u00e9" , 12345678901234567891 ] , "t" : true , "f" : false , "n" : null }')).toBe(
      '{"kA\\"":["s\\né",12345678901234567891],"t":true,"f":false,"n":null}',
    );
  });

  test('a __proto__ key is a plain key: kept, and nothing reaches Object.prototype', () => {
    const text = '{"__proto__":{"polluted":12345678901234567891},"constructor":{"prototype":{"polluted":1e-400}}}';
    const v = exactValueOf(text, 0, text.length) as Record<string, unknown>;
    expect(Object.keys(v)).toEqual(['__proto__', 'constructor']);
    expect(stringifyExact(v)).toBe(text);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  test('nesting deeper than the reader goes is left rounded, without overflowing the stack', () => {
    const deep = '['.repeat(100_000) + '12345678901234567891' + ']'.repeat(100_000);
    expect(exactValueOf(deep, 0, deep.length)).toBeUndefined();
    expect(exactFieldsOf(`{"a":12345678901234567891,"b":${deep}}`).size).toBe(0);
    // Within the limit the same number is kept.
    const shallow = '['.repeat(30) + '12345678901234567891' + ']'.repeat(30);
    expect(written(shallow)).toBe(shallow);
  });

  test("a whole record's fields: only those holding a rounded number, the last of duplicates deciding", () => {
    const fields = exactFieldsOf('{"a":12345678901234567891,"b":"12345678901234567891","c":1,"d":1e-400,"d":2,"e":3,"e":[9007199254740993]}');
    expect([...fields.keys()]).toEqual(['a', 'e']);
    expect(stringifyExact(fields.get('e'))).toBe('[9007199254740993]');
  });

  test('a long number is one with more than 15 digits or an exponent, outside strings', () => {
    const long = (t: string) => hasLongNumber(t, 0, t.length);
    expect(long('[1234567890123456]')).toBe(true);
    expect(long('[0.000000000000001]')).toBe(true);
    expect(long('{"a":1e5}')).toBe(true);
    expect(long('{"a":2E-3}')).toBe(true);
    expect(long('[123456789012345,1.5,-0.25,true,false,null]')).toBe(false);
    expect(long('{"12345678901234567891":"12345678901234567891e5","s":"a\\"1234567890123456"}')).toBe(false);
  });

  test('two number texts are the same decimal value whatever their spelling', () => {
    expect(sameDecimal('1.50', '1.5')).toBe(true);
    expect(sameDecimal('1E+2', '100')).toBe(true);
    expect(sameDecimal('-0.0', '0')).toBe(true);
    expect(sameDecimal('0.00120e1', '0.012')).toBe(true);
    expect(sameDecimal('12345678901234567891', '12345678901234567000')).toBe(false);
    expect(sameDecimal('1e-400', '0')).toBe(false);
    expect(sameDecimal('-1', '1')).toBe(false);
  });
});

describe('loneSurrogateEscape', () => {
  // Each case's text is JSON text as it arrives (backslashes literal); the answer is where JSON.parse would make a
  // lone surrogate, or -1, and agrees with what JSON.parse makes of it.
  it.each([
    ['"\\ud800"', 1],
    ['"ab\\uDBFF"', 3],
    ['"\\udc00"', 1],
    ['"\\ud83d\\ude00"', -1],
    ['"\\uD83D\\uDE00\\ud800"', 13],
    ['"\\ud83d\\ud83d\\ude00"', 1],
    ['"\\ud800\\u0041"', 1],
    ['"\\ude00\\ud83d"', 1],
    ['"\\\\ud800"', -1], // an escaped backslash, then text
    ['"\\\\\\ud800"', 3], // an escaped backslash, then the escape
    ['"\\u00e9\\ud7ff\\ue000\\uffff"', -1],
    ['{"k":"\\u0026","\\ud800":1}', 15],
    ['no escapes at all', -1],
    ['"\\ud80"', -1], // not four hex digits: not an escape JSON.parse takes either
  ])('%s -> %d', (text, at) => {
    expect(loneSurrogateEscape(text)).toBe(at);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return;
    }
    const strings = typeof parsed === 'string' ? parsed : Object.entries(parsed as object).flat().join('');
    // A lone surrogate does not survive the round trip through UTF-8.
    const holdsLone = Buffer.from(strings, 'utf8').toString('utf8') !== strings;
    expect(holdsLone).toBe(at !== -1);
  });
});
