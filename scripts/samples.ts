import { gzipSync } from 'node:zlib';
import { generateLines, GenerateOptions, logpushKey } from '../testkit/generate';
import { fnv1a } from '../testkit/generate/core';

/**
 * The project's own sample Logpush objects (no third-party data): the four seed datasets, generated, in a mix of
 * the jobs' timestamp formats, with one object of broken lines and a plain-text object named .log.gz; four Zero
 * Trust and Workers datasets (gateway_dns, gateway_http, access_requests, workers_trace_events) written by hand,
 * one of them with schema drift; gateway_dns lines under a key that names no dataset; an ownership challenge.
 * Deterministic, so the demo's output is the same on every machine. Hand-written values are invented: addresses
 * from the documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32), names under
 * example.com/.net/.org, made-up ids.
 */
export interface SampleObject {
  key: string;
  body: Buffer;
  note: string;
}

const PREFIX = 'cloudflare';

function logpushObject(opts: GenerateOptions, note: string, mutate?: (lines: string[]) => string[]): SampleObject {
  let lines = [...generateLines(opts)];
  if (mutate) lines = mutate(lines);
  return { key: logpushKey(PREFIX, opts), body: gzipSync(Buffer.from(lines.join('\n') + '\n')), note };
}

/** A JSON value written as given: 19-digit unixnano integers stay exact. */
class Raw {
  constructor(readonly text: string) {}
}
type Field = string | number | boolean | null | Raw | Field[] | { [k: string]: Field };

/** One Logpush line: compact JSON, keys in byte order (the order Logpush writes a job's fields in). */
function line(record: Record<string, Field>): string {
  const value = (v: Field): string => (v instanceof Raw ? v.text : JSON.stringify(v));
  return '{' + Object.keys(record).sort().map((k) => `${JSON.stringify(k)}:${value(record[k] as Field)}`).join(',') + '}';
}

/** A hand-written Logpush object: `cloudflare/<folder>/<day>/<start>_<end>_<hash>.log.gz`, the hash from its content. */
function handWritten(folder: string, start: string, end: string, records: Record<string, Field>[], note: string): SampleObject {
  const text = records.map(line).join('\n') + '\n';
  const stamp = (iso: string): string => iso.replace(/[-:]/g, '');
  const hash = fnv1a(folder + text).toString(16).padStart(8, '0');
  return { key: `${PREFIX}/${folder}/${stamp(start).slice(0, 8)}/${stamp(start)}_${stamp(end)}_${hash}.log.gz`, body: gzipSync(Buffer.from(text)), note };
}

// The people, devices and places of the hand-written Zero Trust samples (one invented account).
const ACCOUNT = '5b1c0a9e3f7d4c2a8e6b0d1f2a3c4e5f';
const JANE = {
  Email: 'jane.doe@example.com',
  UserID: '3f2a9c1e-7b4d-4e8a-9c0f-1a2b3c4d5e6f',
  DeviceID: 'a1d3e5f7-2b4c-4d6e-8f0a-1b3c5d7e9f01',
  DeviceName: 'jdoe-macbook',
  ip: '198.51.100.23',
  internal: '192.168.1.34',
};
const RAJ = {
  Email: 'raj.patel@example.com',
  UserID: '8e7d6c5b-4a39-4281-9f0e-d1c2b3a4f5e6',
  DeviceID: '5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9',
  DeviceName: 'rpatel-thinkpad',
  ip: '2001:db8:85a3::8a2e:370:7334',
  internal: '10.20.0.17',
};
type Person = typeof JANE;

