// Pure planning for the flows: what a create or an update binds, unbinds or
// leaves alone, what a look-up observed, what a refresh reports, and old
// outputs made safe to use. No I/O here.

import type { AttachmentOutputs } from "../types";
import type { InstanceView } from "./api";
import { removalsOf, removedOutsideField, type RemovalCount } from "./fights";
import { MAX_SGS_PER_INSTANCE } from "./limits";
import type { Normalised } from "./validate";

export interface OverLimit {
  instanceId: string;
  securityGroupIds: string[];
}

export interface CreatePlan {
  missing: string[];
  alreadyBound: string[];
  /** Of alreadyBound: bound by an interrupted create of ours (journal), taken back. */
  reclaimed?: string[];
  overLimit: OverLimit[];
  toBind: string[];
}

/** Whether the instance exists and holds the group. */
export function holds(v: InstanceView | null | undefined, sg: string): boolean {
  return !!v && v.securityGroupIds.includes(sg);
}

export function planCreate(
  sg: string,
  instanceIds: readonly string[],
  views: Map<string, InstanceView | null>,
): CreatePlan {
  const plan: CreatePlan = { missing: [], alreadyBound: [], overLimit: [], toBind: [] };
  for (const id of instanceIds) {
    const v = views.get(id) ?? null;
    if (!v) plan.missing.push(id);
    else if (holds(v, sg)) plan.alreadyBound.push(id);
    else if (v.securityGroupIds.length >= MAX_SGS_PER_INSTANCE)
      plan.overLimit.push({ instanceId: id, securityGroupIds: [...v.securityGroupIds] });
    else plan.toBind.push(id);
  }
  return plan;
}

export interface UpdatePlan {
  /** Wanted instances that do not exist. */
  missing: string[];
  /** Wanted instances that are full. */
  overLimit: OverLimit[];
  /** Wanted instances not holding the group (added ones, or drifted ones). */
  toBind: string[];
  /** Newly added instances that already hold the group (skipped). */
  alreadyBoundAdded: string[];
  /** Instances no longer wanted that still hold the group. */
  toUnbind: string[];
  /** Instances no longer wanted that are gone or already unbound (skipped). */
  alreadyUnbound: string[];
}

export function planUpdate(
  sg: string,
  oldIds: readonly string[],
  newIds: readonly string[],
  views: Map<string, InstanceView | null>,
): UpdatePlan {
  const plan: UpdatePlan = {
    missing: [],
    overLimit: [],
    toBind: [],
    alreadyBoundAdded: [],
    toUnbind: [],
    alreadyUnbound: [],
  };
  const oldSet = new Set(oldIds);
  const newSet = new Set(newIds);
  for (const id of newSet) {
    const v = views.get(id) ?? null;
    if (!v) plan.missing.push(id);
    else if (holds(v, sg)) {
      if (!oldSet.has(id)) plan.alreadyBoundAdded.push(id);
    } else if (v.securityGroupIds.length >= MAX_SGS_PER_INSTANCE)
      plan.overLimit.push({ instanceId: id, securityGroupIds: [...v.securityGroupIds] });
    else plan.toBind.push(id);
  }
  for (const id of oldSet) {
    if (newSet.has(id)) continue;
    if (holds(views.get(id), sg)) plan.toUnbind.push(id);
    else plan.alreadyUnbound.push(id);
  }
  for (const k of Object.keys(plan) as (keyof UpdatePlan)[]) {
    const list = plan[k] as unknown[];
    if (k !== "overLimit") (list as string[]).sort();
  }
  return plan;
}

export interface Observation {
  /** Instances that exist and hold the group, sorted. */
  bound: string[];
  /** Instances that exist but do not hold it. */
  unbound: string[];
  /** Instances that do not exist. */
  missing: string[];
  /** Position of the group in each bound instance's list. */
  priorities: Record<string, number>;
}

export function observe(
  sg: string,
  instanceIds: readonly string[],
  views: Map<string, InstanceView | null>,
): Observation {
  const obs: Observation = { bound: [], unbound: [], missing: [], priorities: {} };
  for (const id of [...new Set(instanceIds)].sort()) {
    const v = views.get(id) ?? null;
    if (!v) obs.missing.push(id);
    else {
      const pos = v.securityGroupIds.indexOf(sg);
      if (pos >= 0) {
        obs.bound.push(id);
        obs.priorities[id] = pos;
      } else obs.unbound.push(id);
    }
  }
  return obs;
}

