/**
 * A deterministic generator of realistic Cloudflare Logpush data, for the benchmark and for tests.
 *
 * Output is NDJSON exactly as Logpush writes it: compact JSON, every selected field present on every line, keys in
 * the order Cloudflare emits them (http_requests: RayID and EdgeStartTimestamp first, then the rest in byte order;
 * the other datasets in byte order), timestamps in the job's `timestamp_format`. All values are invented here;
 * host names use the reserved example.com/.net/.org domains.
 *
 * Values are drawn from a seeded PRNG (mulberry32) with pools shaped like real traffic (a few thousand clients with
 * Zipf-like popularity, a few zones, paths with ids from product pools, a fixed set of user agents), so that gzip
 * compresses the output about as well as it compresses real Logpush objects. Lines are built by string
 * concatenation, which keeps 19-digit `unixnano` integers exact and keeps generation fast (about a million
 * http_requests lines in a few seconds).
 */

export type Dataset = 'http_requests' | 'firewall_events' | 'spectrum_events' | 'audit_logs';
export type TimestampFormat = 'unixnano' | 'unix' | 'rfc3339' | 'rfc3339ms' | 'rfc3339ns';
export interface GenerateOptions {
  dataset: Dataset;
  lines: number;
  seed?: number; // default 1; same options => byte-identical output
  timestampFormat?: TimestampFormat; // default 'unixnano'
  start?: Date; // first event time, default 2026-11-01T10:00:00Z
  spanSeconds?: number; // events spread over [start, start+span), in order with jitter, default 30
}

export const DEFAULT_START = new Date(Date.UTC(2026, 10, 1, 10, 0, 0));
export const DEFAULT_SPAN_SECONDS = 30;
export const DATASETS: readonly Dataset[] = ['http_requests', 'firewall_events', 'spectrum_events', 'audit_logs'];
export const TIMESTAMP_FORMATS: readonly TimestampFormat[] = ['unixnano', 'unix', 'rfc3339', 'rfc3339ms', 'rfc3339ns'];

