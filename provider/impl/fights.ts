// Fights: another manager of an instance's security groups (say a
// tencentcloud_instance with orderly_security_groups, which replaces the whole
// list with ModifyInstancesAttribute) keeps removing a binding this resource
// made, and each `pulumi up` binds it again.
//
// Each run is a new process, so the count of removals lives in the
// resource's outputs (`removedOutside`): instance id -> how many times a
// binding this resource recorded as bound was found removed. Only instances
// removed at least once appear, and only while the program declares them: a
// few bytes per fought-over instance, none otherwise. The count is
// cumulative (not reset when the binding is next seen in place): a manager
// that runs less often than `pulumi refresh` would otherwise never be caught.
// One removal says nothing (someone fixed something by hand); from the
// second one on, each removal seen is reported as a fight, naming the
// instance, the operation it last saw (its LatestOperation) and the fix.
// The membership resource uses the same functions on its own outputs.

import type { InstanceView } from "./api";

/** The output field: instance id -> removals seen of a binding this resource made. */
type Removals = Record<string, number>;

/** From this many removals of one binding on, a removal seen is a fight. */
const FIGHT_THRESHOLD = 2;

/** Operations that change an instance's groups: the evidence that someone removed the binding. */
const GROUP_OPERATIONS = new Set(["ModifyInstancesAttribute", "DisassociateSecurityGroups"]);

interface Removal {
  instanceId: string;
  /** Removals of this binding so far, this one included. */
  count: number;
  /** The instance's LatestOperation when the removal was seen ("" if none). */
  operation: string;
  requestId: string;
}

export interface RemovalCount {
  /** The new value of the output (pruned to `declared`). */
  removedOutside: Removals;
  /** The removals seen this time. */
  seen: Removal[];
  /** Some removal seen this time was made by an operation that changes groups (not, say, a deleted group). */
  byOperation: boolean;
}

/** `removedOutside` of old outputs, made safe (written by an older version: absent). */
export function removalsOf(v: unknown): Removals {
  const out: Removals = {};
  if (!v || typeof v !== "object" || Array.isArray(v)) return out;
  for (const [k, n] of Object.entries(v)) if (Number.isInteger(n) && (n as number) > 0) out[k] = n as number;
  return out;
}

/**
 * Counts the removals in `views`: each instance of `recorded` (the bindings
 * this resource's state holds as made or adopted by it) that exists and no
 * longer holds `sg`. Counts of instances not in `declared` are dropped.
 */
export function countRemovals(
  sg: string,
  before: Removals,
  recorded: readonly string[],
  declared: readonly string[],
  views: Map<string, InstanceView | null>,
): RemovalCount {
  const keep = new Set(declared);
  const removedOutside: Removals = {};
  for (const [id, n] of Object.entries(before)) if (keep.has(id)) removedOutside[id] = n;
  const seen: Removal[] = [];
  let byOperation = false;
  for (const id of [...new Set(recorded)].sort()) {
    const v = views.get(id);
    if (!v || v.securityGroupIds.includes(sg)) continue;
    const count = (before[id] ?? 0) + 1;
    if (keep.has(id)) removedOutside[id] = count;
    if (GROUP_OPERATIONS.has(v.latestOperation)) byOperation = true;
    seen.push({
      instanceId: id,
      count,
      operation: v.latestOperation ?? "",
      requestId: v.latestOperationRequestId ?? "",
    });
  }
  return { removedOutside, seen, byOperation };
}

/** The warnings for the removals seen that are fights (a binding removed again); none for a first removal. */
export function fightWarnings(resource: string, sg: string, seen: readonly Removal[]): string[] {
  return seen.filter((r) => r.count >= FIGHT_THRESHOLD).map((r) => fightWarning(resource, sg, r));
}

/** The output field to spread into outputs: absent when nothing was ever removed. */
export function removedOutsideField(r: Removals): { removedOutside?: Removals } {
  return Object.keys(r).length > 0 ? { removedOutside: r } : {};
}

/**
 * One warning line per fought-over instance: who is undone, by which
 * operation, how often, and the fix. `resource` names the resource (its owner
 * `<project>/<stack>/<name>`, or its kind when unknown).
 */
function fightWarning(resource: string, sg: string, f: Removal): string {
  const op = f.operation
    ? `its latest operation is ${f.operation}${f.requestId ? ` (request ${f.requestId})` : ""}`
    : "its latest operation is unknown";
  return (
    `${resource}: another manager of ${f.instanceId}'s security groups is undoing this resource: ` +
    `the binding of ${sg} to ${f.instanceId} was removed ${f.count} times (${op}); ` +
    `each \`pulumi up\` binds it again and the other side removes it again. ` +
    `Keep one manager per instance's groups: drop orderly_security_groups (or security_groups) ` +
    `from that instance's tencentcloud_instance, or whatever else calls ${f.operation || "ModifyInstancesAttribute"}, ` +
    `or remove ${f.instanceId} from this resource.`
  );
}
