// Undoing what a failed create or update bound: only the bindings made by
// its own requests (or handed over to it), never another's.

import type { InstanceView } from "../api";
import { madeByOurRequest, mayHaveBound } from "../bound-by";
import { describeError } from "../errors";
import { NOTHING_BOUND, unboundAgain, undoFailed, undoImpossible } from "../messages";
import { holds } from "../plan";
import type { OpResult } from "../scheduler";
import { deadlineOf, type OpContext } from "./context";

export interface UndoResult {
  /** Nothing of ours is left bound. */
  ok: boolean;
  /** Unbound again. */
  undone: string[];
  /** Bindings of ours that stay (the error names them, the stack's state records them). */
  stay: string[];
  /** A sentence for the error message. */
  text: string;
}

/** What a create or an update bound so far, and how to tell its bindings from another's. */
export class OwnBinds {
  /** Handed over to this operation at the rendezvous: its own from then on. */
  readonly handedOver = new Set<string>();
  /** The instances a request was accepted (or got no reply) for, and those handed over. */
  readonly candidates: string[];
  private readonly attempts: Map<string, OpResult>;

  /** `before`: the look-up before binding. */
  constructor(
    private readonly sg: string,
    results: OpResult[],
    private readonly before: Map<string, InstanceView | null>,
  ) {
    this.attempts = new Map(results.map((r) => [r.instanceId, r] as const));
    this.candidates = results.filter(mayHaveBound).map((r) => r.instanceId);
  }

  /** Whether `now` holds the group by this operation (the request-id rule, see bound-by.ts). */
  ours(id: string, now: InstanceView | null): boolean {
    return this.handedOver.has(id)
      ? holds(now, this.sg)
      : madeByOurRequest(this.sg, this.attempts.get(id), this.before.get(id), now);
  }

  /** The releaser has dropped them from its state: should this operation fail now, they are undone with its binds. */
  handOver(ids: readonly string[]): void {
    for (const id of ids) this.handedOver.add(id);
    this.candidates.push(...ids);
  }

  /** Binds made after the first ones (behind a withdrawn releaser). */
  addResults(results: OpResult[]): void {
    for (const r of results) this.attempts.set(r.instanceId, r);
    this.candidates.push(...results.filter(mayHaveBound).map((r) => r.instanceId));
  }
}

/**
 * Undoes the operation's own binds and records the outcome in the journal:
 * the intent ends, or keeps exactly the bindings that stay (should the CLI be
 * killed before it writes the state that records them).
 */
export async function undoOwnBinds(
  ctx: OpContext,
  sg: string,
  binds: OwnBinds,
  intent: string | undefined,
): Promise<UndoResult> {
  const undone = await undo(ctx, sg, binds);
  if (undone.ok) ctx.journal?.end(intent);
  else ctx.journal?.keep(intent, undone.stay);
  return undone;
}

/**
 * A fresh look-up tells which candidates hold the group, or are still
 * operating, by our request: only those are unbound. Where that fails, the
 * result names exactly what stays.
 */
async function undo(ctx: OpContext, sg: string, binds: OwnBinds): Promise<UndoResult> {
  const candidates = binds.candidates;
  const nothing = { ok: true, undone: [], stay: [], text: NOTHING_BOUND };
  if (candidates.length === 0) return nothing;
  const deadline = deadlineOf(ctx);
  let views: Map<string, InstanceView | null>;
  try {
    views = await ctx.scheduler.lookup(candidates, deadline);
  } catch (e) {
    const stay = [...candidates].sort();
    return { ok: false, undone: [], stay, text: undoImpossible(sg, stay, describeError(e)) };
  }
  const mine = candidates.filter((id) => binds.ours(id, views.get(id) ?? null)).sort();
  if (mine.length === 0) return nothing;
  const res = await ctx.scheduler.run("disassociate", sg, mine, deadline);
  const bad = res.filter((r) => !r.ok);
  const undone = res
    .filter((r) => r.ok)
    .map((r) => r.instanceId)
    .sort();
  if (bad.length === 0)
    return { ok: true, undone, stay: [], text: unboundAgain(undone, sg, binds.handedOver) };
  let stay = bad.map((r) => r.instanceId).sort();
  // Name exactly what stays: a failed unbind may still have taken effect.
  try {
    const after = await ctx.scheduler.lookup(stay, deadline);
    stay = stay.filter((id) => {
      const v = after.get(id);
      return !!v && (v.securityGroupIds.includes(sg) || v.latestOperationState === "OPERATING");
    });
  } catch {
    /* keep the conservative list */
  }
  const gone = new Set(stay);
  const unbound = mine.filter((id) => !gone.has(id));
  if (stay.length === 0) {
    return { ok: true, undone: unbound, stay, text: unboundAgain(unbound, sg, binds.handedOver) };
  }
  return { ok: false, undone: unbound, stay, text: undoFailed(sg, stay, bad, unbound) };
}
