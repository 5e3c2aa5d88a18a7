/**
 * Lambda behind a function URL (payload format 2.0; API Gateway HTTP APIs send the same shape): Cloudflare
 * Logpush's HTTP destination -> partitioned, enriched NDJSON in the output bucket. Config, clients and the
 * shared-secret provider are built once per container; each invocation calls one lib function.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { S3Client } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { loadConfig } from '../lib/config';
import { ConfigError } from '../lib/errors';
import { loadHttpConfig } from '../lib/http/config';
import type { HttpDeps } from '../lib/http/handler';
import { handleFunctionUrlEvent } from '../lib/http/lambda';
import { errorFields } from '../lib/log';
import { Router } from '../lib/route/router';
import { builtInRegistry } from '../lib/schema/registry';
import { S3Store } from '../lib/lake/s3-store';

const config = loadConfig();
if (!config.outputBucket) throw new ConfigError('CFLOGS_OUTPUT_BUCKET is required');
const http = loadHttpConfig();
const logger = new Logger({ serviceName: 'cflogs-http-ingest' });
const s3 = new S3Client({});
const deps: HttpDeps = {
  http,
  router: new Router(config.routes, builtInRegistry(), config),
  store: new S3Store(s3, config.outputBucket),
  config,
  clock: () => new Date(),
  log: logger,
};
// Warm the secret cache during init; a failure here is retried on the first request (and answered 500 there).
http.getSecret().catch((e: unknown) => logger.warn('shared secret not available at start', errorFields(e)));

export const handler = async (event: APIGatewayProxyEventV2, context: Context): Promise<APIGatewayProxyStructuredResultV2> => {
  logger.addContext(context);
  return handleFunctionUrlEvent(event, deps);
};
