import { once } from 'node:events';
import type { Writable } from 'node:stream';

/**
 * Writes to one file's stream and remembers, once the stream asks for it, the wait for its 'drain': raced with the
 * store's result, so an upload that died cannot leave the reader waiting. Both lake file formats write through one.
 */
export class Backpressure {
  private drain: Promise<unknown> | undefined;

  constructor(
    private readonly stream: Writable,
    private readonly result: Promise<void>,
  ) {}

  write(buf: Buffer, done?: (err: Error | null | undefined) => void): void {
    const ok = this.stream.write(buf, done);
    if (!ok && this.drain === undefined) {
      this.drain = once(this.stream, 'drain').finally(() => {
        this.drain = undefined;
      });
    }
  }

  /** The wait, while the stream has more than it wants; else undefined. */
  wait(): Promise<unknown> | undefined {
    return this.drain && Promise.race([this.drain, this.result]);
  }
}
