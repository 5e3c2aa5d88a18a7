'use strict';
/**
 * The parts of the stack that are computed when the stack is packaged, read by serverless.yml and infra/*.yml
 * through `${file(infra/stack.js):<name>}`. Each export is a function osls calls with its variable resolver.
 *
 *   resources           input bucket (new) or EventBridge rule (existing bucket), the queue's policy, one Glue
 *                       table per schema in schemas/ (Iceberg tables and their optimizers with icebergTables=true;
 *                       Hive tables otherwise) and the rejects' and alerts' tables, the alarm and alert
 *                       e-mail subscriptions, the CloudWatch dashboard
 *   inputReadArns       object ARNs the S3 function may read: one per configured input prefix
 *   inputListStatement  s3:ListBucket on the input bucket, limited to the input prefixes (a deleted key then
 *                       answers 404, which is skipped, instead of 403, which is retried into the DLQ)
 *   httpReservedConcurrency  the HTTP function's reserved concurrency (a positive integer)
 *   environment         the functions' shared environment (empty settings left out, not set to ''), with the
 *                       detections' table, topic and rule settings (the rule set checked first)
 *   artifacts           each function's zip: its bundle, or a copy with the user rules of rulesDir under rules/
 *   visibilityTimeout   6 x the S3 function's timeout (AWS's guidance for SQS event sources)
 *   databaseName        Glue database name derived from service and stage
 *   icebergWarehouse    where the Iceberg tables are: the lake's logs/ folder (each table's data under it)
 *   outputWriteArns     output objects the functions may write: the lake's folders (lib/lake/layout.ts)
 *   rejectsPrefix       the key prefix of reject files, for their expiry rule (lib/lake/layout.ts)
 *   keyAdministrationStatement, publishThroughSnsStatement, snsService   KMS key policy parts (stack/kms.js)
 *   metricsNamespace    the functions' Powertools namespace, for alarms on their metrics
 *
 * This file only maps those names onto infra/stack/:
 *   settings.js   params -> checked settings (ConfigError messages), the Logpush principal default
 *   input.js      input bucket or EventBridge rule, queue policy, the input prefixes' IAM ARNs
 *   catalog.js    Glue database name and tables (lib/lake/catalog.ts over schemas/)
 *   iceberg.js    the Iceberg tables' custom resource and their Glue table optimizers (icebergTables=true)
 *   output.js     the lake's folders in the output bucket (lib/lake/layout.ts)
 *   dashboard.js  the CloudWatch dashboard (the functions' metrics, the queues, the Lambda graphs)
 *   rules.js      the detections' rules: user rules compiled into the artifacts, the rule set checked
 *   kms.js        key policy statements of the topics' KMS keys
 *   lib.js        the lib/ modules those take their rules from, loaded through tsx
 *   cfn.js        Ref, Fn::GetAtt, Fn::Join, S3 ARNs
 *   runtime.js    the functions' NODE_OPTIONS
 */
const { ref } = require('./stack/cfn');
const { settings, parsePrefixes, parseReservedConcurrency, parseRuleIds } = require('./stack/settings');
const { inputResources, inputOutputs, inputReadArns, inputListStatement } = require('./stack/input');
const { databaseName, tableLogicalId, glueTables } = require('./stack/catalog');
const { outputWriteArns, rejectsPrefix } = require('./stack/output');
const { NODE_OPTIONS } = require('./stack/runtime');
const { dashboardResources, dashboardOutputs, METRICS_NAMESPACE } = require('./stack/dashboard');
const { artifacts, rulesEnvironment } = require('./stack/rules');
const { keyAdministrationStatement, publishThroughSnsStatement, snsService } = require('./stack/kms');
const { icebergResources, icebergIngestEnvironment, warehouse } = require('./stack/iceberg');

module.exports = {
  async resources({ resolveVariable }) {
    const s = await settings(resolveVariable);
    const timeouts = { s3Ingest: s.timeout, httpIngest: Number(await resolveVariable('self:functions.httpIngest.timeout')) };
    const resources = {
      ...inputResources(s),
      ...glueTables(s.outputFormat, { events: !s.icebergTables }),
      ...icebergResources(s),
      ...dashboardResources(s, timeouts),
    };
    if (s.alarmEmail) {
      resources.AlarmEmailSubscription = {
        Type: 'AWS::SNS::Subscription',
        Properties: { TopicArn: ref('AlarmTopic'), Protocol: 'email', Endpoint: s.alarmEmail },
      };
    }
    if (s.alertEmail) {
      resources.AlertEmailSubscription = {
        Type: 'AWS::SNS::Subscription',
        Properties: { TopicArn: ref('AlertsTopic'), Protocol: 'email', Endpoint: s.alertEmail },
      };
    }
    return { Resources: resources, Outputs: { ...inputOutputs(s), ...dashboardOutputs() } };
  },

  async inputReadArns({ resolveVariable }) {
    return inputReadArns(await settings(resolveVariable));
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
      NODE_OPTIONS,
      CFLOGS_OUTPUT_BUCKET: ref('OutputBucket'),
      ...(s.routes ? { CFLOGS_ROUTES: s.routes } : {}),
      ...(s.sourceId ? { CFLOGS_SOURCE_ID: s.sourceId } : {}),
      ...(s.sourceLabel ? { CFLOGS_SOURCE_LABEL: s.sourceLabel } : {}),
      ...(s.outputCompression ? { CFLOGS_OUTPUT_COMPRESSION: s.outputCompression } : {}),
      ...(s.outputCompressionLevel ? { CFLOGS_OUTPUT_COMPRESSION_LEVEL: s.outputCompressionLevel } : {}),
      CFLOGS_OUTPUT_FORMAT: s.outputFormat,
      ...icebergIngestEnvironment(s),
      // The detections (infra/detections.yml, lib/rules/config.ts).
      CFLOGS_RULES_TABLE: ref('RulesTable'),
      CFLOGS_ALERTS_TOPIC_ARN: ref('AlertsTopic'),
      ...(await rulesEnvironment(s)),
    };
  },

  async artifacts({ resolveVariable }) {
    return artifacts(await settings(resolveVariable));
  },

  async visibilityTimeout({ resolveVariable }) {
    const s = await settings(resolveVariable);
    return Math.min(6 * s.timeout, 43200);
  },

  outputWriteArns() {
    return outputWriteArns();
  },

  rejectsPrefix() {
    return rejectsPrefix();
  },

  keyAdministrationStatement() {
    return keyAdministrationStatement();
  },

  publishThroughSnsStatement() {
    return publishThroughSnsStatement();
  },

  snsService() {
    return snsService();
  },

  metricsNamespace() {
    return METRICS_NAMESPACE;
  },

  icebergWarehouse() {
    return warehouse();
  },

  async databaseName({ resolveVariable }) {
    return databaseName(await settings(resolveVariable));
  },

  // For tests.
  _internal: { parsePrefixes, tableLogicalId, parseReservedConcurrency, parseRuleIds, inputListStatement },
};
