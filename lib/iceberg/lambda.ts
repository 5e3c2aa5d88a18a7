import type { SQSBatchResponse } from 'aws-lambda';
import { isSqsEvent } from '../sqs';
import { errorFields } from '../log';
import { messageOf } from '../errors';
import { commitQueued, CommitterDeps, CommitterReport, ensureTables } from './committer';
import type { IcebergTableSpec } from './tables';

/**
 * The committer function's events: SQS batches of hand-offs (a partial batch response names the messages to
 * redeliver), and the stack's custom resource that creates the tables at deploy time, before the table optimizers
 * are set on them.
 */
export interface CommitterLambdaDeps extends CommitterDeps {
  /** Every table of the deployment, for the custom resource. */
  specs: readonly IcebergTableSpec[];
  /** PUTs a custom resource's answer to its pre-signed URL (fetch, by default). */
  put?: (url: string, body: string) => Promise<{ ok: boolean; status: number }>;
}

/** What CloudFormation sends a custom resource (the fields the answer needs). */
interface CustomResourceEvent {
  RequestType: 'Create' | 'Update' | 'Delete';
  ResponseURL: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  PhysicalResourceId?: string;
}

export async function handleCommitterEvent(event: unknown, deps: CommitterLambdaDeps): Promise<SQSBatchResponse | { tables: string[] }> {
  if (isCustomResource(event)) return { tables: await customResource(event, deps) };
  if (!isSqsEvent(event)) throw new Error('the committer takes SQS batches of hand-offs and its custom resource only');
  const report: CommitterReport = await commitQueued(
    deps,
    event.Records.map((r) => ({ id: r.messageId, body: r.body })),
  );
  return { batchItemFailures: report.failed.map((itemIdentifier) => ({ itemIdentifier })) };
}

/**
 * Creates the tables that are missing on Create and Update; Delete keeps them (and their data), as the stack keeps
 * the lake's bucket. CloudFormation always gets an answer: without one it waits an hour.
 */
async function customResource(e: CustomResourceEvent, deps: CommitterLambdaDeps): Promise<string[]> {
  let created: string[] = [];
  let failure: string | undefined;
  if (e.RequestType !== 'Delete') {
    try {
      created = await ensureTables(deps, deps.specs);
      deps.log.info('iceberg tables ready', { tables: deps.specs.length, created: created.length });
    } catch (err) {
      failure = messageOf(err);
      deps.log.error('iceberg tables could not be created', errorFields(err));
    }
  }
  const answer = JSON.stringify({
    Status: failure === undefined ? 'SUCCESS' : 'FAILED',
    Reason: failure === undefined ? `${deps.specs.length} tables, ${created.length} created` : failure.slice(0, 1000),
    PhysicalResourceId: e.PhysicalResourceId ?? `${e.LogicalResourceId}-iceberg-tables`,
    StackId: e.StackId,
    RequestId: e.RequestId,
    LogicalResourceId: e.LogicalResourceId,
    Data: { Tables: String(deps.specs.length), Created: String(created.length) },
  });
  const res = await (deps.put ?? putAnswer)(e.ResponseURL, answer);
  if (!res.ok) throw new Error(`the custom resource's answer was refused: HTTP ${res.status}`);
  return created;
}

/** The pre-signed S3 URL takes a PUT with no content type (the signature covers none). */
async function putAnswer(url: string, body: string): Promise<{ ok: boolean; status: number }> {
  const res = await fetch(url, { method: 'PUT', body, headers: { 'content-type': '' }, signal: AbortSignal.timeout(30_000) });
  return { ok: res.ok, status: res.status };
}

function isCustomResource(e: unknown): e is CustomResourceEvent {
  const c = e as Partial<CustomResourceEvent> | null;
  return typeof c === 'object' && c !== null && typeof c.ResponseURL === 'string' && typeof c.RequestType === 'string' && typeof c.StackId === 'string';
}
