import { gzipSync } from 'node:zlib';
import { generateLines, GenerateOptions, logpushKey } from '../testkit/generate';

/**
 * The project's own sample Logpush objects (no third-party data): every dataset, a mix of the jobs'
 * timestamp formats, one object with broken lines, an ownership challenge, and a plain-text object that is
 * named .log.gz. Generated deterministically, so the demo's output is the same on every machine.
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
    {
      key: `${PREFIX}/http_requests/ownership-challenge-5c4f1a2b.txt`,
      body: Buffer.from('eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJsb2dwdXNoIn0.c2lnbmF0dXJl'),
      note: 'Logpush ownership challenge (skipped)',
    },
  ];
}
