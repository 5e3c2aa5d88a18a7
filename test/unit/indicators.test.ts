import { INDICATOR_COLUMNS } from '../../lib/row/contract';
import { canonicalIp, hostOfUrl, IndicatorSet } from '../../lib/row/indicators';
import type { Indicator } from '../../lib/schema/model';

function collect(pairs: [Indicator, unknown][]): Record<string, unknown> {
  const s = new IndicatorSet();
  for (const [k, v] of pairs) s.add(k, v);
  const row: Record<string, unknown> = {};
  s.assignTo(row);
  return row;
}

describe('IndicatorSet: IP addresses', () => {
  test('IPv4 and IPv6 addresses are kept, IPv6 in its RFC 5952 form', () => {
    const row = collect([
      ['ip', '203.0.113.7'],
      ['ip', '2001:DB8::1'],
      ['ip', '2620:01F7:08C5:0000:0000:001F:949E:C04D'],
    ]);
    expect(row.p_any_ip_addresses).toEqual(['2001:db8::1', '203.0.113.7', '2620:1f7:8c5::1f:949e:c04d']);
  });

  test('an IPv4-mapped IPv6 address is the IPv4 address it maps, and joins it', () => {
    const row = collect([
      ['ip', '::ffff:78.197.123.35'],
      ['ip', '::FFFF:4EC5:7B23'],
      ['ip', '78.197.123.35'],
      ['ip', '0:0:0:0:0:ffff:198.51.100.2'],
    ]);
    expect(row.p_any_ip_addresses).toEqual(['198.51.100.2', '78.197.123.35']);
  });

  test.each(['0.0.0.0', '::', '0:0:0:0:0:0:0:0', '::0', '::ffff:0.0.0.0', '[::]:53', '0.0.0.0:0'])(
    'the unspecified address %j is a placeholder and never enters the array',
    (v) => {
      expect(collect([['ip', v], ['domain', v]])).toEqual({});
    },
  );

  test('an address with a port gives the address: ip:port and [ipv6]:port', () => {
    const row = collect([
      ['ip', '192.0.2.23:22'],
      ['ip', '[2001:DB8::53]:53'],
      ['ip', '[::ffff:192.0.2.24]:443'],
      ['ip', '[2001:db8::54]'],
    ]);
    expect(row.p_any_ip_addresses).toEqual(['192.0.2.23', '192.0.2.24', '2001:db8::53', '2001:db8::54']);
  });

  test('a bare IPv6 address ending in :digits is read as an address, not as one with a port', () => {
    expect(collect([['ip', '2001:db8::1:22']]).p_any_ip_addresses).toEqual(['2001:db8::1:22']);
  });

  test('a port that is not 1 to 5 digits, or junk after the brackets, refuses the value', () => {
    expect(collect([['ip', '192.0.2.1:'], ['ip', '192.0.2.1:http'], ['ip', '192.0.2.1:123456'], ['ip', '[2001:db8::1]x'], ['ip', '[2001:db8::1']])).toEqual({});
  });

  test('a CIDR is a network, not an address: it never enters the array, not even a /32', () => {
    expect(collect([['ip', '203.0.113.0/24'], ['ip', '2001:db8::/32'], ['ip', '198.51.100.7/32'], ['ip', '2001:db8::1/128']])).toEqual({});
  });

  test('a zone id is dropped, leaving the address; a zone that is not an interface name refuses the value', () => {
    const row = collect([
      ['ip', 'fe80::1%eth0'],
      ['ip', 'FE80::2%25en0'],
      ['ip', '[fe80::3%lo]:22'],
      ['ip', 'fe80::4%<script>'],
      ['ip', 'fe80::5%'],
      ['ip', '192.0.2.1%eth0'],
    ]);
    expect(row.p_any_ip_addresses).toEqual(['fe80::1', 'fe80::2', 'fe80::3']);
  });

  test('things that are not addresses are refused', () => {
    const row = collect([
      ['ip', '256.1.1.1'],
      ['ip', '1.2.3'],
      ['ip', '01.2.3.4'],
      ['ip', 'example.com'],
      ['ip', '2001:db8::g'],
      ['ip', '1::2::3'],
      ['ip', '1:2:3:4:5:6:7:8:9'],
      ['ip', '00001::'],
      ['ip', '__proto__'],
      ['ip', 12345],
    ]);
    expect(row).toEqual({});
  });

  test('a value longer than any address text is refused without parsing', () => {
    expect(collect([['ip', '1:'.repeat(100_000) + '1'], ['ip', ' '.repeat(200) + '192.0.2.1' + 'x'.repeat(200)], ['ip', 'f'.repeat(1_000_000)]])).toEqual({});
  });

  test.each(['', '00', '0', '-', 'unknown', 'NONE', 'null', 'undefined', '   '])('placeholder %j never enters an array', (v) => {
    expect(collect([['ip', v], ['trace_id', v], ['domain', v], ['username', v], ['email', v]])).toEqual({});
  });

  test('surrounding whitespace is trimmed', () => {
    expect(collect([['ip', ' 192.0.2.1 ']]).p_any_ip_addresses).toEqual(['192.0.2.1']);
  });
});

