import { defineRule } from '../lib/rules/model';
import type { FirewallEvent, HttpRequestEvent } from '../lib/rules/events';
import { lower, SENTINEL_TEMPLATE, SENTINEL_WEB_TAGS, sentinelReference } from './_helpers';

/**
 * Port of Microsoft Sentinel's "Cloudflare - Bad client IP" (docs/rules-sentinel.md): a request from an address
 * Cloudflare classes as bad (its ClientIPClass). Sentinel raises one alert per hourly run for all such requests; here
 * one per class and hour of event time (its first request in the context, the count of all): a busy zone sees such
 * addresses every hour, and an alert per address would bury the rest.
 */

/** Sentinel's reputation classes, lower-cased: Sentinel compares case-insensitively. */
export const BAD_IP_CLASSES: readonly string[] = ['unknown', 'badhost', 'greylist', 'securityscanner', 'scan', 'tor'];

export default defineRule<HttpRequestEvent | FirewallEvent>({
  id: 'Cloudflare.Sentinel.BadClientIp',
  displayName: 'Cloudflare (Sentinel): Request From Client IP With Bad Reputation',
  logTypes: ['Cloudflare.HttpRequest', 'Cloudflare.Firewall'],
  severity: 'Medium',
  ...SENTINEL_TEMPLATE,
  threshold: 1,
  tags: SENTINEL_WEB_TAGS,
  description: 'A request from a client IP that Cloudflare classes as a bad host, a scanner, a Tor exit or unknown',
  runbook: 'List the hour\'s requests of the class (Athena: ClientIPClass, ClientIP, ClientRequestURI); look at what each address requested (ClientRequestHost, ClientRequestURI, EdgeResponseStatus) and whether it reached the origin; block or challenge the addresses that probe the site.',
  reference: sentinelReference('CloudflareBadClientIp.yaml'),
  summaryAttributes: ['ClientIPClass', 'ClientIP', 'ClientRequestHost', 'ClientCountry'],
  rule: (e) => BAD_IP_CLASSES.includes(lower(e.ClientIPClass)),
  title: (e) => `Cloudflare: requests from client IPs with bad reputation (${lower(e.ClientIPClass)})`,
  dedup: (e) => lower(e.ClientIPClass),
  alertContext: (e) => ({
    ClientIP: e.ClientIP,
    ClientIPClass: e.ClientIPClass,
    ClientCountry: e.ClientCountry,
    ClientRequestHost: e.ClientRequestHost,
    ClientRequestMethod: e.ClientRequestMethod,
    ClientRequestPath: e.ClientRequestPath,
    ClientRequestURI: (e as { ClientRequestURI?: string }).ClientRequestURI,
    RayID: e.RayID,
  }),
  tests: [
    {
      name: 'a request from a Tor exit matches, one group per class',
      expected: true,
      dedup: 'tor',
      title: 'Cloudflare: requests from client IPs with bad reputation (tor)',
      log: {
        ClientIP: '198.51.100.23',
        ClientIPClass: 'tor',
        ClientCountry: 'de',
        ClientRequestHost: 'www.example.com',
        ClientRequestMethod: 'GET',
        ClientRequestURI: '/login',
        EdgeResponseStatus: 200,
        p_log_type: 'Cloudflare.HttpRequest',
        p_event_time: '2026-11-01 10:00:00.000000000',
      },
    },
    { name: 'the class is compared in any case (badHost)', expected: true, dedup: 'badhost', log: { ClientIP: '203.0.113.9', ClientIPClass: 'badHost' } },
    { name: 'a firewall event from a scanner matches', expected: true, log: { ClientIP: '203.0.113.9', ClientIPClass: 'scan', Action: 'block', Source: 'firewallmanaged' } },
    { name: 'an address with no record does not match', expected: false, log: { ClientIP: '192.0.2.10', ClientIPClass: 'noRecord' } },
    { name: 'a search engine crawler does not match', expected: false, log: { ClientIP: '192.0.2.11', ClientIPClass: 'searchEngine' } },
    { name: 'a row without a class does not match', expected: false, log: { ClientIP: '192.0.2.12' } },
  ],
});