/** The keys each dataset's lines carry, in output order. */
export const FIELDS: Readonly<Record<Dataset, readonly string[]>> = {
  http_requests: [
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
  firewall_events: [
    'Action', 'ClientASN', 'ClientASNDescription', 'ClientCountry', 'ClientIP', 'ClientIPClass', 'ClientRefererHost',
    'ClientRefererPath', 'ClientRefererQuery', 'ClientRefererScheme', 'ClientRequestHost', 'ClientRequestMethod',
    'ClientRequestPath', 'ClientRequestProtocol', 'ClientRequestQuery', 'ClientRequestScheme',
    'ClientRequestUserAgent', 'ContentScanObjResults', 'ContentScanObjSizes', 'ContentScanObjTypes', 'Datetime',
    'Description', 'EdgeColoCode', 'EdgeResponseStatus', 'Kind', 'LeakedCredentialCheckResult', 'MatchIndex',
    'Metadata', 'OriginResponseStatus', 'OriginatorRayID', 'RayID', 'Ref', 'RuleID', 'Source',
  ],
  spectrum_events: [
    'Application', 'ClientAsn', 'ClientBytes', 'ClientCountry', 'ClientIP', 'ClientMatchedIpFirewall', 'ClientPort',
    'ClientProto', 'ClientTcpRtt', 'ClientTlsCipher', 'ClientTlsClientHelloServerName', 'ClientTlsProtocol',
    'ClientTlsStatus', 'ColoCode', 'ConnectTimestamp', 'DisconnectTimestamp', 'Event', 'IpFirewall', 'OriginBytes',
    'OriginIP', 'OriginPort', 'OriginProto', 'OriginTcpRtt', 'OriginTlsCipher', 'OriginTlsFingerprint',
    'OriginTlsMode', 'OriginTlsProtocol', 'OriginTlsStatus', 'ProxyProtocol', 'Status', 'Timestamp',
  ],
  audit_logs: [
    'ActionResult', 'ActionType', 'ActorEmail', 'ActorID', 'ActorIP', 'ActorType', 'ID', 'Interface', 'Metadata',
    'NewValue', 'OldValue', 'OwnerID', 'ResourceID', 'ResourceType', 'When',
  ],
};

/** The event-time field of each dataset (the one spread over [start, start+span)). */
export const EVENT_TIME_FIELD: Readonly<Record<Dataset, string>> = {
  http_requests: 'EdgeStartTimestamp',
  firewall_events: 'Datetime',
  spectrum_events: 'Timestamp',
  audit_logs: 'When',
};

// ---------------------------------------------------------------------------------------------------------------
// PRNG and small helpers

/** mulberry32: a tiny, fast, well-mixed 32-bit PRNG. */
class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  u32(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** Uniform in [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }
  /** Uniform integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.float() < p;
  }
  pick<T>(arr: readonly T[]): T {
    return arr[Math.floor(this.float() * arr.length)] as T;
  }
  /** Index skewed towards 0 (Zipf-like popularity): P(index 0) is about n^(-1/3). */
  zipf(n: number): number {
    const u = this.float();
    return Math.floor(n * u * u * u);
  }
  /** Index with a milder skew (catalogue items, pages): P(index < k) = sqrt(k / n). */
  popular(n: number): number {
    const u = this.float();
    return Math.floor(n * u * u);
  }
  /** `n` lower-case hex digits (n <= 128). */
  hex(n: number): string {
    const bytes = (n + 1) >> 1;
    for (let i = 0; i < bytes; i += 4) SCRATCH.writeUInt32LE(this.u32(), i);
    const s = SCRATCH.toString('hex', 0, bytes);
    return (n & 1) === 0 ? s : s.slice(0, n);
  }
  /** URL-safe random token (click ids and the like), n <= 128. */
  token(n: number): string {
    for (let i = 0; i < n; i++) SCRATCH[i] = TOKEN.charCodeAt(this.u32() & 63);
    return SCRATCH.toString('latin1', 0, n);
  }
  /** Upper-case letters and digits, n <= 128. */
  alnum(n: number): string {
    for (let i = 0; i < n; i++) SCRATCH[i] = ALNUM.charCodeAt(this.u32() % ALNUM.length);
    return SCRATCH.toString('latin1', 0, n);
  }
  uuid(): string {
    const h = this.hex(32);
    return (
      h.slice(0, 8) + '-' + h.slice(8, 12) + '-4' + h.slice(13, 16) + '-' + '89ab'[this.u32() & 3]! + h.slice(17, 20) +
      '-' + h.slice(20, 32)
    );
  }
}

/** Scratch space for building random strings in one allocation. */
const SCRATCH = Buffer.alloc(132);
const HEX2: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const TOKEN = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** A weighted choice among a few items; linear scan is fastest at these sizes. */
class Weighted<T> {
  private readonly items: T[] = [];
  private readonly cum: number[] = [];
  private total = 0;
  constructor(pairs: ReadonlyArray<readonly [T, number]>) {
    for (const [item, w] of pairs) {
      this.total += w;
      this.items.push(item);
      this.cum.push(this.total);
    }
  }
  pick(rng: Rng): T {
    const x = rng.float() * this.total;
    const cum = this.cum;
    for (let i = 0; i < cum.length; i++) if (x < cum[i]!) return this.items[i]!;
    return this.items[this.items.length - 1]!;
  }
}

/** JSON string literal for text that needs no escaping (checked), the fast path for pooled values. */
function q(s: string): string {
  return '"' + s + '"';
}
/** Asserts a pooled string is safe to wrap in quotes unescaped, and returns it. */
function safe(s: string): string {
  if (JSON.stringify(s) !== '"' + s + '"') throw new Error(`generator pool value needs escaping: ${s}`);
  return s;
}

function pad9(n: number): string {
  return String(n + 1e9).slice(1);
}
function pad3(n: number): string {
  return String(n + 1000).slice(1);
}
function jsonStrArray(a: readonly string[]): string {
  return a.length === 0 ? '[]' : JSON.stringify(a);
}

/** FNV-1a, 32 bits. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

// ---------------------------------------------------------------------------------------------------------------
// Time

/** Formats an instant (whole seconds + nanoseconds) as the JSON text Logpush writes for the job's format. */
class TimeFormatter {
  private lastSec = NaN;
  private lastPrefix = '';
  constructor(private readonly format: TimestampFormat) {}

  json(sec: number, ns: number): string {
    switch (this.format) {
      case 'unixnano':
        return sec === 0 ? String(ns) : String(sec) + pad9(ns);
      case 'unix':
        return String(sec);
      case 'rfc3339':
        return '"' + this.prefix(sec) + 'Z"';
      case 'rfc3339ms':
        return '"' + this.prefix(sec) + '.' + pad3(Math.floor(ns / 1e6)) + 'Z"';
      case 'rfc3339ns':
        return '"' + this.prefix(sec) + '.' + pad9(ns) + 'Z"';
    }
  }

  /** `YYYY-MM-DDTHH:MM:SS`, cached for the last second seen (lines are nearly in time order). */
  private prefix(sec: number): string {
    if (sec !== this.lastSec) {
      this.lastSec = sec;
      this.lastPrefix = new Date(sec * 1000).toISOString().slice(0, 19);
    }
    return this.lastPrefix;
  }
}

/**
 * Event clock: offsets in nanoseconds from `start`, kept below 2^53 (spans up to about 100 days), turned into exact
 * (seconds, nanoseconds) pairs without ever forming a 19-digit number as a double.
 */
class Clock {
  readonly startSec: number;
  readonly startFracNs: number;
  readonly spanNs: number;
  constructor(start: Date, spanSeconds: number) {
    const ms = start.getTime();
    if (!Number.isFinite(ms) || ms < 1000) throw new RangeError('start must be a valid date after 1970-01-01T00:00:01Z');
    if (!(spanSeconds > 0) || spanSeconds > 8e6) throw new RangeError('spanSeconds must be in (0, 8e6]');
    this.startSec = Math.floor(ms / 1000);
    this.startFracNs = (ms - this.startSec * 1000) * 1e6;
    this.spanNs = Math.max(1, Math.round(spanSeconds * 1e9));
  }
  sec(offNs: number): number {
    return this.startSec + Math.floor((this.startFracNs + offNs) / 1e9);
  }
  ns(offNs: number): number {
    return (this.startFracNs + offNs) % 1e9;
  }
  /** Nudges an offset so its nanosecond digits end in a non-zero digit, staying below `limitNs` (the span end). */
  nonRound(offNs: number, limitNs: number = this.spanNs): number {
    if ((this.startFracNs + offNs) % 10 !== 0) return offNs;
    if (offNs + 1 < limitNs) return offNs + 1;
    return offNs > 0 ? offNs - 1 : offNs;
  }
}

/** The event-time offset of line i of n: in order, with a sub-step random position and a backwards jitter. */
function eventOffset(rng: Rng, clock: Clock, i: number, n: number, maxJitterNs: number): number {
  const base = Math.floor(((i + rng.float()) * clock.spanNs) / n);
  const u = rng.float();
  const jitter = Math.floor(u * u * u * u * Math.min(maxJitterNs, clock.spanNs / 10));
  return clock.nonRound(base >= jitter ? base - jitter : base);
}

// ---------------------------------------------------------------------------------------------------------------
// Pools shared by the datasets (all values invented)

interface Geo {
  country: string;
  region: string;
  city: string;
  lat: string;
  lon: string;
  colo: string;
  asns: readonly number[];
  weight: number;
}

const GEOS: readonly Geo[] = [
  { country: 'us', region: 'CA', city: 'San Jose', lat: '37.33939', lon: '-121.89496', colo: 'SJC', asns: [7922, 7018, 16509], weight: 9 },
  { country: 'us', region: 'CA', city: 'Los Angeles', lat: '34.05223', lon: '-118.24368', colo: 'LAX', asns: [20001, 7018, 21928], weight: 8 },
  { country: 'us', region: 'NY', city: 'New York', lat: '40.71427', lon: '-74.00597', colo: 'EWR', asns: [701, 7922, 12271], weight: 10 },
  { country: 'us', region: 'TX', city: 'Dallas', lat: '32.78306', lon: '-96.80667', colo: 'DFW', asns: [7018, 20115], weight: 6 },
  { country: 'us', region: 'IL', city: 'Chicago', lat: '41.85003', lon: '-87.65005', colo: 'ORD', asns: [7922, 20115, 7018], weight: 6 },
  { country: 'us', region: 'VA', city: 'Ashburn', lat: '39.04372', lon: '-77.48749', colo: 'IAD', asns: [16509, 14618, 8075, 15169], weight: 7 },
  { country: 'us', region: 'WA', city: 'Seattle', lat: '47.60621', lon: '-122.33207', colo: 'SEA', asns: [7922, 21928], weight: 4 },
  { country: 'ca', region: 'ON', city: 'Toronto', lat: '43.70011', lon: '-79.4163', colo: 'YYZ', asns: [812, 577], weight: 4 },
  { country: 'gb', region: 'ENG', city: 'London', lat: '51.50853', lon: '-0.12574', colo: 'LHR', asns: [2856, 5089, 5607], weight: 7 },
  { country: 'de', region: 'HE', city: 'Frankfurt am Main', lat: '50.11552', lon: '8.68417', colo: 'FRA', asns: [3320, 24940, 3209], weight: 5 },
  { country: 'de', region: 'BE', city: 'Berlin', lat: '52.52437', lon: '13.41053', colo: 'TXL', asns: [3320, 6805], weight: 3 },
  { country: 'fr', region: 'IDF', city: 'Paris', lat: '48.85341', lon: '2.3488', colo: 'CDG', asns: [3215, 12322, 5410], weight: 5 },
  { country: 'nl', region: 'NH', city: 'Amsterdam', lat: '52.37403', lon: '4.88969', colo: 'AMS', asns: [1136, 33915, 14061], weight: 3 },
  { country: 'pl', region: '14', city: 'Warsaw', lat: '52.22977', lon: '21.01178', colo: 'WAW', asns: [5617, 12741], weight: 2 },
  { country: 'jp', region: '13', city: 'Tokyo', lat: '35.6895', lon: '139.69171', colo: 'NRT', asns: [2516, 4713, 17676], weight: 5 },
  { country: 'kr', region: '11', city: 'Seoul', lat: '37.566', lon: '126.9784', colo: 'ICN', asns: [4766, 9318], weight: 2 },
  { country: 'in', region: 'MH', city: 'Mumbai', lat: '19.07283', lon: '72.88261', colo: 'BOM', asns: [55836, 24560, 45609], weight: 4 },
  { country: 'sg', region: '01', city: 'Singapore', lat: '1.28967', lon: '103.85007', colo: 'SIN', asns: [4773, 9506, 16509], weight: 2 },
  { country: 'au', region: 'NSW', city: 'Sydney', lat: '-33.86785', lon: '151.20732', colo: 'SYD', asns: [1221, 4804], weight: 2 },
  { country: 'br', region: 'SP', city: 'São Paulo', lat: '-23.5475', lon: '-46.63611', colo: 'GRU', asns: [28573, 26599, 18881], weight: 3 },
  { country: 'mx', region: 'CMX', city: 'Ciudad de México', lat: '19.42847', lon: '-99.12766', colo: 'QRO', asns: [8151, 13999], weight: 2 },
  { country: 'cn', region: 'BJ', city: 'Beijing', lat: '39.9075', lon: '116.39723', colo: 'HKG', asns: [4134, 4837], weight: 1 },
  { country: 'ru', region: 'MOW', city: 'Moscow', lat: '55.75222', lon: '37.61556', colo: 'ARN', asns: [12389, 8359], weight: 1 },
  { country: 'vn', region: 'SG', city: 'Ho Chi Minh City', lat: '10.82302', lon: '106.62965', colo: 'SGN', asns: [7552, 45899], weight: 1 },
];

const ASN_NAMES: Readonly<Record<number, string>> = {
  7922: 'COMCAST-7922', 7018: 'ATT-INTERNET4', 16509: 'AMAZON-02', 20001: 'TWC-20001-PACWEST', 21928: 'T-MOBILE-AS21928',
  701: 'UUNET', 12271: 'TWC-12271-NYC', 20115: 'CHARTER-20115', 14618: 'AMAZON-AES', 8075: 'MICROSOFT-CORP-MSN-AS-BLOCK',
  15169: 'GOOGLE', 812: 'ROGERS-COMMUNICATIONS', 577: 'BACOM', 2856: 'BT-UK-AS', 5089: 'NTL', 5607: 'BSKYB-BROADBAND-AS',
  3320: 'DTAG', 24940: 'HETZNER-AS', 3209: 'VODANET', 6805: 'TDDE-ASN1', 3215: 'FRANCE-TELECOM', 12322: 'PROXAD',
  5410: 'BOUYGTEL-ISP', 1136: 'KPN', 33915: 'TNF-AS', 14061: 'DIGITALOCEAN-ASN', 5617: 'TPNET', 12741: 'AS-NETIA',
  2516: 'KDDI', 4713: 'OCN', 17676: 'GIGAINFRA', 4766: 'KIXS-AS-KR', 9318: 'SKB-AS', 55836: 'RELIANCEJIO-IN',
  24560: 'AIRTELBROADBAND-AS-AP', 45609: 'BHARTI-MOBILITY-AS-AP', 4773: 'MOBILEONELTD-AS-AP', 9506: 'SINGTEL-FIBRE',
  1221: 'ASN-TELSTRA', 4804: 'MPX-AS', 28573: 'CLARO S.A.', 26599: 'TELEFONICA BRASIL S.A', 18881: 'TELEFONICA BRASIL S.A',
  8151: 'UNINET', 13999: 'MEGA CABLE, S.A. DE C.V.', 4134: 'CHINANET-BACKBONE', 4837: 'CHINA169-BACKBONE',
  12389: 'ROSTELECOM-AS', 8359: 'MTS', 7552: 'VIETEL-AS-AP', 45899: 'VNPT-AS-VN',
};

const COLO_IDS: Readonly<Record<string, number>> = {
  SJC: 16, LAX: 28, EWR: 11, DFW: 18, ORD: 22, IAD: 7, SEA: 34, YYZ: 103, LHR: 44, FRA: 47, TXL: 232, CDG: 46,
  AMS: 45, WAW: 199, NRT: 54, ICN: 115, BOM: 151, SIN: 58, SYD: 76, GRU: 148, QRO: 391, HKG: 60, ARN: 66, SGN: 414,
};

const V4_FIRST_OCTETS = [
  5, 24, 31, 37, 45, 46, 47, 49, 50, 62, 66, 67, 68, 71, 73, 76, 77, 78, 79, 80, 81, 82, 84, 85, 86, 87, 88, 89, 90,
  91, 92, 93, 94, 95, 98, 99, 101, 103, 107, 109, 112, 114, 115, 116, 118, 119, 121, 122, 124, 125, 136, 151, 154,
  174, 176, 178, 180, 182, 185, 186, 187, 188, 189, 190, 191, 193, 194, 195, 197, 201, 206, 207, 208, 209, 210, 211,
  212, 213, 217, 218, 219, 220, 221, 222, 223,
];
const V6_PREFIXES = ['2a02', '2a01', '2001', '2600', '2601', '2603', '2406', '2409', '2804', '2a00', '240e'];

function ipv4(rng: Rng): string {
  return rng.pick(V4_FIRST_OCTETS) + '.' + rng.int(0, 255) + '.' + rng.int(0, 255) + '.' + rng.int(1, 254);
}
function ipv6(rng: Rng): string {
  let s = rng.pick(V6_PREFIXES);
  for (let i = 0; i < 7; i++) s += ':' + rng.int(i < 3 ? 0x100 : 0, 0xffff).toString(16);
  return s;
}

interface UserAgent {
  ua: string;
  device: 'desktop' | 'mobile' | 'tablet';
  /** browser | bot (verified crawler) | tool (scripts) | monitor */
  kind: 'browser' | 'bot' | 'tool' | 'monitor';
  http: readonly string[];
  tls: string;
  cipher: string;
  ja3: string;
  ja4: string;
}

const UA_SPECS: ReadonlyArray<readonly [string, UserAgent['device'], UserAgent['kind'], number]> = [
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{chrome}.0.0.0 Safari/537.36', 'desktop', 'browser', 28],
  ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{chrome}.0.0.0 Safari/537.36', 'desktop', 'browser', 10],
  ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{chrome}.0.0.0 Safari/537.36', 'desktop', 'browser', 1],
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{chrome}.0.0.0 Safari/537.36 Edg/{chrome}.0.0.0', 'desktop', 'browser', 6],
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:{ff}.0) Gecko/20100101 Firefox/{ff}.0', 'desktop', 'browser', 4],
  ['Mozilla/5.0 (X11; Linux x86_64; rv:{ff}.0) Gecko/20100101 Firefox/{ff}.0', 'desktop', 'browser', 1],
  ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/{safari} Safari/605.1.15', 'desktop', 'browser', 5],
  ['Mozilla/5.0 (iPhone; CPU iPhone OS {ios} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/{safari} Mobile/15E148 Safari/604.1', 'mobile', 'browser', 18],
  ['Mozilla/5.0 (iPad; CPU OS {ios} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/{safari} Mobile/15E148 Safari/604.1', 'tablet', 'browser', 2],
  ['Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{chrome}.0.0.0 Mobile Safari/537.36', 'mobile', 'browser', 12],
  ['Mozilla/5.0 (Linux; Android 15; {android}) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/28.0 Chrome/130.0.0.0 Mobile Safari/537.36', 'mobile', 'browser', 2],
  ['Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.7390.122 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', 'mobile', 'bot', 2],
  ['Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)', 'desktop', 'bot', 1],
  ['Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)', 'desktop', 'bot', 1],
  ['curl/8.7.1', 'desktop', 'tool', 1],
  ['python-requests/2.32.3', 'desktop', 'tool', 1],
  ['okhttp/4.12.0', 'mobile', 'tool', 2],
  ['Go-http-client/2.0', 'desktop', 'tool', 1],
  ['Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)', 'desktop', 'monitor', 1],
];

