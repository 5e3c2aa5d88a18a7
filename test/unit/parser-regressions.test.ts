import { parseLine } from '../../lib/record/parser';
import { builtInRegistry } from '../../lib/record/registry';

const registry = builtInRegistry();

test('"" in a string column is a value, kept as Panther keeps it', () => {
  const r = parseLine(registry.require('Cloudflare.HttpRequest'), '{"EdgeStartTimestamp":1506702504,"ClientIP":"","ClientCountry":"","BotScore":""}');
  if (!r.ok) throw new Error(r.reject.message);
  expect(r.value.row).toEqual({ ClientCountry: '', ClientIP: '', EdgeStartTimestamp: '2017-09-29 16:28:24.000000000' });
});

test('a required string field that is "" is missing_required ("missing or empty")', () => {
  const r = parseLine(registry.require('Cloudflare.Audit'), '{"When":1506702504,"ID":"","ResourceType":"zone"}');
  expect(r).toMatchObject({ ok: false, reject: { reason: 'missing_required', message: expect.stringContaining('ID') } });
});
