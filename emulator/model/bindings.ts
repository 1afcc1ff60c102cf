// The rules of AssociateSecurityGroups / DisassociateSecurityGroups. A request
// is all-or-nothing: the first failing check rejects the whole request and its
// message names every offending instance (see errors.ts for the formats).

import { apiFault, instancesPhrase, securityGroupsPhrase } from "../errors";
import { classifyInstanceId, isSecurityGroupId } from "./ids";
import type { BindingAction, OperationsEngine } from "./operations";
import {
  ISOLATING_LIKE_STATES,
  PENDING_LIKE_STATES,
  type InstanceData,
  type RegionData,
  type World,
} from "./world";

export interface BindingRules {
  associateAlreadyBound: "error" | "ignore";
  disassociateNotBound: "error" | "ignore";
  disassociateLastGroup: "allow" | "error";
  maxSecurityGroupsPerInstance: number;
  maxInstancesPerSecurityGroup: number;
}

export interface BindingRequest {
  action: BindingAction;
  region: string;
  securityGroupId: string;
  /** Deduplicated, in request order. */
  instanceIds: string[];
}

/**
 * Throws the ApiFault the real API would return for this request, or returns
 * when it may proceed. Checks, in order:
 *  1. SG id shape (InvalidSgId.Malformed)
 *  2. instance id shapes (InvalidInstanceId.Malformed, then InvalidParameterValue.InstanceIdMalformed)
 *  3. SG exists (InvalidSecurityGroupId.NotFound)
 *  4. instances exist (InvalidInstanceId.NotFound)
 *  5. identical request still running (MutexOperation.TaskRunning)
 *  6. instances busy (OperationDenied.InstanceOperationInProgress)
 *  7. instance states (UnsupportedOperation.InstanceStatePending / .InstanceStateIsolating, or UnsupportedOperation)
 *  8. already bound / not bound, when configured as "error" (FailedOperation.SecurityGroupActionFailed)
 *     and, for disassociate, an instance's only group when disassociateLastGroup is "error" (same code)
 *  9. per-instance SG limit (LimitExceeded.AssociateUSGLimitExceeded)
 * 10. per-SG instance quota (LimitExceeded.CvmsVifsPerSecGroupLimitExceeded)
 */
const ID_SHAPE_FAULTS = [
  { shape: "malformed", code: "InvalidInstanceId.Malformed", problem: "have a malformed id" },
  { shape: "foreign", code: "InvalidParameterValue.InstanceIdMalformed", problem: "are not instance ids" },
] as const;

/** Malformed `ins-` ids and ids that are not instance ids at all get different codes, as in the real API. */
export function checkInstanceIdShapes(ids: string[]): void {
  for (const { shape, code, problem } of ID_SHAPE_FAULTS) {
    const offending = ids.filter((id) => classifyInstanceId(id) === shape);
    if (offending.length) {
      throw apiFault(
        code,
        `${instancesPhrase(offending)} ${problem}, expected ins- followed by 8 lowercase letters or digits`,
        offending,
      );
    }
  }
}

/**
 * The instances a request names, once they all exist (InvalidInstanceId.NotFound),
 * no identical request is still running (MutexOperation.TaskRunning: `identical`,
 * described by `task`) and none has an operation running
 * (OperationDenied.InstanceOperationInProgress).
 */
export function idleInstances(
  region: RegionData,
  regionName: string,
  instanceIds: readonly string[],
  identical: { requestId: string } | undefined,
  task: string,
): InstanceData[] {
  const missing = instanceIds.filter((id) => !region.instances.has(id));
  if (missing.length) {
    throw apiFault(
      "InvalidInstanceId.NotFound",
      `${instancesPhrase(missing)} not found in region ${regionName}`,
      missing,
    );
  }
  const instances = instanceIds.map((id) => region.instances.get(id)!);
  if (identical) {
    throw apiFault("MutexOperation.TaskRunning", `an identical ${task} (request ${identical.requestId})`, [
      ...instanceIds,
    ]);
  }
  const busy = instances.filter((i) => i.latestOperationState === "OPERATING").map((i) => i.id);
  if (busy.length) {
    throw apiFault(
      "OperationDenied.InstanceOperationInProgress",
      `${instancesPhrase(busy)} have an operation in progress, try again later`,
      busy,
    );
  }
  return instances;
}