const TLS13_CIPHERS = ['AEAD-AES128-GCM-SHA256', 'AEAD-AES256-GCM-SHA384', 'AEAD-CHACHA20-POLY1305-SHA256'];

/** Version placeholders in UA_SPECS, each expanded into variants that split the entry's weight. */
const UA_VARIANTS: Readonly<Record<string, ReadonlyArray<readonly [string, number]>>> = {
  '{chrome}': [['141', 60], ['140', 25], ['139', 10], ['138', 5]],
  '{ff}': [['144', 70], ['143', 20], ['140', 10]],
  '{ios}': [['18_7', 40], ['18_6_2', 25], ['26_0_1', 20], ['17_7_10', 15]],
  '{safari}': [['26.0', 50], ['18.6', 35], ['17.6', 15]],
  '{android}': [['SM-S931B', 30], ['SM-A556B', 25], ['Pixel 9', 20], ['SM-G991B', 15], ['moto g 5G - 2024', 10]],
};

function expandUA(ua: string, w: number): Array<[string, number]> {
  for (const [ph, variants] of Object.entries(UA_VARIANTS)) {
    if (!ua.includes(ph)) continue;
    const total = variants.reduce((a, [, vw]) => a + vw, 0);
    return variants.flatMap(([v, vw]) => expandUA(ua.split(ph).join(v), (w * vw) / total));
  }
  return [[ua, w]];
}

