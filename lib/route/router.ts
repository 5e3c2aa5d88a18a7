import { ConfigError } from '../errors';
import { schemaProblem } from '../filter/check';
import { CompiledFilter, FilterSet, NO_FILTERS } from '../filter/filters';
import type { LogTypeEntry, SchemaRegistry } from '../record/registry';
import type { LogSchema } from '../schema/model';

/** A user's mapping of key prefixes to log types (the routes file). */
export interface RouteSpec {
  prefix: string;
  logType: string;
  sourceId?: string;
  sourceLabel?: string;
  /** Filters of this route, applied after the global ones for its log type. */
  filters?: FilterSet;
}

export interface RouteMatch {
  entry: LogTypeEntry;
  sourceId?: string;
  sourceLabel?: string;
  /** Global filters for the log type, then the route's. */
  filters: FilterSet;
  /** Which rule matched, for the summary line. */
  via: string;
}

/**
 * key -> log type. Configured prefixes win (longest first); otherwise a path segment equal to a Logpush
 * dataset name (`.../http_requests/2026...`) decides. A key that matches neither routes nowhere.
 */
export class Router {
  private readonly routes: (RouteSpec & { entry: LogTypeEntry })[];

  constructor(
    routes: RouteSpec[],
    readonly registry: SchemaRegistry,
    private readonly defaults: { sourceId?: string; sourceLabel?: string; filters?: FilterSet } = {},
  ) {
    for (const f of defaults.filters?.filters ?? []) {
      if (f.logType !== undefined) {
        const entry = registry.get(f.logType);
        if (!entry) throw new ConfigError(`filter ${f.name}: unknown log type ${f.logType} (known: ${registry.logTypes().join(', ')})`);
        mustFit(f, entry.schema);
        continue;
      }
      // No logType: the filter meets every log type a key can route to.
      for (const schema of registry.schemas()) {
        mustFit(f, schema, ' (the filter has no logType, so it applies to every log type: add logType to limit it)');
      }
    }
    this.routes = routes
      .map((r) => {
        const entry = registry.get(r.logType);
        if (!entry) throw new ConfigError(`route ${JSON.stringify(r.prefix)}: unknown log type ${r.logType} (known: ${registry.logTypes().join(', ')})`);
        for (const f of r.filters?.filters ?? []) mustFit(f, entry.schema);
        return { ...r, entry };
      })
      .sort((a, b) => b.prefix.length - a.prefix.length);
  }

  route(key: string): RouteMatch | undefined {
    for (const r of this.routes) {
      if (key.startsWith(r.prefix)) {
        return {
          entry: r.entry,
          via: `prefix ${r.prefix}`,
          filters: this.globalFilters(r.entry).concat(r.filters ?? NO_FILTERS),
          ...pick(r.sourceId ?? this.defaults.sourceId, r.sourceLabel ?? this.defaults.sourceLabel),
        };
      }
    }
    const segments = key.split('/');
    // The file name itself is not a dataset segment.
    for (let i = 0; i < segments.length - 1; i++) {
      const entry = this.registry.forDataset(segments[i] as string);
      if (entry) return this.match(entry, `dataset ${segments[i]}`);
    }
    return undefined;
  }

  /** A log type by name or dataset name, for entry points that are told it (CLI, HTTP path). */
  byName(nameOrDataset: string): RouteMatch | undefined {
    const entry = this.registry.find(nameOrDataset);
    return entry ? this.match(entry, `name ${nameOrDataset}`) : undefined;
  }

  private match(entry: LogTypeEntry, via: string): RouteMatch {
    return { entry, via, filters: this.globalFilters(entry), ...pick(this.defaults.sourceId, this.defaults.sourceLabel) };
  }

  private globalFilters(entry: LogTypeEntry): FilterSet {
    return (this.defaults.filters ?? NO_FILTERS).forLogType(entry.schema.logType);
  }
}

function pick(sourceId?: string, sourceLabel?: string): { sourceId?: string; sourceLabel?: string } {
  return { ...(sourceId !== undefined ? { sourceId } : {}), ...(sourceLabel !== undefined ? { sourceLabel } : {}) };
}

/** A filter that cannot hold on the log type's rows (an unknown field, a value of the wrong type) fails the start. */
function mustFit(f: CompiledFilter, schema: LogSchema, why = ''): void {
  const problem = schemaProblem(f, schema);
  if (problem !== undefined) throw new ConfigError(problem + why);
}
