// What an update gave up (unbound, or handed over to another attachment), so
// that a failed update records outputs without it (partial state): otherwise
// its state would still list a binding a taker may make since, and its next
// update, refresh or delete would take it.

import { holds } from "../plan";
import type { OpResult } from "../scheduler";
import { deadlineOf, type OpContext } from "./context";

export class GivingUp {
  private readonly given = new Set<string>();
  /** Unbinds that failed in a way that may still have taken effect. */
  private readonly unsure: string[] = [];

  unbound(results: readonly OpResult[]): void {
    for (const r of results) {
      if (r.ok) this.given.add(r.instanceId);
      else if (!surelyNotUnbound(r)) this.unsure.push(r.instanceId);
    }
  }

  /** Handed over at the rendezvous: the taker records them. */
  handedOver(ids: readonly string[]): void {
    for (const id of ids) this.given.add(id);
  }

  /**
   * Everything given up, once the unsure unbinds have ended (looked up until
   * the instance is not operating, or the deadline): one that no longer holds
   * the group is given up; one that does (or is still operating at the
   * deadline, or whose look-up fails) stays the resource's own, listed in its
   * state.
   */
  async settle(ctx: OpContext, sg: string): Promise<Set<string>> {
    const deadline = deadlineOf(ctx);
    const now = ctx.now ?? Date.now;
    let pending = this.unsure;
    try {
      while (pending.length > 0) {
        const views = await ctx.scheduler.lookup(pending, deadline);
        const busy = pending.filter((id) => views.get(id)?.latestOperationState === "OPERATING");
        for (const id of pending) if (!busy.includes(id) && !holds(views.get(id), sg)) this.given.add(id);
        if (busy.length === 0 || now() >= deadline) break;
        pending = busy;
        await new Promise((r) => setTimeout(r, ctx.tuning.pollIntervalMs));
      }
    } catch {
      /* not known: listed, as the resource's own */
    }
    return this.given;
  }
}

/** A failed unbind that surely left the binding: no request was accepted, or its operation FAILED. */
function surelyNotUnbound(r: OpResult): boolean {
  return !r.ok && !r.unanswered && (r.requestId === "" || r.reason === "operationFailed");
}
