import { decodeS3Key, encodeS3EventKey, objectRefs, readNotification, readNotificationText, skipReason } from '../../lib/s3/events';

const KEY = 'logs/http_requests/20221115/20221115T000000Z_20221115T000030Z_9af500e2.log.gz';

function s3Record(key: string, eventName = 'ObjectCreated:CompleteMultipartUpload', extra: Record<string, unknown> = {}) {
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    eventName,
    s3: {
      s3SchemaVersion: '1.0',
      bucket: { name: 'cf-logs', arn: 'arn:aws:s3:::cf-logs' },
      object: { key, size: 1234, eTag: '0123456789abcdef', sequencer: '0A1B2C3D4E5F678901', ...extra },
    },
  };
}

const direct = (key = KEY, eventName?: string) => ({ Records: [s3Record(key, eventName)] });

describe('objectRefs', () => {
  test('a direct S3 event yields bucket, decoded key, size and ETag', () => {
    expect(objectRefs(direct())).toEqual([{ bucket: 'cf-logs', key: KEY, size: 1234, eTag: '0123456789abcdef' }]);
  });

  test('the version id is kept when present and non-empty', () => {
    const withVersion = { Records: [s3Record(KEY, undefined, { versionId: 'v123' }), s3Record(KEY + '2', undefined, { versionId: '' })] };
    const refs = objectRefs(withVersion);
    expect(refs[0]?.versionId).toBe('v123');
    expect(refs[1]).not.toHaveProperty('versionId');
  });

  test('several records in one event give several refs, in order', () => {
    const ev = { Records: [s3Record('a/1.gz'), s3Record('a/2.gz', 'ObjectCreated:Put')] };
    expect(objectRefs(ev).map((r) => r.key)).toEqual(['a/1.gz', 'a/2.gz']);
  });

  test('events other than ObjectCreated are ignored', () => {
    const ev = { Records: [s3Record('a/1.gz', 'ObjectRemoved:Delete'), s3Record('a/2.gz', 'ObjectCreated:Copy'), s3Record('a/3.gz', 'ObjectRestore:Completed')] };
    expect(objectRefs(ev).map((r) => r.key)).toEqual(['a/2.gz']);
  });

  test('an S3 event wrapped in SQS (body is the S3 event as JSON)', () => {
    const sqs = { Records: [{ messageId: 'm1', eventSource: 'aws:sqs', body: JSON.stringify(direct()) }] };
    expect(objectRefs(sqs)).toEqual([{ bucket: 'cf-logs', key: KEY, size: 1234, eTag: '0123456789abcdef' }]);
  });

  test('an S3 event in an SNS envelope inside SQS (raw delivery off)', () => {
    const envelope = { Type: 'Notification', MessageId: 'x', TopicArn: 'arn:aws:sns:eu-west-1:1:t', Message: JSON.stringify(direct()) };
    const sqs = { Records: [{ messageId: 'm1', eventSource: 'aws:sqs', body: JSON.stringify(envelope) }] };
    expect(objectRefs(sqs).map((r) => r.key)).toEqual([KEY]);
    // The envelope alone (an SQS body already parsed) is read the same way.
    expect(objectRefs(envelope).map((r) => r.key)).toEqual([KEY]);
  });

  test('SNS -> Lambda', () => {
    const ev = { Records: [{ EventSource: 'aws:sns', Sns: { Type: 'Notification', Message: JSON.stringify(direct()) } }] };
    expect(objectRefs(ev).map((r) => r.key)).toEqual([KEY]);
  });

  test('EventBridge "Object Created", directly and via SQS', () => {
    const eb = {
      version: '0',
      'detail-type': 'Object Created',
      source: 'aws.s3',
      detail: { version: '0', bucket: { name: 'cf-logs' }, object: { key: 'a/b+c%20d.gz', size: 99, etag: 'e1', 'version-id': 'v9' } },
    };
    const expected = [{ bucket: 'cf-logs', key: 'a/b c d.gz', size: 99, eTag: 'e1', versionId: 'v9' }];
    expect(objectRefs(eb)).toEqual(expected);
    expect(objectRefs({ Records: [{ body: JSON.stringify(eb) }] })).toEqual(expected);
  });

  test('EventBridge events other than Object Created carry no objects', () => {
    expect(objectRefs({ 'detail-type': 'Object Deleted', detail: { bucket: { name: 'b' }, object: { key: 'k' } } })).toEqual([]);
  });

  test('s3:TestEvent (sent when a notification is configured) carries no objects', () => {
    const test = { Service: 'Amazon S3', Event: 's3:TestEvent', Time: '2026-01-01T00:00:00.000Z', Bucket: 'cf-logs' };
    expect(objectRefs(test)).toEqual([]);
    expect(objectRefs({ Records: [{ body: JSON.stringify(test) }] })).toEqual([]);
  });

  test('malformed payloads give nothing rather than throwing', () => {
    expect(objectRefs(undefined)).toEqual([]);
    expect(objectRefs('text')).toEqual([]);
    expect(objectRefs([direct()])).toEqual([]);
    expect(objectRefs({ Records: [{ body: 'not json' }, null, 3] })).toEqual([]);
    expect(objectRefs({ Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: {}, object: { key: 'k' } } }] })).toEqual([]);
    expect(objectRefs({ Type: 'Notification', Message: '{' })).toEqual([]);
  });
});

