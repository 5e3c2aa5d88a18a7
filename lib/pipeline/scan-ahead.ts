import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { messageOf } from '../errors';
import { LineParser } from '../record/parser';
import { builtInRegistry, LogTypeEntry } from '../record/registry';
import { ScannedBatch, scannedBatch, scanLines, sharedBuffer } from '../record/scan-batch';

/**
 * The second core: a worker thread runs the scanner (lib/record/scan.ts) over batches of lines while the main
 * thread writes the rows of the batches before. The main thread frames the lines into batches in memory both
 * threads share, and takes them back in order with their scanner results, which it puts into its own parser
 * (ScannedLines); then it writes, filters, tallies and runs the rules on every line as it does alone, so files,
 * row ids, rejects and counts are the same. A line the thread did not take is parsed on the main thread; a thread
 * that fails takes no more batches, and their lines are parsed there too. Only built-in log types are scanned
 * there (the thread loads the build's generated code, not a deployment's schemas).
 */
export interface ScanAhead {
  /** Whether the thread can scan this log type's lines. */
  takes(entry: LogTypeEntry): boolean;
  /** The scanner's results for these lines, or undefined when there are none to have (scan them here). */
  scan(lines: LinesToScan): Promise<ScannedBatch | undefined>;
}

/** A batch of lines, `count` of them at [starts[r], ends[r]) in `bytes`, and room for the results. */
export interface LinesToScan {
  logType: string;
  bytes: Uint8Array;
  starts: Int32Array;
  ends: Int32Array;
  count: number;
  out: ScannedBatch;
}

interface ScanRequest extends LinesToScan {
  id: number;
}

interface ScanReply {
  id: number;
  batch: ScannedBatch | undefined;
  /** Why there is no batch: the thread failed on this one (a bug), and goes on with the next. */
  error?: string;
}

/** Lines per batch at most, and bytes (a single longer line makes a batch of its own). */
export const BATCH_LINES = 256;
export const BATCH_BYTES = 512 * 1024;

/**
 * The lines framed for the thread and not yet written: each line's bytes (copied: the framer's chunks are reused),
 * line number and span, and room for the scanner's results, all in memory the thread shares: only the values
 * that are not numbers, booleans or empty are copied back. A line too long to parse keeps the head its reject
 * shows, its length, and no span for the thread. A batch is used again once its lines are written (`clear`).
 */
export class LineBatch {
  bytes = sharedBuffer(BATCH_BYTES);
  used = 0;
  count = 0;
  readonly starts = new Int32Array(new SharedArrayBuffer(BATCH_LINES * 4));
  readonly ends = new Int32Array(new SharedArrayBuffer(BATCH_LINES * 4));
  readonly lineNos = new Float64Array(BATCH_LINES);
  /** Per line too long to parse: the head its reject shows (an empty span for the thread), and its length. */
  readonly heads: (Buffer | undefined)[] = new Array<Buffer | undefined>(BATCH_LINES).fill(undefined);
  readonly tooLong = new Float64Array(BATCH_LINES);
  /** Room for the scanner's results (the thread's answer holds the same shared arrays). */
  readonly out: ScannedBatch;

  constructor(columns: number) {
    this.out = scannedBatch(BATCH_LINES, columns);
  }

  get full(): boolean {
    return this.count === BATCH_LINES || this.used >= BATCH_BYTES;
  }

  clear(): void {
    this.used = 0;
    this.count = 0;
    this.heads.fill(undefined);
    // Room a long line took is given back: a batch holds its usual size between lines.
    if (this.bytes.length > BATCH_BYTES) this.bytes = sharedBuffer(BATCH_BYTES);
  }

  add(buf: Buffer, start: number, end: number, lineNo: number): void {
    const length = end - start;
    if (this.used + length > this.bytes.length) {
      const grown = sharedBuffer(Math.max(this.bytes.length * 2, this.used + length));
      this.bytes.copy(grown, 0, 0, this.used);
      this.bytes = grown;
    }
    buf.copy(this.bytes, this.used, start, end);
    this.next(lineNo, length);
  }

  /** A line too long to parse: its head (the framer's own copy) is kept aside. */
  addTooLong(head: Buffer, length: number, lineNo: number): void {
    this.heads[this.count] = head;
    this.tooLong[this.count] = length;
    this.next(lineNo, 0);
  }

  private next(lineNo: number, length: number): void {
    const r = this.count++;
    this.starts[r] = this.used;
    this.ends[r] = this.used += length;
    this.lineNos[r] = lineNo;
  }

  request(logType: string): LinesToScan {
    const { bytes, starts, ends, count, out } = this;
    return { logType, bytes, starts, ends, count, out };
  }
}