function buildUserAgents(rng: Rng): { list: UserAgent[]; pick: Weighted<number> } {
  const list: UserAgent[] = [];
  const pairs: Array<[number, number]> = [];
  UA_SPECS.forEach(([spec, device, kind, weight], i) => {
    const modern = kind === 'browser' || kind === 'bot';
    const tls = modern || rng.chance(0.5) ? 'TLSv1.3' : 'TLSv1.2';
    const cipher = tls === 'TLSv1.3' ? (i % 5 === 4 ? TLS13_CIPHERS[2]! : TLS13_CIPHERS[i % 2]!) : 'ECDHE-RSA-AES128-GCM-SHA256';
    const ja3 = rng.hex(32);
    const ja4 =
      (tls === 'TLSv1.3' ? 't13d' : 't12d') + String(rng.int(10, 19)) + String(rng.int(10, 17)) +
      (kind === 'browser' ? 'h2' : 'h1') + '_' + rng.hex(12) + '_' + rng.hex(12);
    for (const [ua, w] of expandUA(spec, weight)) {
      pairs.push([list.length, w]);
      list.push({
        ua: safe(ua),
        device,
        kind,
        http: kind === 'browser' ? ['HTTP/2', 'HTTP/2', 'HTTP/2', 'HTTP/3', 'HTTP/1.1'] : kind === 'bot' ? ['HTTP/1.1', 'HTTP/2'] : ['HTTP/1.1'],
        tls,
        cipher,
        // Chromium permutes TLS extensions per connection, so its JA3 differs from client to client (JA4 does not).
        ja3: ua.includes('Chrome/') ? '' : ja3,
        ja4,
      });
    }
  });
  return { list, pick: new Weighted(pairs) };
}

interface Client {
  ip: string;
  /** JA3 of this client's TLS stack where the browser randomises it, else the user agent's. */
  ja3: string;
  geo: Geo;
  asn: number;
  ua: number;
  ipClass: string;
  session: string;
}

const CLIENT_COUNT = 10000;

function buildClients(rng: Rng, uas: { list: UserAgent[]; pick: Weighted<number> }): Client[] {
  const geoPick = new Weighted(GEOS.map((g) => [g, g.weight] as const));
  const clients: Client[] = [];
  for (let i = 0; i < CLIENT_COUNT; i++) {
    const geo = geoPick.pick(rng);
    const ua = uas.pick.pick(rng);
    const kind = uas.list[ua]!.kind;
    clients.push({
      ip: rng.chance(0.15) ? ipv6(rng) : ipv4(rng),
      ja3: uas.list[ua]!.ja3 || rng.hex(32),
      geo,
      asn: rng.pick(geo.asns),
      ua,
      ipClass:
        kind === 'bot' ? 'searchEngine' : kind === 'monitor' ? 'monitoringService' : rng.chance(0.9) ? 'noRecord' : rng.pick(['clean', 'badHost', 'tor', 'unknown']),
      session: rng.hex(32),
    });
  }
  return clients;
}

