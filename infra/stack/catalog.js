'use strict';
/**
 * The Glue catalog: the database's name, one table per schema in schemas/ and the rejects table. Tables come from the same generator
 * as `cflogs ddl` (lib/lake/catalog.ts, through ./lib) over the YAML in schemas/, so deployed tables always match
 * the parser. Their `storage.location.template` holds Glue's own `${year}`-style placeholders: values returned
 * from the stack are final (osls does not resolve variables again inside them), and
 * test/integration/package.test.ts checks that they arrive in the packaged template verbatim.
 */
const { ref, join } = require('./cfn');
const { schemaTools } = require('./lib');
const { ConfigError } = require('./settings');

/** Glue database name derived from service and stage: `cflogs-dev` -> `cflogs_dev`. */
function databaseName(s) {
  return `${s.service}_${s.stage}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
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

/**
 * One AWS::Glue::Table per table of the lake (a log type's in the lake's format, the rejects', the alerts'), by
 * logical id; without the log types' tables when they are Iceberg tables (`events: false`, infra/stack/iceberg.js).
 */
function glueTables(format, { events = true } = {}) {
  const { schemas, glueTableInput, lakeTables } = schemaTools();
  const eventTables = new Set(schemas.map((s) => s.table));
  const out = {};
  for (const table of lakeTables(schemas, `s3://${BUCKET_MARK}`, format)) {
    if (!events && eventTables.has(table.name)) continue;
    const id = tableLogicalId(table.name);
    if (out[id]) throw new ConfigError(`two tables map to the Glue resource ${id}`);
    out[id] = {
      Type: 'AWS::Glue::Table',
      Properties: {
        CatalogId: ref('AWS::AccountId'),
        DatabaseName: ref('GlueDatabase'),
        TableInput: withBucketRef(glueTableInput(table)),
      },
    };
  }
  return out;
}

module.exports = { databaseName, tableLogicalId, glueTables };
