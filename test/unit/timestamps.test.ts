import {
  formatDate,
  epochMinute,
  formatEpoch,
  fromIntegerDigits,
  fromNumber,
  fromRfc1123,
  fromRfc3339,
  hasLakeTimeShape,
  LAKE_TIME_LENGTH,
  lakeTimeOf,
  minuteText,
  parseCloudflareTime,
  parseHttpDate,
  whyNotCloudflareTime,
  whyNotHttpDate,
  timestampNanos,
  whyNotRfc3339,
} from '../../lib/record/timestamps';

const OUTPUT_FORM = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{9}$/;

describe('parseCloudflareTime: integers (unixnano, unix, and by magnitude)', () => {
  test('a unixnano integer beyond 2^53 keeps every nanosecond when read from its digits, not from the double', () => {
    const rounded = JSON.parse('1506702504433000201') as number;
    expect(Number.isSafeInteger(rounded)).toBe(false);
    expect(fromIntegerDigits('1506702504433000201')).toBe('2017-09-29 16:28:24.433000201');
    // From the double JSON.parse produced, the last digits are lost: the normaliser reads the line's digits.
    expect(parseCloudflareTime(rounded)).not.toBe('2017-09-29 16:28:24.433000201');
  });

  test('an unsafe unixnano double without exact digits is still read as nanoseconds, to the second', () => {
    const ts = parseCloudflareTime(1506702504433000200);
    expect(ts?.slice(0, 19)).toBe('2017-09-29 16:28:24');
    expect(ts).toMatch(OUTPUT_FORM);
  });

  test('a unix-seconds integer below 6e10 is seconds', () => {
    expect(parseCloudflareTime(1506702504)).toBe('2017-09-29 16:28:24.000000000');
    expect(parseCloudflareTime(0)).toBe('1970-01-01 00:00:00.000000000');
    expect(parseCloudflareTime(59999999999)).toBe('3871-04-29 10:39:59.000000000');
  });

  test('milliseconds and microseconds are recognised by magnitude', () => {
    expect(parseCloudflareTime(1506702504433)).toBe('2017-09-29 16:28:24.433000000');
    expect(parseCloudflareTime(1506702504433123)).toBe('2017-09-29 16:28:24.433123000');
    // 6e10 is the first value that is no longer seconds: 6e10 ms.
    expect(parseCloudflareTime(60000000000)).toBe('1971-11-26 10:40:00.000000000');
  });

  test('a small unixnano value (19 digits with leading significance) is nanoseconds', () => {
    expect(fromIntegerDigits('1000000000000000001')).toBe('2001-09-09 01:46:40.000000001');
  });

  test('integers are also accepted as numeric strings, with surrounding blanks', () => {
    expect(parseCloudflareTime('1506702504433000200')).toBe('2017-09-29 16:28:24.433000200');
    expect(parseCloudflareTime('1506702504')).toBe('2017-09-29 16:28:24.000000000');
    expect(parseCloudflareTime(' 1506702504433 ')).toBe('2017-09-29 16:28:24.433000000');
  });

  test('negative seconds are before 1970', () => {
    expect(parseCloudflareTime(-1)).toBe('1969-12-31 23:59:59.000000000');
    expect(parseCloudflareTime('-86400')).toBe('1969-12-31 00:00:00.000000000');
  });

  test('more than 19 digits is not a timestamp', () => {
    expect(fromIntegerDigits('15067025044330002001')).toBeUndefined();
    expect(parseCloudflareTime('15067025044330002001')).toBeUndefined();
    expect(fromIntegerDigits('')).toBeUndefined();
    expect(fromIntegerDigits('-')).toBeUndefined();
  });

  test('a fractional number is seconds with a fraction', () => {
    expect(fromNumber(1.5)).toBe('1970-01-01 00:00:01.500000000');
    expect(fromNumber(1506702504.25)).toBe('2017-09-29 16:28:24.250000000');
  });

  test('a fractional number of seconds keeps the digits written, not the ones the double makes up', () => {
    // 1506702504.433 is 1506702504.43300008773... as a double: its digits, not the double's, are the input.
    expect(fromNumber(1506702504.433)).toBe('2017-09-29 16:28:24.433000000');
    expect(fromNumber(1506702504.123456)).toBe('2017-09-29 16:28:24.123456000');
    expect(fromNumber(0.000000123)).toBe('1970-01-01 00:00:00.000000123');
    // Digits below the nanosecond are dropped, never rounded up.
    expect(fromNumber(1.0000000019)).toBe('1970-01-01 00:00:01.000000001');
  });

  test('before 1970 the digits are exact too, and the fraction counts back from the whole second', () => {
    expect(fromIntegerDigits('-1506702504433000200')).toBe('1922-04-04 07:31:35.566999800');
    expect(parseCloudflareTime('-1506702504433')).toBe('1922-04-04 07:31:35.567000000');
    expect(fromNumber(-1.25)).toBe('1969-12-31 23:59:58.750000000');
    expect(fromNumber(-0.5)).toBe('1969-12-31 23:59:59.500000000');
    expect(fromNumber(-1506702504.433)).toBe('1922-04-04 07:31:35.567000000');
    // Below the nanosecond, towards the past: -1.0000000019 s is at or before ...58.999999998.
    expect(fromNumber(-1.0000000019)).toBe('1969-12-31 23:59:58.999999998');
  });

  test('values that are neither numbers nor strings are not timestamps', () => {
    expect(parseCloudflareTime(true)).toBeUndefined();
    expect(parseCloudflareTime(null)).toBeUndefined();
    expect(parseCloudflareTime({})).toBeUndefined();
    expect(parseCloudflareTime([1506702504])).toBeUndefined();
    expect(fromNumber(Number.NaN)).toBeUndefined();
    expect(fromNumber(Number.POSITIVE_INFINITY)).toBeUndefined();
  });
});

