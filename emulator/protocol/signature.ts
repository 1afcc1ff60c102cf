// Signature algorithms of Tencent Cloud API 3.0: TC3-HMAC-SHA256 and the older
// HmacSHA256 / HmacSHA1 ("v1") query signatures. Pure functions; the decision
// of which error code to return lives in auth.ts.

import { createHash, createHmac, timingSafeEqual } from "node:crypto";

export function sha256Hex(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac("sha256", key).update(data, "utf8").digest();
}

/** UTC date (YYYY-MM-DD) of a unix timestamp in seconds, as used in the credential scope. */
export function tc3Date(timestamp: number): string {
  return new Date(timestamp * 1000).toISOString().slice(0, 10);
}

export interface Tc3SignInput {
  method: string;
  /** Canonical URI, "/" for the API. */
  path: string;
  /** Canonical query string: the raw query for GET, "" for POST. */
  query: string;
  /** Signed headers as [lowercase name, value]; values are trimmed here. */
  headers: [string, string][];
  /** Hash input: the raw body ("" for GET). */
  payload: string | Buffer;
  /** Precomputed hex sha256 of the payload (a verifier trying several variants hashes once). */
  payloadHash?: string;
  timestamp: number;
  service: string;
  secretKey: string;
  /** Credential-scope date; defaults to the UTC date of `timestamp`. */
  date?: string;
}

export interface Tc3SignOutput {
  canonicalRequest: string;
  hashedCanonicalRequest: string;
  stringToSign: string;
  credentialScope: string;
  signedHeaders: string;
  signature: string;
}

/** The TC3-HMAC-SHA256 signature of a request (steps 1–4 of the algorithm). */
export function signTc3(input: Tc3SignInput): Tc3SignOutput {
  const headers = input.headers
    .map(([n, v]) => [n.toLowerCase().trim(), v.trim()] as [string, string])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const canonicalHeaders = headers.map(([n, v]) => `${n}:${v}\n`).join("");
  const signedHeaders = headers.map(([n]) => n).join(";");
  const canonicalRequest = [
    input.method.toUpperCase(),
    input.path,
    input.query,
    canonicalHeaders,
    signedHeaders,
    input.payloadHash ?? sha256Hex(input.payload),
  ].join("\n");
  const date = input.date ?? tc3Date(input.timestamp);
  const credentialScope = `${date}/${input.service}/tc3_request`;
  const hashedCanonicalRequest = sha256Hex(canonicalRequest);
  const stringToSign = [
    "TC3-HMAC-SHA256",
    String(input.timestamp),
    credentialScope,
    hashedCanonicalRequest,
  ].join("\n");
  const kDate = hmac("TC3" + input.secretKey, date);
  const kService = hmac(kDate, input.service);
  const kSigning = hmac(kService, "tc3_request");
  const signature = createHmac("sha256", kSigning).update(stringToSign, "utf8").digest("hex");
  return {
    canonicalRequest,
    hashedCanonicalRequest,
    stringToSign,
    credentialScope,
    signedHeaders,
    signature,
  };
}

export function buildTc3Authorization(
  secretId: string,
  credentialScope: string,
  signedHeaders: string,
  signature: string,
) {
  return `TC3-HMAC-SHA256 Credential=${secretId}/${credentialScope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
}

export interface ParsedAuthorization {
  secretId: string;
  date: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

/** Parses `TC3-HMAC-SHA256 Credential=ID/DATE/SERVICE/tc3_request, SignedHeaders=a;b, Signature=hex`; null if malformed. */
export function parseTc3Authorization(header: string): ParsedAuthorization | null {
  const m = /^TC3-HMAC-SHA256\s+(.*)$/s.exec(header.trim());
  if (!m) return null;
  const parts = new Map<string, string>();
  for (const piece of m[1].split(",")) {
    const eq = piece.indexOf("=");
    if (eq < 0) return null;
    const key = piece.slice(0, eq).trim();
    if (parts.has(key)) return null;
    parts.set(key, piece.slice(eq + 1).trim());
  }
  const credential = parts.get("Credential");
  const signedHeaders = parts.get("SignedHeaders");
  const signature = parts.get("Signature");
  if (!credential || !signedHeaders || !signature || parts.size !== 3) return null;
  const scope = credential.split("/");
  if (scope.length !== 4 || scope[3] !== "tc3_request") return null;
  const [secretId, date, service] = scope;
  if (!secretId || !/^\d{4}-\d{2}-\d{2}$/.test(date) || !/^[A-Za-z0-9_.-]{1,64}$/.test(service)) return null;
  if (!/^[0-9a-f]{64}$/.test(signature)) return null;
  const names = signedHeaders.split(";");
  if (names.some((n) => !/^[a-z0-9-]+$/.test(n))) return null;
  return { secretId, date, service, signedHeaders: names, signature };
}

/** Constant-time comparison of two strings. */
export function safeEqual(a: string, b: string): boolean {
  const ba = Buffer.from(a, "utf8");
  const bb = Buffer.from(b, "utf8");
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}

export type V1SignatureMethod = "HmacSHA256" | "HmacSHA1";

/**
 * The v1 string to sign: METHOD + host + path + "?" + the parameters (all but
 * Signature, raw values, not URL-encoded) sorted by name and joined as k=v&k=v.
 */
export function v1StringToSign(
  method: string,
  host: string,
  path: string,
  params: [string, string][],
): string {
  const sorted = params
    .filter(([k]) => k !== "Signature")
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  return `${method.toUpperCase()}${host}${path}?${sorted}`;
}

/** Base64 HMAC of the v1 string to sign. */
export function signV1(stringToSign: string, secretKey: string, method: V1SignatureMethod): string {
  return createHmac(method === "HmacSHA256" ? "sha256" : "sha1", secretKey)
    .update(Buffer.from(stringToSign, "utf8"))
    .digest("base64");
}
