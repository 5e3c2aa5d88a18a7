import { defineRule } from '../lib/rules/model';
import type { GatewayNetworkEvent } from '../lib/rules/events';
import { lower } from './_helpers';
import { securityCategories } from './cloudflare_gateway_dns_security_category_resolved';

/**
 * Gateway's network (layer 4) firewall let a connection through to a destination in a security category (malware,
 * phishing, C2/botnet, cryptomining, spyware): a device opened a TCP/UDP/QUIC connection to a known-bad address,
 * often one it reached without DNS (a hard-coded C2 address, a mining pool). Categories are read by name
 * (CategoryNames); the job must include that field.
 *
 * Threshold 1, High; one alert per device and destination address per hour, so a beacon every few seconds is one
 * alert.
 */
const PASSED = (action: string): boolean => action === 'allow' || action.startsWith('allowed') || action === 'audit_ssh';

const categories = (e: GatewayNetworkEvent): string[] => securityCategories(e.CategoryNames);
const source = (e: GatewayNetworkEvent): string => e.DeviceName || e.DeviceID || e.Email || e.SourceIP || '<unknown source>';

export default defineRule<GatewayNetworkEvent>({
  id: 'Cloudflare.GatewayNetwork.SecurityCategoryAllowed',
  displayName: 'Cloudflare Gateway Allowed a Connection to a Security-Threat Destination',
  logTypes: ['Cloudflare.GatewayNetwork'],
  severity: 'High',
  dedupPeriodMinutes: 60,
  tags: ['Cloudflare', 'Zero Trust', 'Gateway', 'Command and Control', 'attack.command_and_control', 'attack.t1071', 'attack.t1571', 'attack.impact', 'attack.t1496'],
  description: 'Gateway allowed a network connection to a destination in a security category (malware, phishing, C2/botnet, cryptomining, spyware)',
  runbook: [
    '1. Identify the device and user (DeviceName, Email) and the destination (DestinationIP, DestinationPort, SNI)',
    '2. Find the process on the device that made the connection; isolate the device if it is malware or a miner',
    '3. Add a Gateway network policy blocking the security categories, or fix the policy (PolicyName) that allowed it',
  ].join('\n'),
  reference: 'https://developers.cloudflare.com/logs/logpush/logpush-job/datasets/account/gateway_network/',
  summaryAttributes: ['DeviceName', 'Email', 'DestinationIP', 'DestinationPort', 'SNI', 'CategoryNames'],
  rule: (e) => PASSED(lower(e.Action)) && categories(e).length > 0,
  title: (e) =>
    `Cloudflare Gateway allowed [${source(e)}] to connect to [${e.SNI || e.DestinationIP || '<unknown>'}:${e.DestinationPort ?? '?'}] (${categories(e).join(', ')})`,
  dedup: (e) => `${source(e)}:${e.DestinationIP ?? e.SNI ?? '<unknown>'}`,
  alertContext: (e) => ({
    DeviceName: e.DeviceName,
    DeviceID: e.DeviceID,
    Email: e.Email,
    SourceIP: e.SourceIP,
    SourceInternalIP: e.SourceInternalIP,
    DestinationIP: e.DestinationIP,
    DestinationPort: e.DestinationPort,
    SNI: e.SNI,
    TransportProtocol: e.TransportProtocol ?? e.Transport,
    Categories: categories(e),
    Action: e.Action,
    PolicyName: e.PolicyName,
  }),
  tests: [
    {
      name: 'an allowed connection to a cryptomining destination matches',
      expected: true,
      title: 'Cloudflare Gateway allowed [build-host-3] to connect to [203.0.113.250:3333] (Cryptomining)',
      dedup: 'build-host-3:203.0.113.250',
      log: {
        Action: 'allowedOnNoRuleMatch',
        CategoryIDs: [83],
        CategoryNames: ['Cryptomining'],
        Datetime: '2026-11-01 10:00:00.000000000',
        DestinationIP: '203.0.113.250',
        DestinationPort: 3333,
        DeviceName: 'build-host-3',
        Email: 'ci@example.com',
        SourceIP: '198.51.100.5',
        TransportProtocol: 'tcp',
        p_log_type: 'Cloudflare.GatewayNetwork',
        p_event_time: '2026-11-01 10:00:00.000000000',
      },
    },
    { name: 'a blocked C2 connection does not match', expected: false, log: { Action: 'block', CategoryNames: ['Command and Control & Botnet'], DestinationIP: '203.0.113.251' } },
    { name: 'an allowed connection to an ordinary destination does not match', expected: false, log: { Action: 'allowedOnNoRuleMatch', CategoryNames: ['Technology'], DestinationIP: '192.0.2.1' } },
    { name: 'an allowed connection without categories does not match', expected: false, log: { Action: 'allowedOnNoRuleMatch', DestinationIP: '192.0.2.1' } },
  ],
});
