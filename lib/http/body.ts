import { decompress } from '../decode/decompress';

/** The decoded bodies Logpush sends to check a new destination ("test" or a small JSON object, sources differ). */
const VALIDATION_BODIES = new Set(['test', '{"content":"test"}', '{"content":"tests"}']);
/** A validation body is tiny: anything that decodes to more than this is a batch. */
const VALIDATION_MAX_BYTES = 64;

export type BodyKind =
  | { kind: 'validation' }
  | { kind: 'empty' }
  | { kind: 'not_ndjson'; message: string }
  | { kind: 'ndjson' };

/**
 * Looks at the start of the decoded body (gzip sniffed by magic bytes, decompressed as a stream, never more than
 * needed) and says what it is: Logpush's validation request, nothing, something that is not NDJSON, or a batch.
 * Throws DecompressError (from the core) for a corrupt gzip head or a body over `maxDecompressedBytes`.
 */
export async function classifyBody(body: Buffer, maxDecompressedBytes: number): Promise<BodyKind> {
  const decoded = await decompress([body], { maxBytes: maxDecompressedBytes });
  const head: Buffer[] = [];
  let headBytes = 0;
  let first: number | undefined;
  let offset = 0;
  for await (const chunk of decoded.chunks) {
    if (headBytes <= VALIDATION_MAX_BYTES) {
      head.push(chunk.subarray(0, VALIDATION_MAX_BYTES + 1 - headBytes));
      headBytes += Math.min(chunk.length, VALIDATION_MAX_BYTES + 1 - headBytes);
    }
    if (first === undefined) first = firstSignificantByte(chunk, offset);
    offset += chunk.length;
    // Enough seen to decide; leaving the loop ends decompression.
    if (first !== undefined && headBytes > VALIDATION_MAX_BYTES) break;
  }
  if (headBytes <= VALIDATION_MAX_BYTES && VALIDATION_BODIES.has(Buffer.concat(head).toString('utf8').trim())) {
    return { kind: 'validation' };
  }
  if (first === undefined) return { kind: 'empty' };
  if (first === 0x7b /* { */) return { kind: 'ndjson' };
  if (first === 0x5b /* [ */) {
    return {
      kind: 'not_ndjson',
      message:
        'body is a JSON array, not NDJSON: the Logpush job batches records (output_options batch_prefix / ' +
        'record_delimiter); use the default output_options, one JSON object per line',
    };
  }
  return { kind: 'not_ndjson', message: 'body is not NDJSON: expected one JSON object per line' };
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
