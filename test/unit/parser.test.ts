import { buildPlan } from '../../lib/record/normalise';
import { MAX_DEPTH } from '../../lib/schema/limits';
import { isFailure, LineResult, normalise, Normalised, normaliseGeneric, parseLine } from '../../testkit/reference';
import { builtInRegistry } from '../../lib/record/registry';

const registry = builtInRegistry();
const http = registry.require('Cloudflare.HttpRequest');
const spectrum = registry.require('Cloudflare.Spectrum');
const audit = registry.require('Cloudflare.Audit');
const firewall = registry.require('Cloudflare.Firewall');

const NANOS = 1506702504433000200;
const TS = '2017-09-29 16:28:24.433000200';

function ok(r: LineResult): Normalised {
  if (!r.ok) throw new Error(`expected a row, got ${r.reject.reason}: ${r.reject.message}`);
  return r.value;
}

function rejected(r: LineResult): { reason: string; message: string } {
  if (r.ok) throw new Error(`expected a reject, got ${JSON.stringify(r.value.row)}`);
  return r.reject;
}

/** A line with the event time plus `extra` fields (JSON text, without braces). */
const httpLine = (extra = ''): string => `{"EdgeStartTimestamp":${NANOS}${extra ? ',' + extra : ''}}`;

describe('parseLine: accepted records', () => {
  test('the unixnano event time keeps every nanosecond through parsing', () => {
    const v = ok(parseLine(http, httpLine()));
    expect(v.row.EdgeStartTimestamp).toBe(TS);
    expect(v.eventTime).toBe(TS);
  });

  test('columns come out in schema order whatever the input order', () => {
    const v = ok(parseLine(http, `{"ZoneName":"example.com","RayID":"r1","EdgeStartTimestamp":${NANOS},"ClientIP":"192.0.2.1"}`));
    expect(Object.keys(v.row)).toEqual(['ClientIP', 'EdgeStartTimestamp', 'RayID', 'ZoneName']);
  });

  test('every timestamp column is normalised, not just the event time', () => {
    const v = ok(parseLine(http, httpLine('"EdgeEndTimestamp":1506702505433000201,"OriginResponseHTTPExpires":"Fri, 21 Oct 2016 07:28:00 GMT"')));
    expect(v.row.EdgeEndTimestamp).toBe('2017-09-29 16:28:25.433000201');
    expect(v.row.OriginResponseHTTPExpires).toBe('2016-10-21 07:28:00.000000000');
  });

  test('a number in a string column becomes its text, big integers digit for digit', () => {
    const v = ok(parseLine(http, httpLine('"ClientLatitude":51.5,"RayID":1234567890123456789,"ClientCountry":true')));
    expect(v.row.ClientLatitude).toBe('51.5');
    expect(v.row.RayID).toBe('1234567890123456789');
    expect(v.row.ClientCountry).toBe('true');
  });

  test('a number in a string column or a string array keeps the digits received where the double lost some', () => {
    const v = ok(
      parseLine(http, httpLine('"ClientCity":0.1000000000000000055511151231257827,"ClientLatitude":1e-400,"BotTags":[12345678901234567891,"api",9007199254740993,1.50,1e5,null]')),
    );
    expect(v.row.ClientCity).toBe('0.1000000000000000055511151231257827');
    expect(v.row.ClientLatitude).toBe('1e-400');
    // A number of the same value as its double is written as before: the double's text.
    expect(v.row.BotTags).toEqual(['12345678901234567891', 'api', '9007199254740993', '1.5', '100000', null]);
  });

  test('numeric strings in integer columns become integers', () => {
    const v = ok(parseLine(http, httpLine('"ClientSrcPort":"443","ClientRequestBytes":" 12 ","EdgeResponseStatus":200')));
    expect(v.row.ClientSrcPort).toBe(443);
    expect(v.row.ClientRequestBytes).toBe(12);
    expect(v.row.EdgeResponseStatus).toBe(200);
  });

  test('booleans and floats accept their string spellings', () => {
    const v = ok(parseLine(http, httpLine('"CacheReserveUsed":"true","CacheTieredFill":"false","EdgeResponseCompressionRatio":"1.5"')));
    expect(v.row.CacheReserveUsed).toBe(true);
    expect(v.row.CacheTieredFill).toBe(false);
    expect(v.row.EdgeResponseCompressionRatio).toBe(1.5);
  });

  test('"" in a typed column and null anywhere mean absent: the column is omitted', () => {
    const v = ok(
      parseLine(
        http,
        httpLine('"ZoneID":"","CacheReserveUsed":"","EdgeResponseCompressionRatio":"","OriginResponseHTTPLastModified":"","RayID":null,"BotScore":null'),
      ),
    );
    expect(v.row).toEqual({ EdgeStartTimestamp: TS });
    expect(v.unknown).toBeUndefined();
  });

  test('array elements are converted to the element type, null elements kept as null', () => {
    const v = ok(parseLine(http, httpLine('"BotDetectionIDs":[1,"2",null],"BotTags":["api",7]')));
    expect(v.row.BotDetectionIDs).toEqual([1, 2, null]);
    expect(v.row.BotTags).toEqual(['api', '7']);
  });

  test('json columns keep the value as given', () => {
    const v = ok(parseLine(http, httpLine('"RequestHeaders":{"x-a":"1"},"Cookies":{"c":["x",{"y":null}]}')));
    expect(v.row.RequestHeaders).toEqual({ 'x-a': '1' });
    expect(v.row.Cookies).toEqual({ c: ['x', { y: null }] });
  });

  test('a nested field reusing the event-time name does not disturb the exact top-level digits', () => {
    const v = ok(parseLine(http, `{"Subrequests":[{"EdgeStartTimestamp":1506702504433000201}],"EdgeStartTimestamp":${NANOS}}`));
    expect(v.row.EdgeStartTimestamp).toBe(TS);
  });

  test('fields the schema does not know are collected, in input order', () => {
    const v = ok(parseLine(http, httpLine('"NewField":1,"Another":{"a":[1]}')));
    expect(v.unknown).toEqual({ NewField: 1, Another: { a: [1] } });
    expect(Object.keys(v.unknown ?? {})).toEqual(['NewField', 'Another']);
    expect(v.row.NewField).toBeUndefined();
  });

  test('__proto__ and constructor keys are kept as unknown fields without polluting prototypes', () => {
    const line = httpLine('"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}');
    const v = ok(parseLine(http, line));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).toBe(false);
    const unknown = v.unknown as Record<string, unknown>;
    expect(Object.keys(unknown)).toEqual(['__proto__', 'constructor']);
    expect(unknown['__proto__']).toEqual({ polluted: 'yes' });
    // Nothing Cloudflare sent is lost when the row is written.
    expect(JSON.stringify(unknown)).toBe('{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test(`nesting up to ${MAX_DEPTH} levels is accepted`, () => {
    const depth = MAX_DEPTH;
    const v = ok(parseLine(http, httpLine(`"Deep":${'['.repeat(depth)}${']'.repeat(depth)}`)));
    expect(v.unknown?.Deep).toBeDefined();
  });

  test('Spectrum accepts ClientAsn (Cloudflare\'s spelling) into the ClientASN column', () => {
    const v = ok(parseLine(spectrum, '{"Timestamp":"2017-09-29T16:28:24Z","ClientAsn":13335}'));
    expect(v.row).toEqual({ ClientASN: 13335, Timestamp: '2017-09-29 16:28:24.000000000' });
    expect(v.unknown).toBeUndefined();
  });

  test('Spectrum with both spellings keeps the canonical ClientASN', () => {
    const v = ok(parseLine(spectrum, '{"Timestamp":"2017-09-29T16:28:24Z","ClientAsn":1,"ClientASN":13335}'));
    expect(v.row.ClientASN).toBe(13335);
  });

  test('every log type reads its own event time field', () => {
    expect(ok(parseLine(firewall, '{"Datetime":"2017-09-29T16:28:24.433Z"}')).eventTime).toBe('2017-09-29 16:28:24.433000000');
    expect(ok(parseLine(audit, '{"When":1506702504,"ID":"a1","ResourceType":"zone"}')).eventTime).toBe('2017-09-29 16:28:24.000000000');
    expect(ok(parseLine(spectrum, '{"Timestamp":"1506702504"}')).eventTime).toBe('2017-09-29 16:28:24.000000000');
  });
});

