// Turns a raw HTTP request into an API request: which signature style, the
// common parameters (Action, Version, Region, Timestamp, ...), and the action
// parameters (a JSON value, or form/query pairs such as `InstanceIds.0=...`).
// Pure: no sockets, no state.

import type { IncomingHttpHeaders } from "node:http";
import { apiFault, msg } from "../errors";

export interface RawHttpRequest {
  method: string;
  /** Request target as received, e.g. "/?Action=..." */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export type ParamInput = { kind: "json"; value: unknown } | { kind: "form"; pairs: [string, string][] };

export type SignatureStyle = "TC3-HMAC-SHA256" | "HmacSHA256" | "HmacSHA1";

export interface ApiRequest {
  style: "tc3" | "v1";
  signatureMethod: SignatureStyle;
  httpMethod: "GET" | "POST";
  path: string;
  /** Raw query string after "?" ("" if none). */
  rawQuery: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  action: string;
  version?: string;
  region?: string;
  timestamp?: string;
  nonce?: string;
  token?: string;
  secretId?: string;
  /** TC3 only. */
  authorization?: string;
  /** v1 only: every pair that is signed (all but Signature). */
  v1Pairs?: [string, string][];
  /** v1 only. */
  v1Signature?: string;
  params: ParamInput;
}

/** Common parameters of the v1 (GET / POST form) style. */
export const V1_COMMON_PARAMS = [
  "Action",
  "Version",
  "Region",
  "Timestamp",
  "Nonce",
  "SecretId",
  "Signature",
  "SignatureMethod",
  "Token",
  "RequestClient",
  "Language",
] as const;

export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  if (Array.isArray(v)) return v.join(", ");
  return v;
}

function splitUrl(url: string): { path: string; query: string } {
  const q = url.indexOf("?");
  return q < 0 ? { path: url, query: "" } : { path: url.slice(0, q), query: url.slice(q + 1) };
}

function decodePairs(s: string): [string, string][] {
  if (s === "") return [];
  return [...new URLSearchParams(s).entries()];
}

function mediaType(contentType: string | undefined): string {
  return (contentType ?? "").split(";")[0].trim().toLowerCase();
}

function assertNoDuplicates(pairs: [string, string][]): void {
  const seen = new Set<string>();
  for (const [k] of pairs) {
    if (seen.has(k))
      throw apiFault("InvalidParameter", `The parameter \`${k}\` is specified more than once.`);
    seen.add(k);
  }
}

function unsupportedContentType(media: string): never {
  throw apiFault(
    "InvalidParameter",
    `The Content-Type \`${media || "(none)"}\` is not supported; use application/json or application/x-www-form-urlencoded.`,
  );
}

function parseJsonBody(body: Buffer): unknown {
  const text = body.toString("utf8");
  if (text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw apiFault("InvalidParameter", "The request body is not valid JSON.");
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw apiFault("InvalidParameter", "The request body must be a JSON object.");
  }
  return value;
}

/**
 * Best-effort identification for logging, never throws: action, region and
 * secretId as claimed by the request.
 */
export function peekRequest(raw: RawHttpRequest): { action: string; region: string; secretId: string } {
  try {
    const auth = header(raw.headers, "authorization");
    const xAction = header(raw.headers, "x-tc-action");
    if (auth !== undefined || xAction !== undefined) {
      const m = /Credential=([^/,\s]*)\//.exec(auth ?? "");
      return {
        action: xAction ?? "",
        region: header(raw.headers, "x-tc-region") ?? "",
        secretId: m ? m[1] : "",
      };
    }
    const { query } = splitUrl(raw.url);
    const src = raw.method === "POST" ? raw.body.toString("utf8") : query;
    const p = new URLSearchParams(src);
    return {
      action: p.get("Action") ?? "",
      region: p.get("Region") ?? "",
      secretId: p.get("SecretId") ?? "",
    };
  } catch {
    return { action: "", region: "", secretId: "" };
  }
}

/** Parses the request; throws ApiFault for what the gateway would reject. */
export function parseRequest(raw: RawHttpRequest): ApiRequest {
  const method = raw.method.toUpperCase();
  if (method !== "GET" && method !== "POST") {
    throw apiFault(
      "UnsupportedProtocol",
      `The HTTP method \`${raw.method}\` is not supported; use GET or POST.`,
    );
  }
  const { path, query } = splitUrl(raw.url);
  const contentType = header(raw.headers, "content-type");
  const media = mediaType(contentType);
  const authorization = header(raw.headers, "authorization");
  const xAction = header(raw.headers, "x-tc-action");
  const received = {
    httpMethod: method,
    path,
    rawQuery: query,
    headers: raw.headers,
    body: raw.body,
  } as const;

  if (authorization !== undefined || xAction !== undefined) {
    // TC3 style: common parameters travel in X-TC-* headers.
    let params: ParamInput;
    if (method === "GET") {
      const pairs = decodePairs(query);
      assertNoDuplicates(pairs);
      params = { kind: "form", pairs };
    } else if (media === "application/json") {
      params = { kind: "json", value: parseJsonBody(raw.body) };
    } else if (media === "application/x-www-form-urlencoded") {
      const pairs = decodePairs(raw.body.toString("utf8"));
      assertNoDuplicates(pairs);
      params = { kind: "form", pairs };
    } else {
      unsupportedContentType(media);
    }
    const action = xAction ?? "";
    if (action === "") throw apiFault("MissingParameter", msg.missing("X-TC-Action"));
    return {
      style: "tc3",
      signatureMethod: "TC3-HMAC-SHA256",
      ...received,
      action,
      version: header(raw.headers, "x-tc-version"),
      region: header(raw.headers, "x-tc-region") || undefined,
      timestamp: header(raw.headers, "x-tc-timestamp"),
      token: header(raw.headers, "x-tc-token"),
      authorization,
      params,
    };
  }

  // v1 style: every parameter in the query (GET) or the form body (POST).
  let pairs: [string, string][];
  if (method === "GET") {
    pairs = decodePairs(query);
  } else if (media === "application/x-www-form-urlencoded") {
    pairs = decodePairs(raw.body.toString("utf8"));
  } else if (media === "application/json") {
    // A JSON body without X-TC-* headers: the action is unknown.
    parseJsonBody(raw.body);
    throw apiFault("MissingParameter", msg.missing("X-TC-Action"));
  } else {
    unsupportedContentType(media);
  }
  assertNoDuplicates(pairs);
  const common = new Map<string, string>();
  const actionPairs: [string, string][] = [];
  for (const [k, v] of pairs) {
    if ((V1_COMMON_PARAMS as readonly string[]).includes(k)) common.set(k, v);
    else actionPairs.push([k, v]);
  }
  const action = common.get("Action") ?? "";
  if (action === "") throw apiFault("MissingParameter", msg.missing("Action"));
  const sm = common.get("SignatureMethod") ?? "HmacSHA1";
  if (sm !== "HmacSHA1" && sm !== "HmacSHA256") {
    throw apiFault(
      "InvalidParameterValue",
      "The parameter `SignatureMethod` must be HmacSHA1 or HmacSHA256.",
    );
  }
  return {
    style: "v1",
    signatureMethod: sm,
    ...received,
    action,
    version: common.get("Version"),
    region: common.get("Region") || undefined,
    timestamp: common.get("Timestamp"),
    nonce: common.get("Nonce"),
    token: common.get("Token"),
    secretId: common.get("SecretId"),
    v1Pairs: pairs.filter(([k]) => k !== "Signature"),
    v1Signature: common.get("Signature"),
    params: { kind: "form", pairs: actionPairs },
  };
}