const WORDS = [
  'shoes', 'jackets', 'outdoor', 'kitchen', 'garden', 'lamps', 'desks', 'chairs', 'audio', 'cameras', 'laptops',
  'phones', 'books', 'toys', 'bikes', 'tents', 'coffee', 'tea', 'watches', 'bags', 'sale', 'new', 'gifts', 'winter',
];

// ---------------------------------------------------------------------------------------------------------------
// http_requests

type Kind = 'page' | 'js' | 'css' | 'img' | 'font' | 'api' | 'misc' | 'redirect';

interface Host {
  host: string;
  zone: string;
  kinds: Weighted<Kind>;
  originIPs: string[];
  builds: string[];
  worker: boolean;
  pages: string[];
}

interface HttpPools {
  hosts: Weighted<Host>;
  hostList: Host[];
  products: string[];
  slugs: string[];
  edgeIPs: Record<string, string[]>;
  lastModified: string[];
  ruleIDs: string[];
  rulesetIDs: string[];
}

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

function buildHttpPools(rng: Rng): HttpPools {
  const mk = (host: string, zone: string, kinds: Array<[Kind, number]>, worker = false): Host => ({
    host,
    zone,
    kinds: new Weighted(kinds),
    originIPs: Array.from({ length: 3 }, () => ipv4(rng)),
    builds: Array.from({ length: 3 }, () => rng.hex(8)),
    worker,
    pages: [],
  });
  const hostList: Host[] = [
    mk('www.example.com', 'example.com', [['page', 30], ['js', 16], ['css', 7], ['img', 26], ['font', 4], ['api', 10], ['misc', 7]]),
    mk('example.com', 'example.com', [['redirect', 80], ['misc', 20]]),
    mk('api.example.com', 'example.com', [['api', 97], ['misc', 3]], true),
    mk('static.example.com', 'example.com', [['js', 30], ['css', 12], ['img', 48], ['font', 10]]),
    mk('shop.example.net', 'example.net', [['page', 35], ['img', 40], ['js', 10], ['api', 12], ['misc', 3]]),
    mk('cdn.example.net', 'example.net', [['img', 85], ['js', 15]]),
    mk('blog.example.org', 'example.org', [['page', 55], ['img', 30], ['css', 6], ['misc', 9]]),
  ];
  const weights = [30, 3, 20, 20, 15, 8, 4];
  const products = Array.from({ length: 20000 }, () => rng.alnum(10));
  const slugs = Array.from({ length: 300 }, () => rng.pick(WORDS) + '-' + rng.pick(WORDS) + '-' + rng.pick(WORDS) + '-' + rng.int(2, 99));
  for (const h of hostList) {
    if (h.host.startsWith('www.')) h.pages = ['/', '/pricing', '/about', '/contact', '/docs/', '/docs/getting-started', '/docs/api/authentication', '/login', '/signup', '/account/settings', '/blog/', '/careers'];
    else if (h.host.startsWith('shop.')) h.pages = ['/', '/cart', '/checkout', ...products.slice(0, 40).map((p) => '/product/' + p), ...WORDS.map((w) => '/category/' + w)];
    else if (h.host.startsWith('blog.')) h.pages = ['/', '/feed/', ...slugs.slice(0, 100).map((s, i) => '/20' + (24 + (i % 3)) + '/' + pad3(1 + (i % 12)).slice(1) + '/' + s + '/')];
    else h.pages = ['/'];
  }
  const edgeIPs: Record<string, string[]> = {};
  const edgePrefixes = ['172.70', '172.71', '172.68', '172.69', '162.158', '108.162', '141.101', '172.64'];
  for (const g of GEOS) {
    edgeIPs[g.colo] = Array.from({ length: 64 }, () => rng.pick(edgePrefixes) + '.' + rng.int(0, 255) + '.' + rng.int(1, 254));
  }
  // Last-Modified values of assets: a few dozen builds in the months before the default start.
  const lastModified = Array.from({ length: 48 }, () => new Date(Date.UTC(2026, 6, 1) + rng.int(0, 120 * 86400) * 1000).toUTCString());
  return {
    hosts: new Weighted(hostList.map((h, i) => [h, weights[i]!] as const)),
    hostList,
    products,
    slugs,
    edgeIPs,
    lastModified,
    ruleIDs: Array.from({ length: 12 }, () => rng.hex(32)),
    rulesetIDs: Array.from({ length: 3 }, () => rng.hex(32)),
  };
}

interface Request {
  method: string;
  path: string;
  query: string;
  contentType: string;
  minBody: number;
  maxBody: number;
  compressible: boolean;
  cacheable: boolean;
  status: number;
}

const PAGE_REFERERS = ['https://www.google.com/', 'https://www.google.com/', 'https://www.bing.com/', 'https://duckduckgo.com/', 'https://t.co/', 'https://www.linkedin.com/'];
const UTM = [
  '?utm_source=newsletter&utm_medium=email&utm_campaign=nov_launch', '?utm_source=google&utm_medium=cpc&utm_campaign=brand',
  '?utm_source=twitter&utm_medium=social', '?ref=producthunt', '?utm_source=partner&utm_medium=referral&utm_campaign=q4',
];
const IMG_WIDTHS = ['160', '320', '640', '960', '1280'];
const FONTS = ['/fonts/inter-var.woff2', '/fonts/inter-var-italic.woff2', '/fonts/jetbrains-mono.woff2'];
const MISC: ReadonlyArray<readonly [string, string, number]> = [
  ['/favicon.ico', 'image/x-icon', 200], ['/robots.txt', 'text/plain', 200], ['/sitemap.xml', 'application/xml', 200],
  ['/manifest.json', 'application/manifest+json', 200], ['/.well-known/security.txt', 'text/plain', 200],
  ['/apple-touch-icon.png', 'image/png', 404], ['/wp-login.php', 'text/html', 404], ['/.env', 'text/html', 404],
];

