// The rules of ModifyInstancesAttribute (InstanceName or SecurityGroups, one
// attribute per request). Like the binding rules, a request is all-or-nothing:
// the first failing check rejects it and its message names every offending
// instance or group. SecurityGroups replaces an instance's whole list.

import { apiFault, instancesPhrase, securityGroupsPhrase, type ErrorCode } from "../errors";
import type { InstanceAttribute } from "../types";
import type { BindingRules } from "./bindings";
import { checkInstanceIdShapes, idleInstances } from "./bindings";
import { isSecurityGroupId } from "./ids";
import { MODIFY_ACTION, type OperationsEngine } from "./operations";
import { ISOLATING_LIKE_STATES, PENDING_LIKE_STATES, type World } from "./world";

const MAX_INSTANCE_NAME_LENGTH = 60;

interface ModifyRequest {
  region: string;
  /** Deduplicated, in request order. */
  instanceIds: string[];
  attribute: InstanceAttribute;
}

/** The instance states ModifyInstancesAttribute refuses, each with its documented code. */
function stateCode(state: string): ErrorCode | undefined {
  if (PENDING_LIKE_STATES.includes(state)) return "UnsupportedOperation.InstanceStatePending";
  if (state === "SHUTDOWN") return "UnsupportedOperation.InstanceStateShutdown";
  if (state === "TERMINATING") return "UnsupportedOperation.InstanceStateTerminating";
  if (ISOLATING_LIKE_STATES.includes(state)) return "UnsupportedOperation.InstanceStateIsolating";
  const transitional: Record<string, ErrorCode> = {
    STARTING: "UnsupportedOperation.InstanceStateStarting",
    STOPPING: "UnsupportedOperation.InstanceStateStopping",
    REBOOTING: "UnsupportedOperation.InstanceStateRebooting",
  };
  return transitional[state];
}

/** Checks the attribute alone (no world): name length, list size, duplicates, group id shapes. */
function checkAttribute(attribute: InstanceAttribute, rules: BindingRules): void {
  if ("instanceName" in attribute) {
    if (attribute.instanceName.length > MAX_INSTANCE_NAME_LENGTH) {
      throw apiFault(
        "InvalidInstanceName.TooLong",
        `The parameter \`InstanceName\` has ${attribute.instanceName.length} characters; the limit is ${MAX_INSTANCE_NAME_LENGTH}.`,
      );
    }
    return;
  }
  const groups = attribute.securityGroupIds;
  if (groups.length > rules.maxSecurityGroupsPerInstance) {
    throw apiFault(
      "LimitExceeded.AssociateUSGLimitExceeded",
      `\`SecurityGroups\` names ${groups.length} security groups; an instance may hold at most ${rules.maxSecurityGroupsPerInstance}`,
    );
  }
  const repeated = groups.filter((g, n) => groups.indexOf(g) !== n);
  if (repeated.length) {
    throw apiFault(
      "InvalidParameterValue",
      `\`SecurityGroups\` names ${securityGroupsPhrase([...new Set(repeated)])} more than once`,
    );
  }
  const malformed = groups.filter((g) => !isSecurityGroupId(g));
  if (malformed.length) {
    throw apiFault(
      "InvalidParameterValue",
      `${securityGroupsPhrase(malformed)} have a malformed id, expected sg- followed by 8 lowercase letters or digits`,
    );
  }
}

/**
 * Throws the ApiFault the real API would return for this request, or returns
 * when it may proceed. Checks, in order:
 *  1. instance id shapes, then the attribute itself (name length; list size,
 *     duplicates, group id shapes)
 *  2. region, groups exist (InvalidSecurityGroupId.NotFound), instances exist (InvalidInstanceId.NotFound)
 *  3. identical request still running (MutexOperation.TaskRunning), instances busy
 *     (OperationDenied.InstanceOperationInProgress)
 *  4. instance states (UnsupportedOperation.InstanceState*)
 *  5. per-SG instance quota for the groups an instance gains (LimitExceeded.CvmsVifsPerSecGroupLimitExceeded)
 */
export function checkModifyRequest(
  world: World,
  ops: OperationsEngine,
  rules: BindingRules,
  req: ModifyRequest,
): void {
  const { instanceIds, attribute } = req;
  checkInstanceIdShapes(instanceIds);
  checkAttribute(attribute, rules);

  const region = world.region(req.region);
  if (!region) throw apiFault("UnsupportedRegion", `The region \`${req.region}\` is not supported.`);
  const groups = "securityGroupIds" in attribute ? attribute.securityGroupIds : [];
  const unknown = groups.filter((g) => !region.securityGroups.has(g));
  if (unknown.length) {
    throw apiFault(
      "InvalidSecurityGroupId.NotFound",
      `${securityGroupsPhrase(unknown)} not found in region ${req.region}`,
    );
  }
  const instances = idleInstances(
    region,
    req.region,
    instanceIds,
    ops.findIdentical(MODIFY_ACTION, req.region, "", instanceIds, attribute),
    `${MODIFY_ACTION} task is running for ${instancesPhrase(instanceIds)}`,
  );

  const refused = instances.find((i) => stateCode(i.state) !== undefined);
  if (refused) {
    const code = stateCode(refused.state)!;
    const ids = instances.filter((i) => stateCode(i.state) === code).map((i) => i.id);
    throw apiFault(
      code,
      `${instancesPhrase(ids)} are in state ${refused.state}, the operation is not supported`,
      ids,
    );
  }

  for (const sg of groups) {
    const gaining = instances.filter((i) => !i.securityGroupIds.includes(sg)).length;
    const bound =
      region.instancesHolding(sg).length + ops.pendingCount(req.region, sg, "AssociateSecurityGroups");
    if (gaining && bound + gaining > rules.maxInstancesPerSecurityGroup) {
      throw apiFault(
        "LimitExceeded.CvmsVifsPerSecGroupLimitExceeded",
        `${securityGroupsPhrase([sg])} would exceed the limit of ${rules.maxInstancesPerSecurityGroup} instances per security group (${bound} bound, ${gaining} requested)`,
      );
    }
  }
}
