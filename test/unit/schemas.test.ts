/**
 * The four Cloudflare schemas carry every field the two sources name, with the right types.
 *
 * Two hand-kept inventories per log type, so a reader can see both sources are covered:
 *   SEED        the field tables (and, for Audit, the YAML) on Panther's page, shared/seeds/000_906c9c6f1a2d2e8d.txt
 *   FIELDS_FILE what shared/cloudflare-fields.md adds or restates (current Cloudflare docs, 2026 change log)
 * Types are written `array<element>` for arrays.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

type FieldTypes = Record<string, string>;

interface YamlField {
  name: string;
  type: string;
  element?: { type: string };
  required?: boolean;
  description?: string;
  indicators?: string[];
  timeFormats?: string[];
  isEventTime?: boolean;
  aliases?: string[];
}

interface YamlSchema {
  schema: string;
  description: string;
  referenceURL?: string;
  dataset: string;
  table: string;
  fields: YamlField[];
}

interface Expectation {
  file: string;
  dataset: string;
  table: string;
  eventTime: string;
  required: string[];
  seed: FieldTypes;
  fieldsFile: FieldTypes;
  /** Fields the fields file calls deprecated or gone from current docs. */
  deprecated: string[];
  /** Panther's indicators (cloudflare-fields.md, "Indicators"); `url` is how a URL-valued field feeds domain names. */
  indicators: Record<string, string[]>;
  /** Indicators cflogs adds on top of Panther's floor. */
  extraIndicators: Record<string, string[]>;
  /** Timestamps that are not Logpush timestamps. */
  timeFormats: Record<string, string[]>;
  aliases: Record<string, string[]>;
}

const HTTP_SEED: FieldTypes = {
  BotDetectionIDs: 'array<bigint>',
  BotScore: 'bigint',
  BotScoreSrc: 'string',
  BotTags: 'array<string>',
  CacheCacheStatus: 'string',
  CacheReserveUsed: 'boolean',
  CacheResponseBytes: 'bigint',
  CacheResponseStatus: 'smallint',
  CacheTieredFill: 'boolean',
  ClientASN: 'bigint',
  ClientCountry: 'string',
  ClientDeviceType: 'string',
  ClientIP: 'string',
  ClientIPClass: 'string',
  ClientMTLSAuthCertFingerprint: 'string',
  ClientMTLSAuthStatus: 'string',
  ClientRegionCode: 'string',
  ClientRequestBytes: 'bigint',
  ClientRequestHost: 'string',
  ClientRequestMethod: 'string',
  ClientRequestPath: 'string',
  ClientRequestProtocol: 'string',
  ClientRequestReferer: 'string',
  ClientRequestScheme: 'string',
  ClientRequestSource: 'string',
  ClientRequestURI: 'string',
  ClientRequestUserAgent: 'string',
  ClientSSLCipher: 'string',
  ClientSSLProtocol: 'string',
  ClientSrcPort: 'int',
  ClientTCPRTTMs: 'bigint',
  ClientXRequestedWith: 'string',
  ContentScanObjResults: 'array<string>',
  ContentScanObjTypes: 'array<string>',
  Cookies: 'json',
  EdgeCFConnectingO2O: 'boolean',
  EdgeColoCode: 'string',
  EdgeColoID: 'bigint',
  EdgeEndTimestamp: 'timestamp',
  EdgePathingOp: 'string',
  EdgePathingSrc: 'string',
  EdgePathingStatus: 'string',
  EdgeRateLimitAction: 'string',
  EdgeRateLimitID: 'string',
  EdgeRequestHost: 'string',
  EdgeResponseBodyBytes: 'bigint',
  EdgeResponseBytes: 'bigint',
  EdgeResponseCompressionRatio: 'float',
  EdgeResponseContentType: 'string',
  EdgeResponseStatus: 'smallint',
  EdgeServerIP: 'string',
  EdgeStartTimestamp: 'timestamp',
  EdgeTimeToFirstByteMs: 'bigint',
  FirewallMatchesActions: 'array<string>',
  FirewallMatchesRuleIDs: 'array<string>',
  FirewallMatchesSources: 'array<string>',
  JA3Hash: 'string',
  OriginDNSResponseTimeMs: 'bigint',
  OriginIP: 'string',
  OriginRequestHeaderSendDurationMs: 'bigint',
  OriginResponseBytes: 'bigint',
  OriginResponseDurationMs: 'bigint',
  OriginResponseHTTPExpires: 'timestamp',
  OriginResponseHTTPLastModified: 'timestamp',
  OriginResponseHeaderReceiveDurationMs: 'bigint',
  OriginResponseStatus: 'smallint',
  OriginResponseTime: 'bigint',
  OriginSSLProtocol: 'string',
  OriginTCPHandshakeDurationMs: 'bigint',
  OriginTLSHandshakeDurationMs: 'bigint',
  ParentRayID: 'string',
  RayID: 'string',
  RequestHeaders: 'json',
  ResponseHeaders: 'json',
  SecurityAction: 'string',
  SecurityActions: 'array<string>',
  SecurityLevel: 'string',
  SecurityRuleDescription: 'string',
  SecurityRuleID: 'string',
  SecurityRuleIDs: 'array<string>',
  SecuritySources: 'array<string>',
  SmartRouteColoID: 'bigint',
  UpperTierColoID: 'bigint',
  WAFAction: 'string',
  WAFAttackScore: 'bigint',
  WAFFlags: 'string',
  WAFMatchedVar: 'string',
  WAFProfile: 'string',
  WAFRCEAttackScore: 'bigint',
  WAFRuleID: 'string',
  WAFRuleMessage: 'string',
  WAFSQLiAttackScore: 'bigint',
  WAFXSSAttackScore: 'bigint',
  WorkerCPUTime: 'bigint',
  WorkerStatus: 'string',
  WorkerSubrequest: 'boolean',
  WorkerSubrequestCount: 'bigint',
  WorkerWallTimeUs: 'bigint',
  ZoneID: 'bigint',
  ZoneName: 'string',
};

