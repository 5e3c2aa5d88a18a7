import { refuse } from './refusal';

/**
 * Sigma's condition grammar (sigma-rules-specification.md, "Condition"): selection names, `and`, `or`, `not`,
 * parentheses, `1 of NAME*`, `all of NAME*`, `1 of them`, `all of them` (N of ... for any N). Precedence, from the
 * tightest: `x of`, `not`, `and`, `or`. The old aggregation pipe (`| count() ...`) is refused.
 */

export type Condition =
  | { kind: 'ref'; name: string }
  | { kind: 'not'; of: Condition }
  | { kind: 'and' | 'or'; of: Condition[] }
  | { kind: 'of'; count: number | 'all'; names: string[] };

const TOKEN = /\s*(\(|\)|[^\s()]+)/y;

/** Parses `text` against the detection's selection names; any unknown name or syntax error refuses the rule. */
/** Parentheses and `not`s nested at most this deep. */
export const MAX_CONDITION_DEPTH = 64;

export function parseCondition(text: string, names: readonly string[]): Condition {
  if (text.includes('|')) refuse(`condition ${JSON.stringify(text)}: aggregations (| count() ...) are deprecated and not supported; use a correlation rule`);
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(text); m; m = TOKEN.exec(text)) tokens.push(m[1] as string);
  if (text.slice(TOKEN.lastIndex).trim() !== '' && tokens.length === 0) refuse(`condition ${JSON.stringify(text)} is empty`);
  let i = 0;
  // Nesting is bounded: a rule file is input, and the parser and evaluator recurse once per level.
  let depth = 0;
  const deeper = <T>(f: () => T): T => {
    if (++depth > MAX_CONDITION_DEPTH) bad(`nested more than ${MAX_CONDITION_DEPTH} deep`);
    try {
      return f();
    } finally {
      depth--;
    }
  };
  const peek = (): string | undefined => tokens[i];
  const lower = (t: string | undefined) => t?.toLowerCase();
  const bad = (why: string): never => refuse(`condition ${JSON.stringify(text)}: ${why}`);

  const matching = (pattern: string): string[] => {
    if (pattern === 'them') {
      const all = names.filter((n) => !n.startsWith('_'));
      // `all of them` over no selection would hold for every row.
      if (all.length === 0) bad('them names no selection (every name starts with _)');
      return all;
    }
    const parts = pattern.split('*');
    const found = names.filter((n) => {
      // A wildcard name: literal parts in order, `*` any run (plain string work, no regex).
      if (parts.length === 1) return n === pattern;
      if (!n.startsWith(parts[0] as string) || !n.endsWith(parts[parts.length - 1] as string)) return false;
      let at = (parts[0] as string).length;
      for (const p of parts.slice(1, -1)) {
        const k = n.indexOf(p, at);
        if (k < 0) return false;
        at = k + p.length;
      }
      return at <= n.length - (parts[parts.length - 1] as string).length;
    });
    if (found.length === 0) bad(`${pattern} names no selection`);
    return found;
  };

  const primary = (): Condition => {
    const t = peek();
    if (t === undefined) return bad('ends too early');
    if (t === '(') {
      i++;
      const inner = deeper(or);
      if (peek() !== ')') bad('a parenthesis is not closed');
      i++;
      return inner;
    }
    if (t === ')') return bad('unexpected )');
    const next = lower(tokens[i + 1]);
    if (next === 'of') {
      const q = lower(t);
      const count = q === 'all' ? 'all' : /^[1-9][0-9]*$/.test(t) ? Number(t) : bad(`${t} of: the count must be a number or all`);
      const target = tokens[i + 2];
      if (target === undefined || target === '(' || target === ')') bad(`${t} of needs a name pattern or them`);
      i += 3;
      return { kind: 'of', count, names: matching(target as string) };
    }
    if (['and', 'or', 'not', 'of'].includes(lower(t) as string)) bad(`unexpected ${t}`);
    if (!names.includes(t)) bad(`${t} names no selection`);
    i++;
    return { kind: 'ref', name: t };
  };
  const unary = (): Condition => {
    if (lower(peek()) === 'not') {
      i++;
      return { kind: 'not', of: deeper(unary) };
    }
    return primary();
  };
  const chain = (op: 'and' | 'or', sub: () => Condition) => (): Condition => {
    const of = [sub()];
    while (lower(peek()) === op) {
      i++;
      of.push(sub());
    }
    return of.length === 1 ? (of[0] as Condition) : { kind: op, of };
  };
  const and = chain('and', unary);
  const or = chain('or', and);
  const c = or();
  if (i < tokens.length) bad(`unexpected ${tokens[i]}`);
  return c;
}

/** Evaluates a condition, each selection by `selection(name)`. */
export function evaluate(c: Condition, selection: (name: string) => boolean): boolean {
  switch (c.kind) {
    case 'ref':
      return selection(c.name);
    case 'not':
      return !evaluate(c.of, selection);
    case 'and':
      return c.of.every((x) => evaluate(x, selection));
    case 'or':
      return c.of.some((x) => evaluate(x, selection));
    case 'of': {
      if (c.count === 'all') return c.names.every(selection);
      let n = 0;
      for (const name of c.names) if (selection(name) && ++n >= (c.count as number)) return true;
      return false;
    }
  }
}

/** The condition as text, fully parenthesised: for tests and reports. */
export function conditionText(c: Condition): string {
  switch (c.kind) {
    case 'ref':
      return c.name;
    case 'not':
      return `not ${conditionText(c.of)}`;
    case 'and':
    case 'or':
      return `(${c.of.map(conditionText).join(` ${c.kind} `)})`;
    case 'of':
      return `${c.count} of [${c.names.join(', ')}]`;
  }
}
