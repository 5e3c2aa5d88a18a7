/**
 * S3 "object created" notifications in every wrapping AWS delivers them: direct S3 events, S3 -> SQS,
 * S3 -> SNS -> SQS (raw or enveloped), SNS -> Lambda, and EventBridge "Object Created" (direct or via SQS).
 */

export interface ObjectRef {
  bucket: string;
  /** Decoded key (notifications URL-encode keys, with '+' for space). */
  key: string;
  size?: number;
  versionId?: string;
  eTag?: string;
}

export type SkipReason = 'folder' | 'empty' | 'ownership_challenge';

/**
 * How S3 puts a key in a notification: form-encoded, a space is '+', reserved characters are %XX (so a literal '+'
 * is %2B), '/' is kept. For events we make ourselves (backfill, local runs); `decodeS3Key` undoes it.
 */
export function encodeS3EventKey(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');
}

/** An object to announce in a notification; `eTag` may be quoted, as listings and PutObject return it. */
export interface CreatedObject {
  bucket: string;
  key: string;
  size: number;
  eTag?: string;
}

/** Who announces objects, and when. */
export interface Announcer {
  region: string;
  eventTime: string;
  eventName: string;
  principalId: string;
  /** The notification configuration's id: marks who made the event, for anyone reading a queue. */
  configurationId: string;
}

/**
 * One ObjectCreated record of an S3 event notification, shaped as S3 sends it (to Lambda, SQS or SNS), for events
 * we make ourselves: a backfill of existing objects, local runs and tests.
 */
export function s3CreatedRecord(o: CreatedObject, by: Announcer) {
  const eTag = o.eTag?.replace(/"/g, '');
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: by.region,
    eventTime: by.eventTime,
    eventName: by.eventName,
    userIdentity: { principalId: by.principalId },
    requestParameters: { sourceIPAddress: '127.0.0.1' },
    responseElements: {},
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: by.configurationId,
      bucket: { name: o.bucket, ownerIdentity: { principalId: by.principalId }, arn: `arn:aws:s3:::${o.bucket}` },
      object: { key: encodeS3EventKey(o.key), size: o.size, ...(eTag ? { eTag } : {}) },
    },
  };
}

/** Keys in notifications are form-encoded: `+` is a space, then percent-decoding. */
export function decodeS3Key(key: string): string {
  const plus = key.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(plus);
  } catch {
    return plus; // a malformed escape: use the key as given rather than lose the object
  }
}

/** Objects that are never parsed and never retried. */
export function skipReason(ref: ObjectRef): SkipReason | undefined {
  if (ref.key.endsWith('/')) return 'folder';
  if (ref.size === 0) return 'empty';
  const name = ref.key.slice(ref.key.lastIndexOf('/') + 1);
  if (/^ownership-challenge.*\.txt$/.test(name)) return 'ownership_challenge';
  return undefined;
}

/** Why a notification could not be read: a short code for logs and metrics. */
export type UnreadableReason = 'not_json' | 'not_an_object' | 'unknown_shape' | 'no_records' | 'no_object';

/**
 * What a notification says. `refs` are the objects created; `tests` counts S3 test events (`s3:TestEvent`, sent
 * when a notification configuration is saved) and `ignored` counts records of other S3 events (ObjectRemoved, ...):
 * both are understood and carry nothing to ingest. An unreadable notification has a reason and a message that
 * describe its shape, never its content.
 */
export type Notification =
  | { ok: true; refs: ObjectRef[]; tests: number; ignored: number }
  | { ok: false; reason: UnreadableReason; message: string };

const UNREADABLE: Record<UnreadableReason, string> = {
  not_json: 'the message is not JSON',
  not_an_object: 'the message is not a JSON object',
  unknown_shape: 'the message is not an S3 event notification, an SNS notification or an EventBridge event',
  no_records: 'the S3 event has no records',
  no_object: 'an ObjectCreated record names no bucket and key',
};

function unreadable(reason: UnreadableReason, where = ''): Notification {
  return { ok: false, reason, message: UNREADABLE[reason] + where };
}

/** A notification as text (an SQS message body, an SNS Message). */
export function readNotificationText(text: string): Notification {
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch {
    return unreadable('not_json'); // JSON.parse's message quotes the text: never passed on
  }
  return readNotification(payload);
}