const HTTP_FIELDS_FILE: FieldTypes = {
  // current docs, beyond the seed
  BotDetectionTags: 'array<string>',
  ClientCity: 'string',
  ClientLatitude: 'string',
  ClientLongitude: 'string',
  ContentScanObjSizes: 'array<bigint>',
  FraudAttack: 'string',
  FraudDetectionIDs: 'array<bigint>',
  FraudDetectionTags: 'array<string>',
  FraudEmailRisk: 'string',
  FraudUserID: 'string',
  JA4: 'string',
  JA4Signals: 'json',
  JSDetectionPassed: 'string',
  LeakedCredentialCheckResult: 'string',
  PayPerCrawlStatus: 'string',
  VerifiedBotCategory: 'string',
  WebAssetsLabelsManaged: 'array<string>',
  WebAssetsOperationID: 'string',
  WorkerScriptName: 'string',
  // 2026 change log; json where no type is documented
  AISecurityCustomTopicCategories: 'json',
  AISecurityInjectionScore: 'bigint',
  AISecurityPIICategories: 'array<string>',
  AISecurityTokenCount: 'bigint',
  AISecurityUnsafeTopicCategories: 'array<string>',
  CacheLockWaitedMs: 'bigint',
  ClientTLSKeyExchangeGroup: 'string',
  MatchedRules: 'json',
  Subrequests: 'json',
  WAFRequestSignatureCategories: 'json',
  WAFRequestSignatureRefs: 'json',
  // in the seed, gone from current docs; real data decides the type
  EdgeRateLimitID: 'string',
  ZoneID: 'bigint',
  // RFC 1123 header dates
  OriginResponseHTTPExpires: 'timestamp',
  OriginResponseHTTPLastModified: 'timestamp',
};

const FIREWALL_SEED: FieldTypes = {
  Action: 'string',
  ClientASN: 'bigint',
  ClientASNDescription: 'string',
  ClientCountry: 'string',
  ClientIP: 'string',
  ClientIPClass: 'string',
  ClientRefererHost: 'string',
  ClientRefererPath: 'string',
  ClientRefererQuery: 'string',
  ClientRefererScheme: 'string',
  ClientRequestHost: 'string',
  ClientRequestMethod: 'string',
  ClientRequestPath: 'string',
  ClientRequestProtocol: 'string',
  ClientRequestQuery: 'string',
  ClientRequestScheme: 'string',
  ClientRequestUserAgent: 'string',
  Datetime: 'timestamp',
  Description: 'string',
  EdgeColoCode: 'string',
  EdgeResponseStatus: 'smallint',
  Kind: 'string',
  MatchIndex: 'bigint',
  Metadata: 'json',
  OriginResponseStatus: 'smallint',
  OriginatorRayID: 'string',
  RayID: 'string',
  Ref: 'string',
  RuleID: 'string',
  Source: 'string',
};

