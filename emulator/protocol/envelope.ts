// The API 3.0 response envelope. Replies are `Content-Type: application/json`
// with no charset parameter (some official SDKs compare the header exactly).

import { randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";

const JSON_CONTENT_TYPE = "application/json";

export function newRequestId(): string {
  return randomUUID();
}

export function successBody(fields: Record<string, unknown>, requestId: string): string {
  return JSON.stringify({ Response: { ...fields, RequestId: requestId } });
}

export function errorBody(code: string, message: string, requestId: string): string {
  return JSON.stringify({ Response: { Error: { Code: code, Message: message }, RequestId: requestId } });
}

export function send(
  res: ServerResponse,
  status: number,
  body: string,
  extraHeaders: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    "Content-Type": JSON_CONTENT_TYPE,
    "Content-Length": String(Buffer.byteLength(body)),
    ...extraHeaders,
  });
  res.end(body);
}