/**
 * A notification in any shape AWS delivers one: an S3 event (direct, or the body of an SQS message), an SNS
 * envelope of one (raw delivery off, or SNS -> Lambda), EventBridge "Object Created" (direct or via SQS), an S3
 * test event. Anything else is unreadable; so is a payload in which any part is, since what it was meant to carry
 * cannot be known.
 */
export function readNotification(payload: unknown): Notification {
  if (!isRecord(payload)) return unreadable('not_an_object');
  if (payload.Event === 's3:TestEvent') return { ok: true, refs: [], tests: 1, ignored: 0 };
  // SNS envelope inside SQS (raw message delivery off).
  if (payload.Type === 'Notification' && typeof payload.Message === 'string') {
    return within(readNotificationText(payload.Message), ' (in the SNS Message)');
  }
  // EventBridge.
  if (typeof payload['detail-type'] === 'string' && 'detail' in payload) {
    if (payload['detail-type'] === 'Object Created') {
      const ref = isRecord(payload.detail) ? fromEventBridge(payload.detail) : undefined;
      return ref ? { ok: true, refs: [ref], tests: 0, ignored: 0 } : unreadable('no_object', ' (EventBridge Object Created)');
    }
    if (payload.source === 'aws.s3') return { ok: true, refs: [], tests: 0, ignored: 1 }; // Object Deleted, ...
    return unreadable('unknown_shape');
  }
  if (!Array.isArray(payload.Records)) return unreadable('unknown_shape');
  if (payload.Records.length === 0) return unreadable('no_records');
  const out = { ok: true as const, refs: [] as ObjectRef[], tests: 0, ignored: 0 };
  for (const [i, r] of payload.Records.entries()) {
    let part: Notification;
    if (!isRecord(r)) part = unreadable('unknown_shape');
    else if (isRecord(r.s3)) {
      const eventName = typeof r.eventName === 'string' ? r.eventName : 'ObjectCreated:';
      if (!eventName.startsWith('ObjectCreated:')) part = { ok: true, refs: [], tests: 0, ignored: 1 };
      else {
        const ref = fromS3Entity(r.s3);
        part = ref ? { ok: true, refs: [ref], tests: 0, ignored: 0 } : unreadable('no_object');
      }
    } else if (isRecord(r.Sns) && typeof r.Sns.Message === 'string') part = readNotificationText(r.Sns.Message);
    else if (typeof r.body === 'string') part = readNotificationText(r.body);
    else part = unreadable('unknown_shape');
    if (!part.ok) return within(part, ` (record ${i + 1} of ${payload.Records.length})`);
    out.refs.push(...part.refs);
    out.tests += part.tests;
    out.ignored += part.ignored;
  }
  return out;
}

function within(n: Notification, where: string): Notification {
  return n.ok ? n : { ...n, message: n.message + where };
}

/** Object refs in any payload shape (an SQS message body parsed as JSON, or a Lambda event); none when unreadable. */
export function objectRefs(payload: unknown): ObjectRef[] {
  const n = readNotification(payload);
  return n.ok ? n.refs : [];
}

function fromS3Entity(s3: Record<string, unknown>): ObjectRef | undefined {
  const bucket = isRecord(s3.bucket) ? s3.bucket.name : undefined;
  const obj = isRecord(s3.object) ? s3.object : undefined;
  if (typeof bucket !== 'string' || !obj || typeof obj.key !== 'string') return undefined;
  return {
    bucket,
    key: decodeS3Key(obj.key),
    ...(typeof obj.size === 'number' ? { size: obj.size } : {}),
    ...(typeof obj.versionId === 'string' && obj.versionId !== '' ? { versionId: obj.versionId } : {}),
    ...(typeof obj.eTag === 'string' ? { eTag: obj.eTag } : {}),
  };
}

function fromEventBridge(detail: Record<string, unknown>): ObjectRef | undefined {
  const bucket = isRecord(detail.bucket) ? detail.bucket.name : undefined;
  const obj = isRecord(detail.object) ? detail.object : undefined;
  if (typeof bucket !== 'string' || !obj || typeof obj.key !== 'string') return undefined;
  return {
    bucket,
    // EventBridge keys are URL-encoded the same way as S3 notifications.
    key: decodeS3Key(obj.key),
    ...(typeof obj.size === 'number' ? { size: obj.size } : {}),
    ...(typeof obj['version-id'] === 'string' ? { versionId: obj['version-id'] } : {}),
    ...(typeof obj.etag === 'string' ? { eTag: obj.etag } : {}),
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