describe('parseCloudflareTime: RFC3339 strings', () => {
  test('rfc3339 (whole seconds)', () => {
    expect(parseCloudflareTime('2017-09-29T16:28:24Z')).toBe('2017-09-29 16:28:24.000000000');
  });

  test('rfc3339ms (three fractional digits)', () => {
    expect(parseCloudflareTime('2017-09-29T16:28:24.433Z')).toBe('2017-09-29 16:28:24.433000000');
  });

  test('rfc3339ns (nine fractional digits) is exact', () => {
    expect(parseCloudflareTime('2017-09-29T16:28:24.433000200Z')).toBe('2017-09-29 16:28:24.433000200');
  });

  test.each([
    ['2017-09-29T16:28:24.4Z', '2017-09-29 16:28:24.400000000'],
    ['2017-09-29T16:28:24.43Z', '2017-09-29 16:28:24.430000000'],
    ['2017-09-29T16:28:24.4330Z', '2017-09-29 16:28:24.433000000'],
    ['2017-09-29T16:28:24.43300Z', '2017-09-29 16:28:24.433000000'],
    ['2017-09-29T16:28:24.433001Z', '2017-09-29 16:28:24.433001000'],
    ['2017-09-29T16:28:24.4330012Z', '2017-09-29 16:28:24.433001200'],
    ['2017-09-29T16:28:24.43300123Z', '2017-09-29 16:28:24.433001230'],
  ])('%s has every fractional digit count from 1 to 9', (input, expected) => {
    expect(parseCloudflareTime(input)).toBe(expected);
  });

  test('more than nine fractional digits are truncated, not rounded', () => {
    expect(parseCloudflareTime('2017-09-29T16:28:24.9999999999Z')).toBe('2017-09-29 16:28:24.999999999');
  });

  test('offsets are applied to reach UTC, across a day boundary', () => {
    expect(parseCloudflareTime('2017-09-29T18:28:24+02:00')).toBe('2017-09-29 16:28:24.000000000');
    expect(parseCloudflareTime('2017-09-29T11:58:24.5-04:30')).toBe('2017-09-29 16:28:24.500000000');
    expect(parseCloudflareTime('2017-09-30T01:28:24+0900')).toBe('2017-09-29 16:28:24.000000000');
    expect(parseCloudflareTime('2017-09-29T23:30:00-01:00')).toBe('2017-09-30 00:30:00.000000000');
  });

  test('lower-case t/z, a space separator, a missing zone and a bare date are accepted as UTC', () => {
    expect(parseCloudflareTime('2017-09-29t16:28:24z')).toBe('2017-09-29 16:28:24.000000000');
    expect(parseCloudflareTime('2017-09-29 16:28:24')).toBe('2017-09-29 16:28:24.000000000');
    expect(parseCloudflareTime('2017-09-29')).toBe('2017-09-29 00:00:00.000000000');
  });

  test('years from 0100 on keep their four digits', () => {
    expect(fromRfc3339('0100-06-01T00:00:00Z')).toBe('0100-06-01 00:00:00.000000000');
    expect(fromRfc3339('9999-12-31T23:59:59.999999999Z')).toBe('9999-12-31 23:59:59.999999999');
  });

  test('hour 24 is the midnight that ends the day', () => {
    expect(parseCloudflareTime('2017-09-29T24:00:00Z')).toBe('2017-09-30 00:00:00.000000000');
  });

  test('the Unix epoch as Spectrum writes it on connect events', () => {
    expect(parseCloudflareTime('1970-01-01T00:00:00Z')).toBe('1970-01-01 00:00:00.000000000');
  });

  test('a leap second rolls over into the next minute', () => {
    expect(parseCloudflareTime('2016-12-31T23:59:60Z')).toBe('2017-01-01 00:00:00.000000000');
  });

  test('a leap second is accepted only at 23:59:60 UTC on the last day of a month, where one can be', () => {
    expect(parseCloudflareTime('2016-12-31T23:59:60.25Z')).toBe('2017-01-01 00:00:00.250000000');
    expect(parseCloudflareTime('2015-06-30T23:59:60Z')).toBe('2015-07-01 00:00:00.000000000');
    // Local time in another zone: 01:59:60+02:00 is 23:59:60 UTC.
    expect(parseCloudflareTime('2015-07-01T01:59:60+02:00')).toBe('2015-07-01 00:00:00.000000000');
    expect(parseCloudflareTime('2017-09-29T16:28:60Z')).toBeUndefined();
    expect(parseCloudflareTime('2015-06-30T23:59:60+02:00')).toBeUndefined(); // 21:59:60 UTC
    expect(parseCloudflareTime('2015-06-29T23:59:60Z')).toBeUndefined(); // not a month's last day
    expect(parseHttpDate('Tue, 30 Jun 2015 23:59:60 GMT')).toBe('2015-07-01 00:00:00.000000000');
    expect(parseHttpDate('Tue, 30 Jun 2015 12:00:60 GMT')).toBeUndefined();
  });

  test('offsets beyond RFC 3339 (hours over 23, minutes over 59) are refused', () => {
    for (const zone of ['+99:99', '+24:00', '-24:00', '+23:60', '-00:60', '+9999', '+2400', '+99']) {
      expect([zone, parseCloudflareTime(`2017-09-29T16:28:24${zone}`)]).toEqual([zone, undefined]);
    }
    expect(parseCloudflareTime('2017-09-29T16:28:24+23:59')).toBe('2017-09-28 16:29:24.000000000');
    expect(parseCloudflareTime('2017-09-29T16:28:24-23:59')).toBe('2017-09-30 16:27:24.000000000');
    expect(parseCloudflareTime('2017-09-29T16:28:24-00:00')).toBe('2017-09-29 16:28:24.000000000');
    expect(parseHttpDate('Fri, 29 Sep 2017 16:28:24 +9999')).toBeUndefined();
    expect(parseHttpDate('Fri, 29 Sep 2017 16:28:24 -2359')).toBe('2017-09-30 16:27:24.000000000');
  });

  test("year 0000 is refused like every instant before 0001-01-01 UTC, Athena's first day", () => {
    expect(parseCloudflareTime('0000-01-01')).toBeUndefined();
    expect(parseCloudflareTime('0000-12-31T23:59:59.999999999Z')).toBeUndefined();
    expect(parseCloudflareTime('0001-01-01T00:30:00+01:00')).toBeUndefined(); // 0000-12-31 23:30 UTC
    // The instant decides, not the local year: 23:00-02:00 on the last day of year 0 is 0001 in UTC.
    expect(parseCloudflareTime('0000-12-31T23:00:00-02:00')).toBe('0001-01-01 01:00:00.000000000');
  });

  test.each([
    '2017-02-30T00:00:00Z',
    '2020-02-30',
    '2021-02-29',
    '2017-04-31',
    '2017-13-01T00:00:00Z',
    '2017-00-10',
    '2017-09-00',
    '2017-09-29T16:61:00Z',
    'yesterday',
    '',
    '2017/09/29',
    'Fri, 29 Sep 2017 16:28:24 GMT',
  ])(
    '%j is not an RFC3339 timestamp',
    (input) => {
      expect(parseCloudflareTime(input)).toBeUndefined();
    },
  );

  test('years outside Athena\'s 0001..9999 are refused', () => {
    expect(formatEpoch(-62135596801, '000000000')).toBeUndefined();
    expect(formatEpoch(-62135596800, '000000000')).toBe('0001-01-01 00:00:00.000000000');
    expect(formatEpoch(253402300800, '000000000')).toBeUndefined();
    expect(formatEpoch(253402300799, '000000000')).toBe('9999-12-31 23:59:59.000000000');
  });
});

