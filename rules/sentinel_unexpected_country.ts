import { defineRule, Rule } from '../lib/rules/model';
import type { FirewallEvent, HttpRequestEvent } from '../lib/rules/events';
import { lower, SENTINEL_TEMPLATE, SENTINEL_WEB_TAGS, sentinelReference } from './_helpers';

/**
 * Port of Microsoft Sentinel's "Cloudflare - Client request from country in blocklist" (docs/rules-sentinel.md): a
 * request from a country on a fixed list, Sentinel's `cn` and `hk` by default. Sentinel's list is edited in the
 * query; here `countryBlocklistRule` builds the rule for another list (a user rule, with this one disabled).
 */

/** Sentinel's blocklist: ISO 3166-1 alpha-2 codes, lower case as Cloudflare writes ClientCountry. */
export const SENTINEL_BLOCKED_COUNTRIES: readonly string[] = ['cn', 'hk'];

/** The rule for a list of country codes (compared in any case); `id` for a user rule replacing the built-in one. */
export function countryBlocklistRule(countries: readonly string[], id = 'Cloudflare.Sentinel.UnexpectedCountry'): Rule {
  const blocked = new Set(countries.map((c) => c.toLowerCase()));
  return defineRule<HttpRequestEvent | FirewallEvent>({
    id,
    displayName: 'Cloudflare (Sentinel): Request From Country In Blocklist',
    logTypes: ['Cloudflare.HttpRequest', 'Cloudflare.Firewall'],
    severity: 'Medium',
    ...SENTINEL_TEMPLATE,
    threshold: 1,
    tags: SENTINEL_WEB_TAGS,
    description: `A request from a client in a blocklisted country (${[...blocked].join(', ')})`,
    runbook: 'Check whether the site serves users in ClientCountry; if not, list the hour\'s requests from it (Athena) and block the country or the address with a WAF custom rule.',
    reference: sentinelReference('CloudflareUnexpectedCountry.yaml'),
    summaryAttributes: ['ClientCountry', 'ClientIP', 'ClientRequestHost', 'ClientRequestPath'],
    rule: (e) => blocked.has(lower(e.ClientCountry)),
    title: (e) => `Cloudflare: requests from blocklisted country ${lower(e.ClientCountry)}`,
    // One alert per country and hour (Sentinel: one per hourly run): a blocked country's visitors are many addresses.
    dedup: (e) => lower(e.ClientCountry),
    alertContext: (e) => ({
      ClientIP: e.ClientIP,
      ClientCountry: e.ClientCountry,
      ClientASN: e.ClientASN,
      ClientRequestHost: e.ClientRequestHost,
      ClientRequestMethod: e.ClientRequestMethod,
      ClientRequestPath: e.ClientRequestPath,
      ClientRequestURI: (e as { ClientRequestURI?: string }).ClientRequestURI,
      RayID: e.RayID,
    }),
    tests: [
      {
        name: 'a request from cn matches, one group per country',
        expected: true,
        dedup: 'cn',
        title: 'Cloudflare: requests from blocklisted country cn',
        log: {
          ClientIP: '203.0.113.88',
          ClientCountry: 'cn',
          ClientRequestHost: 'www.example.com',
          ClientRequestMethod: 'GET',
          ClientRequestURI: '/',
          p_log_type: 'Cloudflare.HttpRequest',
          p_event_time: '2026-11-01 10:00:00.000000000',
        },
      },
      { name: 'the code is compared in any case (HK)', expected: true, dedup: 'hk', log: { ClientIP: '203.0.113.89', ClientCountry: 'HK' } },
      { name: 'a firewall event from hk matches', expected: true, log: { ClientIP: '203.0.113.89', ClientCountry: 'hk', Action: 'block' } },
      { name: 'a request from another country does not match', expected: false, log: { ClientIP: '192.0.2.1', ClientCountry: 'us' } },
      { name: 'Cloudflare\'s unknown country (xx) does not match', expected: false, log: { ClientIP: '192.0.2.1', ClientCountry: 'xx' } },
      { name: 'a row without a country does not match', expected: false, log: { ClientIP: '192.0.2.1' } },
    ],
  });
}

export default countryBlocklistRule(SENTINEL_BLOCKED_COUNTRIES);
