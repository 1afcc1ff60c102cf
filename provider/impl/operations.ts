// The create/update/delete/read flows, built on the Scheduler, and the pure
// planning functions they use.

import { randomBytes } from "crypto";
import type { AttachmentOutputs } from "../types";
import type { InstanceView } from "./api";
import { Claims, claimKey, type Rendezvous } from "./claims";
import { describeError, hintFor, ProviderError } from "./errors";
import type { OpResult, Scheduler } from "./scheduler";
import type { Tuning } from "./settings";
import type { Journal } from "./journal";
import type { Normalised } from "./validate";
import { madeByOurRequest, mayHaveBound } from "./bound-by";
import { foreignBindingText, judgeAlreadyBound, type Offer } from "./ownership";

import { MAX_SGS_PER_INSTANCE } from "./limits";

export const DELETE_BEFORE_REPLACE_HINT =
  "If this attachment replaces another one (securityGroupId or region changed), set the resource option " +
  "`deleteBeforeReplace: true` so that the old group is unbound before the new one is bound.";

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

// ---------------------------------------------------------------------------
// Pure planning
// ---------------------------------------------------------------------------

export interface OverLimit {
  instanceId: string;
  securityGroupIds: string[];
}

export interface CreatePlan {
  missing: string[];
  alreadyBound: string[];
  /** Of alreadyBound: bound by an interrupted create of ours (journal), taken back. */
  reclaimed?: string[];
  overLimit: OverLimit[];
  toBind: string[];
}

function holds(v: InstanceView | null | undefined, sg: string): boolean {
  return !!v && v.securityGroupIds.includes(sg);
}

export function planCreate(
  sg: string,
  instanceIds: readonly string[],
  views: Map<string, InstanceView | null>,
): CreatePlan {
  const plan: CreatePlan = { missing: [], alreadyBound: [], overLimit: [], toBind: [] };
  for (const id of instanceIds) {
    const v = views.get(id) ?? null;
    if (!v) plan.missing.push(id);
    else if (holds(v, sg)) plan.alreadyBound.push(id);
    else if (v.securityGroupIds.length >= MAX_SGS_PER_INSTANCE)
      plan.overLimit.push({ instanceId: id, securityGroupIds: [...v.securityGroupIds] });
    else plan.toBind.push(id);
  }
  return plan;
}

export interface UpdatePlan {
  /** Wanted instances that do not exist. */
  missing: string[];
  /** Wanted instances that are full. */
  overLimit: OverLimit[];
  /** Wanted instances not holding the group (added ones, or drifted ones). */
  toBind: string[];
  /** Newly added instances that already hold the group (skipped). */
  alreadyBoundAdded: string[];
  /** Instances no longer wanted that still hold the group. */
  toUnbind: string[];
  /** Instances no longer wanted that are gone or already unbound (skipped). */
  alreadyUnbound: string[];
}

export function planUpdate(
  sg: string,
  oldIds: readonly string[],
  newIds: readonly string[],
  views: Map<string, InstanceView | null>,
): UpdatePlan {
  const plan: UpdatePlan = {
    missing: [],
    overLimit: [],
    toBind: [],
    alreadyBoundAdded: [],
    toUnbind: [],
    alreadyUnbound: [],
  };
  const oldSet = new Set(oldIds);
  const newSet = new Set(newIds);
  for (const id of newSet) {
    const v = views.get(id) ?? null;
    if (!v) plan.missing.push(id);
    else if (holds(v, sg)) {
      if (!oldSet.has(id)) plan.alreadyBoundAdded.push(id);
    } else if (v.securityGroupIds.length >= MAX_SGS_PER_INSTANCE)
      plan.overLimit.push({ instanceId: id, securityGroupIds: [...v.securityGroupIds] });
    else plan.toBind.push(id);
  }
  for (const id of oldSet) {
    if (newSet.has(id)) continue;
    if (holds(views.get(id), sg)) plan.toUnbind.push(id);
    else plan.alreadyUnbound.push(id);
  }
  for (const k of Object.keys(plan) as (keyof UpdatePlan)[]) {
    const list = plan[k] as unknown[];
    if (k !== "overLimit") (list as string[]).sort();
  }
  return plan;
}

export interface Observation {
  /** Instances that exist and hold the group, sorted. */
  bound: string[];
  /** Instances that exist but do not hold it. */
  unbound: string[];
  /** Instances that do not exist. */
  missing: string[];
  /** Position of the group in each bound instance's list. */
  priorities: Record<string, number>;
}

