import { defineRule } from '../lib/rules/model';
import type { GatewayDNSEvent } from '../lib/rules/events';
import { gatewayDnsContext, lower } from './_helpers';

/**
 * Gateway resolved (did not block) a name Cloudflare puts in a security category: malware, phishing, command and
 * control / botnet, cryptomining, spyware, DNS tunnelling, DGA domains, compromised or newly seen threat domains.
 * A device reached for a known-bad name and got an answer: the policy set does not block that category, or a rule
 * allowed it. Categories are read by name (QueryCategoryNames, ResolvedIPCategoryNames, CNAMECategoryNames), so
 * the Logpush job must include those fields; category IDs are not matched (their numbering is Cloudflare's and
 * changes with the taxonomy).
 *
 * Threshold 1, High: each is a device talking to a listed threat. Blocked queries do not match (Gateway did its
 * job). One alert per device (or source address) and name per hour, so a beaconing host gives one alert per
 * destination.
 */
export const SECURITY_CATEGORY_WORDS: readonly string[] = [
  'malware',
  'phishing',
  'command and control',
  'botnet',
  'cryptomining',
  'spyware',
  'dns tunneling',
  'dns tunnelling',
  'dga domain',
  'compromised domain',
  'brand embedding',
];

/** The security categories among names, as given. */
export function securityCategories(...lists: (readonly string[] | undefined)[]): string[] {
  const out = new Set<string>();
  for (const list of lists) for (const name of list ?? []) if (SECURITY_CATEGORY_WORDS.some((w) => lower(name).includes(w))) out.add(name);
  return [...out];
}

const categories = (e: GatewayDNSEvent): string[] => securityCategories(e.QueryCategoryNames, e.ResolvedIPCategoryNames, e.CNAMECategoryNames);

/**
 * Gateway's decision kept the answer from the client: blocked (blockedByCategory, blockedAlwaysCategory,
 * blockedByQueryName, ... or `block`) or overridden to another target (overrideApplied, overrideForSafeSearch).
 */
const blocked = (e: GatewayDNSEvent): boolean => {
  const d = lower(e.ResolverDecision);
  return d.startsWith('block') || d.includes('blocked') || d.startsWith('override');
};

const source = (e: GatewayDNSEvent): string => e.DeviceName || e.DeviceID || e.Email || e.SrcIP || '<unknown source>';

export default defineRule<GatewayDNSEvent>({
  id: 'Cloudflare.GatewayDNS.SecurityCategoryResolved',
  displayName: 'Cloudflare Gateway Resolved a Security-Threat Domain',
  logTypes: ['Cloudflare.GatewayDNS'],
  severity: 'High',
  dedupPeriodMinutes: 60,
  tags: ['Cloudflare', 'Zero Trust', 'Gateway', 'DNS', 'Command and Control', 'attack.command_and_control', 'attack.t1071.004', 'attack.t1568', 'attack.initial_access', 'attack.t1566'],
  description: 'Gateway answered (did not block) a DNS query for a name in a security category: malware, phishing, C2/botnet, cryptomining, spyware, DNS tunnelling, DGA',
  runbook: [
    '1. Identify the device and user (DeviceName, Email, SrcIP) and the name (QueryName) with its categories',
    '2. Look at what the device did next: Gateway HTTP and network logs to the resolved addresses (ResolvedIPs); isolate it if it connected',
    '3. Add a Gateway DNS policy blocking the security categories if none exists, or find the rule (PolicyName) that allowed it',
  ].join('\n'),
  reference: 'https://developers.cloudflare.com/logs/logpush/logpush-job/datasets/account/gateway_dns/',
  summaryAttributes: ['DeviceName', 'Email', 'SrcIP', 'QueryName', 'QueryCategoryNames', 'ResolverDecision'],
  rule: (e) => !blocked(e) && categories(e).length > 0,
  title: (e) => `Cloudflare Gateway resolved [${e.QueryName ?? '<unknown name>'}] (${categories(e).join(', ')}) for [${source(e)}]`,
  dedup: (e) => `${source(e)}:${lower(e.QueryName)}`,
  alertContext: (e) => ({
    ...gatewayDnsContext(e),
    Categories: categories(e),
    ResolvedIPs: e.ResolvedIPs,
    ResolverDecision: e.ResolverDecision,
    PolicyName: e.PolicyName,
    Location: e.Location,
  }),
  tests: [
    {
      name: 'a phishing domain allowed on no policy match matches',
      expected: true,
      title: 'Cloudflare Gateway resolved [login.example.net] (Phishing) for [dana-laptop]',
      dedup: 'dana-laptop:login.example.net',
      log: {
        Datetime: '2026-11-01 10:00:00.000000000',
        DeviceID: '4f1c2d3e-0000-4000-8000-000000000701',
        DeviceName: 'dana-laptop',
        Email: 'dana@example.com',
        QueryCategoryIDs: [131],
        QueryCategoryNames: ['Phishing'],
        QueryName: 'login.example.net',
        QueryType: 1,
        QueryTypeName: 'A',
        RCode: 0,
        ResolvedIPs: ['203.0.113.66'],
        ResolverDecision: 'allowedOnNoPolicyMatch',
        SrcIP: '198.51.100.14',
        p_log_type: 'Cloudflare.GatewayDNS',
        p_event_time: '2026-11-01 10:00:00.000000000',
      },
    },
    {
      name: 'a C2 category on the resolved address matches',
      expected: true,
      log: { QueryName: 'cdn.example.org', ResolvedIPCategoryNames: ['Command and Control & Botnet'], ResolverDecision: 'allowedByQueryName', SrcIP: '198.51.100.15' },
    },
    { name: 'a blocked malware query does not match', expected: false, log: { QueryName: 'bad.example.net', QueryCategoryNames: ['Malware'], ResolverDecision: 'blockedByCategory' } },
    {
      name: 'an allowed query in ordinary categories does not match',
      expected: false,
      log: { QueryName: 'www.example.com', QueryCategoryNames: ['Technology', 'Business'], ResolverDecision: 'allowedOnNoPolicyMatch' },
    },
    { name: 'an overridden phishing query does not match', expected: false, log: { QueryName: 'login.example.net', QueryCategoryNames: ['Phishing'], ResolverDecision: 'overrideApplied' } },
    { name: 'a query with category ids only does not match', expected: false, log: { QueryName: 'x.example.com', QueryCategoryIDs: [117], ResolverDecision: 'allowedOnNoPolicyMatch' } },
  ],
});
