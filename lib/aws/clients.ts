import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GlueClient } from '@aws-sdk/client-glue';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';

/** The SDK clients the composition root builds, so that it and its callers name them without an AWS package. */
export { DynamoDBClient, GlueClient, S3Client, SNSClient, SQSClient };

/** S3 for the functions; path-style addressing for S3-compatible servers (CFLOGS_S3_FORCE_PATH_STYLE). */
export function s3Client(opts: { forcePathStyle: boolean }): S3Client {
  return new S3Client(opts);
}

export function dynamoDbClient(): DynamoDBClient {
  return new DynamoDBClient({});
}

/** A publish call that hangs gives up after 10 s (three attempts: 30 s), well within an alert's claim (CLAIM_LEASE_MS). */
export function snsClient(): SNSClient {
  return new SNSClient({ requestHandler: { requestTimeout: 10_000, throwOnRequestTimeout: true } });
}

/** The Glue Data Catalog, where the Iceberg tables are registered (GlueCatalog); AWS_ENDPOINT_URL_GLUE for a Glue-compatible server. */
export function glueClient(): GlueClient {
  return new GlueClient({});
}

/** The Iceberg committer's queue, for the ingest functions' hand-offs. */
export function sqsClient(): SQSClient {
  return new SQSClient({});
}
