/** audit_logs: account changes (DNS records, purges, tokens, rulesets, zone settings) and logins, by people and CI. */
import { Clock, defineDataset, eventOffset, LineOptions, Rng, TimeFormatter, Weighted } from './core';
import { ipv4, ipv6 } from './net';

export const auditLogs = defineDataset({
  dataset: 'audit_logs',
  fields: [
    'ActionResult', 'ActionType', 'ActorEmail', 'ActorID', 'ActorIP', 'ActorType', 'ID', 'Interface', 'Metadata',
    'NewValue', 'OldValue', 'OwnerID', 'ResourceID', 'ResourceType', 'When',
  ],
  lineBytesEstimate: 700,
  lines: auditLines,
});

interface Actor {
  email: string;
  id: string;
  ip: string;
  type: string;
}

function* auditLines(opts: LineOptions, rng: Rng, clock: Clock): Generator<string> {
  const accounts = [rng.hex(32), rng.hex(32)];
  const zones = ['example.com', 'example.net', 'example.org'].map((name) => ({ name, id: rng.hex(32) }));
  const actors: Actor[] = [
    ...['alice', 'bob', 'carol.ops', 'dave', 'secops', 'terraform-ci'].map((u) => ({ email: u + '@example.com', id: rng.hex(32), ip: rng.chance(0.3) ? ipv6(rng) : ipv4(rng), type: 'user' })),
    { email: '', id: rng.hex(32), ip: '', type: 'Cloudflare' },
  ];
  const actorPick = new Weighted(actors.map((a, i) => [a, [10, 6, 8, 3, 4, 20, 1][i]!] as const));
  const records = ['www', 'api', 'static', 'mail', 'vpn', 'app', 'staging', '_dmarc'];
  const fmt = new TimeFormatter(opts.timestampFormat);
  const n = opts.lines;

  for (let i = 0; i < n; i++) {
    const off = eventOffset(rng, clock, i, n, 1e9);
    const actor = actorPick.pick(rng);
    const viaApi = actor.email.startsWith('terraform') || rng.chance(0.3);
    const zone = rng.pick(zones);
    const owner = accounts[rng.zipf(accounts.length)]!;
    const x = rng.float();
    let actionType: string;
    let resourceType: string;
    let resourceID: string;
    let metadata: unknown = null;
    let newValue: unknown = null;
    let oldValue: unknown = null;
    if (actor.type === 'Cloudflare') {
      actionType = rng.pick(['update', 'certificate_renew']);
      resourceType = 'zone';
      resourceID = zone.id;
      metadata = { zone_name: zone.name };
    } else if (x < 0.2 && !viaApi) {
      actionType = rng.chance(0.8) ? 'login' : 'logout';
      resourceType = 'user';
      resourceID = actor.id;
      metadata = {};
    } else if (x < 0.55) {
      actionType = rng.pick(['rec_add', 'rec_set', 'rec_set', 'rec_del']);
      resourceType = 'DNS_record';
      resourceID = rng.hex(32);
      const name = rng.pick(records) + '.' + zone.name;
      const rec = { content: ipv4(rng), name, proxied: rng.chance(0.7), ttl: 1, type: 'A' };
      metadata = { zone_name: zone.name, type: 'A', name };
      if (actionType !== 'rec_del') newValue = rec;
      if (actionType !== 'rec_add') oldValue = { ...rec, content: ipv4(rng) };
    } else if (x < 0.7) {
      actionType = 'purge';
      resourceType = 'zone';
      resourceID = zone.id;
      metadata = rng.chance(0.5) ? { zone_name: zone.name, purge_everything: true } : { zone_name: zone.name, files: ['https://www.' + zone.name + '/static/js/main.' + rng.hex(8) + '.js'] };
    } else if (x < 0.8) {
      actionType = rng.pick(['token_create', 'token_roll', 'token_delete']);
      resourceType = 'account';
      resourceID = owner;
      metadata = { token_name: rng.pick(['ci-deploy', 'logpush', 'dns-edit', 'read-only']), token_tag: rng.hex(32) };
    } else if (x < 0.92) {
      actionType = rng.pick(['create', 'update', 'update', 'delete']);
      resourceType = 'ruleset';
      resourceID = rng.hex(32);
      metadata = { zone_name: zone.name, phase: rng.pick(['http_request_firewall_custom', 'http_ratelimit', 'http_request_firewall_managed']) };
      const rule = { action: rng.pick(['block', 'managed_challenge', 'log', 'skip']), enabled: true, expression: '(ip.geoip.asnum in {' + rng.int(1000, 65000) + '})' };
      if (actionType !== 'delete') newValue = rule;
      if (actionType !== 'create') oldValue = { ...rule, enabled: rng.chance(0.5) };
    } else {
      actionType = 'update';
      resourceType = 'zone_setting';
      resourceID = zone.id;
      const setting = rng.pick(['ssl', 'min_tls_version', 'always_use_https', 'security_level', 'browser_cache_ttl']);
      metadata = { zone_name: zone.name, setting };
      newValue = { id: setting, value: rng.pick(['on', 'strict', '1.2', 'medium']) };
      oldValue = { id: setting, value: rng.pick(['off', 'full', '1.0', 'high']) };
    }

    let line = '{"ActionResult":' + rng.chance(0.97) + ',"ActionType":"' + actionType + '","ActorEmail":"' + actor.email;
    line += '","ActorID":"' + actor.id + '","ActorIP":"' + actor.ip + '","ActorType":"' + actor.type + '","ID":"' + rng.uuid();
    line += '","Interface":"' + (actor.type === 'Cloudflare' ? '' : viaApi ? 'API' : 'UI') + '","Metadata":' + JSON.stringify(metadata);
    line += ',"NewValue":' + JSON.stringify(newValue) + ',"OldValue":' + JSON.stringify(oldValue) + ',"OwnerID":"' + owner;
    line += '","ResourceID":"' + resourceID + '","ResourceType":"' + resourceType + '","When":' + fmt.json(clock.sec(off), clock.ns(off)) + '}';
    yield line;
  }
}
