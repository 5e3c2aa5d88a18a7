import { defineRule } from '../lib/rules/model';
import type { GatewayDNSEvent } from '../lib/rules/events';
import { gatewayDnsContext, lower } from './_helpers';

/**
 * DNS tunnelling (iodine, dnscat2, DNS-based C2 and exfiltration) packs data into the labels of names under one
 * domain: long labels of high-entropy text (hex, base32, base64-ish), a new name per query. A query counts when its
 * longest label has 40 or more characters (DNS allows 63), or when its subdomain part (the labels before the last
 * two) has 50 or more characters with a Shannon entropy of 3.5 bits per character or more (English words sit near
 * 3, random hex near 4, base32 near 5).
 *
 * Single queries like that are ordinary: DKIM and ACME challenges, CDN hashes, and security products that look
 * file hashes up over DNS send some. A tunnel sends hundreds a minute. Threshold 100 per source and domain within
 * 10 minutes: a lookup service rarely reaches it from one device, a tunnel does in seconds. If a product on your
 * devices does (an anti-virus reputation lookup), add its domain to a copy of this rule as an exception.
 */
const LONG_LABEL = 40;
const LONG_SUBDOMAIN = 50;
const MIN_ENTROPY = 3.5;

/** Shannon entropy in bits per character. */
export function entropy(s: string): number {
  if (s.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

const labelsOf = (name: string | undefined): string[] => lower(name).split('.').filter((l) => l !== '');

/** The last two labels: the tunnel's domain in the common case (example.com; example.co.uk would be co.uk). */
const baseDomain = (name: string | undefined): string => labelsOf(name).slice(-2).join('.');

/** Why a name looks like tunnel traffic, or undefined. */
export function tunnelShape(name: string | undefined): string | undefined {
  const labels = labelsOf(name);
  if (labels.length < 3) return undefined;
  const longest = Math.max(...labels.map((l) => l.length));
  if (longest >= LONG_LABEL) return `label of ${longest} characters`;
  const sub = labels.slice(0, -2).join('');
  if (sub.length >= LONG_SUBDOMAIN) {
    const h = entropy(sub);
    if (h >= MIN_ENTROPY) return `subdomain of ${sub.length} characters, entropy ${h.toFixed(2)}`;
  }
  return undefined;
}

const source = (e: GatewayDNSEvent): string => e.DeviceName || e.DeviceID || e.SrcIP || '<unknown source>';

export default defineRule<GatewayDNSEvent>({
  id: 'Cloudflare.GatewayDNS.TunnellingShapedQueries',
  displayName: 'Cloudflare Gateway DNS Queries Shaped Like Tunnelling',
  logTypes: ['Cloudflare.GatewayDNS'],
  severity: 'High',
  threshold: 100,
  dedupPeriodMinutes: 10,
  tags: ['Cloudflare', 'Zero Trust', 'Gateway', 'DNS', 'Exfiltration', 'attack.command_and_control', 'attack.t1071.004', 'attack.t1572', 'attack.exfiltration', 'attack.t1048'],
  description: 'Many DNS queries from one source for long, high-entropy names under one domain, as DNS tunnelling and DNS exfiltration make',
  runbook: [
    '1. Look at the names (QueryName) the source sent under the domain: encoded data in the labels, a counter, a session id?',
    '2. Find the process on the device (DeviceName, Email) that sends them; a security product doing hash lookups is the usual benign case',
    '3. If it is a tunnel, isolate the device, block the domain in Gateway, and estimate what left from the query volume',
  ].join('\n'),
  reference: 'https://developers.cloudflare.com/logs/logpush/logpush-job/datasets/account/gateway_dns/',
  summaryAttributes: ['DeviceName', 'Email', 'SrcIP', 'QueryName'],
  rule: (e) => tunnelShape(e.QueryName) !== undefined,
  title: (e) => `Cloudflare Gateway: DNS tunnelling-shaped queries under [${baseDomain(e.QueryName)}] from [${source(e)}]`,
  dedup: (e) => `${source(e)}:${baseDomain(e.QueryName)}`,
  alertContext: (e) => ({
    ...gatewayDnsContext(e),
    Shape: tunnelShape(e.QueryName),
    ResolverDecision: e.ResolverDecision,
  }),
  tests: [
    {
      name: 'a query with a 56-character hex label counts',
      expected: true,
      dedup: 'build-host-3:example.net',
      title: 'Cloudflare Gateway: DNS tunnelling-shaped queries under [example.net] from [build-host-3]',
      log: {
        Datetime: '2026-11-01 10:00:00.000000000',
        DeviceName: 'build-host-3',
        QueryName: '6f8e2a91c4d7b3e05a1f9c8d7e6b5a4f3e2d1c0b9a8f7e6d5c4b3a29.t.example.net',
        QueryType: 16,
        QueryTypeName: 'TXT',
        ResolverDecision: 'allowedOnNoPolicyMatch',
        SrcIP: '192.0.2.77',
        p_log_type: 'Cloudflare.GatewayDNS',
        p_event_time: '2026-11-01 10:00:00.000000000',
      },
    },
    {
      name: 'a long high-entropy subdomain split into short labels counts',
      expected: true,
      log: { QueryName: 'mzxw6ytboi.nbswy3dpeb.3w64tmmq.qgc3dfnzs.xi2lon5xw.k4zaobrg.example.org', SrcIP: '192.0.2.78' },
    },
    { name: 'an ordinary name does not count', expected: false, log: { QueryName: 'www.example.com', SrcIP: '192.0.2.79' } },
    {
      name: 'a long but low-entropy subdomain of words does not count',
      expected: false,
      log: { QueryName: 'internal.services.production.cluster.east.region.example.com', SrcIP: '192.0.2.79' },
    },
    { name: 'a long name with only two labels does not count', expected: false, log: { QueryName: 'averyveryveryverylongbutlegitimatecompanyname.example', SrcIP: '192.0.2.79' } },
  ],
});
