/**
 * Lambda: S3 ObjectCreated (direct, SQS, SNS-in-SQS or EventBridge) -> partitioned, enriched NDJSON in the
 * output bucket. Config and clients are built once per container; each invocation calls one lib function.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { loadConfig } from '../lib/config';
import { ConfigError } from '../lib/errors';
import { powertoolsMetrics } from '../lib/s3/metrics';
import { handleS3Event } from '../lib/s3/handler';
import { Router } from '../lib/route/router';
import { builtInRegistry } from '../lib/schema/registry';
import { S3Store } from '../lib/lake/s3-store';

const config = loadConfig();
if (!config.outputBucket) throw new ConfigError('CFLOGS_OUTPUT_BUCKET is required');
const logger = new Logger({ serviceName: 'cflogs-s3-ingest' });
const s3 = new S3Client({ forcePathStyle: config.s3ForcePathStyle });
const deps = {
  s3,
  store: new S3Store(s3, config.outputBucket),
  router: new Router(config.routes, builtInRegistry(), config),
  config,
  clock: () => new Date(),
  log: logger,
  metrics: powertoolsMetrics(new Metrics({ namespace: 'cflogs', serviceName: 'cflogs-s3-ingest' })),
};

export const handler = async (event: unknown, context: Context) => {
  logger.addContext(context);
  return handleS3Event(event, deps, context);
};
