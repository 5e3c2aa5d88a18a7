import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { parseCommand } from '../../lib/cli/parse';
import { main } from '../../lib/cli/main';
import { generateLines } from '../../testkit/generate';
import { tempDir } from '../support/lake';

function capture() {
  const s = new PassThrough();
  const chunks: Buffer[] = [];
  s.on('data', (c: Buffer) => chunks.push(c));
  return { stream: s, text: () => Buffer.concat(chunks).toString() };
}

async function parse(argv: string[], now: string) {
  const out = capture();
  const err = capture();
  const code = await parseCommand(argv, { stdout: out.stream, stderr: err.stream, stdin: new PassThrough(), clock: () => new Date(now) });
  return { code, out: out.text(), err: err.text() };
}

const dir = tempDir('cli');
const lines = [...generateLines({ dataset: 'http_requests', lines: 50, seed: 4, timestampFormat: 'unixnano' })];
const gzFile = join(dir, 'http_requests', 'a.log.gz');
mkdirSync(join(dir, 'http_requests'));
writeFileSync(gzFile, gzipSync(lines.join('\n') + '\n{broken\n'));
const plainFile = join(dir, 'plain.log');
writeFileSync(plainFile, lines.slice(0, 10).join('\r\n'));

describe('cflogs parse', () => {
  it('turns a gzip Logpush file into rows on stdout, deterministic apart from p_parse_time', async () => {
    const rejects = join(dir, 'rejects.ndjson');
    const a = await parse(['--log-type', 'Cloudflare.HttpRequest', '--rejects', rejects, gzFile], '2026-11-24T12:00:00Z');
    const b = await parse(['--log-type', 'Cloudflare.HttpRequest', gzFile], '2027-01-01T00:00:00Z');
    expect(a.code).toBe(0);
    const rowsA = a.out.trim().split('\n');
    expect(rowsA).toHaveLength(50);
    const strip = (t: string) => t.replace(/"p_parse_time":"[^"]*"/g, '');
    expect(strip(a.out)).toBe(strip(b.out));
    expect(a.out).not.toBe(b.out);
    expect(JSON.parse(rowsA[0] as string)).toMatchObject({ p_log_type: 'Cloudflare.HttpRequest', p_parse_time: '2026-11-24 12:00:00.000000000' });
    expect(a.err).toMatch(/51 lines, 50 rows, 1 rejects \(invalid_json: 1\), 0 filtered, 0 blank/);
    expect(JSON.parse(readFileSync(rejects, 'utf8').trim())).toMatchObject({ line: 51, reason: 'invalid_json', raw: '{broken' });
  });

  it('routes by the file path when --log-type is absent, and reads plain CRLF files', async () => {
    const routed = await parse([gzFile], '2026-11-24T12:00:00Z');
    expect(routed.code).toBe(0);
    const plain = await parse(['--log-type', 'http_requests', plainFile], '2026-11-24T12:00:00Z');
    expect(plain.out.trim().split('\n')).toHaveLength(10);
    expect(plain.out).not.toContain('\r');
  });

  it('gives the same rows, p_row_id included, whichever way the path is spelled: relative, absolute, through sub/.. or a symlink', async () => {
    const logs = join(dir, 'logs');
    mkdirSync(join(logs, 'sub'), { recursive: true });
    const file = join(logs, 'a.ndjson');
    writeFileSync(file, lines.slice(0, 5).join('\n') + '\n');
    symlinkSync(file, join(dir, 'link.ndjson'));
    const spellings = [
      relative(process.cwd(), file), // ../../tmp/cflogs-cli-.../logs/a.ndjson
      file,
      join(logs, 'sub') + '/../a.ndjson',
      join(dir, 'link.ndjson'),
    ];
    expect(spellings[0]).toMatch(/^\.\.\//);
    const outs = [];
    for (const spelled of spellings) {
      const r = await parse(['--log-type', 'http_requests', spelled], '2026-11-24T12:00:00Z');
      expect(r.code).toBe(0);
      outs.push(r.out);
    }
    expect(outs[0]!.trim().split('\n')).toHaveLength(5);
    for (const out of outs) expect(out).toBe(outs[0]);
    // A copy is another file: other ids.
    const copy = join(logs, 'copy.ndjson');
    copyFileSync(file, copy);
    const other = await parse(['--log-type', 'http_requests', copy], '2026-11-24T12:00:00Z');
    const ids = (text: string) => text.trim().split('\n').map((l) => (JSON.parse(l) as { p_row_id: string }).p_row_id);
    expect(ids(other.out)).toHaveLength(5);
    for (const id of ids(other.out)) expect(ids(outs[0]!)).not.toContain(id);
  });

  it('a file whose path names no dataset is routed by its records\' field names', async () => {
    const r = await parse([plainFile], '2026-11-24T12:00:00Z');
    expect(r.code).toBe(0);
    expect(r.err).toContain(`${plainFile}: Cloudflare.HttpRequest, detected from its field names`);
    expect(r.out.trim().split('\n')).toHaveLength(10);
  });

  it('exits 1 when an input cannot be read or routed, 2 on a usage error', async () => {
    expect((await parse([join(dir, 'missing.log')], '2026-11-24T12:00:00Z')).code).toBe(1);
    // Only an event time: a dozen log types have a Datetime, so the records do not say which.
    const vague = join(dir, 'vague.log');
    writeFileSync(vague, '{"Datetime":"2026-11-01T10:00:00Z"}\n');
    const r = await parse([vague], '2026-11-24T12:00:00Z');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/cannot tell the log type from the path or from its records \(ambiguous: .*\); pass --log-type/);
    expect(await main(['parse', '--no-such-flag'])).toBe(2);
    expect(await main(['parse', '--log-type', 'Nope.Nope', plainFile])).toBe(2);
    expect(await main(['frobnicate'])).toBe(2);
  });
});

describe('cflogs parse --filters', () => {
  const ROOT = join(__dirname, '..', '..');
  /** `cflogs parse` as a user runs it: a child process, its exit code and what it prints on stderr. */
  const cli = (args: string[]) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'lib/cli/main.ts', 'parse', ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };

  it('exits 2 naming the filter, the field and the log type when a filter names a field its log type lacks', () => {
    const filters = join(dir, 'typo-filters.yml');
    writeFileSync(filters, 'filters:\n  - name: drop-probes\n    logType: Cloudflare.HttpRequest\n    exclude: { field: ClientIp, cidr: 192.0.2.0/24 }\n');
    const r = cli(['--filters', filters, gzFile]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`cflogs parse: ${filters}: filters[0] (drop-probes): field ClientIp: ClientIp is not a column of Cloudflare.HttpRequest (did you mean ClientIP?)`);
    expect(r.out).toBe('');
  });

  it('with --log-type, the file\'s filters without a logType are checked against that log type alone', async () => {
    const filters = join(dir, 'untyped-filters.yml');
    writeFileSync(filters, 'filters:\n  - name: errors-only\n    include: { field: EdgeResponseStatus, gte: 500 }\n');
    const typed = await parse(['--log-type', 'http_requests', '--filters', filters, gzFile], '2026-11-24T12:00:00Z');
    expect(typed.code).toBe(0);
    expect(typed.err).toMatch(/filtered \(errors-only: \d+\)/);
    // Without it, the filter meets every log type, and the audit log has no EdgeResponseStatus.
    const untyped = cli(['--filters', filters, gzFile]);
    expect(untyped.code).toBe(2);
    expect(untyped.err).toMatch(/\(errors-only\): field EdgeResponseStatus: EdgeResponseStatus is not a column of Cloudflare\.\w+ .*add logType/);
  });
});
