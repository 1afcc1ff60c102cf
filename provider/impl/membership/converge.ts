// A membership's create and update: look every holder up again, refuse
// before any change what the preview did not name or the guard does not
// allow, then bind the missing members and unbind every other holder, and
// verify. A failure unbinds what this call bound (foreign bindings it
// removed stay removed: the preview named them and the user allowed it), and
// records the outputs the resource really has (partial state, see
// PartialStateError): any machine's next `up` finishes it, `destroy` removes
// exactly its own.

import type { MembershipOutputs } from "../../types";
import { warnings } from "../engine-log";
import { PartialStateError, ProviderError } from "../errors";
import { countRemovals, fightWarnings } from "../fights";
import { deadlineOf, verifiedViews } from "../flows/context";
import { claimsOf, keysOf } from "../flows/handover";
import { OwnBinds, undoOwnBinds } from "../flows/undo";
import { describeFailures } from "../messages";
import type { MembershipContext } from "./check";
import {
  convergeFailed,
  guardText,
  lastGroupText,
  missingText,
  notConverged,
  overLimitText,
  refused,
  unnamedText,
} from "./messages";
import { convergedOutputs, foreignRefusal, partialMembership, planMembership } from "./plan";

/**
 * @param n checked inputs (fully known), with the preview's `bindingsToRemove`
 * @param olds the old outputs (what it bound, removals counted so far); none for a create
 */
export async function convergeFlow(
  ctx: MembershipContext,
  n: MembershipOutputs,
  olds: MembershipOutputs | undefined,
  id: string,
): Promise<MembershipOutputs> {
  const ownBefore = new Set(olds?.boundInstanceIds ?? []);
  const removedBefore = olds?.removedOutside ?? {};
  const sg = n.securityGroupId;
  const where = `${sg} in ${n.region}`;
  const deadline = deadlineOf(ctx);
  const holders = await ctx.holders(sg, deadline);
  const holding = new Set(holders.map((v) => v.instanceId));
  const views = await ctx.scheduler.lookup(
    n.instanceIds.filter((i) => !holding.has(i)),
    deadline,
  );
  // The state holds the old outputs: entries they cover are done with (else
  // one naming a binding this update gives up would make it its own again).
  if (olds) ctx.journal?.settle(n.owner, sg, olds.boundInstanceIds);
  // Bindings its own killed or failed operations left (journal) are its own too.
  const interrupted = n.owner ? ctx.journal?.interrupted(n.owner, sg) : undefined;
  const own = new Set([...ownBefore, ...(interrupted?.instanceIds ?? [])]);
  const plan = planMembership(sg, n.instanceIds, own, holders, views);
  // Its bindings found removed (no refresh ran since): counted, and a fight reported.
  const removed = countRemovals(sg, removedBefore, [...ownBefore], n.instanceIds, views);
  for (const w of fightWarnings(n.owner || "SecurityGroupMembership", sg, removed.seen)) warnings.emit(w);
  const guard = foreignRefusal(plan.foreign, n.bindingsToRemove, n.maxForeignRemovals);
  const problems: string[] = [];
  if (plan.missing.length > 0) problems.push(missingText(where, plan.missing));
  if (plan.overLimit.length > 0) problems.push(overLimitText(plan.overLimit));
  if (guard.unnamed.length > 0) problems.push(unnamedText(where, guard.unnamed));
  else if (guard.overGuard) problems.push(guardText(where, plan.foreign, n.maxForeignRemovals));
  if (plan.lastGroup.length > 0) problems.push(lastGroupText(where, plan.lastGroup));
  if (problems.length > 0) throw new ProviderError(refused(where, problems));

  // An attachment of this deployment being deleted leaves the members' bindings alone.
  claimsOf(ctx).claim(keysOf(ctx, sg, n.instanceIds), id);
  const toUnbind = [...plan.unbindOwn, ...plan.foreign];
  // Written before the binds: a kill before the state write must not leave them in no state.
  const intent = n.owner && plan.toBind.length > 0 ? ctx.journal?.begin(n.owner, sg, plan.toBind) : undefined;
  const [bound, unbound] = await Promise.all([
    ctx.scheduler.run("associate", sg, plan.toBind, deadline),
    ctx.scheduler.run("disassociate", sg, toUnbind, deadline),
  ]);
  const binds = new OwnBinds(sg, bound, views);
  // What a failure leaves: for a create, the members that already held the group.
  const base = olds ?? convergedOutputs(n, { own: [], preexisting: plan.preexisting });
  const failWith = (text: string, kept: readonly string[], gaveUp: readonly string[]): never => {
    if (!olds && kept.length === 0) throw new ProviderError(text);
    claimsOf(ctx).release(keysOf(ctx, sg, gaveUp), id);
    throw new PartialStateError(text, id, { ...partialMembership(base, gaveUp, kept) });
  };
  const failed = [...bound, ...unbound].filter((r) => !r.ok);
  if (failed.length > 0) {
    const lines = [
      ...describeFailures(
        "associate",
        bound.filter((r) => !r.ok),
      ),
      ...describeFailures(
        "disassociate",
        unbound.filter((r) => !r.ok),
      ),
    ];
    // Only what its own requests bound is undone (the request-id rule, bound-by.ts).
    const undone = await undoOwnBinds(ctx, sg, binds, intent);
    const gaveUp = unbound.filter((r) => r.ok).map((r) => r.instanceId);
    return failWith(convergeFailed(where, lines, undone.text), undone.stay, gaveUp);
  }
  const final = await verifiedViews(
    ctx,
    [...bound, ...unbound],
    [...plan.toBind, ...toUnbind],
    deadline,
    null,
  );
  const unboundSet = new Set(toUnbind);
  const wrong = [...final]
    .filter(([i, v]) => (v?.securityGroupIds.includes(sg) ?? false) === unboundSet.has(i))
    .map(([i]) => i)
    .sort();
  if (wrong.length > 0) {
    const kept = plan.toBind.filter((i) => final.get(i)?.securityGroupIds.includes(sg));
    ctx.journal?.keep(intent, kept);
    ctx.journal?.complete(intent);
    const gaveUp = toUnbind.filter((i) => !final.get(i)?.securityGroupIds.includes(sg));
    return failWith(notConverged(where, wrong), kept, gaveUp);
  }
  // Kept until a refresh or a later operation shows the state holds them (journal.ts).
  ctx.journal?.complete(intent);
  for (const h of interrupted?.handles ?? []) ctx.journal?.release(h, [...interrupted!.instanceIds]);
  return convergedOutputs(n, plan, removed.removedOutside);
}
