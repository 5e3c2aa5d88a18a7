import { createRequire } from 'node:module';
import { buildArtifacts } from '../codegen/build';
import { optional } from '../env';
import type { CompiledLogType, SchemaRegistry } from '../record/registry';
import type { LogSchema } from '../schema/model';
import { wireRegistry } from '../wiring';

/** The log types a command sees: the built-in ones and CFLOGS_SCHEMAS_DIR's, as `parse` and the functions have them. */
export function cliRegistry(env: NodeJS.ProcessEnv): SchemaRegistry {
  const schemasDir = optional(env.CFLOGS_SCHEMAS_DIR);
  return wireRegistry(schemasDir !== undefined ? { schemasDir } : {}, compileSchemas);
}

/**
 * CFLOGS_SCHEMAS_DIR's schemas for the command line: the same code `npm run gen` writes to lib/generated/, built in
 * memory, so trying a schema needs no build step. A log type's module runs on its first use, as the generated ones
 * do. The functions do not take this path (lib/wiring.ts): their log types are compiled when they are packaged.
 */
export function compileSchemas(schemas: LogSchema[]): Record<string, () => CompiledLogType> {
  const artifacts = buildArtifacts(schemas);
  // The validators may require ajv's runtime helpers: resolved from here, as lib/generated's would be.
  const req = createRequire(__filename);
  return Object.fromEntries(
    schemas.map((s, i) => {
      let loaded: CompiledLogType | undefined;
      const load = (): CompiledLogType => {
        if (loaded) return loaded;
        const mod = { exports: {} as Record<string, unknown> };
        new Function('module', 'exports', 'require', artifacts[`log-types/${i}.js`]!)(mod, mod.exports, req);
        return (loaded = mod.exports as unknown as CompiledLogType);
      };
      return [s.logType, load];
    }),
  );
}
