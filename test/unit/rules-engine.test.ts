import { builtInRules } from '../../lib/rules/builtin';
import { capDedup, groupKey, MAX_CONTEXT_CHARS, MAX_DEDUP_CHARS, MAX_DETECTION_BYTES, OVERFLOW_DEDUP, MAX_KEY_BYTES, RuleSet } from '../../lib/rules/engine';
import { defineRule, Rule, RuleEvent, RuleSpec } from '../../lib/rules/model';
import { lakeTime } from '../../lib/rules/time';
import { applyToGroup } from '../../lib/rules/windows';

const T = '2026-03-02 10:00:00.000000000';
const row = (fields: Record<string, unknown>, id = 'r1', time = T): RuleEvent => ({ ...fields, p_row_id: id, p_event_time: time });
const rule = (spec: Partial<RuleSpec>) => defineRule({ id: 'Test.Rule', logTypes: ['Cloudflare.Firewall'], severity: 'Low', rule: () => true, ...spec });

describe('RuleSet', () => {
  test('a log type without an enabled rule has no rules stage', () => {
    const set = new RuleSet(builtInRules());
    expect(set.forLogType('Cloudflare.Spectrum')).toBeUndefined();
    // BotHighVolume is disabled by default as in Panther, and Sentinel's ports as Sentinel ships them: the native
    // rules on WAF scores and leaked credentials run.
    expect(set.forLogType('Cloudflare.HttpRequest')?.rules.map((r) => r.id)).toEqual(['Cloudflare.HttpRequest.LeakedCredentialLoginAccepted', 'Cloudflare.HttpRequest.WAFAttackScoreAllowed']);
    // HighVolumeEventsBlocked is off by default: a group per (client IP, host) costs too much on busy zones.
    expect(set.forLogType('Cloudflare.Firewall')?.rules.map((r) => r.id)).toEqual(['Cloudflare.Firewall.L7DDoS', 'Cloudflare.Firewall.React2Shell.RCE', 'Cloudflare.Firewall.LeakedCredentialNotBlocked']);
    expect(set.logTypes()).toHaveLength(20);
  });

  test('rules are enabled and disabled by id', () => {
    const set = new RuleSet(builtInRules(), { enable: ['Cloudflare.HttpRequest.BotHighVolume', 'Cloudflare.Firewall.HighVolumeEventsBlocked'], disable: ['Cloudflare.Firewall.L7DDoS'] });
    expect(set.forLogType('Cloudflare.HttpRequest')?.rules.map((r) => r.id)).toContain('Cloudflare.HttpRequest.BotHighVolume');
    expect(set.forLogType('Cloudflare.Firewall')?.rules.map((r) => r.id)).toEqual(['Cloudflare.Firewall.React2Shell.RCE', 'Cloudflare.Firewall.HighVolumeEventsBlocked', 'Cloudflare.Firewall.LeakedCredentialNotBlocked']);
    expect(() => new RuleSet(builtInRules(), { disable: ['No.Such.Rule'] })).toThrow(/No\.Such\.Rule.*no rule's id/);
    expect(() => new RuleSet(builtInRules(), { enable: ['Cloudflare.Firewall.L7DDoS'], disable: ['Cloudflare.Firewall.L7DDoS'] })).toThrow(
      /rule Cloudflare\.Firewall\.L7DDoS is both enabled and disabled \(CFLOGS_RULES_ENABLE \/ CFLOGS_RULES_DISABLE, rulesEnable \/ rulesDisable\)/,
    );
  });

  test('a rule naming an unknown log type, or reusing an id, fails the set naming the rule and its file', () => {
    const bad = defineRule({ id: 'My.Rule', logTypes: ['Cloudflare.Firewal'], severity: 'Low', rule: () => true }, '/rules/my.ts');
    expect(() => new RuleSet([bad], { knownLogTypes: ['Cloudflare.Firewall'] })).toThrow(/rule My\.Rule in \/rules\/my\.ts: unknown log type "Cloudflare\.Firewal"/);
    const dup = defineRule({ id: 'Cloudflare.Firewall.L7DDoS', logTypes: ['Cloudflare.Firewall'], severity: 'Low', rule: () => true }, '/rules/dup.ts');
    expect(() => new RuleSet([...builtInRules(), dup])).toThrow(/in \/rules\/dup\.ts: the id is also used by a built-in rule/);
  });
});

describe('InputDetections', () => {
  test('a rule that throws is counted per rule and function; the other rules still run', () => {
    const throwing = rule({ id: 'Throws', rule: (e) => (e as { x: { y: number } }).x.y > 0 });
    const fine = rule({ id: 'Fine' });
    const d = new RuleSet([throwing, fine]).forLogType('Cloudflare.Firewall')!.start();
    d.onRow(row({}, 'a'));
    d.onRow(row({}, 'b'));
    expect(d.ruleErrors()).toEqual([{ ruleId: 'Throws', fn: 'rule', count: 2, message: expect.stringMatching(/undefined/), rowId: 'a' }]);
    expect(d.matches).toBe(2);
    expect([...d.matchesByRule]).toEqual([['Fine', 2]]);
  });

  test('past its share of memory a rule counts new groups in one overflow group, which fires on its first match: decoys cannot hide a hit', () => {
    const set = new RuleSet(builtInRules());
    const r2s = set.get('Cloudflare.Firewall.React2Shell.RCE')!;
    const hit = (ip: string, id: string) => row({ RuleID: '33aa8a8a948b48b28d40450c5fb92fba', ClientIP: ip, Action: 'block' }, id);
    const held = (decoys: number) => {
      const d = set.forLogType('Cloudflare.Firewall')!.start();
      for (let i = 0; i < decoys; i++) d.onRow(hit(`2001:db8::${i.toString(16)}`, `d${String(i).padStart(6, '0')}`));
      d.onRow(hit('203.0.113.66', 'zreal'));
      return d;
    };
    const d = held(20_000);
    const groups = d.contributions().filter((c) => c.ruleId === r2s.id);
    const overflow = groups.find((c) => c.dedup === OVERFLOW_DEDUP)!;
    // Every match is counted: in its own group while the rule's share lasts, then in the overflow group.
    expect(groups.reduce((n, c) => n + c.minutes.reduce((m, x) => m + x.count, 0), 0)).toBe(20_001);
    expect([...d.matchesByRule]).toEqual([[r2s.id, 20_001]]);
    expect(groups.length).toBeLessThan(20_001);
    expect(overflow.threshold).toBe(1);
    expect(overflow.minutes[0]!.count).toBe(20_001 - (groups.length - 1));
    expect(overflow.minutes[0]!.last).toBe(T);
    expect(overflow.minutes[0]!.head.title).toMatch(/^Cloudflare React2Shell RCE Attempt Detected: more groups in one input than the detection memory holds/);
    expect(overflow.minutes[0]!.head.severity).toBe('High');
    expect(overflow.minutes[0]!.head.context).toMatchObject({ cflogs_overflow: { ruleId: r2s.id } });
    // It fires as any group does, with the real hit in its count.
    const applied = applyToGroup(undefined, overflow, 'input', new Date('2026-03-02T11:00:00Z'));
    expect(applied.fired).toEqual([expect.objectContaining({ ruleId: r2s.id, dedup: '', eventCount: overflow.minutes[0]!.count })]);
    expect(d.ruleErrors()).toEqual([expect.objectContaining({ ruleId: r2s.id, fn: 'dedup', message: expect.stringMatching(/share of memory/) })]);
    // The memory held does not grow with the decoys: twice as many hold the same groups.
    expect(held(40_000).groupCount).toBe(d.groupCount);
  });

  test('the share of memory is bytes, not buckets: long titles and contexts fill it sooner, and the overflow group holds a bounded number of minutes', () => {
    const wide = rule({ dedup: (e) => String(e.p_row_id), title: (e) => `t ${String(e.p_row_id)} ${'x'.repeat(900)}`, alertContext: () => ({ big: 'y'.repeat(3000) }) });
    const d = new RuleSet([wide]).forLogType('Cloudflare.Firewall')!.start({ maxBytes: 1024 * 1024 });
    for (let i = 0; i < 2000; i++) d.onRow(row({}, `r${i}`, `2026-03-02 10:${String(i % 60).padStart(2, '0')}:00.000000000`));
    const c = d.contributions();
    // About 8 KB a group: a megabyte holds some 128 of them.
    expect(c.length).toBeGreaterThan(100);
    expect(c.length).toBeLessThan(140);
    expect(c.reduce((n, g) => n + g.minutes.reduce((m, x) => m + x.count, 0), 0)).toBe(2000);
    const overflow = c.find((g) => g.dedup === OVERFLOW_DEDUP)!;
    expect(overflow.minutes.length).toBe(60);
    expect(MAX_DETECTION_BYTES).toBe(32 * 1024 * 1024);
  });

  test('a call that runs over its budget (a backtracking regex, an endless loop) is stopped and counted; the rule still runs on the other rows', () => {
    const evil = `/${'a'.repeat(34)}!`;
    const backtracks = rule({ id: 'Backtracks', rule: (e) => /^(\/?[a-z0-9]+)+\.php$/.test(String(e.ClientRequestPath)) });
    const loops = rule({ id: 'Loops', rule: (e) => {
      while (e.ClientRequestPath === 'loop') { /* a bug */ }
      return String(e.ClientRequestPath).endsWith('.php');
    } });
    const d = new RuleSet([backtracks, loops]).forLogType('Cloudflare.Firewall')!.start();
    d.onRow(row({ ClientRequestPath: '/x.php' }, 'a'));
    d.onRow(row({ ClientRequestPath: evil }, 'b'));
    d.onRow(row({ ClientRequestPath: 'loop' }, 'c'));
    d.onRow(row({ ClientRequestPath: '/y.php' }, 'd'));
    expect([...d.matchesByRule]).toEqual([['Backtracks', 2], ['Loops', 2]]);
    expect(d.ruleErrors()).toEqual([
      { ruleId: 'Backtracks', fn: 'budget', count: 1, message: expect.stringMatching(/ran over 100 ms on one row and was stopped/), rowId: 'b' },
      { ruleId: 'Loops', fn: 'budget', count: 1, message: expect.stringMatching(/ran over 100 ms/), rowId: 'c' },
    ]);
  });

  test("a rule slow on every row is stopped when it has spent its input's budget, and counted on each row it did not see", () => {
    const slow = rule({ id: 'Slow', rule: () => {
      const until = performance.now() + 25;
      while (performance.now() < until) { /* slow */ }
      return true;
    } });
    const fast = rule({ id: 'Fast' });
    const d = new RuleSet([slow, fast]).forLogType('Cloudflare.Firewall')!.start();
    for (let i = 0; i < 300; i++) d.onRow(row({}, `r${i}`));
    const ran = d.matchesByRule.get('Slow')!;
    // 2 s + 0.05 ms a row: some 80 rows of 25 ms.
    expect(ran).toBeGreaterThan(40);
    expect(ran).toBeLessThan(120);
    expect(d.matchesByRule.get('Fast')).toBe(300);
    expect(d.ruleErrors()).toEqual([expect.objectContaining({ ruleId: 'Slow', fn: 'budget', count: 300 - ran, message: expect.stringMatching(/over its time budget for this input/) })]);
  });

  test('trusted rules run inline, and give the same matches, groups and errors as limited ones', () => {
    const rules = [...builtInRules(), rule({ id: 'Throws', rule: (e) => (e as { x: { y: number } }).x.y > 0 })];
    const rows = Array.from({ length: 600 }, (_, i) =>
      row({ Source: i % 3 === 0 ? 'l7ddos' : 'waf', Action: i % 2 ? 'block' : 'log', ClientIP: `192.0.2.${i % 7}`, RuleID: i % 5 === 0 ? '33aa8a8a948b48b28d40450c5fb92fba' : 'x' }, `r${String(i).padStart(4, '0')}`, `2026-03-02 10:${String(i % 60).padStart(2, '0')}:00.000000000`),
    );
    const run = (trusted: readonly Rule[]) => {
      const set = new RuleSet(rules, { trusted, enable: ['Cloudflare.Firewall.HighVolumeEventsBlocked'] });
      const d = set.forLogType('Cloudflare.Firewall')!.start();
      for (const r of rows) d.onRow(r);
      return { guarded: set.forLogType('Cloudflare.Firewall')!.guarded, matches: [...d.matchesByRule], errors: d.ruleErrors(), contributions: d.contributions() };
    };
    const inline = run(rules);
    const limited = run([]);
    expect([inline.guarded, limited.guarded]).toEqual([false, true]);
    expect(limited.contributions.length).toBeGreaterThan(5);
    expect({ ...limited, guarded: false }).toEqual(inline);
  });

  test('a rule that returns something other than a boolean is an error, not a match', () => {
    const d = new RuleSet([rule({ rule: (() => 1) as unknown as () => boolean })]).forLogType('Cloudflare.Firewall')!.start();
    d.onRow(row({}));
    expect(d.matches).toBe(0);
    expect(d.ruleErrors()[0]).toMatchObject({ fn: 'rule', message: 'returned number, not true or false' });
  });

  test("a failing title, severity or context counts an error and falls back to the rule's defaults", () => {
    const r = rule({
      displayName: 'Shown name',
      severity: 'High',
      title: () => {
        throw new Error('no title');
      },
      severityOf: () => 'Severe' as 'High',
      alertContext: () => {
        throw new Error('no context');
      },
    });
    const d = new RuleSet([r]).forLogType('Cloudflare.Firewall')!.start();
    d.onRow(row({}));
    const [g] = d.contributions();
    expect(g!.dedup).toBe('Shown name');
    expect(g!.minutes[0]!.head).toMatchObject({ title: 'Shown name', severity: 'High', context: {} });
    expect(d.ruleErrors().map((e) => e.fn).sort()).toEqual(['alertContext', 'severity', 'title']);
  });

  test("severityOf may return Panther's capitals or DEFAULT", () => {
    const sev = (s: string) => {
      const d = new RuleSet([rule({ severity: 'Low', severityOf: () => s as 'High' })]).forLogType('Cloudflare.Firewall')!.start();
      d.onRow(row({}));
      return [d.contributions()[0]!.minutes[0]!.head.severity, d.ruleErrors().length];
    };
    expect(sev('CRITICAL')).toEqual(['Critical', 0]);
    expect(sev('DEFAULT')).toEqual(['Low', 0]);
  });

  test('a match without p_event_time is an error and is not counted', () => {
    const d = new RuleSet([rule({})]).forLogType('Cloudflare.Firewall')!.start();
    d.onRow({ p_row_id: 'x' });
    expect(d.contributions()).toEqual([]);
    expect(d.ruleErrors()[0]).toMatchObject({ fn: 'p_event_time', count: 1 });
  });

  test('memory per input is bounded by groups and minutes, not rows', () => {
    const d = new RuleSet([rule({ dedup: () => 'one' })]).forLogType('Cloudflare.Firewall')!.start();
    for (let i = 0; i < 50_000; i++) d.onRow(row({}, `r${String(50_000 - i).padStart(6, '0')}`, `2026-03-02 10:0${i % 3}:00.000000000`));
    const [g] = d.contributions();
    expect(g!.minutes.map((m) => [m.minute % 60, m.count, m.rows.length])).toEqual([
      [0, 16667, 10],
      [1, 16667, 10],
      [2, 16666, 10],
    ]);
    // The head is the earliest match: the same time, the smallest row id.
    expect(g!.minutes[0]!.head.rowId).toBe('r000002');
    expect(g!.minutes[0]!.rows.map((r) => r[1])).toEqual(['r000002', 'r000005', 'r000008', 'r000011', 'r000014', 'r000017', 'r000020', 'r000023', 'r000026', 'r000029']);
  });

  test('one group per rule and dedup string, minutes in order', () => {
    const d = new RuleSet([rule({ dedup: (e) => String(e.ClientIP) })]).forLogType('Cloudflare.Firewall')!.start();
    d.onRow(row({ ClientIP: 'a' }, 'r1', '2026-03-02 10:05:00.000000000'));
    d.onRow(row({ ClientIP: 'b' }, 'r2'));
    d.onRow(row({ ClientIP: 'a' }, 'r3', '2026-03-02 10:01:00.000000000'));
    expect(d.contributions().map((g) => [g.key, g.minutes.map((m) => m.count)])).toEqual([
      ['Test.Rule#a', [1, 1]],
      ['Test.Rule#b', [1]],
    ]);
    expect(d.contributions()[0]!.minutes.map((m) => m.minute)).toEqual([Date.UTC(2026, 2, 2, 10, 1) / 60000, Date.UTC(2026, 2, 2, 10, 5) / 60000]);
    expect(d.groupCount).toBe(2);
  });

  test('an alert context too large to keep in the state is cut to its start', () => {
    const d = new RuleSet([rule({ alertContext: () => ({ big: 'x'.repeat(10_000) }) })]).forLogType('Cloudflare.Firewall')!.start();
    d.onRow(row({}));
    const ctx = d.contributions()[0]!.minutes[0]!.head.context;
    expect(Object.keys(ctx)).toEqual(['_truncated']);
    expect(JSON.stringify(ctx).length).toBeLessThan(MAX_CONTEXT_CHARS);
  });
});

describe('dedup strings and group keys', () => {
  test('a dedup string longer than the cap keeps its start and a hash of the whole', () => {
    const long = 'a'.repeat(5000);
    const capped = capDedup(long);
    // One character over the cap: never equal to a dedup string kept as it is (test/unit/rules-keys.test.ts).
    expect(capped).toHaveLength(MAX_DEDUP_CHARS + 1);
    expect(capped).toMatch(/^a+#[0-9a-f]{64}$/);
    expect(capDedup(long + 'b')).not.toBe(capped);
    expect(capDedup('short')).toBe('short');
  });

  test('a group key that would be long is hashed', () => {
    expect(groupKey('R', 'd')).toBe('R#d');
    const k = groupKey('R', 'é'.repeat(MAX_KEY_BYTES));
    expect(k).toMatch(/^R#sha256:[0-9a-f]{64}$/);
  });
});

test('event times are read in the lake format and in Panther-style or RFC3339 forms', () => {
  expect(lakeTime('2022-11-15 00:00:01.123000000')).toBe('2022-11-15 00:00:01.123000000');
  expect(lakeTime('2022-05-10 06:36:57')).toBe('2022-05-10 06:36:57.000000000');
  expect(lakeTime('2022-05-10T06:36:57.5Z')).toBe('2022-05-10 06:36:57.500000000');
  expect(lakeTime('2022-05-10T08:36:57+02:00')).toBe('2022-05-10 06:36:57.000000000');
  expect(lakeTime('yesterday')).toBeUndefined();
  expect(lakeTime(undefined)).toBeUndefined();
});
