/**
 * `cflogs serve` as a user runs it: a child process (`node --import tsx lib/cli/main.ts serve`), stopped with
 * SIGTERM. Everything it prints on stdout and stderr while handling bad lines and a wrong secret is checked for
 * the secret and raw line content.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const ROOT = join(__dirname, '..', '..');
const SECRET = 'cli-secret-e04b6a91';
const RAW_MARKER = 'RAWLINE-cli-51d0';

function run(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'lib/cli/main.ts', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, exit, out: () => stdout, err: () => stderr };
}

test('serve: listens on loopback, writes the lake, stops on SIGTERM; prints no secret and no raw line', async () => {
  const out = mkdtempSync(join(tmpdir(), 'cflogs-serve-cli-'));
  try {
    const p = run(['serve', '--port', '0', '--out', out], { CFLOGS_SHARED_SECRET: SECRET });
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening line: ${p.err()}`)), 20000);
      const check = (): void => {
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(p.err());
        if (m) {
          clearTimeout(timer);
          resolve(m[1] as string);
        }
      };
      p.child.stderr.on('data', check);
      p.exit.then(() => reject(new Error(`exited early: ${p.err()}`)));
    });

    const body = gzipSync(
      `{"ClientIP":"192.0.2.1","EdgeStartTimestamp":1668470400000000000,"RayID":"ray-7q3x"}\n{"RayID":"${RAW_MARKER}"\n`,
    );
    const wrong = await fetch(`${url}/http_requests`, { method: 'POST', body, headers: { 'x-panther-cloudflare': 'nope' } });
    expect(wrong.status).toBe(401);
    const ok = await fetch(`${url}/http_requests`, { method: 'POST', body, headers: { 'X-Panther-Cloudflare': SECRET } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ rows: 1, rejects: 1 });

    p.child.kill('SIGTERM');
    expect(await p.exit).toBe(0);
    expect(p.err()).toMatch(/cflogs serve: stopped/);
    expect(readdirSync(join(out, 'logs', 'cloudflare_httprequest'))).toEqual(['year=2022']);
    expect(readdirSync(join(out, 'rejects'))).toEqual(['cloudflare_httprequest']);

    const printed = p.out() + p.err();
    expect(printed).toMatch(/"message":"batch processed"/);
    expect(printed).toMatch(/"reason":"wrong_secret"/);
    for (const needle of [SECRET, RAW_MARKER, 'ray-7q3x', '192.0.2.1']) expect(printed).not.toContain(needle);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('serve: usage and configuration errors exit 2', async () => {
  const badPort = run(['serve', '--port', 'eighty'], { CFLOGS_SHARED_SECRET: SECRET });
  const noSecret = run(['serve', '--port', '0'], {});
  expect(await badPort.exit).toBe(2);
  expect(badPort.err()).toMatch(/--port must be an integer/);
  expect(await noSecret.exit).toBe(2);
  expect(noSecret.err()).toMatch(/no shared secret configured/);
});

test('serve: a secret no HTTP header can carry is refused at start (exit 2, naming the option or variable, not the secret)', async () => {
  const bad = `${SECRET}-sécurité`;
  const option = run(['serve', '--port', '0', '--secret', bad], {});
  const variable = run(['serve', '--port', '0'], { CFLOGS_SHARED_SECRET: bad });
  // A server that starts anyway is stopped at once (exit 0), so the test ends by itself and fails on the code.
  for (const p of [option, variable]) p.child.stderr.on('data', () => /listening on/.test(p.err()) && p.child.kill('SIGTERM'));
  expect(await option.exit).toBe(2);
  expect(option.err()).toMatch(/^cflogs serve: --secret: the shared secret contains characters outside printable ASCII/);
  expect(await variable.exit).toBe(2);
  expect(variable.err()).toMatch(/^cflogs serve: CFLOGS_SHARED_SECRET: the shared secret contains characters outside printable ASCII/);
  for (const p of [option, variable]) {
    expect(p.err()).not.toMatch(/listening/);
    expect(p.out() + p.err()).not.toContain(SECRET);
  }
});

test('serve: detection settings that cannot work are refused at start (exit 2, naming the variables): a rule both enabled and disabled, a topic ARN that is not one', async () => {
  const bot = 'Cloudflare.HttpRequest.BotHighVolume';
  const both = run(['serve', '--port', '0'], { CFLOGS_SHARED_SECRET: SECRET, CFLOGS_RULES_ENABLE: bot, CFLOGS_RULES_DISABLE: bot });
  const topic = run(['serve', '--port', '0'], { CFLOGS_SHARED_SECRET: SECRET, CFLOGS_ALERTS_TOPIC_ARN: 'my alerts topic' });
  // A server that starts anyway is stopped at once (exit 0), so the test ends by itself and fails on the code.
  for (const p of [both, topic]) p.child.stderr.on('data', () => /listening on/.test(p.err()) && p.child.kill('SIGTERM'));
  expect(await both.exit).toBe(2);
  expect(both.err()).toBe(`cflogs serve: CFLOGS_RULES_ENABLE and CFLOGS_RULES_DISABLE both name ${bot}: switch a rule on or off, not both\n`);
  expect(await topic.exit).toBe(2);
  expect(topic.err()).toBe(
    'cflogs serve: CFLOGS_ALERTS_TOPIC_ARN is not an SNS topic ARN (arn:<partition>:sns:<region>:<12-digit account>:<topic name>): "my alerts topic"\n',
  );
});
