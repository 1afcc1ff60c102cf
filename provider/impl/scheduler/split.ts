// Pure judgements: what a failed batch request means for each of its
// instances (blame the named ones, bisect, retry, or answer all), and what a
// DescribeInstances view means for an operation waiting on it.

import type { ApiError } from "../errors";
import type { InstanceView } from "../api";
import { isolationSplit } from "../isolate";
import { classifyError } from "../retry";
import type { DoneNote, FailReason, OpKind } from "./types";

/** Instance ids named in an error message, in order, without duplicates. */
export function instanceIdsIn(message: string): string[] {
  const found = message.match(/ins-[a-z0-9]{8}(?![a-z0-9])/g) ?? [];
  return [...new Set(found)];
}

export type GuiltyAction =
  | { type: "retryBusy" }
  | { type: "fail"; reason: FailReason }
  | { type: "done"; note: DoneNote }
  /** Look at the instance: if it is already as wanted, fine; otherwise fail with the error. */
  | { type: "verify" };

/** What an instance-scoped error means for the instances it concerns; null when the code is not instance-scoped. */
export function guiltyAction(kind: OpKind, code: string): GuiltyAction | null {
  switch (code) {
    case "InvalidInstanceId.NotFound":
      return kind === "associate"
        ? { type: "fail", reason: "instanceNotFound" }
        : { type: "done", note: "instanceGone" };
    case "InvalidInstanceId.Malformed":
    case "InvalidParameterValue.InstanceIdMalformed":
      return { type: "fail", reason: "rejected" };
    case "LimitExceeded.AssociateUSGLimitExceeded":
      return { type: "fail", reason: "limitExceeded" };
    case "OperationDenied.InstanceOperationInProgress":
    case "MutexOperation.TaskRunning":
      return { type: "retryBusy" };
    case "FailedOperation.SecurityGroupActionFailed":
      // Associating a group already bound / disassociating one not bound may
      // be refused with this code: the instance is then already as we want.
      return { type: "verify" };
  }
  if (code.startsWith("UnsupportedOperation")) return { type: "fail", reason: "rejected" };
  return null;
}

export type BatchPlan =
  | { type: "retry"; cls: "throttling" | "transient" | "busy" }
  | { type: "all"; action: GuiltyAction }
  | { type: "blame"; guilty: string[]; innocent: string[]; action: GuiltyAction }
  | { type: "bisect"; halves: [string[], string[]] };

export function bisect<T>(items: T[]): [T[], T[]] {
  const mid = Math.ceil(items.length / 2);
  return [items.slice(0, mid), items.slice(mid)];
}

/**
 * Decides what to do with a failed batch request. The API rejects a request
 * as a whole, so instances not concerned by the error were not touched and can
 * be sent again.
 */
export function planBatchError(kind: OpKind, ids: string[], err: ApiError): BatchPlan {
  const code = err.code;
  if (code === "InvalidSecurityGroupId.NotFound") {
    return {
      type: "all",
      action:
        kind === "disassociate"
          ? { type: "done", note: "securityGroupGone" }
          : { type: "fail", reason: "securityGroupNotFound" },
    };
  }
  const cls = classifyError(err);
  if (cls === "throttling" || cls === "transient") return { type: "retry", cls };
  if (code === "InvalidParameterValue.LimitExceeded" && ids.length > 1) {
    return { type: "bisect", halves: bisect(ids) };
  }
  const action = guiltyAction(kind, code);
  if (action) {
    const inBatch = new Set(ids);
    const named = instanceIdsIn(err.apiMessage).filter((id) => inBatch.has(id));
    if (named.length > 0) {
      const guilty = new Set(named);
      return { type: "blame", guilty: named, innocent: ids.filter((id) => !guilty.has(id)), action };
    }
    if (ids.length === 1) return { type: "all", action };
    // An identical job is running: the whole request is concerned.
    if (code === "MutexOperation.TaskRunning") return { type: "retry", cls: "busy" };
    return { type: "bisect", halves: bisect(ids) };
  }
  if (cls === "busy") return { type: "retry", cls: "busy" };
  // An error naming no culprit in a shared request (CAM deny, quota): split it.
  const halves = isolationSplit(ids, code, instanceIdsIn(err.apiMessage));
  if (halves) return { type: "bisect", halves };
  return { type: "all", action: { type: "fail", reason: "rejected" } };
}

/**
 * Judges one waiting operation from a DescribeInstances view.
 * - "wait": not settled yet;
 * - "done"/"fail": settled;
 * - "lost": the instance is idle, not in the wanted state, and our RequestId is
 *   not (or no longer) the latest operation: the request may have been lost.
 */
export type Verdict =
  | { type: "wait" }
  | { type: "done"; note: DoneNote }
  | { type: "fail"; reason: FailReason; message: string }
  | { type: "lost" };

export function judge(
  kind: OpKind,
  securityGroupId: string,
  requestId: string,
  view: InstanceView | null,
  verifying: boolean,
): Verdict {
  if (!view) {
    return kind === "associate"
      ? { type: "fail", reason: "instanceNotFound", message: "the instance no longer exists" }
      : { type: "done", note: "instanceGone" };
  }
  const holds = view.securityGroupIds.includes(securityGroupId);
  const wanted = kind === "associate" ? holds : !holds;
  const ours = requestId !== "" && view.latestOperationRequestId === requestId;
  const state = view.latestOperationState;
  if (ours) {
    if (state === "OPERATING") return { type: "wait" };
    if (state === "FAILED") {
      return {
        type: "fail",
        reason: "operationFailed",
        message: view.latestOperationErrorMsg || "the asynchronous operation ended in FAILED",
      };
    }
    if (wanted) return { type: "done", note: "applied" };
    return {
      type: "fail",
      reason: "notApplied",
      message:
        `the operation reported ${state || "completion"} but the instance ` +
        (kind === "associate" ? "does not hold" : "still holds") +
        ` ${securityGroupId}; something else changed it meanwhile`,
    };
  }
  if (state === "OPERATING") return { type: "wait" };
  if (wanted) return { type: "done", note: verifying || requestId === "" ? "alreadyInState" : "applied" };
  if (verifying) return { type: "fail", reason: "rejected", message: "" };
  return { type: "lost" };
}