describe('readNotification', () => {
  const TEST_EVENT = { Service: 'Amazon S3', Event: 's3:TestEvent', Time: '2026-01-01T00:00:00.000Z', Bucket: 'cf-logs' };
  const sns = (message: string) => ({ Type: 'Notification', MessageId: 'x', TopicArn: 'arn:aws:sns:eu-west-1:1:t', Message: message });

  test('every shape AWS delivers an ObjectCreated in is read, with its objects', () => {
    const eb = { source: 'aws.s3', 'detail-type': 'Object Created', detail: { bucket: { name: 'cf-logs' }, object: { key: KEY } } };
    for (const payload of [direct(), sns(JSON.stringify(direct())), eb, { Records: [{ body: JSON.stringify(direct()) }] }]) {
      expect(readNotification(payload)).toEqual({ ok: true, refs: [expect.objectContaining({ bucket: 'cf-logs', key: KEY })], tests: 0, ignored: 0 });
    }
  });

  test("S3's test event, alone or in an SNS envelope, is understood and names no object", () => {
    expect(readNotification(TEST_EVENT)).toEqual({ ok: true, refs: [], tests: 1, ignored: 0 });
    expect(readNotificationText(JSON.stringify(sns(JSON.stringify(TEST_EVENT))))).toEqual({ ok: true, refs: [], tests: 1, ignored: 0 });
  });

  test('other S3 events (ObjectRemoved, EventBridge Object Deleted) are understood and counted, not read', () => {
    expect(readNotification({ Records: [s3Record('a/1.gz', 'ObjectRemoved:Delete')] })).toEqual({ ok: true, refs: [], tests: 0, ignored: 1 });
    const deleted = { source: 'aws.s3', 'detail-type': 'Object Deleted', detail: { bucket: { name: 'b' }, object: { key: 'k' } } };
    expect(readNotification(deleted)).toEqual({ ok: true, refs: [], tests: 0, ignored: 1 });
  });

  test.each([
    ['text that is not JSON', 'hello 203.0.113.77', 'not_json'],
    ['truncated JSON', JSON.stringify(direct()).slice(0, 40), 'not_json'],
    ['a JSON string', '"203.0.113.77"', 'not_an_object'],
    ['a JSON array of events', JSON.stringify([direct()]), 'not_an_object'],
    ['null', 'null', 'not_an_object'],
    ['an object of another kind', '{"ClientIP":"203.0.113.77"}', 'unknown_shape'],
    ['an S3 event with no records', '{"Records":[]}', 'no_records'],
    ['a record of no known kind', '{"Records":[{"ClientIP":"203.0.113.77"}]}', 'unknown_shape'],
    ['a record that is not an object', '{"Records":[3]}', 'unknown_shape'],
    ['an ObjectCreated record without a bucket name', '{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{},"object":{"key":"k"}}}]}', 'no_object'],
    ['one good record and one without a key', JSON.stringify({ Records: [s3Record('a/1.gz'), { eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'b' } } }] }), 'no_object'],
    ['an SNS envelope whose Message is not JSON', JSON.stringify(sns('203.0.113.77')), 'not_json'],
    ['an SNS envelope of something else', JSON.stringify(sns('{"ClientIP":"203.0.113.77"}')), 'unknown_shape'],
    ['an SQS record whose body is not JSON', '{"Records":[{"body":"203.0.113.77"}]}', 'not_json'],
    ['EventBridge Object Created without its object', '{"source":"aws.s3","detail-type":"Object Created","detail":{"bucket":{"name":"b"}}}', 'no_object'],
    ['an EventBridge event from another service', '{"source":"aws.ec2","detail-type":"EC2 Instance State-change Notification","detail":{}}', 'unknown_shape'],
  ])('%s is unreadable, with a reason and a message that never quote it', (_name, text, reason) => {
    const n = readNotificationText(text);
    expect(n).toMatchObject({ ok: false, reason });
    if (n.ok) return;
    expect(n.message.length).toBeGreaterThan(10);
    expect(n.message).not.toContain('203.0.113.77');
    expect(n.message).not.toContain('"');
  });

  test('the message says where in an envelope or a batch of records the unreadable part is', () => {
    expect(readNotificationText(JSON.stringify(sns('x')))).toMatchObject({ message: 'the message is not JSON (in the SNS Message)' });
    const second = { Records: [s3Record('a/1.gz'), { nothing: 1 }] };
    expect(readNotification(second)).toMatchObject({ reason: 'unknown_shape', message: expect.stringMatching(/\(record 2 of 2\)$/) });
  });
});