export function observe(
  sg: string,
  instanceIds: readonly string[],
  views: Map<string, InstanceView | null>,
): Observation {
  const obs: Observation = { bound: [], unbound: [], missing: [], priorities: {} };
  for (const id of [...new Set(instanceIds)].sort()) {
    const v = views.get(id) ?? null;
    if (!v) obs.missing.push(id);
    else {
      const pos = v.securityGroupIds.indexOf(sg);
      if (pos >= 0) {
        obs.bound.push(id);
        obs.priorities[id] = pos;
      } else obs.unbound.push(id);
    }
  }
  return obs;
}

// ---------------------------------------------------------------------------
// Claims and hand-overs (see claims.ts)
// ---------------------------------------------------------------------------

function claimsOf(ctx: OpContext): Claims {
  // Without a registry of the process, this resource coordinates with nobody.
  ctx.claims ??= new Claims();
  return ctx.claims;
}

function keysOf(ctx: OpContext, sg: string, ids: readonly string[]): string[] {
  return ids.map((id) => claimKey(ctx.scope ?? "", sg, id));
}

/** Claims the instances for `owner` (all or none); returns those another resource of this deployment holds. */
function claimAll(ctx: OpContext, sg: string, ids: readonly string[], owner: string): string[] {
  const contested = new Set(claimsOf(ctx).claim(keysOf(ctx, sg, ids), owner));
  return ids.filter((id) => contested.has(claimKey(ctx.scope ?? "", sg, id)));
}

function contestedText(sg: string, ids: readonly string[]): string {
  return (
    `instances claimed by another SecurityGroupAttachment of ${sg} in this deployment: ${list(ids)}. ` +
    `A binding can have only one owner: remove them from one of the two resources.`
  );
}

/** Asks the registry, for each instance already bound, whether another attachment gives it up. */
function offersFor(ctx: OpContext, sg: string, ids: readonly string[], owner: string): Map<string, Offer> {
  const offers = new Map<string, Offer>();
  for (const id of ids) {
    const r = claimsOf(ctx).startTake(claimKey(ctx.scope ?? "", sg, id), owner);
    if (r !== "none") offers.set(id, r);
  }
  return offers;
}

function abandonAll(ctx: OpContext, sg: string, owner: string, held: string[], taking: string[]): void {
  for (const k of keysOf(ctx, sg, held)) claimsOf(ctx).abandon(k, "releaser", owner);
  for (const k of keysOf(ctx, sg, taking)) claimsOf(ctx).abandon(k, "taker", owner);
}

/** Meets the other side of each hand-over; returns the instances per outcome. */
async function meet(
  ctx: OpContext,
  sg: string,
  owner: string,
  side: "releaser" | "taker",
  ids: readonly string[],
): Promise<Record<Rendezvous, string[]>> {
  const out: Record<Rendezvous, string[]> = { handedOver: [], withdrawn: [], alone: [] };
  const ends = await Promise.all(
    ids.map((id) => claimsOf(ctx).rendezvous(claimKey(ctx.scope ?? "", sg, id), side, owner)),
  );
  ids.forEach((id, i) => out[ends[i]].push(id));
  return out;
}

function handOverRefusal(sg: string, ids: readonly string[]): string {
  return (
    `instances ${list(ids)} hold ${sg} for another attachment of this deployment that gives them up, ` +
    `but its update failed or did not run while this one waited (with --parallel 1, or when one attachment ` +
    `depends on the other, the two cannot meet). They stay with that attachment. Remove them from it ` +
    `first (one pulumi up), then add them here (the next one).`
  );
}

export function newResourceId(sg: string, region: string): string {
  return `${sg}@${region}/${randomBytes(4).toString("hex")}`;
}

function stringsOf(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x: unknown): x is string => typeof x === "string") : [];
}

/** Old outputs, possibly written by an older version, made safe to use. */
export function normaliseOutputs(props: any, defaultRegion?: string): AttachmentOutputs {
  const p = props && typeof props === "object" ? props : {};
  const ids = stringsOf(p.instanceIds);
  // Outputs written before declaredInstanceIds existed: the recorded set is
  // the best knowledge of what was declared (an instance a refresh of such a
  // version already dropped is not known any more).
  const declared = Array.isArray(p.declaredInstanceIds) ? stringsOf(p.declaredInstanceIds) : ids;
  const adopted = Array.isArray(p.adoptedInstanceIds)
    ? p.adoptedInstanceIds.filter((x: unknown) => typeof x === "string")
    : [];
  const priorities: Record<string, number> = {};
  if (p.priorities && typeof p.priorities === "object") {
    for (const [k, v] of Object.entries(p.priorities)) if (typeof v === "number") priorities[k] = v;
  }
  return {
    securityGroupId: typeof p.securityGroupId === "string" ? p.securityGroupId : "",
    instanceIds: [...new Set<string>(ids)].sort(),
    declaredInstanceIds: [...new Set<string>(declared)].sort(),
    region: typeof p.region === "string" && p.region ? p.region : (defaultRegion ?? ""),
    adoptExisting: p.adoptExisting === true,
    priorities,
    adoptedInstanceIds: [...new Set<string>(adopted)].sort(),
    // Outputs written before the owner existed lack it until the next update.
    ...(typeof p.owner === "string" && p.owner ? { owner: p.owner } : {}),
  };
}

