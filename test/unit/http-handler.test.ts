import { outputCodec } from '../../lib/lake/codec';
import { readLakeFile } from '../../testkit/lake-files';
/**
 * handleLogpushRequest and its parts without a network: body classification (validation requests, NDJSON or
 * not), log type resolution, the function URL adapter, and the 500s (sink or secret store failing).
 */
import { PassThrough } from 'node:stream';
import { finished } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { loadConfig } from '../../lib/config';
import { classifyBody } from '../../lib/http/body';
import { handleLogpushRequest, HttpDeps, LogpushRequest, resolveLogType } from '../../lib/http/handler';
import { handleFunctionUrlEvent, requestFromFunctionUrl } from '../../lib/http/lambda';
import type { Log } from '../../lib/log';
import { Router } from '../../lib/route/router';
import { builtInRegistry } from '../../lib/record/registry';
import type { ObjectStore, WriteTarget } from '../../lib/lake/types';

const SECRET = 'handler-secret-aa41';

/** Objects appear when their stream ends (as S3 objects do), unless the store is told to fail. */
class MemStore implements ObjectStore {
  readonly objects = new Map<string, Buffer>();
  constructor(private readonly fail = false) {}
  openWrite(key: string): WriteTarget {
    const stream = new PassThrough();
    const chunks: Buffer[] = [];
    stream.on('data', (b: Buffer) => chunks.push(b));
    const result = finished(stream).then(() => {
      if (this.fail) throw new Error('SlowDown: please reduce your request rate');
      this.objects.set(key, Buffer.concat(chunks));
    });
    result.catch(() => undefined);
    return { stream, result, abort: async () => void stream.destroy() };
  }
}

function recorder(): Log & { lines: string[] } {
  const lines: string[] = [];
  const rec = (level: string) => (m: string, ...x: Record<string, unknown>[]) => void lines.push(JSON.stringify([level, m, ...x]));
  return { lines, info: rec('info'), warn: rec('warn'), error: rec('error') };
}

function deps(over: Partial<HttpDeps> = {}, http: Partial<HttpDeps['http']> = {}): HttpDeps & { store: MemStore } {
  return {
    http: { secretHeader: 'x-panther-cloudflare', getSecret: async () => SECRET, maxBodyBytes: 1 << 20, defaultDataset: undefined, ...http },
    router: new Router([], builtInRegistry()),
    store: new MemStore(),
    config: { outputPrefix: 'lake/', limits: { maxLineBytes: 4096, maxDecompressedBytes: 1 << 20 }, codec: outputCodec('zstd', 1), maxOpenFiles: 4 },
    clock: () => new Date('2026-03-04T05:06:07Z'),
    log: recorder(),
    ...over,
  } as HttpDeps & { store: MemStore };
}

function req(over: Partial<LogpushRequest> = {}): LogpushRequest {
  return {
    method: 'POST',
    path: '/http_requests',
    query: {},
    headers: { 'x-panther-cloudflare': SECRET },
    body: Buffer.from('{"EdgeStartTimestamp":1668470400000000000,"RayID":"r1"}\n'),
    requestId: 'req-1',
    ...over,
  };
}

