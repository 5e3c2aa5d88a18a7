'use strict';
/**
 * The parts of the stack that are computed when the stack is packaged, read by serverless.yml and infra/*.yml
 * through `${file(infra/stack.js):<name>}`. Each export is a function osls calls with its variable resolver.
 *
 *   resources           input bucket (new) or EventBridge rule (existing bucket), the queue's policy, one Glue
 *                       table per schema in schemas/, the alarm e-mail subscription
 *   inputReadArns       object ARNs the S3 function may read: one per configured input prefix
 *   inputListStatement  s3:ListBucket on the input bucket, limited to the input prefixes (a deleted key then
 *                       answers 404, which is skipped, instead of 403, which is retried into the DLQ)
 *   httpReservedConcurrency  the HTTP function's reserved concurrency (a positive integer)
 *   environment         the functions' shared environment (empty settings left out, not set to '')
 *   visibilityTimeout   6 x the S3 function's timeout (AWS's guidance for SQS event sources)
 *   databaseName        Glue database name derived from service and stage
 *   outputWriteArns     output objects the functions may write: the lake's folders (lib/lake/layout.ts)
 *   rejectsPrefix       the key prefix of reject files, for their expiry rule (lib/lake/layout.ts)
 *
 * Glue tables come from the same generator as `cflogs ddl` (lib/lake/catalog.ts, loaded through tsx, which osls
 * itself depends on) over the YAML in schemas/, so deployed tables always match the parser. Their
 * `storage.location.template` holds Glue's own `${year}`-style placeholders: values returned from here are final
 * (osls does not resolve variables again inside them), and test/integration/package.test.ts checks that they
 * arrive in the packaged template verbatim.
 */
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
/** Cloudflare's Logpush IAM user (developers.cloudflare.com/logs/logpush/aws-s3/). */
const CLOUDFLARE_LOGPUSH_PRINCIPAL = 'arn:aws:iam::391854517948:user/cloudflare-logpush';

const ref = (name) => ({ Ref: name });
const getAtt = (name, attr) => ({ 'Fn::GetAtt': [name, attr] });
const join = (parts) => ({ 'Fn::Join': ['', parts] });
const s3Arn = (...rest) => join(['arn:', ref('AWS::Partition'), ':s3:::', ...rest]);

class ConfigError extends Error {}

/** Every setting the computed parts depend on, read from serverless.yml's params (overridable with --param). */
async function settings(resolveVariable) {
  const param = async (name) => {
    const v = await resolveVariable(`param:${name}`);
    return v === null || v === undefined ? '' : String(v).trim();
  };
  const service = String(await resolveVariable('self:service'));
  const stage = String(await resolveVariable('sls:stage'));
  const timeout = Number(await resolveVariable('self:functions.s3Ingest.timeout'));
  const existingInputBucket = await param('existingInputBucket');
  const alarmEmail = await param('alarmEmail');
  const s = {
    service,
    stage,
    timeout,
    inputPrefixes: parsePrefixes(await param('inputPrefixes')),
    existingInputBucket,
    logpushPrincipal: (await param('logpushPrincipal')) || CLOUDFLARE_LOGPUSH_PRINCIPAL,
    routes: await param('routes'),
    sourceId: await param('sourceId'),
    sourceLabel: await param('sourceLabel'),
    alarmEmail,
    httpReservedConcurrency: parseReservedConcurrency(await param('httpReservedConcurrency')),
  };
  if (!Number.isInteger(timeout) || timeout < 1) throw new ConfigError(`functions.s3Ingest.timeout must be set, got ${timeout}`);
  if (existingInputBucket && !layout().BUCKET_NAME.test(existingInputBucket)) {
    throw new ConfigError(`existingInputBucket is not a valid bucket name: ${JSON.stringify(existingInputBucket)}`);
  }
  if (alarmEmail && !/^[^@\s]+@[^@\s]+$/.test(alarmEmail)) throw new ConfigError(`alarmEmail is not an e-mail address: ${alarmEmail}`);
  if (!existingInputBucket) {
    // <service>-<stage>-input-<account id>-<region>: unique per account and region, and known before the bucket
    // exists, which the queue policy needs (the bucket's notification waits for that policy).
    const fixed = `${service}-${stage}-input-`.length + 12 + 1 + 14; // longest region name: 14
    if (fixed > 63 || !/^[a-z0-9-]+$/.test(`${service}-${stage}`)) {
      throw new ConfigError(
        `the input bucket name ${service}-${stage}-input-<account>-<region> must be lower case and at most 63 ` +
          'characters: use a shorter, lower-case stage or pass --param="existingInputBucket=<name>"',
      );
    }
  }
  return s;
}

