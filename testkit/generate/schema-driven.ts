/**
 * One generator for every dataset without a hand-tuned file: its lines are built from the dataset's schema
 * (schemas/cloudflare/<dataset>.yml). Every field is on every line (as Logpush writes a job's field list), keys in
 * byte order, each value plausible for the field's type and name:
 *
 * - timestamps in the job's `timestamp_format`: the event time spread over [start, start+span) in order, the others
 *   a few seconds before it (after it for end / finish / completion times); a timestamp whose name ends in `Ms`
 *   (workers_trace_events EventTimestampMs) is integer milliseconds whatever the format;
 * - ip / domain / url / email indicators: documentation addresses (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24,
 *   2001:db8::/32), example.com/.net/.org hosts, https://host/path URLs, user@example.com; hash indicators hex of
 *   their length, device ids UUIDs;
 * - other strings, integers and floats by name (STRING_RULES, INTEGER_RULES, FLOAT_RULES: the first pattern that
 *   matches the name wins), then by type: a short word, a small integer, a boolean;
 * - json columns a small object; arrays 0-3 elements of the element type, named as the field less a plural `s`.
 *
 * Values are drawn from the seeded Rng only, so the same options give the same bytes.
 */
import type { FieldSpec, Indicator, ScalarType } from '../../lib/schema/model';
import { builtInRegistry } from '../../lib/record/registry';
import { Clock, DatasetGenerator, eventOffset, LineOptions, Rng, TimeFormatter } from './core';

/** The datasets this file generates: every built-in log type's dataset but the four with their own file. */
export const SCHEMA_DRIVEN_DATASETS = [
  'access_requests', 'account_abuse_protection_events', 'audit_logs_v2', 'biso_user_actions', 'casb_findings',
  'device_posture_results', 'dex_application_tests', 'dex_device_state_events', 'dlp_forensic_copies',
  'dns_firewall_logs', 'dns_logs', 'email_security_alerts', 'email_security_post_delivery_events', 'gateway_dns',
  'gateway_http', 'gateway_network', 'ipsec_logs', 'magic_bgp_logs', 'magic_ids_detections', 'mcp_portal_logs',
  'mnm_flow_logs', 'nel_reports', 'network_analytics_logs', 'page_shield_events', 'sinkhole_http_logs', 'ssh_logs',
  'turnstile_events', 'warp_config_changes', 'warp_toggle_changes', 'websocket_analytics', 'workers_trace_events',
  'zaraz_events', 'zero_trust_network_sessions',
] as const;
export type SchemaDrivenDataset = (typeof SCHEMA_DRIVEN_DATASETS)[number];

/** What a value maker is given for one line: the PRNG, and the line's event time as an offset on the clock. */
interface Ctx {
  rng: Rng;
  clock: Clock;
  fmt: TimeFormatter;
  /** The line's event time: nanoseconds from the clock's start. */
  off: number;
}
/** Makes one value's JSON text. */
type Make = (c: Ctx) => string;

// ---------------------------------------------------------------------------------------------------------------
// Pools and small makers

const ZONES = ['example.com', 'example.net', 'example.org'];
const LABELS = ['www', 'api', 'app', 'static', 'login', 'mail', 'cdn', 'vpn'];
const PATHS = ['/', '/index.html', '/login', '/api/v1/items', '/static/app.js', '/account/settings', '/search?q=shoes'];
const USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'secops', 'it-admin'];
const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel'];
const COUNTRIES = ['us', 'gb', 'de', 'fr', 'jp', 'br', 'in', 'au', 'ca', 'nl'];
const COLOS = ['SJC', 'LAX', 'EWR', 'IAD', 'LHR', 'FRA', 'CDG', 'AMS', 'NRT', 'SIN', 'SYD', 'GRU'];
const CITIES = ['San Jose', 'New York', 'London', 'Frankfurt', 'Paris', 'Tokyo', 'Singapore', 'Sydney'];
const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.0 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.0 Mobile/15E148 Safari/604.1',
  'curl/8.7.1',
];

const str = (s: string): string => JSON.stringify(s);
const pick = (pool: readonly string[]): Make => (c) => str(c.rng.pick(pool));
const int = (lo: number, hi: number): Make => (c) => String(c.rng.int(lo, hi));

const ipv4 = (rng: Rng): string => rng.pick(['192.0.2.', '198.51.100.', '203.0.113.']) + rng.int(1, 254);
/** 2001:db8::/32, eight non-zero groups: already in RFC 5952 form. */
function ipv6(rng: Rng): string {
  let s = '2001:db8';
  for (let i = 0; i < 6; i++) s += ':' + rng.int(1, 0xffff).toString(16);
  return s;
}
const host = (rng: Rng): string => rng.pick(LABELS) + '.' + rng.pick(ZONES);
const url = (rng: Rng): string => 'https://' + host(rng) + rng.pick(PATHS);
const email = (rng: Rng): string => rng.pick(USERS) + '@' + rng.pick(ZONES);

