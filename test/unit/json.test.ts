import { exactIntegerText, FORBIDDEN_KEYS, topLevelNumberText } from '../../lib/parse/json';

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

test('the keys that could reach Object.prototype are listed as forbidden', () => {
  expect([...FORBIDDEN_KEYS].sort()).toEqual(['__proto__', 'constructor', 'prototype']);
});
