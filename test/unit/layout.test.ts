import { deliveryBaseName, objectBaseName, outputKey, partitionOf, PARTITION_TEMPLATE, tableDir } from '../../lib/lake/layout';
import { projectionParameters, tableLocation } from '../../lib/lake/catalog';
import { builtInRegistry } from '../../lib/record/registry';

describe('lake layout', () => {
  it('files an output timestamp under its zero-padded hour partition', () => {
    expect(partitionOf('2017-09-29 16:28:24.433000200')).toBe('year=2017/month=09/day=29/hour=16');
    expect(partitionOf('2026-01-02 03:04:05.000000000')).toBe('year=2026/month=01/day=02/hour=03');
  });

  it('keys rows under logs/ and rejects under rejects/, with -n for a partition continued in a later file', () => {
    const t = '2026-01-02 03:04:05.000000000';
    expect(outputKey('', 'events', 'cloudflare_firewall', t, 'b', 0, '.json.zst')).toBe('logs/cloudflare_firewall/year=2026/month=01/day=02/hour=03/b.json.zst');
    expect(outputKey('lake/', 'rejects', 'cloudflare_audit', t, 'b', 2, '.json.gz')).toBe('lake/rejects/cloudflare_audit/year=2026/month=01/day=02/hour=03/b-2.json.gz');
  });

  it('gives the Glue tables the folders and partitions the writer uses', () => {
    const schema = builtInRegistry().get('Cloudflare.Firewall')!.schema;
    const location = tableLocation('s3://lake/', schema);
    expect(location).toBe(`s3://lake/${tableDir('events', schema.table)}`);
    expect(projectionParameters(location)['storage.location.template']).toBe(`${location}${PARTITION_TEMPLATE}`);
    const key = outputKey('', 'events', schema.table, '2026-01-02 03:04:05.000000000', 'b', 0, '.json.zst');
    const templated = PARTITION_TEMPLATE.replace(/\$\{(\w+)\}/g, (_m, k: string) => ({ year: '2026', month: '01', day: '02', hour: '03' })[k]!);
    expect(key).toBe(`${tableDir('events', schema.table)}${templated}/b.json.zst`);
  });

  it('names files after the input so that a retry of the same content overwrites them', () => {
    const key = 'cf/20221115/20221115T000000Z_20221115T000030Z_9af500e2.log.gz';
    // The suffix is the first 12 hex digits of SHA-256 of the identity, so the same identity names the same file.
    expect(objectBaseName(key, 's3://in/k#v1')).toBe('20221115T000000Z_20221115T000030Z_9af500e2-760233e9fae7');
    // A zstd input is named the same way.
    expect(objectBaseName(key.replace(/\.gz$/, '.zst'), 's3://in/k#v1')).toBe('20221115T000000Z_20221115T000030Z_9af500e2-760233e9fae7');
    expect(objectBaseName(key, 's3://in/k#v2')).toBe('20221115T000000Z_20221115T000030Z_9af500e2-15b5231c08da');
    expect(objectBaseName('dir/', 'x')).toBe('object-2d711642b726');
    expect(deliveryBaseName('http:Cloudflare.Firewall:abc')).toBe('http-150cfdd46c33e9bb17e0faf5f6fd53e8');
  });
});
