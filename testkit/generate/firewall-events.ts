/** firewall_events: one line per rule a request matched (a request matching several gets one line each). */
import { Clock, defineDataset, eventOffset, LineOptions, Rng, TimeFormatter, Weighted } from './core';
import { ASN_NAMES, buildClients, buildUserAgents, Client } from './net';
import { buildHttpPools, Host, makeRequest } from './sites';

export const firewallEvents = defineDataset({
  dataset: 'firewall_events',
  fields: [
    'Action', 'ClientASN', 'ClientASNDescription', 'ClientCountry', 'ClientIP', 'ClientIPClass', 'ClientRefererHost',
    'ClientRefererPath', 'ClientRefererQuery', 'ClientRefererScheme', 'ClientRequestHost', 'ClientRequestMethod',
    'ClientRequestPath', 'ClientRequestProtocol', 'ClientRequestQuery', 'ClientRequestScheme',
    'ClientRequestUserAgent', 'ContentScanObjResults', 'ContentScanObjSizes', 'ContentScanObjTypes', 'Datetime',
    'Description', 'EdgeColoCode', 'EdgeResponseStatus', 'Kind', 'LeakedCredentialCheckResult', 'MatchIndex',
    'Metadata', 'OriginResponseStatus', 'OriginatorRayID', 'RayID', 'Ref', 'RuleID', 'Source',
  ],
  lineBytesEstimate: 1200,
  lines: firewallLines,
});

interface FwSource {
  source: string;
  actions: Weighted<string>;
  rules: Array<{ id: string; description: string; ref: string; metadata: string }>;
}

function buildFirewallSources(rng: Rng): Weighted<FwSource> {
  const custom = (description: string, ref: string) => ({
    id: rng.hex(32), description, ref, metadata: '{"filter":"' + rng.hex(32) + '","type":"customer"}',
  });
  const ruleset = (description: string) => {
    const id = rng.hex(32);
    return { id, description, ref: id, metadata: '{"ruleset_version":"' + rng.int(10, 120) + '","version":"' + rng.int(1, 9) + '"}' };
  };
  const specs: Array<[FwSource, number]> = [
    [{ source: 'firewallrules', actions: new Weighted([['block', 50], ['managedChallenge', 20], ['challenge', 5], ['jschallenge', 5], ['log', 15], ['bypass', 5]]), rules: [custom('Block known bad ASNs', 'blk-asn'), custom('Challenge login from outside allowed countries', 'geo-login'), custom('Block wp-admin probes', ''), custom('Allow uptime monitor', 'allow-monitor')] }, 25],
    [{ source: 'firewallcustom', actions: new Weighted([['block', 45], ['managedChallenge', 30], ['log', 15], ['skip', 10]]), rules: [ruleset('Block .env and dotfile access'), ruleset('Managed challenge for low bot score'), ruleset('Skip WAF for partner API')] }, 20],
    [{ source: 'firewallmanaged', actions: new Weighted([['block', 55], ['log', 35], ['managedChallenge', 10]]), rules: [ruleset('SQLi - Comment'), ruleset('XSS - JavaScript Events'), ruleset('Log4j Headers'), ruleset('Anomaly:Header:User-Agent - Missing'), ruleset('Version Control - Information Disclosure')] }, 20],
    [{ source: 'l7ddos', actions: new Weighted([['block', 60], ['managedChallenge', 30], ['log', 10]]), rules: [ruleset('HTTP requests with unusual HTTP headers or URI path'), ruleset('HTTP requests from known botnet')] }, 10],
    [{ source: 'ratelimit', actions: new Weighted([['block', 70], ['managedChallenge', 20], ['log', 10]]), rules: [ruleset('Rate limit API writes'), ruleset('Rate limit login')] }, 10],
    [{ source: 'securitylevel', actions: new Weighted([['managedChallenge', 80], ['managedChallengeNonInteractiveSolved', 20]]), rules: [{ id: '', description: '', ref: '', metadata: '{}' }] }, 5],
    [{ source: 'bic', actions: new Weighted([['block', 100]]), rules: [{ id: '', description: '', ref: '', metadata: '{}' }] }, 4],
    [{ source: 'waf', actions: new Weighted([['simulate', 50], ['block', 50]]), rules: [{ id: '100015', description: 'Block requests to hidden files', ref: '', metadata: '{"group":"cloudflare_specials"}' }, { id: '981176', description: 'Inbound Anomaly Score Exceeded', ref: '', metadata: '{"group":"owasp"}' }] }, 3],
    [{ source: 'botfight', actions: new Weighted([['managedChallenge', 100]]), rules: [{ id: '', description: '', ref: '', metadata: '{}' }] }, 3],
  ];
  return new Weighted(specs);
}

