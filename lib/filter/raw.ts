import { RE2JS, RE2Set } from 're2js';
import { compileLinear } from '../regex';

/**
 * Raw filters: tested on the line's bytes before JSON.parse, so a dropped line costs a byte search or an RE2 run.
 * Regexes run in linear time (RE2), with native byte searches in front of the engine wherever the pattern allows.
 */

/** A raw filter's test, on the line's bytes as received (buf from start to end). */
export type RawTest = (buf: Buffer, start: number, end: number) => boolean;

/** A raw filter's test from its `{ contains }` or `{ regex }` spec; `fail` throws with the filter's name. */
export function compileRaw(spec: unknown, fail: (m: string) => never): RawTest {
  const r = spec as { contains?: unknown; regex?: unknown };
  if (typeof r !== 'object' || r === null) return fail('raw must be a mapping with contains or regex');
  const keys = Object.keys(r);
  if (keys.length !== 1 || !['contains', 'regex'].includes(keys[0] as string)) fail('raw takes exactly one of contains or regex');
  if (typeof r.contains === 'string') {
    if (r.contains === '') fail('raw.contains must not be empty');
    // Byte search on the undecoded line: no string is made for a line that is dropped. Within the line only: a
    // search from `start` to the end of the chunk would cost a whole chunk per line for a rare needle.
    const needle = Buffer.from(r.contains, 'utf8');
    return (buf, start, end) => buf.subarray(start, end).indexOf(needle) !== -1;
  }
  if (typeof r.regex === 'string') {
    const re = compileLinear(r.regex, fail);
    const required = literalPrefilter(re);
    const test = prefixSearch(re) ?? ((line: Buffer) => re.test(line));
    // RE2 reads UTF-8 bytes itself: the line is tested where it lies, without a string made of it.
    return required
      ? (buf, start, end) => {
          const line = buf.subarray(start, end);
          return required(line) && test(line);
        }
      : (buf, start, end) => test(buf.subarray(start, end));
  }
  return fail('raw.contains / raw.regex must be a string');
}

/** re2js's literal prefilter (not in its typings): literals any match must contain. Version pinned in package.json. */
interface PrefilterNode {
  type: number;
  subs: PrefilterNode[];
  bytes: ArrayLike<number> | null;
}
const PF_EXACT = 1;
const PF_AND = 2;
const PF_OR = 3;
const MAX_ALTERNATIVES = 16;

/**
 * The literals RE2 itself requires of a match (e.g. `"Status":5` and one of `health` / `ready`), searched with
 * Buffer.indexOf (native) before the engine runs: most lines lack them, and re2js searches them in JavaScript,
 * up to ten times slower. A necessary condition only, so the result is the engine's; undefined when the pattern
 * has no such literals (case-insensitive ones, for instance).
 */
function literalPrefilter(re: RE2JS): ((line: Buffer) => boolean) | undefined {
  const root = (re.re2() as unknown as { prefilter?: PrefilterNode | null }).prefilter;
  return root ? nativePrefilter(root) : undefined;
}

/** Anchored tries at occurrences of the prefix before one unanchored search: at most this many + 1 passes over a line. */
const MAX_ANCHORED_TRIES = 8;

/**
 * A pattern with a literal prefix (`"ClientCountry":"(us|ca)"`) matches only where the prefix occurs, and re2js's
 * unanchored search steps through the whole line in JavaScript (16x slower than RegExp on such a pattern). So the
 * prefix is found with Buffer.indexOf and the pattern tried anchored there, where a mismatch ends within a few
 * bytes. The tries are bounded, then one unanchored search from the next occurrence decides: linear still.
 * Context before a match does not matter: a program with a literal prefix begins with it, not with `^` or `\b`.
 */
function prefixSearch(re: RE2JS): ((line: Buffer) => boolean) | undefined {
  const re2 = re.re2();
  const prefix = (re2 as unknown as { prefix?: unknown }).prefix;
  if (typeof prefix !== 'string' || prefix === '') return undefined;
  const needle = Buffer.from(prefix, 'utf8');
  return (line) => {
    let at = line.indexOf(needle);
    for (let tries = 0; at !== -1; tries++) {
      const rest = line.subarray(at);
      if (tries === MAX_ANCHORED_TRIES) return re.test(rest);
      // Anchored at the start of `rest`, no groups: RE2's DFA, which stops at the first match or dead end.
      if ((re2.matchWithGroup(rest, 0, rest.length, RE2Set.ANCHOR_START, 0) as [boolean, unknown])[0]) return true;
      at = line.indexOf(needle, at + 1);
    }
    return false;
  };
}

function nativePrefilter(n: PrefilterNode): ((line: Buffer) => boolean) | undefined {
  if (!n || !Array.isArray(n.subs)) return undefined;
  if (n.type === PF_EXACT) {
    if (!n.bytes || n.bytes.length === 0) return undefined;
    const needle = Buffer.from(Array.from(n.bytes));
    return (line) => line.indexOf(needle) !== -1;
  }
  const subs = n.subs.map(nativePrefilter);
  if (n.type === PF_AND) {
    const all = subs.filter((t): t is (line: Buffer) => boolean => t !== undefined);
    if (all.length === 0) return undefined;
    return (line) => {
      for (const t of all) if (!t(line)) return false;
      return true;
    };
  }
  if (n.type === PF_OR) {
    // An alternative without a literal can match anything: then so can the OR.
    if (subs.length === 0 || subs.length > MAX_ALTERNATIVES || subs.some((t) => t === undefined)) return undefined;
    const any = subs as ((line: Buffer) => boolean)[];
    return (line) => {
      for (const t of any) if (t(line)) return true;
      return false;
    };
  }
  return undefined;
}
