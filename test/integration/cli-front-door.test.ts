/**
 * The command line as a user meets it: installed from `npm pack`'s tarball into an empty prefix and run with no
 * clone behind it; its version, help and errors; exit codes; and `serve` stopped through npm.
 */
import { ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMMANDS, commandHelp, main } from '../../lib/cli/main';
import { tempDir } from '../support/lake';
import { readParquetRows } from '../../testkit/lake-files';

const ROOT = join(__dirname, '..', '..');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const ZONE = '0123456789abcdef0123456789abcdef';
/** The pinned Node's directory first on PATH, as npm scripts run. */
const PATH = `${join(ROOT, 'node_modules', 'node', 'bin')}:${join(ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`;

async function capture(run: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const o = jest.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => (out.push(String(c)), true));
  const e = jest.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => (err.push(String(c)), true));
  try {
    const code = await run();
    return { code, out: out.join(''), err: err.join('') };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe('cflogs, as installed from its tarball', () => {
  let prefix: string;
  let bin: string;
  beforeAll(() => {
    const dir = tempDir('cli-pack');
    // npm pack runs prepack: the bundle is built from the sources.
    const packed = execFileSync('npm', ['pack', '--pack-destination', dir, '--silent'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, PATH } }).trim().split('\n').pop() as string;
    prefix = join(dir, 'prefix');
    mkdirSync(prefix);
    // From npm's cache (npm ci filled it): the only dependency is the optional DuckDB.
    execFileSync('npm', ['install', '-g', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', join(dir, packed)], { encoding: 'utf8', env: { ...process.env, PATH } });
    bin = join(prefix, 'bin', 'cflogs');
  }, 180_000);

  const run = (args: string[], cwd?: string) => spawnSync(bin, args, { encoding: 'utf8', cwd: cwd ?? prefix, env: { PATH } });

  it('installs one file and its notices, and DuckDB alone beside it', () => {
    const pkg = join(prefix, 'lib', 'node_modules', 'cflogs');
    expect(readdirSync(join(pkg, 'dist')).sort()).toEqual(['cflogs.js', 'cflogs.js.LEGAL.txt', 'scan-thread.js']);
    expect(readdirSync(join(pkg, 'node_modules', '@duckdb')).sort()).toEqual(expect.arrayContaining(['node-api']));
    expect(readdirSync(pkg)).toEqual(expect.arrayContaining(['LICENSE', 'NOTICE', 'README.md', 'package.json']));
  });

  it('scans on its thread (dist/scan-thread.js) with CFLOGS_SCAN_THREAD=on, into the same rows as without', async () => {
    const work = tempDir('cli-thread');
    writeFileSync(join(work, 'http_requests.log'), readFileSync(join(ROOT, 'samples', 'http_requests.ndjson')));
    const rows: Record<string, unknown>[][] = [];
    for (const mode of ['on', 'off']) {
      const r = spawnSync(bin, ['parse', '--out', mode, 'http_requests.log'], { encoding: 'utf8', cwd: work, env: { PATH, CFLOGS_SCAN_THREAD: mode } });
      expect(r).toMatchObject({ status: 0, stderr: expect.stringContaining('20 rows') });
      expect(r.stderr).not.toContain('scan thread');
      const dir = join(work, mode, 'logs', 'cloudflare_httprequest');
      const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile());
      expect(files).toHaveLength(1);
      // Each run has its own p_parse_time; everything else is the same.
      const back = await readParquetRows(readFileSync(join(files[0]!.parentPath, files[0]!.name)));
      rows.push(back.map(({ p_parse_time: _t, ...row }) => row));
    }
    expect(rows[0]).toHaveLength(20);
    expect(rows[0]).toEqual(rows[1]);
  });

  it('says its version and its commands', () => {
    expect(run(['--version'])).toMatchObject({ status: 0, stdout: `cflogs ${VERSION}\n` });
    const help = run(['--help']);
    expect(help.status).toBe(0);
    for (const name of Object.keys(COMMANDS)) expect(help.stdout).toContain(`  ${name} `);
  });

  it('parses a sample, writes and queries a lake, and prints a Logpush job, with no clone', () => {
    const work = tempDir('cli-installed');
    writeFileSync(join(work, 'http_requests.log'), readFileSync(join(ROOT, 'samples', 'http_requests.ndjson')));
    const parsed = run(['parse', 'http_requests.log'], work);
    expect(parsed.status).toBe(0);
    expect(parsed.stdout.trim().split('\n')).toHaveLength(20);
    expect(parsed.stderr).toContain('Cloudflare.HttpRequest, 20 lines, 20 rows, 0 rejects');
    expect(run(['parse', '--out', 'lake', 'http_requests.log'], work).status).toBe(0);
    const count = ['query', '--lake', 'lake', '--json', 'SELECT count(*)::INTEGER AS n FROM cloudflare_httprequest'];
    expect(run(count, work)).toMatchObject({ status: 0, stdout: '{"n":20}\n' });
    // Where DuckDB, an optional dependency, could not be installed, `query` says so; the rest works without it.
    rmSync(join(prefix, 'lib', 'node_modules', 'cflogs', 'node_modules', '@duckdb'), { recursive: true, force: true });
    const q = run(count, work);
    expect(q.status).toBe(2);
    expect(q.stderr).toContain('cflogs query needs DuckDB, which is not installed here');
    expect(run(['parse', 'http_requests.log'], work).status).toBe(0);
    const job = run(['job', 'http_requests', '--zone', ZONE, '--bucket', 'cflogs-input', '--region', 'eu-west-1', '--json']);
    expect(job.status).toBe(0);
    expect(JSON.parse(job.stdout)).toMatchObject({ dataset: 'http_requests', destination_conf: 's3://cflogs-input/cloudflare/http_requests/{DATE}?region=eu-west-1' });
  });
});

describe('cflogs: help, errors and exit codes', () => {
  it('names an unknown command or option and suggests the nearest', async () => {
    expect(await capture(() => main(['pasre']))).toMatchObject({ code: 2, err: expect.stringContaining('unknown command "pasre"; did you mean parse?') });
    expect(await capture(() => main(['parse', '--rejcts', 'x']))).toMatchObject({ code: 2, err: expect.stringContaining('unknown option --rejcts; did you mean --rejects?') });
    expect(await capture(() => main(['detect', '--json']))).toMatchObject({ code: 2, err: expect.stringContaining('unknown option --json') });
    expect(await capture(() => main(['serve', 'extra']))).toMatchObject({ code: 2, err: expect.stringContaining('unexpected argument extra: this command takes options only') });
  });

  it('lists every option of every command with a line saying what it does', async () => {
    for (const [name, cmd] of Object.entries(COMMANDS)) {
      const r = await capture(() => main([name, '--help']));
      expect(r.code).toBe(0);
      expect(r.out).toBe(commandHelp(cmd));
      for (const [option, o] of Object.entries(cmd.options)) {
        expect(o.description.length).toBeGreaterThan(10);
        expect(r.out).toMatch(new RegExp(`\\n  --${option}\\b[^\\n]*${o.description.slice(0, 20).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      }
    }
    expect((await capture(() => main(['help', 'job']))).out).toBe(commandHelp(COMMANDS.job!));
  });

  it('exits 3 with --strict when a line was rejected, 0 without, 1 on a directory', async () => {
    const dir = tempDir('cli-strict');
    const file = join(dir, 'http_requests.log');
    writeFileSync(file, `${readFileSync(join(ROOT, 'samples', 'http_requests.ndjson'), 'utf8').split('\n')[0]}\n{"broken":\n`);
    const quiet = (args: string[]) => capture(() => main(args));
    expect((await quiet(['parse', '--rejects', join(dir, 'r.ndjson'), file])).code).toBe(0);
    const strict = await quiet(['parse', '--strict', '--rejects', join(dir, 'r.ndjson'), file]);
    expect(strict).toMatchObject({ code: 3, err: expect.stringContaining('--strict: 1 lines rejected') });
    const folder = await quiet(['parse', dir]);
    expect(folder).toMatchObject({ code: 1, err: expect.stringContaining(`${dir}: is a directory`) });
  });
});

describe('cflogs serve run through npm', () => {
  it('closes its port when npm is stopped with SIGTERM', async () => {
    const child: ChildProcess = spawn('npm', ['run', '--silent', 'cflogs', '--', 'serve', '--port', '0', '--out', tempDir('serve-npm')], {
      cwd: ROOT,
      env: { ...process.env, PATH, CFLOGS_SHARED_SECRET: 'the-secret-0123456789abcdef' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    const listening = new Promise<string>((resolve) => {
      child.stderr?.on('data', (c: Buffer) => {
        text += c.toString();
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(text);
        if (m) resolve(m[1] as string);
      });
    });
    const url = await listening;
    expect((await fetch(url, { method: 'GET' })).status).toBe(405);
    child.kill('SIGTERM');
    await once(child, 'exit');
    // The server process behind npm stops too: its port refuses connections.
    let refused = false;
    for (let i = 0; i < 50 && !refused; i++) {
      refused = await fetch(url).then(
        () => false,
        () => true,
      );
      if (!refused) await new Promise((r) => setTimeout(r, 100));
    }
    expect(refused).toBe(true);
  }, 60_000);
});