/**
 * `a/, b/` -> ['a/', 'b/']; '' (or '/') alone means the whole bucket. A prefix inside another one is dropped: the
 * shorter one covers it, and S3 refuses notification filters that overlap.
 */
function parsePrefixes(text) {
  const list = [...new Set(text.split(',').map((p) => p.trim()).filter((p) => p !== ''))];
  if (list.length === 0 || list.includes('/')) return [''];
  for (const p of list) {
    if (p.startsWith('/')) throw new ConfigError(`input prefix ${JSON.stringify(p)} must not start with '/' (S3 keys do not)`);
    if (/[*?\s]/.test(p)) throw new ConfigError(`input prefix ${JSON.stringify(p)} must not contain '*', '?' or spaces`);
  }
  return list.filter((p) => !list.some((q) => q !== p && p.startsWith(q)));
}

/**
 * The public HTTP function's reserved concurrency: both its guaranteed share of the account's Lambda concurrency
 * and its ceiling, so a flood of requests to the function URL gets 429s instead of taking every other function's
 * concurrency. 0 would switch the function off: refused, like anything but a whole number.
 */
function parseReservedConcurrency(text) {
  if (!/^[0-9]+$/.test(text) || Number(text) < 1 || Number(text) > 10000) {
    throw new ConfigError(`httpReservedConcurrency must be a whole number from 1 to 10000, got ${JSON.stringify(text)}`);
  }
  return Number(text);
}

/**
 * s3:ListBucket on the input bucket. S3 answers a GetObject for a missing key with 404 only to a caller that may
 * list that key, and evaluates that with the key as `s3:prefix`: the condition keeps the grant to the input
 * prefixes (listing anything else, or the bucket root, stays denied). Without it, a key deleted before it is read
 * answers 403 AccessDenied, which must be retried (it may be a real permission problem) and so ends in the DLQ.
 */
function inputListStatement(s) {
  const wholeBucket = s.inputPrefixes[0] === '';
  return {
    Sid: 'ListInputPrefixes',
    Effect: 'Allow',
    Action: 's3:ListBucket',
    Resource: s3Arn(inputBucketName(s)),
    ...(wholeBucket ? {} : { Condition: { StringLike: { 's3:prefix': s.inputPrefixes.map((p) => `${p}*`) } } }),
  };
}

function inputBucketName(s) {
  return s.existingInputBucket || { 'Fn::Join': ['-', [s.service, s.stage, 'input', ref('AWS::AccountId'), ref('AWS::Region')]] };
}

