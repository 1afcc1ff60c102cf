// Whose request made a binding: the request-id rule.
//
// The API accepts one asynchronous operation per instance at a time (another
// one is refused as busy) and refuses an Associate of a group the instance
// already holds without recording anything (the emulator's default,
// `associateAlreadyBound: "error"`). So the instance's
// LatestOperationRequestId names the one request that made its binding. It
// is ours when it equals the RequestId the API returned to us. A request that
// got no reply has no RequestId we know: the binding then counts as ours when
// the instance's latest operation is an Associate that was not there at our
// look-up before binding (it can only be the request whose reply was lost, or
// one another client sent within the same seconds: see docs/design/recovery.md).

import type { InstanceView } from "./api";
import type { OpResult } from "./scheduler";

export type Attempt = Pick<OpResult, "requestId" | "unanswered">;

/**
 * Whether `now` (the instance as it is) holds `sg`, or is still operating, by
 * our `attempt`; `before` is the instance as looked up before the bind.
 */
export function madeByOurRequest(
  sg: string,
  attempt: Attempt | undefined,
  before: InstanceView | null | undefined,
  now: InstanceView | null | undefined,
): boolean {
  if (!now || !attempt) return false;
  if (!now.securityGroupIds.includes(sg) && now.latestOperationState !== "OPERATING") return false;
  const latest = now.latestOperationRequestId;
  if (attempt.requestId && latest === attempt.requestId) return true;
  if (!attempt.unanswered || !latest) return false;
  return (
    now.latestOperation === "AssociateSecurityGroups" && latest !== (before?.latestOperationRequestId ?? "")
  );
}

/** Whether anything of ours may have been bound by this attempt: a request accepted, or one without a reply. */
export function mayHaveBound(r: OpResult): boolean {
  return r.ok || r.requestId !== "" || r.unanswered === true;
}
