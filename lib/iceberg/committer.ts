import { errorFields, Log } from '../log';
import { appendHandoffs, CommitDeps, ensureTable, Handoff } from './commit';
import { decodeHandoff, TableHandoff } from './handoff';
import type { IcebergTableSpec } from './tables';

/**
 * The committer's batch: the hand-offs a queue delivered (from any number of ingest functions, for any tables), each
 * table's committed in one snapshot. What fails is reported by message, so the queue redelivers only those (then
 * dead-letters them): an unreadable message or an unknown table alone, a table whose commit failed with all of its
 * messages. A redelivered message is harmless: its input is in the table's snapshot summaries, and it adds nothing.
 */
export interface CommitterDeps extends CommitDeps {
  /** The table of each log type's rows, by table name; undefined for a table this deployment does not have. */
  table(name: string): IcebergTableSpec | undefined;
  log: Log;
}

export interface QueuedMessage {
  id: string;
  body: string;
}

export interface TableCommit {
  table: string;
  snapshotId?: number;
  /** Inputs this commit added, and inputs the table had already (delivered again). */
  committed: number;
  already: number;
  files: number;
  rows: number;
  attempts: number;
  /** From the earliest input's landing (when known) to the commit: how long its rows took to become visible. */
  lagMs?: number;
}

export interface CommitterReport {
  /** The ids of the messages to redeliver. */
  failed: string[];
  commits: TableCommit[];
}

export async function commitQueued(deps: CommitterDeps, messages: readonly QueuedMessage[]): Promise<CommitterReport> {
  const failed: string[] = [];
  const byTable = new Map<string, { spec: IcebergTableSpec; ids: string[]; handoffs: Handoff[]; landed: number[] }>();
  for (const msg of messages) {
    let h: TableHandoff;
    try {
      h = decodeHandoff(msg.body);
    } catch (e) {
      deps.log.error('hand-off not understood: failed so that it reaches the dead-letter queue', { messageId: msg.id, ...errorFields(e) });
      failed.push(msg.id);
      continue;
    }
    const spec = deps.table(h.table);
    if (!spec) {
      deps.log.error('hand-off names a table this deployment does not have: failed so that it reaches the dead-letter queue', { messageId: msg.id, table: h.table });
      failed.push(msg.id);
      continue;
    }
    let group = byTable.get(h.table);
    if (!group) byTable.set(h.table, (group = { spec, ids: [], handoffs: [], landed: [] }));
    group.ids.push(msg.id);
    group.handoffs.push(h.handoff);
    if (h.landed !== undefined) group.landed.push(h.landed);
  }
  const commits: TableCommit[] = [];
  for (const [table, g] of byTable) {
    try {
      const r = await appendHandoffs(deps, table, g.spec.columns, g.handoffs, { transform: g.spec.transform });
      const committed = new Set(r.committed);
      const added = g.handoffs.filter((h) => committed.has(h.input));
      const c: TableCommit = {
        table,
        ...(r.snapshotId !== undefined ? { snapshotId: r.snapshotId } : {}),
        committed: r.committed.length,
        already: r.already.length,
        files: added.reduce((n, h) => n + h.files.length, 0),
        rows: added.reduce((n, h) => n + h.files.reduce((k, f) => k + f.rows, 0), 0),
        attempts: r.attempts,
        ...(g.landed.length > 0 ? { lagMs: deps.now() - Math.min(...g.landed) } : {}),
      };
      deps.log.info(r.snapshotId !== undefined ? 'hand-offs committed' : 'hand-offs already committed', { ...c });
      commits.push(c);
    } catch (e) {
      deps.log.error('commit failed; its hand-offs will be delivered again', { table, messages: g.ids.length, ...errorFields(e) });
      failed.push(...g.ids);
    }
  }
  return { failed, commits };
}

/**
 * Every table of the deployment created when missing (empty), as the stack asks at deploy time so that the table
 * optimizers can be set on them. Returns the tables created.
 */
export async function ensureTables(deps: Pick<CommitDeps, 'catalog' | 'now'>, specs: readonly IcebergTableSpec[]): Promise<string[]> {
  const created: string[] = [];
  for (const s of specs) if (await ensureTable(deps, s.table, s.columns, s.transform)) created.push(s.table);
  return created;
}