/** A Gateway DNS query, with the fields of the job (every line has them all, as Logpush writes them). */
function gatewayDns(who: Person, q: Record<string, Field>): Record<string, Field> {
  return {
    AccountID: ACCOUNT,
    CNAMEs: [],
    ColoCode: 'AMS',
    ColoID: 21,
    DeviceID: who.DeviceID,
    DeviceName: who.DeviceName,
    DoHSubdomain: 'k3x9p2q7ab',
    DstIP: '192.0.2.53',
    DstPort: 443,
    Email: who.Email,
    IsResponseCached: false,
    Location: 'Amsterdam office',
    LocationID: '0d9c8b7a-6f5e-4d3c-b2a1-f0e9d8c7b6a5',
    MatchedCategoryIDs: [],
    MatchedCategoryNames: [],
    PolicyID: '',
    PolicyName: '',
    Protocol: 'https',
    QueryCategoryIDs: [],
    QueryCategoryNames: [],
    QuerySize: 48,
    QueryType: 1,
    QueryTypeName: 'A',
    RCode: 0,
    ResolvedIPs: [],
    ResolverDecision: 'allowedOnNoPolicyMatch',
    SrcIP: who.ip,
    SrcIPContinentCode: 'EU',
    SrcIPCountryCode: 'NL',
    SrcPort: 0,
    UserID: who.UserID,
    ...q,
    QueryNameReversed: String(q.QueryName).split('.').reverse().join('.'),
  };
}

/** A request through the Gateway proxy. */
function gatewayHttp(who: Person, r: Record<string, Field>): Record<string, Field> {
  const url = new URL(String(r.URL));
  return {
    AccountID: ACCOUNT,
    Action: 'allow',
    BlockedFileHash: '',
    BlockedFileName: '',
    BlockedFileReason: '',
    BlockedFileSize: 0,
    CategoryIDs: [],
    CategoryNames: [],
    DestinationIPContinentCode: 'EU',
    DestinationIPCountryCode: 'NL',
    DestinationPort: 443,
    DeviceID: who.DeviceID,
    DeviceName: who.DeviceName,
    Email: who.Email,
    HTTPHost: url.hostname,
    HTTPMethod: 'GET',
    HTTPStatusCode: 200,
    HTTPVersion: 'HTTP/2',
    IsIsolated: false,
    PolicyID: '',
    PolicyName: '',
    Referer: '',
    SourceIP: who.ip,
    SourceIPContinentCode: 'EU',
    SourceIPCountryCode: 'NL',
    SourceInternalIP: who.internal,
    SourcePort: 51234,
    UserAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
    UserID: who.UserID,
    ...r,
  };
}

/** A login to (or logout from) an Access application. */
function accessRequest(who: { Email: string; UserID: string }, r: Record<string, Field>): Record<string, Field> {
  return {
    Action: 'login',
    Allowed: true,
    AppDomain: 'wiki.example.com',
    AppUUID: '6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d',
    Connection: 'saml',
    Country: 'nl',
    Email: who.Email,
    PurposeJustificationPrompt: '',
    PurposeJustificationResponse: '',
    TemporaryAccessApprovers: [],
    TemporaryAccessDuration: 0,
    UserUID: who.UserID,
    ...r,
  };
}

/** One Worker invocation (EventTimestampMs is integer milliseconds, whatever the job's timestamp_format). */
function workerTrace(r: Record<string, Field>): Record<string, Field> {
  return {
    DispatchNamespace: '',
    Entrypoint: '',
    Exceptions: [],
    Logs: [],
    Outcome: 'ok',
    ScriptTags: [],
    ScriptVersion: { ID: '2c4e6a8b-1d3f-4b5a-9c7e-0f2d4b6a8c1e' },
    ...r,
  };
}