// ---------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------

function list(ids: readonly string[]): string {
  return ids.join(", ");
}

function overLimitText(o: OverLimit[]): string {
  return o.map((x) => `${x.instanceId} (holds ${list(x.securityGroupIds)})`).join("; ");
}

/** One line per failure reason, with the API's code, message and RequestId, and what to do. */
export function describeFailures(kind: "associate" | "disassociate", failed: OpResult[]): string[] {
  const lines: string[] = [];
  const by = new Map<string, Extract<OpResult, { ok: false }>[]>();
  for (const r of failed) {
    if (r.ok) continue;
    const key = `${r.reason}|${r.error.code}|${r.error.apiMessage}`;
    const arr = by.get(key) ?? [];
    arr.push(r);
    by.set(key, arr);
  }
  for (const group of by.values()) {
    const ids = group.map((r) => r.instanceId).sort();
    const e = group[0].error;
    const rids = [...new Set(group.map((r) => r.error.requestId).filter(Boolean))];
    const ridText =
      rids.length > 0 && !e.message.includes("RequestId") ? ` (RequestId: ${rids.join(", ")})` : "";
    switch (group[0].reason) {
      case "instanceNotFound":
        lines.push(
          `instances not found: ${list(ids)} (${e.message}${ridText}). ${hintFor("InvalidInstanceId.NotFound")}`,
        );
        break;
      case "limitExceeded":
        lines.push(
          `instances would exceed the limit of ${MAX_SGS_PER_INSTANCE} security groups: ${list(ids)} (${e.message}${ridText}). ` +
            `Unbind a group from them first. ${DELETE_BEFORE_REPLACE_HINT}`,
        );
        break;
      case "operationFailed":
        lines.push(
          `the asynchronous ${kind === "associate" ? "AssociateSecurityGroups" : "DisassociateSecurityGroups"} ` +
            `operation FAILED on ${list(ids)}: ${e.apiMessage} (RequestId: ${e.requestId || "unknown"}). ` +
            `Fix the cause reported by the API, then run pulumi up again.`,
        );
        break;
      case "timeout":
        lines.push(`not finished before the deadline on ${list(ids)}: ${e.message}. ${hintFor(e.code)}`);
        break;
      case "securityGroupNotFound":
        lines.push(`security group not found (${e.message}). ${hintFor("InvalidSecurityGroupId.NotFound")}`);
        break;
      default:
        lines.push(`${list(ids)}: ${e.message}${ridText}. ${hintFor(e.code)}`);
    }
  }
  return lines;
}

function bullet(lines: string[]): string {
  return lines.map((l) => `\n - ${l}`).join("");
}

// ---------------------------------------------------------------------------
// Flows
// ---------------------------------------------------------------------------

function deadlineOf(ctx: OpContext): number {
  return (ctx.now ?? Date.now)() + ctx.tuning.operationTimeoutMs;
}

/**
 * The state to verify against: each operation that completed was judged on a
 * DescribeInstances view taken after it finished, so that view is the
 * verification; instances without one (untouched by this call, or answered
 * "gone" by the API without being observed) are looked up afresh when `fresh`
 * is true, or taken from the earlier look-up `base` otherwise.
 */
