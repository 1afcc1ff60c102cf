// The update flow: bind what was added, unbind what was removed (or hand it
// over to the attachment of this deployment that takes it), verify, and undo
// its own binds on any failure.

import type { AttachmentOutputs } from "../../types";
import { ProviderError } from "../errors";
import {
  cannotChangeInPlace,
  describeFailures,
  handOverRefusal,
  refusalLines,
  updateFailed,
  updateHandOverFailed,
  updateLost,
  updateRefused,
} from "../messages";
import { warnings } from "../engine-log";
import { countRemovals, fightWarnings, removalsOf, removedOutsideField } from "../fights";
import { givenUp, Giving } from "../given-away";
import { judgeAlreadyBound } from "../ownership";
import { observe, outputsOf, planUpdate, readTargets, type UpdatePlan } from "../plan";
import type { Normalised } from "../validate";
import { deadlineOf, verifiedViews, type OpContext } from "./context";
import { abandonAll, bindLate, claimAll, claimsOf, keyOf, keysOf, meet, offersFor } from "./handover";
import { OwnBinds, undoOwnBinds, type UndoResult } from "./undo";

export async function updateFlow(
  ctx: OpContext,
  olds: AttachmentOutputs,
  n: Normalised,
  id: string,
): Promise<{ outs: AttachmentOutputs; plan: UpdatePlan }> {
  const sg = n.securityGroupId;
  const where = `${sg} in ${n.region}`;
  if (olds.securityGroupId && olds.securityGroupId !== sg) {
    throw new ProviderError(cannotChangeInPlace("securityGroupId", olds.securityGroupId, sg));
  }
  if (olds.region && olds.region !== n.region) {
    throw new ProviderError(cannotChangeInPlace("region", olds.region, n.region));
  }
  const deadline = deadlineOf(ctx);
  const all = [...new Set([...olds.instanceIds, ...n.instanceIds])];
  const views = await ctx.scheduler.lookup(all, deadline);
  const owner = n.owner || olds.owner;
  // What an earlier update gave up and then failed (Pulumi kept its outputs,
  // which list it) is not this resource's any more: judged like anyone's.
  const given = givenUp(ctx.journal, owner, sg, readTargets(olds), views);
  const mine = olds.instanceIds.filter((i) => !given.has(i));
  const plan = planUpdate(sg, mine, n.instanceIds, views);
  // Its bindings found removed (no refresh ran since): counted, and a fight reported.
  const kept = new Set(n.instanceIds);
  const removed = countRemovals(
    sg,
    removalsOf(olds.removedOutside),
    mine.filter((i) => kept.has(i)),
    n.instanceIds,
    views,
  );
  for (const w of fightWarnings(owner || "SecurityGroupAttachment", sg, removed.seen)) warnings.emit(w);
  const claims = claimsOf(ctx);
  // Already this resource's own: an instance of the old declared set that a
  // refresh dropped and that was bound again outside Pulumi (it declared it
  // before; same rule as in readOutcome), and what an interrupted or failed
  // operation of this resource left bound (its journal entries).
  const ours = new Set(olds.declaredInstanceIds.filter((i) => !given.has(i)));
  if (plan.alreadyBoundAdded.length > 0 && ctx.journal && owner) {
    for (const i of ctx.journal.interrupted(owner, sg).instanceIds) ours.add(i);
  }
  const oldSet = new Set(mine);
  const added = n.instanceIds.filter((i) => !oldSet.has(i));
  const contested = claimAll(ctx, sg, added, id);
  // Refused anyway when contested: then it takes part in no hand-over.
  const offered = plan.alreadyBoundAdded.filter((i) => !ours.has(i));
  const owned = judgeAlreadyBound(plan.alreadyBoundAdded, {
    ours,
    offers: contested.length > 0 ? new Map() : offersFor(ctx, sg, offered, id),
    adoptExisting: n.adoptExisting,
  });
  // Announced at diff time but not taken over here (unbound now, or refused),
  // or not given up here (given up before): nothing to wait for.
  const handingOver = new Set(owned.handOver);
  abandonAll(
    ctx,
    sg,
    id,
    [...given],
    n.instanceIds.filter((i) => !handingOver.has(i)),
  );
  const held: string[] = [];
  // On failure: the hand-overs are abandoned (a releaser keeps its binding,
  // a taker takes nothing) and this update's claims dropped.
  const forget = (): void => {
    abandonAll(ctx, sg, id, held, owned.handOver);
    if (contested.length === 0) claims.release(keysOf(ctx, sg, added), id);
  };

  const problems = refusalLines(
    sg,
    n.region,
    { contested, missing: plan.missing, foreign: owned.refuse, overLimit: plan.overLimit },
    false,
  );
  if (problems.length > 0) {
    forget();
    throw new ProviderError(updateRefused(where, problems));
  }

  // The state holds the old outputs: entries they cover are done with.
  ctx.journal?.settle(owner, sg, olds.instanceIds);
  // Instances given up that another attachment announced it takes wait for
  // the hand-over; the others are unbound now. No await between deciding and
  // queueing the unbinds: a taker that comes later queues its bind behind them.
  const toUnbind: string[] = [];
  for (const i of plan.toUnbind) {
    if (claims.startRelease(keyOf(ctx, sg, i), id) === "hold") held.push(i);
    else toUnbind.push(i);
  }
  const toBind = [...plan.toBind, ...owned.bindAfter].sort();
  const intent = owner ? ctx.journal?.begin(owner, sg, [...toBind, ...owned.handOver]) : undefined;
  const giving = new Giving(ctx.journal, owner, sg, views);
  giving.unbinding(toUnbind);
  const [bound, unbound] = await Promise.all([
    ctx.scheduler.run("associate", sg, toBind, deadline),
    ctx.scheduler.run("disassociate", sg, toUnbind, deadline),
  ]);
  giving.unbound(unbound);
  const binds = new OwnBinds(sg, bound, views);
  // On failure Pulumi keeps the old outputs: a binding this update added
  // would be in the cloud but in no state. Undo the binds (the unbinds are
  // safe: the old outputs still list those instances, so refresh sees them).
  const undoBinds = async (): Promise<UndoResult> => {
    forget();
    return undoOwnBinds(ctx, sg, binds, intent);
  };
  const bindFailed = bound.filter((r) => !r.ok);
  const unbindFailed = unbound.filter((r) => !r.ok);
  if (bindFailed.length > 0 || unbindFailed.length > 0) {
    const doneBind = bound.filter((r) => r.ok).map((r) => r.instanceId);
    const doneUnbind = unbound.filter((r) => r.ok).map((r) => r.instanceId);
    const undone = await undoBinds();
    throw new ProviderError(updateFailed(where, bindFailed, unbindFailed, undone.text, doneUnbind, doneBind));
  }

  const final = await verifiedViews(ctx, [...bound, ...unbound], n.instanceIds, deadline, views);
  const obs = observe(sg, n.instanceIds, final);
  if (obs.bound.length !== n.instanceIds.length) {
    forget();
    ctx.journal?.complete(intent);
    throw new ProviderError(updateLost(where, sg, [...obs.unbound, ...obs.missing].sort()));
  }

  // The hand-overs: both sides meet, or each ends safely on its own.
  const [gave, took] = await Promise.all([
    meet(ctx, sg, id, "releaser", held),
    meet(ctx, sg, id, "taker", owned.handOver),
  ]);
  giving.handedOver(gave.handedOver);
  binds.handOver(took.handedOver);
  const late = await bindLate(ctx, sg, took.withdrawn, deadline);
  binds.addResults(late.results);
  const releasing = [...gave.withdrawn, ...gave.alone];
  giving.unbinding(releasing);
  const released = await ctx.scheduler.run("disassociate", sg, releasing, deadline);
  giving.unbound(released);
  const releaseFailed = released.filter((r) => !r.ok);
  if (took.alone.length > 0 || late.problems.length > 0 || releaseFailed.length > 0) {
    const undone = await undoBinds();
    const why = [
      ...(took.alone.length > 0 ? [handOverRefusal(sg, took.alone)] : []),
      ...late.problems,
      ...describeFailures("disassociate", releaseFailed).map((l) => `unbind: ${l}`),
    ];
    throw new ProviderError(updateHandOverFailed(where, why, undone.text));
  }
  Object.assign(obs.priorities, late.priorities);
  ctx.journal?.complete(intent);
  // Its outputs list these: its own again, whatever it gave up before.
  ctx.journal?.ungive(owner, sg, n.instanceIds);
  const keep = new Set(n.instanceIds);
  claims.release(
    keysOf(
      ctx,
      sg,
      olds.instanceIds.filter((i) => !keep.has(i)),
    ),
    id,
  );
  const adopted = new Set([
    ...olds.adoptedInstanceIds.filter((i) => keep.has(i) && !given.has(i)),
    ...owned.adopt,
  ]);
  return {
    outs: { ...outputsOf(n, owner, obs.priorities, adopted), ...removedOutsideField(removed.removedOutside) },
    plan,
  };
}