/** A small JSON object, the shape of a json column's value. */
function smallObject(c: Ctx): string {
  const o: Record<string, unknown> = { id: c.rng.hex(8) };
  if (c.rng.chance(0.7)) o.type = c.rng.pick(WORDS);
  if (c.rng.chance(0.5)) o.value = c.rng.int(0, 1000);
  if (c.rng.chance(0.3)) o.enabled = c.rng.chance(0.5);
  return JSON.stringify(o);
}

/** A timestamp up to five seconds from the line's event time: after it when `after`, else before. */
function nearTime(after: boolean, ms: boolean): Make {
  return (c) => {
    const d = c.rng.int(0, 5e9);
    return timeText(c, after ? c.off + d : c.off - d, ms);
  };
}
/** An offset on the clock as the job writes it, or as integer milliseconds. */
function timeText(c: Ctx, off: number, ms: boolean): string {
  const total = c.clock.startFracNs + off;
  const sec = c.clock.startSec + Math.floor(total / 1e9);
  const ns = total - Math.floor(total / 1e9) * 1e9;
  return ms ? String(sec * 1000 + Math.floor(ns / 1e6)) : c.fmt.json(sec, ns);
}

// ---------------------------------------------------------------------------------------------------------------
// The rules: field name patterns -> value makers

const INDICATOR_MAKERS: Partial<Record<Indicator, (name: string) => Make>> = {
  ip: (name) => {
    if (name.includes('IPv4')) return (c) => str(ipv4(c.rng));
    if (name.includes('IPv6')) return (c) => str(ipv6(c.rng));
    return (c) => str(c.rng.chance(0.8) ? ipv4(c.rng) : ipv6(c.rng));
  },
  domain: () => (c) => str(host(c.rng)),
  url: () => (c) => str(url(c.rng)),
  email: () => (c) => str(email(c.rng)),
  md5: () => (c) => str(c.rng.hex(32)),
  sha1: () => (c) => str(c.rng.hex(40)),
  sha256: () => (c) => str(c.rng.hex(64)),
  device_id: () => (c) => str(c.rng.uuid()),
};

const STRING_RULES: ReadonlyArray<readonly [RegExp, Make]> = [
  [/RayID$/, (c) => str(c.rng.hex(16))],
  [/SSID$/, pick(['office', 'guest', 'home-5g'])],
  [/(ID|Id|UUID)(s|From|To)?$/, (c) => str(c.rng.uuid())],
  [/Email$/, (c) => str(email(c.rng))],
  [/^User(name)?$|Username$/, pick(USERS)],
  [/UserAgent$/, pick(USER_AGENTS)],
  [/ContinentCode$/, pick(['NA', 'EU', 'AS', 'SA', 'OC'])],
  [/Country(Code|ISO)?$/, pick(COUNTRIES)],
  [/StateISO$/, pick(['CA', 'NY', 'TX', 'ENG', 'HE'])],
  [/Zip$/, (c) => str(String(c.rng.int(10000, 99999)))],
  [/ColoCode$|Colo(Name)?$/, pick(COLOS)],
  [/City$/, pick(CITIES)],
  [/(ASO|ASNName|AsName|ASNDescription)$/, pick(['EXAMPLE-NET', 'DOC-TRANSIT', 'TEST-ISP'])],
  [/(ASN|AsNumber)$/, (c) => str(String(c.rng.int(64496, 64511)))],
  [/IPv6Netmask$/, (c) => str('ffff:ffff:ffff:ffff::')],
  [/Netmask$/, (c) => str('255.255.255.0')],
  [/EDNSSubnet$/, (c) => str(ipv4(c.rng).replace(/\d+$/, '0'))],
  [/Subnet$/, (c) => str(ipv4(c.rng).replace(/\d+$/, '0') + '/24')],
  [/IPVersion$/, pick(['4', '6'])],
  [/TLSVersion$/, pick(['TLSv1.3', 'TLSv1.2'])],
  [/HTTPVersion$/, pick(['HTTP/1.1', 'HTTP/2', 'HTTP/3'])],
  [/Version$/, (c) => str(c.rng.int(2024, 2026) + '.' + c.rng.int(1, 12) + '.' + c.rng.int(0, 999))],
  [/^(HTTP)?Method$/, pick(['GET', 'POST', 'PUT', 'DELETE'])],
  [/TimeZone$/, pick(['UTC', 'America/New_York', 'Europe/London', 'Asia/Tokyo'])],
  [/(URL|URI)$/, (c) => str(url(c.rng))],
  [/Path$/, pick(PATHS)],
  [/Host(name)?$|SNI$|FQDN$|DomainName$|QueryName$/, (c) => str(host(c.rng))],
  [/JSON$/, (c) => str(smallObject(c))],
  [/(Message|Description|Subject|Error|Reason)$/, (c) => str(c.rng.pick(WORDS) + ' ' + c.rng.pick(WORDS) + ' ' + c.rng.pick(WORDS))],
  [/(Action|Decision|Verdict)$/, pick(['allow', 'block', 'isolate', 'log'])],
  [/(Result|Status|Outcome)$/, pick(['ok', 'pass', 'fail', 'error'])],
  [/Protocol(Name)?$|Transport$/, pick(['tcp', 'udp', 'icmp'])],
  [/Direction$/, pick(['ingress', 'egress'])],
  [/GeoHash$/, pick(['9q9hv', 'dr5ru', 'gcpvj', 'u2edk', 'xn76c'])],
  [/(Hash|Sitekey|JA4)$/, (c) => str(c.rng.hex(32))],
];

