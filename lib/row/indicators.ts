import { isIP } from 'node:net';
import type { Indicator } from '../schema/model';
import { INDICATOR_COLUMNS } from './contract';

/** Values that mean "none" in Cloudflare data and must never enter an indicator array. */
const PLACEHOLDERS = new Set(['', '00', '0', '-', 'unknown', 'none', 'null', 'undefined']);

/** Collects indicator values for one row; arrays stay tiny, so linear `includes` beats a Set. */
export class IndicatorSet {
  ip: string[] = [];
  domain: string[] = [];
  trace: string[] = [];
  email: string[] = [];
  user: string[] = [];

  add(kind: Indicator, value: unknown): void {
    if (typeof value !== 'string') {
      if (typeof value === 'number' && kind === 'username') value = String(value);
      else return;
    }
    const v = (value as string).trim();
    // Every placeholder is short: skip the lower-casing for real values.
    if (v.length <= 9 && PLACEHOLDERS.has(v.toLowerCase())) return;
    switch (kind) {
      case 'ip':
        addIp(this.ip, v);
        return;
      case 'domain':
        this.addHost(v.includes('://') || v.startsWith('[') ? hostOfUrl(v) : stripPort(v));
        return;
      case 'url':
        this.addHost(hostOfUrl(v));
        return;
      case 'trace_id':
        push(this.trace, v);
        return;
      case 'email':
        if (/^[^\s@]+@[^\s@]+$/.test(v)) push(this.email, v.toLowerCase());
        return;
      case 'username':
        push(this.user, v);
        return;
    }
  }

  /** A host that is really an address goes with the IPs, as an analyst pivoting on it would expect. */
  private addHost(host: string | undefined): void {
    if (!host) return;
    const h = host.toLowerCase().replace(/\.$/, '');
    if (h.startsWith('[') && h.endsWith(']')) return addIp(this.ip, h.slice(1, -1));
    if (isIP(h)) return addIp(this.ip, h);
    if (isHostName(h)) push(this.domain, h);
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

  /** Writes the non-empty arrays, sorted, onto `row` in the contract's order (the reference row; see testkit/reference.ts). */
  assignTo(row: Record<string, unknown>): void {
    for (let k = 0; k < INDICATOR_COLUMNS.length; k++) {
      const values = this.list(k);
      if (values.length) row[INDICATOR_COLUMNS[k] as string] = values.sort();
    }
  }

  /** The array of INDICATOR_COLUMNS[k]. */
  private list(k: number): string[] {
    switch (k) {
      case 0:
        return this.ip;
      case 1:
        return this.domain;
      case 2:
        return this.trace;
      case 3:
        return this.email;
      default:
        return this.user;
    }
  }
}

function push(arr: string[], v: string): void {
  if (v.length <= 1024 && !arr.includes(v)) arr.push(v);
}

/** IPv4, IPv6 and v4-mapped IPv6 (kept as written, lower-cased); anything else is not an address. */
function addIp(arr: string[], v: string): void {
  if (isIP(v) !== 0) push(arr, v.toLowerCase());
}

// Letters, digits, hyphens, underscores (seen in real DNS), dots; at least one label; no spaces or slashes.
const HOST_NAME = /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/;
function isHostName(h: string): boolean {
  return HOST_NAME.test(h);
}

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