const FIREWALL_FIELDS_FILE: FieldTypes = {
  AISecurityInjectionScore: 'bigint',
  AISecurityPIICategories: 'array<string>',
  AISecurityTokenCount: 'bigint',
  AISecurityUnsafeTopicCategories: 'array<string>',
  ContentScanObjResults: 'array<string>',
  ContentScanObjSizes: 'array<bigint>',
  ContentScanObjTypes: 'array<string>',
  FirewallForAIInjectionScore: 'bigint',
  FirewallForAIPIICategories: 'array<string>',
  FirewallForAITokenCount: 'bigint',
  FirewallForAIUnsafeTopicCategories: 'array<string>',
  FraudUserID: 'string',
  LeakedCredentialCheckResult: 'string',
  // 2026 change log; json where no type is documented
  AISecurityCustomTopicCategories: 'json',
  WAFRequestSignatureCategories: 'json',
  WAFRequestSignatureRefs: 'json',
  ZoneName: 'string',
  // restated facts
  Datetime: 'timestamp',
  Metadata: 'json',
};

const SPECTRUM_SEED: FieldTypes = {
  Application: 'string',
  ClientASN: 'bigint',
  ClientBytes: 'bigint',
  ClientCountry: 'string',
  ClientIP: 'string',
  ClientMatchedIpFirewall: 'string',
  ClientPort: 'int',
  ClientProto: 'string',
  ClientTcpRtt: 'bigint',
  ClientTlsCipher: 'string',
  ClientTlsClientHelloServerName: 'string',
  ClientTlsProtocol: 'string',
  ClientTlsStatus: 'string',
  ColoCode: 'string',
  ConnectTimestamp: 'timestamp',
  DisconnectTimestamp: 'timestamp',
  Event: 'string',
  IpFirewall: 'boolean',
  OriginBytes: 'bigint',
  OriginIP: 'string',
  OriginPort: 'int',
  OriginProto: 'string',
  OriginTcpRtt: 'bigint',
  OriginTlsCipher: 'string',
  OriginTlsFingerprint: 'string',
  OriginTlsMode: 'string',
  OriginTlsProtocol: 'string',
  OriginTlsStatus: 'string',
  ProxyProtocol: 'string',
  Status: 'bigint',
  Timestamp: 'timestamp',
};

/** "Same as the seed", plus what the fields file says about these ones (ClientAsn spelling, int|string times). */
const SPECTRUM_FIELDS_FILE: FieldTypes = {
  ClientASN: 'bigint',
  ClientTcpRtt: 'bigint',
  ConnectTimestamp: 'timestamp',
  DisconnectTimestamp: 'timestamp',
  OriginTcpRtt: 'bigint',
  Timestamp: 'timestamp',
};

const AUDIT_SEED: FieldTypes = {
  ActionResult: 'boolean',
  ActionType: 'string',
  ActorEmail: 'string',
  ActorID: 'string',
  ActorIP: 'string',
  ActorType: 'string',
  ID: 'string',
  Interface: 'string',
  Metadata: 'json',
  NewValue: 'json',
  OldValue: 'json',
  OwnerID: 'string',
  ResourceID: 'string',
  ResourceType: 'string',
  When: 'timestamp',
};

const AUDIT_FIELDS_FILE: FieldTypes = {
  ActionResult: 'boolean',
  ActionType: 'string',
  ActorEmail: 'string',
  ActorID: 'string',
  ActorIP: 'string',
  ActorType: 'string',
  ID: 'string',
  Interface: 'string',
  OwnerID: 'string',
  ResourceID: 'string',
  ResourceType: 'string',
  Metadata: 'json',
  NewValue: 'json',
  OldValue: 'json',
  When: 'timestamp',
};

