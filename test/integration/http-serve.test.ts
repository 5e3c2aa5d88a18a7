/**
 * `cflogs serve` end to end: the real command on a real node:http server on 127.0.0.1 (port 0), real `fetch`
 * requests (and raw sockets where the wire form matters), a temporary output directory. Every request's status
 * is checked, and after each one the exact set of files the output directory gained, with their rows/rejects.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import { serveCommand } from '../../lib/cli/serve';
import { createLogpushServer } from '../../lib/http/server';
import { LocalStore } from '../../lib/lake/local-store';
import { wireHttp } from '../../lib/wiring';
import { rowId, rowIdPrefix } from '../../lib/row/writer';
import { httpIdentity } from '../../lib/http/handler';
import { deliveryBaseName } from '../../lib/lake/layout';
import type { Log } from '../../lib/log';
import { readLakeFile } from '../../testkit/lake-files';
import { filesUnder } from '../support/lake';
import { builtInRegistry } from '../../lib/record/registry';

const SECRET = 'Sekr1t-7d41c09e-only-in-this-test';
const WRONG = 'Sekr1t-7d41c09e-only-in-this-tesT';
/** Distinctive content of a line that will be rejected: must never reach a log. */
const RAW_MARKER = 'RAWLINE-q8Zx-canary';
const NOW = new Date('2026-01-02T03:04:05.678Z');
const PARSE_TIME = '2026-01-02 03:04:05.678000000';
const REJECT_PARTITION = 'year=2026/month=01/day=02/hour=03';

interface Case {
  dataset: string;
  logType: string;
  table: string;
  /** Field identifying a line, to check which lines became rows. */
  idField: string;
  lines: Record<string, unknown>[];
}

const CASES: Case[] = [
  {
    dataset: 'http_requests',
    logType: 'Cloudflare.HttpRequest',
    table: 'cloudflare_httprequest',
    idField: 'RayID',
    lines: [
      { ClientIP: '192.0.2.10', ClientRequestHost: 'www.example.com', EdgeStartTimestamp: 1668470400123456789n, RayID: 'ray-h-1', EdgeResponseStatus: 200 },
      { ClientIP: '192.0.2.11', EdgeStartTimestamp: '2022-11-15T01:02:03Z', RayID: 'ray-h-2' },
      { ClientIP: '192.0.2.12', EdgeStartTimestamp: 1668474123000000000n, RayID: 'ray-h-3' },
    ],
  },
  {
    dataset: 'firewall_events',
    logType: 'Cloudflare.Firewall',
    table: 'cloudflare_firewall',
    idField: 'RayID',
    lines: [
      { Action: 'block', ClientIP: '198.51.100.7', Datetime: 1668470400000000000n, RayID: 'ray-f-1', Kind: 'firewall' },
      { Action: 'log', ClientIP: '198.51.100.8', Datetime: '2022-11-15T00:30:00.5Z', RayID: 'ray-f-2' },
    ],
  },
  {
    dataset: 'spectrum_events',
    logType: 'Cloudflare.Spectrum',
    table: 'cloudflare_spectrum',
    idField: 'Application',
    lines: [{ Application: 'app-s-1', ClientIP: '203.0.113.5', Timestamp: 1668470400, Event: 'connect', ClientPort: 443 }],
  },
  {
    dataset: 'audit_logs',
    logType: 'Cloudflare.Audit',
    table: 'cloudflare_audit',
    idField: 'ID',
    lines: [
      { ActorEmail: 'alice@example.com', ActorIP: '192.0.2.99', ID: 'aud-1', ResourceType: 'zone', When: '2022-11-15T00:05:00Z' },
      { ActorEmail: 'bob@example.com', ID: 'aud-2', ResourceType: 'account', When: '2022-11-15T02:00:00Z' },
    ],
  },
];

/** JSON with bigint support (unixnano timestamps are beyond 2^53, as Logpush sends them). */
function line(o: Record<string, unknown>): string {
  return JSON.stringify(o, (_k, v) => (typeof v === 'bigint' ? `@@${v}@@` : v)).replace(/"@@(\d+)@@"/g, '$1');
}
function ndjson(lines: Record<string, unknown>[]): Buffer {
  return Buffer.from(lines.map(line).join('\n') + '\n');
}

let out: string;
let base: string;
let stop: AbortController;
let finished: Promise<number>;
const logged: string[] = [];
const stderr = new PassThrough();
const stdout = new PassThrough();
stderr.on('data', (b: Buffer) => logged.push(b.toString()));
stdout.on('data', (b: Buffer) => logged.push(b.toString()));
const recorder: Log = {
  info: (m, ...x) => logged.push(JSON.stringify(['info', m, ...x])),
  warn: (m, ...x) => logged.push(JSON.stringify(['warn', m, ...x])),
  error: (m, ...x) => logged.push(JSON.stringify(['error', m, ...x])),
};

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), 'cflogs-http-'));
  stop = new AbortController();
  let listening!: (url: string) => void;
  const ready = new Promise<string>((r) => (listening = r));
  finished = serveCommand(['--port', '0', '--secret', SECRET, '--out', out], {
    stdout,
    stderr,
    // NDJSON: these tests read the rows' text (the Parquet default is covered by s3-handler and http-lambda tests).
    env: { CFLOGS_MAX_BODY_BYTES: String(64 * 1024), CFLOGS_OUTPUT_FORMAT: 'ndjson' },
    signal: stop.signal,
    clock: () => NOW,
    log: recorder,
    onListening: listening,
  });
  base = await ready;
});

