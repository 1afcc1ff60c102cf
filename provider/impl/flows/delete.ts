// The delete flow: unbind what this resource owns, and verify.

import type { AttachmentOutputs } from "../../types";
import { ProviderError } from "../errors";
import { stillBound, unbindFailed } from "../messages";
import { observe } from "../plan";
import { deadlineOf, verifiedViews, type OpContext } from "./context";
import { claimsOf, keyOf, keysOf } from "./handover";

export async function deleteFlow(
  ctx: OpContext,
  props: AttachmentOutputs,
  id: string,
): Promise<{ unbound: string[] }> {
  const sg = props.securityGroupId;
  const where = `${sg} in ${props.region}`;
  // Bindings that this resource's own interrupted or failed operations left
  // (journal) are its own too: a delete that forgot them would leave them in
  // no state.
  const leftovers = ctx.journal ? [...ctx.journal.interrupted(props.owner, sg).instanceIds] : [];
  const targets = [...new Set([...props.instanceIds, ...leftovers])].sort();
  if (!sg || targets.length === 0) return { unbound: [] };
  const deadline = deadlineOf(ctx);
  const views = await ctx.scheduler.lookup(targets, deadline);
  // A binding another resource took in this deployment (adopted or handed
  // over) is that resource's now: it stays.
  const claims = claimsOf(ctx);
  const toUnbind = observe(sg, targets, views).bound.filter(
    (i) => !claims.claimedByOther(keyOf(ctx, sg, i), id),
  );
  await unbindVerified(ctx, sg, where, toUnbind, deadline);
  claims.release(keysOf(ctx, sg, props.instanceIds), id);
  // Deleted: none of this resource's intents may take bindings back any more.
  ctx.journal?.forget(props.owner, sg);
  return { unbound: toUnbind };
}

/** A destroy's unbinds, verified: throws naming what failed or is still bound. */
export async function unbindVerified(
  ctx: OpContext,
  sg: string,
  where: string,
  toUnbind: string[],
  deadline: number,
): Promise<void> {
  const res = await ctx.scheduler.run("disassociate", sg, toUnbind, deadline);
  const failed = res.filter((r) => !r.ok);
  if (failed.length > 0) {
    const done = res.filter((r) => r.ok).map((r) => r.instanceId);
    throw new ProviderError(unbindFailed(where, failed, done));
  }
  if (toUnbind.length === 0) return;
  const final = await verifiedViews(ctx, res, toUnbind, deadline, null);
  const still = observe(sg, toUnbind, final).bound;
  if (still.length > 0) throw new ProviderError(stillBound(where, sg, still));
}
