import { regex } from '../../lib/regex';

describe('regex: the linear-time regex for rules', () => {
  test("matches a pattern that backtracks for minutes in JavaScript's engine in linear time, with the right answer", () => {
    const php = regex('^(/?[a-z0-9]+)+\\.php$');
    expect(php.test(`/${'a'.repeat(34)}!`)).toBe(false);
    expect(php.test(`/${'a'.repeat(100_000)}!`)).toBe(false);
    expect(php.test('/wp/xmlrpc.php')).toBe(true);
  });

  test('flags i, s and m; exec gives the match and its groups like RegExp', () => {
    expect(regex('^/WP-(admin|login)', 'i').exec('/wp-login.php')).toEqual(['/wp-login', 'login']);
    expect(regex('a.b', 's').test('a\nb')).toBe(true);
    expect(regex('a.b').test('a\nb')).toBe(false);
    expect(regex('^b$', 'm').test('a\nb')).toBe(true);
    expect(regex('x(y)?').exec('x')).toEqual(['x', '']);
    expect(regex('z').exec('abc')).toBeNull();
  });

  test('a pattern RE2 cannot run in linear time, or an unknown flag, is refused when the rule loads, saying why', () => {
    expect(() => regex('(a)\\1')).toThrow(/regex "\(a\)\\\\1" is refused: backreferences/);
    expect(() => regex('a(?=b)')).toThrow(/lookahead and lookbehind/);
    expect(() => regex('a', 'g')).toThrow(/unknown flag "g"/);
  });
});
