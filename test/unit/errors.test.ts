/**
 * Every error class says what its caller may do with the input (`disposition`); both handlers act on that alone,
 * so this table is what decides retry, dead-letter, the HTTP 4xx, salvage and skip. docs/errors.md mirrors it.
 */
import { AlertClaimedError, AlertPublishError } from '../../lib/alerts/alerting';
import { SnsEntryError } from '../../lib/aws/sns';
import { UsageError } from '../../lib/cli/usage';
import { DecompressError } from '../../lib/decode/decompress';
import { ZstdFrameError } from '../../lib/decode/zstd-frames';
import {
  CflogsError,
  ConfigError,
  DecodeError,
  Disposition,
  dispositionOf,
  httpStatusOf,
  InvariantError,
  MissingObjectError,
  NotificationError,
  ObjectError,
  SchemaError,
  SinkError,
  SourceError,
} from '../../lib/errors';
import { regex } from '../../lib/regex';
import { RuleDefinitionError } from '../../lib/rules/model';
import { StateStoreError } from '../../lib/rules/store';
import { GroupKeyCollision } from '../../lib/rules/windows';

const where = { bucket: 'in', key: 'cf/http_requests/x.log.gz' };
const retry: Disposition = { kind: 'retry' };
const deadLetter: Disposition = { kind: 'dead-letter' };
const salvage: Disposition = { kind: 'salvage' };

const cases: [string, CflogsError, Disposition][] = [
  ['CflogsError', new CflogsError('x'), retry],
  ['ConfigError', new ConfigError('x'), deadLetter],
  ['RuleDefinitionError', new RuleDefinitionError('x'), deadLetter],
  ['SchemaError', new SchemaError('x'), deadLetter],
  ['NotificationError', new NotificationError('x', 'not_json'), deadLetter],
  ['ObjectError', new ObjectError('x', where), retry],
  ['DecodeError of corrupt input', new DecodeError('x', where, { cause: new DecompressError('gzip stream is truncated', 10) }), salvage],
  ['DecodeError without a cause', new DecodeError('x', where), salvage],
  [
    'DecodeError of an unsupported compression',
    new DecodeError('x', where, { cause: new DecompressError('bzip2 is not supported', 0, { salvageable: false }) }),
    { kind: 'client', status: 400 },
  ],
  ['SourceError', new SourceError('x', where), retry],
  ['SinkError', new SinkError('x', where), retry],
  ['InvariantError', new InvariantError('x', where), deadLetter],
  ['MissingObjectError', new MissingObjectError('x', where), { kind: 'skip', reason: 'missing' }],
  ['DecompressError (corrupt)', new DecompressError('x', 3), salvage],
  ['DecompressError (unsupported)', new DecompressError('x', 0, { salvageable: false }), { kind: 'client', status: 400 }],
  ['ZstdFrameError', new ZstdFrameError('x', 7), salvage],
  ['StateStoreError (retryable)', new StateStoreError('x', true), retry],
  ['StateStoreError (not retryable)', new StateStoreError('x', false), deadLetter],
  ['GroupKeyCollision', new GroupKeyCollision('x'), deadLetter],
  ['AlertPublishError', new AlertPublishError('x'), retry],
  ['AlertClaimedError', new AlertClaimedError('x'), retry],
  ['SnsEntryError (server fault)', new SnsEntryError('InternalError', 'x', false), retry],
  ['SnsEntryError (sender fault)', new SnsEntryError('InvalidParameter', 'x', true), deadLetter],
  ['UsageError', new UsageError('x'), { kind: 'client', status: 400 }],
];

describe('error dispositions', () => {
  test.each(cases)('%s', (_name, error, expected) => {
    expect(error).toBeInstanceOf(CflogsError);
    expect(error.disposition).toEqual(expected);
    expect(dispositionOf(error)).toEqual(expected);
  });

  test('anything thrown that is not a CflogsError is retried: a dependency failing unexpectedly', () => {
    expect(dispositionOf(new Error('socket hang up'))).toEqual(retry);
    expect(dispositionOf('a string')).toEqual(retry);
    expect(dispositionOf(undefined)).toEqual(retry);
  });

  test('HTTP status per disposition: the client status, 400 for a corrupt body, else 500 so that Logpush retries', () => {
    expect(httpStatusOf({ kind: 'client', status: 413 })).toBe(413);
    expect(httpStatusOf({ kind: 'client', status: 400 })).toBe(400);
    expect(httpStatusOf(salvage)).toBe(400);
    expect(httpStatusOf(retry)).toBe(500);
    expect(httpStatusOf(deadLetter)).toBe(500);
    expect(httpStatusOf({ kind: 'skip', reason: 'missing' })).toBe(500);
  });

  test('a ZstdFrameError is a CflogsError with its name and offset', () => {
    const e = new ZstdFrameError('zstd frame is truncated', 42);
    expect(e).toMatchObject({ name: 'ZstdFrameError', offset: 42, message: 'zstd frame is truncated' });
  });

  test('a regex a rule cannot use is a ConfigError, so a bad rule fails at start', () => {
    expect(() => regex('a', 'g')).toThrow(ConfigError);
    expect(() => regex('(a)\\1')).toThrow(ConfigError);
  });
});
