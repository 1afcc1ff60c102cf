// `diff`: a pure function of the OLD OUTPUTS (what the engine hands us) and
// the new, checked inputs.
//
// - securityGroupId or region changed → replace that property. Create before
//   delete (Pulumi's default): the new attachment is bound before the old one
//   is unbound, so the instances never lose protection. When an instance
//   already holds 5 groups that is impossible; the create of the replacement
//   then fails and tells the user to set the `deleteBeforeReplace` resource
//   option. The diff itself cannot know (it makes no API call).
// - instance set changed → in-place update. Compared with the outputs'
//   `instanceIds` (what was last observed bound), not `declaredInstanceIds`:
//   after a refresh dropped an instance the program still lists, the next
//   `up` must bind it again. `declaredInstanceIds` and the other output-only
//   fields never cause a change (refresh diffs its outputs against the
//   inputs it returned, which carry the observed set only, so a second
//   refresh reports no change). Consequence: when the program removes an
//   instance that a refresh had already dropped, there is no change, and the
//   declared set keeps it until the next update (if it is bound again outside
//   Pulumi meanwhile, a refresh lists it and the next `up` unbinds it).
// - reordering / duplicates → no change (instanceIds is a set).
// - adoptExisting alone → no change: it only decides what create does with
//   bindings that already exist; flipping it later has nothing to act on.
// - credentials, tuning and provider code are not inputs → no change.
// - unknown values (preview) → conservative: replace when the unknown is
//   securityGroupId or region, otherwise an update.

import { isUnknown } from "./validate";

export interface DiffResult {
  changes: boolean;
  replaces?: string[];
  deleteBeforeReplace?: boolean;
}

function idSet(v: unknown): Set<string> | null {
  if (!Array.isArray(v)) return null;
  return new Set(v.map((x) => String(x)));
}

function sameSet(a: Set<string>, b: Set<string>): boolean {
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

/**
 * @param olds the resource's old outputs (tolerates outputs of older versions with missing fields)
 * @param news the new inputs as returned by check
 * @param defaultRegion region from config/env, used when either side has none
 */
export function diffAttachment(olds: any, news: any, defaultRegion?: string): DiffResult {
  const o = olds && typeof olds === "object" ? olds : {};
  const n = news && typeof news === "object" ? news : {};
  const replaces: string[] = [];

  if (isUnknown(n.securityGroupId) || n.securityGroupId !== o.securityGroupId) {
    replaces.push("securityGroupId");
  }

  const newRegion = n.region ?? defaultRegion;
  const oldRegion = o.region ?? defaultRegion;
  if (isUnknown(newRegion)) {
    replaces.push("region");
  } else if (newRegion !== undefined && oldRegion !== undefined && newRegion !== oldRegion) {
    replaces.push("region");
  }

  if (replaces.length > 0) return { changes: true, replaces };

  if (isUnknown(n.instanceIds)) return { changes: true };
  const newIds = idSet(n.instanceIds);
  if (newIds === null) return { changes: true };
  for (const id of newIds) if (isUnknown(id)) return { changes: true };
  const oldIds = idSet(o.instanceIds);
  if (oldIds === null || !sameSet(oldIds, newIds)) return { changes: true };

  return { changes: false };
}