async function verifiedViews(
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

export interface UndoResult {
  /** Nothing of ours is left bound. */
  ok: boolean;
  /** Unbound again. */
  undone: string[];
  /** Bindings of ours that stay (the error names them, the journal keeps them). */
  stay: string[];
  /** A sentence for the error message. */
  text: string;
}

function unboundAgain(ids: string[], sg: string, handedOver: ReadonlySet<string>): string {
  const handed = ids.filter((id) => handedOver.has(id));
  if (handed.length === 0) {
    return (
      `What this attempt had bound (${ids.length} instance(s)) was unbound again; ` +
      `the instances are as they were (unbound: ${list(ids)}).`
    );
  }
  return (
    `What this attempt had bound or been handed over (${ids.length} instance(s)) was unbound again ` +
    `(unbound: ${list(ids)}). Handed over by another attachment, which no longer holds them, and so now ` +
    `without ${sg}: ${list(handed)}; run pulumi up again to bind them.`
  );
}

/** Why an operation's intent is not in the journal; undefined when it is. */
function unjournalledReason(ctx: OpContext, intent: string | undefined): string | undefined {
  if (intent !== undefined) return undefined;
  return ctx.journal?.problem ?? "the resource has no owner or no journal";
}

/**
 * What the next `up` does about bindings that stay: it depends on whether the
 * journal holds them (`unjournalled`: why it does not, if it does not).
 */
function recoveryHint(unjournalled: string | undefined): string {
  return unjournalled === undefined
    ? `They belong to this resource: the next pulumi up takes them back (no adoptExisting needed), ` +
        `or unbind them by hand. A pulumi up on another machine does not know them: see the README's recovery steps.`
    : `The crash-recovery journal could not record them (${unjournalled}): run pulumi up once with adoptExisting: true ` +
        `on this resource to take them back, or unbind them by hand.`;
}

/**
 * Unbinds what a failed operation bound. `candidates` are the instances a
 * request was accepted (or got no reply) for; a fresh look-up tells which of
 * them hold the group, or are still operating, by our request (`ours`): only
 * those are unbound. Where that fails, the result names exactly what stays.
 */
async function undo(
  ctx: OpContext,
  sg: string,
  candidates: string[],
  ours: (id: string, now: InstanceView | null) => boolean,
  unjournalled: string | undefined,
  handedOver: ReadonlySet<string> = new Set(),
): Promise<UndoResult> {
  const nothing = {
    ok: true,
    undone: [],
    stay: [],
    text: "Nothing had been bound; the instances are as they were.",
  };
  if (candidates.length === 0) return nothing;
  const deadline = deadlineOf(ctx);
  let views: Map<string, InstanceView | null>;
  try {
    views = await ctx.scheduler.lookup(candidates, deadline);
  } catch (e) {
    const stay = [...candidates].sort();
    return {
      ok: false,
      undone: [],
      stay,
      text:
        `UNDO IMPOSSIBLE: could not look up ${list(stay)} (${describeError(e)}); requests to bind them to ${sg} ` +
        `were accepted, so they may hold it. ${recoveryHint(unjournalled)}`,
    };
  }
  const mine = candidates.filter((id) => ours(id, views.get(id) ?? null)).sort();
  if (mine.length === 0) return nothing;
  const res = await ctx.scheduler.run("disassociate", sg, mine, deadline);
  const bad = res.filter((r) => !r.ok);
  const undone = res
    .filter((r) => r.ok)
    .map((r) => r.instanceId)
    .sort();
  if (bad.length === 0) {
    return {
      ok: true,
      undone,
      stay: [],
      text: unboundAgain(undone, sg, handedOver),
    };
  }
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
    return {
      ok: true,
      undone: unbound,
      stay,
      text: unboundAgain(unbound, sg, handedOver),
    };
  }
  return {
    ok: false,
    undone: unbound,
    stay,
    text:
      `UNDO FAILED: these bindings stay: ${list(stay)} hold ${sg}:` +
      bullet(describeFailures("disassociate", bad)) +
      (unbound.length > 0 ? `\nUnbound again: ${list(unbound)}.` : "") +
      `\n${recoveryHint(unjournalled)}`,
  };
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
  const problems: string[] = [];
  if (contested.length > 0) problems.push(contestedText(sg, contested));
  if (plan.missing.length > 0) {
    problems.push(
      `instances not found in ${n.region}: ${list(plan.missing)}. Remove them from instanceIds, or check the region.`,
    );
  }
  if (owned.refuse.length > 0) problems.push(foreignBindingText(sg, owned.refuse));
  if (plan.overLimit.length > 0) {
    problems.push(
      `instances already hold the maximum of ${MAX_SGS_PER_INSTANCE} security groups: ${overLimitText(plan.overLimit)}. ` +
        `Unbind a group from them first. ${DELETE_BEFORE_REPLACE_HINT}`,
    );
  }
  // On any failure the hand-overs are abandoned and this create's claims dropped.
  const forget = (): void => {
    abandonAll(ctx, sg, id, [], owned.handOver);
    if (contested.length === 0) claims.release(claimKeys, id);
  };
  if (problems.length > 0) {
    forget();
    throw new ProviderError(`Cannot bind ${where}; nothing was changed:${bullet(problems)}`);
  }

  // What it takes back is named too: a kill before the state write must not lose it again.
  // Instances a releaser of this deployment unbinds after all are bound again, behind that unbind.
  const toBind = [...plan.toBind, ...owned.bindAfter].sort();
  const intent = n.owner
    ? ctx.journal?.begin(n.owner, sg, [...toBind, ...reclaimed, ...owned.handOver])
    : undefined;
  const results = await ctx.scheduler.run("associate", sg, toBind, deadline);
  const attempts = new Map(results.map((r) => [r.instanceId, r] as const));
  // Handed over to this create at the rendezvous: its own from then on.
  const handedOver = new Set<string>();
  const ours = (iid: string, now: InstanceView | null) =>
    handedOver.has(iid) ? holds(now, sg) : madeByOurRequest(sg, attempts.get(iid), views.get(iid), now);
  const candidates = results.filter(mayHaveBound).map((r) => r.instanceId);
  const giveUp = async (message: string): Promise<never> => {
    const undone = await undo(ctx, sg, candidates, ours, unjournalledReason(ctx, intent), handedOver);
    // Keep the intent when bindings stay: they are still ours to take back.
    if (undone.ok) ctx.journal?.end(intent);
    else ctx.journal?.keep(intent, undone.stay);
    forget();
    throw new ProviderError(`${message}\n${undone.text}`);
  };

  const failed = results.filter((r) => !r.ok);
  if (failed.length > 0) {
    return giveUp(`Cannot bind ${where}:${bullet(describeFailures("associate", failed))}`);
  }
  // The request-id rule: an instance that holds the group by nobody's request
  // of ours was bound by someone else between our look-up and our bind.
  const takenMeanwhile = results
    .filter((r) => r.ok && r.note !== "applied" && !ours(r.instanceId, r.instance))
    .map((r) => r.instanceId)
    .sort();
  if (takenMeanwhile.length > 0 && !n.adoptExisting) {
    return giveUp(
      `Cannot bind ${where}: ${list(takenMeanwhile)} were bound to ${sg} by another request ` +
        `(another stack or client) while this create ran; a binding has one owner. Set adoptExisting: true ` +
        `on this resource to take these bindings over, or remove the instances from instanceIds.`,
    );
  }

  const final = await verifiedViews(ctx, results, n.instanceIds, deadline, views);
  const obs = observe(sg, n.instanceIds, final);
  if (obs.bound.length !== n.instanceIds.length) {
    const lost = [...obs.unbound, ...obs.missing].sort();
    return giveUp(
      `Cannot bind ${where}: after the operations finished, ${list(lost)} did not hold ${sg} ` +
        `(changed by something else meanwhile?).`,
    );
  }
  // The hand-overs: met, bound again behind the releaser's unbind, or refused.
  const met = await meet(ctx, sg, id, "taker", owned.handOver);
  // The releaser has dropped them from its state: should this create fail
  // now, they are undone with its binds, or no state would hold them.
  for (const i of met.handedOver) handedOver.add(i);
  candidates.push(...met.handedOver);
  const late = await bindLate(ctx, sg, met.withdrawn, deadline);
  for (const r of late.results) attempts.set(r.instanceId, r);
  candidates.push(...late.results.filter(mayHaveBound).map((r) => r.instanceId));
  if (met.alone.length > 0 || late.problems.length > 0) {
    const why = met.alone.length > 0 ? [handOverRefusal(sg, met.alone), ...late.problems] : late.problems;
    return giveUp(`Cannot bind ${where}:${bullet(why)}`);
  }
  Object.assign(obs.priorities, late.priorities);
  const adopted = [...owned.adopt, ...(n.adoptExisting ? takenMeanwhile : [])].sort();
  const outs: AttachmentOutputs = {
    securityGroupId: sg,
    instanceIds: [...n.instanceIds],
    declaredInstanceIds: [...new Set(n.instanceIds)].sort(),
    region: n.region,
    adoptExisting: n.adoptExisting,
    priorities: obs.priorities,
    adoptedInstanceIds: adopted,
    ...(n.owner ? { owner: n.owner } : {}),
  };
  // Kept until a later operation shows the state holds the resource: the CLI
  // may be killed before it writes it (see journal.ts).
  ctx.journal?.complete(intent);
  // What this create took back now lives in its own entry.
  for (const h of interrupted.handles) ctx.journal?.release(h, n.instanceIds);
  return { id, outs, plan: { ...plan, reclaimed } };
}