const SCHEMAS: Record<string, Expectation> = {
  'Cloudflare.HttpRequest': {
    file: 'http_requests.yml',
    dataset: 'http_requests',
    table: 'cloudflare_httprequest',
    eventTime: 'EdgeStartTimestamp',
    required: ['EdgeStartTimestamp'],
    seed: HTTP_SEED,
    fieldsFile: HTTP_FIELDS_FILE,
    deprecated: [
      'EdgeRateLimitAction',
      'EdgeRateLimitID',
      'FirewallMatchesActions',
      'FirewallMatchesRuleIDs',
      'FirewallMatchesSources',
      'WAFAction',
      'WAFProfile',
      'WAFRuleID',
      'WAFRuleMessage',
      'SecurityLevel',
      'ZoneID',
    ],
    indicators: {
      ClientIP: ['ip'],
      EdgeServerIP: ['ip'],
      OriginIP: ['ip'],
      ClientRequestHost: ['domain'],
      EdgeRequestHost: ['domain'],
      ClientRequestReferer: ['url'],
      RayID: ['trace_id'],
      ParentRayID: ['trace_id'],
    },
    extraIndicators: {},
    timeFormats: { OriginResponseHTTPExpires: ['rfc1123'], OriginResponseHTTPLastModified: ['rfc1123'] },
    aliases: {},
  },
  'Cloudflare.Firewall': {
    file: 'firewall_events.yml',
    dataset: 'firewall_events',
    table: 'cloudflare_firewall',
    eventTime: 'Datetime',
    required: ['Datetime'],
    seed: FIREWALL_SEED,
    fieldsFile: FIREWALL_FIELDS_FILE,
    deprecated: [
      'FirewallForAIInjectionScore',
      'FirewallForAIPIICategories',
      'FirewallForAITokenCount',
      'FirewallForAIUnsafeTopicCategories',
    ],
    indicators: {
      ClientIP: ['ip'],
      ClientRefererHost: ['domain'],
      ClientRequestHost: ['domain'],
      RayID: ['trace_id'],
      OriginatorRayID: ['trace_id'],
    },
    extraIndicators: {},
    timeFormats: {},
    aliases: {},
  },
  'Cloudflare.Spectrum': {
    file: 'spectrum_events.yml',
    dataset: 'spectrum_events',
    table: 'cloudflare_spectrum',
    eventTime: 'Timestamp',
    required: ['Timestamp'],
    seed: SPECTRUM_SEED,
    fieldsFile: SPECTRUM_FIELDS_FILE,
    deprecated: [],
    indicators: { ClientIP: ['ip'], OriginIP: ['ip'] },
    extraIndicators: { ClientTlsClientHelloServerName: ['domain'] },
    timeFormats: {},
    aliases: { ClientASN: ['ClientAsn'] },
  },
  'Cloudflare.Audit': {
    file: 'audit_logs.yml',
    dataset: 'audit_logs',
    table: 'cloudflare_audit',
    eventTime: 'When',
    required: ['When', 'ID', 'ResourceType'],
    seed: AUDIT_SEED,
    fieldsFile: AUDIT_FIELDS_FILE,
    deprecated: [],
    indicators: { ActorEmail: ['email'], ActorID: ['username'], OwnerID: ['username'], ActorIP: ['ip'] },
    extraIndicators: {},
    timeFormats: {},
    aliases: {},
  },
};

const SCALARS = ['string', 'boolean', 'bigint', 'int', 'smallint', 'float', 'timestamp', 'json'];
const INDICATORS = ['ip', 'domain', 'url', 'trace_id', 'email', 'username'];

function load(file: string): YamlSchema {
  return parse(readFileSync(path.join(__dirname, '../../schemas/cloudflare', file), 'utf8')) as YamlSchema;
}

function typeOf(f: YamlField): string {
  return f.type === 'array' ? `array<${f.element?.type}>` : f.type;
}

function byName(schema: YamlSchema): Map<string, YamlField> {
  return new Map(schema.fields.map((f) => [f.name, f]));
}

function missingOrMistyped(schema: YamlSchema, expected: FieldTypes): string[] {
  const fields = byName(schema);
  return Object.entries(expected)
    .filter(([name, type]) => {
      const f = fields.get(name);
      return !f || typeOf(f) !== type;
    })
    .map(([name, type]) => `${name}: want ${type}, have ${fields.has(name) ? typeOf(fields.get(name)!) : 'nothing'}`);
}

