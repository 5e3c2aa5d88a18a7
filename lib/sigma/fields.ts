import type { RuleEvent } from '../rules/model';

/**
 * Where Sigma's field names live in cflogs' rows, per logsource category (specification/sigma-appendix-taxonomy.md)
 * and Cloudflare dataset. A field is a column, or derived from columns where Sigma's name has no single one (the URI's
 * stem, query and extension, the full URL). docs/sigma.md has these tables; a rule naming a field its category does
 * not map here is refused, naming the field.
 */

export type Getter = (row: RuleEvent) => unknown;

export interface FieldSource {
  get: Getter;
  /** The column(s) it reads, for the documentation and reports. */
  from: string;
  /**
   * The column that holds it: the dataset's own, or for a derived field its derived column (`sigma_uri_stem`, ...),
   * which derivedColumns computes, so that another implementation can match on the same input.
   */
  column: string;
}

export interface DatasetMapping {
  logType: string;
  dataset: string;
  fields: Readonly<Record<string, FieldSource>>;
  /** Where a `keywords` search looks (any of them, substring, case-insensitive); none: keywords are refused. */
  keywords: readonly string[];
  /** The client's address column: the dedup key and the alert title. */
  client: string;
}

const col = (name: string): FieldSource => ({ get: (r) => r[name], from: name, column: name });
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** The path of a URI (`/a/b.php?x` -> `/a/b.php`) or undefined. */
export function uriPath(uri: string): string {
  const q = uri.indexOf('?');
  return q < 0 ? uri : uri.slice(0, q);
}
/** The query of a URI without its `?`, '' when it has none. */
export function uriQuery(uri: string): string {
  const q = uri.indexOf('?');
  return q < 0 ? '' : uri.slice(q + 1);
}
/** The extension of a path's last segment, without the dot ('' when none): `/a/b.PHP` -> `PHP`. */
export function extensionOf(path: string): string {
  const last = path.slice(path.lastIndexOf('/') + 1);
  const dot = last.lastIndexOf('.');
  return dot <= 0 ? '' : last.slice(dot + 1);
}
/** The path and query part of a full URL (`https://h/p?q` -> `/p?q`); a URL without a scheme is taken as it is. */
export function urlPathAndQuery(url: string): string {
  const m = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*/.exec(url);
  return m ? url.slice(m[0].length) || '/' : url;
}

const derived = (column: string, from: string, get: Getter): FieldSource => ({ get, from, column });

// Cloudflare.HttpRequest: ClientRequestURI is the path and query as sent; ClientRequestPath the path.
const httpPath: Getter = (r) => str(r.ClientRequestPath) ?? (str(r.ClientRequestURI) !== undefined ? uriPath(r.ClientRequestURI as string) : undefined);
const httpUri: Getter = (r) => str(r.ClientRequestURI);
const HTTP_REQUEST: DatasetMapping = {
  logType: 'Cloudflare.HttpRequest',
  dataset: 'http_requests',
  client: 'ClientIP',
  keywords: ['ClientIP', 'ClientRequestMethod', 'ClientRequestHost', 'ClientRequestURI', 'EdgeResponseStatus', 'ClientRequestUserAgent', 'ClientRequestReferer'],
  fields: {
    'c-ip': col('ClientIP'),
    src_ip: col('ClientIP'),
    'c-port': col('ClientSrcPort'),
    'cs-method': col('ClientRequestMethod'),
    'cs-uri-stem': derived('sigma_uri_stem', 'ClientRequestPath (ClientRequestURI before ?)', httpPath),
    'c-uri-stem': derived('sigma_uri_stem', 'ClientRequestPath (ClientRequestURI before ?)', httpPath),
    // SigmaHQ's webserver rules put paths in cs-uri-query (`/cgi-bin/.%2e/`): it is the path and query, as in
    // most backends' pipelines; the query alone would leave those rules unable to fire.
    'cs-uri-query': derived('ClientRequestURI', 'ClientRequestURI (path and query)', httpUri),
    'cs-uri': derived('ClientRequestURI', 'ClientRequestURI (path and query)', httpUri),
    'c-uri-query': derived('sigma_uri_query', 'ClientRequestURI after ?', (r) => (str(r.ClientRequestURI) !== undefined ? uriQuery(r.ClientRequestURI as string) : undefined)),
    'c-uri': derived('sigma_url', 'ClientRequestScheme://ClientRequestHost + ClientRequestURI', (r) =>
      str(r.ClientRequestURI) === undefined ? undefined : `${str(r.ClientRequestScheme) || 'https'}://${str(r.ClientRequestHost) ?? ''}${r.ClientRequestURI as string}`),
    'c-uri-extension': derived('sigma_uri_extension', 'extension of ClientRequestPath', (r) => {
      const p = httpPath(r);
      return typeof p === 'string' ? extensionOf(p) : undefined;
    }),
    'sc-status': col('EdgeResponseStatus'),
    'cs-user-agent': col('ClientRequestUserAgent'),
    'c-useragent': col('ClientRequestUserAgent'),
    'cs-referer': col('ClientRequestReferer'),
    'cs-referrer': col('ClientRequestReferer'),
    'cs-host': col('ClientRequestHost'),
    'cs-version': col('ClientRequestProtocol'),
    'cs-bytes': col('ClientRequestBytes'),
    'sc-bytes': col('EdgeResponseBytes'),
    's-ip': col('EdgeServerIP'),
  },
};