function zeroTrustSamples(): SampleObject[] {
  const ms = (iso: string): number => Date.parse(iso);
  return [
    handWritten(
      'gateway_dns',
      '2026-11-01T10:05:00Z',
      '2026-11-01T10:05:30Z',
      [
        gatewayDns(JANE, {
          Datetime: '2026-11-01T10:05:02Z',
          QueryID: 'e4c1b07a9d2f4b6e8a3c5d7f9b1e2a40',
          QueryName: 'intranet.example.com',
          QueryCategoryIDs: [26],
          QueryCategoryNames: ['Technology'],
          ResolvedIPs: ['203.0.113.10'],
          ResponseTimeMs: 14,
        }),
        gatewayDns(JANE, {
          Datetime: '2026-11-01T10:05:09Z',
          QueryID: '7b2d4f6a8c0e4a1b9d3f5b7d9f1a3c52',
          QueryName: 'www.example.org',
          QueryType: 28,
          QueryTypeName: 'AAAA',
          CNAMEs: ['www.example.org.cdn.example.net'],
          IsResponseCached: true,
          ResolvedIPs: ['2001:db8:4860::68'],
          ResponseTimeMs: 1,
        }),
        gatewayDns(RAJ, {
          Datetime: '2026-11-01T10:05:17Z',
          QueryID: '0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c64',
          QueryName: 'login-verify.example.net',
          QueryCategoryIDs: [85],
          QueryCategoryNames: ['Phishing'],
          MatchedCategoryIDs: [85],
          MatchedCategoryNames: ['Phishing'],
          PolicyID: 'b3c4d5e6-f7a8-4b9c-8d0e-1f2a3b4c5d6e',
          PolicyName: 'Block security threats',
          ResolverDecision: 'blockedByCategory',
          ResolvedIPs: ['0.0.0.0'],
          ResponseTimeMs: 3,
        }),
        gatewayDns(RAJ, {
          Datetime: '2026-11-01T10:05:26Z',
          QueryID: '5d6e7f8a9b0c4d1e2f3a4b5c6d7e8f76',
          QueryName: 'printer.corp.example.com',
          RCode: 3,
          ResponseTimeMs: 22,
        }),
      ],
      'gateway_dns, rfc3339 job: Zero Trust DNS queries, one blocked by category, one NXDOMAIN',
    ),
    handWritten(
      'gateway_http',
      '2026-11-01T10:10:00Z',
      '2026-11-01T10:10:30Z',
      [
        gatewayHttp(JANE, {
          Datetime: new Raw('1793527801123456789'),
          URL: 'https://docs.example.com/handbook/onboarding',
          DestinationIP: '203.0.113.10',
          CategoryIDs: [26],
          CategoryNames: ['Technology'],
          RequestID: '1f0b6c2e9a8d4e7fb3c5a1d2e4f60718',
          SessionID: '9c8b7a6f5e4d4c3b2a1f0e9d8c7b6a01',
        }),
        gatewayHttp(RAJ, {
          Datetime: new Raw('1793527806250000000'),
          URL: 'https://downloads.example.net/files/invoice-2026-11.pdf.exe',
          DestinationIP: '198.51.100.80',
          DestinationIPContinentCode: 'NA',
          DestinationIPCountryCode: 'US',
          Action: 'block',
          HTTPStatusCode: 403,
          BlockedFileHash: '4d1f0c9e8b7a6f5e4d3c2b1a09f8e7d6c5b4a3928170f6e5d4c3b2a190817263',
          BlockedFileName: 'invoice-2026-11.pdf.exe',
          BlockedFileReason: 'malware',
          BlockedFileSize: 482304,
          BlockedFileType: 'exe',
          PolicyID: 'c4d5e6f7-a8b9-4c0d-9e1f-2a3b4c5d6e7f',
          PolicyName: 'Block malware downloads',
          RequestID: '2a1c7d3f0b9e4f8ac4d6b2e3f5071829',
          SessionID: '8d7c6b5a4f3e4d2c1b0a9f8e7d6c5b12',
        }),
        gatewayHttp(JANE, {
          Datetime: new Raw('1793527811904117000'),
          URL: 'https://news.example.org/world/2026/11/01/elections',
          DestinationIP: '192.0.2.140',
          Action: 'isolate',
          IsIsolated: true,
          CategoryIDs: [122],
          CategoryNames: ['News'],
          PolicyID: 'd5e6f7a8-b9c0-4d1e-8f2a-3b4c5d6e7f80',
          PolicyName: 'Isolate news and media',
          RequestID: '3b2d8e4a1c0f4a9bd5e7c3f4a6182930',
          SessionID: '9c8b7a6f5e4d4c3b2a1f0e9d8c7b6a01',
        }),
        // Schema drift: a status with its reason phrase, where a number is expected. The row keeps it in p_invalid_fields.
        gatewayHttp(RAJ, {
          Datetime: new Raw('1793527818000412345'),
          URL: 'https://api.example.com/v2/tickets',
          HTTPMethod: 'POST',
          HTTPStatusCode: '200 OK',
          DestinationIP: '203.0.113.44',
          CategoryIDs: [26],
          CategoryNames: ['Technology'],
          RequestID: '4c3e9f5b2d1a4b0ce6f8d4a5b7293a41',
          SessionID: '8d7c6b5a4f3e4d2c1b0a9f8e7d6c5b12',
        }),
        // Schema drift: one category sent bare, where a list is expected. The row holds a list of one.
        gatewayHttp(JANE, {
          Datetime: new Raw('1793527824777000000'),
          URL: 'https://cdn.example.net/assets/app.3f9a1c.js',
          Referer: 'https://docs.example.com/handbook/onboarding',
          DestinationIP: '198.51.100.9',
          CategoryIDs: [37],
          CategoryNames: 'Content Servers',
          RequestID: '5d4fa06c3e2b4c1df709e5b6c83a4b52',
          SessionID: '9c8b7a6f5e4d4c3b2a1f0e9d8c7b6a01',
        }),
      ],
      'gateway_http, unixnano job, with schema drift: HTTPStatusCode "200 OK" (a row, not a reject), CategoryNames sent bare (a list of one)',
    ),
    handWritten(
      'workers_trace_events',
      '2026-11-01T10:30:00Z',
      '2026-11-01T10:30:30Z',
      [
        workerTrace({
          EventTimestampMs: ms('2026-11-01T10:30:01.214Z'),
          EventType: 'fetch',
          Event: { RayID: '8f2c1a7b3d9e1a22', Request: { URL: 'https://api.example.com/v1/orders', Method: 'POST' }, Response: { Status: 201 } },
          Logs: [{ Level: 'log', Message: ['order created', 'ord_20261101_0042'], TimestampMs: ms('2026-11-01T10:30:01.239Z') }],
          ScriptName: 'orders-api',
          ScriptTags: ['team:commerce'],
          CPUTimeMs: 3,
          WallTimeMs: 41,
        }),
        workerTrace({
          EventTimestampMs: ms('2026-11-01T10:30:04.870Z'),
          EventType: 'fetch',
          Event: { RayID: '8f2c1a7b3d9e1b57', Request: { URL: 'https://api.example.com/v1/orders/ord_20261031_9999', Method: 'GET' }, Response: { Status: 500 } },
          Exceptions: [{ Name: 'TypeError', Message: "Cannot read properties of undefined (reading 'total')", TimestampMs: ms('2026-11-01T10:30:04.902Z') }],
          Logs: [{ Level: 'error', Message: ['order lookup failed', 'ord_20261031_9999'], TimestampMs: ms('2026-11-01T10:30:04.901Z') }],
          Outcome: 'exception',
          ScriptName: 'orders-api',
          ScriptTags: ['team:commerce'],
          CPUTimeMs: 2,
          WallTimeMs: 35,
        }),
        workerTrace({
          EventTimestampMs: ms('2026-11-01T10:30:00.003Z'),
          EventType: 'scheduled',
          Event: { Cron: '*/30 * * * *', ScheduledTime: ms('2026-11-01T10:30:00Z') },
          Logs: [{ Level: 'info', Message: ['report sent', 12], TimestampMs: ms('2026-11-01T10:30:00.811Z') }],
          ScriptName: 'usage-report',
          ScriptVersion: { ID: '7e9a1c3b-5d2f-4e6a-8b0c-1d3e5f7a9b2c' },
          CPUTimeMs: 12,
          WallTimeMs: 820,
        }),
        workerTrace({
          EventTimestampMs: ms('2026-11-01T10:30:12.450Z'),
          EventType: 'queue',
          Event: { BatchSize: 3, Queue: 'outbound-mail' },
          ScriptName: 'mail-sender',
          ScriptVersion: { ID: '0b2d4f6a-8c1e-4a3b-9d5f-7a9c1e3b5d70' },
          CPUTimeMs: 5,
          WallTimeMs: 310,
        }),
      ],
      'workers_trace_events: fetch, an uncaught exception, a cron trigger, a queue batch (integer ms times)',
    ),
    handWritten(
      'access_requests',
      '2026-11-01T10:40:00Z',
      '2026-11-01T10:40:30Z',
      [
        accessRequest(JANE, { CreatedAt: '2026-11-01T10:40:03Z', IPAddress: JANE.ip, RayID: '8f2c1a7b3d9e2c01' }),
        accessRequest(
          { Email: 'mallory@example.net', UserID: '' },
          {
            CreatedAt: '2026-11-01T10:40:08Z',
            Allowed: false,
            AppDomain: 'admin.example.com/console',
            AppUUID: '7b8c9d0e-1f2a-4b3c-9d4e-5f6a7b8c9d0e',
            Connection: 'onetimepin',
            Country: 'us',
            IPAddress: '203.0.113.77',
            RayID: '8f2c1a7b3d9e2c3a',
          },
        ),
        accessRequest(RAJ, {
          CreatedAt: '2026-11-01T10:40:15Z',
          AppDomain: 'db-admin.example.com',
          AppUUID: '8c9d0e1f-2a3b-4c4d-8e5f-6a7b8c9d0e1f',
          IPAddress: RAJ.ip,
          PurposeJustificationPrompt: 'Why do you need production database access?',
          PurposeJustificationResponse: 'Investigating incident INC-2041',
          TemporaryAccessApprovers: ['oncall-lead@example.com'],
          TemporaryAccessDuration: 3600,
          RayID: '8f2c1a7b3d9e2c55',
        }),
        accessRequest(JANE, { CreatedAt: '2026-11-01T10:40:27Z', Action: 'logout', IPAddress: JANE.ip, RayID: '8f2c1a7b3d9e2c7e' }),
      ],
      'access_requests, rfc3339 job: logins (one denied, one with a purpose justification and temporary access), a logout',
    ),
    handWritten(
      'misc',
      '2026-11-01T10:20:00Z',
      '2026-11-01T10:20:30Z',
      [
        gatewayDns(JANE, {
          Datetime: 1793528402,
          QueryID: '6e7f8a9b0c1d4e2f3a4b5c6d7e8f9a88',
          QueryName: 'example.org',
          QueryType: 15,
          QueryTypeName: 'MX',
          ResponseTimeMs: 9,
        }),
        gatewayDns(RAJ, {
          Datetime: 1793528411,
          QueryID: '7f8a9b0c1d2e4f3a4b5c6d7e8f9a0b99',
          QueryName: 'updates.example.com',
          QueryCategoryIDs: [26],
          QueryCategoryNames: ['Technology'],
          ResolvedIPs: ['198.51.100.80', '198.51.100.81'],
          ResponseTimeMs: 11,
        }),
        gatewayDns(JANE, {
          Datetime: 1793528426,
          QueryID: '8a9b0c1d2e3f4a4b5c6d7e8f9a0b1caa',
          QueryName: 'metrics.tracker.example.net',
          PolicyID: 'e6f7a8b9-c0d1-4e2f-9a3b-4c5d6e7f8091',
          PolicyName: 'Block ad trackers',
          ResolverDecision: 'blockedByQueryName',
          ResolvedIPs: ['0.0.0.0'],
          ResponseTimeMs: 2,
        }),
      ],
      'gateway_dns lines, unix job, in a folder that names no dataset: routed by their field names',
    ),
  ];
}