describe.each(Object.entries(SCHEMAS))('%s schema', (logType, want) => {
  const schema = load(want.file);
  const fields = byName(schema);

  it('names its log type, Logpush dataset and Glue table as the output contract does', () => {
    expect(schema.schema).toBe(logType);
    expect(schema.dataset).toBe(want.dataset);
    expect(schema.table).toBe(want.table);
    expect(typeof schema.description).toBe('string');
    expect(schema.description.length).toBeGreaterThan(0);
  });

  it(`every field Panther lists for ${logType} is in the schema with its type`, () => {
    expect(missingOrMistyped(schema, want.seed)).toEqual([]);
  });

  it(`every field cloudflare-fields.md lists for ${logType} is in the schema with its type`, () => {
    expect(missingOrMistyped(schema, want.fieldsFile)).toEqual([]);
  });

  it('holds no field that neither source names', () => {
    const known = new Set([...Object.keys(want.seed), ...Object.keys(want.fieldsFile)]);
    expect(schema.fields.map((f) => f.name).filter((n) => !known.has(n))).toEqual([]);
  });

  it('uses only the allowed types, and arrays say what their elements are', () => {
    for (const f of schema.fields) {
      if (f.type === 'array') expect(SCALARS).toContain(f.element?.type);
      else expect(SCALARS).toContain(f.type);
    }
  });

  it('marks exactly the output contract’s required fields as required', () => {
    const required = schema.fields.filter((f) => f.required === true).map((f) => f.name);
    expect(required.sort()).toEqual([...want.required].sort());
  });

  it(`has one event time field, ${want.eventTime}, and it is a timestamp`, () => {
    const eventTime = schema.fields.filter((f) => f.isEventTime === true);
    expect(eventTime.map((f) => f.name)).toEqual([want.eventTime]);
    expect(eventTime[0]?.type).toBe('timestamp');
  });

  it('gives every timestamp its time formats (Logpush timestamps are `cloudflare`, header dates `rfc1123`)', () => {
    const timestamps = schema.fields.filter((f) => f.type === 'timestamp');
    expect(timestamps.length).toBeGreaterThan(0);
    for (const f of timestamps) {
      expect({ name: f.name, timeFormats: f.timeFormats }).toEqual({
        name: f.name,
        timeFormats: want.timeFormats[f.name] ?? ['cloudflare'],
      });
    }
    for (const f of schema.fields.filter((x) => x.type !== 'timestamp')) expect(f.timeFormats).toBeUndefined();
  });

  it('puts indicators on the fields Panther does (plus the cflogs additions) and nowhere else', () => {
    const have: Record<string, string[]> = {};
    for (const f of schema.fields) if (f.indicators?.length) have[f.name] = f.indicators;
    expect(have).toEqual({ ...want.indicators, ...want.extraIndicators });
    for (const list of Object.values(have)) for (const i of list) expect(INDICATORS).toContain(i);
  });

  it('maps the other input spellings the fields file mentions onto their columns', () => {
    const have: Record<string, string[]> = {};
    for (const f of schema.fields) if (f.aliases?.length) have[f.name] = f.aliases;
    expect(have).toEqual(want.aliases);
  });

  it('never uses a name twice, counting aliases', () => {
    const names = schema.fields.flatMap((f) => [f.name, ...(f.aliases ?? [])]);
    expect(names.length).toBe(new Set(names).size);
  });

  it('lists fields in name order, which is the output column order', () => {
    const names = schema.fields.map((f) => f.name);
    expect(names).toEqual([...names].sort());
  });

  it('describes every field, and says so when a field is deprecated', () => {
    for (const f of schema.fields) expect(typeof f.description === 'string' && f.description.length > 0).toBe(true);
    for (const name of want.deprecated) expect(fields.get(name)?.description).toMatch(/^Deprecated: /);
  });
});

describe('Cloudflare.HttpRequest edge cases', () => {
  it('keeps EdgeRateLimitID a string, since real data sends both "0" and 0', () => {
    expect(byName(load('http_requests.yml')).get('EdgeRateLimitID')?.type).toBe('string');
  });

  it('keeps ClientLatitude and ClientLongitude strings, as Cloudflare sends them', () => {
    const fields = byName(load('http_requests.yml'));
    expect([fields.get('ClientLatitude')?.type, fields.get('ClientLongitude')?.type]).toEqual(['string', 'string']);
  });
});