/** Where the thread's code is: the bundle's `scan-thread.js` beside this one, else the source, run through tsx. */
export interface ThreadCode {
  file: string;
  execArgv?: string[];
}

export function scanThreadCode(): ThreadCode | undefined {
  const bundled = join(__dirname, 'scan-thread.js');
  if (existsSync(bundled)) return { file: bundled };
  const source = join(__dirname, 'scan-thread.ts');
  return existsSync(source) ? { file: source, execArgv: ['--import', 'tsx'] } : undefined;
}

let shared: ScanThread | undefined;

/**
 * The process's scan thread, started on the first call (every input of the process uses it), or undefined when
 * this build does not carry its code.
 */
export function processScanThread(onFailure: (e: unknown) => void): ScanThread | undefined {
  if (shared !== undefined) return shared;
  const code = scanThreadCode();
  return code === undefined ? undefined : (shared = new ScanThread(code, onFailure));
}

/**
 * The thread's V8 heap: what it keeps is the log types' code and a scanner each, and what it makes per batch dies
 * young, so a small young generation (the process's flags give each isolate the main thread's) keeps the function's
 * memory near what it is without the thread. Past the old generation's bound the thread stops, and the main thread
 * parses the lines.
 */
const THREAD_HEAP = { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 64 };

/** The main thread's side: a worker, idle (not keeping the process alive) between batches. */
export class ScanThread implements ScanAhead {
  private worker: Worker | undefined;
  private next = 0;
  private readonly pending = new Map<number, (batch: ScannedBatch | undefined) => void>();

  constructor(
    code: ThreadCode,
    private readonly onFailure: (e: unknown) => void = () => {},
  ) {
    const worker = (this.worker = new Worker(code.file, { execArgv: code.execArgv ?? [], resourceLimits: THREAD_HEAP }));
    worker.on('message', (m: ScanReply) => {
      const done = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (this.pending.size === 0) worker.unref();
      done?.(m.batch);
      if (m.error !== undefined) this.failed(new Error(`the scan thread failed on a batch, parsed on the main thread instead: ${m.error}`));
    });
    worker.on('error', (e) => this.stopped(e));
    worker.on('exit', (code) => this.stopped(new Error(`the scan thread exited with code ${code}`)));
    // After the listeners, which would keep it referenced: idle, it does not keep the process alive.
    worker.unref();
  }

  takes(entry: LogTypeEntry): boolean {
    return this.worker !== undefined && entry.plan.scanned !== undefined && builtInRegistry().get(entry.schema.logType) === entry;
  }

  scan(lines: LinesToScan): Promise<ScannedBatch | undefined> {
    const worker = this.worker;
    if (worker === undefined) return Promise.resolve(undefined);
    const id = this.next++;
    return new Promise((resolve) => {
      if (this.pending.size === 0) worker.ref();
      this.pending.set(id, resolve);
      const request: ScanRequest = { id, ...lines };
      worker.postMessage(request);
    });
  }

  /** Stops the thread; batches sent and not answered are answered with nothing. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.stopped(undefined);
    await worker?.terminate();
  }

  private stopped(e: unknown): void {
    if (this.worker === undefined) return;
    this.worker = undefined;
    // Answered first: whatever the report of the failure does, no input waits on this thread.
    for (const done of this.pending.values()) done(undefined);
    this.pending.clear();
    if (e !== undefined) this.failed(e);
  }

  private failed(e: unknown): void {
    try {
      this.onFailure(e);
    } catch {
      // A report that fails changes nothing: the lines are parsed on the main thread.
    }
  }
}

/** The worker's side (lib/pipeline/scan-thread.ts): answers every request, with nothing where scanning failed. */
export function serveScans(port: { on(event: 'message', f: (m: ScanRequest) => void): void; postMessage(m: ScanReply): void }): void {
  const parsers = new Map<string, LineParser>();
  port.on('message', (m) => {
    let batch: ScannedBatch | undefined;
    let error: string | undefined;
    try {
      let parser = parsers.get(m.logType);
      if (parser === undefined) parsers.set(m.logType, (parser = new LineParser(builtInRegistry().require(m.logType))));
      scanLines(parser, m.bytes, m.starts, m.ends, m.count, m.out);
      batch = m.out;
    } catch (e) {
      batch = undefined;
      error = messageOf(e);
    }
    // The arrays are shared: only the values besides them are copied back.
    try {
      port.postMessage({ id: m.id, batch, ...(error !== undefined ? { error } : {}) });
    } catch (e) {
      // A value that cannot be copied: the batch goes without results, and the thread on.
      port.postMessage({ id: m.id, batch: undefined, error: messageOf(e) });
    }
  });
}
