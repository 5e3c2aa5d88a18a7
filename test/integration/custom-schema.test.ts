import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseRoutesFile } from '../../lib/config';
import { processStream, DEFAULT_LIMITS } from '../../lib/pipeline/process';
import { Router } from '../../lib/route/router';
import { buildArtifacts } from '../../lib/codegen/build';
import { loadSchemaDir } from '../../lib/schema/load';
import type { LogSchema } from '../../lib/schema/model';
import { SchemaRegistry } from '../../lib/record/registry';
import { MemorySink } from '../../testkit/memory-sink';

const CUSTOM = `
schema: Custom.Gateway
description: A user's own log type, routed by prefix.
table: custom_gateway
fields:
  - name: At
    required: true
    type: timestamp
    timeFormats: [cloudflare]
    isEventTime: true
  - name: User
    type: string
    indicators: [email]
  - name: Src
    type: string
    indicators: [ip]
  - name: Bytes
    type: bigint
`;

describe('custom schemas', () => {
  it('a YAML file dropped into schemas/ and a route to it work without code', async () => {
    // Inside the project, so the generated code resolves its imports (ajv) like lib/generated does.
    mkdirSync(join(__dirname, '../../.out'), { recursive: true });
    const dir = mkdtempSync(join(__dirname, '../../.out/custom-schema-'));
    mkdirSync(join(dir, 'schemas', 'custom'), { recursive: true });
    writeFileSync(join(dir, 'schemas', 'custom', 'gateway.yml'), CUSTOM);
    // The same build step `npm run gen` runs, into a scratch directory.
    const out = join(dir, 'generated');
    mkdirSync(out);
    const schemas = loadSchemaDir(join(dir, 'schemas'));
    for (const [name, text] of Object.entries(buildArtifacts(schemas))) {
      mkdirSync(dirname(join(out, name)), { recursive: true });
      writeFileSync(join(out, name), text);
    }
    const registry = new SchemaRegistry(require(join(out, 'schemas.js')).schemas as LogSchema[], require(join(out, 'log-types.js')).loaders);
    const routes = parseRoutesFile('routes:\n  - prefix: gw/\n    logType: Custom.Gateway\n    sourceLabel: gateway\n');
    const route = new Router(routes.routes, registry).route('gw/2026/11/a.log');
    expect(route?.entry.plan.compiled).toBeInstanceOf(Function);

    const sink = new MemorySink();
    const s = await processStream(
      [Buffer.from('{"At":"2026-11-01T10:00:00Z","User":"Ann@Example.com","Src":"192.0.2.1","Bytes":"12"}\n{"User":"x"}\n')],
      { source: 'gw/2026/11/a.log', identity: 'id', entry: route!.entry, sourceLabel: route!.sourceLabel!, location: {} },
      { sink, now: new Date('2026-11-24T00:00:00Z'), limits: DEFAULT_LIMITS },
    );
    expect(s).toMatchObject({ rows: 1, rejected: 1, rejectsByReason: { missing_required: 1 } });
    expect(JSON.parse(sink.rows[0]!.json)).toMatchObject({
      At: '2026-11-01 10:00:00.000000000',
      Bytes: 12,
      p_log_type: 'Custom.Gateway',
      p_source_label: 'gateway',
      p_any_emails: ['ann@example.com'],
      p_any_ip_addresses: ['192.0.2.1'],
    });
    expect(sink.rows[0]!.table).toBe('custom_gateway');
  });
});