describe('classifyBody', () => {
  const limit = 1 << 20;
  test.each(['test', '{"content":"test"}', '{"content":"tests"}', '\ntest\n', '  {"content":"tests"}\r\n', '\ufefftest'])(
    'validation body %j, plain and gzip',
    async (b) => {
      expect(await classifyBody(Buffer.from(b), limit)).toEqual({ kind: 'validation' });
      expect(await classifyBody(gzipSync(b), limit)).toEqual({ kind: 'validation' });
    },
  );

  test.each(['tests', 'Test', '{"content": "test"}', '{"content":"test"}\n{"content":"test"}', `{"content":"test"}${' '.repeat(80)}x`])(
    'not a validation body: %j',
    async (b) => {
      expect((await classifyBody(Buffer.from(b), limit)).kind).not.toBe('validation');
    },
  );

  test('NDJSON, possibly after blank lines and a BOM; gzip sniffed by magic bytes', async () => {
    expect(await classifyBody(Buffer.from('\n\r\n  {"a":1}\n'), limit)).toMatchObject({ kind: 'ndjson' });
    expect(await classifyBody(Buffer.from('\ufeff{"a":1}'), limit)).toMatchObject({ kind: 'ndjson' });
    expect(await classifyBody(gzipSync(`${' '.repeat(200_000)}\n{"a":1}`), limit)).toMatchObject({ kind: 'ndjson' });
  });

  test.each([
    ['a short body', '{"a":1}\n{"a":2}\n'],
    ['a body longer than the bytes looked at', `{"a":1}\n${'{"b":"x"}\n'.repeat(200_000)}`],
    ['a body that starts with more whitespace than is kept', `${' \n'.repeat(1_500_000)}{"a":1}\n`],
  ])('a batch comes back decoded in full, the bytes looked at included: %s', async (_name, text) => {
    const kind = await classifyBody(gzipSync(text), 64 << 20);
    if (kind.kind !== 'ndjson') throw new Error(`classified as ${kind.kind}`);
    const chunks: Buffer[] = [];
    for await (const c of kind.decoded.chunks) chunks.push(c);
    expect(kind.decoded.compression).toBe('gzip');
    expect(Buffer.concat(chunks).toString()).toBe(text);
  });

  test('not NDJSON: a JSON array, CSV, binary; empty', async () => {
    expect(await classifyBody(Buffer.from('[{"a":1},{"a":2}]'), limit)).toMatchObject({ kind: 'not_ndjson', message: expect.stringMatching(/JSON array/) });
    expect(await classifyBody(gzipSync('a,b,c\n1,2,3\n'), limit)).toMatchObject({ kind: 'not_ndjson' });
    expect(await classifyBody(Buffer.from([0x00, 0x01, 0x02]), limit)).toMatchObject({ kind: 'not_ndjson' });
    expect(await classifyBody(Buffer.alloc(0), limit)).toEqual({ kind: 'empty' });
    expect(await classifyBody(gzipSync(' \n\n'), limit)).toEqual({ kind: 'empty' });
  });

  test('corrupt gzip and decompression bombs throw (the handler answers 400)', async () => {
    await expect(classifyBody(Buffer.from([0x1f, 0x8b, 0x08, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), limit)).rejects.toThrow(/gzip/);
    await expect(classifyBody(gzipSync(Buffer.alloc(2 << 20, 0x20)), limit)).rejects.toThrow(/exceeds the limit/);
  });
});

describe('resolveLogType', () => {
  const d = deps();
  const via = (path: string, query: Record<string, string> = {}, dflt?: string) => {
    const r = resolveLogType({ path, query }, { router: d.router, http: { ...d.http, defaultDataset: dflt } });
    return 'route' in r ? `${r.route.entry.plan.logType} via ${r.route.via}` : `error: ${r.error}`;
  };

  test.each([
    ['/http_requests', {}, undefined, 'Cloudflare.HttpRequest via path'],
    ['/firewall_events/', {}, undefined, 'Cloudflare.Firewall via path'],
    ['/prod/spectrum_events', {}, undefined, 'Cloudflare.Spectrum via path'],
    ['/Cloudflare.Audit', {}, undefined, 'Cloudflare.Audit via path'],
    ['/audit%5Flogs', {}, undefined, 'Cloudflare.Audit via path'],
    ['/', { dataset: 'firewall_events' }, undefined, 'Cloudflare.Firewall via query'],
    ['/http_requests', { dataset: 'http_requests' }, undefined, 'Cloudflare.HttpRequest via path'],
    ['/', {}, 'audit_logs', 'Cloudflare.Audit via default'],
    ['/prod', {}, 'audit_logs', 'Cloudflare.Audit via default'],
    ['/http_requests', {}, 'audit_logs', 'Cloudflare.HttpRequest via path'],
  ])('%s %j default %s -> %s', (path, query, dflt, want) => {
    expect(via(path, query, dflt)).toBe(want);
  });

  test.each([
    ['/', {}, /^error: no log type/],
    ['/pizza_orders', {}, /^error: unknown log type "pizza_orders" in the path/],
    ['/', { dataset: 'pizza_orders' }, /^error: unknown dataset "pizza_orders"/],
    ['/http_requests', { dataset: 'audit_logs' }, /^error: the path names Cloudflare.HttpRequest but \?dataset= names Cloudflare.Audit/],
  ])('%s %j -> %s', (path, query, want) => {
    expect(via(path, query)).toMatch(want);
  });
});

describe('handleLogpushRequest', () => {
  test('a batch: 200 with the summary, the lake layout under the prefix', async () => {
    const d = deps();
    const res = await handleLogpushRequest(req(), d);
    expect(res.status).toBe(200);
    expect(res.headers).toMatchObject({ 'content-type': 'application/json', 'x-request-id': 'req-1' });
    expect(JSON.parse(res.body)).toEqual({ ok: true, logType: 'Cloudflare.HttpRequest', lines: 1, rows: 1, rejects: 0, filtered: 0, blank: 0 });
    const keys = [...d.store.objects.keys()];
    expect(keys).toEqual([expect.stringMatching(/^lake\/logs\/cloudflare_httprequest\/year=2022\/month=11\/day=15\/hour=00\/http-[0-9a-f]{32}\.json\.zst$/)]);
    expect(JSON.parse(readLakeFile(d.store.objects.get(keys[0]!)!))).toMatchObject({ RayID: 'r1', p_parse_time: '2026-03-04 05:06:07.000000000' });
  });

  test("a gzip batch's summary line gives the body's compression and its size as received", async () => {
    const d = deps();
    const text = '{"EdgeStartTimestamp":1668470400000000000,"RayID":"r1"}\n'.repeat(50);
    const body = gzipSync(text);
    expect((await handleLogpushRequest(req({ body }), d)).status).toBe(200);
    const line = (d.log as ReturnType<typeof recorder>).lines.map((l) => JSON.parse(l) as [string, string, Record<string, unknown>]).find((l) => l[1] === 'batch processed');
    expect(line?.[2]).toMatchObject({ requestId: 'req-1', route: 'path', compression: 'gzip', bytesIn: body.length, rowsWritten: 50 });
  });

  test('ingestion filters from the routes file apply to HTTP batches too', async () => {
    const config = loadConfig({
      CFLOGS_ROUTES: 'filters:\n  - name: drop-logged\n    logType: Cloudflare.Firewall\n    exclude: { field: Action, in: [log] }\n',
    });
    const d = deps({ router: new Router(config.routes, builtInRegistry(), config) });
    const body = Buffer.from(
      '{"Action":"block","Datetime":"2022-11-15T00:00:00Z","RayID":"f1"}\n{"Action":"log","Datetime":"2022-11-15T00:00:00Z","RayID":"f2"}\n',
    );
    const res = await handleLogpushRequest(req({ path: '/firewall_events', body }), d);
    expect(JSON.parse(res.body)).toMatchObject({ lines: 2, rows: 1, rejects: 0, filtered: 1 });
    const rows = [...d.store.objects.values()].map((b) => readLakeFile(b));
    expect(rows.join('')).toContain('"f1"');
    expect(rows.join('')).not.toContain('"f2"');
  });

  test('the default dataset routes a request that names none', async () => {
    const d = deps({}, { defaultDataset: 'audit_logs' });
    const res = await handleLogpushRequest(req({ path: '/', body: Buffer.from('{"ID":"a","ResourceType":"zone","When":"2022-11-15T00:00:00Z"}') }), d);
    expect(res.status).toBe(200);
    expect([...d.store.objects.keys()][0]).toMatch(/^lake\/logs\/cloudflare_audit\//);
  });

  test('the method is checked first (405 even without a secret), any case of POST is POST', async () => {
    for (const method of ['GET', 'PUT', 'HEAD', 'OPTIONS', 'DELETE']) {
      const res = await handleLogpushRequest(req({ method, headers: {} }), deps());
      expect([method, res.status, res.headers.allow]).toEqual([method, 405, 'POST']);
    }
    expect((await handleLogpushRequest(req({ method: 'post' }), deps())).status).toBe(200);
  });

  test('the sink failing: 500 (Logpush retries), nothing left behind, the error logged without data', async () => {
    const d = deps({ store: new MemStore(true) });
    const res = await handleLogpushRequest(req(), d);
    expect(res.status).toBe(500);
    expect(JSON.parse(res.body)).toEqual({ error: 'writing the output failed; retry' });
    expect(d.store.objects.size).toBe(0);
    const lines = (d.log as ReturnType<typeof recorder>).lines;
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/"error","batch failed; Logpush will retry".*"errorName":"SinkError"/);
    expect(lines[0]).not.toContain('"r1"');
  });

  test('the secret store failing: 500, the body not looked at', async () => {
    const d = deps({}, { getSecret: () => Promise.reject(new Error('AccessDeniedException: not allowed')) });
    const res = await handleLogpushRequest(req({ body: Buffer.from('not even json') }), d);
    expect(res.status).toBe(500);
    expect(d.store.objects.size).toBe(0);
  });

  test('a missing secret is refused before the secret store is asked', async () => {
    const getSecret = jest.fn(async () => SECRET);
    const res = await handleLogpushRequest(req({ headers: {} }), deps({}, { getSecret }));
    expect(res.status).toBe(401);
    expect(getSecret).not.toHaveBeenCalled();
  });

  test('a body that decompresses beyond the limit (a bomb): 400, nothing written', async () => {
    const d = deps();
    const bomb = gzipSync(Buffer.concat([Buffer.from('{"EdgeStartTimestamp":1668470400000000000,"RayID":"b"}\n'), Buffer.alloc(2 << 20, 0x0a)]));
    expect(bomb.length).toBeLessThan(4096);
    const res = await handleLogpushRequest(req({ body: bomb }), d);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error).toMatch(/decompressed size exceeds the limit of 1048576 bytes/);
    expect(d.store.objects.size).toBe(0);
  });

  test('413 counts the body as received (compressed), not decoded', async () => {
    const d = deps({}, { maxBodyBytes: 100 });
    const lines = Array.from({ length: 50 }, (_, i) => `{"EdgeStartTimestamp":1668470400000000000,"RayID":"r${i}"}`).join('\n');
    expect((await handleLogpushRequest(req({ body: Buffer.from(lines) }), d)).status).toBe(413);
    const gz = gzipSync(lines);
    expect(gz.length).toBeGreaterThan(100);
    expect((await handleLogpushRequest(req({ body: gz.subarray(0, 100) }), d)).status).toBe(400); // truncated
    expect((await handleLogpushRequest(req({ body: gzipSync('{"EdgeStartTimestamp":1668470400000000000,"RayID":"x"}') }), d)).status).toBe(200);
  });
});

