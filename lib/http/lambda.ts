import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { checkRequestHead, handleAdmittedRequest, HttpDeps, LogpushRequest, LogpushRequestHead, LogpushResponse } from './handler';

/** A function URL event's head (payload format 2.0, which API Gateway HTTP APIs share): its body untouched. */
export function requestHeadFromFunctionUrl(event: APIGatewayProxyEventV2): LogpushRequestHead {
  return {
    method: event.requestContext.http.method,
    path: event.rawPath ?? event.requestContext.http.path ?? '/',
    query: { ...(event.queryStringParameters ?? {}) },
    headers: { ...(event.headers ?? {}) },
    requestId: event.requestContext.requestId,
  };
}

/**
 * A Lambda function URL event -> the transport-neutral request. Function URLs base64-encode binary bodies
 * (gzip, zstd): decode them; the bytes decide the compression.
 */
export function requestFromFunctionUrl(event: APIGatewayProxyEventV2): LogpushRequest {
  return { ...requestHeadFromFunctionUrl(event), body: bodyOf(event) };
}

function bodyOf(event: APIGatewayProxyEventV2): Buffer {
  const raw = event.body ?? '';
  return event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
}

/** The decoded body's length in bytes, without decoding it (for base64, from the text's length alone). */
function bodyLength(event: APIGatewayProxyEventV2): number {
  const raw = event.body ?? '';
  return Buffer.byteLength(raw, event.isBase64Encoded ? 'base64' : 'utf8');
}

export function toFunctionUrlResult(res: LogpushResponse): APIGatewayProxyStructuredResultV2 {
  return { statusCode: res.status, headers: res.headers, body: res.body, isBase64Encoded: false };
}

/**
 * The whole Lambda entry: it never throws (a thrown error would be a bare 502; a 500 says "retry"). The body
 * arrives whole with the event, but is decoded (a copy of up to 6 MB) only once the head check has admitted the
 * request: a request without the secret costs a header lookup and a hash.
 */
export async function handleFunctionUrlEvent(event: APIGatewayProxyEventV2, deps: HttpDeps): Promise<APIGatewayProxyStructuredResultV2> {
  const head = requestHeadFromFunctionUrl(event);
  const refused = await checkRequestHead(head, deps, () => bodyLength(event));
  if (refused) return toFunctionUrlResult(refused);
  return toFunctionUrlResult(await handleAdmittedRequest({ ...head, body: bodyOf(event) }, deps));
}
