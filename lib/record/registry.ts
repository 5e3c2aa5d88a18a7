import type { ErrorObject } from 'ajv';
import { ConfigError } from '../errors';
import { buildPlan, NormalisePlan } from './normalise';
import type { LogSchema } from '../schema/model';
// Both are produced by `npm run gen` (scripts/gen-schemas.ts) from schemas/*.yml.
import { schemas as builtInSchemas } from '../generated/schemas';
import { CompiledLogType, CompiledValidator, loaders } from '../generated/log-types';

export type { CompiledLogType, CompiledValidator, ErrorObject };

/**
 * One log type: its schema at once, its generated validator and normaliser (and the plan built on them) on first
 * use, so a function loads the code of the log types its inputs have, not of all 37.
 */
export class LogTypeEntry {
  private compiled: { plan: NormalisePlan; validate: CompiledValidator } | undefined;

  constructor(
    readonly schema: LogSchema,
    private readonly load: () => CompiledLogType,
  ) {}

  get plan(): NormalisePlan {
    return (this.compiled ??= this.compile()).plan;
  }

  get validate(): CompiledValidator {
    return (this.compiled ??= this.compile()).validate;
  }

  private compile(): { plan: NormalisePlan; validate: CompiledValidator } {
    const code = this.load();
    return { plan: buildPlan(this.schema, code.normalise, code.normaliseScanned), validate: code.validate };
  }
}

/** Every log type the build knows, looked up by name or by Logpush dataset. */
export class SchemaRegistry {
  private readonly byName = new Map<string, LogTypeEntry>();
  private readonly byDataset = new Map<string, LogTypeEntry>();

  /** `load[logType]` gives the log type's generated code (lib/generated/log-types.js `loaders`). */
  constructor(schemas: LogSchema[], load: Record<string, () => CompiledLogType>) {
    for (const schema of schemas) {
      const loader = load[schema.logType];
      if (!loader) throw new ConfigError(`no generated code for ${schema.logType}: run npm run gen`);
      this.add(new LogTypeEntry(schema, loader));
    }
  }

  private add(entry: LogTypeEntry): void {
    this.byName.set(entry.schema.logType, entry);
    if (entry.schema.dataset) this.byDataset.set(entry.schema.dataset, entry);
  }

  /**
   * These log types and `schemas` besides (a deployment's custom schemas next to the built-in ones). A log type,
   * table or dataset both have is refused: one of the two would silently never be used.
   */
  with(schemas: LogSchema[], load: Record<string, () => CompiledLogType>): SchemaRegistry {
    const extra = new SchemaRegistry(schemas, load);
    const taken = new Set(this.schemas().flatMap(idsOf));
    for (const schema of extra.schemas()) {
      const clash = idsOf(schema).find((id) => taken.has(id));
      if (clash !== undefined) throw new ConfigError(`custom schema ${schema.logType}: ${clash} is already a built-in log type's`);
    }
    const out = new SchemaRegistry([], {});
    for (const e of [...this.byName.values(), ...extra.byName.values()]) out.add(e);
    return out;
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

  /**
   * Log types ranked by how well they name these records' fields, best first: a log type's score is the share of
   * the records' field names that are its columns or aliases, counting only records that carry its event time
   * (a record without it could not be its row). Schemas only: no log type's code is loaded.
   */
  fits(records: readonly (readonly string[])[]): LogTypeFit[] {
    this.names ??= new Map([...this.byName.values()].map((e) => [e, new Set(e.schema.fields.flatMap((f) => [f.name, ...f.aliases]))]));
    let total = 0;
    for (const keys of records) total += keys.length;
    const out: LogTypeFit[] = [];
    for (const [entry, names] of this.names) {
      let hits = 0;
      for (const keys of records) {
        if (!keys.includes(entry.schema.eventTimeField)) continue;
        for (const k of keys) if (names.has(k)) hits++;
      }
      if (hits > 0) out.push({ entry, score: hits / total });
    }
    return out.sort((a, b) => b.score - a.score);
  }

  private names: Map<LogTypeEntry, Set<string>> | undefined;
}

export interface LogTypeFit {
  entry: LogTypeEntry;
  /** 0..1: the share of the records' field names that are this log type's. */
  score: number;
}

function idsOf(s: LogSchema): string[] {
  return [s.logType, `table ${s.table}`, ...(s.dataset ? [`dataset ${s.dataset}`] : [])];
}

let builtIn: SchemaRegistry | undefined;
/** The registry compiled into this build; created once per process (cold start). */
export function builtInRegistry(): SchemaRegistry {
  builtIn ??= new SchemaRegistry(builtInSchemas, loaders);
  return builtIn;
}
