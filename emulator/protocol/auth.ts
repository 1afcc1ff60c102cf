// Authentication of an API request: which AuthFailure.* (or MissingParameter)
// a request gets, in this order:
//   1. missing Authorization (TC3) / SecretId, Signature, Nonce (v1) -> MissingParameter
//   2. malformed Authorization header                                -> AuthFailure.SignatureFailure
//   3. missing / non-numeric timestamp                               -> MissingParameter / InvalidParameter
//   4. timestamp more than 300 s from the server clock               -> AuthFailure.SignatureExpire
//   5. secretId unknown: malformed shape -> AuthFailure.InvalidSecretId, else AuthFailure.SecretIdNotFound
//   6. signature mismatch (incl. scope date != timestamp date)       -> AuthFailure.SignatureFailure
//   7. credential has a token and the request's token differs,
//      or the (temporary) credential has expired                     -> AuthFailure.TokenFailure
// Error messages never contain secret keys or tokens.

import { apiFault, msg } from "../errors";
import { header, type ApiRequest } from "./request";
import {
  parseTc3Authorization,
  safeEqual,
  sha256Hex,
  signTc3,
  signV1,
  tc3Date,
  v1StringToSign,
  type V1SignatureMethod,
} from "./signature";

export interface StoredCredential {
  secretKey: string;
  token?: string;
  /** Temporary credentials: refused from this instant (ms since the epoch). */
  expiresAtMs?: number;
}

export interface CredentialLookup {
  get(secretId: string): StoredCredential | undefined;
}

const MAX_CLOCK_SKEW_S = 300;

const SECRET_ID_SHAPE = /^[A-Za-z0-9_-]{1,128}$/;

export interface AuthResult {
  secretId: string;
}

/** Why a signature did not match (for the log only; never sent to the client). */
export type AuthDebug = (line: string) => void;

function checkTimestamp(value: string | undefined, name: string, nowMs: number): number {
  if (value === undefined || value === "") throw apiFault("MissingParameter", msg.missing(name));
  if (!/^\d{1,12}$/.test(value)) {
    throw apiFault("InvalidParameter", `The parameter \`${name}\` must be a unix timestamp in seconds.`);
  }
  const ts = Number(value);
  if (Math.abs(nowMs / 1000 - ts) > MAX_CLOCK_SKEW_S) {
    throw apiFault(
      "AuthFailure.SignatureExpire",
      `Signature expired: timestamp ${ts} is more than ${MAX_CLOCK_SKEW_S} seconds away from the server time ${Math.floor(nowMs / 1000)}.`,
    );
  }
  return ts;
}

function lookup(creds: CredentialLookup, secretId: string): StoredCredential {
  const cred = creds.get(secretId);
  if (cred) return cred;
  if (!SECRET_ID_SHAPE.test(secretId)) {
    throw apiFault("AuthFailure.InvalidSecretId", "The SecretId is not a valid cloud API key id.");
  }
  throw apiFault("AuthFailure.SecretIdNotFound", `The SecretId \`${secretId}\` is not found.`);
}

function checkToken(cred: StoredCredential, token: string | undefined, nowMs: number): void {
  if (cred.token === undefined) return; // a permanent key ignores any token sent
  if (cred.expiresAtMs !== undefined && nowMs >= cred.expiresAtMs) {
    throw apiFault("AuthFailure.TokenFailure", "The temporary credential has expired.");
  }
  if (token === undefined || token === "" || !safeEqual(token, cred.token)) {
    throw apiFault(
      "AuthFailure.TokenFailure",
      "The token is missing or does not match the temporary credential.",
    );
  }
}

/** Host values a client may have signed: as received, and without the port. */
function hostCandidates(host: string | undefined): string[] {
  if (!host) return [];
  const out = [host];
  const m = /^(.*):\d+$/.exec(host);
  if (m && !host.endsWith("]")) out.push(m[1]);
  return out;
}

export function authenticate(
  req: ApiRequest,
  creds: CredentialLookup,
  nowMs: number,
  debug?: AuthDebug,
): AuthResult {
  return req.style === "tc3"
    ? authenticateTc3(req, creds, nowMs, debug)
    : authenticateV1(req, creds, nowMs, debug);
}

