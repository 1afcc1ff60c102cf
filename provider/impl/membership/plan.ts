// Pure planning for SecurityGroupMembership: whose each holder of the group
// is, what an `up` binds and unbinds, what refresh and destroy report or
// remove, and the diff. No I/O here.
//
// Ownership: `boundInstanceIds` are the members this resource bound itself
// (its own, unbound on destroy); `preexistingInstanceIds` are members that
// already held the group when it declared them (left on destroy unless
// `removeAllOnDestroy`). Every other holder is foreign: removed only when
// `check` named it in `bindingsToRemove` and `maxForeignRemovals` allows it.

import type { MembershipOutputs } from "../../types";
import type { InstanceView } from "../api";
import { MAX_SGS_PER_INSTANCE } from "../limits";
import type { OverLimit } from "../plan";
import { removalsOf, removedOutsideField } from "../fights";
import { isUnknown } from "../validate";

export interface MembershipPlan {
  /** Members that do not exist. */
  missing: string[];
  /** Members not holding the group that already hold 5 groups. */
  overLimit: OverLimit[];
  /** Members to bind. */
  toBind: string[];
  /** Holders this resource bound that are no longer members. */
  unbindOwn: string[];
  /** Holders it did not make that are not members. */
  foreign: string[];
  /** Of unbindOwn and foreign: the group is their only one (unbinding would leave them none). */
  lastGroup: string[];
  /** After the plan: members that held the group before this resource declared them. */
  preexisting: string[];
  /** After the plan: members this resource bound. */
  own: string[];
}

const sorted = (xs: Iterable<string>): string[] => [...new Set(xs)].sort();

/**
 * @param declared the program's members
 * @param ownBefore what this resource bound before (old `boundInstanceIds`)
 * @param holders every instance holding the group now
 * @param views look-ups of the members that are not holders (absent or null: not found)
 */
export function planMembership(
  sg: string,
  declared: readonly string[],
  ownBefore: ReadonlySet<string>,
  holders: readonly InstanceView[],
  views: ReadonlyMap<string, InstanceView | null>,
): MembershipPlan {
  const members = new Set(declared);
  const holding = new Map(holders.map((v) => [v.instanceId, v] as const));
  const plan: MembershipPlan = {
    missing: [],
    overLimit: [],
    toBind: [],
    unbindOwn: [],
    foreign: [],
    lastGroup: [],
    preexisting: [],
    own: [],
  };
  for (const id of sorted(members)) {
    if (holding.has(id)) {
      if (ownBefore.has(id)) plan.own.push(id);
      else plan.preexisting.push(id);
      continue;
    }
    const v = views.get(id) ?? null;
    if (!v) plan.missing.push(id);
    else if (v.securityGroupIds.length >= MAX_SGS_PER_INSTANCE)
      plan.overLimit.push({ instanceId: id, securityGroupIds: [...v.securityGroupIds] });
    else {
      plan.toBind.push(id);
      plan.own.push(id);
    }
  }
  for (const v of [...holding.values()].sort((a, b) => (a.instanceId < b.instanceId ? -1 : 1))) {
    if (members.has(v.instanceId)) continue;
    (ownBefore.has(v.instanceId) ? plan.unbindOwn : plan.foreign).push(v.instanceId);
    if (v.securityGroupIds.length === 1 && v.securityGroupIds[0] === sg) plan.lastGroup.push(v.instanceId);
  }
  return plan;
}

/** Foreign holders an `up` may not remove: not named by the preview, or more than the guard allows. */
export function foreignRefusal(
  foreign: readonly string[],
  named: readonly string[],
  maxForeignRemovals: number,
): { unnamed: string[]; overGuard: boolean } {
  const ok = new Set(named);
  return {
    unnamed: foreign.filter((id) => !ok.has(id)),
    overGuard: foreign.length > maxForeignRemovals,
  };
}

/** The state after an `up` converged on `plan`. */
export function convergedOutputs(
  base: Pick<
    MembershipOutputs,
    | "securityGroupId"
    | "region"
    | "instanceIds"
    | "maxForeignRemovals"
    | "removeAllOnDestroy"
    | "owner"
    | "revision"
  >,
  plan: Pick<MembershipPlan, "own" | "preexisting">,
  removedOutside: Record<string, number> = {},
): MembershipOutputs {
  return {
    securityGroupId: base.securityGroupId,
    region: base.region,
    instanceIds: sorted(base.instanceIds),
    maxForeignRemovals: base.maxForeignRemovals,
    removeAllOnDestroy: base.removeAllOnDestroy,
    ...(base.owner ? { owner: base.owner } : {}),
    boundInstanceIds: sorted(plan.own),
    preexistingInstanceIds: sorted(plan.preexisting),
    bindingsToAdd: [],
    bindingsToRemove: [],
    foreignInstanceIds: [],
    revision: base.revision,
    ...removedOutsideField(removedOutside),
  };
}

/**
 * The outputs a create or an update that failed really has (the engine
 * records them, see PartialStateError): `base` (the old outputs; for a
 * create, its converged outputs with nothing bound) without the holders it
 * unbound, with the binds of its own that stay.
 */