/**
 * Binds the instances whose releaser unbinds them after all (it gave up
 * waiting at the hand-over): queued behind that unbind, instance by instance.
 * Returns the results (for the undo) and, when something failed, why.
 */
async function bindLate(
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
    problems.push(`could not check ${list(ids)} after binding them late: ${describeError(e)}`);
    return { results, problems, priorities: {} };
  }
  const obs = observe(sg, ids, views);
  const lost = [...obs.unbound, ...obs.missing].filter((i) =>
    results.some((r) => r.ok && r.instanceId === i),
  );
  if (lost.length > 0) {
    problems.push(
      `${list(lost)} did not hold ${sg} after the operations finished (changed by something else meanwhile?)`,
    );
  }
  return { results, problems, priorities: obs.priorities };
}

export async function updateFlow(
  ctx: OpContext,
  olds: AttachmentOutputs,
  n: Normalised,
  id: string,
): Promise<{ outs: AttachmentOutputs; plan: UpdatePlan }> {
  const sg = n.securityGroupId;
  const where = `${sg} in ${n.region}`;
  if (olds.securityGroupId && olds.securityGroupId !== sg) {
    throw new ProviderError(
      `securityGroupId cannot change in place (${olds.securityGroupId} → ${sg}); the resource must be replaced.`,
    );
  }
  if (olds.region && olds.region !== n.region) {
    throw new ProviderError(
      `region cannot change in place (${olds.region} → ${n.region}); the resource must be replaced.`,
    );
  }
  const deadline = deadlineOf(ctx);
  const all = [...new Set([...olds.instanceIds, ...n.instanceIds])];
  const views = await ctx.scheduler.lookup(all, deadline);
  const plan = planUpdate(sg, olds.instanceIds, n.instanceIds, views);
  const owner = n.owner || olds.owner;
  const claims = claimsOf(ctx);
  // Already this resource's own: an instance of the old declared set that a
  // refresh dropped and that was bound again outside Pulumi (it declared it
  // before; same rule as in readFlow), and what an interrupted or failed
  // operation of this resource left bound (its journal entries).
  const ours = new Set(olds.declaredInstanceIds);
  if (plan.alreadyBoundAdded.length > 0 && ctx.journal && owner) {
    for (const i of ctx.journal.interrupted(owner, sg).instanceIds) ours.add(i);
  }
  const oldSet = new Set(olds.instanceIds);
  const added = n.instanceIds.filter((i) => !oldSet.has(i));
  const contested = claimAll(ctx, sg, added, id);
  // Refused anyway when contested: then it takes part in no hand-over.
  const owned = judgeAlreadyBound(plan.alreadyBoundAdded, {
    ours,
    offers:
      contested.length > 0
        ? new Map()
        : offersFor(
            ctx,
            sg,
            plan.alreadyBoundAdded.filter((i) => !ours.has(i)),
            id,
          ),
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

  const problems: string[] = [];
  if (contested.length > 0) problems.push(contestedText(sg, contested));
  if (plan.missing.length > 0) {
    problems.push(
      `instances not found in ${n.region}: ${list(plan.missing)}. Remove them from instanceIds, or check the region.`,
    );
  }
  if (owned.refuse.length > 0) problems.push(foreignBindingText(sg, owned.refuse));
  if (plan.overLimit.length > 0) {
    problems.push(
      `instances already hold the maximum of ${MAX_SGS_PER_INSTANCE} security groups: ${overLimitText(plan.overLimit)}. ` +
        `Unbind a group from them first.`,
    );
  }
  if (problems.length > 0) {
    forget();
    throw new ProviderError(`Cannot update the binding of ${where}; nothing was changed:${bullet(problems)}`);
  }

  // The state holds the old outputs: entries they cover are done with.
  ctx.journal?.settle(owner, sg, olds.instanceIds);
  // Instances given up that another attachment announced it takes wait for
  // the hand-over; the others are unbound now. No await between deciding and
  // queueing the unbinds: a taker that comes later queues its bind behind them.
  const toUnbind: string[] = [];
  for (const i of plan.toUnbind) {
    if (claims.startRelease(claimKey(ctx.scope ?? "", sg, i), id) === "hold") held.push(i);
    else toUnbind.push(i);
  }
  const toBind = [...plan.toBind, ...owned.bindAfter].sort();
  const intent = owner ? ctx.journal?.begin(owner, sg, [...toBind, ...owned.handOver]) : undefined;
  const [bound, unbound] = await Promise.all([
    ctx.scheduler.run("associate", sg, toBind, deadline),
    ctx.scheduler.run("disassociate", sg, toUnbind, deadline),
  ]);
  const attempts = new Map(bound.map((r) => [r.instanceId, r] as const));
  const candidates = bound.filter(mayHaveBound).map((r) => r.instanceId);
  // Handed over to this update at the rendezvous: its own from then on.
  const handedOver = new Set<string>();
  // On failure Pulumi keeps the old outputs: a binding this update added
  // would be in the cloud but in no state. Undo the binds (the unbinds are
  // safe: the old outputs still list those instances, so refresh sees them).
  const undoBinds = async (): Promise<UndoResult> => {
    forget();
    const undone = await undo(
      ctx,
      sg,
      candidates,
      (iid, now) =>
        handedOver.has(iid) ? holds(now, sg) : madeByOurRequest(sg, attempts.get(iid), views.get(iid), now),
      unjournalledReason(ctx, intent),
      handedOver,
    );
    if (undone.ok) ctx.journal?.end(intent);
    else ctx.journal?.keep(intent, undone.stay);
    return undone;
  };
  const bindFailed = bound.filter((r) => !r.ok);
  const unbindFailed = unbound.filter((r) => !r.ok);
  if (bindFailed.length > 0 || unbindFailed.length > 0) {
    const doneBind = bound.filter((r) => r.ok).map((r) => r.instanceId);
    const doneUnbind = unbound.filter((r) => r.ok).map((r) => r.instanceId);
    const undone = await undoBinds();
    throw new ProviderError(
      `The update of ${where} did not complete:` +
        bullet([
          ...describeFailures("associate", bindFailed).map((l) => `bind: ${l}`),
          ...describeFailures("disassociate", unbindFailed).map((l) => `unbind: ${l}`),
        ]) +
        `\nBinds undone: ${undone.text} Unbound so far: [${list(doneUnbind)}] (bound before: [${list(doneBind)}]). ` +
        `Run pulumi up again once the cause is fixed: completed steps are skipped.`,
    );
  }

  const final = await verifiedViews(ctx, [...bound, ...unbound], n.instanceIds, deadline, views);
  const obs = observe(sg, n.instanceIds, final);
  if (obs.bound.length !== n.instanceIds.length) {
    forget();
    const lost = [...obs.unbound, ...obs.missing].sort();
    ctx.journal?.complete(intent);
    throw new ProviderError(
      `The update of ${where} did not complete: after the operations finished, ${list(lost)} did not hold ${sg} ` +
        `(changed by something else meanwhile?). Run pulumi up again.`,
    );
  }

  // The hand-overs: both sides meet, or each ends safely on its own.
  const [gave, took] = await Promise.all([
    meet(ctx, sg, id, "releaser", held),
    meet(ctx, sg, id, "taker", owned.handOver),
  ]);
  // The releaser has dropped them from its state: should this update fail
  // now, they are undone with its binds, or no state would hold them.
  for (const i of took.handedOver) handedOver.add(i);
  candidates.push(...took.handedOver);
  const late = await bindLate(ctx, sg, took.withdrawn, deadline);
  for (const r of late.results) attempts.set(r.instanceId, r);
  candidates.push(...late.results.filter(mayHaveBound).map((r) => r.instanceId));
  const released = await ctx.scheduler.run("disassociate", sg, [...gave.withdrawn, ...gave.alone], deadline);
  const releaseFailed = released.filter((r) => !r.ok);
  if (took.alone.length > 0 || late.problems.length > 0 || releaseFailed.length > 0) {
    const undone = await undoBinds();
    const why = [
      ...(took.alone.length > 0 ? [handOverRefusal(sg, took.alone)] : []),
      ...late.problems,
      ...describeFailures("disassociate", releaseFailed).map((l) => `unbind: ${l}`),
    ];
    throw new ProviderError(
      `The update of ${where} did not complete:${bullet(why)}\nBinds undone: ${undone.text} ` +
        `Run pulumi up again once the cause is fixed: completed steps are skipped.`,
    );
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
    outs: {
      securityGroupId: sg,
      instanceIds: [...n.instanceIds],
      declaredInstanceIds: [...new Set(n.instanceIds)].sort(),
      region: n.region,
      adoptExisting: n.adoptExisting,
      priorities: obs.priorities,
      adoptedInstanceIds: [...adopted].sort(),
      ...(owner ? { owner } : {}),
    },
    plan,
  };
}

export async function deleteFlow(
  ctx: OpContext,
  props: AttachmentOutputs,
  id: string,
): Promise<{ unbound: string[] }> {
  const sg = props.securityGroupId;
  const where = `${sg} in ${props.region}`;
  // Bindings that this resource's own interrupted or failed operations left
  // (journal) are its own too: a delete that forgot them would leave them in
  // no state.
  const leftovers = ctx.journal ? [...ctx.journal.interrupted(props.owner, sg).instanceIds] : [];
  const targets = [...new Set([...props.instanceIds, ...leftovers])].sort();
  if (!sg || targets.length === 0) return { unbound: [] };
  const deadline = deadlineOf(ctx);
  const views = await ctx.scheduler.lookup(targets, deadline);
  // A binding another resource took in this deployment (adopted or handed
  // over) is that resource's now: it stays.
  const claims = claimsOf(ctx);
  const toUnbind = observe(sg, targets, views).bound.filter(
    (i) => !claims.claimedByOther(claimKey(ctx.scope ?? "", sg, i), id),
  );
  const res = await ctx.scheduler.run("disassociate", sg, toUnbind, deadline);
  const failed = res.filter((r) => !r.ok);
  if (failed.length > 0) {
    const done = res.filter((r) => r.ok).map((r) => r.instanceId);
    throw new ProviderError(
      `Cannot unbind ${where}:${bullet(describeFailures("disassociate", failed))}\n` +
        `Unbound so far: [${list(done)}]. The resource stays in the stack; run the command again once the cause is fixed.`,
    );
  }
  if (toUnbind.length > 0) {
    const final = await verifiedViews(ctx, res, toUnbind, deadline, null);
    const still = observe(sg, toUnbind, final).bound;
    if (still.length > 0) {
      throw new ProviderError(
        `Cannot unbind ${where}: ${list(still)} still hold ${sg} after the operations finished ` +
          `(bound again by something else?). The resource stays in the stack; run the command again.`,
      );
    }
  }
  claims.release(keysOf(ctx, sg, props.instanceIds), id);
  // Deleted: none of this resource's intents may take bindings back any more.
  ctx.journal?.forget(props.owner, sg);
  return { unbound: toUnbind };
}

/** The instances a refresh looks up: the declared set and the recorded one, sorted. */
export function readTargets(props: AttachmentOutputs): string[] {
  return [...new Set([...props.declaredInstanceIds, ...props.instanceIds])].sort();
}

export interface ReadResult {
  id?: string;
  props?: AttachmentOutputs;
  inputs?: Record<string, unknown>;
}

/** What a refresh reports, given what it observed of `readTargets(props)`; {} when nothing is bound. */
export function readOutcome(id: string, props: AttachmentOutputs, obs: Observation): ReadResult {
  const sg = props.securityGroupId;
  if (!sg || obs.bound.length === 0) return {};
  const bound = new Set(obs.bound);
  return {
    id,
    props: {
      securityGroupId: sg,
      // An instance of the declared set that an earlier refresh dropped and
      // that was bound again outside Pulumi is listed again here.
      instanceIds: [...obs.bound],
      // Kept as it is: only create and update (the program) change it.
      declaredInstanceIds: [...props.declaredInstanceIds],
      region: props.region,
      adoptExisting: props.adoptExisting,
      priorities: { ...obs.priorities },
      // Adopted stays a subset of what is bound. An instance of the declared
      // set found bound again is not counted as adopted (even if it was before
      // the drop): the program declared it, and the resource unbinds it on
      // delete like any instance it bound itself, as before the drop.
      adoptedInstanceIds: props.adoptedInstanceIds.filter((x) => bound.has(x)),
      ...(props.owner ? { owner: props.owner } : {}),
    },
    // The engine diffs a refresh's outputs against the stored inputs: give it
    // inputs that match what was observed, so that a second refresh reports
    // no change (the next `up` still diffs the program against the outputs'
    // instanceIds, so it binds again what the refresh dropped).
    inputs: {
      securityGroupId: sg,
      instanceIds: [...obs.bound],
      region: props.region,
      adoptExisting: props.adoptExisting,
      ...(props.owner ? { owner: props.owner } : {}),
    },
  };
}

export async function readFlow(ctx: OpContext, id: string, props: AttachmentOutputs): Promise<ReadResult> {
  const sg = props.securityGroupId;
  // The declared set as well as the recorded one, in one coalesced look-up.
  const targets = readTargets(props);
  if (!sg || targets.length === 0) return {};
  const views = await ctx.scheduler.lookup(targets, deadlineOf(ctx));
  // The state holds the resource: intents it covers are done with.
  ctx.journal?.settle(props.owner, sg, props.instanceIds);
  return readOutcome(id, props, observe(sg, targets, views));
}
