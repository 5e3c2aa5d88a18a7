import { createHash } from 'node:crypto';
import { capDedup, groupKey, MAX_DEDUP_CHARS, MAX_KEY_BYTES, RuleSet } from '../../lib/rules/engine';
import { defineRule, RuleEvent } from '../../lib/rules/model';
import { MemoryStateStore, StateStoreError } from '../../lib/rules/store';
import { GroupContribution, summaryKey } from '../../lib/rules/windows';

/**
 * Group identities: a group is (rule id, dedup string), and its storage key must be a function of that pair that
 * no other pair shares, whatever a client puts in the field a rule deduplicates by.
 */
const NOW = new Date('2026-03-02T12:00:00Z');
const T = '2026-03-02 10:00:00.000000000';
const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');
const LONE = /\p{Cs}/u;

/** A rule deduplicating by the User-Agent, as a rule on a client-controlled field does. */
const byUserAgent = defineRule({
  id: 'Test.ByUserAgent',
  logTypes: ['Cloudflare.Firewall'],
  severity: 'Medium',
  rule: () => true,
  dedup: (e: { ClientRequestUserAgent?: string }) => e.ClientRequestUserAgent ?? 'none',
});

async function groupsOf(userAgents: string[]) {
  const d = new RuleSet([byUserAgent]).forLogType('Cloudflare.Firewall')!.start();
  userAgents.forEach((ua, i) => d.onRow({ ClientRequestUserAgent: ua, p_row_id: `row${i}`, p_event_time: T } as RuleEvent));
  const contributions = d.contributions();
  const store = new MemoryStateStore(() => NOW);
  const out = await store.apply('s3://logs/ua.log.gz#v1', contributions);
  return { contributions, store, fired: out.fired };
}