function databaseName(s) {
  return `${s.service}_${s.stage}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
}

/** The TLS-only statement every bucket and queue policy carries. */
function denyInsecureTransport(service, resources) {
  return {
    Sid: 'DenyInsecureTransport',
    Effect: 'Deny',
    Principal: '*',
    Action: `${service}:*`, // a Deny: refuses every action without TLS
    Resource: resources,
    Condition: { Bool: { 'aws:SecureTransport': 'false' } },
  };
}

function inputBucketResources(s) {
  const name = inputBucketName(s);
  const queueArn = getAtt('IngestQueue', 'Arn');
  if (s.existingInputBucket) {
    // CloudFormation cannot add a notification to a bucket it does not own; S3's EventBridge delivery (switched
    // on for the bucket once, see README) plus this rule feeds the same queue, with the same prefix filter.
    const keyFilter = s.inputPrefixes[0] === '' ? {} : { object: { key: s.inputPrefixes.map((prefix) => ({ prefix })) } };
    return {
      InputObjectCreatedRule: {
        Type: 'AWS::Events::Rule',
        Properties: {
          Description: `Object Created in ${s.existingInputBucket} -> cflogs ingest queue`,
          State: 'ENABLED',
          EventPattern: {
            source: ['aws.s3'],
            'detail-type': ['Object Created'],
            detail: { bucket: { name: [s.existingInputBucket] }, ...keyFilter },
          },
          Targets: [{ Id: 'ingest-queue', Arn: queueArn }],
        },
      },
      IngestQueuePolicy: queuePolicy({
        Sid: 'AllowEventBridgeRule',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: queueArn,
        Condition: { ArnEquals: { 'aws:SourceArn': getAtt('InputObjectCreatedRule', 'Arn') } },
      }),
    };
  }
  return {
    InputBucket: {
      Type: 'AWS::S3::Bucket',
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      // S3 checks that it may send to the queue when the notification is created.
      DependsOn: ['IngestQueuePolicy'],
      Properties: {
        BucketName: name,
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        // Logpush sends `bucket-owner-full-control`, which buckets with ACLs disabled accept.
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        LifecycleConfiguration: {
          Rules: [
            // Logpush uploads with multipart upload; failed uploads would otherwise keep their parts (and cost).
            { Id: 'abort-incomplete-multipart-uploads', Status: 'Enabled', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } },
          ],
        },
        // Logpush completes multipart uploads, but Put/Copy are included too (a re-upload, a manual copy).
        NotificationConfiguration: {
          QueueConfigurations: s.inputPrefixes.map((prefix) => ({
            Event: 's3:ObjectCreated:*',
            Queue: queueArn,
            ...(prefix === '' ? {} : { Filter: { S3Key: { Rules: [{ Name: 'prefix', Value: prefix }] } } }),
          })),
        },
      },
    },
    InputBucketPolicy: {
      Type: 'AWS::S3::BucketPolicy',
      Properties: {
        Bucket: ref('InputBucket'),
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'AllowCloudflareLogpush',
              Effect: 'Allow',
              Principal: { AWS: s.logpushPrincipal },
              Action: 's3:PutObject',
              Resource: s.inputPrefixes.map((p) => s3Arn(ref('InputBucket'), `/${p}*`)),
            },
            denyInsecureTransport('s3', [getAtt('InputBucket', 'Arn'), join([getAtt('InputBucket', 'Arn'), '/*'])]),
          ],
        },
      },
    },
    IngestQueuePolicy: queuePolicy({
      Sid: 'AllowInputBucketNotifications',
      Effect: 'Allow',
      Principal: { Service: 's3.amazonaws.com' },
      Action: 'sqs:SendMessage',
      Resource: queueArn,
      Condition: {
        ArnEquals: { 'aws:SourceArn': s3Arn(name) },
        StringEquals: { 'aws:SourceAccount': ref('AWS::AccountId') },
      },
    }),
  };
}

function queuePolicy(allow) {
  return {
    Type: 'AWS::SQS::QueuePolicy',
    Properties: {
      Queues: [ref('IngestQueue')],
      PolicyDocument: { Version: '2012-10-17', Statement: [allow, denyInsecureTransport('sqs', getAtt('IngestQueue', 'Arn'))] },
    },
  };
}

/** lib/schema/*.ts through tsx: the generator `cflogs ddl` uses, over the schema YAML. */
function schemaTools() {
  const tsx = require('tsx/cjs/api');
  const { loadSchemaDir } = tsx.require('../lib/schema/load.ts', __filename);
  const { glueTableInput } = tsx.require('../lib/lake/catalog.ts', __filename);
  return { schemas: loadSchemaDir(path.join(ROOT, 'schemas')), glueTableInput };
}

/** lib/lake/layout.ts, the module the writer names its keys with (loaded through tsx, as schemaTools). */
function layout() {
  return require('tsx/cjs/api').require('../lib/lake/layout.ts', __filename);
}

/** The lake's folders (`logs/`, `rejects/`). */
function lakeDirs() {
  return layout().KIND_DIRS;
}

/** The output objects the functions may write: everything under the lake's folders. */
function outputWriteArns() {
  return Object.values(lakeDirs()).map((dir) => join([getAtt('OutputBucket', 'Arn'), `/${dir}*`]));
}

/** `cloudflare_httprequest` -> `GlueTableCloudflareHttprequest` */
function tableLogicalId(table) {
  return `GlueTable${table.split(/[^A-Za-z0-9]+/).map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('')}`;
}

const BUCKET_MARK = '@@CFLOGS_OUTPUT_BUCKET@@';

/** Replaces the bucket placeholder in every string of a generated value with a Ref to the output bucket. */
function withBucketRef(value) {
  if (typeof value === 'string') {
    if (!value.includes(BUCKET_MARK)) return value;
    const parts = value.split(BUCKET_MARK);
    const out = [];
    parts.forEach((p, i) => {
      if (i > 0) out.push(ref('OutputBucket'));
      if (p !== '') out.push(p);
    });
    return join(out);
  }
  if (Array.isArray(value)) return value.map(withBucketRef);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withBucketRef(v)]));
  return value;
}

function glueTables() {
  const { schemas, glueTableInput } = schemaTools();
  const out = {};
  for (const schema of schemas) {
    const id = tableLogicalId(schema.table);
    if (out[id]) throw new ConfigError(`two schemas map to the Glue resource ${id}`);
    out[id] = {
      Type: 'AWS::Glue::Table',
      Properties: {
        CatalogId: ref('AWS::AccountId'),
        DatabaseName: ref('GlueDatabase'),
        TableInput: withBucketRef(glueTableInput(schema, `s3://${BUCKET_MARK}`)),
      },
    };
  }
  return out;
}

