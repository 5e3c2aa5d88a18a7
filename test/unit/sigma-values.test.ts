import { base64Offsets, cidrMatcher, fieldMatcher, globParts } from '../../lib/sigma/values';
import { SigmaRefusal } from '../../lib/sigma/refusal';

const m = (values: unknown, ...modifiers: string[]) => fieldMatcher('f', values, modifiers);

describe('plain values and wildcards', () => {
  it('a plain string is the whole value, case-insensitively', () => {
    expect(m('GET')('get')).toBe(true);
    expect(m('GET')('GETX')).toBe(false);
    expect(m('/Admin')('/admin')).toBe(true);
  });

  it('* is any run, ? one character', () => {
    expect(m('*/wp-*.php')('/blog/wp-login.php')).toBe(true);
    expect(m('*/wp-*.php')('/blog/wp-login.phps')).toBe(false);
    expect(m('a?c')('abc')).toBe(true);
    expect(m('a?c')('ac')).toBe(false);
    expect(m('a?c')('abbc')).toBe(false);
    expect(m('*?/dana/*')('x?/dana/y')).toBe(true);
  });

  it('\\ escapes * ? and itself; before anything else it is a backslash', () => {
    expect(globParts('a\\*b')).toEqual([{ lit: 'a*b' }]);
    expect(m('a\\*b')('a*b')).toBe(true);
    expect(m('a\\*b')('axxb')).toBe(false);
    expect(m('/asp.asp\\?ui=', 'contains')('http://h/asp.asp?ui=1')).toBe(true);
    expect(m('/asp.asp\\?ui=', 'contains')('http://h/asp.aspXui=1')).toBe(false);
    expect(m('c:\\\\*')('c:\\windows')).toBe(true);
    expect(m('c:\\windows')('C:\\Windows')).toBe(true);
  });

  it('a wildcard across lines matches (no line anchoring) and regex characters are literal', () => {
    expect(m('a*b')('a\nb')).toBe(true);
    expect(m('(.*)+$')('(.*)+$')).toBe(true);
    expect(m('(.*)+$')('aaa')).toBe(false);
  });

  it('numbers match numbers and their text; booleans likewise', () => {
    expect(m(200)(200)).toBe(true);
    expect(m(200)('200')).toBe(true);
    expect(m(200)(404)).toBe(false);
    expect(m('200')(200)).toBe(true);
    expect(m(true)('true')).toBe(true);
    expect(m(5, 'startswith')(503)).toBe(true);
    expect(m(5, 'startswith')(404)).toBe(false);
  });

  it('null is an absent or empty field', () => {
    expect(m(null)(undefined)).toBe(true);
    expect(m(null)('')).toBe(true);
    expect(m(null)('x')).toBe(false);
  });

  it('a list is OR; with all, AND; an array field matches when any element does', () => {
    expect(m(['a', 'b'])('b')).toBe(true);
    expect(m(['x', 'y'], 'contains', 'all')('..x..y..')).toBe(true);
    expect(m(['x', 'y'], 'contains', 'all')('..x..')).toBe(false);
    expect(m('10.*')(['1.1.1.1', '10.0.0.1'])).toBe(true);
  });
});

