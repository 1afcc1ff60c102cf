// The update flow: bind what was added, unbind what was removed (or hand it
// over to the attachment of this deployment that takes it), verify, and undo
// its own binds on any failure. A failure after the cloud changed records the
// outputs the resource really has (partial state, see PartialStateError).

import type { AttachmentOutputs } from "../../types";
import { PartialStateError, ProviderError } from "../errors";
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
import { judgeAlreadyBound } from "../ownership";
import { observe, outputsOf, partialOutputs, planUpdate, type PartialChange, type UpdatePlan } from "../plan";
import type { Normalised } from "../validate";
import { deadlineOf, verifiedViews, type OpContext } from "./context";
import { abandonAll, bindLate, claimAll, claimsOf, keyOf, keysOf, meet, offersFor } from "./handover";
import { GivingUp } from "./giving-up";
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
  const plan = planUpdate(sg, olds.instanceIds, n.instanceIds, views);
  // Its bindings found removed (no refresh ran since): counted, and a fight reported.
  const kept = new Set(n.instanceIds);
  const removed = countRemovals(
    sg,
    removalsOf(olds.removedOutside),
    olds.instanceIds.filter((i) => kept.has(i)),
    n.instanceIds,
    views,
  );
  for (const w of fightWarnings(owner || "SecurityGroupAttachment", sg, removed.seen)) warnings.emit(w);
  const claims = claimsOf(ctx);
  // Already this resource's own: an instance of the old declared set that a
  // refresh dropped and that was bound again outside Pulumi (it declared it
  // before; same rule as in readOutcome), and what an interrupted or failed
  // operation of this resource left bound (its journal entries).
  const ours = new Set(olds.declaredInstanceIds);
  if (plan.alreadyBoundAdded.length > 0 && ctx.journal && owner) {
    for (const i of ctx.journal.interrupted(owner, sg).instanceIds) ours.add(i);
  }
  const oldSet = new Set(olds.instanceIds);
  const added = n.instanceIds.filter((i) => !oldSet.has(i));
  const contested = claimAll(ctx, sg, added, id);
  // Refused anyway when contested: then it takes part in no hand-over.
  const offered = plan.alreadyBoundAdded.filter((i) => !ours.has(i));
  const owned = judgeAlreadyBound(plan.alreadyBoundAdded, {
    ours,
    offers: contested.length > 0 ? new Map() : offersFor(ctx, sg, offered, id),
    adoptExisting: n.adoptExisting,
  });
  // Announced at diff time but not taken over here (unbound now, or refused): nothing to wait for.
  const handingOver = new Set(owned.handOver);
  abandonAll(
    ctx,
    sg,
    id,
    [],
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
  const giving = new GivingUp();
  const [bound, unbound] = await Promise.all([
    ctx.scheduler.run("associate", sg, toBind, deadline),
    ctx.scheduler.run("disassociate", sg, toUnbind, deadline),
  ]);
  giving.unbound(unbound);
  const binds = new OwnBinds(sg, bound, views);
  // On failure the binds are undone; the outputs recorded are the old ones
  // without what was given up, with what stays of the binds.
  const undoBinds = async (): Promise<UndoResult> => {
    forget();
    return undoOwnBinds(ctx, sg, binds, intent);
  };
  const failWith = async (
    text: (holds: string[]) => string,
    change: Omit<PartialChange, "gaveUp">,
  ): Promise<never> => {
    const gaveUp = await giving.settle(ctx, sg);
    claims.release(keysOf(ctx, sg, [...gaveUp]), id);
    const outs = partialOutputs({ ...olds, ...(owner ? { owner } : {}) }, { ...change, gaveUp });
    throw new PartialStateError(text(outs.instanceIds), id, { ...outs });
  };
  const bindFailed = bound.filter((r) => !r.ok);
  const unbindFailed = unbound.filter((r) => !r.ok);
  if (bindFailed.length > 0 || unbindFailed.length > 0) {
    const doneBind = bound.filter((r) => r.ok).map((r) => r.instanceId);
    const doneUnbind = unbound.filter((r) => r.ok).map((r) => r.instanceId);
    const undone = await undoBinds();
    return failWith(
      (holds) => updateFailed(where, bindFailed, unbindFailed, undone.text, doneUnbind, doneBind, holds),
      { kept: undone.stay },
    );
  }

  const final = await verifiedViews(ctx, [...bound, ...unbound], n.instanceIds, deadline, views);
  const obs = observe(sg, n.instanceIds, final);
  if (obs.bound.length !== n.instanceIds.length) {
    forget();
    ctx.journal?.complete(intent);
    // Kept: what it bound, and what was already its own or adopted, that holds the group.
    const mineNow = new Set([...toBind, ...owned.own, ...owned.adopt]);
    const lost = [...obs.unbound, ...obs.missing].sort();
    return failWith((holds) => updateLost(where, sg, lost, holds), {
      kept: obs.bound.filter((i) => mineNow.has(i)),
      adopted: owned.adopt.filter((i) => obs.bound.includes(i)),
    });
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
    return failWith((holds) => updateHandOverFailed(where, why, undone.text, holds), { kept: undone.stay });
  }
  Object.assign(obs.priorities, late.priorities);
  ctx.journal?.complete(intent);
  const keep = new Set(n.instanceIds);
  claims.release(
    keysOf(
      ctx,
      sg,
      olds.instanceIds.filter((i) => !keep.has(i)),
    ),
    id,
  );
  const adopted = new Set([...olds.adoptedInstanceIds.filter((i) => keep.has(i)), ...owned.adopt]);
  return {
    outs: { ...outputsOf(n, owner, obs.priorities, adopted), ...removedOutsideField(removed.removedOutside) },
    plan,
  };
}
