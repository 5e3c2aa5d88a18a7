import { readLakeFile, readParquetRows } from '../../testkit/lake-files';
/**
 * functions/http-ingest.ts as Lambda runs it: module-scope config from the environment, the real Powertools
 * Logger, S3 (mocked at the SDK) as the sink. Everything the function prints while it handles a batch with bad
 * lines and requests with wrong secrets is captured: neither the secret nor raw line content may appear.
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { gzipSync } from 'node:zlib';

const SECRET = 'lambda-secret-3c9f0d2e';
const RAW_MARKER = 'RAWLINE-lambda-b7c2';

type Handler = (e: APIGatewayProxyEventV2, c: Context) => Promise<APIGatewayProxyStructuredResultV2>;

const s3 = mockClient(S3Client);
const saved = { ...process.env };
let handler: Handler;
const printed: string[] = [];

beforeAll(() => {
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    CFLOGS_OUTPUT_BUCKET: 'lake-bucket',
    CFLOGS_OUTPUT_PREFIX: 'cf/',
    CFLOGS_SHARED_SECRET: SECRET,
    POWERTOOLS_LOG_LEVEL: 'DEBUG',
  });
  delete process.env.CFLOGS_SECRET_PARAMETER;
  delete process.env.CFLOGS_SECRET_ID;
  s3.on(PutObjectCommand).resolves({ ETag: '"x"' });
  for (const stream of [process.stdout, process.stderr]) {
    // Captured and kept off the terminal; restored in afterAll.
    jest.spyOn(stream, 'write').mockImplementation(((chunk: string | Uint8Array) => {
      printed.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
      return true;
    }) as typeof stream.write);
  }
  for (const m of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    jest.spyOn(console, m).mockImplementation((...a: unknown[]) => void printed.push(a.map(String).join(' ')));
  }
  // Required after the environment is set (the module reads it at load), in this file's registry, so the S3
  // client it builds is the mocked class.
  handler = (require('../../functions/http-ingest') as { handler: Handler }).handler;
});

afterAll(() => {
  jest.restoreAllMocks();
  s3.restore();
  process.env = saved;
});

const context = {
  functionName: 'cflogs-http-ingest',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:cflogs-http-ingest',
  memoryLimitInMB: '512',
  awsRequestId: 'aws-req-1',
  logGroupName: '/aws/lambda/cflogs-http-ingest',
  logStreamName: 's',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 30000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
} as Context;

function event(body: Buffer, headers: Record<string, string>, path = '/http_requests'): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: { 'content-encoding': 'gzip', 'user-agent': 'Go-http-client/2.0', ...headers },
    requestContext: {
      accountId: 'anonymous',
      apiId: 'u1',
      domainName: 'u1.lambda-url.us-east-1.on.aws',
      domainPrefix: 'u1',
      http: { method: 'POST', path, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'Go-http-client/2.0' },
      requestId: `url-req-${printed.length}`,
      routeKey: '$default',
      stage: '$default',
      time: '04/Mar/2026:05:06:07 +0000',
      timeEpoch: 1772600767000,
    },
    body: body.toString('base64'),
    isBase64Encoded: true,
  };
}

test('a gzip batch with bad lines, wrong and missing secrets, a validation request: statuses, S3 objects, clean logs', async () => {
  const batch = gzipSync(
    [
      '{"ClientIP":"192.0.2.7","EdgeStartTimestamp":1668470400000000000,"RayID":"lam-1"}',
      `{"ClientIP":"192.0.2.8","RayID":"${RAW_MARKER}-a"`,
      `{"RayID":"${RAW_MARKER}-b"}`,
    ].join('\n'),
  );

  const wrong = await handler(event(batch, { 'x-panther-cloudflare': `${SECRET}x` }), context);
  expect(wrong.statusCode).toBe(401);
  const missing = await handler(event(batch, {}), context);
  expect(missing.statusCode).toBe(401);
  expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);

  const validation = await handler(event(gzipSync('{"content":"tests"}'), { 'x-panther-cloudflare': SECRET }), context);
  expect(validation.statusCode).toBe(200);
  expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);

  const ok = await handler(event(batch, { 'x-panther-cloudflare': SECRET }), context);
  expect(ok.statusCode).toBe(200);
  expect(JSON.parse(ok.body as string)).toEqual({ ok: true, logType: 'Cloudflare.HttpRequest', lines: 3, rows: 1, rejects: 2, filtered: 0, blank: 0 });
  const puts = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
  expect(puts.map((p) => [p.Bucket, p.Key]).sort()).toEqual([
    // The environment names no format: rows as Parquet, rejects as NDJSON.
    ['lake-bucket', expect.stringMatching(/^cf\/logs\/cloudflare_httprequest\/year=2022\/month=11\/day=15\/hour=00\/http-[0-9a-f]{32}\.parquet$/)],
    ['lake-bucket', expect.stringMatching(/^cf\/rejects\/cloudflare_httprequest\/year=\d{4}\/month=\d\d\/day=\d\d\/hour=\d\d\/http-[0-9a-f]{32}\.json\.zst$/)],
  ]);
  const rows = puts.find((p) => p.Key!.includes('/logs/'))!;
  expect(await readParquetRows(rows.Body as Uint8Array, ['RayID', 'p_event_time_ns'])).toEqual([{ RayID: 'lam-1', p_event_time_ns: 1668470400000000000n }]);
  const rejects = puts.find((p) => p.Key!.includes('/rejects/'))!;
  const records = readLakeFile(rejects.Body as Uint8Array).trim().split('\n').map((l) => JSON.parse(l));
  expect(records.map((r) => [r.line, r.reason, r.source])).toEqual([
    [2, 'invalid_json', expect.stringMatching(/^http:url-req-/)],
    [3, 'missing_required', expect.stringMatching(/^http:url-req-/)],
  ]);

  const all = printed.join('\n');
  expect(all).toContain('batch processed'); // the capture sees the Logger
  expect(all).toContain('wrong_secret');
  for (const needle of [SECRET, RAW_MARKER, '192.0.2.8', 'lam-1']) expect(all).not.toContain(needle);
});
