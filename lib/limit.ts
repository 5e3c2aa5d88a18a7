/** Bounded concurrency (the detection state, the alerts stage): work in flight never grows with the number of items. */

/** At most `limit` tasks run at once; the others wait their turn, in order. */
export class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active < this.limit) this.active++;
    // The slot of a task that ends passes straight to the next waiting one (active stays the same).
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

/** Runs `f` on each item, `limit` at a time; every item is attempted, then the first failure is thrown. */
export async function eachLimited<T>(items: readonly T[], limit: number, f: (item: T) => Promise<void>): Promise<void> {
  const failures: unknown[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      try {
        await f(item);
      } catch (e) {
        failures.push(e);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failures.length > 0) throw failures[0];
}

/** Waits for every promise, then throws the first failure: none is left running, or unobserved, behind a throw. */
export async function settle(jobs: readonly Promise<unknown>[]): Promise<void> {
  const out = await Promise.allSettled(jobs);
  const failed = out.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failed) throw failed.reason;
}
