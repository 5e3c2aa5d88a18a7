import { RE2JS, RE2JSException } from 're2js';
import { ConfigError } from './errors';

/**
 * Regexes for text a client controls (filters, detection rules): RE2 syntax, matched by re2js (pure JavaScript) in
 * time linear in the text whatever the pattern. JavaScript's own engine backtracks: `^(\/?[a-z0-9]+)+\.php$` on
 * `/aaaa...a!` runs for minutes. RE2 has no backreferences and no lookaround, the features that need backtracking;
 * a pattern using them is refused when it is compiled, with the reason.
 */

export const REGEX_SYNTAX = 'RE2 syntax (https://github.com/google/re2/wiki/Syntax)';

/** Compiles `pattern` (RE2 syntax, RE2JS flag bits); `fail` is called with a message saying why it cannot be. */
export function compileLinear(pattern: string, fail: (message: string) => never, flags = 0): RE2JS {
  try {
    return RE2JS.compile(pattern, flags);
  } catch (e) {
    if (!(e instanceof RE2JSException)) throw e;
    const why = /\\[1-9]|\\k</.test(pattern)
      ? 'backreferences (\\1, \\k<name>) are not supported; '
      : /\(\?<?[=!]/.test(pattern)
        ? 'lookahead and lookbehind ((?=, (?!, (?<=, (?<!) are not supported; '
        : '';
    return fail(`regex ${JSON.stringify(pattern)} is refused: ${why}${e.message}. Only ${REGEX_SYNTAX} is accepted: it matches in linear time`);
  }
}

/** A compiled linear-time regex, shaped like the part of RegExp a rule uses. */
export interface LinearRegex {
  /** Whether the pattern matches anywhere in `text` (RegExp.prototype.test without the `g` flag's state). */
  test(text: string): boolean;
  /** The match and its groups, or null: like RegExp.prototype.exec's array (index 0 the whole match). */
  exec(text: string): string[] | null;
  readonly source: string;
}

const FLAGS: Record<string, number> = { i: RE2JS.CASE_INSENSITIVE, s: RE2JS.DOTALL, m: RE2JS.MULTILINE };

/**
 * `regex('^/wp-(admin|login)', 'i')`: for detection rules, in place of a RegExp literal, so that no row can make a
 * rule run for long. Flags: `i` (case-insensitive), `s` (`.` matches a newline), `m` (`^`/`$` at line breaks).
 * Throws at compile time (when the rule file loads) for a pattern RE2 cannot run or an unknown flag.
 */
export function regex(pattern: string, flags = ''): LinearRegex {
  let bits = 0;
  for (const f of flags) {
    const bit = FLAGS[f];
    if (bit === undefined) throw new ConfigError(`regex ${JSON.stringify(pattern)}: unknown flag ${JSON.stringify(f)} (i, s and m are supported)`);
    bits |= bit;
  }
  const re = compileLinear(
    pattern,
    (m) => {
      throw new ConfigError(m);
    },
    bits,
  );
  return {
    source: pattern,
    test: (text) => re.test(text),
    exec(text) {
      const m = re.matcher(text);
      if (!m.find()) return null;
      const out: string[] = [];
      for (let g = 0; g <= m.groupCount(); g++) out.push(m.group(g) ?? '');
      return out;
    },
  };
}
