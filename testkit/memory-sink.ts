import type { OutputFile, RowSink } from '../lib/lake/types';

/** Keeps rows and rejects in memory: for the conformance check, tests and benchmarks of the core. */
export class MemorySink implements RowSink {
  readonly rows: { table: string; eventTime: string; json: string }[] = [];
  readonly rejects: { table: string; json: string }[] = [];
  committed = false;
  aborted = false;

  row(table: string, eventTime: string, json: string): void {
    this.rows.push({ table, eventTime, json });
  }

  reject(table: string, json: string): void {
    this.rejects.push({ table, json });
  }

  pressure(): Promise<void> | undefined {
    return undefined;
  }

  async commit(): Promise<OutputFile[]> {
    this.committed = true;
    return [];
  }

  async abort(): Promise<void> {
    this.aborted = true;
  }
}
