// A membership's create and update: look every holder up again, refuse
// before any change what the preview did not name or the guard does not
// allow, then bind the missing members and unbind every other holder, and
// verify. A failure unbinds what this call bound (foreign bindings it
// removed stay removed: the preview named them and the user allowed it).

import type { MembershipOutputs } from "../../types";
import { warnings } from "../engine-log";
import { ProviderError } from "../errors";
import { countRemovals, fightWarnings } from "../fights";
import { verifiedViews } from "../flows/context";
import { deadlineOf } from "../flows/context";
import { claimsOf, keysOf } from "../flows/handover";
import { describeFailures } from "../messages";
import type { OpResult } from "../scheduler";
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
import { convergedOutputs, foreignRefusal, planMembership } from "./plan";

/**
 * @param n checked inputs (fully known), with the preview's `bindingsToRemove`
 * @param ownBefore what this resource bound before (old outputs' `boundInstanceIds`; none for a create)
 * @param removedBefore removals of its bindings counted so far (old outputs' `removedOutside`)
 */
export async function convergeFlow(
  ctx: MembershipContext,
  n: MembershipOutputs,
  ownBefore: ReadonlySet<string>,
  removedBefore: Record<string, number>,
  id: string,
): Promise<MembershipOutputs> {
  const sg = n.securityGroupId;
  const where = `${sg} in ${n.region}`;
  const deadline = deadlineOf(ctx);
  const holders = await ctx.holders(sg, deadline);
  const holding = new Set(holders.map((v) => v.instanceId));
  const views = await ctx.scheduler.lookup(
    n.instanceIds.filter((i) => !holding.has(i)),
    deadline,
  );
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
    throw new ProviderError(convergeFailed(where, lines, await undoBinds(ctx, sg, bound, deadline, intent)));
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
  if (wrong.length > 0) throw new ProviderError(notConverged(where, wrong));
  // Kept until a refresh or a later operation shows the state holds them (journal.ts).
  ctx.journal?.complete(intent);
  for (const h of interrupted?.handles ?? []) ctx.journal?.release(h, [...interrupted!.instanceIds]);
  return convergedOutputs(n, plan, removed.removedOutside);
}

/** Unbinds what this call bound; says what stays (kept in the journal: the next `up` takes it back). */
async function undoBinds(
  ctx: MembershipContext,
  sg: string,
  bound: OpResult[],
  deadline: number,
  intent: string | undefined,
): Promise<string> {
  const mine = bound.filter((r) => r.ok && r.note === "applied").map((r) => r.instanceId);
  if (mine.length === 0) {
    ctx.journal?.end(intent);
    return "Nothing this call bound stays bound.";
  }
  const res = await ctx.scheduler.run("disassociate", sg, mine, deadline);
  const left = res.filter((r) => !r.ok).map((r) => r.instanceId);
  if (left.length === 0) ctx.journal?.end(intent);
  else ctx.journal?.keep(intent, left);
  return left.length === 0
    ? `The binds it made were undone (${mine.join(", ")}).`
    : `Its binds of ${left.join(", ")} could not be undone and stay bound: run \`pulumi up\` again (they are members).`;
}