/** The outputs a create or an update returns for the program's inputs `n`. */
export function outputsOf(
  n: Normalised,
  owner: string | undefined,
  priorities: Record<string, number>,
  adopted: Iterable<string>,
): AttachmentOutputs {
  return {
    securityGroupId: n.securityGroupId,
    instanceIds: [...n.instanceIds],
    declaredInstanceIds: [...new Set(n.instanceIds)].sort(),
    region: n.region,
    adoptExisting: n.adoptExisting,
    priorities,
    adoptedInstanceIds: [...adopted].sort(),
    ...(owner ? { owner } : {}),
  };
}

function stringsOf(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x: unknown): x is string => typeof x === "string") : [];
}

/** Old outputs, possibly written by an older version, made safe to use. */
export function normaliseOutputs(props: any, defaultRegion?: string): AttachmentOutputs {
  const p = props && typeof props === "object" ? props : {};
  const ids = stringsOf(p.instanceIds);
  // Outputs written before declaredInstanceIds existed: the recorded set is
  // the best knowledge of what was declared (an instance a refresh of such a
  // version already dropped is not known any more).
  const declared = Array.isArray(p.declaredInstanceIds) ? stringsOf(p.declaredInstanceIds) : ids;
  const adopted = Array.isArray(p.adoptedInstanceIds)
    ? p.adoptedInstanceIds.filter((x: unknown) => typeof x === "string")
    : [];
  const priorities: Record<string, number> = {};
  if (p.priorities && typeof p.priorities === "object") {
    for (const [k, v] of Object.entries(p.priorities)) if (typeof v === "number") priorities[k] = v;
  }
  return {
    securityGroupId: typeof p.securityGroupId === "string" ? p.securityGroupId : "",
    instanceIds: [...new Set<string>(ids)].sort(),
    declaredInstanceIds: [...new Set<string>(declared)].sort(),
    region: typeof p.region === "string" && p.region ? p.region : (defaultRegion ?? ""),
    adoptExisting: p.adoptExisting === true,
    priorities,
    adoptedInstanceIds: [...new Set<string>(adopted)].sort(),
    // Outputs written before the owner existed lack it until the next update.
    ...(typeof p.owner === "string" && p.owner ? { owner: p.owner } : {}),
    ...removedOutsideField(removalsOf(p.removedOutside)),
  };
}

/** The instances a refresh looks up: the declared set and the recorded one, sorted. */
export function readTargets(props: AttachmentOutputs): string[] {
  return [...new Set([...props.declaredInstanceIds, ...props.instanceIds])].sort();
}

export interface ReadResult {
  id?: string;
  props?: AttachmentOutputs;
  inputs?: Record<string, unknown>;
}

/**
 * What a refresh reports, given what it observed of `readTargets(props)` and
 * the removals it counted (fights.ts); {} (the resource is gone) when nothing
 * is bound, unless `removed.byOperation` (someone removed its bindings) or an
 * earlier refresh kept it so (it lists none and counts removals): the
 * resource then stays, with the count, so that the next removal can be told
 * from the first, and a second refresh changes nothing.
 */
export function readOutcome(
  id: string,
  props: AttachmentOutputs,
  obs: Observation,
  removed: Pick<RemovalCount, "removedOutside" | "byOperation"> = { removedOutside: {}, byOperation: false },
): ReadResult {
  const sg = props.securityGroupId;
  const keptEmpty = props.instanceIds.length === 0 && Object.keys(removed.removedOutside).length > 0;
  if (!sg || (obs.bound.length === 0 && !removed.byOperation && !keptEmpty)) return {};
  const bound = new Set(obs.bound);
  return {
    id,
    props: {
      securityGroupId: sg,
      // An instance of the declared set that an earlier refresh dropped and
      // that was bound again outside Pulumi is listed again here.
      instanceIds: [...obs.bound],
      // Kept as it is: only create and update (the program) change it.
      declaredInstanceIds: [...props.declaredInstanceIds],
      region: props.region,
      adoptExisting: props.adoptExisting,
      priorities: { ...obs.priorities },
      // Adopted stays a subset of what is bound. An instance of the declared
      // set found bound again is not counted as adopted (even if it was before
      // the drop): the program declared it, and the resource unbinds it on
      // delete like any instance it bound itself, as before the drop.
      adoptedInstanceIds: props.adoptedInstanceIds.filter((x) => bound.has(x)),
      ...(props.owner ? { owner: props.owner } : {}),
      ...removedOutsideField(removed.removedOutside),
    },
    // The engine diffs a refresh's outputs against the stored inputs: give it
    // inputs that match what was observed, so that a second refresh reports
    // no change (the next `up` still diffs the program against the outputs'
    // instanceIds, so it binds again what the refresh dropped).
    inputs: {
      securityGroupId: sg,
      instanceIds: [...obs.bound],
      region: props.region,
      adoptExisting: props.adoptExisting,
      ...(props.owner ? { owner: props.owner } : {}),
    },
  };
}