describe('the function URL adapter (payload format 2.0)', () => {
  function event(over: Partial<APIGatewayProxyEventV2> & { method?: string } = {}): APIGatewayProxyEventV2 {
    const { method = 'POST', ...rest } = over;
    return {
      version: '2.0',
      routeKey: '$default',
      rawPath: '/firewall_events',
      rawQueryString: 'dataset=firewall_events',
      headers: { 'x-panther-cloudflare': SECRET, 'content-encoding': 'gzip', 'content-type': 'application/json' },
      queryStringParameters: { dataset: 'firewall_events' },
      requestContext: {
        accountId: 'anonymous',
        apiId: 'abc123',
        domainName: 'abc123.lambda-url.us-east-1.on.aws',
        domainPrefix: 'abc123',
        http: { method, path: '/firewall_events', protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'Go-http-client/2.0' },
        requestId: 'fn-req-1',
        routeKey: '$default',
        stage: '$default',
        time: '04/Mar/2026:05:06:07 +0000',
        timeEpoch: 1772600767000,
      },
      isBase64Encoded: false,
      ...rest,
    };
  }

  test('base64 bodies are decoded; gzip is found by its bytes', async () => {
    const gz = gzipSync('{"Datetime":"2022-11-15T00:00:00Z","RayID":"f1"}\n');
    const r = requestFromFunctionUrl(event({ body: gz.toString('base64'), isBase64Encoded: true }));
    expect(r).toMatchObject({ method: 'POST', path: '/firewall_events', query: { dataset: 'firewall_events' }, requestId: 'fn-req-1' });
    expect(r.body.equals(gz)).toBe(true);
    const d = deps();
    const res = await handleFunctionUrlEvent(event({ body: gz.toString('base64'), isBase64Encoded: true }), d);
    expect(res).toMatchObject({ statusCode: 200, isBase64Encoded: false });
    expect(JSON.parse(res.body as string)).toMatchObject({ rows: 1 });
    expect([...d.store.objects.keys()][0]).toMatch(/^lake\/logs\/cloudflare_firewall\/year=2022\/month=11\/day=15\/hour=00\//);
  });

  test('a request without the right secret is answered 401 without its body being read or decoded', async () => {
    const body = gzipSync('{"Datetime":"2022-11-15T00:00:00Z","RayID":"f1"}\n'.repeat(1000)).toString('base64');
    for (const headers of [{}, { 'x-panther-cloudflare': `${SECRET}x` }]) {
      let reads = 0;
      const e = event({ headers, isBase64Encoded: true });
      Object.defineProperty(e, 'body', { enumerable: true, get: () => (reads++, body) });
      const d = deps();
      const res = await handleFunctionUrlEvent(e, d);
      expect([res.statusCode, JSON.parse(res.body as string)]).toEqual([401, { error: 'unauthorized' }]);
      expect(reads).toBe(0);
      expect(d.store.objects.size).toBe(0);
    }
  });

  test('a plain text body, a missing body, another method', async () => {
    const plain = await handleFunctionUrlEvent(event({ body: '{"content":"test"}' }), deps());
    expect([plain.statusCode, JSON.parse(plain.body as string)]).toEqual([200, { ok: true, validation: true }]);
    const none = await handleFunctionUrlEvent(event({}), deps());
    expect(none.statusCode).toBe(400);
    const get = await handleFunctionUrlEvent(event({ method: 'GET' }), deps());
    expect([get.statusCode, get.headers?.allow]).toEqual([405, 'POST']);
  });
});
