import { parseCloudflareTime, parseHttpDate } from '../../lib/record/timestamps';

test('years 0001..0099 keep their year (Go zero time)', () => {
  expect(parseCloudflareTime('0001-01-01T00:00:00Z')).toBe('0001-01-01 00:00:00.000000000');
  expect(parseCloudflareTime('0099-06-01T00:00:00Z')).toBe('0099-06-01 00:00:00.000000000');
  expect(parseHttpDate('Mon, 01 Jan 0001 00:00:00 GMT')).toBe('0001-01-01 00:00:00.000000000');
});

test('hour 24 on a day that does not exist is refused', () => {
  expect(parseCloudflareTime('2017-09-31T24:00:00Z')).toBeUndefined();
  expect(parseCloudflareTime('2017-09-29T24:30:00Z')).toBeUndefined();
});