describe('modifiers', () => {
  it('contains, startswith, endswith', () => {
    expect(m('jndi', 'contains')('${JNDI:ldap')).toBe(true);
    expect(m('/api', 'startswith')('/API/v1')).toBe(true);
    expect(m('/api', 'startswith')('/v1/api')).toBe(false);
    expect(m('.exe', 'endswith')('/x.EXE')).toBe(true);
    expect(m('.exe', 'endswith')('/x.exe?')).toBe(false);
    expect(m('a*c', 'contains')('xxabbbcxx')).toBe(true);
  });

  it('cased makes a string case-sensitive', () => {
    expect(m('GET', 'cased')('get')).toBe(false);
    expect(m('GET', 'cased')('GET')).toBe(true);
  });

  it('re: linear-time (re2js), case-sensitive unless i, unanchored; m and s flags', () => {
    expect(m('\\.(zip|asp)\\?d=[0-9]{1,3}', 're')('http://x/a.zip?d=10')).toBe(true);
    expect(m('ABC', 're')('abc')).toBe(false);
    expect(m('ABC', 're', 'i')('abc')).toBe(true);
    expect(m('(?i)ipfs\\.io/', 're')('IPFS.IO/x')).toBe(true);
    expect(m('^b$', 're')('a\nb')).toBe(false);
    expect(m('^b$', 're', 'm')('a\nb')).toBe(true);
    expect(m('a.b', 're')('a\nb')).toBe(false);
    expect(m('a.b', 're', 's')('a\nb')).toBe(true);
    // The pattern that backtracks for minutes in JavaScript's engine answers at once.
    const t = Date.now();
    expect(m('^(\\/?[a-z0-9]+)+\\.php$', 're')(`/${'a'.repeat(50000)}!`)).toBe(false);
    expect(Date.now() - t).toBeLessThan(2000);
  });

  it('re refuses backreferences and lookaround with the reason', () => {
    expect(() => m('(a)\\1', 're')).toThrow(/backreferences/);
    expect(() => m('a(?=b)', 're')).toThrow(/lookahead/);
  });

  it('cidr: IPv4 and IPv6', () => {
    expect(m(['10.0.0.0/8', 'fc00::/7'], 'cidr')('10.2.3.4')).toBe(true);
    expect(m(['10.0.0.0/8', 'fc00::/7'], 'cidr')('11.2.3.4')).toBe(false);
    expect(m(['10.0.0.0/8', 'fc00::/7'], 'cidr')('fd12::1')).toBe(true);
    expect(m('::1/128', 'cidr')('::1')).toBe(true);
    expect(m('::1/128', 'cidr')('::2')).toBe(false);
    expect(cidrMatcher('fe80::/10')('FE80:0:0:0:1::9')).toBe(true);
    expect(cidrMatcher('172.16.0.0/12')('172.31.255.255')).toBe(true);
    expect(cidrMatcher('172.16.0.0/12')('172.32.0.0')).toBe(false);
    expect(cidrMatcher('::ffff:0:0/96')('::ffff:1.2.3.4')).toBe(true);
    expect(() => m('10.0.0.0/33', 'cidr')).toThrow(SigmaRefusal);
    expect(() => m('banana', 'cidr')).toThrow(/not an IPv4 or IPv6 network/);
  });

  it('base64 and base64offset (the three offsets pySigma gives)', () => {
    expect(m('http', 'base64')('aHR0cA==')).toBe(true);
    expect(m('http', 'base64', 'contains')('xxaHR0cA==xx')).toBe(true);
    // base64 text is case-sensitive
    expect(m('http', 'base64')('AHR0CA==')).toBe(false);
    expect(base64Offsets(Buffer.from('/bin/bash'))).toEqual(['L2Jpbi9iYXNo', '9iaW4vYmFza', 'vYmluL2Jhc2']);
    const encoded = Buffer.from('echo x; /bin/bash -i').toString('base64');
    expect(m('/bin/bash', 'base64offset', 'contains')(encoded)).toBe(true);
  });

  it('utf16/wide go with base64', () => {
    expect(m('ab', 'wide', 'base64')(Buffer.from('ab', 'utf16le').toString('base64'))).toBe(true);
    expect(() => m('ab', 'wide')).toThrow(/only base64/);
  });

  it('windash: a leading dash may be a slash or a typographic dash', () => {
    const p = m(' -enc ', 'windash', 'contains');
    expect(p('powershell /enc x')).toBe(true);
    expect(p('powershell \u2013enc x')).toBe(true);
    expect(p('powershell -enc x')).toBe(true);
    expect(p('powershell +enc x')).toBe(false);
  });

  it('exists', () => {
    expect(m(true, 'exists')('x')).toBe(true);
    expect(m(true, 'exists')(undefined)).toBe(false);
    expect(m(false, 'exists')(undefined)).toBe(true);
  });

  it('lt lte gt gte compare numbers', () => {
    expect(m(400, 'gte')(404)).toBe(true);
    expect(m(400, 'gte')(400)).toBe(true);
    expect(m(400, 'gt')(400)).toBe(false);
    expect(m(400, 'lt')('200')).toBe(true);
    expect(m(400, 'lte')('abc')).toBe(false);
  });

  it('refuses unknown and unsupported modifiers and bad combinations, with the reason', () => {
    expect(() => m('x', 'banana')).toThrow(/unknown modifier "banana"/);
    expect(() => m('x', 'fieldref')).toThrow(/fieldref/);
    expect(() => m('x', 'contains', 'endswith')).toThrow(/exclude each other/);
    expect(() => m('x', 'i')).toThrow(/go with re/);
    expect(() => m([], 'contains')).toThrow(/empty value list/);
    expect(() => m('x', 'gt')).toThrow(/needs a number/);
  });
});
