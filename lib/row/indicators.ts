import { isIP } from 'node:net';
import type { Indicator } from '../schema/model';
import { INDICATOR_COLUMNS } from './contract';

/** Values that mean "none" in Cloudflare data and must never enter an indicator array. */
const PLACEHOLDERS = new Set(['', '00', '0', '-', 'unknown', 'none', 'null', 'undefined']);

/** Positions in INDICATOR_COLUMNS. */
const IP = 0;
const DOMAIN = 1;
const TRACE = 2;
const EMAILS = 3;
const USER = 4;
const URL_ = 5;
const MD5 = 6;
const SHA1 = 7;
const SHA256 = 8;
const DEVICE = 9;

const HEX_LENGTH: Partial<Record<Indicator, [number, number]>> = { md5: [MD5, 32], sha1: [SHA1, 40], sha256: [SHA256, 64] };
const HEX = /^[0-9a-f]+$/i;
const ABSOLUTE_URL = /^[a-z][a-z0-9+.-]*:\/\/[^/?#\s]/i;

/** Collects indicator values for one row, an array per INDICATOR_COLUMNS entry; arrays stay tiny, so linear `includes` beats a Set. */
export class IndicatorSet {
  // Made on first value: one set per row, and most rows fill two or three of the ten arrays.
  private readonly lists: (string[] | undefined)[] = new Array<string[] | undefined>(INDICATOR_COLUMNS.length);

  add(kind: Indicator, value: unknown): void {
    if (typeof value !== 'string') {
      if (typeof value === 'number' && kind === 'username') value = String(value);
      else return;
    }
    const v = (value as string).trim();
    // Every placeholder is short: skip the lower-casing for real values.
    if (v.length <= 9 && PLACEHOLDERS.has(v.toLowerCase())) return;
    switch (kind) {
      case 'ip': {
        const ip = canonicalIp(v);
        if (ip) this.push(IP, ip);
        return;
      }
      case 'domain':
        this.addHost(v.includes('://') || v.startsWith('[') ? hostOfUrl(v) : stripPort(v));
        return;
      case 'url': {
        // The host goes with the names or addresses; the URL itself to p_any_urls when it is an absolute URL (a
        // scheme and a host: `intranet.example.com/wiki` in an app-domain field is a host and a path, no URL).
        const host = hostOfUrl(v);
        if (host === undefined) return;
        if (ABSOLUTE_URL.test(v)) this.push(URL_, v);
        this.addHost(host);
        return;
      }
      case 'trace_id':
        this.push(TRACE, v);
        return;
      case 'email': {
        const address = emailAddress(v);
        if (address) this.push(EMAILS, address);
        return;
      }
      case 'username':
        this.push(USER, v);
        return;
      case 'md5':
      case 'sha1':
      case 'sha256': {
        // A hash of the kind's length in hex, lower-cased (tools write both cases); anything else is no hash.
        const [at, length] = HEX_LENGTH[kind] as [number, number];
        if (v.length === length && HEX.test(v)) this.push(at, v.toLowerCase());
        return;
      }
      case 'device_id':
        this.push(DEVICE, v.toLowerCase());
        return;
    }
  }

  /**
   * A domain field's host: a name goes to the domains, lower-cased and without its trailing dot, when it has two
   * labels or more and does not end in a numeric label; a host that is really an address goes with the IPs, as
   * an analyst pivoting on it would expect.
   */
  private addHost(host: string | undefined): void {
    if (!host) return;
    // `[2001:db8::1]` (a URL's IPv6 host) or `[192.0.2.1]` (an SMTP address literal).
    if (host.charCodeAt(0) === 0x5b) {
      const ip = canonicalIp(host);
      if (ip) this.push(IP, ip);
      return;
    }
    const h = host.charCodeAt(host.length - 1) === 0x2e ? host.slice(0, -1) : host;
    if (isIP(h) !== 0) {
      const ip = canonicalIp(h);
      if (ip) this.push(IP, ip);
      return;
    }
    // Tested before lower-casing, as written: toLowerCase maps the Kelvin sign to `k`, which the name never held.
    if (HOST_NAME.test(h)) this.push(DOMAIN, h.toLowerCase());
  }

  /** The non-empty arrays, sorted, in the contract's order, as JSON members each after a comma. */
  json(): string {
    let out = '';
    for (let k = 0; k < INDICATOR_COLUMNS.length; k++) {
      const values = this.list(k);
      if (values.length) out += `,"${INDICATOR_COLUMNS[k] as string}":${JSON.stringify(values.sort())}`;
    }
    return out;
  }

  /** The values of INDICATOR_COLUMNS[k], sorted, or undefined when it has none. */
  sorted(k: number): string[] | undefined {
    const values = this.lists[k];
    return values === undefined || values.length === 0 ? undefined : values.sort();
  }

  /** Writes the non-empty arrays, sorted, onto `row` in the contract's order (the reference row; see testkit/reference.ts). */
  assignTo(row: Record<string, unknown>): void {
    for (let k = 0; k < INDICATOR_COLUMNS.length; k++) {
      const values = this.list(k);
      if (values.length) row[INDICATOR_COLUMNS[k] as string] = values.sort();
    }
  }

  /** The array of INDICATOR_COLUMNS[k] (empty when it has no value). */
  private list(k: number): string[] {
    return this.lists[k] ?? [];
  }

  private push(k: number, v: string): void {
    const list = this.lists[k];
    if (list === undefined) {
      if (v.length <= MAX_VALUE) this.lists[k] = [v];
    } else push(list, v);
  }
}

/** Values longer than this are not indicators. */
const MAX_VALUE = 1024;

function push(arr: string[], v: string): void {
  if (v.length <= MAX_VALUE && !arr.includes(v)) arr.push(v);
}

// One label: letters, digits, hyphens, underscores (seen in real DNS); no leading or trailing hyphen.
// A name has two labels or more (`localhost`, `EXAMPLE-MAIL` or an SNI of `hello-server-name` joins nothing), and
// its last label is not all digits (`1.2.3`, `256.1.1.1` are broken addresses, not names: RFC 3696 section 2).
// Case-insensitive without the u flag, so only ASCII letters match.
const LABEL = '[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?';
const HOST_NAME = new RegExp(`^(?=.{1,253}$)(?:${LABEL}\\.)+(?![0-9]+$)${LABEL}$`, 'i');

/**
 * The canonical text of the IP address in `v`, or undefined when `v` holds none.
 *
 * - `ip:port` and `[ipv6]:port` (an SSH client address, a resolver address) give the address; `[ipv6]` too. A bare
 *   IPv6 address followed by `:port` cannot be told from an address (`2001:db8::1:22`) and is read as one.
 * - IPv4 as written (node:net refuses leading zeros, so there is one form); IPv6 as RFC 5952 writes it: lower-case
 *   hex, no leading zeros, the longest run of two or more zero groups as `::` (the first of equal runs), hex groups
 *   only (`64:ff9b::192.0.2.33` is `64:ff9b::c000:221`, as the WHATWG URL standard and Python write it).
 * - IPv4-mapped IPv6 (`::ffff:0:0/96`) is the IPv4 address it maps: a dual-stack socket reports an IPv4 client
 *   that way, and the same client must join across log types.
 * - A zone id (`fe80::1%eth0`) is dropped: it names an interface of the host that logged it, so with it the
 *   value would join nothing. A zone node:net does not accept as an interface name refuses the whole value.
 * - `0.0.0.0` and `::` (and what maps to them) are refused: the unspecified address means "no address" (a
 *   socket not yet bound, a field with nothing to say), and such a placeholder joins every unrelated row.
 * - A CIDR (`203.0.113.0/24`, an EDNS client subnet) is refused: a network is not an address. Its base address
 *   is no host's address, and writing it as one would join rows that share nothing but the base; the hosts in it
 *   would never join. A `/32` or `/128` too: the field means a network, and a pivot on networks needs its own
 *   column, not an address array (the network_analytics_logs subnet fields carry no indicator for that reason).
 */
export function canonicalIp(v: string): string | undefined {
  // Longest address text: `[` 39 hex + 15 dotted `%` zone `]:65535`; beyond this, nothing to parse.
  if (v.length > MAX_IP_TEXT) return undefined;
  let a = v;
  if (a.charCodeAt(0) === 0x5b) {
    const close = a.indexOf(']');
    if (close === -1 || (close !== a.length - 1 && !isPortAt(a, close + 1))) return undefined;
    a = a.slice(1, close);
  } else {
    const colon = a.indexOf(':');
    // One colon: `a.b.c.d:port` (an IPv6 address has two or more).
    if (colon !== -1 && a.indexOf(':', colon + 1) === -1) {
      if (!isPortAt(a, colon)) return undefined;
      a = a.slice(0, colon);
    }
  }
  switch (isIP(a)) {
    case 4:
      return a === '0.0.0.0' ? undefined : a;
    case 6:
      return canonicalIpv6(a);
    default:
      return undefined;
  }
}

const MAX_IP_TEXT = 100;

/** `:` then 1 to 5 digits up to the end of `s`. */
function isPortAt(s: string, colon: number): boolean {
  const n = s.length - colon - 1;
  if (s.charCodeAt(colon) !== 0x3a || n < 1 || n > 5) return false;
  for (let i = colon + 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** Scratch for the eight groups; the parse is synchronous, so one array serves every row. */
const GROUPS = new Uint16Array(8);

/** RFC 5952 text of an IPv6 address node:net accepted (it may carry a zone id and a dotted IPv4 tail). */
function canonicalIpv6(text: string): string | undefined {
  const pct = text.indexOf('%');
  const a = pct === -1 ? text : text.slice(0, pct);
  // Stays true while `a` could already be canonical (no zone, lower case, no leading zero, no dotted tail): then
  // `a` itself is the answer when its `::` stands where RFC 5952 puts it, and no new string is built.
  let canonical = pct === -1;
  const g = GROUPS;
  g[0] = g[1] = g[2] = g[3] = g[4] = g[5] = g[6] = g[7] = 0; // cheaper than fill() for eight
  let n = 0; // groups read
  let gap = -1; // where `::` stands, in groups
  let i = 0;
  if (a.charCodeAt(0) === 0x3a) {
    gap = 0;
    i = 2;
  }
  while (i < a.length) {
    let value = 0;
    let j = i;
    for (; j < a.length; j++) {
      const c = a.charCodeAt(j);
      if (c === 0x3a || c === 0x2e) break;
      if (c <= 0x39) value = value * 16 + c - 0x30;
      else {
        if (c < 0x61) canonical = false; // A-F
        value = value * 16 + (c | 0x20) - 0x57;
      }
    }
    if (j < a.length && a.charCodeAt(j) === 0x2e) {
      // The dotted IPv4 tail: node:net has checked its four octets.
      canonical = false;
      let octets = 0;
      let octet = 0;
      for (let k = i; k <= a.length; k++) {
        const c = k < a.length ? a.charCodeAt(k) : 0x2e;
        if (c === 0x2e) {
          octets = octets * 256 + octet;
          octet = 0;
        } else octet = octet * 10 + (c - 0x30);
      }
      g[n++] = octets >>> 16;
      g[n++] = octets & 0xffff;
      break;
    }
    if (j - i > 1 && a.charCodeAt(i) === 0x30) canonical = false; // a leading zero
    g[n++] = value;
    if (j >= a.length) break;
    if (a.charCodeAt(j + 1) === 0x3a) {
      gap = n;
      i = j + 2;
    } else i = j + 1;
  }
  if (gap !== -1 && n < 8) {
    // Move the groups after `::` to the end; zeros fill the gap.
    const shift = 8 - n;
    for (let k = n - 1; k >= gap; k--) {
      g[k + shift] = g[k] as number;
      g[k] = 0;
    }
  }
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    const hi = g[6] as number;
    const lo = g[7] as number;
    return hi === 0 && lo === 0 ? undefined : `${hi >>> 8}.${hi & 0xff}.${lo >>> 8}.${lo & 0xff}`;
  }
  // The longest run of two or more zero groups; the first wins a tie.
  let best = -1;
  let bestLen = 1;
  for (let k = 0; k < 8; ) {
    if (g[k] !== 0) {
      k++;
      continue;
    }
    let end = k + 1;
    while (end < 8 && g[end] === 0) end++;
    if (end - k > bestLen) {
      best = k;
      bestLen = end - k;
    }
    k = end;
  }
  if (bestLen === 8) return undefined; // `::`, the unspecified address
  if (canonical && (best === -1 ? gap === -1 : gap === best && 8 - n === bestLen)) return a;
  let out = '';
  for (let k = 0; k < 8; k++) {
    if (k === best) {
      out += k === 0 ? '::' : ':';
      k += bestLen - 1;
      continue;
    }
    out += (g[k] as number).toString(16);
    if (k < 7) out += ':';
  }
  return out;
}

/**
 * The address of an e-mail value, lower-cased: `addr@example.com` as is, the address of `Name <addr@example.com>`
 * or `<addr@example.com>` (a header's display form, an SMTP envelope path). Anything else is not an address.
 */
function emailAddress(v: string): string | undefined {
  let a = v;
  if (a.charCodeAt(a.length - 1) === 0x3e) {
    const open = a.lastIndexOf('<');
    if (open === -1) return undefined;
    a = a.slice(open + 1, -1).trim();
  }
  return EMAIL.test(a) ? a.toLowerCase() : undefined;
}

const EMAIL = /^[^\s@<>]+@[^\s@<>]+$/;

function stripPort(v: string): string {
  const colon = v.lastIndexOf(':');
  // A bare IPv6 address has several colons: leave it whole.
  if (colon > 0 && v.indexOf(':') === colon && /^\d+$/.test(v.slice(colon + 1))) return v.slice(0, colon);
  return v;
}

/** Host of a URL-valued field: `https://user@Host:8443/p?q` -> `Host`; a bare `example.com/x` -> `example.com`. */
export function hostOfUrl(v: string): string | undefined {
  let rest = v;
  const scheme = v.indexOf('://');
  if (scheme !== -1) rest = v.slice(scheme + 3);
  else if (v.startsWith('//')) rest = v.slice(2);
  else if (v.startsWith('/')) return undefined; // a path alone has no host
  let end = rest.length;
  for (const sep of ['/', '?', '#']) {
    const i = rest.indexOf(sep);
    if (i !== -1 && i < end) end = i;
  }
  let authority = rest.slice(0, end);
  const at = authority.lastIndexOf('@');
  if (at !== -1) authority = authority.slice(at + 1);
  if (authority.startsWith('[')) {
    const close = authority.indexOf(']');
    return close === -1 ? undefined : authority.slice(0, close + 1);
  }
  return stripPort(authority) || undefined;
}