module.exports = {
  async resources({ resolveVariable }) {
    const s = await settings(resolveVariable);
    const resources = { ...inputBucketResources(s), ...glueTables() };
    if (s.alarmEmail) {
      resources.AlarmEmailSubscription = {
        Type: 'AWS::SNS::Subscription',
        Properties: { TopicArn: ref('AlarmTopic'), Protocol: 'email', Endpoint: s.alarmEmail },
      };
    }
    return {
      Resources: resources,
      Outputs: {
        InputBucketName: {
          Description: 'Bucket Logpush writes to (the destination_conf of S3 jobs)',
          Value: s.existingInputBucket || ref('InputBucket'),
        },
        InputPrefixes: { Description: 'Key prefixes that are ingested', Value: s.inputPrefixes.join(',') || '(whole bucket)' },
      },
    };
  },

  async inputReadArns({ resolveVariable }) {
    const s = await settings(resolveVariable);
    return s.inputPrefixes.map((p) => s3Arn(inputBucketName(s), `/${p}*`));
  },

  async inputListStatement({ resolveVariable }) {
    return inputListStatement(await settings(resolveVariable));
  },

  async httpReservedConcurrency({ resolveVariable }) {
    return (await settings(resolveVariable)).httpReservedConcurrency;
  },

  async environment({ resolveVariable }) {
    const s = await settings(resolveVariable);
    return {
      CFLOGS_OUTPUT_BUCKET: ref('OutputBucket'),
      ...(s.routes ? { CFLOGS_ROUTES: s.routes } : {}),
      ...(s.sourceId ? { CFLOGS_SOURCE_ID: s.sourceId } : {}),
      ...(s.sourceLabel ? { CFLOGS_SOURCE_LABEL: s.sourceLabel } : {}),
    };
  },

  async visibilityTimeout({ resolveVariable }) {
    const s = await settings(resolveVariable);
    return Math.min(6 * s.timeout, 43200);
  },

  outputWriteArns() {
    return outputWriteArns();
  },

  /** The key prefix of reject files, which expire (infra/storage.yml). */
  rejectsPrefix() {
    return lakeDirs().rejects;
  },

  async databaseName({ resolveVariable }) {
    return databaseName(await settings(resolveVariable));
  },

  // For tests.
  _internal: { parsePrefixes, tableLogicalId, parseReservedConcurrency, inputListStatement },
};
