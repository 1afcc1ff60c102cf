// A membership's `check`: the inputs' shapes, then (when group, region and
// members are known) one look-up of every holder of the group, from which it
// plans the values preview shows: `bindingsToAdd`, `bindingsToRemove` (the
// holders it did not make), the ownership records; and refuses, before
// anything changes, what `up` could not or may not do (the guard).

import type { InstanceView } from "../api";
import { deadlineOf, type OpContext } from "../flows/context";
import type { Settings } from "../settings";
import { type CheckFailure, checkInputs, isUnknown, UNKNOWN } from "../validate";
import type { ListHolders } from "./holders";
import { groupManagers } from "./managers";
import { clashText, guardText, lastGroupText, missingText, overLimitText } from "./messages";
import { planMembership } from "./plan";

export type MembershipContext = OpContext & { holders: ListHolders };

const PLANNED = [
  "bindingsToAdd",
  "bindingsToRemove",
  "foreignInstanceIds",
  "boundInstanceIds",
  "preexistingInstanceIds",
] as const;

function options(props: any, inputs: Record<string, unknown>, failures: CheckFailure[]): void {
  const max = props.maxForeignRemovals;
  if (max === undefined || max === null) inputs.maxForeignRemovals = 0;
  else if (isUnknown(max) || (Number.isInteger(max) && max >= 0)) inputs.maxForeignRemovals = max;
  else
    failures.push({
      property: "maxForeignRemovals",
      reason: `maxForeignRemovals must be a whole number of 0 or more, got ${JSON.stringify(max)}.`,
    });
  const all = props.removeAllOnDestroy;
  if (all === undefined || all === null) inputs.removeAllOnDestroy = false;
  else if (isUnknown(all) || typeof all === "boolean") inputs.removeAllOnDestroy = all;
  else
    failures.push({
      property: "removeAllOnDestroy",
      reason: `removeAllOnDestroy must be true or false, got ${JSON.stringify(all)}.`,
    });
}

/**
 * @param olds the old inputs (the last check's plan: its `boundInstanceIds` are this resource's own)
 * @param context the API context of the region, made only when a look-up is due
 */
export async function checkMembership(
  olds: any,
  news: any,
  settings: Pick<Settings, "region" | "endpoint">,
  context: (region: string) => Promise<MembershipContext>,
): Promise<{ inputs: Record<string, unknown>; failures: CheckFailure[] }> {
  const props = news && typeof news === "object" ? news : {};
  const { inputs, failures } = checkInputs(props, settings, { allowEmpty: true });
  delete inputs.adoptExisting;
  options(props, inputs, failures);
  const sg = inputs.securityGroupId;
  const region = inputs.region;
  const ids = inputs.instanceIds;
  const o = olds && typeof olds === "object" ? olds : {};
  inputs.revision = (typeof o.revision === "number" ? o.revision : 0) + 1;
  const known =
    typeof sg === "string" &&
    !isUnknown(sg) &&
    typeof region === "string" &&
    !isUnknown(region) &&
    Array.isArray(ids);
  if (failures.length > 0 || !known || ids.some(isUnknown)) {
    for (const k of PLANNED) inputs[k] = UNKNOWN;
    return { inputs, failures };
  }
  const members = ids as string[];
  const where = `${sg} in ${region}`;
  const owner = typeof inputs.owner === "string" ? inputs.owner : undefined;
  if (owner) {
    const scope = `${settings.endpoint.url}|${region}`;
    const clash = groupManagers.declare(scope, sg, { kind: "SecurityGroupMembership", owner });
    if (clash.length > 0)
      failures.push({
        property: "securityGroupId",
        reason: clashText("SecurityGroupMembership", owner, clash),
      });
  }
  const sameGroup = o.securityGroupId === sg && o.region === region;
  const ownBefore = new Set<string>(sameGroup && Array.isArray(o.boundInstanceIds) ? o.boundInstanceIds : []);

  const ctx = await context(region);
  // What its own killed or failed operations bound (journal) is its own too.
  if (owner) for (const i of ctx.journal?.interrupted(owner, sg).instanceIds ?? []) ownBefore.add(i);
  const deadline = deadlineOf(ctx);
  const holders = await ctx.holders(sg, deadline);
  const holding = new Set(holders.map((v) => v.instanceId));
  const views: Map<string, InstanceView | null> = await ctx.scheduler.lookup(
    members.filter((id) => !holding.has(id)),
    deadline,
  );
  const plan = planMembership(sg, members, ownBefore, holders, views);
  const max = inputs.maxForeignRemovals as number;
  if (plan.missing.length > 0)
    failures.push({ property: "instanceIds", reason: missingText(where, plan.missing) });
  if (plan.overLimit.length > 0)
    failures.push({ property: "instanceIds", reason: overLimitText(plan.overLimit) });
  if (plan.foreign.length > max)
    failures.push({ property: "maxForeignRemovals", reason: guardText(where, plan.foreign, max) });
  if (plan.lastGroup.length > 0)
    failures.push({ property: "instanceIds", reason: lastGroupText(where, plan.lastGroup) });
  Object.assign(inputs, {
    bindingsToAdd: plan.toBind,
    bindingsToRemove: plan.foreign,
    foreignInstanceIds: plan.foreign,
    boundInstanceIds: plan.own,
    preexistingInstanceIds: plan.preexisting,
  });
  return { inputs, failures };
}
