import { builtInRegistry, CompiledLogType, SchemaRegistry } from '../../lib/record/registry';
import { loaders } from '../../lib/generated/log-types';

describe('the schema registry', () => {
  it("loads a log type's generated code on first use of its validator or plan, once, and no other's", () => {
    const schemas = builtInRegistry().schemas();
    const loaded: string[] = [];
    const spying = Object.fromEntries(
      Object.entries(loaders).map(([logType, load]): [string, () => CompiledLogType] => [
        logType,
        () => {
          loaded.push(logType);
          return load();
        },
      ]),
    );
    const registry = new SchemaRegistry(schemas, spying);
    // Routing, listing and the schemas themselves need no generated code.
    const dns = registry.forDataset('gateway_dns');
    expect(dns?.schema.table).toBe('cloudflare_gatewaydns');
    expect(registry.logTypes()).toHaveLength(schemas.length);
    expect(registry.schemas().every((s) => s.fields.length > 0)).toBe(true);
    expect(loaded).toEqual([]);

    expect(dns?.validate({ Datetime: '2026-11-01T10:00:00Z' })).toBe(true);
    expect(dns?.plan.logType).toBe('Cloudflare.GatewayDNS');
    expect(registry.find('Cloudflare.GatewayDNS')?.plan.table).toBe('cloudflare_gatewaydns');
    expect(loaded).toEqual(['Cloudflare.GatewayDNS']);
  });

  it('refuses a schema whose code the build did not generate, naming it and the fix', () => {
    const schema = builtInRegistry().schemas()[0]!;
    expect(() => new SchemaRegistry([schema], {})).toThrow(`no generated code for ${schema.logType}: run npm run gen`);
  });
});
