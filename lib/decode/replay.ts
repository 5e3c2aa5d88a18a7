/**
 * The chunks already read from a stream, then the rest of the same stream: for a stage that looks at the start of
 * an input to decide something (is it a batch, which log type) and hands it on whole, read once. `failure`: the
 * error the look ended on, thrown after the chunks read before it. Stopping early releases the source.
 */
export async function* replay(head: Buffer[], rest: AsyncIterator<Buffer>, ended: boolean, failure?: { error: unknown }): AsyncGenerator<Buffer> {
  let done = ended || failure !== undefined;
  try {
    yield* head;
    if (failure) throw failure.error;
    while (!done) {
      const r = await rest.next();
      if (r.done) done = true;
      else yield r.value;
    }
  } finally {
    if (!done) await rest.return?.();
  }
}