describe('why a value is not a timestamp (reject messages)', () => {
  test.each([
    ['2020-02-30', 'not a valid date: the month has no such day'],
    ['2021-02-29T00:00:00Z', 'not a valid date: the month has no such day'],
    ['2017-09-00', 'not a valid date: the month has no such day'],
    ['2017-13-01', 'not a valid date: the month is not 01-12'],
    ['2017-00-01T00:00:00Z', 'not a valid date: the month is not 01-12'],
    ['0000-01-01', "outside the years 0001..9999 (UTC) that the lake's timestamps hold"],
    ['9999-12-31T23:59:60Z', "outside the years 0001..9999 (UTC) that the lake's timestamps hold"],
    ['2017-09-29T16:28:24+99:99', 'not a valid UTC offset: RFC 3339 allows hours 00-23 and minutes 00-59'],
    ['2017-09-29T16:28:24-2400', 'not a valid UTC offset: RFC 3339 allows hours 00-23 and minutes 00-59'],
    ['2017-09-29T25:00:00Z', 'not a valid time of day'],
    ['2017-09-29T24:00:01Z', 'not a valid time of day'],
    ['2017-09-29T16:28:60Z', 'not a valid time of day: a leap second is 23:59:60 UTC on the last day of a month'],
  ])('%s: %s', (text, why) => {
    expect(parseCloudflareTime(text)).toBeUndefined();
    expect(whyNotRfc3339(text)).toBe(why);
    expect(whyNotCloudflareTime(text)).toBe(why);
    expect(whyNotHttpDate(text)).toBe(why);
  });

  test('integers and numbers say why', () => {
    expect(whyNotCloudflareTime('123456789012345678901')).toBe('an integer of more than 19 digits: nanoseconds since 1970 have at most 19');
    expect(whyNotCloudflareTime(1e20)).toBe('an integer of more than 19 digits: nanoseconds since 1970 have at most 19');
    expect(whyNotCloudflareTime(1e17 + 0.5)).toBeUndefined(); // a valid value has nothing wrong with it
    // A fractional number is seconds, whatever its size.
    expect(whyNotCloudflareTime(-1e12 - 0.5)).toBe("outside the years 0001..9999 (UTC) that the lake's timestamps hold");
    expect(whyNotCloudflareTime('1506702504433000200.5')).toBe('a number with a fraction in a string: only integer digits are read from a string');
  });

  test('HTTP dates say why, in their own form too', () => {
    expect(whyNotHttpDate('Fri, 31 Feb 2016 07:28:00 GMT')).toBe('not a valid date: the month has no such day');
    expect(whyNotHttpDate('Fri, 21 Foo 2016 07:28:00 GMT')).toBe('not a valid date: no month has that name');
    expect(whyNotHttpDate('Fri, 21 Oct 2016 07:28:00 +9999')).toBe('not a valid UTC offset: RFC 3339 allows hours 00-23 and minutes 00-59');
  });

  test('a value not shaped like a timestamp has no specific reason (the caller names its kind)', () => {
    for (const v of ['yesterday', '', '2017/09/29', true, null, {}, '2017-09-29T16:28:24Z']) {
      expect(whyNotCloudflareTime(v)).toBeUndefined();
    }
    expect(whyNotHttpDate(1477034880)).toBeUndefined();
    expect(whyNotHttpDate('Fri, 21 Oct 2016 07:28:00 GMT')).toBeUndefined();
  });
});

