/** http_requests: one line per request to the invented sites, with its cache, origin, security and worker fields. */
import { Clock, defineDataset, eventOffset, LineOptions, Rng, TimeFormatter } from './core';
import { buildClients, buildUserAgents, COLO_IDS, Geo, GEOS } from './net';
import { buildHttpPools, makeRequest, refererFor } from './sites';

export const httpRequests = defineDataset({
  dataset: 'http_requests',
  // Cloudflare's order for this dataset: RayID and EdgeStartTimestamp first, then the rest in byte order.
  fields: [
    'RayID', 'EdgeStartTimestamp', 'BotDetectionIDs', 'BotScore', 'BotScoreSrc', 'BotTags', 'CacheCacheStatus',
    'CacheReserveUsed', 'CacheResponseBytes', 'CacheResponseStatus', 'CacheTieredFill', 'ClientASN', 'ClientCity',
    'ClientCountry', 'ClientDeviceType', 'ClientIP', 'ClientIPClass', 'ClientLatitude', 'ClientLongitude',
    'ClientMTLSAuthCertFingerprint', 'ClientMTLSAuthStatus', 'ClientRegionCode', 'ClientRequestBytes',
    'ClientRequestHost', 'ClientRequestMethod', 'ClientRequestPath', 'ClientRequestProtocol', 'ClientRequestReferer',
    'ClientRequestScheme', 'ClientRequestSource', 'ClientRequestURI', 'ClientRequestUserAgent', 'ClientSSLCipher',
    'ClientSSLProtocol', 'ClientSrcPort', 'ClientTCPRTTMs', 'ClientXRequestedWith', 'ContentScanObjResults',
    'ContentScanObjSizes', 'ContentScanObjTypes', 'Cookies', 'EdgeCFConnectingO2O', 'EdgeColoCode', 'EdgeColoID',
    'EdgeEndTimestamp', 'EdgePathingOp', 'EdgePathingSrc', 'EdgePathingStatus', 'EdgeRequestHost',
    'EdgeResponseBodyBytes', 'EdgeResponseBytes', 'EdgeResponseCompressionRatio', 'EdgeResponseContentType',
    'EdgeResponseStatus', 'EdgeServerIP', 'EdgeTimeToFirstByteMs', 'FirewallMatchesActions', 'FirewallMatchesRuleIDs',
    'FirewallMatchesSources', 'JA3Hash', 'JA4', 'OriginDNSResponseTimeMs', 'OriginIP',
    'OriginRequestHeaderSendDurationMs', 'OriginResponseBytes', 'OriginResponseDurationMs', 'OriginResponseHTTPExpires',
    'OriginResponseHTTPLastModified', 'OriginResponseHeaderReceiveDurationMs', 'OriginResponseStatus',
    'OriginResponseTime', 'OriginSSLProtocol', 'OriginTCPHandshakeDurationMs', 'OriginTLSHandshakeDurationMs',
    'ParentRayID', 'RequestHeaders', 'ResponseHeaders', 'SecurityAction', 'SecurityActions', 'SecurityRuleDescription',
    'SecurityRuleID', 'SecurityRuleIDs', 'SecuritySources', 'SmartRouteColoID', 'UpperTierColoID', 'WAFAttackScore',
    'WAFFlags', 'WAFMatchedVar', 'WAFRCEAttackScore', 'WAFSQLiAttackScore', 'WAFXSSAttackScore', 'WorkerCPUTime',
    'WorkerStatus', 'WorkerSubrequest', 'WorkerSubrequestCount', 'WorkerWallTimeUs', 'ZoneName',
  ],
  lineBytesEstimate: 3000,
  lines: httpLines,
});

/** What a matched, enforced rule does, by cumulative share (`below`): the security and firewall fields and the status. */
const ENFORCED = [
  { below: 0.5, secAction: 'block', secSource: 'firewallCustom', fwAction: 'block', fwSource: 'firewallRules', status: 403 },
  { below: 0.75, secAction: 'managed_challenge', secSource: 'firewallCustom', fwAction: 'managedChallenge', fwSource: 'firewallRules', status: 403 },
  { below: 0.9, secAction: 'block', secSource: 'firewallManaged', fwAction: 'block', fwSource: 'firewallManaged', status: 403 },
  { below: 1, secAction: 'block', secSource: 'ratelimit', fwAction: 'block', fwSource: 'rateLimit', status: 429 },
] as const;

