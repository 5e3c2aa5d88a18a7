/**
 * Every entry point is built by lib/wiring.ts from the same environment: a custom schema directory reaches
 * `cflogs parse`, `cflogs serve` and the S3 handler alike, and `cflogs detect` runs the functions' rules.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { ddlCommand } from '../../lib/cli/ddl';
import { detectDeps } from '../../lib/cli/detect';
import { topLevelHelp } from '../../lib/cli/help';
import { parseCommand } from '../../lib/cli/parse';
import { serveCommand } from '../../lib/cli/serve';
import { LocalStore } from '../../lib/lake/local-store';
import { silentLog } from '../../lib/log';
import { handleS3Event, IngestReport } from '../../lib/s3/handler';
import { cliRegistry, compileSchemas } from '../../lib/cli/schemas';
import { wireS3 } from '../../lib/wiring';
import { readLakeFile } from '../../testkit/lake-files';
import { LocalS3, s3CreatedEvent, startLocalS3 } from '../../testkit/local-s3';
import { filesUnder, INPUT, LAKE, lakeRows, listKeys, put, recordingLog, tempDir } from '../support/lake';

const CUSTOM = `
schema: Custom.Gateway
description: A deployment's own log type.
table: custom_gateway
fields:
  - name: At
    required: true
    type: timestamp
    timeFormats: [cloudflare]
    isEventTime: true
  - name: User
    type: string
    indicators: [email]
  - name: Bytes
    type: bigint
`;

const LINE = '{"At":"2026-11-01T10:00:00Z","User":"Ann@Example.com","Bytes":"12"}';
const EXPECTED = { At: '2026-11-01 10:00:00.000000000', Bytes: 12, p_log_type: 'Custom.Gateway', p_any_emails: ['ann@example.com'] };

const schemasDir = tempDir('schemas');
mkdirSync(join(schemasDir, 'custom'));
writeFileSync(join(schemasDir, 'custom', 'gateway.yml'), CUSTOM);

function capture() {
  const s = new PassThrough();
  const chunks: Buffer[] = [];
  s.on('data', (c: Buffer) => chunks.push(c));
  return { stream: s, text: () => Buffer.concat(chunks).toString() };
}

const lines = (t: string): Record<string, unknown>[] =>
  t
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('a custom schema directory (CFLOGS_SCHEMAS_DIR)', () => {
  it('reaches cflogs parse', async () => {
    const file = join(tempDir('parse-custom'), 'gw.log');
    writeFileSync(file, LINE + '\n');
    const out = capture();
    const err = capture();
    const code = await parseCommand(
      ['--log-type', 'Custom.Gateway', file],
      { stdout: out.stream, stderr: err.stream, stdin: new PassThrough(), clock: () => new Date('2026-11-24T12:00:00Z') },
      { CFLOGS_SCHEMAS_DIR: schemasDir },
    );
    expect(err.text()).toContain('Custom.Gateway, 1 lines, 1 rows');
    expect(code).toBe(0);
    expect(lines(out.text())).toEqual([expect.objectContaining(EXPECTED)]);
  });

  it('reaches cflogs ddl and the help, as it reaches parse', async () => {
    const out = capture();
    const env = { CFLOGS_SCHEMAS_DIR: schemasDir };
    expect(await ddlCommand(['--location', 's3://lake/logs/', '--log-type', 'Custom.Gateway'], { stdout: out.stream }, env)).toBe(0);
    expect(out.text()).toMatch(/CREATE EXTERNAL TABLE IF NOT EXISTS `?\w*`?\.?`?custom_gateway`?/);
    expect(topLevelHelp([], cliRegistry(env), '0.0.0')).toContain('Custom.Gateway');
    expect(topLevelHelp([], cliRegistry({}), '0.0.0')).not.toContain('Custom.Gateway');
  });

  it('reaches cflogs serve', async () => {
    const out = tempDir('serve-custom');
    const stop = new AbortController();
    let listening!: (url: string) => void;
    const ready = new Promise<string>((r) => (listening = r));
    const stdout = capture();
    const finished = serveCommand(['--port', '0', '--secret', 'the-secret-0123456789', '--out', out], {
      stdout: stdout.stream,
      stderr: new PassThrough(),
      // NDJSON, whose text EXPECTED describes.
      env: { CFLOGS_SCHEMAS_DIR: schemasDir, CFLOGS_OUTPUT_FORMAT: 'ndjson' },
      signal: stop.signal,
      clock: () => new Date('2026-11-24T12:00:00Z'),
      log: silentLog,
      onListening: listening,
    });
    try {
      const base = await ready;
      const res = await fetch(`${base}/?dataset=Custom.Gateway`, {
        method: 'POST',
        body: gzipSync(LINE + '\n'),
        headers: { 'x-panther-cloudflare': 'the-secret-0123456789' },
      });
      expect(await res.json()).toMatchObject({ ok: true, logType: 'Custom.Gateway', rows: 1 });
      expect(res.status).toBe(200);
      const written = filesUnder(out).filter((f) => f.startsWith('logs/custom_gateway/'));
      expect(written).toHaveLength(1);
      expect(lines(readLakeFile(readFileSync(join(out, written[0]!))))).toEqual([expect.objectContaining(EXPECTED)]);
    } finally {
      stop.abort();
      expect(await finished).toBe(0);
    }
  });

  describe('the S3 handler', () => {
    let s3: LocalS3;
    beforeAll(async () => {
      s3 = await startLocalS3({ directory: tempDir('s3-custom'), buckets: [INPUT, LAKE] });
    });
    afterAll(async () => {
      for (const b of [INPUT, LAKE]) {
        for (const k of await listKeys(s3.client, b)) await s3.client.send(new DeleteObjectCommand({ Bucket: b, Key: k }));
      }
      await s3.close();
    });

    it('reaches the S3 handler built by wireS3, routed by CFLOGS_ROUTES', async () => {
      const env = {
        CFLOGS_OUTPUT_BUCKET: LAKE,
        CFLOGS_SCHEMAS_DIR: schemasDir,
        CFLOGS_ROUTES: 'routes:\n  - prefix: gw/\n    logType: Custom.Gateway\n',
        CFLOGS_OUTPUT_FORMAT: 'ndjson',
      };
      const deps = wireS3(env, { s3: s3.client, log: recordingLog(), clock: () => new Date('2026-11-24T12:00:00Z'), compileSchemas });
      const key = 'gw/2026/11/01/a.log.gz';
      const { size, eTag } = await put(s3.client, key, gzipSync(LINE + '\n'));
      const report = (await handleS3Event(s3CreatedEvent([{ bucket: INPUT, key, size, eTag }]), deps)) as IngestReport;
      expect(report.outcomes.map((o) => o.status)).toEqual(['processed']);
      const lake = await lakeRows(s3.client);
      const tables = [...lake.keys()].filter((k) => k.startsWith('logs/custom_gateway/'));
      expect(tables).toHaveLength(1);
      expect(lake.get(tables[0]!)).toEqual([expect.objectContaining(EXPECTED)]);
    });
  });
});

describe('a custom schema that clashes with a built-in', () => {
  it('fails the start, naming what both have', () => {
    const dir = tempDir('schemas-clash');
    writeFileSync(join(dir, 'clash.yml'), CUSTOM.replace('table: custom_gateway', 'table: cloudflare_firewall'));
    expect(() => wireS3({ CFLOGS_OUTPUT_BUCKET: LAKE, CFLOGS_SCHEMAS_DIR: dir }, { log: silentLog, compileSchemas })).toThrow(
      /custom schema Custom.Gateway: table cloudflare_firewall is already a built-in log type's/,
    );
  });
});

describe('the functions', () => {
  it('refuse CFLOGS_SCHEMAS_DIR at start, saying their log types are compiled when they are packaged', () => {
    expect(() => wireS3({ CFLOGS_OUTPUT_BUCKET: LAKE, CFLOGS_SCHEMAS_DIR: tempDir('schemas-fn') }, { log: silentLog })).toThrow(
      /CFLOGS_SCHEMAS_DIR is read by the command line only/,
    );
  });
});

describe('cflogs detect', () => {
  it('runs the rules the S3 function runs for the same environment (CFLOGS_RULES_ENABLE, CFLOGS_RULES_DISABLE)', () => {
    const env = {
      CFLOGS_OUTPUT_BUCKET: LAKE,
      CFLOGS_RULES_ENABLE: 'Cloudflare.HttpRequest.BotHighVolume',
      CFLOGS_RULES_DISABLE: 'Cloudflare.Firewall.L7DDoS',
    };
    const ids = (rules: { enabledRules(): { id: string }[] }): string[] => rules.enabledRules().map((r) => r.id).sort();
    const detect = ids(detectDeps(env).rules);
    const fn = ids(wireS3(env, { log: silentLog, store: new LocalStore(tempDir('detect-rules')) }).alerting!.rules);
    expect(detect).toEqual(fn);
    expect(detect).toContain('Cloudflare.HttpRequest.BotHighVolume');
    expect(detect).not.toContain('Cloudflare.Firewall.L7DDoS');
  });
});
