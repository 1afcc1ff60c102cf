// The flows' side of claims and hand-overs (see ../claims.ts): claiming
// instances, asking for offers, meeting the other side, and binding what a
// releaser unbound after all.

import type { InstanceView } from "../api";
import { Claims, claimKey, type Rendezvous } from "../claims";
import { describeError } from "../errors";
import { describeFailures, lateCheckFailed, lateLost } from "../messages";
import type { Offer } from "../ownership";
import { observe } from "../plan";
import type { OpResult } from "../scheduler";
import { verifiedViews, type OpContext } from "./context";

export function claimsOf(ctx: OpContext): Claims {
  // Without a registry of the process, this resource coordinates with nobody.
  ctx.claims ??= new Claims();
  return ctx.claims;
}

export function keyOf(ctx: OpContext, sg: string, id: string): string {
  return claimKey(ctx.scope ?? "", sg, id);
}

export function keysOf(ctx: OpContext, sg: string, ids: readonly string[]): string[] {
  return ids.map((id) => keyOf(ctx, sg, id));
}

/** Claims the instances for `owner` (all or none); returns those another resource of this deployment holds. */
export function claimAll(ctx: OpContext, sg: string, ids: readonly string[], owner: string): string[] {
  const contested = new Set(claimsOf(ctx).claim(keysOf(ctx, sg, ids), owner));
  return ids.filter((id) => contested.has(keyOf(ctx, sg, id)));
}

/** Asks the registry, for each instance already bound, whether another attachment gives it up. */
export function offersFor(
  ctx: OpContext,
  sg: string,
  ids: readonly string[],
  owner: string,
): Map<string, Offer> {
  const offers = new Map<string, Offer>();
  for (const id of ids) {
    const r = claimsOf(ctx).startTake(keyOf(ctx, sg, id), owner);
    if (r !== "none") offers.set(id, r);
  }
  return offers;
}

export function abandonAll(
  ctx: OpContext,
  sg: string,
  owner: string,
  held: string[],
  taking: string[],
): void {
  for (const k of keysOf(ctx, sg, held)) claimsOf(ctx).abandon(k, "releaser", owner);
  for (const k of keysOf(ctx, sg, taking)) claimsOf(ctx).abandon(k, "taker", owner);
}

/** Meets the other side of each hand-over; returns the instances per outcome. */
export async function meet(
  ctx: OpContext,
  sg: string,
  owner: string,
  side: "releaser" | "taker",
  ids: readonly string[],
): Promise<Record<Rendezvous, string[]>> {
  const out: Record<Rendezvous, string[]> = { handedOver: [], withdrawn: [], alone: [] };
  const ends = await Promise.all(ids.map((id) => claimsOf(ctx).rendezvous(keyOf(ctx, sg, id), side, owner)));
  ids.forEach((id, i) => out[ends[i]].push(id));
  return out;
}

/**
 * Binds the instances whose releaser unbinds them after all (it gave up
 * waiting at the hand-over): queued behind that unbind, instance by instance.
 * Returns the results (for the undo) and, when something failed, why.
 */
export async function bindLate(
  ctx: OpContext,
  sg: string,
  ids: string[],
  deadline: number,
): Promise<{ results: OpResult[]; problems: string[]; priorities: Record<string, number> }> {
  if (ids.length === 0) return { results: [], problems: [], priorities: {} };
  const results = await ctx.scheduler.run("associate", sg, ids, deadline);
  const problems = describeFailures(
    "associate",
    results.filter((r) => !r.ok),
  );
  let views: Map<string, InstanceView | null>;
  try {
    views = await verifiedViews(ctx, results, ids, deadline, null);
  } catch (e) {
    // The caller undoes what was bound: an error escaping here would skip that.
    problems.push(lateCheckFailed(ids, describeError(e)));
    return { results, problems, priorities: {} };
  }
  const obs = observe(sg, ids, views);
  const lost = [...obs.unbound, ...obs.missing].filter((i) =>
    results.some((r) => r.ok && r.instanceId === i),
  );
  if (lost.length > 0) problems.push(lateLost(sg, lost));
  return { results, problems, priorities: obs.priorities };
}
