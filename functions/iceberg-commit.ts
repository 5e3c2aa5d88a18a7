/**
 * Lambda: the Iceberg committer. SQS batches of hand-offs (each input's Parquet files, from the ingest functions) ->
 * one snapshot per table in the Glue Data Catalog, exactly once per input; and the stack's custom resource that
 * creates the tables at deploy time. Config and clients are built once per container (lib/wiring.ts).
 */
import type { Context } from 'aws-lambda';
import { handleCommitterEvent } from '../lib/iceberg/lambda';
import { Logger } from '../lib/aws/powertools';
import { wireCommitter } from '../lib/wiring';

const logger = new Logger({ serviceName: 'cflogs-iceberg-commit' });
const deps = wireCommitter(process.env, { log: logger });

export const handler = async (event: unknown, context: Context) => {
  logger.addContext(context);
  return handleCommitterEvent(event, deps);
};