function pageStatus(rng: Rng): number {
  const x = rng.float();
  return x < 0.87 ? 200 : x < 0.92 ? 304 : x < 0.95 ? 404 : x < 0.97 ? 301 : x < 0.985 ? 302 : x < 0.993 ? 500 : x < 0.997 ? 502 : 503;
}
function assetStatus(rng: Rng): number {
  const x = rng.float();
  return x < 0.84 ? 200 : x < 0.96 ? 304 : x < 0.98 ? 206 : x < 0.995 ? 404 : 499;
}
function apiStatus(rng: Rng, method: string): number {
  const x = rng.float();
  if (x < 0.86) return method === 'POST' ? (rng.chance(0.3) ? 201 : 200) : method === 'DELETE' ? 204 : 200;
  return x < 0.9 ? 400 : x < 0.93 ? 401 : x < 0.96 ? 404 : x < 0.98 ? 429 : x < 0.995 ? 500 : 503;
}

function makeRequest(rng: Rng, pools: HttpPools, host: Host, kind: Kind, ua: UserAgent): Request {
  switch (kind) {
    case 'page': {
      const path = rng.chance(0.5) ? host.pages[rng.zipf(host.pages.length)]! : pagePath(rng, pools, host);
      const r = rng.float();
      const query = r < 0.12 ? rng.pick(UTM) : r < 0.15 ? '?page=' + rng.int(2, 12) : r < 0.2 ? '?gclid=' + rng.token(40) : r < 0.22 ? '?fbclid=' + rng.token(60) : '';
      return { method: ua.kind === 'monitor' ? 'HEAD' : 'GET', path, query, contentType: 'text/html', minBody: 6000, maxBody: 90000, compressible: true, cacheable: false, status: pageStatus(rng) };
    }
    case 'redirect':
      return { method: 'GET', path: host.pages[0]!, query: '', contentType: 'text/html', minBody: 0, maxBody: 200, compressible: false, cacheable: false, status: 301 };
    case 'js': {
      const name = rng.pick(['main', 'vendor', 'runtime', 'app', 'chunk-' + HEX2[rng.int(0, 40)]!]);
      return { method: 'GET', path: '/static/js/' + name + '.' + rng.pick(host.builds) + '.js', query: rng.chance(0.05) ? '?v=' + host.builds[0]! : '', contentType: 'application/javascript', minBody: 2000, maxBody: 450000, compressible: true, cacheable: true, status: assetStatus(rng) };
    }
    case 'css':
      return { method: 'GET', path: '/static/css/main.' + rng.pick(host.builds) + '.css', query: '', contentType: 'text/css', minBody: 3000, maxBody: 120000, compressible: true, cacheable: true, status: assetStatus(rng) };
    case 'img': {
      const p = pools.products[rng.popular(pools.products.length)]!;
      const r = rng.float();
      if (r < 0.7) {
        const ext = rng.chance(0.8) ? 'webp' : 'avif';
        return { method: 'GET', path: '/images/products/' + p + '/' + rng.int(1, 6) + '.' + ext, query: '?width=' + rng.pick(IMG_WIDTHS), contentType: 'image/' + ext, minBody: 3000, maxBody: 250000, compressible: false, cacheable: true, status: assetStatus(rng) };
      }
      const ext = rng.chance(0.7) ? 'jpg' : 'png';
      return { method: 'GET', path: '/img/' + rng.pick(WORDS) + '-' + rng.int(1, 20) + '.' + ext, query: '', contentType: ext === 'jpg' ? 'image/jpeg' : 'image/png', minBody: 1500, maxBody: 600000, compressible: false, cacheable: true, status: assetStatus(rng) };
    }
    case 'font':
      return { method: 'GET', path: rng.pick(FONTS), query: '', contentType: 'font/woff2', minBody: 20000, maxBody: 110000, compressible: false, cacheable: true, status: rng.chance(0.9) ? 200 : 304 };
    case 'api': {
      const r = rng.float();
      let method = 'GET';
      let path: string;
      let query = '';
      if (ua.kind === 'monitor') path = '/healthz';
      else if (r < 0.25) {
        method = 'POST';
        path = '/api/v2/events';
      } else if (r < 0.45) {
        path = '/api/v2/products/' + pools.products[rng.popular(pools.products.length)]!;
      } else if (r < 0.57) {
        path = '/api/v2/search';
        query = '?q=' + rng.pick(WORDS) + '&page=' + rng.int(1, 5);
      } else if (r < 0.7) {
        method = rng.chance(0.7) ? 'GET' : 'POST';
        path = '/api/v2/cart';
      } else if (r < 0.8) {
        path = '/api/v2/orders/' + rng.int(1000000, 9999999);
        method = rng.chance(0.9) ? 'GET' : rng.chance(0.5) ? 'PUT' : 'DELETE';
      } else if (r < 0.9) {
        method = 'POST';
        path = '/graphql';
      } else if (r < 0.95) {
        method = rng.chance(0.3) ? 'OPTIONS' : 'POST';
        path = '/api/v2/session';
      } else {
        method = 'POST';
        path = '/api/v2/uploads';
      }
      return { method, path, query, contentType: 'application/json', minBody: 40, maxBody: 9000, compressible: true, cacheable: false, status: method === 'OPTIONS' ? 204 : apiStatus(rng, method) };
    }
    case 'misc': {
      const [path, contentType, status] = MISC[rng.zipf(MISC.length)]!;
      return { method: 'GET', path, query: '', contentType, minBody: 60, maxBody: 15000, compressible: contentType !== 'image/x-icon', cacheable: status === 200, status: status === 200 && rng.chance(0.1) ? 304 : status };
    }
  }
}

function pagePath(rng: Rng, pools: HttpPools, host: Host): string {
  if (host.host.startsWith('shop.')) {
    return rng.chance(0.75) ? '/product/' + pools.products[rng.popular(pools.products.length)]! : '/category/' + rng.pick(WORDS);
  }
  if (host.host.startsWith('blog.')) return rng.pick(host.pages);
  return rng.chance(0.7) ? rng.pick(host.pages) : '/docs/' + rng.pick(WORDS) + '/' + rng.pick(WORDS);
}

/** The page that loaded an asset or made an API call: a page of the site the host serves. */
function refererFor(rng: Rng, pools: HttpPools, host: Host): string {
  const site = host.host.startsWith('static.') || host.host.startsWith('api.') || host.host === 'example.com' ? pools.hostList[0]! : host.host.startsWith('cdn.') ? pools.hostList[4]! : host;
  return 'https://' + site.host + (rng.chance(0.6) ? rng.pick(site.pages) : pagePath(rng, pools, site));
}

