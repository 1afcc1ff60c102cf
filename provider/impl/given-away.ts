// The instances a resource gave up (unbound, or handed over) while its state
// may still list them: Pulumi keeps a failed update's old outputs, so without
// this record the resource's next update, refresh or delete would take back
// (unbind, or list) a binding a taker made since. The flows call these around
// their unbinds and hand-overs; the record lives in the journal (gifts).

import type { InstanceView } from "./api";
import type { Journal } from "./journal";
import { givenAway } from "./ownership";
import type { OpResult } from "./scheduler";

export interface GiftContext {
  journal?: Journal;
}

/**
 * Of the instances the stored state lists (`listed`: recorded and declared),
 * those this resource gave up and that are not its own any more (`views`: the
 * instances as looked up now). Gifts of instances the state no longer lists
 * are done with: dropped.
 */
export function givenUp(
  ctx: GiftContext,
  owner: string | undefined,
  sg: string,
  listed: readonly string[],
  views: ReadonlyMap<string, InstanceView | null>,
): Set<string> {
  const gifts = ctx.journal?.gifts(owner, sg) ?? [];
  if (gifts.length === 0) return new Set();
  const still = new Set(listed);
  const done = gifts.filter((g) => !still.has(g.instanceId)).map((g) => g.instanceId);
  if (done.length > 0) ctx.journal?.ungive(owner, sg, done);
  return givenAway(
    sg,
    gifts.filter((g) => still.has(g.instanceId)),
    views,
  );
}

/**
 * Before unbinds are sent: should this operation fail or be killed, the
 * binding stays this resource's only while the instance's latest operation
 * is still the one seen in `views` (the unbind never happened).
 */
export function giving(
  ctx: GiftContext,
  owner: string | undefined,
  sg: string,
  ids: readonly string[],
  views: ReadonlyMap<string, InstanceView | null>,
): void {
  ctx.journal?.give(
    owner,
    sg,
    ids.map((instanceId) => ({
      instanceId,
      stillOurs: [views.get(instanceId)?.latestOperationRequestId ?? ""],
    })),
  );
}

/**
 * After the unbinds: an instance unbound is given away; one whose unbind
 * failed stays this resource's, also under that request's id (an operation
 * that ended FAILED is the instance's latest).
 */
export function unbindsDone(
  ctx: GiftContext,
  owner: string | undefined,
  sg: string,
  results: readonly OpResult[],
  views: ReadonlyMap<string, InstanceView | null>,
): void {
  ctx.journal?.give(
    owner,
    sg,
    results.map((r) => ({
      instanceId: r.instanceId,
      stillOurs: r.ok ? [] : [views.get(r.instanceId)?.latestOperationRequestId ?? "", r.requestId],
    })),
  );
}

/** Handed over at the rendezvous: the taker records them, this resource gave them away. */
export function handedOver(
  ctx: GiftContext,
  owner: string | undefined,
  sg: string,
  ids: readonly string[],
): void {
  ctx.journal?.give(
    owner,
    sg,
    ids.map((instanceId) => ({ instanceId, stillOurs: [] })),
  );
}
