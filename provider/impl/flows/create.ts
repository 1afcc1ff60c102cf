// The create flow: refuse what cannot be bound before changing anything, bind,
// verify, take part in hand-overs, and undo its own binds on any failure.
// Bindings whose undo failed are recorded as the resource's (partial state,
// see PartialStateError): the next `pulumi up`, from any machine, finishes it.

import { randomBytes } from "crypto";
import type { AttachmentOutputs } from "../../types";
import { PartialStateError, ProviderError } from "../errors";
import {
  cannotBind,
  createLost,
  createRefused,
  describeFailures,
  handOverRefusal,
  refusalLines,
  takenMeanwhileRefusal,
} from "../messages";
import { judgeAlreadyBound } from "../ownership";
import { observe, outputsOf, partialOutputs, planCreate, type CreatePlan } from "../plan";
import type { Normalised } from "../validate";
import { deadlineOf, verifiedViews, type OpContext } from "./context";
import { abandonAll, bindLate, claimAll, claimsOf, keysOf, meet, offersFor } from "./handover";
import { OwnBinds, undoOwnBinds } from "./undo";

export function newResourceId(sg: string, region: string): string {
  return `${sg}@${region}/${randomBytes(4).toString("hex")}`;
}

export async function createFlow(
  ctx: OpContext,
  n: Normalised,
): Promise<{ id: string; outs: AttachmentOutputs; plan: CreatePlan }> {
  const sg = n.securityGroupId;
  const where = `${sg} in ${n.region}`;
  const deadline = deadlineOf(ctx);
  const views = await ctx.scheduler.lookup(n.instanceIds, deadline);
  const plan = planCreate(sg, n.instanceIds, views);
  // Bindings left by a create of ours that was killed midway are ours to take back.
  // Consulted only when something is already bound: the common create pays nothing for it.
  // Only this resource's own entries count (same project, stack and name).
  const interrupted =
    plan.alreadyBound.length > 0 && ctx.journal && n.owner
      ? ctx.journal.interrupted(n.owner, sg)
      : { instanceIds: new Set<string>(), handles: [] as string[] };
  const reclaimed = plan.alreadyBound.filter((id) => interrupted.instanceIds.has(id));
  const foreign = plan.alreadyBound.filter((id) => !interrupted.instanceIds.has(id));

  // The ownership rule (ownership.ts) decides what happens to `foreign`.
  const id = newResourceId(sg, n.region);
  const claims = claimsOf(ctx);
  const claimKeys = keysOf(ctx, sg, n.instanceIds);
  const contested = claimAll(ctx, sg, n.instanceIds, id);
  // Refused anyway when contested: then it takes part in no hand-over.
  const owned = judgeAlreadyBound(foreign, {
    ours: new Set(),
    offers: contested.length > 0 ? new Map() : offersFor(ctx, sg, foreign, id),
    adoptExisting: n.adoptExisting,
  });
  const problems = refusalLines(
    sg,
    n.region,
    { contested, missing: plan.missing, foreign: owned.refuse, overLimit: plan.overLimit },
    true,
  );
  // On any failure the hand-overs are abandoned and this create's claims dropped.
  const forget = (): void => {
    abandonAll(ctx, sg, id, [], owned.handOver);
    if (contested.length === 0) claims.release(claimKeys, id);
  };
  if (problems.length > 0) {
    forget();
    throw new ProviderError(createRefused(where, problems));
  }

  // What it takes back is named too: a kill before the state write must not lose it again.
  // Instances a releaser of this deployment unbinds after all are bound again, behind that unbind.
  const toBind = [...plan.toBind, ...owned.bindAfter].sort();
  const intent = n.owner
    ? ctx.journal?.begin(n.owner, sg, [...toBind, ...reclaimed, ...owned.handOver])
    : undefined;
  const results = await ctx.scheduler.run("associate", sg, toBind, deadline);
  const binds = new OwnBinds(sg, results, views);
  const giveUp = async (message: string): Promise<never> => {
    const undone = await undoOwnBinds(ctx, sg, binds, intent);
    forget();
    const text = `${message}\n${undone.text}`;
    if (undone.ok) throw new ProviderError(text);
    // The resource exists, holding exactly what stays.
    claims.claim(keysOf(ctx, sg, undone.stay), id);
    const none = { ...outputsOf(n, n.owner, {}, []), instanceIds: [], declaredInstanceIds: [] };
    throw new PartialStateError(text, id, { ...partialOutputs(none, { gaveUp: [], kept: undone.stay }) });
  };

  const failed = results.filter((r) => !r.ok);
  if (failed.length > 0) return giveUp(cannotBind(where, describeFailures("associate", failed)));
  // The request-id rule: an instance that holds the group by nobody's request
  // of ours was bound by someone else between our look-up and our bind.
  const takenMeanwhile = results
    .filter((r) => r.ok && r.note !== "applied" && !binds.ours(r.instanceId, r.instance))
    .map((r) => r.instanceId)
    .sort();
  if (takenMeanwhile.length > 0 && !n.adoptExisting)
    return giveUp(takenMeanwhileRefusal(where, sg, takenMeanwhile));

  const final = await verifiedViews(ctx, results, n.instanceIds, deadline, views);
  const obs = observe(sg, n.instanceIds, final);
  if (obs.bound.length !== n.instanceIds.length) {
    return giveUp(createLost(where, sg, [...obs.unbound, ...obs.missing].sort()));
  }
  // The hand-overs: met, bound again behind the releaser's unbind, or refused.
  const met = await meet(ctx, sg, id, "taker", owned.handOver);
  binds.handOver(met.handedOver);
  const late = await bindLate(ctx, sg, met.withdrawn, deadline);
  binds.addResults(late.results);
  if (met.alone.length > 0 || late.problems.length > 0) {
    const why = met.alone.length > 0 ? [handOverRefusal(sg, met.alone), ...late.problems] : late.problems;
    return giveUp(cannotBind(where, why));
  }
  Object.assign(obs.priorities, late.priorities);
  const adopted = [...owned.adopt, ...(n.adoptExisting ? takenMeanwhile : [])];
  const outs = outputsOf(n, n.owner, obs.priorities, adopted);
  // Kept until a later operation shows the state holds the resource: the CLI
  // may be killed before it writes it (see journal.ts).
  ctx.journal?.complete(intent);
  // What this create took back now lives in its own entry.
  for (const h of interrupted.handles) ctx.journal?.release(h, n.instanceIds);
  return { id, outs, plan: { ...plan, reclaimed } };
}
