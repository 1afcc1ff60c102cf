// A membership's refresh and destroy.
//
// - read: the holders it did not make are reported in `foreignInstanceIds`
//   (drift); the next preview names them in `bindingsToRemove`, and `up`
//   removes them. Its own bindings found removed are counted (fights.ts),
//   with a warning from the second removal on.
// - delete: unbinds what it bound itself, and every member with
//   `removeAllOnDestroy`; what held the group before it stays.

import type { MembershipOutputs } from "../../types";
import { warnings } from "../engine-log";
import { countRemovals, fightWarnings, removalsOf } from "../fights";
import { deadlineOf } from "../flows/context";
import { unbindVerified } from "../flows/delete";
import { claimsOf, keyOf, keysOf } from "../flows/handover";
import type { MembershipContext } from "./check";
import { destroyTargets, readOutputs } from "./plan";

export async function readMembership(
  ctx: MembershipContext,
  id: string,
  props: MembershipOutputs,
): Promise<{ id: string; props: MembershipOutputs; inputs: MembershipOutputs }> {
  const sg = props.securityGroupId;
  const deadline = deadlineOf(ctx);
  const holders = await ctx.holders(sg, deadline);
  const holding = new Set(holders.map((v) => v.instanceId));
  // Bindings it made, found removed: counted, and a fight reported.
  const views = await ctx.scheduler.lookup(
    props.boundInstanceIds.filter((i) => !holding.has(i)),
    deadline,
  );
  const removed = countRemovals(
    sg,
    removalsOf(props.removedOutside),
    props.boundInstanceIds,
    props.instanceIds,
    views,
  );
  for (const w of fightWarnings(props.owner || "SecurityGroupMembership", sg, removed.seen)) warnings.emit(w);
  const outs = readOutputs(props, holders, removed.removedOutside);
  // The state holds the resource: intents it covers are done with.
  ctx.journal?.settle(props.owner, sg, outs.boundInstanceIds);
  // Stored inputs carry the records the next check needs (its own bindings).
  return { id, props: outs, inputs: outs };
}

export async function deleteMembership(
  ctx: MembershipContext,
  id: string,
  props: MembershipOutputs,
): Promise<{ unbound: string[] }> {
  const sg = props.securityGroupId;
  const where = `${sg} in ${props.region}`;
  const deadline = deadlineOf(ctx);
  const holders = await ctx.holders(sg, deadline);
  const claims = claimsOf(ctx);
  // A binding another resource of this deployment claimed is that resource's now.
  // Bindings its own killed or failed operations left (journal) are its own too.
  const leftovers = [...(ctx.journal?.interrupted(props.owner, sg).instanceIds ?? [])];
  const mine = { ...props, boundInstanceIds: [...props.boundInstanceIds, ...leftovers] };
  const toUnbind = destroyTargets(mine, new Set(holders.map((v) => v.instanceId))).filter(
    (i) => !claims.claimedByOther(keyOf(ctx, sg, i), id),
  );
  await unbindVerified(ctx, sg, where, toUnbind, deadline);
  claims.release(keysOf(ctx, sg, props.instanceIds), id);
  // Deleted: none of its intents may take bindings back any more.
  ctx.journal?.forget(props.owner, sg);
  return { unbound: toUnbind };
}