describe('parseHttpDate', () => {
  test('an RFC1123 date is read as UTC', () => {
    expect(parseHttpDate('Fri, 21 Oct 2016 07:28:00 GMT')).toBe('2016-10-21 07:28:00.000000000');
  });

  test('the weekday is not checked (real headers get it wrong)', () => {
    expect(parseHttpDate('Mon, 21 Oct 2016 07:28:00 GMT')).toBe('2016-10-21 07:28:00.000000000');
  });

  test('RFC850 dates with two-digit years and numeric offsets', () => {
    expect(fromRfc1123('Friday, 21-Oct-16 07:28:00 GMT')).toBe('2016-10-21 07:28:00.000000000');
    expect(fromRfc1123('21 Oct 2016 09:28:00 +0200')).toBe('2016-10-21 07:28:00.000000000');
  });

  test('RFC3339 is accepted as a fallback', () => {
    expect(parseHttpDate('2016-10-21T07:28:00Z')).toBe('2016-10-21 07:28:00.000000000');
  });

  test('anything else is not a date', () => {
    expect(parseHttpDate('Fri, 21 Foo 2016 07:28:00 GMT')).toBeUndefined();
    expect(parseHttpDate('')).toBeUndefined();
    expect(parseHttpDate(1477034880)).toBeUndefined();
    expect(parseHttpDate('Fri, 31 Feb 2016 07:28:00 GMT')).toBeUndefined();
  });
});