const gwPathQuery = (r: RuleEvent): string | undefined => (str(r.URL) !== undefined ? urlPathAndQuery(r.URL as string) : undefined);
const gwPath: Getter = (r) => {
  const pq = gwPathQuery(r);
  return pq === undefined ? undefined : uriPath(pq);
};
const GATEWAY_HTTP: DatasetMapping = {
  logType: 'Cloudflare.GatewayHTTP',
  dataset: 'gateway_http',
  client: 'SourceIP',
  keywords: ['SourceIP', 'HTTPMethod', 'HTTPHost', 'URL', 'HTTPStatusCode', 'UserAgent', 'Referer'],
  fields: {
    'c-uri': col('URL'),
    'cs-uri': col('URL'),
    'c-uri-stem': derived('sigma_uri_stem', 'path of URL', gwPath),
    'cs-uri-stem': derived('sigma_uri_stem', 'path of URL', gwPath),
    'c-uri-query': derived('sigma_uri_query', 'URL after ?', (r) => {
      const pq = gwPathQuery(r);
      return pq === undefined ? undefined : uriQuery(pq);
    }),
    'c-uri-extension': derived('sigma_uri_extension', 'extension of the path of URL', (r) => {
      const p = gwPath(r);
      return typeof p === 'string' ? extensionOf(p) : undefined;
    }),
    'c-useragent': col('UserAgent'),
    'cs-user-agent': col('UserAgent'),
    'cs-host': col('HTTPHost'),
    'r-dns': col('HTTPHost'),
    'cs-method': col('HTTPMethod'),
    'sc-status': col('HTTPStatusCode'),
    'cs-referrer': col('Referer'),
    'cs-referer': col('Referer'),
    'cs-version': col('HTTPVersion'),
    'c-ip': col('SourceIP'),
    src_ip: col('SourceIP'),
    src_port: col('SourcePort'),
    dst_ip: col('DestinationIP'),
    dst_port: col('DestinationPort'),
  },
};

/** IANA record type numbers, for Cloudflare.DNS (numeric QueryType) against Sigma's names. */
const RECORD_TYPES: Record<number, string> = {
  1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 12: 'PTR', 13: 'HINFO', 15: 'MX', 16: 'TXT', 17: 'RP', 18: 'AFSDB', 24: 'SIG', 25: 'KEY', 28: 'AAAA',
  29: 'LOC', 33: 'SRV', 35: 'NAPTR', 37: 'CERT', 39: 'DNAME', 43: 'DS', 46: 'RRSIG', 47: 'NSEC', 48: 'DNSKEY', 50: 'NSEC3', 52: 'TLSA',
  64: 'SVCB', 65: 'HTTPS', 99: 'SPF', 251: 'IXFR', 252: 'AXFR', 255: 'ANY', 256: 'URI', 257: 'CAA',
};
const GATEWAY_DNS: DatasetMapping = {
  logType: 'Cloudflare.GatewayDNS',
  dataset: 'gateway_dns',
  client: 'SrcIP',
  keywords: ['QueryName'],
  fields: {
    query: col('QueryName'),
    record_type: col('QueryTypeName'),
    src_ip: col('SrcIP'),
    src_port: col('SrcPort'),
    dst_ip: col('DstIP'),
    dst_port: col('DstPort'),
  },
};
const DNS: DatasetMapping = {
  logType: 'Cloudflare.DNS',
  dataset: 'dns_logs',
  client: 'SourceIP',
  keywords: ['QueryName'],
  fields: {
    query: col('QueryName'),
    record_type: derived('sigma_record_type', 'QueryType as its name (16 -> TXT)', (r) => (typeof r.QueryType === 'number' ? (RECORD_TYPES[r.QueryType] ?? String(r.QueryType)) : undefined)),
    src_ip: col('SourceIP'),
  },
};

