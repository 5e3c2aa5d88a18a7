'use strict';
/**
 * Key policies of the stack's customer managed KMS keys (the alarm topic's, infra/alarms.yml, and the alerts
 * topic's, infra/detections.yml). In a key policy `Resource: "*"` means the key itself.
 */
const { join, ref } = require('./cfn');

const ACCOUNT_ROOT = join(['arn:', ref('AWS::Partition'), ':iam::', ref('AWS::AccountId'), ':root']);

/**
 * What CloudFormation and an administrator do to a key (create, read, update, tag, rotate, delete), granted to the
 * account so that IAM policies decide who; no encryption or decryption.
 */
function keyAdministrationStatement() {
  return {
    Sid: 'AdministerKeyThroughIam',
    Effect: 'Allow',
    Principal: { AWS: ACCOUNT_ROOT },
    Action: [
      'kms:DescribeKey',
      'kms:GetKeyPolicy',
      'kms:PutKeyPolicy',
      'kms:GetKeyRotationStatus',
      'kms:EnableKeyRotation',
      'kms:DisableKeyRotation',
      'kms:ListKeyRotations',
      'kms:EnableKey',
      'kms:DisableKey',
      'kms:UpdateKeyDescription',
      'kms:ListResourceTags',
      'kms:TagResource',
      'kms:UntagResource',
      'kms:ListGrants',
      'kms:RevokeGrant',
      'kms:CreateAlias',
      'kms:UpdateAlias',
      'kms:DeleteAlias',
      'kms:ScheduleKeyDeletion',
      'kms:CancelKeyDeletion',
    ],
    Resource: '*',
  };
}

/**
 * What a publisher to an encrypted SNS topic needs of the topic's key (the SNS documentation: kms:GenerateDataKey*
 * and kms:Decrypt), left to IAM: only principals of this account whose own policy grants it on this key (the two
 * function roles, infra/iam.yml), and only through SNS in this region, never directly.
 */
function publishThroughSnsStatement() {
  return {
    Sid: 'PublishThroughSnsForIamGrantees',
    Effect: 'Allow',
    Principal: { AWS: ACCOUNT_ROOT },
    Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
    Resource: '*',
    Condition: {
      StringEquals: {
        'kms:CallerAccount': ref('AWS::AccountId'),
        'kms:ViaService': snsService(),
      },
    },
  };
}

/** `sns.<region>.amazonaws.com`, the kms:ViaService value of calls SNS makes for a publisher. */
function snsService() {
  return join(['sns.', ref('AWS::Region'), '.amazonaws.com']);
}

module.exports = { keyAdministrationStatement, publishThroughSnsStatement, snsService };