function* firewallLines(opts: LineOptions, rng: Rng, clock: Clock): Generator<string> {
  const uas = buildUserAgents(rng);
  const clients = buildClients(rng, uas);
  const pools = buildHttpPools(rng);
  const sources = buildFirewallSources(rng);
  const fmt = new TimeFormatter(opts.timestampFormat);
  const recentRays: string[] = [];
  let prev: { ray: string; client: Client; host: Host; path: string; query: string; method: string; proto: string; index: number } | undefined;
  const n = opts.lines;

  for (let i = 0; i < n; i++) {
    const off = eventOffset(rng, clock, i, n, 1e9);
    const src = sources.pick(rng);
    const rule = rng.pick(src.rules);
    const action = src.actions.pick(rng);
    // One request often matches several rules (a log, then a block): the same RayID with the next MatchIndex.
    let ctx: NonNullable<typeof prev>;
    if (prev !== undefined && rng.chance(0.15)) ctx = { ...prev, index: prev.index + 1 };
    else {
      const client = clients[rng.zipf(clients.length)]!;
      const host = pools.hosts.pick(rng);
      const kind = host.kinds.pick(rng);
      const req = makeRequest(rng, pools, host, kind, uas.list[client.ua]!);
      ctx = { ray: rng.hex(16), client, host, path: req.path, query: req.query, method: req.method, proto: rng.pick(uas.list[client.ua]!.http), index: 0 };
    }
    prev = ctx;
    const ua = uas.list[ctx.client.ua]!;
    const solved = action.endsWith('Solved') || action === 'challengeSolved';
    const originator = solved && recentRays.length > 0 ? rng.pick(recentRays) : '00';
    const terminating = action === 'block' || (action.startsWith('managedChallenge') && !solved) || action === 'challenge' || action === 'jschallenge';
    const edgeStatus = terminating ? (src.source === 'ratelimit' ? 429 : 403) : 200;
    const hasRef = ua.kind === 'browser' && rng.chance(0.6);
    const refHost = hasRef ? (rng.chance(0.7) ? ctx.host.host : 'www.google.com') : '';

    let line = '{"Action":"' + action + '","ClientASN":' + ctx.client.asn + ',"ClientASNDescription":' + JSON.stringify(ASN_NAMES[ctx.client.asn] ?? '');
    line += ',"ClientCountry":"' + ctx.client.geo.country + '","ClientIP":"' + ctx.client.ip + '","ClientIPClass":"' + ctx.client.ipClass;
    line += '","ClientRefererHost":"' + refHost + '","ClientRefererPath":"' + (hasRef ? (refHost === ctx.host.host ? rng.pick(ctx.host.pages) : '/') : '');
    line += '","ClientRefererQuery":"","ClientRefererScheme":"' + (hasRef ? 'https' : '') + '","ClientRequestHost":"' + ctx.host.host;
    line += '","ClientRequestMethod":"' + ctx.method + '","ClientRequestPath":"' + ctx.path + '","ClientRequestProtocol":"' + ctx.proto;
    line += '","ClientRequestQuery":"' + ctx.query + '","ClientRequestScheme":"https","ClientRequestUserAgent":"' + ua.ua + '"';
    line += ',"ContentScanObjResults":[],"ContentScanObjSizes":[],"ContentScanObjTypes":[]';
    line += ',"Datetime":' + fmt.json(clock.sec(off), clock.ns(off));
    line += ',"Description":"' + rule.description + '","EdgeColoCode":"' + ctx.client.geo.colo + '","EdgeResponseStatus":' + edgeStatus;
    line += ',"Kind":"firewall","LeakedCredentialCheckResult":"' + (ctx.path === '/login' && ctx.method === 'POST' ? 'clean' : '') + '"';
    line += ',"MatchIndex":' + ctx.index + ',"Metadata":' + rule.metadata + ',"OriginResponseStatus":' + (terminating ? 0 : 200);
    line += ',"OriginatorRayID":"' + originator + '","RayID":"' + ctx.ray + '","Ref":"' + rule.ref + '","RuleID":"' + rule.id;
    line += '","Source":"' + src.source + '"}';
    if (recentRays.length < 64) recentRays.push(ctx.ray);
    else recentRays[i & 63] = ctx.ray;
    yield line;
  }
}