const GATEWAY_NETWORK: DatasetMapping = {
  logType: 'Cloudflare.GatewayNetwork',
  dataset: 'gateway_network',
  client: 'SourceIP',
  keywords: [],
  fields: {
    src_ip: col('SourceIP'),
    src_port: col('SourcePort'),
    dst_ip: col('DestinationIP'),
    dst_port: col('DestinationPort'),
  },
};
const FIREWALL_EVENTS: DatasetMapping = {
  logType: 'Cloudflare.Firewall',
  dataset: 'firewall_events',
  client: 'ClientIP',
  keywords: [],
  fields: {
    src_ip: col('ClientIP'),
  },
};

/** Sigma categories cflogs compiles, each with the datasets a rule of it may run on (a rule takes those where all its fields map). */
export const CATEGORIES: Readonly<Record<string, readonly DatasetMapping[]>> = {
  webserver: [HTTP_REQUEST],
  proxy: [GATEWAY_HTTP],
  dns: [GATEWAY_DNS, DNS],
  firewall: [GATEWAY_NETWORK, FIREWALL_EVENTS],
};

/** Fields a category's rules name that no Cloudflare column holds faithfully, with the reason (for the refusal). */
export const UNMAPPABLE: Readonly<Record<string, string>> = {
  'cs-cookie': 'Logpush keeps only the cookies a zone configures (Cookies), not the Cookie header',
  'cs-username': 'Cloudflare does not log the authenticated user name of a request',
  'cs-content-type': 'Logpush does not log the request Content-Type (only custom RequestHeaders a zone configures)',
  answer: 'Gateway logs the answer records as wire data (ResourceRecords), not as text to match',
  action: "Sigma's firewall action values (accept, forward, ...) have no faithful counterpart in Gateway's Action",
  blocked: "Sigma's firewall blocked flag has no faithful counterpart in Gateway's Action",
};

/** Whether a field's column is one derivedColumns computes rather than one of the dataset's. */
export const isDerivedColumn = (column: string): boolean => column.startsWith('sigma_');

/**
 * A row's derived columns (the mapping's fields that no dataset column holds as it is): column -> value, null when
 * the columns it is derived from are absent. With the dataset's own columns, every input the mapping reads.
 */
export function derivedColumns(mapping: DatasetMapping, row: RuleEvent): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of Object.values(mapping.fields)) if (isDerivedColumn(f.column)) out[f.column] = f.get(row) ?? null;
  return out;
}

/** The mapping as data: Sigma field -> column (the dataset's or a derived one). */
export function fieldColumns(mapping: DatasetMapping): Record<string, string> {
  return Object.fromEntries(Object.entries(mapping.fields).map(([k, f]) => [k, f.column]));
}

/**
 * A Sigma field's column in a dataset, by its own mapping only: a rule's field name is input, and `constructor` or
 * `__proto__` must not find Object.prototype's members.
 */
export function fieldOf(ds: DatasetMapping, name: string): FieldSource | undefined {
  return Object.hasOwn(ds.fields, name) ? ds.fields[name] : undefined;
}

/** The datasets of a logsource category, by the mapping's own categories only (as fieldOf). */
export function categoryDatasets(category: string): readonly DatasetMapping[] | undefined {
  return Object.hasOwn(CATEGORIES, category) ? CATEGORIES[category] : undefined;
}
