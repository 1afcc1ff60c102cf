// The instances a resource gave up (unbound, or handed over) while its state
// may still list them: Pulumi keeps a failed update's old outputs, so without
// this record the resource's next update, refresh or delete would take back
// (unbind, or list) a binding a taker made since. The update records what it
// gives up around its unbinds and hand-overs (Giving); update, delete and
// refresh leave what was given up (givenUp). The record is the journal's gifts.

import type { InstanceView } from "./api";
import type { Journal } from "./journal";
import { givenAway } from "./ownership";
import type { OpResult } from "./scheduler";

/**
 * Of the instances the stored state lists (`listed`: recorded and declared),
 * those this resource gave up and that are not its own any more (`views`: the
 * instances as looked up now). Gifts of instances the state no longer lists
 * are done with: dropped.
 */
export function givenUp(
  journal: Journal | undefined,
  owner: string | undefined,
  sg: string,
  listed: readonly string[],
  views: ReadonlyMap<string, InstanceView | null>,
): Set<string> {
  const gifts = journal?.gifts(owner, sg) ?? [];
  if (gifts.length === 0) return new Set();
  const still = new Set(listed);
  const done = gifts.filter((g) => !still.has(g.instanceId)).map((g) => g.instanceId);
  if (done.length > 0) journal?.ungive(owner, sg, done);
  return givenAway(
    sg,
    gifts.filter((g) => still.has(g.instanceId)),
    views,
  );
}

/** What one update gives up, recorded as it goes (see the journal's gifts). */
export class Giving {
  constructor(
    private readonly journal: Journal | undefined,
    private readonly owner: string | undefined,
    private readonly sg: string,
    /** The instances as looked up at the start of the update. */
    private readonly views: ReadonlyMap<string, InstanceView | null>,
  ) {}

  /**
   * Before unbinds are sent: should the update fail or be killed, the
   * binding stays this resource's only while the instance's latest operation
   * is still the one seen at the look-up (the unbind never happened).
   */
  unbinding(ids: readonly string[]): void {
    this.record(ids.map((id) => [id, [this.seen(id)]]));
  }

  /**
   * After the unbinds: an instance unbound is given away. One whose unbind
   * surely did not happen (no request accepted, or its operation FAILED) is
   * this resource's, whatever operations the instance sees later: no gift.
   * One whose outcome is unknown (no reply, or the deadline passed while it
   * ran) stays this resource's while its latest operation is the one seen
   * at the look-up or that request.
   */
  unbound(results: readonly OpResult[]): void {
    const kept = results.filter(unbindDidNotHappen).map((r) => r.instanceId);
    const keptSet = new Set(kept);
    this.record(
      results
        .filter((r) => !keptSet.has(r.instanceId))
        .map((r) => [r.instanceId, r.ok ? [] : [this.seen(r.instanceId), r.requestId]]),
    );
    if (kept.length > 0) this.journal?.ungive(this.owner, this.sg, kept);
  }

  /** Handed over at the rendezvous: the taker records them, this resource gave them away. */
  handedOver(ids: readonly string[]): void {
    this.record(ids.map((id) => [id, []]));
  }

  private seen(id: string): string {
    return this.views.get(id)?.latestOperationRequestId ?? "";
  }

  private record(gifts: [string, string[]][]): void {
    this.journal?.give(
      this.owner,
      this.sg,
      gifts.map(([instanceId, stillOurs]) => ({ instanceId, stillOurs })),
    );
  }
}

/** A failed unbind that surely left the binding: no request was accepted, or its operation FAILED. */
function unbindDidNotHappen(r: OpResult): boolean {
  return !r.ok && !r.unanswered && (r.requestId === "" || r.reason === "operationFailed");
}