describe('group keys are injective', () => {
  // Over MAX_KEY_BYTES in UTF-8 (2 bytes a character) but under MAX_DEDUP_CHARS: its key is a hash.
  const long = 'é'.repeat(600);

  test('a dedup string that is literally "sha256:<hex>" of a long one gets its own key, and both groups are kept', async () => {
    const literal = `sha256:${sha256(long)}`;
    expect(groupKey(byUserAgent.id, long)).toMatch(/#sha256:[0-9a-f]{64}$/);
    expect(groupKey(byUserAgent.id, literal)).not.toBe(groupKey(byUserAgent.id, long));
    const { contributions, store, fired } = await groupsOf([long, literal]);
    expect(new Set(contributions.map((c) => c.key)).size).toBe(2);
    expect(fired.map((a) => a.dedup).sort()).toEqual([literal, long].sort());
    expect(store.memory.states()).toHaveLength(2);
  });

  test('every dedup string that starts with the reserved prefix is hashed; every other short one keeps its readable key', () => {
    for (const d of ['sha256:', 'sha256:abc', `sha256:${'0'.repeat(64)}`]) expect(groupKey('R', d)).toBe(`R#sha256:${sha256(d)}`);
    for (const d of ['', 'sha256', 'SHA256:abc', ' sha256:x', 'Cloudflare React2Shell from [198.51.100.1]']) expect(groupKey('R', d)).toBe(`R#${d}`);
    expect(Buffer.byteLength(groupKey('R', 'x'.repeat(MAX_KEY_BYTES)))).toBeLessThanOrEqual(MAX_KEY_BYTES);
  });

  test("a flood summary's key is no group's key, whatever the dedup string", () => {
    const key = summaryKey(byUserAgent.id, 's3://logs/a.log.gz#v1');
    expect(key).toMatch(/^Test\.ByUserAgent#sha256:summary:[A-Za-z0-9_-]{16}$/);
    const suffix = key.slice(key.indexOf('#') + 1);
    for (const d of [suffix, suffix.slice('sha256:'.length), `x${suffix}`, long, 'é'.repeat(2000)]) expect(groupKey(byUserAgent.id, d)).not.toBe(key);
    // Its form: never hex after the prefix, which is all groupKey puts there.
    expect(groupKey(byUserAgent.id, suffix)).toMatch(/#sha256:[0-9a-f]{64}$/);
  });

  test("rule ids cannot hold '#', so one rule's keys never look like another's", () => {
    expect(() => defineRule({ id: 'Test#Rule', logTypes: ['Cloudflare.Firewall'], severity: 'Low', rule: () => true })).toThrow(/id must be/);
  });
});

describe('capped dedup strings are injective and whole characters', () => {
  const long = 'a'.repeat(5000);

  test('a capped string is longer than any string kept as it is, so never equal to one', async () => {
    const capped = capDedup(long);
    expect(capped.length).toBe(MAX_DEDUP_CHARS + 1);
    expect(capped).toMatch(/^a+#[0-9a-f]{64}$/);
    expect(capped.endsWith(sha256(long))).toBe(true);
    // The form a capped string had when it was MAX_DEDUP_CHARS long: a literal of that shape is a group of its own.
    const lookalike = `${long.slice(0, MAX_DEDUP_CHARS - 65)}#${sha256(long)}`;
    expect(lookalike).toHaveLength(MAX_DEDUP_CHARS);
    expect(capDedup(lookalike)).toBe(lookalike);
    const { contributions } = await groupsOf([long, lookalike]);
    expect(contributions.map((c) => c.dedup).sort()).toEqual([capped, lookalike].sort());
    expect(new Set(contributions.map((c) => c.key)).size).toBe(2);
    // Strings at the cap are kept; one more character and they are cut.
    expect(capDedup('b'.repeat(MAX_DEDUP_CHARS))).toBe('b'.repeat(MAX_DEDUP_CHARS));
    expect(capDedup('b'.repeat(MAX_DEDUP_CHARS + 1)).length).toBeGreaterThan(MAX_DEDUP_CHARS);
  });

  test('the cut never splits a surrogate pair, wherever the pair falls', () => {
    for (let at = 925; at <= 945; at++) {
      const s = `${'a'.repeat(at)}${'😀'.repeat(40)}${'b'.repeat(2000)}`;
      const capped = capDedup(s);
      expect({ at, lone: LONE.test(capped) }).toEqual({ at, lone: false });
      expect(capped.length).toBeGreaterThan(MAX_DEDUP_CHARS);
      expect(JSON.stringify(capped)).not.toMatch(/\\ud[89a-f]/i);
    }
  });

  test("a lone surrogate a rule's dedup function makes becomes U+FFFD: keys, states and records hold only Unicode text", async () => {
    expect(capDedup('Mozilla \ud83d')).toBe('Mozilla \ufffd');
    expect(capDedup('\udc00x')).toBe('\ufffdx');
    const { fired } = await groupsOf(['ua \ud800']);
    expect(fired.map((a) => a.dedup)).toEqual(['ua \ufffd']);
    expect(LONE.test(fired[0]!.groupKey)).toBe(false);
  });
});

test('a stored group that another group meets under its key is a non-retryable StateStoreError, never a retry loop', async () => {
  const store = new MemoryStateStore(() => NOW);
  const c = (dedup: string): GroupContribution => ({
    key: 'Test.ByUserAgent#same',
    ruleId: 'Test.ByUserAgent',
    dedup,
    threshold: 1,
    periodMinutes: 60,
    minutes: [{ minute: 29544720, count: 1, head: { time: T, rowId: 'r', title: 't', severity: 'Low', context: {} }, last: T, rows: [[T, 'r']] }],
  });
  await store.apply('in-1', [c('one')]);
  const e = await store.apply('in-2', [c('another')]).catch((x: unknown) => x);
  expect(e).toBeInstanceOf(StateStoreError);
  expect(e).toMatchObject({ retryable: false, message: expect.stringMatching(/share a key/) });
  expect((e as Error).message).not.toContain('another');
});
