import { DecodedStream, decompress, DecompressError } from '../decode/decompress';
import { replay } from '../decode/replay';
import type { LogTypeEntry, LogTypeFit, SchemaRegistry } from '../record/registry';
import type { RouteMatch, Router } from '../route/router';

/**
 * Telling an input's log type from its records, for an input whose key or path names no dataset and matches no
 * route: the first lines' field names are scored against every schema (SchemaRegistry.fits) and the best log type
 * is taken only when no other comes close. Logpush lines carry a job's fixed field list, so a few lines decide.
 */

/** Lines read to decide, at most, and decoded bytes looked at, at most. */
export const DETECT_LINES = 20;
export const DETECT_BYTES = 256 * 1024;
/** The best log type must name this share of the fields at least... */
export const MIN_SCORE = 0.6;
/** ...and lead the next one by this much: an event time alone fits many schemas, and proves nothing. */
export const MIN_LEAD = 0.15;

export type LogTypeChoice = { entry: LogTypeEntry; score: number } | { entry: undefined; why: string };

/** The log type the records' field names point to, or why none may be chosen. */
export function chooseLogType(fits: LogTypeFit[], records: number): LogTypeChoice {
  if (records === 0) return { entry: undefined, why: 'no JSON object among the first lines' };
  const [best, next] = fits;
  if (!best || best.score < MIN_SCORE) {
    return { entry: undefined, why: `no log type names most of the fields${best ? ` (best ${best.entry.schema.logType}, ${pct(best.score)})` : ''}` };
  }
  if (next && best.score - next.score < MIN_LEAD) {
    return {
      entry: undefined,
      why: `ambiguous: ${best.entry.schema.logType} (${pct(best.score)}) and ${next.entry.schema.logType} (${pct(next.score)}) fit alike`,
    };
  }
  return { entry: best.entry, score: best.score };
}

const pct = (x: number): string => `${Math.round(x * 100)}% of the fields`;

/**
 * Reads the start of a decoded input, decides its log type, and gives back a stream that yields the same bytes
 * from the start: the input is read once. A failure of the input while looking (a corrupt start) ends the look;
 * the returned stream yields what was read and then throws it, for the core to handle as it handles any.
 */
export async function detectLogType(decoded: DecodedStream, registry: SchemaRegistry): Promise<{ choice: LogTypeChoice; stream: DecodedStream }> {
  const it = decoded.chunks[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let bytes = 0;
  let lines = 0;
  let ended = false;
  let failure: { error: unknown } | undefined;
  try {
    while (bytes < DETECT_BYTES && lines < DETECT_LINES) {
      const r = await it.next();
      if (r.done) {
        ended = true;
        break;
      }
      head.push(r.value);
      bytes += r.value.length;
      for (const b of r.value) if (b === 0x0a) lines++;
    }
  } catch (error) {
    failure = { error };
  }
  const records = recordKeys(Buffer.concat(head).toString('utf8'), ended);
  const choice = chooseLogType(registry.fits(records), records.length);
  const stream: DecodedStream = { ...decoded, chunks: replay(head, it, ended, failure) };
  return { choice, stream };
}

/** The field names of the complete lines of `text` that are JSON objects (the first DETECT_LINES of them). */
function recordKeys(text: string, ended: boolean): string[][] {
  const lines = text.split('\n');
  // The last piece is a whole line only at the end of the input.
  if (!ended) lines.pop();
  const out: string[][] = [];
  for (const line of lines.slice(0, DETECT_LINES)) {
    if (line.trim() === '') continue;
    try {
      const v: unknown = JSON.parse(line);
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) out.push(Object.keys(v));
    } catch {
      // Not a record: it counts for nothing here, and the core rejects it with its reason.
    }
  }
  return out;
}

/**
 * The route of an input that no key or path routed: its log type told from its first records, or why not (the
 * input is then released unread). The route says how it was chosen, for the summary line.
 */
export async function detectRoute(
  body: AsyncIterable<Buffer> | Iterable<Buffer>,
  router: Router,
  maxDecompressedBytes: number,
): Promise<{ route: RouteMatch; stream: DecodedStream } | { route: undefined; why: string }> {
  let decoded: DecodedStream;
  try {
    decoded = await decompress(body, { maxBytes: maxDecompressedBytes });
  } catch (e) {
    // Nothing readable to look at (a compression cflogs does not read): it routes nowhere.
    if (e instanceof DecompressError) return { route: undefined, why: e.message };
    throw e;
  }
  const { choice, stream } = await detectLogType(decoded, router.registry);
  const route = choice.entry && router.byName(choice.entry.schema.logType);
  if (!choice.entry || !route) {
    // Started and stopped, so the stream's cleanup releases the source (a generator never started has none to run).
    for await (const _ of stream.chunks) break;
    return { route: undefined, why: choice.entry ? 'no route' : choice.why };
  }
  return { route: { ...route, via: `detected from its field names (${pct(choice.score)})` }, stream };
}