afterAll(async () => {
  stop.abort();
  expect(await finished).toBe(0);
  rmSync(out, { recursive: true, force: true });
});

/** Every file under the output directory, relative, sorted. */
const files = (): string[] => filesUnder(out);

function readRows(file: string, dir = out): Record<string, unknown>[] {
  return readLakeFile(readFileSync(join(dir, file)))
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function post(path: string, body: Buffer, headers: Record<string, string> = { 'x-panther-cloudflare': SECRET }) {
  const res = await fetch(`${base}${path}`, { method: 'POST', body, headers });
  const text = await res.text();
  return { status: res.status, json: JSON.parse(text) as Record<string, unknown>, requestId: res.headers.get('x-request-id') };
}

/** Runs `act`, returns the files it added (and asserts it neither removed nor renamed any). */
async function added<T>(act: () => Promise<T>): Promise<{ result: T; files: string[] }> {
  const before = files();
  const result = await act();
  const after = files();
  for (const f of before) expect(after).toContain(f);
  return { result, files: after.filter((f) => !before.includes(f)) };
}

function baseNameFor(logType: string, body: Buffer): string {
  return deliveryBaseName(httpIdentity(logType, createHash('sha256').update(body).digest('hex')));
}

function hourOf(ts: string): string {
  return `year=${ts.slice(0, 4)}/month=${ts.slice(5, 7)}/day=${ts.slice(8, 10)}/hour=${ts.slice(11, 13)}`;
}

/**
 * A request body as Logpush (gzip) or another client sends it. Two zstd frames split the text inside a line:
 * every line of both must become a row (Node's zstd decompressor alone stops after the first frame).
 */
function encode(plain: Buffer, encoding: 'plain' | 'gzip' | 'zstd' | 'zstd of two frames'): Buffer {
  switch (encoding) {
    case 'plain':
      return plain;
    case 'gzip':
      return gzipSync(plain);
    case 'zstd':
      return zstdCompressSync(plain);
    case 'zstd of two frames': {
      const cut = Math.floor(plain.length / 2);
      return Buffer.concat([zstdCompressSync(plain.subarray(0, cut)), zstdCompressSync(plain.subarray(cut))]);
    }
  }
}

describe.each(CASES)('$dataset', (c) => {
  for (const encoding of ['plain', 'gzip', 'zstd', 'zstd of two frames'] as const) {
    test(`${encoding} body: 200, one file per event hour, every line a row`, async () => {
      const plain = ndjson(c.lines);
      const body = encode(plain, encoding);
      const { result, files: got } = await added(() => post(`/${c.dataset}`, body));
      expect(result.status).toBe(200);
      expect(result.json).toEqual({ ok: true, logType: c.logType, lines: c.lines.length, rows: c.lines.length, rejects: 0, filtered: 0, blank: 0 });

      const name = baseNameFor(c.logType, body);
      const rows = got.flatMap((f) => readRows(f));
      expect(rows.map((r) => r[c.idField]).sort()).toEqual(c.lines.map((l) => l[c.idField]).sort());
      const hours = [...new Set(rows.map((r) => hourOf(r.p_event_time as string)))].sort();
      expect(got).toEqual(hours.map((h) => `logs/${c.table}/${h}/${name}.json.zst`).sort());
      const prefix = rowIdPrefix(httpIdentity(c.logType, createHash('sha256').update(body).digest('hex')));
      for (const f of got) {
        for (const r of readRows(f)) {
          expect(f).toContain(`/${hourOf(r.p_event_time as string)}/`);
          expect(r.p_log_type).toBe(c.logType);
          expect(r.p_parse_time).toBe(PARSE_TIME);
          const lineNo = c.lines.findIndex((l) => l[c.idField] === r[c.idField]) + 1;
          expect(r.p_row_id).toBe(rowId(prefix, lineNo));
        }
      }
    });
  }
});

test('a row is the full Panther-shaped record', async () => {
  const body = ndjson([CASES[0]!.lines[0]!]);
  const { result, files: got } = await added(() => post('/http_requests', body));
  expect(result.status).toBe(200);
  expect(got).toHaveLength(1);
  const name = baseNameFor('Cloudflare.HttpRequest', body);
  expect(got[0]).toBe(`logs/cloudflare_httprequest/year=2022/month=11/day=15/hour=00/${name}.json.zst`);
  const prefix = rowIdPrefix(httpIdentity('Cloudflare.HttpRequest', createHash('sha256').update(body).digest('hex')));
  expect(readFileSync(join(out, got[0]!)).length).toBeGreaterThan(0);
  expect(readLakeFile(readFileSync(join(out, got[0]!)))).toBe(
    JSON.stringify({
      ClientIP: '192.0.2.10',
      ClientRequestHost: 'www.example.com',
      EdgeResponseStatus: 200,
      EdgeStartTimestamp: '2022-11-15 00:00:00.123456789',
      RayID: 'ray-h-1',
      p_log_type: 'Cloudflare.HttpRequest',
      p_row_id: rowId(prefix, 1),
      p_event_time: '2022-11-15 00:00:00.123456789',
      p_parse_time: PARSE_TIME,
      p_any_ip_addresses: ['192.0.2.10'],
      p_any_domain_names: ['www.example.com'],
      p_any_trace_ids: ['ray-h-1'],
    }) + '\n',
  );
});

test("a retried batch (Logpush's at-least-once delivery) overwrites the same files", async () => {
  const body = gzipSync(ndjson(CASES[1]!.lines));
  const first = await added(() => post('/firewall_events', body));
  expect(first.result.status).toBe(200);
  const snapshot = first.files.map((f) => readFileSync(join(out, f)));
  const second = await added(() => post('/firewall_events', body));
  expect(second.result.status).toBe(200);
  expect(second.files).toEqual([]);
  expect(first.files.map((f) => readFileSync(join(out, f)))).toEqual(snapshot);
});

test('a batch that trips a rule writes the alert record beside its rows; its redelivery counts nothing twice', async () => {
  const hit = { Datetime: '2025-12-16T10:30:00Z', Source: 'firewallManaged', Action: 'block', ClientIP: '192.0.2.77', RuleID: '33aa8a8a948b48b28d40450c5fb92fba', RayID: 'r2s-1' };
  const body = ndjson([hit]);
  const first = await added(() => post('/firewall_events', body));
  expect(first.result.status).toBe(200);
  const alerts = first.files.filter((f) => f.startsWith('alerts/'));
  expect(alerts).toEqual([expect.stringMatching(/^alerts\/year=2025\/month=12\/day=16\/hour=10\/[0-9a-f]{32}\.json\.zst$/)]);
  const record = (): Record<string, unknown> => JSON.parse(readLakeFile(readFileSync(join(out, alerts[0] as string)))) as Record<string, unknown>;
  expect(record()).toMatchObject({ ruleId: 'Cloudflare.Firewall.React2Shell.RCE', severity: 'HIGH', eventCount: 1, firstEventTime: '2025-12-16 10:30:00.000000000' });
  const again = await added(() => post('/firewall_events', body));
  expect([again.result.status, again.files]).toEqual([200, []]);
  expect(record()).toMatchObject({ eventCount: 1 });
});

test('the log type can come from ?dataset= and from a deeper path', async () => {
  const body = ndjson([{ ID: 'aud-q', ResourceType: 'zone', When: '2022-11-15T00:00:00Z' }]);
  const q = await added(() => post('/?dataset=audit_logs', body));
  expect(q.result.status).toBe(200);
  expect(q.files).toEqual([`logs/cloudflare_audit/year=2022/month=11/day=15/hour=00/${baseNameFor('Cloudflare.Audit', body)}.json.zst`]);
  const deep = await added(() => post('/logpush/audit_logs', body));
  expect(deep.result.status).toBe(200);
  expect(deep.files).toEqual([]); // same body, same log type: the same file, overwritten
});

describe('validation requests: 200, nothing written', () => {
  const bodies = ['test', '{"content":"test"}', '{"content":"tests"}', 'test\n', ' {"content":"tests"}\r\n'];
  test.each(
    bodies.flatMap((b) => [
      [JSON.stringify(b), 'plain', Buffer.from(b)] as const,
      [JSON.stringify(b), 'gzip', gzipSync(b)] as const,
      [JSON.stringify(b), 'zstd', zstdCompressSync(b)] as const,
    ]),
  )(
    '%s %s',
    async (_name, _enc, body) => {
      const { result, files: got } = await added(() => post('/http_requests', body));
      expect(result.status).toBe(200);
      expect(result.json).toEqual({ ok: true, validation: true });
      expect(got).toEqual([]);
    },
  );

  test('a near miss is a batch, not a validation request', async () => {
    const { result, files: got } = await added(() => post('/http_requests', Buffer.from('{"content":"testing"}')));
    expect(result.status).toBe(200);
    expect(result.json).toMatchObject({ rows: 0, rejects: 1 });
    expect(got).toHaveLength(1);
    expect(got[0]).toMatch(new RegExp(`^rejects/cloudflare_httprequest/${REJECT_PARTITION}/http-[0-9a-f]{32}\\.json\\.zst$`));
  });
});

describe('authentication', () => {
  const body = gzipSync(ndjson(CASES[2]!.lines));

  test('a wrong secret: 401, no detail, nothing written', async () => {
    for (const wrong of [WRONG, 'x', '', SECRET + SECRET, SECRET.slice(0, -1)]) {
      const { result, files: got } = await added(() => post('/spectrum_events', body, { 'x-panther-cloudflare': wrong }));
      expect(result.status).toBe(401);
      expect(result.json).toEqual({ error: 'unauthorized' });
      expect(got).toEqual([]);
    }
  });

  test('a missing secret: 401, nothing written', async () => {
    const { result, files: got } = await added(() => post('/spectrum_events', body, {}));
    expect(result.status).toBe(401);
    expect(result.json).toEqual({ error: 'unauthorized' });
    expect(got).toEqual([]);
  });

  test('the secret under another header name: 401', async () => {
    const { result } = await added(() => post('/spectrum_events', body, { authorization: `Bearer ${SECRET}` }));
    expect(result.status).toBe(401);
  });

  test('the header name in another case on the wire is accepted', async () => {
    // fetch lower-cases header names; a raw socket sends exactly what we write.
    const plain = ndjson([{ Application: 'app-s-wire', Timestamp: 1668470400 }]);
    const port = new URL(base).port;
    const { result, files: got } = await added(async () => {
      const raw = await new Promise<string>((resolve, reject) => {
        const sock = connect(Number(port), '127.0.0.1', () => {
          sock.write(
            `POST /spectrum_events HTTP/1.1\r\nHost: 127.0.0.1\r\nX-PANTHER-Cloudflare: ${SECRET}\r\n` +
              `Content-Type: text/plain\r\nContent-Length: ${plain.length}\r\nConnection: close\r\n\r\n`,
          );
          sock.write(plain); // no half-close: the server closes after answering (Connection: close)
        });
        const chunks: Buffer[] = [];
        sock.on('data', (b) => chunks.push(b));
        sock.on('end', () => resolve(Buffer.concat(chunks).toString()));
        sock.on('error', reject);
      });
      return raw;
    });
    expect(result.split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
    expect(got).toEqual([
      `logs/cloudflare_spectrum/year=2022/month=11/day=15/hour=00/${baseNameFor('Cloudflare.Spectrum', plain)}.json.zst`,
    ]);
  });
});

/**
 * A client on a raw socket that sends a request head and the first bytes of its body, then stops sending. What
 * happens is recorded in order: the server answering, the server closing the connection. The test always ends
 * by itself: if the server stays silent for `silenceMs` the client sends the rest of the body (which a server
 * that waits for it answers, and the recorded order shows), and if it is silent as long again the client gives up.
 */
function stalledUpload(head: string[], first: Buffer, rest: Buffer, silenceMs = 5000): Promise<{ events: string[]; response: string }> {
  return new Promise((resolve) => {
    const events: string[] = [];
    let response = '';
    const sock = connect(Number(new URL(base).port), '127.0.0.1', () => {
      sock.write(`${head.join('\r\n')}\r\n\r\n`);
      sock.write(first);
    });
    sock.setTimeout(silenceMs, () => {
      if (events.includes('sent the rest of the body')) {
        events.push('gave up');
        sock.destroy();
        return;
      }
      events.push('sent the rest of the body');
      sock.write(rest);
    });
    sock.on('data', (b: Buffer) => {
      if (response === '') events.push('answered');
      response += b.toString('latin1');
    });
    sock.on('end', () => events.push('closed by the server'));
    sock.on('error', (e: NodeJS.ErrnoException) => events.push(`error ${e.code}`));
    sock.on('close', () => resolve({ events, response }));
  });
}

/** Status line, lower-cased header names with their values, and the body of a raw HTTP/1.1 response. */
function parseResponse(raw: string): { status: string; headers: Record<string, string>; body: string } {
  const end = raw.indexOf('\r\n\r\n');
  const [status = '', ...lines] = raw.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const l of lines) headers[l.slice(0, l.indexOf(':')).toLowerCase()] = l.slice(l.indexOf(':') + 1).trim();
  return { status, headers, body: raw.slice(end + 4) };
}

describe('answered from the request head, before the body is read', () => {
  const first = Buffer.from('{"RayID":"stall-1","EdgeStartTimestamp":1668470400000000000}\n');
  const bodies: [string, string[], Buffer][] = [
    ['a Content-Length within the limit', [`Content-Length: ${60 * 1024}`], Buffer.alloc(60 * 1024 - first.length, 0x20)],
    ['a Content-Length of 6 MB', [`Content-Length: ${6 * 1024 * 1024}`], Buffer.alloc(6 * 1024 * 1024 - first.length, 0x20)],
    ['a chunked body', ['Transfer-Encoding: chunked'], Buffer.from('0\r\n\r\n')],
  ];
  const chunkedOrNot = (head: string[], b: Buffer): Buffer =>
    head[0]!.startsWith('Transfer-Encoding') ? Buffer.concat([Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from('\r\n')]) : b;

  test.each(bodies)('no secret, %s, the body stalled after a few bytes: 401 and the connection closed while the rest is unsent', async (_name, length, rest) => {
    for (const secretHeader of [[], [`x-panther-cloudflare: ${WRONG}`]]) {
      const before = files();
      const { events, response } = await stalledUpload(
        ['POST /http_requests HTTP/1.1', 'Host: 127.0.0.1', ...secretHeader, ...length],
        chunkedOrNot(length, first),
        rest,
      );
      expect(events).toEqual(['answered', 'closed by the server']);
      const res = parseResponse(response);
      expect(res.status).toBe('HTTP/1.1 401 Unauthorized');
      expect(res.headers.connection).toBe('close');
      expect(JSON.parse(res.body)).toEqual({ error: 'unauthorized' });
      expect(files()).toEqual(before);
    }
  });

  test('with the secret, a Content-Length over the limit: 413 and the connection closed while the body is unsent', async () => {
    const before = files();
    const { events, response } = await stalledUpload(
      ['POST /http_requests HTTP/1.1', 'Host: 127.0.0.1', `x-panther-cloudflare: ${SECRET}`, `Content-Length: ${6 * 1024 * 1024}`],
      first,
      Buffer.alloc(6 * 1024 * 1024 - first.length, 0x20),
    );
    expect(events).toEqual(['answered', 'closed by the server']);
    const res = parseResponse(response);
    expect(res.status).toBe('HTTP/1.1 413 Payload Too Large');
    expect(res.headers.connection).toBe('close');
    expect(files()).toEqual(before);
  });

  test('with the secret, a body that arrives slowly after the check is read whole: 200', async () => {
    const body = ndjson([{ Application: 'app-s-slow', Timestamp: 1668470400 }]);
    const { result, files: got } = await added(() =>
      stalledUpload(
        ['POST /spectrum_events HTTP/1.1', 'Host: 127.0.0.1', `x-panther-cloudflare: ${SECRET}`, `Content-Length: ${body.length}`, 'Connection: close'],
        body.subarray(0, 10),
        body.subarray(10),
        500,
      ),
    );
    // The server waits for the body: the client sends the rest once the server has been silent for a while.
    expect(result.events).toEqual(['sent the rest of the body', 'answered', 'closed by the server']);
    expect(parseResponse(result.response).status).toBe('HTTP/1.1 200 OK');
    expect(got).toEqual([`logs/cloudflare_spectrum/year=2022/month=11/day=15/hour=00/${baseNameFor('Cloudflare.Spectrum', body)}.json.zst`]);
  });

  test('Expect: 100-continue: no 100 Continue without the secret, so the body is never sent; with it, 100 then 200', async () => {
    const body = ndjson([{ Application: 'app-s-continue', Timestamp: 1668470400 }]);
    const head = (secret: string[]) => ['POST /spectrum_events HTTP/1.1', 'Host: 127.0.0.1', ...secret, `Content-Length: ${body.length}`, 'Expect: 100-continue', 'Connection: close'];
    const refused = await stalledUpload(head([]), Buffer.alloc(0), body);
    expect(refused.events).toEqual(['answered', 'closed by the server']);
    expect(parseResponse(refused.response).status).toBe('HTTP/1.1 401 Unauthorized');

    const { result, files: got } = await added(
      () =>
        new Promise<string>((resolve, reject) => {
          let response = '';
          const sock = connect(Number(new URL(base).port), '127.0.0.1', () => sock.write(`${head([`x-panther-cloudflare: ${SECRET}`]).join('\r\n')}\r\n\r\n`));
          sock.on('data', (b: Buffer) => {
            const sent = response.startsWith('HTTP/1.1 100 Continue\r\n\r\n');
            response += b.toString('latin1');
            if (!sent && response.startsWith('HTTP/1.1 100 Continue\r\n\r\n')) sock.write(body);
          });
          sock.on('close', () => resolve(response));
          sock.on('error', reject);
        }),
    );
    expect(result).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
    expect(got).toEqual([`logs/cloudflare_spectrum/year=2022/month=11/day=15/hour=00/${baseNameFor('Cloudflare.Spectrum', body)}.json.zst`]);
  });
});

describe('refused requests write nothing', () => {
  test('GET: 405 with Allow: POST', async () => {
    const before = files();
    const res = await fetch(`${base}/http_requests`, { headers: { 'x-panther-cloudflare': SECRET } });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    await res.text();
    expect(files()).toEqual(before);
  });

  test('a corrupt gzip body: 400', async () => {
    const good = gzipSync(ndjson(CASES[0]!.lines));
    const corrupt = Buffer.from(good);
    corrupt.fill(0x41, 10, 30); // the deflate stream right after the header
    const { result, files: got } = await added(() => post('/http_requests', corrupt));
    expect(result.status).toBe(400);
    expect(String(result.json.error)).toMatch(/^undecodable body: gzip stream is corrupt/);
    expect(got).toEqual([]);
  });

  test('a gzip body truncated after a good start: 400, nothing of it kept', async () => {
    const many = ndjson(
      Array.from({ length: 3000 }, (_, i) => ({ ClientIP: '192.0.2.1', EdgeStartTimestamp: 1668470400000000000n + BigInt(i), RayID: `r${i}`, Pad: 'p'.repeat(i % 50) })),
    );
    const gz = gzipSync(many, { level: 1 });
    expect(gz.length).toBeLessThan(64 * 1024);
    const { result, files: got } = await added(() => post('/http_requests', gz.subarray(0, gz.length - 200)));
    expect(result.status).toBe(400);
    expect(String(result.json.error)).toMatch(/^undecodable body: gzip stream is truncated/);
    expect(got).toEqual([]);
  });

  test('a body that is not NDJSON (a JSON array batch): 400', async () => {
    const arr = Buffer.from(`[${CASES[0]!.lines.map(line).join(',')}]`);
    const { result, files: got } = await added(() => post('/http_requests', arr));
    expect(result.status).toBe(400);
    expect(String(result.json.error)).toMatch(/JSON array, not NDJSON/);
    expect(got).toEqual([]);
  });

  test('an empty body: 400', async () => {
    const { result, files: got } = await added(() => post('/http_requests', Buffer.alloc(0)));
    expect(result.status).toBe(400);
    expect(got).toEqual([]);
  });

  test('an unknown log type: 400 naming the accepted values', async () => {
    for (const path of ['/pizza_orders', '/', '/?dataset=nope', '/http_requests?dataset=audit_logs']) {
      const { result, files: got } = await added(() => post(path, ndjson(CASES[0]!.lines)));
      expect(result.status).toBe(400);
      // Every dataset of every schema, sorted: the four seed ones and the rest.
      expect(result.json.accepted).toEqual([...builtInRegistry().datasets()].sort());
      expect(result.json.accepted).toEqual(expect.arrayContaining(['audit_logs', 'gateway_dns', 'http_requests', 'workers_trace_events']));
      expect(got).toEqual([]);
    }
  });

  test('a body over the limit: 413 (checked after the secret)', async () => {
    const big = Buffer.alloc(64 * 1024 + 1, 0x20);
    const { result, files: got } = await added(() => post('/http_requests', big));
    expect(result.status).toBe(413);
    expect(got).toEqual([]);
    const unauth = await post('/http_requests', big, { 'x-panther-cloudflare': WRONG });
    expect(unauth.status).toBe(401);
  });

  test('a body far over the limit: 413 at once, the upload is cut off', async () => {
    const before = files();
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${base}/http_requests`, { method: 'POST', headers: { 'x-panther-cloudflare': SECRET } });
      req.on('response', (res) => {
        resolve(res.statusCode ?? 0);
        res.resume();
      });
      req.on('error', (e) => reject(e));
      const chunk = Buffer.alloc(64 * 1024, 0x7b);
      let sent = 0;
      const pump = (): void => {
        // Far more than the server reads after refusing it (8 MiB at most); stops once the answer is in.
        while (sent < 64 * 1024 * 1024) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        req.end();
      };
      pump();
    }).catch((e: NodeJS.ErrnoException) => (e.code === 'EPIPE' || e.code === 'ECONNRESET' ? 413 : Promise.reject(e)));
    expect(status).toBe(413);
    expect(files()).toEqual(before);
  });
});

test('a batch with some bad lines: 200, good lines are rows, bad ones are reject records', async () => {
  const good = CASES[0]!.lines;
  const body = gzipSync(
    Buffer.from(
      [
        line(good[0]!),
        `{"ClientIP":"192.0.2.50","RayID":"${RAW_MARKER}-1"`, // invalid JSON
        '',
        line({ ClientIP: '192.0.2.51', RayID: `${RAW_MARKER}-2` }), // no EdgeStartTimestamp
        line(good[1]!),
        line({ EdgeStartTimestamp: 'yesterday', RayID: `${RAW_MARKER}-3` }),
      ].join('\n') + '\n',
    ),
  );
  const { result, files: got } = await added(() => post('/http_requests', body));
  expect(result.status).toBe(200);
  expect(result.json).toEqual({ ok: true, logType: 'Cloudflare.HttpRequest', lines: 6, rows: 2, rejects: 3, filtered: 0, blank: 1 });
  const name = baseNameFor('Cloudflare.HttpRequest', body);
  expect(got).toEqual([
    `logs/cloudflare_httprequest/year=2022/month=11/day=15/hour=00/${name}.json.zst`,
    `logs/cloudflare_httprequest/year=2022/month=11/day=15/hour=01/${name}.json.zst`,
    `rejects/cloudflare_httprequest/${REJECT_PARTITION}/${name}.json.zst`,
  ]);
  expect(readRows(got[0]!).map((r) => r.RayID)).toEqual(['ray-h-1']);
  expect(readRows(got[1]!).map((r) => r.RayID)).toEqual(['ray-h-2']);
  const rejects = readRows(got[2]!);
  expect(rejects.map((r) => [r.source, r.line, r.reason])).toEqual([
    [`http:${result.requestId}`, 2, 'invalid_json'],
    [`http:${result.requestId}`, 4, 'missing_required'],
    [`http:${result.requestId}`, 6, expect.stringMatching(/^(invalid_timestamp|schema)$/)],
  ]);
  expect(rejects.map((r) => r.raw)).toEqual([
    `{"ClientIP":"192.0.2.50","RayID":"${RAW_MARKER}-1"`,
    line({ ClientIP: '192.0.2.51', RayID: `${RAW_MARKER}-2` }),
    line({ EdgeStartTimestamp: 'yesterday', RayID: `${RAW_MARKER}-3` }),
  ]);
  for (const r of rejects) expect(r.parse_time).toBe(PARSE_TIME);
});

test('with CFLOGS_OUTPUT_COMPRESSION=gzip the same batch lands as .json.gz gzip files holding the same rows', async () => {
  const gzOut = mkdtempSync(join(tmpdir(), 'cflogs-http-gzip-'));
  const gzStop = new AbortController();
  let listening!: (url: string) => void;
  const ready = new Promise<string>((r) => (listening = r));
  const gzFinished = serveCommand(['--port', '0', '--secret', SECRET, '--out', gzOut], {
    stdout: new PassThrough(),
    stderr: new PassThrough(),
    env: { CFLOGS_MAX_BODY_BYTES: String(64 * 1024), CFLOGS_OUTPUT_COMPRESSION: 'gzip', CFLOGS_OUTPUT_FORMAT: 'ndjson' },
    signal: gzStop.signal,
    clock: () => NOW,
    log: { info() {}, warn() {}, error() {} },
    onListening: listening,
  });
  try {
    const gzBase = await ready;
    const body = gzipSync(ndjson([...CASES[0]!.lines, { ClientIP: '192.0.2.52', RayID: 'no-timestamp' }]));
    const zstd = await added(() => post('/http_requests', body));
    const gz = await fetch(`${gzBase}/http_requests`, { method: 'POST', body, headers: { 'x-panther-cloudflare': SECRET } });
    expect(gz.status).toBe(200);
    const gzJson = (await gz.json()) as Record<string, unknown>;
    expect(zstd.result.status).toBe(200);
    expect(gzJson).toEqual(zstd.result.json);
    expect(zstd.result.json).toMatchObject({ rows: 3, rejects: 1 });

    const gzFiles = filesUnder(gzOut);
    // Two event hours and a rejects file, by either codec, under the same names but for the extension.
    expect(zstd.files).toHaveLength(3);
    expect(zstd.files.every((f) => f.endsWith('.json.zst'))).toBe(true);
    expect(gzFiles).toEqual(zstd.files.map((f) => f.replace(/\.json\.zst$/, '.json.gz')));
    for (const f of zstd.files) expect(readFileSync(join(out, f)).readUInt32LE(0)).toBe(0xfd2fb528);
    for (const f of gzFiles) expect(readFileSync(join(gzOut, f)).subarray(0, 2).toString('hex')).toBe('1f8b');
    for (const [i, f] of zstd.files.entries()) {
      const rows = readRows(f);
      expect(rows.length).toBeGreaterThan(0);
      // Rejects carry the request id, which differs between the two requests.
      const strip = (r: Record<string, unknown>) => ({ ...r, source: r.source === undefined ? undefined : 'http:' });
      expect(readRows(gzFiles[i]!, gzOut).map(strip)).toEqual(rows.map(strip));
    }
  } finally {
    gzStop.abort();
    expect(await gzFinished).toBe(0);
    rmSync(gzOut, { recursive: true, force: true });
  }
});

/**
 * A client that writes its whole body before it reads the answer (node:http and fetch here; Go's net/http, which
 * Logpush uses, behaves alike) must still read a refusal sent while it was writing: serve goes on reading and
 * discarding the body, for a bounded time and size, before it closes. Against a second serve with the default
 * 6 MiB limit, so that 7 MB is over it but within what a refused connection may still send.
 */
describe('a refused upload still being sent gets its answer, not a broken connection', () => {
  const SEVEN_MB = 7_000_000;
  const body = Buffer.alloc(SEVEN_MB, 0x20);
  let lingerBase: string;
  let lingerOut: string;
  let lingerStop: AbortController;
  let lingerFinished: Promise<number>;

  beforeAll(async () => {
    lingerOut = mkdtempSync(join(tmpdir(), 'cflogs-http-linger-'));
    lingerStop = new AbortController();
    let listening!: (url: string) => void;
    const ready = new Promise<string>((r) => (listening = r));
    lingerFinished = serveCommand(['--port', '0', '--secret', SECRET, '--out', lingerOut], {
      stdout: new PassThrough(),
      stderr: new PassThrough(),
      env: {},
      signal: lingerStop.signal,
      clock: () => NOW,
      log: { info() {}, warn() {}, error() {} },
      onListening: listening,
    });
    lingerBase = await ready;
  });

  afterAll(async () => {
    lingerStop.abort();
    expect(await lingerFinished).toBe(0);
    rmSync(lingerOut, { recursive: true, force: true });
  });

  interface Outcome {
    status?: number;
    connection?: string | null;
    body?: string;
    error?: string;
  }

  /** node:http: the whole body is queued before any event, so it is written before the answer is looked at. */
  function viaNodeHttp(url: string, headers: Record<string, string>, chunked: boolean): Promise<Outcome> {
    return new Promise((resolve) => {
      const got: Outcome = {};
      const req = httpRequest(url, { method: 'POST', agent: false, headers: chunked ? headers : { ...headers, 'content-length': String(body.length) } });
      req.on('response', (res) => {
        got.status = res.statusCode;
        got.connection = res.headers.connection;
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => (got.body = text));
      });
      req.on('error', (e: NodeJS.ErrnoException) => (got.error ??= e.code ?? e.message));
      req.on('close', () => resolve(got));
      if (chunked) {
        for (let at = 0; at < body.length; at += 64 * 1024) req.write(body.subarray(at, at + 64 * 1024));
        req.end();
      } else req.end(body);
    });
  }

  async function viaFetch(url: string, headers: Record<string, string>, chunked: boolean): Promise<Outcome> {
    let at = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if (at >= body.length) return c.close();
        c.enqueue(body.subarray(at, (at += 64 * 1024)));
      },
    });
    try {
      const res = await fetch(url, { method: 'POST', headers, body: chunked ? stream : body, ...(chunked ? { duplex: 'half' } : {}) } as RequestInit);
      return { status: res.status, connection: res.headers.get('connection'), body: await res.text() };
    } catch (e) {
      const cause = (e as { cause?: NodeJS.ErrnoException }).cause;
      return { error: cause?.code ?? cause?.message ?? (e as Error).message };
    }
  }

  /** A raw socket that reads nothing until the whole request is in the kernel: a refusal must outlast the upload. */
  function viaSocket(url: string, headers: Record<string, string>, chunked: boolean): Promise<Outcome> {
    return new Promise((resolve) => {
      const got: Outcome = {};
      let raw = '';
      const head = ['POST /http_requests HTTP/1.1', 'Host: 127.0.0.1', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
      head.push(chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${body.length}`);
      const payload = chunked ? Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')]) : body;
      const sock = connect(Number(new URL(url).port), '127.0.0.1');
      sock.pause();
      sock.write(`${head.join('\r\n')}\r\n\r\n`);
      sock.write(payload, (e) => (e ? undefined : sock.resume()));
      sock.on('data', (b: Buffer) => (raw += b.toString('latin1')));
      sock.on('error', (e: NodeJS.ErrnoException) => (got.error ??= e.code ?? e.message));
      sock.on('close', () => {
        if (raw !== '') {
          const res = parseResponse(raw);
          Object.assign(got, { status: Number(res.status.split(' ')[1]), connection: res.headers.connection, body: res.body });
        }
        resolve(got);
      });
    });
  }

  const clients = [
    ['node:http', viaNodeHttp],
    ['fetch', viaFetch],
    ['a raw socket', viaSocket],
  ] as const;
  const cases = [
    ['413, announced by Content-Length', { 'x-panther-cloudflare': SECRET }, false, 413],
    ['413, a chunked body that grows past the limit', { 'x-panther-cloudflare': SECRET }, true, 413],
    ['401, no secret, Content-Length of 7 MB', {}, false, 401],
    ['401, a wrong secret, chunked', { 'x-panther-cloudflare': WRONG }, true, 401],
  ] as const;

  test.each(clients.flatMap(([client, send]) => cases.map(([name, headers, chunked, status]) => [client, name, send, headers, chunked, status] as const)))(
    '%s writes a 7 MB body before reading: %s, read whole, the connection closed, nothing written',
    async (_client, _name, send, headers, chunked, status) => {
      const got = await send(`${lingerBase}/http_requests`, headers, chunked);
      expect({ status: got.status, error: got.error, connection: got.connection }).toEqual({ status, error: undefined, connection: 'close' });
      expect(JSON.parse(got.body ?? '')).toEqual({ error: status === 401 ? 'unauthorized' : expect.stringMatching(/^body too large/) });
      expect(filesUnder(lingerOut)).toEqual([]);
    },
  );

  /**
   * A client on a raw socket: the head of a request without the secret and a few bytes of a 1000-byte body. Records
   * the server answering and closing; `rest()` sends the rest of the body, `destroy()` hangs up.
   */
  function refusedUpload(port: number) {
    const events: string[] = [];
    let answered!: () => void;
    const answer = new Promise<void>((r) => (answered = r));
    const sock = connect(port, '127.0.0.1', () => sock.write('POST /http_requests HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n' + ' '.repeat(10)));
    sock.on('data', () => {
      if (!events.includes('answered')) events.push('answered');
      answered();
    });
    sock.on('end', () => events.push('closed by the server'));
    sock.on('error', (e: NodeJS.ErrnoException) => events.push(`error ${e.code}`));
    const closed = new Promise<void>((r) => sock.on('close', () => r()));
    return { events, answer, closed, rest: () => sock.write(' '.repeat(990)), destroy: () => sock.destroy() };
  }

  test('lingering is bounded across connections: past the limit a refused connection is closed at once; a finished one frees its place', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cflogs-http-linger-cap-'));
    const deps = wireHttp({}, { store: new LocalStore(dir), log: { info() {}, warn() {}, error() {} }, http: { secret: SECRET } });
    // Time bounds far beyond the test: only the count decides here.
    const server = createLogpushServer(deps, { linger: { maxConnections: 1, idleMs: 120_000, maxMs: 120_000 } });
    server.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const port = (server.address() as { port: number }).port;
    try {
      const a = refusedUpload(port);
      await a.answer;
      const b = refusedUpload(port);
      await b.closed;
      expect(b.events).toEqual(['answered', 'closed by the server']);
      expect(a.events).toEqual(['answered']); // still read from
      a.rest();
      await a.closed; // the whole body read: closed at once
      expect(a.events).toEqual(['answered', 'closed by the server']);

      const c = refusedUpload(port);
      await c.answer;
      const d = refusedUpload(port);
      await d.closed;
      expect(d.events).toEqual(['answered', 'closed by the server']);
      expect(c.events).toEqual(['answered']); // holds the place a freed
      c.destroy();
      await c.closed;
    } finally {
      await new Promise((r) => server.close(r));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// Runs last (jest keeps file order): everything the server logged during the whole suite, which included bad
// lines and wrong secrets, holds neither secret nor any raw line content.
test('no log line holds the secret, a wrong secret or raw line content', () => {
  const all = logged.join('\n');
  expect(all).toContain('batch processed'); // the capture works
  expect(all).toContain('wrong_secret');
  expect(all).toContain('missing_secret');
  for (const needle of [SECRET, WRONG, RAW_MARKER, 'ray-h-1', '192.0.2.50', 'alice@example.com', 'Bearer']) {
    expect(all).not.toContain(needle);
  }
});
