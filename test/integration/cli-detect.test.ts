import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { detectCommand } from '../../lib/cli/detect';
import type { AlertRecord } from '../../lib/rules/alert';
import { tempDir } from '../support/lake';
import { ConfigError } from '../../lib/errors';
import { capture, runMain } from '../support/cli';


async function detect(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const out = capture();
  const err = capture();
  const code = await detectCommand(argv, { stdout: out.stream, stderr: err.stream, stdin: new PassThrough(), clock: () => new Date('2026-11-24T12:00:00Z') }, env);
  return { code, alerts: out.text().split('\n').filter(Boolean).map((l) => JSON.parse(l) as AlertRecord), stderr: err.text() };
}

const at = (second: number): string => new Date(Date.UTC(2026, 10, 1, 10, 0, second)).toISOString().replace('.000Z', 'Z');
const l7 = (n: number, from = 0): string[] =>
  Array.from({ length: n }, (_, i) => JSON.stringify({ Datetime: at(from + i), Source: 'l7ddos', Action: 'block', ClientIP: '203.0.113.7', RayID: `r${from + i}` }));

describe('cflogs detect', () => {
  it('prints one alert per line, with its final count, for matches spread over several files; 99 alone print none', async () => {
    const dir = tempDir('detect');
    const a = join(dir, 'firewall_events', 'a.log');
    const b = join(dir, 'firewall_events', 'b.log');
    mkdirSync(join(dir, 'firewall_events'));
    writeFileSync(a, l7(99).join('\n') + '\n');
    writeFileSync(b, l7(51, 99).join('\n') + '\n');
    const only99 = await detect([a]);
    expect([only99.code, only99.alerts]).toEqual([0, []]);
    expect(only99.stderr).toContain('Cloudflare.Firewall.L7DDoS: 99');
    const both = await detect([a, b]);
    expect(both.code).toBe(0);
    expect(both.alerts.map((x) => [x.ruleId, x.eventCount, x.severity, x.type])).toEqual([['Cloudflare.Firewall.L7DDoS', 150, 'INFO', 'RULE']]);
    expect(both.stderr).toMatch(/1 alert\n$/);
  });

  it('runs the rules of --rules DIR beside the built-in ones; --enable with an id no rule has fails, naming it', async () => {
    const rules = tempDir('detect-rules');
    writeFileSync(
      join(rules, 'any_block.ts'),
      `export default { id: 'Custom.AnyBlock', logTypes: ['Cloudflare.Firewall'], severity: 'Low', rule: (e: { Action?: string }) => e.Action === 'block',
        title: () => 'a block', tests: [{ name: 'block', expected: true, log: { Action: 'block' } }] };\n`,
    );
    const dir = tempDir('detect-custom');
    const f = join(dir, 'x.log');
    writeFileSync(f, l7(3).join('\n') + '\n');
    const r = await detect(['--rules', rules, '--log-type', 'Cloudflare.Firewall', f]);
    expect(r.alerts.map((x) => [x.ruleId, x.eventCount])).toEqual([['Custom.AnyBlock', 3]]);
    const bad = await detect(['--enable', 'No.Such.Rule', f]).catch((e: Error) => e);
    expect(String(bad)).toMatch(/No\.Such\.Rule/);
  });
  it('switches rules off with --disable or CFLOGS_RULES_DISABLE, on with --enable or CFLOGS_RULES_ENABLE; the command line wins over the variable', async () => {
    const dir = tempDir('detect-switch');
    const f = join(dir, 'firewall_events.log');
    writeFileSync(f, l7(100).join('\n') + '\n');
    const ids = (r: { alerts: AlertRecord[] }) => r.alerts.map((a) => a.ruleId);
    expect(ids(await detect([f]))).toEqual(['Cloudflare.Firewall.L7DDoS']);
    expect(ids(await detect(['--disable', 'Cloudflare.Firewall.L7DDoS', f]))).toEqual([]);
    expect(ids(await detect([f], { CFLOGS_RULES_DISABLE: 'Cloudflare.Firewall.L7DDoS' }))).toEqual([]);
    expect(ids(await detect(['--disable', 'Cloudflare.Firewall.React2Shell.RCE', f], { CFLOGS_RULES_DISABLE: 'Cloudflare.Firewall.L7DDoS' }))).toEqual(['Cloudflare.Firewall.L7DDoS']);
    const blocks = await detect([f], { CFLOGS_RULES_ENABLE: 'Cloudflare.Firewall.HighVolumeEventsBlocked' });
    expect(ids(blocks)).toContain('Cloudflare.Firewall.L7DDoS');
    expect(blocks.stderr).toContain('Cloudflare.Firewall.HighVolumeEventsBlocked: 100');
  });

  it('a rule both switched on and off is refused before any input is read: exit 2 naming both options (or variables) and the rule', async () => {
    const BOT = 'Cloudflare.HttpRequest.BotHighVolume';
    const r = await runMain(['detect', '--enable', BOT, '--disable', BOT, '/no/such/file.log']);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`cflogs detect: --enable and --disable both name ${BOT}: switch a rule on or off, not both\n`);
    const fromEnv = await detect(['/no/such/file.log'], { CFLOGS_RULES_ENABLE: BOT, CFLOGS_RULES_DISABLE: BOT }).catch((e: unknown) => e);
    expect(fromEnv).toBeInstanceOf(ConfigError);
    expect((fromEnv as Error).message).toBe(`CFLOGS_RULES_ENABLE and CFLOGS_RULES_DISABLE both name ${BOT}: switch a rule on or off, not both`);
    const mixed = await detect(['--enable', BOT, '/no/such/file.log'], { CFLOGS_RULES_DISABLE: `Cloudflare.Firewall.L7DDoS,${BOT}` }).catch((e: unknown) => e);
    expect((mixed as Error).message).toBe(`--enable and CFLOGS_RULES_DISABLE both name ${BOT}: switch a rule on or off, not both`);
    const twice = await runMain(['detect', '--disable', 'Cloudflare.Firewall.L7DDoS', '--disable', 'Cloudflare.Firewall.L7DDoS', '/no/such/file.log']);
    expect([twice.code, twice.err]).toEqual([2, 'cflogs detect: --disable names Cloudflare.Firewall.L7DDoS twice\n']);
  });
});
