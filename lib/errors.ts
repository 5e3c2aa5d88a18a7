/**
 * The one error hierarchy of cflogs: every error cflogs throws on purpose is a CflogsError. Per-line problems are
 * not errors (they are reject values); these are for what fails a whole object, a request or the configuration.
 * Two members live beside the code that throws them: DecompressError (lib/decode/decompress.ts), which carries a
 * compressed offset and has no object yet (the pipeline wraps it as a DecodeError or salvages), and UsageError
 * (lib/cli/usage.ts), a wrong command line.
 */

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
}

/** The environment or a config file is wrong: fail at cold start, loudly. */
export class ConfigError extends CflogsError {
  override readonly name = 'ConfigError';
}

/** A schema file is malformed (build time, or a custom schema at load). */
export class SchemaError extends CflogsError {
  override readonly name = 'SchemaError';
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

/** The input bytes cannot be decoded (corrupt or truncated gzip or zstd, decompressed size over the limit). */
export class DecodeError extends ObjectError {
  override readonly name = 'DecodeError';
}

/** Reading the input failed (S3 GetObject, a stream reset): retryable. */
export class SourceError extends ObjectError {
  override readonly name = 'SourceError';
}

/** Writing the output failed: retryable, the attempt's partial uploads are aborted. */
export class SinkError extends ObjectError {
  override readonly name = 'SinkError';
}

/** Counts did not reconcile: a bug, never the input's fault. */
export class InvariantError extends ObjectError {
  override readonly name = 'InvariantError';
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
