// Error types and secret redaction.
//
// Every message that leaves the implementation goes through `redact()`: the
// secret key and the token of every credential this process has seen are
// replaced by "***" wherever they appear.

import { MAX_SGS_PER_INSTANCE } from "./limits";
import { CONFIG_KEYS } from "./settings/sources";

const secrets = new Set<string>();

/** Remembers a secret so that it is scrubbed from every message from now on. */
export function registerSecret(value: string | undefined | null): void {
  if (typeof value !== "string") return;
  const v = value.trim();
  // Very short strings would scrub ordinary words; real keys are long.
  if (v.length >= 4) secrets.add(v);
}

export function redact(text: string): string {
  let out = String(text);
  for (const s of secrets) {
    if (out.includes(s)) out = out.split(s).join("***");
  }
  return out;
}

/** For tests. */
export function clearRegisteredSecrets(): void {
  secrets.clear();
}

export type CvmAction = "AssociateSecurityGroups" | "DisassociateSecurityGroups" | "DescribeInstances";

/** Codes this project invents for failures that did not come from the API. */
export const LOCAL_CODES = {
  network: "ClientError.Network",
  http: "ClientError.HttpStatus",
  credentials: "ClientError.NoCredentials",
  timeout: "ClientError.Timeout",
  operationFailed: "ClientError.OperationFailed",
  notApplied: "ClientError.NotApplied",
  internal: "ClientError.Internal",
} as const;

export interface ApiErrorInit {
  action: CvmAction | string;
  code: string;
  message: string;
  requestId?: string;
  httpStatus?: number;
}

/**
 * A failed API call, normalised from the SDK's TencentCloudSDKHttpException.
 * `apiMessage` is the API's own message; `message` adds code and RequestId.
 */
export class ApiError extends Error {
  readonly action: string;
  readonly code: string;
  readonly apiMessage: string;
  readonly requestId: string;
  readonly httpStatus?: number;

  constructor(init: ApiErrorInit) {
    const apiMessage = redact(init.message || "");
    const rid = init.requestId ? ` (RequestId: ${init.requestId})` : "";
    const http = init.httpStatus ? ` (HTTP ${init.httpStatus})` : "";
    super(`${init.action} failed: [${init.code}] ${apiMessage}${http}${rid}`);
    this.name = "ApiError";
    this.action = init.action;
    this.code = init.code;
    this.apiMessage = apiMessage;
    this.requestId = init.requestId ?? "";
    if (init.httpStatus !== undefined) this.httpStatus = init.httpStatus;
  }
}

/** An error meant for the user; its message already says what to do. */
export class ProviderError extends Error {
  constructor(message: string) {
    super(redact(message));
    this.name = "ProviderError";
  }
}

/**
 * A create or an update that failed after it changed the cloud, with the
 * outputs the resource really has now (`properties`, under `id`). Pulumi's
 * provider hosts (the dynamic-provider host and `@pulumi/pulumi/provider`)
 * send an error with `id`, `properties` and `reasons` as
 * ErrorResourceInitFailed: the engine keeps the resource in the state with
 * these outputs, reports the error, and runs an update on the next `pulumi up`.
 */
export class PartialStateError extends ProviderError {
  /** The initialisation errors the state records: the message. */
  readonly reasons: string[];

  constructor(
    message: string,
    readonly id: string,
    readonly properties: Record<string, unknown>,
  ) {
    super(message);
    this.name = "PartialStateError";
    this.reasons = [this.message];
  }
}

/** STS failures: what to check depends on the step of the credential chain. */
const STS_HINTS: Record<string, () => string> = {
  AssumeRole: () =>
    `Check ${CONFIG_KEYS.assumeRole} (roleArn, sessionName, sessionDuration, policy, externalId), the TENCENTCLOUD_ASSUME_ROLE_* variables or the tccli profile's role-arn, and that the base credentials may assume that role.`,
  GetCallerIdentity: () =>
    `The account guard (${CONFIG_KEYS.allowedAccountIds}) could not ask STS whose account the credentials belong to; nothing was changed. Check the credentials and the STS endpoint, then run pulumi up again.`,
};

/** What to do about an API error code, in one sentence. */
export function hintFor(code: string, action?: string): string {
  if (action && STS_HINTS[action] && !code.startsWith("ClientError.")) return STS_HINTS[action]();
  if (code.startsWith("AuthFailure.SignatureExpire"))
    return "The local clock is more than 5 minutes off; fix the system time.";
  if (code.startsWith("UnauthorizedOperation") || code === "AuthFailure.UnauthorizedOperation")
    return "Grant the CAM policy cvm:AssociateSecurityGroups, cvm:DisassociateSecurityGroups and cvm:DescribeInstances.";
  if (code.startsWith("AuthFailure"))
    return `Check the credentials (${CONFIG_KEYS.secretId}/secretKey config or TENCENTCLOUD_SECRET_ID/TENCENTCLOUD_SECRET_KEY).`;
  if (code.startsWith("RequestLimitExceeded"))
    return "The API rate limit was hit repeatedly; lower tencentcloud-sg-attachment:associateRps or retry later.";
  if (code === "LimitExceeded.AssociateUSGLimitExceeded")
    return `An instance can hold at most ${MAX_SGS_PER_INSTANCE} security groups: unbind one first, or, when replacing an attachment, set the resource option deleteBeforeReplace: true.`;
  if (code.startsWith("LimitExceeded"))
    return "A security-group quota was reached; raise the quota or bind fewer instances.";
  if (code === "InvalidInstanceId.NotFound")
    return "Remove the missing instances from instanceIds, or check the region.";
  if (code === "InvalidSecurityGroupId.NotFound")
    return "Check securityGroupId and the region; the group must exist in that region.";
  if (code.includes("Malformed")) return "Check the id format (ins-xxxxxxxx / sg-xxxxxxxx).";
  if (code === "UnsupportedRegion") return "Check the region name.";
  if (code.startsWith("UnsupportedOperation"))
    return "The instance's state does not allow this now (isolated, pending...); retry when it is RUNNING or STOPPED.";
  if (code === "MutexOperation.TaskRunning" || code === "OperationDenied.InstanceOperationInProgress")
    return "Another operation kept the instance busy until the deadline; retry later or raise tencentcloud-sg-attachment:operationTimeoutMs.";
  if (code === LOCAL_CODES.network || code === LOCAL_CODES.http || code.startsWith("InternalError"))
    return "The API was unreachable or failing; check the endpoint and network, then run pulumi up again.";
  if (code === LOCAL_CODES.internal)
    return "A local error, not an API answer: check that tencentcloud-sdk-nodejs-cvm is installed next to the Pulumi program; otherwise please report it as a bug.";
  if (code === LOCAL_CODES.timeout)
    return "Run pulumi up again (every step is idempotent), or raise tencentcloud-sg-attachment:operationTimeoutMs.";
  return "See the API message above; run pulumi up again once the cause is fixed.";
}

/** `ApiError` message plus the hint; any other error's message as is. Redacted. */
export function describeError(e: unknown): string {
  if (e instanceof ApiError) return redact(`${e.message}. ${hintFor(e.code, e.action)}`);
  if (e instanceof Error) return redact(e.message);
  return redact(String(e));
}
