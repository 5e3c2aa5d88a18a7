/**
 * Rules run within a time budget end to end: a user rule that backtracks or loops on a row built for it is stopped,
 * counted as a rule error, and the input lands whole, through `cflogs detect` and through `cflogs serve`'s server
 * (real HTTP on 127.0.0.1), which answers other requests meanwhile.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { detectCommand } from '../../lib/cli/detect';
import { createLogpushServer } from '../../lib/http/server';
import { LocalStore } from '../../lib/lake/local-store';
import { wireHttp } from '../../lib/wiring';
import { readParquetRows } from '../../testkit/lake-files';
import { capture } from '../support/cli';
import { filesUnder, tempDir } from '../support/lake';

const SECRET = 'Sekr1t-budget-test-0b6c';
const EVIL_PATH = `/${'a'.repeat(34)}!`;

/** A user rule directory with a rule that backtracks for minutes on EVIL_PATH, and one that never ends on "loop". */
function userRules(): string {
  const dir = tempDir('budget-rules');
  writeFileSync(
    join(dir, 'php_path.ts'),
    `export default { id: 'Custom.PhpPath', logTypes: ['Cloudflare.Firewall'], severity: 'Low',
      rule: (e: { ClientRequestPath?: string }) => /^(\\/?[a-z0-9]+)+\\.php$/.test(e.ClientRequestPath ?? '') };\n`,
  );
  writeFileSync(
    join(dir, 'loops.ts'),
    `export default { id: 'Custom.Loops', logTypes: ['Cloudflare.Firewall'], severity: 'Low',
      rule: (e: { ClientRequestPath?: string }) => { while (e.ClientRequestPath === 'loop') { /* a bug */ } return false; } };\n`,
  );
  return dir;
}

const line = (i: number, path: string): string =>
  JSON.stringify({ Datetime: `2026-11-01T10:00:${String(i).padStart(2, '0')}Z`, Action: 'block', ClientIP: '203.0.113.9', ClientRequestPath: path, RayID: `ray-${i}` });
const LINES = [line(0, '/a/x.php'), line(1, EVIL_PATH), line(2, 'loop'), line(3, '/b/y.php')];

test('cflogs detect: a backtracking and a looping rule are stopped on the row built for them; every row counts, the errors are reported', async () => {
  const rules = userRules();
  const dir = tempDir('budget-detect');
  mkdirSync(join(dir, 'firewall_events'));
  const file = join(dir, 'firewall_events', 'x.log');
  writeFileSync(file, LINES.join('\n') + '\n');
  const out = capture();
  const err = capture();
  const code = await detectCommand(['--rules', rules, file], { stdout: out.stream, stderr: err.stream, stdin: new PassThrough(), clock: () => new Date('2026-11-24T12:00:00Z') }, {});
  expect(code).toBe(0);
  const alerts = out.text().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { ruleId: string; eventCount: number });
  expect(alerts.filter((a) => a.ruleId === 'Custom.PhpPath').map((a) => a.eventCount)).toEqual([2]);
  expect(err.text()).toMatch(/Custom\.PhpPath budget: 1 \(first: ran over 100 ms on one row and was stopped\)/);
  expect(err.text()).toMatch(/Custom\.Loops budget: 1 \(first: ran over 100 ms/);
});

test('cflogs serve: the batch is answered 200 with every row written and the errors counted, and other requests are answered meanwhile', async () => {
  const dir = tempDir('budget-serve');
  const logs: unknown[] = [];
  const keep = (message: string, fields?: unknown) => void logs.push([message, fields]);
  const deps = wireHttp({ CFLOGS_RULES_DIR: userRules() }, { store: new LocalStore(dir), log: { info: keep, warn: keep, error: keep }, http: { secret: SECRET } });
  const server = createLogpushServer(deps);
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const post = (body: string) => fetch(`${base}/firewall_events`, { method: 'POST', body, headers: { 'x-panther-cloudflare': SECRET } });
  try {
    // Many rows built for the looping rule: each call is stopped, then the rule's input budget stops it for the rest.
    const hostile = [...LINES, ...Array.from({ length: 60 }, (_, i) => line(4 + (i % 50), 'loop'))];
    const [slow, other] = await Promise.all([post(hostile.join('\n') + '\n'), post(line(5, '/c/z.php') + '\n')]);
    expect([slow.status, other.status]).toEqual([200, 200]);
    const summary = (await slow.json()) as { rows: number; ruleErrors?: unknown };
    expect(summary).toMatchObject({ rows: hostile.length });
    const logged = JSON.stringify(logs);
    expect(logged).toMatch(/"ruleId":"Custom\.Loops","fn":"budget","count":6[0-9]/);
    expect(logged).toMatch(/"ruleId":"Custom\.PhpPath","fn":"budget","count":1/);
    await other.text();
    // The lake's default format, Parquet.
    const files = filesUnder(dir).filter((f) => f.startsWith('logs/cloudflare_firewall/'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(f).toMatch(/\.parquet$/);
    const rows = (await Promise.all(files.map((f) => readParquetRows(readFileSync(join(dir, f)), ['p_row_id'])))).flat();
    expect(rows.length).toBe(hostile.length + 1);
  } finally {
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  }
});
