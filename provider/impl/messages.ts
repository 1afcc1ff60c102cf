// The texts the flows show the user: each names the instances, the cause and
// what to do.

import { hintFor } from "./errors";
import { foreignBindingText } from "./ownership";
import { MAX_SGS_PER_INSTANCE } from "./limits";
import type { OverLimit } from "./plan";
import { ACTION_OF, type OpResult } from "./scheduler";

const DELETE_BEFORE_REPLACE_HINT =
  "If this attachment replaces another one (securityGroupId or region changed), set the resource option " +
  "`deleteBeforeReplace: true` so that the old group is unbound before the new one is bound.";

function list(ids: readonly string[]): string {
  return ids.join(", ");
}

function bullet(lines: string[]): string {
  return lines.map((l) => `\n - ${l}`).join("");
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
    // An ApiError's message already names its own RequestId, when it has one.
    const ridText = rids.length > 0 && !e.requestId ? ` (RequestId: ${rids.join(", ")})` : "";
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
          `the asynchronous ${ACTION_OF[kind]} ` +
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

// ---- refusals before anything changes (create and update) -----------------

export interface Refusals {
  /** Claimed by another attachment of this deployment. */
  contested: readonly string[];
  missing: readonly string[];
  /** Bound by someone else (the ownership rule refuses them). */
  foreign: readonly string[];
  overLimit: OverLimit[];
}

/** Why a create or an update binds nothing, one line per cause; `replaceHint` adds the deleteBeforeReplace advice. */
export function refusalLines(sg: string, region: string, r: Refusals, replaceHint: boolean): string[] {
  const problems: string[] = [];
  if (r.contested.length > 0) problems.push(contestedText(sg, r.contested));
  if (r.missing.length > 0) {
    problems.push(
      `instances not found in ${region}: ${list(r.missing)}. Remove them from instanceIds, or check the region.`,
    );
  }
  if (r.foreign.length > 0) problems.push(foreignBindingText(sg, r.foreign));
  if (r.overLimit.length > 0) {
    problems.push(
      `instances already hold the maximum of ${MAX_SGS_PER_INSTANCE} security groups: ${overLimitText(r.overLimit)}. ` +
        `Unbind a group from them first.${replaceHint ? ` ${DELETE_BEFORE_REPLACE_HINT}` : ""}`,
    );
  }
  return problems;
}

function contestedText(sg: string, ids: readonly string[]): string {
  return (
    `instances claimed by another SecurityGroupAttachment of ${sg} in this deployment: ${list(ids)}. ` +
    `A binding can have only one owner: remove them from one of the two resources.`
  );
}

export function handOverRefusal(sg: string, ids: readonly string[]): string {
  return (
    `instances ${list(ids)} hold ${sg} for another attachment of this deployment that gives them up, ` +
    `but its update failed or did not run while this one waited (with --parallel 1, or when one attachment ` +
    `depends on the other, the two cannot meet). They stay with that attachment. Remove them from it ` +
    `first (one pulumi up), then add them here (the next one).`
  );
}

// ---- create -----------------------------------------------------------------

export function cannotBind(where: string, lines: string[]): string {
  return `Cannot bind ${where}:${bullet(lines)}`;
}

export function createRefused(where: string, problems: string[]): string {
  return `Cannot bind ${where}; nothing was changed:${bullet(problems)}`;
}

export function takenMeanwhileRefusal(where: string, sg: string, ids: readonly string[]): string {
  return (
    `Cannot bind ${where}: ${list(ids)} were bound to ${sg} by another request ` +
    `(another stack or client) while this create ran; a binding has one owner. Set adoptExisting: true ` +
    `on this resource to take these bindings over, or remove the instances from instanceIds.`
  );
}

export function createLost(where: string, sg: string, lost: readonly string[]): string {
  return (
    `Cannot bind ${where}: after the operations finished, ${list(lost)} did not hold ${sg} ` +
    `(changed by something else meanwhile?).`
  );
}

/** A bind behind a withdrawn releaser could not be verified. */
export function lateCheckFailed(ids: readonly string[], cause: string): string {
  return `could not check ${list(ids)} after binding them late: ${cause}`;
}

export function lateLost(sg: string, lost: readonly string[]): string {
  return `${list(lost)} did not hold ${sg} after the operations finished (changed by something else meanwhile?)`;
}

// ---- update -----------------------------------------------------------------

export function cannotChangeInPlace(field: "securityGroupId" | "region", from: string, to: string): string {
  return `${field} cannot change in place (${from} → ${to}); the resource must be replaced.`;
}

export function updateRefused(where: string, problems: string[]): string {
  return `Cannot update the binding of ${where}; nothing was changed:${bullet(problems)}`;
}

/** What the stack's state records for the resource after a failed update, and what finishes it. */
function keptInState(holds: readonly string[]): string {
  return (
    `Kept in the stack's state: this resource holds [${list(holds)}]; ` +
    `the next pulumi up finishes the update once the cause is fixed (completed steps are skipped).`
  );
}

/** Binds or unbinds failed; what was bound has been undone (`undoText`). */
export function updateFailed(
  where: string,
  bindFailed: OpResult[],
  unbindFailed: OpResult[],
  undoText: string,
  doneUnbind: readonly string[],
  doneBind: readonly string[],
  holds: readonly string[],
): string {
  return (
    `The update of ${where} did not complete:` +
    bullet([
      ...describeFailures("associate", bindFailed).map((l) => `bind: ${l}`),
      ...describeFailures("disassociate", unbindFailed).map((l) => `unbind: ${l}`),
    ]) +
    `\nBinds undone: ${undoText} Unbound so far: [${list(doneUnbind)}] (bound before: [${list(doneBind)}]). ` +
    keptInState(holds)
  );
}

export function updateLost(
  where: string,
  sg: string,
  lost: readonly string[],
  holds: readonly string[],
): string {
  return (
    `The update of ${where} did not complete: after the operations finished, ${list(lost)} did not hold ${sg} ` +
    `(changed by something else meanwhile?). ${keptInState(holds)}`
  );
}

/** A hand-over or the releaser's unbind failed; what was bound has been undone. */
export function updateHandOverFailed(
  where: string,
  why: string[],
  undoText: string,
  holds: readonly string[],
): string {
  return (
    `The update of ${where} did not complete:${bullet(why)}\nBinds undone: ${undoText} ` + keptInState(holds)
  );
}

// ---- delete -----------------------------------------------------------------

export function unbindFailed(where: string, failed: OpResult[], done: readonly string[]): string {
  return (
    `Cannot unbind ${where}:${bullet(describeFailures("disassociate", failed))}\n` +
    `Unbound so far: [${list(done)}]. The resource stays in the stack; run the command again once the cause is fixed.`
  );
}

export function stillBound(where: string, sg: string, still: readonly string[]): string {
  return (
    `Cannot unbind ${where}: ${list(still)} still hold ${sg} after the operations finished ` +
    `(bound again by something else?). The resource stays in the stack; run the command again.`
  );
}

// ---- undo -----------------------------------------------------------------

export const NOTHING_BOUND = "Nothing had been bound; the instances are as they were.";

export function unboundAgain(ids: string[], sg: string, handedOver: ReadonlySet<string>): string {
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

/** Where bindings a failed operation leaves are recorded, and what finishes them. */
const KEPT_IN_STATE =
  "They are this resource's own, kept in the stack's state: the next pulumi up finishes it (from any machine), " +
  "pulumi destroy unbinds them.";

export function undoImpossible(sg: string, stay: readonly string[], cause: string): string {
  return (
    `UNDO IMPOSSIBLE: could not look up ${list(stay)} (${cause}); requests to bind them to ${sg} ` +
    `were accepted, so they may hold it. ${KEPT_IN_STATE}`
  );
}

export function undoFailed(
  sg: string,
  stay: readonly string[],
  failed: OpResult[],
  unbound: readonly string[],
): string {
  return (
    `UNDO FAILED: these bindings stay: ${list(stay)} hold ${sg}:` +
    bullet(describeFailures("disassociate", failed)) +
    (unbound.length > 0 ? `\nUnbound again: ${list(unbound)}.` : "") +
    `\n${KEPT_IN_STATE}`
  );
}

const IMPORT_ID_FORMAT =
  "<securityGroupId>@<region>:<instanceId>,<instanceId>... (e.g. sg-web00001@ap-guangzhou:ins-demo0001,ins-demo0002)";

export function badImportId(id: string, problems: readonly string[]): string {
  return `Cannot import ${JSON.stringify(id)}: the id must be ${IMPORT_ID_FORMAT}.${bullet([...problems])}`;
}

export function importRefused(sg: string, region: string, unbound: string[], missing: string[]): string {
  const lines = [
    ...(unbound.length > 0
      ? [`${list(unbound)}: ${unbound.length === 1 ? "does" : "do"} not hold ${sg}.`]
      : []),
    ...(missing.length > 0 ? [`${list(missing)}: not found in ${region}.`] : []),
  ];
  return (
    `Cannot import ${sg} in ${region}: an import takes over existing bindings only; nothing was changed.` +
    `${bullet(lines)}\nRemove these instances from the id, or bind them first.`
  );
}
