/**
 * Lambda behind a function URL (payload format 2.0; API Gateway HTTP APIs send the same shape): Cloudflare
 * Logpush's HTTP destination -> partitioned, enriched rows (Parquet, or NDJSON when configured) in the output bucket. Config, clients and the
 * shared-secret provider are built once per container (lib/wiring.ts); each invocation calls one lib function.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { handleFunctionUrlEvent } from '../lib/http/lambda';
import { errorFields } from '../lib/log';
import { Logger, Metrics, powertoolsAlertMetrics } from '../lib/aws/powertools';
import { wireHttp } from '../lib/wiring';

const logger = new Logger({ serviceName: 'cflogs-http-ingest' });
const deps = wireHttp(process.env, {
  log: logger,
  alertMetrics: powertoolsAlertMetrics(new Metrics({ namespace: 'cflogs', serviceName: 'cflogs-http-ingest' })),
});
// Warm the secret cache during init; a failure here is retried on the first request (and answered 500 there).
deps.http.getSecret().catch((e: unknown) => logger.warn('shared secret not available at start', errorFields(e)));

export const handler = async (event: APIGatewayProxyEventV2, context: Context): Promise<APIGatewayProxyStructuredResultV2> => {
  logger.addContext(context);
  return handleFunctionUrlEvent(event, deps);
};
