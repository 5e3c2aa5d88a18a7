/**
 * The population several datasets share (all values invented): places with their ASNs and colos, IPv4 and IPv6
 * addresses, user agents with their TLS fingerprints, and clients, each a fixed place, address and user agent.
 */
import { Rng, safe, Weighted } from './core';

export interface Geo {
  country: string;
  region: string;
  city: string;
  lat: string;
  lon: string;
  colo: string;
  asns: readonly number[];
  weight: number;
}

export const GEOS: readonly Geo[] = [
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

export const ASN_NAMES: Readonly<Record<number, string>> = {
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

export const COLO_IDS: Readonly<Record<string, number>> = {
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

export function ipv4(rng: Rng): string {
  return rng.pick(V4_FIRST_OCTETS) + '.' + rng.int(0, 255) + '.' + rng.int(0, 255) + '.' + rng.int(1, 254);
}
export function ipv6(rng: Rng): string {
  let s = rng.pick(V6_PREFIXES);
  for (let i = 0; i < 7; i++) s += ':' + rng.int(i < 3 ? 0x100 : 0, 0xffff).toString(16);
  return s;
}

export interface UserAgent {
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

export function buildUserAgents(rng: Rng): { list: UserAgent[]; pick: Weighted<number> } {
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

export interface Client {
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

export function buildClients(rng: Rng, uas: { list: UserAgent[]; pick: Weighted<number> }): Client[] {
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