function authenticateTc3(
  req: ApiRequest,
  creds: CredentialLookup,
  nowMs: number,
  debug?: AuthDebug,
): AuthResult {
  if (req.authorization === undefined || req.authorization.trim() === "") {
    throw apiFault("MissingParameter", msg.missing("Authorization"));
  }
  const auth = parseTc3Authorization(req.authorization);
  if (!auth) {
    throw apiFault(
      "AuthFailure.SignatureFailure",
      "The Authorization header is malformed; expected `TC3-HMAC-SHA256 Credential=<SecretId>/<date>/<service>/tc3_request, SignedHeaders=<names>, Signature=<hex>`.",
    );
  }
  if (!auth.signedHeaders.includes("content-type") || !auth.signedHeaders.includes("host")) {
    throw apiFault("AuthFailure.SignatureFailure", "SignedHeaders must include content-type and host.");
  }
  const ts = checkTimestamp(req.timestamp, "X-TC-Timestamp", nowMs);
  const cred = lookup(creds, auth.secretId);
  if (auth.date !== tc3Date(ts)) {
    throw apiFault(
      "AuthFailure.SignatureFailure",
      `The credential scope date ${auth.date} does not match the date of X-TC-Timestamp (${tc3Date(ts)}).`,
    );
  }
  // Values of the signed headers; host and letter-case variants are tried.
  const values: [string, string[]][] = [];
  for (const name of auth.signedHeaders) {
    const v = header(req.headers, name);
    if (v === undefined)
      throw apiFault("AuthFailure.SignatureFailure", `The signed header \`${name}\` is missing.`);
    const variants = name === "host" ? hostCandidates(v) : [v];
    values.push([name, variants]);
  }
  const combos: [string, string][][] = [[]];
  for (const [name, variants] of values) {
    const next: [string, string][][] = [];
    for (const c of combos) for (const v of variants) next.push([...c, [name, v]]);
    combos.splice(0, combos.length, ...next);
  }
  const payloadHash = sha256Hex(req.body);
  const tried = new Set<string>();
  let firstCanonical: string | undefined;
  for (const combo of combos) {
    for (const lower of [false, true]) {
      const headers = combo.map(([n, v]) => [n, lower ? v.toLowerCase() : v] as [string, string]);
      const key = JSON.stringify(headers);
      if (tried.has(key)) continue;
      tried.add(key);
      const out = signTc3({
        method: req.httpMethod,
        path: req.path,
        query: req.rawQuery,
        headers,
        payload: req.body,
        payloadHash,
        timestamp: ts,
        service: auth.service,
        secretKey: cred.secretKey,
        date: auth.date,
      });
      if (safeEqual(out.signature, auth.signature)) {
        checkToken(cred, req.token, nowMs);
        return { secretId: auth.secretId };
      }
      firstCanonical ??= out.canonicalRequest;
    }
  }
  debug?.(
    `TC3 signature mismatch for ${auth.secretId}; expected canonical request (as received):\n` +
      (firstCanonical ?? "").replace(/^x-tc-token:.*$/m, "x-tc-token:***"),
  );
  throw apiFault("AuthFailure.SignatureFailure");
}

function authenticateV1(
  req: ApiRequest,
  creds: CredentialLookup,
  nowMs: number,
  debug?: AuthDebug,
): AuthResult {
  if (req.secretId === undefined || req.secretId === "")
    throw apiFault("MissingParameter", msg.missing("SecretId"));
  if (req.v1Signature === undefined || req.v1Signature === "") {
    throw apiFault("MissingParameter", msg.missing("Signature"));
  }
  checkTimestamp(req.timestamp, "Timestamp", nowMs);
  if (req.nonce === undefined || req.nonce === "") throw apiFault("MissingParameter", msg.missing("Nonce"));
  if (!/^\d{1,19}$/.test(req.nonce))
    throw apiFault("InvalidParameter", "The parameter `Nonce` must be a positive integer.");
  const cred = lookup(creds, req.secretId);
  const method = req.signatureMethod as V1SignatureMethod;
  let first: string | undefined;
  for (const host of hostCandidates(header(req.headers, "host"))) {
    const sts = v1StringToSign(req.httpMethod, host, req.path, req.v1Pairs ?? []);
    if (safeEqual(signV1(sts, cred.secretKey, method), req.v1Signature)) {
      checkToken(cred, req.token, nowMs);
      return { secretId: req.secretId };
    }
    first ??= sts;
  }
  debug?.(
    `${method} signature mismatch for ${req.secretId}; string to sign: ${(first ?? "").replace(/([?&]Token=)[^&]*/, "$1***")}`,
  );
  throw apiFault("AuthFailure.SignatureFailure");
}
