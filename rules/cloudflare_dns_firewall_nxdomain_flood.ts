import { defineRule } from '../lib/rules/model';
import type { DNSFirewallEvent } from '../lib/rules/events';

/**
 * A flood of queries for names that do not exist (response code 3, NXDOMAIN) from one source under one domain,
 * through DNS Firewall: a random-subdomain ("water torture") attack that aims to exhaust the authoritative servers
 * behind DNS Firewall with uncachable names, or malware walking a DGA list. Resolvers send some NXDOMAIN traffic
 * all the time (typos, search-domain suffixes, probes), spread over many domains.
 *
 * Threshold 1000 per source address and domain within 5 minutes (over 3 a second, sustained, for names that do not
 * exist under one domain): far above what a resolver's users produce by mistake. DNS Firewall sources are often
 * large resolvers, so the alert names the resolver, not the end client.
 */
const NXDOMAIN = 3;

const baseDomain = (name: string | undefined): string => (name ?? '').toLowerCase().split('.').filter((l) => l !== '').slice(-2).join('.');

export default defineRule<DNSFirewallEvent>({
  id: 'Cloudflare.DNSFirewall.NXDOMAINFlood',
  displayName: 'Cloudflare DNS Firewall NXDOMAIN Flood',
  logTypes: ['Cloudflare.DNSFirewall'],
  severity: 'Medium',
  threshold: 1000,
  dedupPeriodMinutes: 5,
  tags: ['Cloudflare', 'DNS Firewall', 'DDoS', 'attack.impact', 'attack.t1498', 'attack.t1499.002', 'attack.command_and_control', 'attack.t1568.002'],
  description: 'Many NXDOMAIN answers from DNS Firewall to one source for names under one domain within 5 minutes',
  runbook: [
    '1. Look at the names (QueryName) under the domain: random labels point to a water-torture attack, word-like lists to a DGA',
    '2. Check the upstream servers (UpstreamIP, UpstreamResponseTimeMs) for strain, and the cluster (ClusterID) for rate limits',
    '3. Rate-limit or block the source (SourceIP) at the DNS Firewall cluster; contact the resolver operator if it is a public resolver',
  ].join('\n'),
  reference: 'https://developers.cloudflare.com/logs/logpush/logpush-job/datasets/account/dns_firewall_logs/',
  summaryAttributes: ['SourceIP', 'QueryName', 'ClusterID', 'UpstreamIP'],
  rule: (e) => e.ClientResponseCode === NXDOMAIN || e.UpstreamResponseCode === NXDOMAIN,
  title: (e) => `Cloudflare DNS Firewall: NXDOMAIN flood under [${baseDomain(e.QueryName)}] from [${e.SourceIP ?? '<unknown>'}]`,
  dedup: (e) => `${e.SourceIP ?? '<unknown>'}:${baseDomain(e.QueryName)}`,
  alertContext: (e) => ({ SourceIP: e.SourceIP, QueryName: e.QueryName, QueryType: e.QueryType, ClusterID: e.ClusterID, ColoCode: e.ColoCode, UpstreamIP: e.UpstreamIP, UpstreamResponseTimeMs: e.UpstreamResponseTimeMs, ResponseCached: e.ResponseCached }),
  tests: [
    {
      name: 'an NXDOMAIN answer counts towards its source and domain',
      expected: true,
      dedup: '203.0.113.99:example.com',
      title: 'Cloudflare DNS Firewall: NXDOMAIN flood under [example.com] from [203.0.113.99]',
      log: {
        ClientResponseCode: 3,
        ClusterID: '7c6b5a49-0000-4000-8000-000000001701',
        ColoCode: 'AMS',
        QueryName: 'x7q2kz9w.example.com',
        QueryType: 1,
        ResponseCached: false,
        SourceIP: '203.0.113.99',
        Timestamp: '2026-11-01 10:00:00.000000000',
        UpstreamIP: '192.0.2.53',
        UpstreamResponseCode: 3,
        UpstreamResponseTimeMs: 12,
        p_log_type: 'Cloudflare.DNSFirewall',
        p_event_time: '2026-11-01 10:00:00.000000000',
      },
    },
    { name: 'a NOERROR answer does not count', expected: false, log: { ClientResponseCode: 0, QueryName: 'www.example.com', SourceIP: '203.0.113.99' } },
    { name: 'a SERVFAIL answer does not count', expected: false, log: { ClientResponseCode: 2, UpstreamResponseCode: 2, QueryName: 'www.example.com', SourceIP: '203.0.113.99' } },
  ],
});
