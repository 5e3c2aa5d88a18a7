'use strict';
/**
 * The Iceberg tables (icebergTables=true): the committer creates one table per log type at deploy time (a custom
 * resource served by the icebergCommit function, lib/iceberg/lambda.ts), and the Glue Data Catalog's optimizers keep
 * each one compacted, its snapshots expired and its orphan files deleted, under a role of their own.
 *
 * Why a custom resource and not AWS::Glue::Table with an Iceberg input: the table's partition spec (hour or day of
 * p_event_time, lib/iceberg/tables.ts), field ids and name mapping must be the committer's own, and Glue's
 * CloudFormation tables take neither a partition spec nor field ids.
 */
const { createHash } = require('node:crypto');
const { ref, getAtt, join } = require('./cfn');
const { schemaTools } = require('./lib');
const { tableLogicalId } = require('./catalog');

/** The optimizers of every table, by CloudFormation's Type, with a logical id prefix each. */
const OPTIMIZERS = [
  ['compaction', 'IcebergCompaction'],
  ['retention', 'IcebergRetention'],
  ['orphan_file_deletion', 'IcebergOrphans'],
];

/**
 * Days an unreferenced file must be old before it is deleted. A data file is unreferenced until its hand-off is
 * committed, and a hand-off may wait in the commit queue or its dead-letter queue for their retention (14 days,
 * infra/iceberg.yml) before a redrive commits it: the files must outlive that, with a margin.
 */
const ORPHAN_FILE_RETENTION_DAYS = 21;

/** The tables of the log types in schemas/, one per table name. */
function icebergTableNames() {
  const { schemas } = schemaTools();
  return [...new Set(schemas.map((s) => s.table))].sort();
}

/** The lake's folder of table data (the warehouse: `s3://<bucket>/logs`, each table at `logs/<table>`). */
function warehouse() {
  return join(['s3://', ref('OutputBucket'), '/logs']);
}

function icebergResources(s) {
  if (!s.icebergTables) return {};
  const { schemas } = schemaTools();
  const tables = icebergTableNames();
  const out = {
    IcebergTables: {
      Type: 'Custom::IcebergTables',
      Properties: {
        ServiceToken: getAtt('IcebergCommitLambdaFunction', 'Arn'),
        ServiceTimeout: 600,
        // A change of any schema runs the resource again: new tables are created, existing ones gain their new
        // columns at their next commit.
        Schemas: createHash('sha256').update(JSON.stringify(schemas)).digest('hex'),
      },
    },
  };
  for (const table of tables) {
    const id = tableLogicalId(table).replace(/^GlueTable/, '');
    for (const [type, prefix] of OPTIMIZERS) {
      const configuration = { Enabled: true, RoleArn: getAtt('IcebergOptimizerRole', 'Arn') };
      if (type === 'retention') {
        configuration.RetentionConfiguration = {
          IcebergConfiguration: { SnapshotRetentionPeriodInDays: s.icebergSnapshotRetentionDays, NumberOfSnapshotsToRetain: 1, CleanExpiredFiles: true },
        };
      }
      if (type === 'orphan_file_deletion') {
        configuration.OrphanFileDeletionConfiguration = { IcebergConfiguration: { OrphanFileRetentionPeriodInDays: ORPHAN_FILE_RETENTION_DAYS } };
      }
      out[`${prefix}${id}`] = {
        Type: 'AWS::Glue::TableOptimizer',
        DependsOn: 'IcebergTables',
        Properties: { CatalogId: ref('AWS::AccountId'), DatabaseName: ref('GlueDatabase'), TableName: table, Type: type, TableOptimizerConfiguration: configuration },
      };
    }
  }
  return out;
}

/** The ingest functions' setting: where they hand their files to the committer. */
function icebergIngestEnvironment(s) {
  return s.icebergTables ? { CFLOGS_ICEBERG_QUEUE_URL: ref('CommitQueue') } : {};
}

module.exports = { icebergResources, icebergIngestEnvironment, icebergTableNames, warehouse, OPTIMIZERS };
