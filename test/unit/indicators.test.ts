import { INDICATOR_COLUMNS } from '../../lib/row/contract';
import { hostOfUrl, IndicatorSet } from '../../lib/row/indicators';
import type { Indicator } from '../../lib/schema/model';

function collect(pairs: [Indicator, unknown][]): Record<string, unknown> {
  const s = new IndicatorSet();
  for (const [k, v] of pairs) s.add(k, v);
  const row: Record<string, unknown> = {};
  s.assignTo(row);
  return row;
}

describe('IndicatorSet: IP addresses', () => {
  test('IPv4, IPv6 and v4-mapped IPv6 addresses are kept; IPv6 lower-cased', () => {
    const row = collect([
      ['ip', '203.0.113.7'],
      ['ip', '2001:DB8::1'],
      ['ip', '::ffff:198.51.100.2'],
    ]);
    expect(row.p_any_ip_addresses).toEqual(['2001:db8::1', '203.0.113.7', '::ffff:198.51.100.2']);
  });

  test('things that are not addresses are refused', () => {
    const row = collect([
      ['ip', '256.1.1.1'],
      ['ip', '1.2.3'],
      ['ip', 'example.com'],
      ['ip', '2001:db8::g'],
      ['ip', '10.0.0.1:443'],
      ['ip', 12345],
    ]);
    expect(row).toEqual({});
  });

  test.each(['', '00', '0', '-', 'unknown', 'NONE', 'null', 'undefined', '   '])('placeholder %j never enters an array', (v) => {
    expect(collect([['ip', v], ['trace_id', v], ['domain', v], ['username', v], ['email', v]])).toEqual({});
  });

  test('surrounding whitespace is trimmed', () => {
    expect(collect([['ip', ' 192.0.2.1 ']]).p_any_ip_addresses).toEqual(['192.0.2.1']);
  });
});

describe('IndicatorSet: domains and URLs', () => {
  test('a domain field keeps the host name, lower-cased, without port or trailing dot', () => {
    const row = collect([
      ['domain', 'WWW.Example.COM'],
      ['domain', 'api.example.com:8443'],
      ['domain', 'cdn.example.net.'],
    ]);
    expect(row.p_any_domain_names).toEqual(['api.example.com', 'cdn.example.net', 'www.example.com']);
  });

  test('a URL-valued field contributes its host only', () => {
    const row = collect([
      ['url', 'https://user:pw@Shop.Example.org:8080/path?q=1#frag'],
      ['url', 'http://example.com/'],
      ['url', '/just/a/path'],
    ]);
    expect(row.p_any_domain_names).toEqual(['example.com', 'shop.example.org']);
  });

  test('a domain field that holds a URL is reduced to its host', () => {
    expect(collect([['domain', 'https://www.example.com/x']]).p_any_domain_names).toEqual(['www.example.com']);
  });

  test('hosts that are IP addresses go to the IP array, IPv6 in brackets too', () => {
    const row = collect([
      ['domain', '198.51.100.9'],
      ['domain', '198.51.100.10:8080'],
      ['url', 'http://[2001:db8::2]:8080/x'],
      ['url', 'https://192.0.2.44/login'],
    ]);
    expect(row.p_any_ip_addresses).toEqual(['192.0.2.44', '198.51.100.10', '198.51.100.9', '2001:db8::2']);
    expect(row.p_any_domain_names).toBeUndefined();
  });

  test('values that are not host names are left out', () => {
    const row = collect([
      ['domain', 'not a host'],
      ['domain', 'a/b'],
      ['url', 'https://'],
      ['domain', '-bad-.example.com'],
    ]);
    expect(row).toEqual({});
  });
});

describe('IndicatorSet: other kinds, order and de-duplication', () => {
  test('trace ids are kept as written', () => {
    expect(collect([['trace_id', '7d4b0d6b8c9a1e2f'], ['trace_id', '00']]).p_any_trace_ids).toEqual(['7d4b0d6b8c9a1e2f']);
  });

  test('e-mails are lower-cased and must look like an address', () => {
    const row = collect([
      ['email', 'Alice@Example.COM'],
      ['email', 'alice@example.com'],
      ['email', 'not-an-email'],
      ['email', 'two@@x'],
    ]);
    expect(row.p_any_emails).toEqual(['alice@example.com']);
  });

  test('usernames may arrive as numbers and become text', () => {
    expect(collect([['username', 'u-42'], ['username', 1234]]).p_any_usernames).toEqual(['1234', 'u-42']);
  });

  test('every array is sorted and de-duplicated', () => {
    const row = collect([
      ['ip', '10.0.0.2'],
      ['ip', '10.0.0.1'],
      ['ip', '10.0.0.2'],
      ['domain', 'b.example.com'],
      ['url', 'https://b.example.com/'],
      ['domain', 'a.example.com'],
    ]);
    expect(row.p_any_ip_addresses).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(row.p_any_domain_names).toEqual(['a.example.com', 'b.example.com']);
  });

  test('arrays are assigned in the contract order and only when non-empty', () => {
    const row = collect([
      ['username', 'u'],
      ['email', 'a@b.c'],
      ['trace_id', 't'],
      ['domain', 'example.com'],
      ['ip', '192.0.2.1'],
    ]);
    expect(Object.keys(row)).toEqual([...INDICATOR_COLUMNS]);
    expect(Object.keys(collect([['trace_id', 't'], ['ip', '192.0.2.1']]))).toEqual(['p_any_ip_addresses', 'p_any_trace_ids']);
  });

  test('values over 1024 characters are not indicators', () => {
    expect(collect([['trace_id', 'x'.repeat(1025)]])).toEqual({});
    expect(collect([['trace_id', 'x'.repeat(1024)]]).p_any_trace_ids).toEqual(['x'.repeat(1024)]);
  });

  test('non-string values other than numeric usernames are ignored', () => {
    expect(collect([['trace_id', 42], ['domain', true], ['ip', null], ['email', { a: 1 }]])).toEqual({});
  });
});

describe('hostOfUrl', () => {
  test.each([
    ['https://www.example.com/path', 'www.example.com'],
    ['https://user@Host.example:8443/p?q', 'Host.example'],
    ['http://example.com?x=1', 'example.com'],
    ['http://example.com#top', 'example.com'],
    ['//cdn.example.com/lib.js', 'cdn.example.com'],
    ['example.com/x', 'example.com'],
    ['example.com:8080', 'example.com'],
    ['http://[2001:db8::1]:443/', '[2001:db8::1]'],
  ])('%s -> %s', (url, host) => {
    expect(hostOfUrl(url)).toBe(host);
  });

  test.each(['/path/only', 'https://', 'http://[2001:db8::1/x', ''])('%j has no host', (url) => {
    expect(hostOfUrl(url)).toBeUndefined();
  });
});

describe('IPv6 hosts in domain fields', () => {
  test('a bracketed IPv6 host with a port in a domain field (an IPv6 Host header) reaches the IP array', () => {
    const s = new IndicatorSet();
    s.add('domain', '[2001:db8::1]:8080');
    const row: Record<string, unknown> = {};
    s.assignTo(row);
    expect(row.p_any_ip_addresses).toEqual(['2001:db8::1']);
  });
});