describe('formatDate', () => {
  test('a Date is written in the output form with milliseconds as the first three digits', () => {
    expect(formatDate(new Date('2026-11-24T12:00:00Z'))).toBe('2026-11-24 12:00:00.000000000');
    expect(formatDate(new Date('2026-11-24T12:00:00.123Z'))).toBe('2026-11-24 12:00:00.123000000');
    expect(formatDate(new Date(-1))).toBe('1969-12-31 23:59:59.999000000');
  });

  test('every output has the fixed-width form', () => {
    for (const v of [1506702504, 1506702504433, '2017-09-29T16:28:24.433Z', '2017-09-29']) {
      expect(parseCloudflareTime(v)).toMatch(OUTPUT_FORM);
    }
  });

  test('the per-second cache never leaks one second into the next call', () => {
    const a = parseCloudflareTime(1506702504);
    const b = parseCloudflareTime(1506702505);
    const c = parseCloudflareTime(1506702504);
    expect([a, b, c]).toEqual([
      '2017-09-29 16:28:24.000000000',
      '2017-09-29 16:28:25.000000000',
      '2017-09-29 16:28:24.000000000',
    ]);
  });
});

describe('the edges of the calendar', () => {
  test('years 0001..0099 keep their year (Go zero time)', () => {
    expect(parseCloudflareTime('0001-01-01T00:00:00Z')).toBe('0001-01-01 00:00:00.000000000');
    expect(parseCloudflareTime('0099-06-01T00:00:00Z')).toBe('0099-06-01 00:00:00.000000000');
    expect(parseHttpDate('Mon, 01 Jan 0001 00:00:00 GMT')).toBe('0001-01-01 00:00:00.000000000');
  });

  test('hour 24 on a day that does not exist is refused', () => {
    expect(parseCloudflareTime('2017-09-31T24:00:00Z')).toBeUndefined();
    expect(parseCloudflareTime('2017-09-29T24:30:00Z')).toBeUndefined();
  });
});