describe('parseLine: rejects', () => {
  test('text that is not JSON is invalid_json, without echoing the data', () => {
    const r = rejected(parseLine(http, '{"EdgeStartTimestamp":123, secret'));
    expect(r.reason).toBe('invalid_json');
    expect(r.message).not.toContain('secret');
  });

  test('a CSV line is invalid_json with a hint about the job output options', () => {
    const r = rejected(parseLine(http, '1506702504,192.0.2.1,GET'));
    expect(r.reason).toBe('invalid_json');
    expect(r.message).toMatch(/CSV/);
  });

  test.each([
    ['"a string"', /string/],
    ['null', /null/],
    ['42', /number/],
    ['true', /boolean/],
  ])('a JSON %s line is not_an_object', (line, what) => {
    const r = rejected(parseLine(http, line));
    expect(r.reason).toBe('not_an_object');
    expect(r.message).toMatch(what);
  });

  test('a JSON array line (batched records) is unsupported_format', () => {
    const r = rejected(parseLine(http, `[{"EdgeStartTimestamp":${NANOS}}]`));
    expect(r.reason).toBe('unsupported_format');
    expect(r.message).toMatch(/array/);
  });

  test('an optional field of the wrong type costs that field, not the row: its value is kept as received', () => {
    for (const [field, text, value] of [
      ['ClientSrcPort', '"abc"', 'abc'],
      ['ClientRequestHost', '{"a":1}', { a: 1 }],
      ['CacheReserveUsed', '"yes"', 'yes'],
      ['BotDetectionIDs', '"x"', 'x'],
      ['BotTags', '{"k":"bing"}', { k: 'bing' }],
    ] as const) {
      const v = ok(parseLine(http, httpLine(`"${field}":${text},"ClientIP":"192.0.2.1"`)));
      expect([field, v.invalid]).toEqual([field, { [field]: value }]);
      expect(v.row[field]).toBeUndefined();
      // The rest of the row is there.
      expect(v.row.ClientIP).toBe('192.0.2.1');
      expect(v.eventTime).toBe(TS);
    }
  });

  test('a scalar where an array is expected becomes a one-element array', () => {
    const v = ok(parseLine(http, httpLine('"BotTags":"bing","FirewallMatchesActions":"skip","BotDetectionIDs":42')));
    expect(v.row.BotTags).toEqual(['bing']);
    expect(v.row.FirewallMatchesActions).toEqual(['skip']);
    expect(v.row.BotDetectionIDs).toEqual([42]);
    expect(v.invalid).toBeUndefined();
  });

  test('an explicit null in a json column is a value, kept; elsewhere null is an absent field', () => {
    const v = ok(parseLine(http, httpLine('"Cookies":null,"ClientIP":null')));
    expect('Cookies' in v.row && v.row.Cookies === null).toBe(true);
    expect('ClientIP' in v.row).toBe(false);
  });

  test('integers outside the column range go to p_invalid_fields', () => {
    expect(ok(parseLine(http, httpLine('"EdgeResponseStatus":40000'))).invalid).toEqual({ EdgeResponseStatus: 40000 });
    expect(ok(parseLine(http, httpLine('"ClientSrcPort":1.5'))).invalid).toEqual({ ClientSrcPort: 1.5 });
    expect(Object.keys(ok(parseLine(http, httpLine('"ZoneID":12345678901234567890'))).invalid ?? {})).toEqual(['ZoneID']);
  });

  test('a required field of the wrong type still refuses the row', () => {
    const r = rejected(parseLine(audit, '{"When":"2017-09-29T16:28:24Z","ID":{"a":1},"ResourceType":"zone"}'));
    expect(r.reason).toBe('schema');
    expect(r.message).toMatch(/^ID: /);
  });

  test('a value kept in p_invalid_fields must still be storable: nesting past the limit refuses the row', () => {
    const deep = `${'['.repeat(MAX_DEPTH + 1)}${']'.repeat(MAX_DEPTH + 1)}`;
    const r = rejected(parseLine(http, httpLine(`"ClientSrcPort":${deep}`)));
    expect(r.reason).toBe('schema');
    expect(r.message).toMatch(/^ClientSrcPort: nests deeper/);
  });

  test('a missing required field is missing_required, naming it', () => {
    expect(rejected(parseLine(http, '{"ClientIP":"192.0.2.1"}'))).toEqual({
      reason: 'missing_required',
      message: 'EdgeStartTimestamp: required field is missing',
    });
    const r = rejected(parseLine(audit, '{"When":"2017-09-29T16:28:24Z","ID":"a1"}'));
    expect(r.reason).toBe('missing_required');
    expect(r.message).toMatch(/^ResourceType: /);
  });

  test('a required field that is null or "" is missing_required', () => {
    expect(rejected(parseLine(http, '{"EdgeStartTimestamp":null}')).reason).toBe('missing_required');
    const r = rejected(parseLine(http, '{"EdgeStartTimestamp":""}'));
    expect(r.reason).toBe('missing_required');
    expect(r.message).toMatch(/^EdgeStartTimestamp: /);
    expect(rejected(parseLine(audit, '{"When":"2017-09-29T16:28:24Z","ID":null,"ResourceType":"zone"}')).message).toMatch(/^ID: /);
  });

  test('Spectrum without its event time is missing_required', () => {
    expect(rejected(parseLine(spectrum, '{"ClientAsn":13335}')).reason).toBe('missing_required');
  });

  test('an unreadable timestamp is invalid_timestamp, naming the field', () => {
    const r = rejected(parseLine(http, '{"EdgeStartTimestamp":"yesterday"}'));
    expect(r.reason).toBe('invalid_timestamp');
    expect(r.message).toMatch(/^EdgeStartTimestamp: /);
    expect(r.message).not.toContain('yesterday');
    // Another timestamp, not required: the row stands, the value is kept.
    expect(ok(parseLine(http, httpLine('"OriginResponseHTTPExpires":"not a date"'))).invalid).toEqual({ OriginResponseHTTPExpires: 'not a date' });
  });

  test('a fractional or exponent unixnano beyond 2^53 is invalid_timestamp, not read to the nearest double', () => {
    const why = 'a number beyond 2^53 with a fraction or an exponent: only integer digits are read exactly as nanoseconds';
    for (const text of ['{"EdgeStartTimestamp":1506702504433000200.5}', '{"EdgeStartTimestamp":1.5067025044330002e18}']) {
      expect(rejected(parseLine(http, text))).toEqual({ reason: 'invalid_timestamp', message: `EdgeStartTimestamp: ${why}` });
      // The generic loop, the generated normaliser's reference, refuses it the same way.
      expect(normaliseGeneric(http.plan, JSON.parse(text) as Record<string, unknown>, text)).toEqual({
        reason: 'invalid_timestamp',
        message: `EdgeStartTimestamp: ${why}`,
      });
    }
    // Not the event time: kept in p_invalid_fields (RowWriter writes its digits as received).
    expect(Object.keys(ok(parseLine(http, httpLine('"EdgeEndTimestamp":1506702505433000201.0'))).invalid ?? {})).toEqual(['EdgeEndTimestamp']);
  });

  test(`nesting deeper than ${MAX_DEPTH} levels is refused, in unknown fields and json columns alike`, () => {
    const depth = MAX_DEPTH + 1;
    const deepArray = `${'['.repeat(depth)}${']'.repeat(depth)}`;
    const u = rejected(parseLine(http, httpLine(`"Extra":${deepArray}`)));
    expect(u.reason).toBe('schema');
    expect(u.message).toMatch(/^Extra: nests deeper/);
    const deepObject = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    const j = rejected(parseLine(http, httpLine(`"Cookies":${deepObject}`)));
    expect(j.reason).toBe('schema');
    expect(j.message).toMatch(/^Cookies: nests deeper/);
  });

  test('a line whose text is read again for exact digits still refuses deep nesting, without overflowing the stack', () => {
    const deep = '['.repeat(100_000) + '1' + ']'.repeat(100_000);
    // The integer-like key leaves no field positions: the string column's digits are read from the whole line.
    expect(rejected(parseLine(http, httpLine(`"ClientCity":12345678901234567891,"7":1,"NewField":${deep}`)))).toEqual({
      reason: 'schema',
      message: `NewField: nests deeper than ${MAX_DEPTH} levels`,
    });
  });

  test('a record with an absurd number of fields is a schema reject', () => {
    const many = Array.from({ length: 1001 }, (_, i) => `"F${i}":1`).join(',');
    const r = rejected(parseLine(http, httpLine(many)));
    expect(r.reason).toBe('schema');
    expect(r.message).toMatch(/^record: /);
  });
});

