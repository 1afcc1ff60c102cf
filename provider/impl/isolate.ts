// Errors that do not say which instance they concern, in a request that
// carries the instances of several resources: a CAM policy that denies some
// instances (UnauthorizedOperation), a quota that only some of them hit
// (LimitExceeded.*). The request is rejected as a whole, so the instances that
// have nothing to do with the error were not touched: the request is split
// until each instance has its own answer (a one-instance request that fails is
// that instance's answer). Errors that concern every request alike
// (credentials, signature, the group, the request's shape) are not split:
// splitting them would only multiply the same failure.

/** Codes that fail any request, whatever instances it names. */
const WHOLE_REQUEST_CODES = new Set([
  "InvalidAction",
  "NoSuchVersion",
  "UnsupportedProtocol",
  "UnsupportedRegion",
  "InvalidParameter",
  "InvalidParameterCombination",
  "MissingParameter",
  "UnknownParameter",
  "RequestSizeLimitExceeded",
]);

/** True when the error may concern only some of the request's instances. */
export function mayConcernSomeInstances(code: string): boolean {
  if (WHOLE_REQUEST_CODES.has(code)) return false;
  // Credentials and signatures; CAM's AuthFailure.UnauthorizedOperation is a policy answer.
  if (code.startsWith("AuthFailure.")) return code === "AuthFailure.UnauthorizedOperation";
  if (code.startsWith("InvalidSgId.") || code.startsWith("InvalidSecurityGroupId.")) return false;
  // Our own codes (no credentials, a local bug): nothing the cloud said about an instance.
  if (code.startsWith("ClientError.")) return false;
  return true;
}

/**
 * The two requests a failed one is split into, or null when it is not split.
 * Instances the message names (CAM names the first resource it denies) go
 * first, on their own: a hint that saves steps, not a verdict; the split
 * requests are judged afresh.
 */
export function isolationSplit(
  ids: readonly string[],
  code: string,
  named: readonly string[],
): [string[], string[]] | null {
  if (ids.length < 2 || !mayConcernSomeInstances(code)) return null;
  const inRequest = new Set(ids);
  const suspects = new Set(named.filter((id) => inRequest.has(id)));
  if (suspects.size > 0 && suspects.size < ids.length) {
    return [ids.filter((id) => suspects.has(id)), ids.filter((id) => !suspects.has(id))];
  }
  const mid = Math.ceil(ids.length / 2);
  return [ids.slice(0, mid), ids.slice(mid)];
}