describe('the lake timestamp read back', () => {
  const nanosOf = (iso: string, extraNanos: bigint): bigint => BigInt(new Date(iso).getTime()) * 1_000_000n + extraNanos;

  test('timestampNanos gives the exact instant, before 1970 and in years 0001 and 9999 too (proleptic Gregorian)', () => {
    expect(timestampNanos('2017-09-29 16:28:24.433000201')).toBe(nanosOf('2017-09-29T16:28:24.433Z', 201n));
    expect(timestampNanos('1970-01-01 00:00:00.000000000')).toBe(0n);
    expect(timestampNanos('1969-12-31 23:59:59.999999999')).toBe(-1n);
    expect(timestampNanos('0001-01-01 00:00:00.000000000')).toBe(nanosOf('0001-01-01T00:00:00Z', 0n));
    expect(timestampNanos('1600-02-29 12:00:00.000000001')).toBe(nanosOf('1600-02-29T12:00:00Z', 1n));
    expect(timestampNanos('9999-12-31 23:59:59.999999999')).toBe(nanosOf('9999-12-31T23:59:59.999Z', 999_999n));
  });

  test('timestampNanos reads back what the parser writes', () => {
    for (const input of ['1506702504433000201', '2026-11-01T10:00:00.123456789+02:00', '0099-03-01T00:00:00Z']) {
      const ts = parseCloudflareTime(input) as string;
      expect(ts).toHaveLength(LAKE_TIME_LENGTH);
      const back = new Date(Number((timestampNanos(ts) as bigint) / 1_000_000n)).toISOString();
      expect(`${back.slice(0, 10)} ${back.slice(11, 23)}`).toBe(ts.slice(0, 23));
    }
  });

  test('timestampNanos refuses other text', () => {
    expect(timestampNanos('2017-09-29 16:28:24.433')).toBeUndefined();
    expect(timestampNanos('2017-09-29 16:28:24.43300020x')).toBeUndefined();
    expect(timestampNanos('2017-09-29 16:28:24.-43300020')).toBeUndefined();
    expect(timestampNanos('2017-xx-29 16:28:24.433000201')).toBeUndefined();
  });

  test('hasLakeTimeShape tells the lake text by its length and separators', () => {
    expect(hasLakeTimeShape('2017-09-29 16:28:24.433000201')).toBe(true);
    expect(hasLakeTimeShape('2017-09-29T16:28:24.433000201')).toBe(false);
    expect(hasLakeTimeShape('2017-09-29 16:28:24.43300020')).toBe(false);
  });

  test('lakeTimeOf pads the fraction to nine digits', () => {
    expect(lakeTimeOf('2022-05-10', '06:36:57', '')).toBe('2022-05-10 06:36:57.000000000');
    expect(lakeTimeOf('2022-05-10', '06:36:57', '123')).toBe('2022-05-10 06:36:57.123000000');
  });

  test('epochMinute and minuteText are inverses, years 0001-0099 included', () => {
    for (const ts of ['2026-11-01 10:07:00.000000000', '0042-01-01 00:00:00.000000000', '1969-12-31 23:59:00.000000000']) {
      expect(minuteText(epochMinute(ts))).toBe(ts);
    }
    expect(epochMinute('1970-01-01 00:02:59.999999999')).toBe(2);
    expect(Number.isNaN(epochMinute('not a time at all, not a time'))).toBe(true);
  });
});
