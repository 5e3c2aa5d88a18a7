import { outputCodec } from '../../lib/lake/codec';
/**
 * The shared-secret comparison: constant time on equal-length digests, whatever the presented value's length,
 * and header lookup that ignores the name's case.
 */
import { gzipSync } from 'node:zlib';
import { headerValue, secretMatches } from '../../lib/http/auth';
import { handleLogpushRequest, HttpDeps } from '../../lib/http/handler';
import { Router } from '../../lib/route/router';
import { builtInRegistry } from '../../lib/record/registry';
import type { ObjectStore } from '../../lib/lake/types';
import { silentLog } from '../../lib/log';

// The module object itself (not an interop copy), so the spy replaces what lib/http/auth.ts calls.
const crypto = require('node:crypto') as typeof import('node:crypto');

const SECRET = 'c0rrect-h0rse-battery-staple-01';

afterEach(() => jest.restoreAllMocks());

describe('secretMatches', () => {
  test('the right secret matches; surrounding whitespace does not matter (HTTP trims header values)', () => {
    expect(secretMatches(SECRET, SECRET)).toBe(true);
    expect(secretMatches(` ${SECRET}\t`, SECRET)).toBe(true);
    expect(secretMatches(SECRET, `${SECRET}\n`)).toBe(true);
  });

  const wrong: [string, string][] = [
    ['empty', ''],
    ['one byte', 'c'],
    ['a prefix', SECRET.slice(0, -1)],
    ['first byte differs', `X${SECRET.slice(1)}`],
    ['last byte differs', `${SECRET.slice(0, -1)}X`],
    ['longer', `${SECRET}0`],
    ['much longer', SECRET.repeat(300)],
    ['case differs', SECRET.toUpperCase()],
  ];

  test.each(wrong)('%s: no match, decided by timingSafeEqual on two 32-byte digests', (_name, presented) => {
    const spy = jest.spyOn(crypto, 'timingSafeEqual');
    expect(secretMatches(presented, SECRET)).toBe(false);
    expect(spy).toHaveBeenCalledTimes(1);
    const [a, b] = spy.mock.calls[0] as [Buffer, Buffer];
    expect(a.length).toBe(32);
    expect(b.length).toBe(32);
    expect(spy.mock.results[0]).toEqual({ type: 'return', value: false });
  });

  test('every comparison, right or wrong, goes through the constant-time primitive (no early exit)', () => {
    const spy = jest.spyOn(crypto, 'timingSafeEqual');
    const presented = [SECRET, ...wrong.map(([, w]) => w)];
    for (const p of presented) secretMatches(p, SECRET);
    expect(spy).toHaveBeenCalledTimes(presented.length);
    for (const [a, b] of spy.mock.calls as [Buffer, Buffer][]) {
      expect([a.length, b.length]).toEqual([32, 32]);
    }
  });
});

describe('headerValue', () => {
  test('finds a header whatever the case of its name', () => {
    expect(headerValue({ 'X-Panther-Cloudflare': 'v' }, 'x-panther-cloudflare')).toBe('v');
    expect(headerValue({ 'x-panther-cloudflare': 'v' }, 'X-PANTHER-CLOUDFLARE')).toBe('v');
    expect(headerValue({ other: 'v' }, 'x-panther-cloudflare')).toBeUndefined();
  });

  test('a repeated header is joined, so it never equals the secret', () => {
    const v = headerValue({ 'x-panther-cloudflare': [SECRET, SECRET] }, 'x-panther-cloudflare') as string;
    expect(v).toBe(`${SECRET}, ${SECRET}`);
    expect(secretMatches(v, SECRET)).toBe(false);
  });
});

describe('the handler refuses every wrong secret with 401 and reads nothing', () => {
  const opened: string[] = [];
  const store: ObjectStore = {
    openWrite: (k) => {
      opened.push(k);
      throw new Error('nothing may be written');
    },
  };
  const deps: HttpDeps = {
    http: { secretHeader: 'x-panther-cloudflare', getSecret: async () => SECRET, maxBodyBytes: 1024, defaultDataset: undefined },
    router: new Router([], builtInRegistry()),
    store,
    config: { outputPrefix: '', limits: { maxLineBytes: 1024, maxDecompressedBytes: 1 << 20 }, codec: outputCodec('zstd', 1), format: 'ndjson', maxOpenFiles: 4 },
    clock: () => new Date(0),
    log: silentLog,
  };
  // Not even gzip: were it parsed, the answer would be 400.
  const body = Buffer.concat([gzipSync('{"a":1}\n').subarray(0, 12), Buffer.from('junk')]);

  test.each([...wrong(), ['a header of the wrong name', undefined]])('%s', async (_name, presented) => {
    const spy = jest.spyOn(crypto, 'timingSafeEqual');
    const res = await handleLogpushRequest(
      {
        method: 'POST',
        path: '/http_requests',
        query: {},
        headers: presented === undefined ? { 'x-other': SECRET } : { 'X-Panther-Cloudflare': presented },
        body,
        requestId: 'r1',
      },
      deps,
    );
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body)).toEqual({ error: 'unauthorized' });
    expect(opened).toEqual([]);
    if (presented !== undefined) {
      expect(spy).toHaveBeenCalledTimes(1);
      expect((spy.mock.calls[0] as unknown as Buffer[]).map((b) => b.length)).toEqual([32, 32]);
    }
  });

  function wrong(): [string, string | undefined][] {
    return [
      ['empty', ''],
      ['short', 'x'],
      ['same length', SECRET.replace(/.$/, '!')],
      ['long', 'y'.repeat(5000)],
    ];
  }
});
