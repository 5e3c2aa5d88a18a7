import type { ErrorObject } from 'ajv';
import { ConfigError } from '../errors';
import { buildPlan, NormalisePlan } from './normalise';
import type { LogSchema } from '../schema/model';
// Both are produced by `npm run gen` (scripts/gen-schemas.ts) from schemas/*.yml.
import schemasJson from '../generated/schemas.json';
import { byLogType as validators, CompiledValidator } from '../generated/validators';
import { byLogType as normalisers } from '../generated/normalisers';
import type { CompiledNormaliser } from './normalise';

export interface LogTypeEntry {
  schema: LogSchema;
  plan: NormalisePlan;
  validate: CompiledValidator;
}

export type { CompiledValidator, ErrorObject };

/** Every log type the build knows, looked up by name or by Logpush dataset. */
export class SchemaRegistry {
  private readonly byName = new Map<string, LogTypeEntry>();
  private readonly byDataset = new Map<string, LogTypeEntry>();

  constructor(
    schemas: LogSchema[],
    compiled: Record<string, CompiledValidator>,
    compiledNormalisers: Record<string, CompiledNormaliser> = {},
  ) {
    for (const schema of schemas) {
      const validate = compiled[schema.logType];
      if (!validate) throw new ConfigError(`no compiled validator for ${schema.logType}: run npm run gen`);
      const entry = { schema, plan: buildPlan(schema, compiledNormalisers[schema.logType]), validate };
      this.byName.set(schema.logType, entry);
      if (schema.dataset) this.byDataset.set(schema.dataset, entry);
    }
  }

  get(logType: string): LogTypeEntry | undefined {
    return this.byName.get(logType);
  }

  require(logType: string): LogTypeEntry {
    const e = this.byName.get(logType);
    if (!e) throw new ConfigError(`unknown log type ${logType}; known: ${this.logTypes().join(', ')}`);
    return e;
  }

  forDataset(dataset: string): LogTypeEntry | undefined {
    return this.byDataset.get(dataset);
  }

  /** A log type as a person names it: `Cloudflare.HttpRequest` or its dataset, `http_requests`. */
  find(nameOrDataset: string): LogTypeEntry | undefined {
    return this.byName.get(nameOrDataset) ?? this.byDataset.get(nameOrDataset);
  }

  datasets(): string[] {
    return [...this.byDataset.keys()];
  }

  logTypes(): string[] {
    return [...this.byName.keys()];
  }

  schemas(): LogSchema[] {
    return [...this.byName.values()].map((e) => e.schema);
  }
}

let builtIn: SchemaRegistry | undefined;
/** The registry compiled into this build; created once per process (cold start). */
export function builtInRegistry(): SchemaRegistry {
  builtIn ??= new SchemaRegistry(schemasJson as unknown as LogSchema[], validators, normalisers);
  return builtIn;
}