describe('canonicalIp: RFC 5952', () => {
  test.each([
    ['2620:01F7:08C5:0000:0000:001F:949E:C04D', '2620:1f7:8c5::1f:949e:c04d'],
    ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:0', '2001:db8:0:0:1::'], // the longest run is shortened
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // equal runs: the first
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // one zero group stays 0
    ['2001:db8::1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // ... even where the input wrote ::
    ['0:0:0:0:0:0:0:1', '::1'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['1::', '1::'],
    ['0:1:0:0:0:0:0:0', '0:1::'],
    ['fe80:0:0:0:0:0:0:0', 'fe80::'],
    ['FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
    ['::1:2:3:4:5:6:7', '0:1:2:3:4:5:6:7'],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'], // an embedded IPv4 outside ::ffff:0:0/96 is written in hex
    ['::192.0.2.1', '::c000:201'],
    ['::ffff:0:192.0.2.1', '::ffff:0:c000:201'],
    ['::1', '::1'],
  ])('%s -> %s', (v, want) => {
    expect(canonicalIp(v)).toBe(want);
  });

  test('agrees with the WHATWG URL serialiser (RFC 5952 without the IPv4 forms) on generated addresses', () => {
    // Deterministic: groups drawn mostly from 0 so runs of zeros of every length and position occur.
    let seed = 16;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    const choices = [0, 0, 0, 1, 0xffff, 0xabc, 0x1f];
    for (let n = 0; n < 5000; n++) {
      const groups = Array.from({ length: 8 }, () => choices[next() % choices.length] as number);
      const text = groups.map((g) => g.toString(16).toUpperCase().padStart(1 + (next() % 4), '0')).join(':');
      const url = new URL(`http://[${text}]/`).hostname.slice(1, -1);
      const mapped = groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
      if (url === '::' || mapped) continue;
      expect([text, canonicalIp(text)]).toEqual([text, url]);
      // The canonical text is its own canonical form (the input already compressed, as most logs write it).
      expect([url, canonicalIp(url)]).toEqual([url, url]);
      // Any zero run written as `::`, not necessarily the one RFC 5952 picks, gives the same text.
      const zeros = groups.flatMap((g, k) => (g === 0 ? [k] : []));
      if (zeros.length) {
        const from = zeros[next() % zeros.length] as number;
        let to = from + 1;
        while (to < 8 && groups[to] === 0 && next() % 3 !== 0) to++;
        const parts = groups.map((g) => g.toString(16));
        const short = `${parts.slice(0, from).join(':')}::${parts.slice(to).join(':')}`;
        expect([short, canonicalIp(short)]).toEqual([short, url]);
      }
    }
  });

  test('an already canonical address is its own canonical form', () => {
    for (const v of ['2001:db8::1', '198.51.100.7', '2620:1f7:8c5::1f:949e:c04d', 'fe80::']) expect(canonicalIp(v)).toBe(v);
  });
});

describe('IndicatorSet: domains and URLs', () => {
  test('a domain field keeps the host name, lower-cased, without port or trailing dot', () => {
    const row = collect([
      ['domain', 'WWW.Example.COM'],
      ['domain', 'api.example.com:8443'],
      ['domain', 'cdn.example.net.'],
      ['domain', 'foO-BAR-baz.xYz.'],
    ]);
    expect(row.p_any_domain_names).toEqual(['api.example.com', 'cdn.example.net', 'foo-bar-baz.xyz', 'www.example.com']);
  });

  test('the same name in any case and with or without its trailing dot is one entry', () => {
    const row = collect([['domain', 'Example.COM.'], ['domain', 'example.com'], ['url', 'https://EXAMPLE.com/']]);
    expect(row.p_any_domain_names).toEqual(['example.com']);
  });

  test('single-label names are not domains: localhost, an SNI without a dot, the DNS root, __proto__', () => {
    const row = collect([
      ['domain', 'localhost'],
      ['domain', 'EXAMPLE-MAIL'],
      ['domain', 'hello-server-name'],
      ['domain', 'intranet.'],
      ['domain', '.'],
      ['domain', '__proto__'],
      ['url', 'http://printer/status'],
    ]);
    // The URL is still a URL: it joins the rows holding the same one.
    expect(row).toEqual({ p_any_urls: ['http://printer/status'] });
  });

  test('names ending in a numeric label (broken IPv4 addresses) are not domains', () => {
    expect(collect([['domain', '1.2.3'], ['domain', '256.1.1.1'], ['domain', '192.168.1.300'], ['domain', '10.0.0.1.5']])).toEqual({});
    // A numeric label elsewhere is fine: reverse DNS names, hosts named by digits.
    expect(collect([['domain', '35.123.197.78.in-addr.arpa'], ['domain', '123.example.com']]).p_any_domain_names).toEqual([
      '123.example.com',
      '35.123.197.78.in-addr.arpa',
    ]);
  });

  test('only ASCII letters make a name: a Kelvin sign is not lower-cased into a k', () => {
    expect(collect([['domain', '\u212Aey.example.com'], ['domain', 'ex\u017Fample.com'], ['domain', 'münchen.de']])).toEqual({});
  });

  test('over-long names and labels are refused', () => {
    expect(collect([['domain', `${'a'.repeat(64)}.example.com`], ['domain', `${'a.'.repeat(127)}com`], ['domain', 'a.'.repeat(500_000) + 'com']])).toEqual({});
    expect(collect([['domain', `${'a'.repeat(63)}.example.com`]]).p_any_domain_names).toEqual([`${'a'.repeat(63)}.example.com`]);
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

  test('hosts that are IP addresses go to the IP array in canonical form, never to the domains', () => {
    const row = collect([
      ['domain', '198.51.100.9'],
      ['domain', '198.51.100.10:8080'],
      ['domain', '198.51.100.11.'],
      ['url', 'http://[2001:DB8:0::2]:8080/x'],
      ['url', 'https://192.0.2.44/login'],
      ['url', 'http://[::ffff:192.0.2.45]/'],
      ['domain', '[203.0.113.7]'],
      ['domain', '[2001:db8::53]:53'],
      ['domain', 'fe80::1%eth0'],
    ]);
    expect(row.p_any_ip_addresses).toEqual([
      '192.0.2.44',
      '192.0.2.45',
      '198.51.100.10',
      '198.51.100.11',
      '198.51.100.9',
      '2001:db8::2',
      '2001:db8::53',
      '203.0.113.7',
      'fe80::1',
    ]);
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

  test('a display form gives its address: Name <addr>, "Last, First" <addr>, <addr>', () => {
    const row = collect([
      ['email', 'Accounts Payable <AP@example.com>'],
      ['email', '"Doe, Jane" <jane@example.com>'],
      ['email', '<bounce-42@mail.example.net>'],
      ['email', 'Bob<bob@example.org>'],
      ['email', 'ap@example.com'],
    ]);
    expect(row.p_any_emails).toEqual(['ap@example.com', 'bob@example.org', 'bounce-42@mail.example.net', 'jane@example.com']);
  });

  test('a display form without an address gives nothing: <>, Name <>, Name <not an address>, unbalanced brackets', () => {
    expect(
      collect([
        ['email', '<>'],
        ['email', 'Name <>'],
        ['email', 'Name <not an address>'],
        ['email', 'Name addr@example.com>'],
        ['email', 'Name <addr@example.com'],
        ['email', '<a@example.com> <b@example.com'],
        ['email', 'a@example.com, b@example.com'],
      ]),
    ).toEqual({});
  });

  test('__proto__ is an ordinary value, and a long e-mail value is refused', () => {
    const row = collect([
      ['email', '__proto__@example.com'],
      ['username', '__proto__'],
      ['trace_id', 'constructor'],
      ['email', `${'a'.repeat(1100)}@example.com`],
      ['email', `Name <${'a'.repeat(1_000_000)}`],
    ]);
    expect(row).toEqual({ p_any_trace_ids: ['constructor'], p_any_emails: ['__proto__@example.com'], p_any_usernames: ['__proto__'] });
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).email).toBeUndefined();
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
      ['device_id', 'dev-1'],
      ['sha256', 'ab'.repeat(32)],
      ['sha1', 'cd'.repeat(20)],
      ['md5', 'ef'.repeat(16)],
      ['url', 'https://example.net/a'],
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

describe('IndicatorSet: URLs, hashes and device ids', () => {
  test('a URL goes to p_any_urls as received, its host to the names or addresses; text that is no URL goes nowhere', () => {
    expect(collect([['url', ' https://WWW.Example.com/login?next=%2F '], ['url', 'https://198.51.100.9:8443/x'], ['url', 'not a url'], ['url', '/relative/path']])).toEqual({
      p_any_ip_addresses: ['198.51.100.9'],
      p_any_domain_names: ['www.example.com'],
      p_any_urls: ['https://198.51.100.9:8443/x', 'https://WWW.Example.com/login?next=%2F'],
    });
  });

  test('hashes of their kind\'s length in hex, lower-cased; other lengths or characters are not hashes', () => {
    const sha256 = 'A'.repeat(64);
    expect(
      collect([
        ['sha256', sha256],
        ['sha256', 'a'.repeat(63)],
        ['sha256', 'g'.repeat(64)],
        ['md5', '0123456789ABCDEF0123456789abcdef'],
        ['md5', 'a'.repeat(64)],
        ['sha1', 'b'.repeat(40)],
      ]),
    ).toEqual({ p_any_md5_hashes: ['0123456789abcdef0123456789abcdef'], p_any_sha1_hashes: ['b'.repeat(40)], p_any_sha256_hashes: ['a'.repeat(64)] });
  });

  test('device ids lower-cased (UUIDs come in both cases), placeholders left out', () => {
    expect(collect([['device_id', 'F0E1D2C3-0000-4000-8000-000000000001'], ['device_id', 'f0e1d2c3-0000-4000-8000-000000000001'], ['device_id', '']])).toEqual({
      p_any_device_ids: ['f0e1d2c3-0000-4000-8000-000000000001'],
    });
  });
});
