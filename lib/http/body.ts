import { decompress, DecodedStream } from '../decode/decompress';
import { replay } from '../decode/replay';

/** The decoded bodies Logpush sends to check a new destination ("test" or a small JSON object, sources differ). */
const VALIDATION_BODIES = new Set(['test', '{"content":"test"}', '{"content":"tests"}']);
/** A validation body is tiny: anything that decodes to more than this is a batch. */
const VALIDATION_MAX_BYTES = 64;
/**
 * Decoded bytes kept while looking for the first one that is not whitespace, to be processed after. A body that
 * starts with more whitespace than this is looked at without keeping it, and decompressed a second time if it is
 * a batch after all: memory stays bounded whatever the body.
 */
const KEEP_MAX_BYTES = 1024 * 1024;

export type BodyKind =
  | { kind: 'validation' }
  | { kind: 'empty' }
  | { kind: 'not_ndjson'; message: string }
  | { kind: 'ndjson'; decoded: DecodedStream };

/**
 * Decompresses the body (gzip or zstd, sniffed by magic bytes, as a stream) and says from its start what it is:
 * Logpush's validation request, nothing, something that is not NDJSON, or a batch. A batch comes back with its
 * decoded stream, the bytes looked at included, for the core to process: the body is decompressed once. For the
 * other kinds decompression stops as soon as they are known. Throws DecompressError (from the core) for a corrupt
 * compressed head or a body over `maxDecompressedBytes`.
 */
export async function classifyBody(body: Buffer, maxDecompressedBytes: number): Promise<BodyKind> {
  const decoded = await decompress([body], { maxBytes: maxDecompressedBytes });
  const it = decoded.chunks[Symbol.asyncIterator]();
  let kept: Buffer[] | undefined = [];
  let keptBytes = 0;
  const head: Buffer[] = [];
  let headBytes = 0;
  let first: number | undefined;
  let offset = 0;
  let ended = false;
  while (first === undefined || headBytes <= VALIDATION_MAX_BYTES) {
    const r = await it.next();
    if (r.done) {
      ended = true;
      break;
    }
    const chunk = r.value;
    if (headBytes <= VALIDATION_MAX_BYTES) {
      head.push(chunk.subarray(0, VALIDATION_MAX_BYTES + 1 - headBytes));
      headBytes += Math.min(chunk.length, VALIDATION_MAX_BYTES + 1 - headBytes);
    }
    if (first === undefined) first = firstSignificantByte(chunk, offset);
    offset += chunk.length;
    if (kept) {
      kept.push(chunk);
      keptBytes += chunk.length;
      if (keptBytes > KEEP_MAX_BYTES && first === undefined) kept = undefined;
    }
  }
  let kind: Exclude<BodyKind, { kind: 'ndjson' }> | undefined;
  if (headBytes <= VALIDATION_MAX_BYTES && VALIDATION_BODIES.has(Buffer.concat(head).toString('utf8').trim())) {
    kind = { kind: 'validation' };
  } else if (first === undefined) kind = { kind: 'empty' };
  else if (first === 0x5b /* [ */) {
    kind = {
      kind: 'not_ndjson',
      message:
        'body is a JSON array, not NDJSON: the Logpush job batches records (output_options batch_prefix / ' +
        'record_delimiter); use the default output_options, one JSON object per line',
    };
  } else if (first !== 0x7b /* { */) kind = { kind: 'not_ndjson', message: 'body is not NDJSON: expected one JSON object per line' };
  if (kind) {
    // Known: stop decompressing.
    if (!ended) await it.return?.();
    return kind;
  }
  if (!kept) {
    if (!ended) await it.return?.();
    return { kind: 'ndjson', decoded: await decompress([body], { maxBytes: maxDecompressedBytes }) };
  }
  return { kind: 'ndjson', decoded: { ...decoded, chunks: replay(kept, it, ended) } };
}

/** The first byte that is not whitespace or a UTF-8 byte-order mark at the very start. */
function firstSignificantByte(chunk: Buffer, offset: number): number | undefined {
  let i = 0;
  if (offset === 0 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) i = 3;
  for (; i < chunk.length; i++) {
    const c = chunk[i] as number;
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return c;
  }
  return undefined;
}
