/** Records that stress every normalising path: coercions, nulls, empties, wrong types, unknown fields. */
export function variants(line: string): string[] {
  const o = JSON.parse(line) as Record<string, unknown>;
  const out = [line];
  const keys = Object.keys(o);
  for (const [i, k] of keys.entries()) {
    const v = o[k];
    const alt = [null, '', typeof v === 'number' ? String(v) : 42, typeof v === 'string' ? 7 : 'x', [], {}, true][i % 7];
    out.push(JSON.stringify({ ...o, [k]: alt }));
  }
  out.push(JSON.stringify({ ...o, SomethingNew: { a: 1 }, ['__proto__']: 'x' }));
  return out;
}
