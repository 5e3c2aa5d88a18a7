import type { OutputFile, RowSink } from '../lib/lake/types';
import type { Row } from '../lib/row/writer';

/** What a test can make the sink do, to drive the pipeline's back-pressure and failure paths. */
export interface MemorySinkOptions {
  /** Answer to each pressure() call; by default there is never back-pressure. */
  pressure?: () => Promise<void> | undefined;
  /** commit() throws, as a full disk would. */
  commitFails?: boolean;
  /** row() throws this error. */
  rowFails?: Error;
}

/** Keeps rows and rejects in memory: for the conformance check, tests and benchmarks of the core. */
export class MemorySink implements RowSink {
  readonly rows: { table: string; eventTime: string; json: string }[] = [];
  readonly rejects: { table: string; json: string }[] = [];
  /** How many times commit() succeeded and abort() ran: the life cycle a test checks. */
  commits = 0;
  aborts = 0;
  pressureCalls = 0;

  constructor(private readonly opts: MemorySinkOptions = {}) {}

  get committed(): boolean {
    return this.commits > 0;
  }

  get aborted(): boolean {
    return this.aborts > 0;
  }

  row(table: string, row: Row): void {
    if (this.opts.rowFails) throw this.opts.rowFails;
    this.rows.push({ table, eventTime: row.eventTime, json: row.json() });
  }

  reject(table: string, json: string): void {
    this.rejects.push({ table, json });
  }

  pressure(): Promise<void> | undefined {
    this.pressureCalls++;
    return this.opts.pressure?.();
  }

  async commit(): Promise<OutputFile[]> {
    if (this.opts.commitFails) throw new Error('disk full');
    this.commits++;
    // One notional file per table and kind that received anything, so callers can reconcile outputs with rows.
    const files = new Map<string, OutputFile>();
    const add = (kind: OutputFile['kind'], table: string): void => {
      const key = `memory/${kind}/${table}`;
      const file = files.get(key) ?? { key, kind, table, rows: 0, bytes: 0 };
      file.rows++;
      files.set(key, file);
    };
    for (const r of this.rows) add('events', r.table);
    for (const r of this.rejects) add('rejects', r.table);
    return [...files.values()];
  }

  async abort(): Promise<void> {
    this.aborts++;
  }

  parsedRows(): Record<string, unknown>[] {
    return this.rows.map((r) => JSON.parse(r.json) as Record<string, unknown>);
  }

  parsedRejects(): Record<string, unknown>[] {
    return this.rejects.map((r) => JSON.parse(r.json) as Record<string, unknown>);
  }
}