const SECURITY_DESCRIPTIONS = [
  'Block known bad ASNs', 'Challenge login from outside allowed countries', 'Rate limit API writes',
  'Block wp-admin probes', 'Managed challenge for low bot score', 'Block .env and dotfile access',
];

const PAGE_REFERERS = ['https://www.google.com/', 'https://www.google.com/', 'https://www.bing.com/', 'https://duckduckgo.com/', 'https://t.co/', 'https://www.linkedin.com/'];

const RESPONSE_HEADER_POOL = ['{"x-frame-options":"SAMEORIGIN"}', '{"cache-control":"public, max-age=31536000, immutable"}', '{"cache-control":"no-store"}', '{"vary":"Accept-Encoding"}'];
const REQUEST_HEADER_POOL = ['{"accept-language":"en-US,en;q=0.9"}', '{"accept-language":"de-DE,de;q=0.9,en;q=0.8"}', '{"accept-language":"fr-FR,fr;q=0.9"}', '{"accept-language":"ja,en-US;q=0.9,en;q=0.8"}', '{"x-forwarded-proto":"https"}'];

function* httpLines(opts: LineOptions, rng: Rng, clock: Clock): Generator<string> {
  const uas = buildUserAgents(rng);
  const clients = buildClients(rng, uas);
  const pools = buildHttpPools(rng);
  const fStart = new TimeFormatter(opts.timestampFormat);
  const fEnd = new TimeFormatter(opts.timestampFormat);
  let expiresSec = NaN;
  let expiresText = '';
  let lastRay = '';
  const n = opts.lines;

  for (let i = 0; i < n; i++) {
    const off = eventOffset(rng, clock, i, n, 2e9);
    const sec = clock.sec(off);
    const client = clients[rng.popular(clients.length)]!;
    const ua = uas.list[rng.chance(0.96) ? client.ua : uas.pick.pick(rng)]!;
    const host = pools.hosts.pick(rng);
    const kind = host.kinds.pick(rng);
    const req = makeRequest(rng, pools, host, kind, ua);
    const geo = client.geo;
    const colo = geo.colo;
    const https = req.path === '/' && host.host === 'example.com' ? rng.chance(0.6) : rng.chance(0.985);
    const rayID = rng.hex(16);

    // Security: most requests pass; a few match a rule that only logs; a few are blocked or challenged.
    const sx = rng.float();
    const attack = req.path === '/.env' || req.path === '/wp-login.php';
    let secAction = '';
    let secRule = '';
    let secSource = '';
    let secDesc = '';
    let fwAction = '';
    let fwSource = '';
    let status = req.status;
    if (attack ? sx < 0.6 : sx < 0.012) {
      const t = rng.float();
      secRule = pools.ruleIDs[rng.zipf(pools.ruleIDs.length)]!;
      const o = ENFORCED.find((e) => t < e.below) ?? ENFORCED[ENFORCED.length - 1]!;
      ({ secAction, secSource, fwAction, fwSource, status } = o);
      secDesc = SECURITY_DESCRIPTIONS[pools.ruleIDs.indexOf(secRule) % SECURITY_DESCRIPTIONS.length]!;
    } else if (sx < 0.04) {
      secRule = pools.ruleIDs[rng.zipf(pools.ruleIDs.length)]!;
      secSource = 'firewallManaged';
      fwAction = 'log';
      fwSource = 'firewallManaged';
    }
    const blocked = secAction !== '';

    // Cache and origin.
    let cacheStatus: string;
    if (blocked) cacheStatus = 'unknown';
    else if (req.cacheable) {
      const c = rng.float();
      cacheStatus = c < 0.83 ? 'hit' : c < 0.93 ? 'miss' : c < 0.96 ? 'expired' : c < 0.98 ? 'revalidated' : 'stale';
    } else if (req.method !== 'GET' && req.method !== 'HEAD') cacheStatus = 'dynamic';
    else cacheStatus = rng.chance(0.9) ? 'dynamic' : rng.chance(0.5) ? 'bypass' : 'hit';
    const fromOrigin = !blocked && cacheStatus !== 'hit' && cacheStatus !== 'stale';
    const noBody = status === 304 || status === 204 || status === 301 || req.method === 'HEAD' || req.method === 'OPTIONS';
    const body = noBody ? 0 : blocked ? rng.int(4200, 7400) : rng.int(req.minBody, req.maxBody);
    const ratio = !req.compressible || body < 1000 || noBody ? 0 : Math.round((2 + rng.float() * 3.5) * 100) / 100;
    const headerBytes = rng.int(380, 980);
    const edgeBytes = body + headerBytes;
    const tiered = fromOrigin && req.cacheable && rng.chance(0.35);

    const rtt = rng.int(1, 12) + (rng.chance(0.1) ? rng.int(20, 240) : 0);
    const dns = fromOrigin && rng.chance(0.03) ? rng.int(1, 40) : 0;
    const tcp = fromOrigin && rng.chance(0.15) ? rng.int(2, 90) : 0;
    const tlsHs = tcp > 0 ? tcp + rng.int(1, 40) : 0;
    const originMs = fromOrigin ? (host.worker ? rng.int(4, 180) : req.cacheable ? rng.int(8, 400) : rng.int(12, 900)) + dns + tcp + tlsHs : 0;
    const originHdr = originMs > 0 ? Math.max(0, originMs - rng.int(0, 3) - dns - tcp - tlsHs) : 0;
    const ttfb = blocked ? rng.int(1, 6) : originMs + rng.int(1, 25);
    const endOff = clock.nonRound(off + ttfb * 1e6 + rng.int(1, 999999) + (body > 100000 ? rng.int(0, 400) * 1e6 : 0), Infinity);
    const originStatus = fromOrigin ? status : 0;
    const originIP = fromOrigin ? host.originIPs[rng.zipf(3)]! : '';

    const expires = fromOrigin && req.cacheable && rng.chance(0.6);
    if (expires && sec !== expiresSec) {
      expiresSec = sec;
      expiresText = new Date((sec + 14400) * 1000).toUTCString();
    }
    const lastMod = fromOrigin && req.cacheable && rng.chance(0.8) ? pools.lastModified[rng.zipf(pools.lastModified.length)]! : '';

    const verifiedBot = ua.kind === 'bot';
    const automated = ua.kind === 'tool' || ua.kind === 'monitor';
    const botScore = verifiedBot ? 1 : automated ? rng.int(1, 2) : rng.chance(0.05) ? rng.int(2, 29) : rng.int(30, 99);
    const botSrc = verifiedBot ? 'Verified Bot' : automated ? 'Heuristics' : botScore < 30 ? 'Machine Learning' : rng.chance(0.9) ? 'Machine Learning' : 'JS Fingerprinting';
    const botIDs = automated ? (rng.chance(0.5) ? '[33554817]' : '[50331651]') : '[]';
    const botTags = kind === 'api' && rng.chance(0.3) ? '["api"]' : '[]';

    const worker = host.worker && !blocked;
    const subrequest = lastRay !== '' && rng.chance(0.004);
    const xrw = kind === 'api' && ua.kind === 'browser' && rng.chance(0.15) ? 'XMLHttpRequest' : '';
    const upload = req.path === '/api/v2/uploads';
    const scores = blocked && attack ? rng.int(1, 20) : rng.int(60, 99);
    const referer =
      ua.kind !== 'browser' ? '' : kind === 'page' ? (rng.chance(0.45) ? '' : rng.chance(0.6) ? rng.pick(PAGE_REFERERS) : 'https://' + host.host + rng.pick(host.pages))
        : rng.chance(0.92) ? refererFor(rng, pools, host) : '';
    const reqBytes = (ua.kind === 'browser' ? rng.int(900, 4200) : rng.int(180, 700)) + (req.method === 'POST' || req.method === 'PUT' ? rng.int(60, upload ? 2000000 : 4000) : 0);

    let line = '{"RayID":"' + rayID + '","EdgeStartTimestamp":' + fStart.json(sec, clock.ns(off));
    line += ',"BotDetectionIDs":' + botIDs + ',"BotScore":' + botScore + ',"BotScoreSrc":"' + botSrc + '","BotTags":' + botTags;
    line += ',"CacheCacheStatus":"' + cacheStatus + '","CacheReserveUsed":' + (cacheStatus === 'hit' && req.cacheable && rng.chance(0.02));
    line += ',"CacheResponseBytes":' + (blocked ? 0 : ratio > 0 ? Math.round(body * ratio) + headerBytes : edgeBytes);
    line += ',"CacheResponseStatus":' + (blocked ? 0 : status) + ',"CacheTieredFill":' + tiered;
    line += ',"ClientASN":' + client.asn + ',"ClientCity":' + JSON_CITY.get(geo)! + ',"ClientCountry":"' + geo.country;
    line += '","ClientDeviceType":"' + ua.device + '","ClientIP":"' + client.ip + '","ClientIPClass":"' + client.ipClass;
    line += '","ClientLatitude":"' + geo.lat + '","ClientLongitude":"' + geo.lon + '","ClientMTLSAuthCertFingerprint":"","ClientMTLSAuthStatus":"unknown"';
    line += ',"ClientRegionCode":"' + geo.region + '","ClientRequestBytes":' + reqBytes + ',"ClientRequestHost":"' + host.host;
    line += '","ClientRequestMethod":"' + req.method + '","ClientRequestPath":"' + req.path + '","ClientRequestProtocol":"' + rng.pick(ua.http);
    line += '","ClientRequestReferer":"' + referer + '","ClientRequestScheme":"' + (https ? 'https' : 'http');
    line += '","ClientRequestSource":"' + (subrequest ? 'edgeWorkerFetch' : 'eyeball') + '","ClientRequestURI":"' + req.path + req.query;
    line += '","ClientRequestUserAgent":"' + ua.ua + '","ClientSSLCipher":"' + (https ? ua.cipher : 'NONE') + '","ClientSSLProtocol":"' + (https ? ua.tls : 'none');
    line += '","ClientSrcPort":' + rng.int(1024, 65535) + ',"ClientTCPRTTMs":' + rtt + ',"ClientXRequestedWith":"' + xrw + '"';
    line += upload
      ? ',"ContentScanObjResults":["clean"],"ContentScanObjSizes":[' + reqBytes + '],"ContentScanObjTypes":["application/pdf"]'
      : ',"ContentScanObjResults":[],"ContentScanObjSizes":[],"ContentScanObjTypes":[]';
    line += ',"Cookies":' + (ua.kind === 'browser' && rng.chance(0.12) ? '{"session_id":"' + client.session + '"}' : '{}');
    line += ',"EdgeCFConnectingO2O":false,"EdgeColoCode":"' + colo + '","EdgeColoID":' + COLO_IDS[colo]!;
    line += ',"EdgeEndTimestamp":' + fEnd.json(clock.sec(endOff), clock.ns(endOff));
    line += blocked
      ? ',"EdgePathingOp":"ban","EdgePathingSrc":"filterBasedFirewall","EdgePathingStatus":"nr"'
      : ',"EdgePathingOp":"wl","EdgePathingSrc":"macro","EdgePathingStatus":"nr"';
    line += ',"EdgeRequestHost":"' + host.host + '","EdgeResponseBodyBytes":' + body + ',"EdgeResponseBytes":' + edgeBytes;
    line += ',"EdgeResponseCompressionRatio":' + ratio + ',"EdgeResponseContentType":"' + (blocked ? 'text/html' : noBody && status !== 301 ? '' : req.contentType);
    line += '","EdgeResponseStatus":' + status + ',"EdgeServerIP":"' + rng.pick(pools.edgeIPs[colo]!) + '","EdgeTimeToFirstByteMs":' + ttfb;
    line += fwAction === ''
      ? ',"FirewallMatchesActions":[],"FirewallMatchesRuleIDs":[],"FirewallMatchesSources":[]'
      : ',"FirewallMatchesActions":["' + fwAction + '"],"FirewallMatchesRuleIDs":["' + secRule + '"],"FirewallMatchesSources":["' + fwSource + '"]';
    line += ',"JA3Hash":"' + (https ? ua.ja3 || client.ja3 : '') + '","JA4":"' + (https ? ua.ja4 : '') + '"';
    line += ',"OriginDNSResponseTimeMs":' + dns + ',"OriginIP":"' + originIP + '","OriginRequestHeaderSendDurationMs":0';
    line += ',"OriginResponseBytes":' + (fromOrigin ? (ratio > 0 ? Math.round(body * ratio) : body) + headerBytes : 0);
    line += ',"OriginResponseDurationMs":' + originMs + ',"OriginResponseHTTPExpires":"' + (expires ? expiresText : '');
    line += '","OriginResponseHTTPLastModified":"' + lastMod + '","OriginResponseHeaderReceiveDurationMs":' + originHdr;
    line += ',"OriginResponseStatus":' + originStatus + ',"OriginResponseTime":' + (originMs === 0 ? '0' : originMs + '000000');
    line += ',"OriginSSLProtocol":"' + (fromOrigin ? (host.zone === 'example.org' ? 'TLSv1.2' : 'TLSv1.3') : 'none');
    line += '","OriginTCPHandshakeDurationMs":' + tcp + ',"OriginTLSHandshakeDurationMs":' + tlsHs;
    line += ',"ParentRayID":"' + (subrequest ? lastRay : '00') + '"';
    // Jobs log a few custom headers: a trace context on API calls, a language, an origin request id.
    const rh = rng.float();
    line += ',"RequestHeaders":' + (kind === 'api' && rh < 0.5 ? '{"traceparent":"00-' + rng.hex(32) + '-' + rng.hex(16) + '-01"}' : rh < 0.3 ? REQUEST_HEADER_POOL[rng.zipf(REQUEST_HEADER_POOL.length)]! : '{}');
    const sh = rng.float();
    line += ',"ResponseHeaders":' + (fromOrigin && sh < 0.25 ? '{"x-request-id":"' + rng.uuid() + '"}' : fromOrigin && sh < 0.45 ? RESPONSE_HEADER_POOL[rng.zipf(RESPONSE_HEADER_POOL.length)]! : '{}');
    if (secRule === '') {
      line += ',"SecurityAction":"","SecurityActions":[],"SecurityRuleDescription":"","SecurityRuleID":"","SecurityRuleIDs":[],"SecuritySources":[]';
    } else {
      line += ',"SecurityAction":"' + secAction + '","SecurityActions":["' + (blocked ? secAction : 'log') + '"],"SecurityRuleDescription":"' + (blocked ? secDesc : '');
      line += '","SecurityRuleID":"' + (blocked ? secRule : '') + '","SecurityRuleIDs":["' + secRule + '"],"SecuritySources":["' + secSource + '"]';
    }
    line += ',"SmartRouteColoID":0,"UpperTierColoID":' + (tiered ? 7 : 0);
    line += ',"WAFAttackScore":' + scores + ',"WAFFlags":"0","WAFMatchedVar":"","WAFRCEAttackScore":' + (scores === 99 ? 99 : scores + rng.int(0, 99 - scores));
    line += ',"WAFSQLiAttackScore":' + (scores + rng.int(0, 99 - scores)) + ',"WAFXSSAttackScore":' + (scores + rng.int(0, 99 - scores));
    line += worker
      ? ',"WorkerCPUTime":' + rng.int(250, 9000) + ',"WorkerStatus":"ok","WorkerSubrequest":' + subrequest + ',"WorkerSubrequestCount":' + rng.int(1, 4) + ',"WorkerWallTimeUs":' + (originMs * 1000 + rng.int(300, 20000))
      : ',"WorkerCPUTime":0,"WorkerStatus":"unknown","WorkerSubrequest":' + subrequest + ',"WorkerSubrequestCount":0,"WorkerWallTimeUs":0';
    line += ',"ZoneName":"' + host.zone + '"}';
    lastRay = rayID;
    yield line;
  }
}

/** City names may hold non-ASCII characters (written raw, as Cloudflare does): JSON text precomputed per geo. */
const JSON_CITY = new Map<Geo, string>(GEOS.map((g) => [g, JSON.stringify(g.city)]));