/**
 * Firewall events the built-in rules alert on: an L7 DDoS burst (160 `l7ddos` events in under three minutes, over
 * Cloudflare.Firewall.L7DDoS's threshold of 100) and React2Shell (CVE-2025-55182) managed-rule hits from two
 * client IPs (one alert each).
 */
export function detectionSample(): SampleObject {
  const at = (second: number): string => new Date(Date.UTC(2026, 10, 1, 10, 40, second)).toISOString().replace('.000Z', 'Z');
  const base = { ClientCountry: 'us', ClientRequestHost: 'shop.example.com', ClientRequestMethod: 'GET', EdgeColoCode: 'AMS', Kind: 'firewall' };
  const burst = Array.from({ length: 160 }, (_, i) => ({
    ...base,
    Action: 'block',
    ClientIP: `203.0.113.${1 + (i % 60)}`,
    ClientRequestPath: '/',
    Datetime: at(i),
    RayID: (0x8f10000000000000n + BigInt(i)).toString(16),
    Source: 'l7ddos',
  }));
  const r2s = ['198.51.100.23', '198.51.100.24', '198.51.100.23'].map((ip, i) => ({
    ...base,
    Action: 'block',
    ClientIP: ip,
    ClientRequestMethod: 'POST',
    ClientRequestPath: '/api/actions',
    Datetime: at(170 + i),
    RayID: (0x8f20000000000000n + BigInt(i)).toString(16),
    RuleID: '33aa8a8a948b48b28d40450c5fb92fba',
    Source: 'firewallManaged',
  }));
  return handWritten(
    'firewall_events',
    '2026-11-01T10:40:00Z',
    '2026-11-01T10:45:00Z',
    [...burst, ...r2s],
    'firewall_events: an L7 DDoS burst and React2Shell hits (alerts)',
  );
}