const RESPONSE_HEADER_POOL = ['{"x-frame-options":"SAMEORIGIN"}', '{"cache-control":"public, max-age=31536000, immutable"}', '{"cache-control":"no-store"}', '{"vary":"Accept-Encoding"}'];
const REQUEST_HEADER_POOL = ['{"accept-language":"en-US,en;q=0.9"}', '{"accept-language":"de-DE,de;q=0.9,en;q=0.8"}', '{"accept-language":"fr-FR,fr;q=0.9"}', '{"accept-language":"ja,en-US;q=0.9,en;q=0.8"}', '{"x-forwarded-proto":"https"}'];

function* httpLines(opts: Required<GenerateOptions>, rng: Rng, clock: Clock): Generator<string> {
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

// ---------------------------------------------------------------------------------------------------------------
// firewall_events

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

function* firewallLines(opts: Required<GenerateOptions>, rng: Rng, clock: Clock): Generator<string> {
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

// ---------------------------------------------------------------------------------------------------------------
// spectrum_events

interface SpectrumApp {
  id: string;
  port: number;
  proto: string;
  sni: string;
  tls: boolean;
  originIP: string;
  originPort: number;
  originTls: string;
  fingerprint: string;
  proxyProtocol: string;
  ipFirewall: boolean;
}

interface Connection {
  app: SpectrumApp;
  client: Client;
  port: number;
  connectOff: number;
  rtt: number;
  originRtt: number;
}

function* spectrumLines(opts: Required<GenerateOptions>, rng: Rng, clock: Clock): Generator<string> {
  const uas = buildUserAgents(rng);
  const clients = buildClients(rng, uas);
  const apps: SpectrumApp[] = [
    { id: rng.hex(32), port: 22, proto: 'tcp', sni: '', tls: false, originIP: ipv4(rng), originPort: 22, originTls: 'off', fingerprint: '', proxyProtocol: 'off', ipFirewall: true },
    { id: rng.hex(32), port: 3389, proto: 'tcp', sni: 'rdp.example.com', tls: true, originIP: ipv4(rng), originPort: 3389, originTls: 'off', fingerprint: '', proxyProtocol: 'v1', ipFirewall: false },
    { id: rng.hex(32), port: 25565, proto: 'tcp', sni: '', tls: false, originIP: ipv4(rng), originPort: 25565, originTls: 'off', fingerprint: '', proxyProtocol: 'v2', ipFirewall: true },
    { id: rng.hex(32), port: 8883, proto: 'tcp', sni: 'mqtt.example.net', tls: true, originIP: ipv4(rng), originPort: 8883, originTls: 'strict', fingerprint: rng.hex(64), proxyProtocol: 'off', ipFirewall: false },
    { id: rng.hex(32), port: 27015, proto: 'udp', sni: '', tls: false, originIP: ipv4(rng), originPort: 27015, originTls: 'off', fingerprint: '', proxyProtocol: 'simple', ipFirewall: false },
  ];
  const appPick = new Weighted(apps.map((a, i) => [a, [30, 10, 25, 25, 10][i]!] as const));
  const fTs = new TimeFormatter(opts.timestampFormat);
  const fConn = new TimeFormatter(opts.timestampFormat);
  const fDisc = new TimeFormatter(opts.timestampFormat);
  const epoch = fDisc.json(0, 0);
  // Epoch 0 in the job's format: 0 for the integer formats, "1970-01-01T00:00:00Z" (at the format's precision) else.
  const open: Connection[] = [];
  const n = opts.lines;

  for (let i = 0; i < n; i++) {
    const off = eventOffset(rng, clock, i, n, 2e8);
    const x = rng.float();
    let event: string;
    let conn: Connection;
    let status = 0;
    let clientBytes = 0;
    let originBytes = 0;
    // Close an open connection (one opened before this instant: event times jitter), or open a new one.
    const k = open.length > 0 && (x < 0.47 || open.length >= 500) ? rng.int(0, open.length - 1) : -1;
    if (k >= 0 && open[k]!.connectOff < off) {
      conn = open[k]!;
      open[k] = open[open.length - 1]!;
      open.pop();
      event = 'disconnect';
      const y = rng.float();
      status = y < 0.9 ? 200 : y < 0.94 ? 444 : y < 0.97 ? 497 : y < 0.99 ? 445 : 498;
      clientBytes = rng.int(200, 5000000);
      originBytes = rng.int(200, 50000000);
    } else {
      const app = appPick.pick(rng);
      conn = {
        app,
        client: clients[rng.zipf(clients.length)]!,
        port: rng.int(1024, 65535),
        connectOff: off,
        rtt: rng.int(1, 250) * 1000000 + rng.int(0, 999999),
        originRtt: rng.int(1, 40) * 1000000 + rng.int(0, 999999),
      };
      if (x < 0.95) {
        event = 'connect';
        open.push(conn);
      } else {
        const e = rng.float();
        event = e < 0.4 ? 'originError' : e < 0.7 && app.tls ? 'tlsError' : e < 0.85 && app.ipFirewall ? 'clientFiltered' : 'originError';
        status = event === 'tlsError' ? 443 : event === 'clientFiltered' ? 403 : rng.pick([444, 445, 447, 448]);
      }
    }
    const app = conn.app;
    const sec = clock.sec(off);
    const ns = clock.ns(off);
    const isConnect = event === 'connect';
    const tsText = fTs.json(sec, ns);
    const connectText = conn.connectOff === off ? tsText : fConn.json(clock.sec(conn.connectOff), clock.ns(conn.connectOff));
    const tlsOk = app.tls && event !== 'tlsError';
    const filtered = event === 'clientFiltered';

    let line = '{"Application":"' + app.id + '","ClientAsn":' + conn.client.asn + ',"ClientBytes":' + clientBytes;
    line += ',"ClientCountry":"' + conn.client.geo.country + '","ClientIP":"' + conn.client.ip;
    line += '","ClientMatchedIpFirewall":"' + (!app.ipFirewall ? 'UNKNOWN' : filtered ? 'BLOCK_COUNTRY' : 'ALLOW') + '","ClientPort":' + conn.port;
    line += ',"ClientProto":"' + app.proto + '","ClientTcpRtt":' + (app.proto === 'tcp' ? conn.rtt : 0);
    line += ',"ClientTlsCipher":"' + (tlsOk ? 'ECDHE-ECDSA-AES128-GCM-SHA256' : 'UNK') + '","ClientTlsClientHelloServerName":"' + (app.tls ? app.sni : '');
    line += '","ClientTlsProtocol":"' + (tlsOk ? 'TLSv1.3' : app.tls ? 'unknown' : 'none') + '","ClientTlsStatus":"' + (tlsOk ? 'OK' : app.tls ? 'HANDSHAKE_FAILED' : 'UNKNOWN');
    line += '","ColoCode":"' + conn.client.geo.colo + '","ConnectTimestamp":' + connectText;
    line += ',"DisconnectTimestamp":' + (isConnect ? epoch : tsText) + ',"Event":"' + event + '","IpFirewall":' + app.ipFirewall;
    line += ',"OriginBytes":' + originBytes + ',"OriginIP":"' + (filtered ? '' : app.originIP) + '","OriginPort":' + (filtered ? 0 : app.originPort);
    line += ',"OriginProto":"' + app.proto + '","OriginTcpRtt":' + (app.proto === 'tcp' && !filtered ? conn.originRtt : 0);
    const originTls = app.originTls !== 'off' && !filtered;
    line += ',"OriginTlsCipher":"' + (originTls ? 'ECDHE-RSA-AES256-GCM-SHA384' : 'UNK') + '","OriginTlsFingerprint":"' + (originTls ? app.fingerprint : '');
    line += '","OriginTlsMode":"' + app.originTls + '","OriginTlsProtocol":"' + (originTls ? 'TLSv1.2' : 'unknown');
    line += '","OriginTlsStatus":"' + (originTls ? 'OK' : 'UNKNOWN') + '","ProxyProtocol":"' + app.proxyProtocol + '","Status":' + status;
    line += ',"Timestamp":' + tsText + '}';
    yield line;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// audit_logs

interface Actor {
  email: string;
  id: string;
  ip: string;
  type: string;
}

function* auditLines(opts: Required<GenerateOptions>, rng: Rng, clock: Clock): Generator<string> {
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

// ---------------------------------------------------------------------------------------------------------------
// Public API

function resolve(opts: GenerateOptions): Required<GenerateOptions> {
  if (!DATASETS.includes(opts.dataset)) throw new RangeError(`unknown dataset: ${String(opts.dataset)}`);
  const timestampFormat = opts.timestampFormat ?? 'unixnano';
  if (!TIMESTAMP_FORMATS.includes(timestampFormat)) throw new RangeError(`unknown timestamp format: ${String(timestampFormat)}`);
  if (!Number.isInteger(opts.lines) || opts.lines < 0) throw new RangeError('lines must be a non-negative integer');
  return {
    dataset: opts.dataset,
    lines: opts.lines,
    seed: opts.seed ?? 1,
    timestampFormat,
    start: opts.start ?? DEFAULT_START,
    spanSeconds: opts.spanSeconds ?? DEFAULT_SPAN_SECONDS,
  };
}

/** Yields NDJSON lines (without the trailing newline), exactly as Cloudflare Logpush writes them: compact JSON, keys in Cloudflare's order. */
export function* generateLines(opts: GenerateOptions): Generator<string> {
  const o = resolve(opts);
  const clock = new Clock(o.start, o.spanSeconds);
  // Mix the seed with the dataset so the four datasets of one seed are independent streams.
  const rng = new Rng(fnv1a(o.dataset + ':' + String(o.seed)) ^ Math.imul(Math.floor(o.seed) | 0, 0x9e3779b1));
  switch (o.dataset) {
    case 'http_requests':
      yield* httpLines(o, rng, clock);
      return;
    case 'firewall_events':
      yield* firewallLines(o, rng, clock);
      return;
    case 'spectrum_events':
      yield* spectrumLines(o, rng, clock);
      return;
    case 'audit_logs':
      yield* auditLines(o, rng, clock);
      return;
  }
}

/** Average line length per dataset, a little generous: sizes the buffer of generateNdjson up front. */
const LINE_BYTES_ESTIMATE: Readonly<Record<Dataset, number>> = {
  http_requests: 3000,
  firewall_events: 1200,
  spectrum_events: 900,
  audit_logs: 700,
};

/**
 * Whole object body as a Buffer of `line\n` lines. Lines are encoded into one buffer sized up front as they are
 * generated (holding hundreds of thousands of line strings, or concatenating chunks, costs far more than the bytes).
 */
export function generateNdjson(opts: GenerateOptions): Buffer {
  const o = resolve(opts);
  let buf = Buffer.allocUnsafe(Math.max(4096, o.lines * LINE_BYTES_ESTIMATE[o.dataset]));
  let pos = 0;
  for (const line of generateLines(o)) {
    const need = line.length * 3 + 1; // UTF-8 worst case per UTF-16 unit, plus the newline
    if (pos + need > buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(buf.length * 2, pos + need));
      buf.copy(bigger, 0, 0, pos);
      buf = bigger;
    }
    pos += buf.write(line, pos, 'utf8');
    buf[pos++] = 10;
  }
  return buf.subarray(0, pos);
}

/** Logpush-style object key: `<prefix>/<dataset>/20261101/20261101T100000Z_20261101T100030Z_<8 hex>.log.gz` */
/**
 * The lines of `generateLines` over `hours` whole hours from `opts.start`, but in the worst order for a writer
 * that files rows by event hour: line i falls in hour i % hours (each hour's own lines stay in time order). Logpush
 * batches are time-ordered; this is what a hostile or re-sorted object looks like.
 */
export function* generateInterleaved(opts: GenerateOptions, hours: number): Generator<string> {
  if (!Number.isInteger(hours) || hours < 1) throw new RangeError('hours must be a positive integer');
  const o = resolve(opts);
  const streams = Array.from({ length: hours }, (_, h) =>
    generateLines({
      ...o,
      lines: Math.floor(o.lines / hours) + (h < o.lines % hours ? 1 : 0),
      start: new Date(o.start.getTime() + h * 3_600_000),
      spanSeconds: 3600,
      seed: o.seed + h,
    }),
  );
  for (let i = 0; i < o.lines; i++) {
    const r = (streams[i % hours] as Generator<string>).next();
    if (!r.done) yield r.value;
  }
}

export function logpushKey(prefix: string, opts: GenerateOptions): string {
  const o = resolve(opts);
  const startMs = o.start.getTime();
  const endMs = startMs + Math.round(o.spanSeconds * 1000);
  const stamp = (ms: number): string => new Date(ms).toISOString().slice(0, 19).replace(/[-:]/g, '') + 'Z';
  const first = stamp(startMs);
  const id = fnv1a([o.dataset, o.seed, o.lines, o.timestampFormat, startMs, o.spanSeconds].join('|')).toString(16).padStart(8, '0');
  const p = prefix.replace(/\/+$/, '');
  return (p === '' ? '' : p + '/') + o.dataset + '/' + first.slice(0, 8) + '/' + first + '_' + stamp(endMs) + '_' + id + '.log.gz';
}
