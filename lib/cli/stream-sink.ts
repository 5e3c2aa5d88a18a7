import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { OutputFile, RowSink } from '../lake/types';
import type { Row } from '../row/writer';

/** Rows as NDJSON to one stream (the CLI's stdout), rejects to another (or counted only). */
export class StreamSink implements RowSink {
  private pending: string[] = [];
  private pendingBytes = 0;
  private waits: Promise<unknown>[] = [];
  rows = 0;

  constructor(
    private readonly out: Writable,
    private readonly rejects?: Writable,
  ) {}

  row(_table: string, row: Row): void {
    const json = row.json();
    this.rows++;
    this.pending.push(json);
    this.pendingBytes += json.length;
    if (this.pendingBytes > 64 * 1024) this.flush();
  }

  reject(_table: string, json: string): void {
    if (this.rejects && !this.rejects.write(json + '\n')) this.waits.push(once(this.rejects, 'drain'));
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const ok = this.out.write(this.pending.join('\n') + '\n');
    this.pending = [];
    this.pendingBytes = 0;
    if (!ok) this.waits.push(once(this.out, 'drain'));
  }

  pressure(): Promise<void> | undefined {
    if (this.waits.length === 0) return undefined;
    const w = this.waits;
    this.waits = [];
    return Promise.all(w).then(() => undefined);
  }

  async commit(): Promise<OutputFile[]> {
    this.flush();
    await this.pressure();
    return [];
  }

  async abort(): Promise<void> {
    this.flush();
  }
}