const INTEGER_RULES: ReadonlyArray<readonly [RegExp, Make]> = [
  [/Port$/, (c) => String(c.rng.chance(0.5) ? 443 : c.rng.int(1024, 65535))],
  [/(ASN|AS|ASNumber)$/, int(64496, 64511)],
  [/(StatusCode|HTTPStatus)$/, (c) => c.rng.pick(['200', '200', '204', '301', '404', '500'])],
  [/(RCode|ResponseCode)$/, (c) => c.rng.pick(['0', '0', '0', '2', '3'])],
  [/SubnetLength$/, (c) => c.rng.pick(['0', '24', '24', '56'])],
  [/QueryType$/, (c) => c.rng.pick(['1', '1', '28', '5', '15', '16', '65'])],
  [/(Bytes|BPS|Bits|Length|Size|KB)$/, int(0, 65535)],
  [/(Packets|NumFlows|Cycles)$/, int(1, 1000)],
  [/Ms$/, int(0, 2000)],
  [/TTL$/, int(1, 255)],
  [/Percentage$|Score$/, int(0, 100)],
];

const FLOAT_RULES: ReadonlyArray<readonly [RegExp, Make]> = [
  [/Percentage$/, (c) => String(Math.round(c.rng.float() * 10000) / 100)],
];

const TYPE_DEFAULTS: Readonly<Record<Exclude<ScalarType, 'timestamp'>, Make>> = {
  string: pick(WORDS),
  boolean: (c) => String(c.rng.chance(0.5)),
  bigint: int(0, 100),
  int: int(0, 100),
  smallint: int(0, 100),
  float: (c) => String(Math.round(c.rng.float() * 1000) / 100),
  json: smallObject,
};

function ruleFor(rules: ReadonlyArray<readonly [RegExp, Make]>, name: string): Make | undefined {
  return rules.find(([pattern]) => pattern.test(name))?.[1];
}

/** The maker of one scalar value of a field (or of an array's element), from its type, indicators and name. */
function scalarMaker(type: ScalarType, name: string, indicators: readonly Indicator[]): Make {
  switch (type) {
    case 'string': {
      const ind = indicators.find((i) => INDICATOR_MAKERS[i] !== undefined);
      if (ind !== undefined) return INDICATOR_MAKERS[ind]!(name);
      return ruleFor(STRING_RULES, name) ?? TYPE_DEFAULTS.string;
    }
    case 'bigint':
    case 'int':
    case 'smallint':
      return ruleFor(INTEGER_RULES, name) ?? TYPE_DEFAULTS[type];
    case 'float':
      return ruleFor(FLOAT_RULES, name) ?? TYPE_DEFAULTS.float;
    case 'timestamp':
      return nearTime(/(End|Finish|Completed|Disconnect)/.test(name), name.endsWith('Ms'));
    default:
      return TYPE_DEFAULTS[type];
  }
}

function fieldMaker(f: FieldSpec): Make {
  if (f.type !== 'array') return scalarMaker(f.type, f.name, f.indicators);
  const element = scalarMaker(f.element?.type ?? 'string', f.name.replace(/s$/, ''), f.indicators);
  return (c) => {
    const n = c.rng.int(0, 3);
    let s = '[';
    for (let i = 0; i < n; i++) s += (i === 0 ? '' : ',') + element(c);
    return s + ']';
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The generator

/** A dataset's generator, from its schema: every field, in byte order, the event time spread over the span. */
export function schemaDriven<D extends SchemaDrivenDataset>(dataset: D): DatasetGenerator<D> {
  const schema = builtInRegistry().forDataset(dataset)?.schema;
  if (schema === undefined) throw new Error(`testkit/generate: no schema has dataset ${dataset} (schemas/cloudflare/)`);
  const specs = [...schema.fields].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const eventMs = schema.eventTimeField.endsWith('Ms');
  const parts = specs.map((f, i): readonly [string, Make | undefined] => [
    (i === 0 ? '{' : ',') + JSON.stringify(f.name) + ':',
    f.name === schema.eventTimeField ? undefined : fieldMaker(f),
  ]);
  return {
    dataset,
    fields: specs.map((f) => f.name),
    lineBytesEstimate: 64 + 48 * specs.length,
    *lines(opts: LineOptions, rng: Rng, clock: Clock): Generator<string> {
      const c: Ctx = { rng, clock, fmt: new TimeFormatter(opts.timestampFormat), off: 0 };
      const n = opts.lines;
      for (let i = 0; i < n; i++) {
        c.off = eventOffset(rng, clock, i, n, 1e9);
        let line = '';
        for (const [key, make] of parts) line += key + (make === undefined ? timeText(c, c.off, eventMs) : make(c));
        yield line + '}';
      }
    },
  };
}
