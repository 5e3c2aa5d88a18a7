/**
 * The one error hierarchy of cflogs: every error cflogs throws on purpose is a CflogsError. Per-line problems are
 * not errors (they are reject values); these are for what fails a whole object, a request or the configuration.
 * Some members live beside the code that throws them: DecompressError (lib/decode/decompress.ts), which carries a
 * compressed offset and has no object yet (the pipeline wraps it as a DecodeError or salvages), ZstdFrameError
 * (lib/decode/zstd-frames.ts), which decompress() turns into a DecompressError, UsageError (lib/cli/usage.ts), a
 * wrong command line, and the detection and alert errors (StateStoreError, GroupKeyCollision, AlertPublishError,
 * AlertClaimedError, SnsEntryError).
 *
 * Every CflogsError says what the caller may do with the input that failed (`disposition`); the S3 and HTTP
 * handlers act on that, never on the class, so a new error class needs no handler change. docs/errors.md has the
 * table of failures and what each path does with them.
 */

/** HTTP statuses a client-fault disposition may answer with. */
export type ClientStatus = 400 | 413;

/**
 * What the caller may do with the input whose processing failed:
 * - `retry`: the failure is transient (I/O, throttling, contention); the same input may succeed later. S3: the
 *   message is failed and redelivered; HTTP: 500, so Logpush retries.
 * - `dead-letter`: no retry of this input can succeed and it is not the sender's data's fault (a message this
 *   function cannot read, a configuration error, a bug); it must reach a person. S3: failed, so that it reaches the
 *   dead-letter queue and its alarm; HTTP: 500 (the fault is the server's, not the client's).
 * - `client`: the input itself is wrong and only its sender can fix it. HTTP: `status`; S3 (no sender to answer):
 *   failed, so that it reaches the dead-letter queue.
 * - `salvage`: the input is corrupt, but its readable part can be kept. S3: failed and retried (a retry may read
 *   it whole) until the receive count reaches CFLOGS_SALVAGE_AFTER_RECEIVES, then its readable rows are kept;
 *   HTTP: 400 (a retry sends the same bytes).
 * - `skip`: there is nothing to process (the object was deleted since it was announced): acknowledged with a
 *   warning.
 */
export type Disposition =
  | { readonly kind: 'retry' }
  | { readonly kind: 'dead-letter' }
  | { readonly kind: 'client'; readonly status: ClientStatus }
  | { readonly kind: 'salvage' }
  | { readonly kind: 'skip'; readonly reason: SkipReason };

/** Why a failed input has nothing to process. */
export type SkipReason = 'missing';

export const Dispositions = {
  retry: Object.freeze({ kind: 'retry' }) as Disposition,
  deadLetter: Object.freeze({ kind: 'dead-letter' }) as Disposition,
  salvage: Object.freeze({ kind: 'salvage' }) as Disposition,
  skip: (reason: SkipReason): Disposition => Object.freeze({ kind: 'skip', reason }),
  client: (status: ClientStatus): Disposition => Object.freeze({ kind: 'client', status }),
} as const;

/**
 * The disposition of anything thrown. Values that are not CflogsErrors come from a dependency (an SDK, the
 * runtime) failing unexpectedly: retried, since retrying keeps the input and the dead-letter queue catches what
 * never succeeds.
 */
export function dispositionOf(e: unknown): Disposition {
  return e instanceof CflogsError ? e.disposition : Dispositions.retry;
}

/** The HTTP status for a failed request: the client's 4xx for its own input, else 500 so that Logpush retries. */
export function httpStatusOf(d: Disposition): number {
  switch (d.kind) {
    case 'client':
      return d.status;
    case 'salvage':
      return 400;
    default:
      return 500;
  }
}

export interface ObjectLocation {
  /** For inputs that are not S3 objects: `http:<request id>`, a file path. */
  source?: string;
  bucket?: string;
  key?: string;
  /** Position reached in the input when the failure happened, for a person to find it. */
  line?: number;
  byteOffset?: number;
}

export class CflogsError extends Error {
  override readonly name: string = 'CflogsError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
  /** What the caller may do with the input; subclasses say. A plain CflogsError is taken as transient. */
  get disposition(): Disposition {
    return Dispositions.retry;
  }
}

/** The environment or a config file is wrong: fail at cold start, loudly. */
export class ConfigError extends CflogsError {
  override readonly name = 'ConfigError';
  override get disposition(): Disposition {
    return Dispositions.deadLetter;
  }
}

/** A schema file is malformed (build time, or a custom schema at load). */
export class SchemaError extends CflogsError {
  override readonly name = 'SchemaError';
  override get disposition(): Disposition {
    return Dispositions.deadLetter;
  }
}

/**
 * A notification (an SQS message body, or a Lambda event) names no object this function can read: not JSON, or
 * JSON that is not an S3 event, an SNS envelope of one or an EventBridge "Object Created" event. No retry can fix
 * it: it is failed so that it reaches the dead-letter queue and its alarm, where a person can look at it. `reason`
 * is a short code; the message describes the shape, never the content (a body may hold data).
 */
export class NotificationError extends CflogsError {
  override readonly name = 'NotificationError';
  readonly reason: string;
  constructor(message: string, reason: string, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
  }
  override get disposition(): Disposition {
    return Dispositions.deadLetter;
  }
}

/** Failure tied to one input object; it carries where, so logs and DLQ messages name the object. */
export class ObjectError extends CflogsError {
  override readonly name: string = 'ObjectError';
  readonly location: ObjectLocation;
  constructor(message: string, location: ObjectLocation, options?: { cause?: unknown }) {
    super(`${message} (${describeLocation(location)})`, options);
    this.location = location;
  }
}

/**
 * The input bytes cannot be decoded (corrupt or truncated gzip or zstd, decompressed size over the limit):
 * salvageable, unless its cause says nothing of the input can be read (an unsupported compression), which only
 * the sender can fix.
 */
export class DecodeError extends ObjectError {
  override readonly name = 'DecodeError';
  override get disposition(): Disposition {
    const c = this.cause;
    return c instanceof CflogsError && c.disposition.kind === 'client' ? c.disposition : Dispositions.salvage;
  }
}

/** Reading the input failed (S3 GetObject, a stream reset): retried. */
export class SourceError extends ObjectError {
  override readonly name = 'SourceError';
}

/** Writing the output failed: retried, the attempt's partial uploads are aborted. */
export class SinkError extends ObjectError {
  override readonly name = 'SinkError';
}

/** Counts did not reconcile: a bug, never the input's fault, and no retry fixes it. */
export class InvariantError extends ObjectError {
  override readonly name = 'InvariantError';
  override get disposition(): Disposition {
    return Dispositions.deadLetter;
  }
}

/** The object was deleted between its announcement and its read (S3 answered 404): nothing to do. */
export class MissingObjectError extends ObjectError {
  override readonly name = 'MissingObjectError';
  override get disposition(): Disposition {
    return Dispositions.skip('missing');
  }
}

export function describeLocation(loc: ObjectLocation): string {
  const parts: string[] = [];
  if (loc.bucket !== undefined) parts.push(`s3://${loc.bucket}/${loc.key ?? ''}`);
  else if (loc.key !== undefined) parts.push(loc.key);
  else if (loc.source !== undefined) parts.push(loc.source);
  if (loc.line !== undefined) parts.push(`line ${loc.line}`);
  if (loc.byteOffset !== undefined) parts.push(`byte ${loc.byteOffset}`);
  return parts.join(', ') || 'unknown input';
}

/** An error's message, or the thrown value as text (for wrapping errors whose `cause` keeps the original). */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
