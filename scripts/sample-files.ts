/**
 * Writes samples/: small Logpush files for a first try of `cflogs parse`, `cflogs serve` and `cflogs detect` (see README).
 * Generated (testkit/generate: documentation addresses, example.com names), deterministic, committed; re-run with
 * `npx tsx scripts/sample-files.ts` after a change to the generator.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { generateLines } from '../testkit/generate';
import { fnv1a } from '../testkit/generate/core';
import { detectionSample } from './samples';

const dir = join(__dirname, '..', 'samples');
mkdirSync(dir, { recursive: true });
// The generator's client addresses look real; the samples use the documentation ranges only (RFC 5737, RFC 3849).
const ranges = ['192.0.2', '198.51.100', '203.0.113'];
const documentation = (value: string): string => {
  const n = fnv1a(value);
  return value.includes(':') ? `2001:db8::${(n % 0xffff).toString(16)}` : `${ranges[n % 3]}.${1 + (n % 254)}`;
};
const lines = [...generateLines({ dataset: 'http_requests', lines: 20, seed: 19, timestampFormat: 'rfc3339' })];
const text = lines.map((l) => l.replace(/"(\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f]{1,4}(?::[0-9a-f]{0,4}){2,7})"/g, (_, ip: string) => JSON.stringify(documentation(ip)))).join('\n') + '\n';
writeFileSync(join(dir, 'http_requests.ndjson'), text);
writeFileSync(join(dir, 'http_requests.log.gz'), gzipSync(Buffer.from(text)));
// Firewall events the built-in rules alert on (an L7 DDoS burst, React2Shell hits), for `cflogs detect`.
writeFileSync(join(dir, 'firewall_events.log.gz'), detectionSample().body);
