// What every flow is given, and the look-ups they share.

import type { InstanceView } from "../api";
import type { Claims } from "../claims";
import type { Journal } from "../journal";
import type { OpResult, Scheduler } from "../scheduler";
import type { Tuning } from "../settings";

export interface OpContext {
  scheduler: Scheduler;
  tuning: Tuning;
  /** Intents of creates in flight, so that an interrupted one can be recovered (see journal.ts). */
  journal?: Journal;
  /** The cloud and region (endpoint|region): the scope of in-process binding claims. */
  scope?: string;
  /** Who owns which binding among the resources of this deployment, and hand-overs (claims.ts). */
  claims?: Claims;
  now?: () => number;
}

export function deadlineOf(ctx: OpContext): number {
  return (ctx.now ?? Date.now)() + ctx.tuning.operationTimeoutMs;
}

/**
 * The state to verify against: each operation that completed was judged on a
 * DescribeInstances view taken after it finished, so that view is the
 * verification. Instances without one (untouched by this call, or answered
 * "gone" by the API without being observed) are taken from the earlier
 * look-up `base`, or looked up afresh when there is none.
 */
export async function verifiedViews(
  ctx: OpContext,
  results: OpResult[],
  ids: readonly string[],
  deadline: number,
  base: Map<string, InstanceView | null> | null,
): Promise<Map<string, InstanceView | null>> {
  const out = new Map<string, InstanceView | null>();
  for (const r of results) if (r.ok && r.instance) out.set(r.instanceId, r.instance);
  const rest = ids.filter((id) => !out.has(id));
  if (rest.length === 0) return out;
  if (base) {
    for (const id of rest) out.set(id, base.get(id) ?? null);
    return out;
  }
  const fresh = await ctx.scheduler.lookup(rest, deadline);
  for (const id of rest) out.set(id, fresh.get(id) ?? null);
  return out;
}