export function sampleObjects(): SampleObject[] {
  const start = new Date('2026-11-01T09:59:00Z');
  return [
    logpushObject(
      { dataset: 'http_requests', lines: 500, seed: 1, timestampFormat: 'unixnano', start, spanSeconds: 120 },
      'http_requests, unixnano job, crosses an hour boundary',
    ),
    logpushObject(
      { dataset: 'http_requests', lines: 200, seed: 2, timestampFormat: 'rfc3339', start: new Date('2026-11-01T11:00:00Z') },
      'http_requests, rfc3339 job, with broken lines',
      (lines) => [
        ...lines.slice(0, 50),
        '{"ClientIP":"203.0.113.1","EdgeStartTimestamp":', // cut off mid-record
        '',
        'ClientIP,EdgeStartTimestamp,RayID', // a CSV job's header
        '{"ClientIP":"203.0.113.2","RayID":"8a1b2c3d4e5f6071"}', // no EdgeStartTimestamp
        '{"EdgeStartTimestamp":"not a time"}',
        ...lines.slice(50),
      ],
    ),
    logpushObject(
      { dataset: 'firewall_events', lines: 150, seed: 3, timestampFormat: 'unix', start: new Date('2026-11-01T10:00:00Z') },
      'firewall_events, unix seconds job',
    ),
    logpushObject(
      { dataset: 'spectrum_events', lines: 60, seed: 4, timestampFormat: 'rfc3339ns', start: new Date('2026-11-01T10:00:00Z') },
      'spectrum_events, rfc3339ns job',
    ),
    logpushObject(
      { dataset: 'audit_logs', lines: 25, seed: 5, timestampFormat: 'rfc3339ms', start: new Date('2026-11-01T10:00:00Z'), spanSeconds: 3600 },
      'audit_logs, rfc3339ms job',
    ),
    {
      key: `${PREFIX}/firewall_events/20261101/20261101T103000Z_20261101T103030Z_0badc0de.log.gz`,
      body: Buffer.from([...generateLines({ dataset: 'firewall_events', lines: 10, seed: 6, start: new Date('2026-11-01T10:30:00Z') })].join('\n')),
      note: 'firewall_events, not compressed although named .log.gz',
    },
    ...zeroTrustSamples(),
    detectionSample(),
    {
      key: `${PREFIX}/http_requests/ownership-challenge-5c4f1a2b.txt`,
      body: Buffer.from('eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJsb2dwdXNoIn0.c2lnbmF0dXJl'),
      note: 'Logpush ownership challenge (skipped)',
    },
  ];
}