describe('normalise directly', () => {
  test('a plan lists indicator fields and known names (aliases included)', () => {
    const plan = buildPlan(spectrum.schema);
    expect(plan.known.has('ClientAsn')).toBe(true);
    expect(plan.known.has('ClientASN')).toBe(true);
    expect(plan.indicatorFields.map((f) => f.name)).toEqual(['ClientIP', 'ClientTlsClientHelloServerName', 'OriginIP']);
    expect(plan.eventTimeField).toBe('Timestamp');
  });

  test('an unsafe integer is recovered from the raw line given to normalise', () => {
    const line = `{"When":1506702504433000200,"ID":"a","ResourceType":"zone"}`;
    const r = normalise(audit.plan, JSON.parse(line) as Record<string, unknown>, line);
    if (isFailure(r)) throw new Error(r.message);
    expect(r.row.When).toBe(TS);
  });
});

describe('empty strings and hostile JSON', () => {
  test('"" in a string column is a value, kept as Panther keeps it', () => {
    const r = parseLine(registry.require('Cloudflare.HttpRequest'), '{"EdgeStartTimestamp":1506702504,"ClientIP":"","ClientCountry":"","BotScore":""}');
    if (!r.ok) throw new Error(r.reject.message);
    expect(r.value.row).toEqual({ ClientCountry: '', ClientIP: '', EdgeStartTimestamp: '2017-09-29 16:28:24.000000000' });
  });

  test('a required string field that is "" is missing_required ("missing or empty")', () => {
    const r = parseLine(registry.require('Cloudflare.Audit'), '{"When":1506702504,"ID":"","ResourceType":"zone"}');
    expect(r).toMatchObject({ ok: false, reject: { reason: 'missing_required', message: expect.stringContaining('ID') } });
  });

  test('a long run of closing brackets is refused as invalid_json, in linear time (with backtracking this line took minutes)', () => {
    const r = parseLine(registry.require('Cloudflare.HttpRequest'), '}'.repeat(200000) + 'x');
    expect(r).toMatchObject({ ok: false, reject: { reason: 'invalid_json' } });
  });
});
