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

/** Object refs in any payload shape (an SQS message body parsed as JSON, or a Lambda event). */
export function objectRefs(payload: unknown): ObjectRef[] {
  if (!isRecord(payload)) return [];
  // SNS envelope inside SQS (raw message delivery off).
  if (payload.Type === 'Notification' && typeof payload.Message === 'string') return objectRefs(parseJson(payload.Message));
  // EventBridge.
  if (payload['detail-type'] === 'Object Created' && isRecord(payload.detail)) return fromEventBridge(payload.detail);
  if (Array.isArray(payload.Records)) {
    const refs: ObjectRef[] = [];
    for (const r of payload.Records) {
      if (!isRecord(r)) continue;
      if (isRecord(r.s3)) {
        const eventName = typeof r.eventName === 'string' ? r.eventName : 'ObjectCreated:';
        if (!eventName.startsWith('ObjectCreated:')) continue;
        const ref = fromS3Entity(r.s3);
        if (ref) refs.push(ref);
      } else if (isRecord(r.Sns) && typeof r.Sns.Message === 'string') {
        refs.push(...objectRefs(parseJson(r.Sns.Message)));
      } else if (typeof r.body === 'string') {
        refs.push(...objectRefs(parseJson(r.body)));
      }
    }
    return refs;
  }
  return []; // s3:TestEvent and anything else carry no objects
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

function fromEventBridge(detail: Record<string, unknown>): ObjectRef[] {
  const bucket = isRecord(detail.bucket) ? detail.bucket.name : undefined;
  const obj = isRecord(detail.object) ? detail.object : undefined;
  if (typeof bucket !== 'string' || !obj || typeof obj.key !== 'string') return [];
  return [
    {
      bucket,
      // EventBridge keys are URL-encoded the same way as S3 notifications.
      key: decodeS3Key(obj.key),
      ...(typeof obj.size === 'number' ? { size: obj.size } : {}),
      ...(typeof obj['version-id'] === 'string' ? { versionId: obj['version-id'] } : {}),
      ...(typeof obj.etag === 'string' ? { eTag: obj.etag } : {}),
    },
  ];
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