describe('decodeS3Key', () => {
  test("'+' is a space and %xx escapes are decoded", () => {
    expect(decodeS3Key('logs/my+folder/a%2Bb%3Dc.log.gz')).toBe('logs/my folder/a+b=c.log.gz');
    expect(decodeS3Key('caf%C3%A9/x')).toBe('café/x');
  });

  test('a key in a notification is decoded exactly once', () => {
    expect(decodeS3Key('a%2520b')).toBe('a%20b');
  });

  test('a malformed escape keeps the key as given (with + still a space)', () => {
    expect(decodeS3Key('logs/100%+sure/x%zz.gz')).toBe('logs/100% sure/x%zz.gz');
    expect(decodeS3Key('bad%E0%A4%A')).toBe('bad%E0%A4%A');
  });

  test('undoes what encodeS3EventKey (backfill, local events) writes', () => {
    for (const key of ['a b/c+d/e=f.gz', 'café/100%/x y+z', 'logs/a%20b/?#&.log.gz']) {
      expect(decodeS3Key(encodeS3EventKey(key))).toBe(key);
    }
  });

  test('keys from events are decoded', () => {
    expect(objectRefs(direct('logs/http_requests/2026+01/a%3Ab.gz'))[0]?.key).toBe('logs/http_requests/2026 01/a:b.gz');
  });
});

describe('skipReason', () => {
  test('folders are skipped', () => {
    expect(skipReason({ bucket: 'b', key: 'logs/http_requests/', size: 0 })).toBe('folder');
  });

  test('empty objects are skipped', () => {
    expect(skipReason({ bucket: 'b', key: 'logs/a.log.gz', size: 0 })).toBe('empty');
  });

  test('the ownership challenge is skipped in any folder', () => {
    expect(skipReason({ bucket: 'b', key: 'ownership-challenge-abc.txt', size: 120 })).toBe('ownership_challenge');
    expect(skipReason({ bucket: 'b', key: 'logs/http_requests/ownership-challenge-abc.txt', size: 120 })).toBe('ownership_challenge');
    expect(skipReason({ bucket: 'b', key: 'a/b/c/ownership-challenge.txt' })).toBe('ownership_challenge');
  });

  test('ordinary log objects, and names that merely resemble the challenge, are not skipped', () => {
    expect(skipReason({ bucket: 'b', key: KEY, size: 10 })).toBeUndefined();
    expect(skipReason({ bucket: 'b', key: KEY })).toBeUndefined();
    expect(skipReason({ bucket: 'b', key: 'ownership-challenge-abc.txt/real.log.gz', size: 10 })).toBeUndefined();
    expect(skipReason({ bucket: 'b', key: 'logs/my-ownership-challenge.txt', size: 10 })).toBeUndefined();
    expect(skipReason({ bucket: 'b', key: 'logs/ownership-challenge-abc.txt.gz', size: 10 })).toBeUndefined();
  });
});
