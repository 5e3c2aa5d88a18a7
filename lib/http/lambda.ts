import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { handleLogpushRequest, HttpDeps, LogpushRequest, LogpushResponse } from './handler';

/**
 * A Lambda function URL event (payload format 2.0, which API Gateway HTTP APIs share) -> the transport-neutral
 * request. Function URLs base64-encode binary bodies (gzip): decode them; the bytes decide gzip or plain.
 */
export function requestFromFunctionUrl(event: APIGatewayProxyEventV2): LogpushRequest {
  const raw = event.body ?? '';
  return {
    method: event.requestContext.http.method,
    path: event.rawPath ?? event.requestContext.http.path ?? '/',
    query: { ...(event.queryStringParameters ?? {}) },
    headers: { ...(event.headers ?? {}) },
    body: event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8'),
    requestId: event.requestContext.requestId,
  };
}

export function toFunctionUrlResult(res: LogpushResponse): APIGatewayProxyStructuredResultV2 {
  return { statusCode: res.status, headers: res.headers, body: res.body, isBase64Encoded: false };
}

/** The whole Lambda entry: it never throws (a thrown error would be a bare 502; a 500 says "retry"). */
export async function handleFunctionUrlEvent(event: APIGatewayProxyEventV2, deps: HttpDeps): Promise<APIGatewayProxyStructuredResultV2> {
  return toFunctionUrlResult(await handleLogpushRequest(requestFromFunctionUrl(event), deps));
}