export function partialMembership(
  base: MembershipOutputs,
  gaveUp: readonly string[],
  kept: readonly string[],
): MembershipOutputs {
  const gone = new Set(gaveUp);
  const left = (ids: readonly string[]) => ids.filter((i) => !gone.has(i));
  return {
    ...base,
    boundInstanceIds: sorted([...left(base.boundInstanceIds), ...kept]),
    preexistingInstanceIds: left(base.preexistingInstanceIds),
    foreignInstanceIds: left(base.foreignInstanceIds),
  };
}

/**
 * What a refresh reports: the foreign holders seen now; of what it bound,
 * only what still holds the group (a removal is counted once, here or by
 * the next update); the removal counts (fights.ts).
 */
export function readOutputs(
  props: MembershipOutputs,
  holders: readonly InstanceView[],
  removedOutside: Record<string, number>,
): MembershipOutputs {
  const holding = new Set(holders.map((v) => v.instanceId));
  const mine = new Set([...props.instanceIds, ...props.boundInstanceIds]);
  const rest: MembershipOutputs = { ...props };
  delete rest.removedOutside;
  return {
    ...rest,
    boundInstanceIds: props.boundInstanceIds.filter((id) => holding.has(id)),
    bindingsToAdd: [],
    bindingsToRemove: [],
    foreignInstanceIds: sorted([...holding].filter((id) => !mine.has(id))),
    ...removedOutsideField(removedOutside),
  };
}

/** What destroy unbinds among the instances seen holding the group: its own, or every member. */
export function destroyTargets(props: MembershipOutputs, holding: ReadonlySet<string>): string[] {
  const mine = props.removeAllOnDestroy
    ? [...props.instanceIds, ...props.boundInstanceIds]
    : props.boundInstanceIds;
  return sorted(mine.filter((id) => holding.has(id)));
}

function stringsOf(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x: unknown): x is string => typeof x === "string") : [];
}

/** Stored outputs (or inputs), made safe to use. */
export function normaliseMembership(p: any, defaultRegion?: string): MembershipOutputs {
  const o = p && typeof p === "object" ? p : {};
  return {
    securityGroupId: typeof o.securityGroupId === "string" ? o.securityGroupId : "",
    region: typeof o.region === "string" && o.region ? o.region : (defaultRegion ?? ""),
    instanceIds: sorted(stringsOf(o.instanceIds)),
    maxForeignRemovals: typeof o.maxForeignRemovals === "number" ? o.maxForeignRemovals : 0,
    removeAllOnDestroy: o.removeAllOnDestroy === true,
    ...(typeof o.owner === "string" && o.owner ? { owner: o.owner } : {}),
    boundInstanceIds: sorted(stringsOf(o.boundInstanceIds)),
    preexistingInstanceIds: sorted(stringsOf(o.preexistingInstanceIds)),
    bindingsToAdd: sorted(stringsOf(o.bindingsToAdd)),
    bindingsToRemove: sorted(stringsOf(o.bindingsToRemove)),
    foreignInstanceIds: sorted(stringsOf(o.foreignInstanceIds)),
    revision: typeof o.revision === "number" ? o.revision : 0,
    ...removedOutsideField(removalsOf(o.removedOutside)),
  };
}

function pending(v: unknown): boolean {
  return isUnknown(v) || (Array.isArray(v) && v.length > 0);
}

/**
 * The diff of old outputs and checked inputs. Group or region changed:
 * replace. Otherwise an update when the member set or `removeAllOnDestroy`
 * changed, when a new plan (a revision the outputs do not hold) binds or
 * removes something, or when a refresh saw foreign holders or a binding of
 * its own removed. Nothing else is
 * a change (`maxForeignRemovals` alone acts on nothing). A refresh diffs its
 * outputs against the stored inputs, whose plan is the one already done.
 */
export function diffMembership(
  olds: any,
  news: any,
  defaultRegion?: string,
): {
  changes: boolean;
  replaces?: string[];
} {
  const o = olds && typeof olds === "object" ? olds : {};
  const n = news && typeof news === "object" ? news : {};
  const replaces: string[] = [];
  if (isUnknown(n.securityGroupId) || n.securityGroupId !== o.securityGroupId)
    replaces.push("securityGroupId");
  const newRegion = n.region ?? defaultRegion;
  const oldRegion = o.region ?? defaultRegion;
  if (isUnknown(newRegion) || (newRegion && oldRegion && newRegion !== oldRegion)) replaces.push("region");
  if (replaces.length > 0) return { changes: true, replaces };
  if (!Array.isArray(n.instanceIds) || n.instanceIds.some(isUnknown)) return { changes: true };
  const before = sorted(stringsOf(o.instanceIds));
  const after = sorted(stringsOf(n.instanceIds));
  const sameSet = before.length === after.length && before.every((x, i) => x === after[i]);
  const newPlan = isUnknown(n.revision) || n.revision !== o.revision;
  const ownBefore = sorted(stringsOf(o.boundInstanceIds));
  const ownAfter = sorted(stringsOf(n.boundInstanceIds));
  // A refresh that found a binding of its own removed.
  const lostOwn = !isUnknown(n.boundInstanceIds) && ownAfter.some((id) => !ownBefore.includes(id));
  const changes =
    !sameSet ||
    lostOwn ||
    (newPlan && (pending(n.bindingsToAdd) || pending(n.bindingsToRemove))) ||
    stringsOf(o.foreignInstanceIds).length > 0 ||
    (o.removeAllOnDestroy === true) !== (n.removeAllOnDestroy === true);
  return { changes };
}
