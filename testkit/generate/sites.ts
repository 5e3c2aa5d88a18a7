/**
 * The invented web sites (zones, hosts, pages, assets, API routes) and the requests made to them: shared by the
 * datasets that log HTTP requests (http_requests, firewall_events).
 */
import { HEX2, pad3, Rng, Weighted } from './core';
import { GEOS, ipv4, UserAgent } from './net';

const WORDS = [
  'shoes', 'jackets', 'outdoor', 'kitchen', 'garden', 'lamps', 'desks', 'chairs', 'audio', 'cameras', 'laptops',
  'phones', 'books', 'toys', 'bikes', 'tents', 'coffee', 'tea', 'watches', 'bags', 'sale', 'new', 'gifts', 'winter',
];

export type Kind = 'page' | 'js' | 'css' | 'img' | 'font' | 'api' | 'misc' | 'redirect';

export interface Host {
  host: string;
  zone: string;
  kinds: Weighted<Kind>;
  originIPs: string[];
  builds: string[];
  worker: boolean;
  pages: string[];
}

export interface HttpPools {
  hosts: Weighted<Host>;
  hostList: Host[];
  products: string[];
  slugs: string[];
  edgeIPs: Record<string, string[]>;
  lastModified: string[];
  ruleIDs: string[];
  rulesetIDs: string[];
}

export function buildHttpPools(rng: Rng): HttpPools {
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

export interface Request {
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

export function makeRequest(rng: Rng, pools: HttpPools, host: Host, kind: Kind, ua: UserAgent): Request {
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
export function refererFor(rng: Rng, pools: HttpPools, host: Host): string {
  const site = host.host.startsWith('static.') || host.host.startsWith('api.') || host.host === 'example.com' ? pools.hostList[0]! : host.host.startsWith('cdn.') ? pools.hostList[4]! : host;
  return 'https://' + site.host + (rng.chance(0.6) ? rng.pick(site.pages) : pagePath(rng, pools, site));
}
