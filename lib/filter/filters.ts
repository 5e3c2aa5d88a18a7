import { ConfigError } from '../errors';
import type { Columns } from '../record/normalise';
import { compileCondition, type ColumnIndex, type FieldCondition, type RowTest, type RowTestFactory } from './condition';
import { compileRaw, type RawTest } from './raw';

/**
 * Ingestion filters, as Panther has them: raw filters test the line as received (before JSON.parse, so a
 * dropped line costs almost nothing), normalised filters test typed fields after normalisation. Each is an
 * include (keep only what matches) or an exclude (drop what matches). A line is dropped by the first filter
 * that rejects it, and that filter's count goes up.
 *
 * Config (in the routes file, under `filters:` globally or per route):
 *   - name: drop-health-checks
 *     logType: Cloudflare.HttpRequest      # optional, global filters only
 *     exclude: { raw: { contains: '"ClientRequestPath":"/health"' } }
 *   - name: keep-blocked
 *     include: { field: Action, in: [block, challenge] }
 *
 * Here the specs and the set of filters an input runs; raw tests in raw.ts, field conditions in condition.ts, the
 * check of a filter against a log type's schema in check.ts.
 */

export interface FilterSpec {
  name: string;
  logType?: string;
  include?: unknown;
  exclude?: unknown;
}

export interface CompiledFilter {
  name: string;
  /** Where the filter is, for messages: `routes: filters[2] (drop-probes)`. */
  label: string;
  logType: string | undefined;
  action: 'include' | 'exclude';
  stage: 'raw' | 'normalised';
  raw?: RawTest;
  row?: RowTestFactory;
  /**
   * The field conditions of a normalised filter. Filters are compiled before the log type is known (a global
   * filter may serve several), so the router checks these against each schema the filter applies to.
   */
  conditions: FieldCondition[];
}

/** The filters that apply to one input, split by stage, in order. */
export class FilterSet {
  readonly raw: CompiledFilter[];
  readonly normalised: CompiledFilter[];

  constructor(readonly filters: CompiledFilter[]) {
    this.raw = filters.filter((f) => f.stage === 'raw');
    this.normalised = filters.filter((f) => f.stage === 'normalised');
  }

  get empty(): boolean {
    return this.filters.length === 0;
  }

  /** Name of the raw filter that drops this line, or undefined to keep it. */
  dropRaw(buf: Buffer, start: number, end: number): string | undefined {
    for (const f of this.raw) {
      if ((f.raw as RawTest)(buf, start, end) !== (f.action === 'include')) return f.name;
    }
    return undefined;
  }

  /** The normalised filters bound to one log type's columns, for the rows of one input. */
  bind(columnOf: ColumnIndex): RowFilters {
    return new RowFilters(this.normalised.map((f) => ({ name: f.name, keep: f.action === 'include', test: (f.row as RowTestFactory)(columnOf) })));
  }

  forLogType(logType: string): FilterSet {
    return new FilterSet(this.filters.filter((f) => f.logType === undefined || f.logType === logType));
  }

  concat(other: FilterSet): FilterSet {
    return new FilterSet([...this.filters, ...other.filters]);
  }

  /** The same filters, those without a logType limited to `logType` (for an input whose log type is given). */
  withDefaultLogType(logType: string): FilterSet {
    return new FilterSet(this.filters.map((f) => (f.logType === undefined ? { ...f, logType } : f)));
  }
}

export const NO_FILTERS = new FilterSet([]);

export class RowFilters {
  constructor(private readonly tests: { name: string; keep: boolean; test: RowTest }[]) {}

  get empty(): boolean {
    return this.tests.length === 0;
  }

  /** Name of the normalised filter that drops this row, or undefined to keep it. */
  dropRow(cols: Columns): string | undefined {
    for (const t of this.tests) if (t.test(cols) !== t.keep) return t.name;
    return undefined;
  }
}

/** Compiles and checks filter specs; every error names the filter. Regexes are compiled once, here. */
export function compileFilters(specs: unknown, where = 'filters'): FilterSet {
  if (specs === undefined || specs === null) return NO_FILTERS;
  if (!Array.isArray(specs)) throw new ConfigError(`${where}: expected a list`);
  const names = new Set<string>();
  return new FilterSet(
    specs.map((s: unknown, i: number): CompiledFilter => {
      const spec = s as FilterSpec;
      const label = `${where}[${i}]${typeof spec?.name === 'string' ? ` (${spec.name})` : ''}`;
      const fail = (msg: string): never => {
        throw new ConfigError(`${label}: ${msg}`);
      };
      if (typeof spec !== 'object' || spec === null) return fail('expected a mapping');
      for (const k of Object.keys(spec)) if (!['name', 'logType', 'include', 'exclude'].includes(k)) fail(`unknown key ${k}`);
      if (typeof spec.name !== 'string' || spec.name === '') fail('name is required');
      if (names.has(spec.name)) fail('name is used twice');
      names.add(spec.name);
      if (spec.logType !== undefined && typeof spec.logType !== 'string') fail('logType must be a string');
      if ((spec.include === undefined) === (spec.exclude === undefined)) fail('give exactly one of include or exclude');
      const action = spec.include !== undefined ? 'include' : 'exclude';
      const cond = (spec.include ?? spec.exclude) as Record<string, unknown>;
      if (typeof cond !== 'object' || cond === null) fail(`${action} must be a mapping`);
      const base = { name: spec.name, label, logType: spec.logType, action } as const;
      if ('raw' in cond) {
        if (Object.keys(cond).length !== 1) fail('raw cannot be combined with field conditions');
        return { ...base, stage: 'raw', raw: compileRaw(cond.raw, fail), conditions: [] };
      }
      const conditions: FieldCondition[] = [];
      return { ...base, stage: 'normalised', row: compileCondition(cond, fail, conditions), conditions };
    }),
  );
}