export function checkBindingRequest(
  world: World,
  ops: OperationsEngine,
  rules: BindingRules,
  req: BindingRequest,
): void {
  const { action, securityGroupId: sg, instanceIds } = req;
  const associate = action === "AssociateSecurityGroups";

  if (!isSecurityGroupId(sg)) {
    throw apiFault(
      "InvalidSgId.Malformed",
      `${securityGroupsPhrase([sg])} have a malformed id, expected sg- followed by 8 lowercase letters or digits`,
    );
  }
  checkInstanceIdShapes(instanceIds);

  const region = world.region(req.region);
  if (!region) throw apiFault("UnsupportedRegion", `The region \`${req.region}\` is not supported.`);
  if (!region.securityGroups.has(sg)) {
    throw apiFault(
      "InvalidSecurityGroupId.NotFound",
      `${securityGroupsPhrase([sg])} not found in region ${req.region}`,
    );
  }
  const instances = idleInstances(
    region,
    req.region,
    instanceIds,
    ops.findIdentical(action, req.region, sg, instanceIds),
    `${action} task is running for ${securityGroupsPhrase([sg])} and ${instancesPhrase(instanceIds)}`,
  );

  const pending = instances.filter((i) => PENDING_LIKE_STATES.includes(i.state));
  const isolating = instances.filter((i) => ISOLATING_LIKE_STATES.includes(i.state));
  if (associate) {
    if (pending.length) {
      const ids = pending.map((i) => i.id);
      throw apiFault(
        "UnsupportedOperation.InstanceStatePending",
        `${instancesPhrase(ids)} are in state ${[...new Set(pending.map((i) => i.state))].join("/")}, the operation is not supported`,
        ids,
      );
    }
    if (isolating.length) {
      const ids = isolating.map((i) => i.id);
      throw apiFault(
        "UnsupportedOperation.InstanceStateIsolating",
        `${instancesPhrase(ids)} are in state ${[...new Set(isolating.map((i) => i.state))].join("/")}, the operation is not supported`,
        ids,
      );
    }
  } else {
    const blocked = [...pending, ...isolating];
    if (blocked.length) {
      const ids = instances.filter((i) => blocked.includes(i)).map((i) => i.id);
      const states = [...new Set(blocked.map((i) => i.state))].join("/");
      throw apiFault(
        "UnsupportedOperation",
        `${instancesPhrase(ids)} are in state ${states}, the operation is not supported`,
        ids,
      );
    }
  }

  if (associate) {
    const already = instances.filter((i) => i.securityGroupIds.includes(sg)).map((i) => i.id);
    if (already.length && rules.associateAlreadyBound === "error") {
      throw apiFault(
        "FailedOperation.SecurityGroupActionFailed",
        `${securityGroupsPhrase([sg])} already associated with ${instancesPhrase(already)}`,
        already,
      );
    }
    const adding = instances.filter((i) => !i.securityGroupIds.includes(sg));
    const full = adding
      .filter((i) => i.securityGroupIds.length + 1 > rules.maxSecurityGroupsPerInstance)
      .map((i) => i.id);
    if (full.length) {
      throw apiFault(
        "LimitExceeded.AssociateUSGLimitExceeded",
        `${instancesPhrase(full)} would exceed the limit of ${rules.maxSecurityGroupsPerInstance} security groups per instance`,
        full,
      );
    }
    const bound =
      region.instancesHolding(sg).length + ops.pendingCount(req.region, sg, "AssociateSecurityGroups");
    if (bound + adding.length > rules.maxInstancesPerSecurityGroup) {
      throw apiFault(
        "LimitExceeded.CvmsVifsPerSecGroupLimitExceeded",
        `${securityGroupsPhrase([sg])} would exceed the limit of ${rules.maxInstancesPerSecurityGroup} instances per security group (${bound} bound, ${adding.length} requested)`,
      );
    }
  } else {
    const notBound = instances.filter((i) => !i.securityGroupIds.includes(sg)).map((i) => i.id);
    if (notBound.length && rules.disassociateNotBound === "error") {
      throw apiFault(
        "FailedOperation.SecurityGroupActionFailed",
        `${securityGroupsPhrase([sg])} not associated with ${instancesPhrase(notBound)}`,
        notBound,
      );
    }
    const last = instances.filter((i) => i.securityGroupIds.length === 1 && i.securityGroupIds[0] === sg);
    if (last.length && rules.disassociateLastGroup === "error") {
      const ids = last.map((i) => i.id);
      throw apiFault(
        "FailedOperation.SecurityGroupActionFailed",
        `${instancesPhrase(ids)} would be left with no security group: ${securityGroupsPhrase([sg])} is their only one`,
        ids,
      );
    }
  }
}
