'use strict';
/**
 * The input side: the bucket Logpush writes to (created here, with its notification to the ingest queue, or an
 * existing one, whose S3 EventBridge events a rule forwards to the queue), the queue's policy for that sender, and
 * what the S3 function may read and list there: only the configured input prefixes.
 */
const { ref, getAtt, join, s3Arn } = require('./cfn');

/** The existing bucket's name, or the created one's: `<service>-<stage>-input-<account id>-<region>`. */
function inputBucketName(s) {
  return s.existingInputBucket || { 'Fn::Join': ['-', [s.service, s.stage, 'input', ref('AWS::AccountId'), ref('AWS::Region')]] };
}

/** Object ARNs the S3 function may read: one per configured input prefix. */
function inputReadArns(s) {
  return s.inputPrefixes.map((p) => s3Arn(inputBucketName(s), `/${p}*`));
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

/** The input bucket (new) or EventBridge rule (existing bucket), and the ingest queue's policy for its sender. */
function inputResources(s) {
  const name = inputBucketName(s);
  const queueArn = getAtt('IngestQueue', 'Arn');
  if (s.existingInputBucket) {
    // CloudFormation cannot add a notification to a bucket it does not own; S3's EventBridge delivery (switched
    // on for the bucket once, see docs/deploy.md) plus this rule feeds the same queue, with the same prefix filter.
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

/** The stack outputs that tell a Logpush job where to write. */
function inputOutputs(s) {
  return {
    InputBucketName: {
      Description: 'Bucket Logpush writes to (the destination_conf of S3 jobs)',
      Value: s.existingInputBucket || ref('InputBucket'),
    },
    InputPrefixes: { Description: 'Key prefixes that are ingested', Value: s.inputPrefixes.join(',') || '(whole bucket)' },
  };
}

module.exports = { inputResources, inputOutputs, inputReadArns, inputListStatement };
