/**
 * Lambda: S3 ObjectCreated (direct, SQS, SNS-in-SQS or EventBridge) -> partitioned, enriched rows (Parquet, or
 * NDJSON when configured) in the output bucket. Config and clients are built once per container (lib/wiring.ts);
 * each invocation calls one lib function.
 */
import type { Context } from 'aws-lambda';
import { handleS3Event } from '../lib/s3/handler';
import { Logger, Metrics, powertoolsAlertMetrics, powertoolsMetrics } from '../lib/aws/powertools';
import { wireS3 } from '../lib/wiring';

const logger = new Logger({ serviceName: 'cflogs-s3-ingest' });
const metrics = new Metrics({ namespace: 'cflogs', serviceName: 'cflogs-s3-ingest' });
const deps = wireS3(process.env, { log: logger, metrics: powertoolsMetrics(metrics), alertMetrics: powertoolsAlertMetrics(metrics) });

export const handler = async (event: unknown, context: Context) => {
  logger.addContext(context);
  return handleS3Event(event, deps, context);
};
