// Fault injection. Faults are evaluated in the order they were added, for API
// calls that passed authentication and rate limiting and before the action's
// own validation and logic:
//   - every matching "latency" fault adds its delay (they accumulate);
//   - the first matching error/transient/http/drop fault that "fires" decides the reply;
//   - an error or latency fault with `instanceIds` matches only calls naming at
//     least one of them (a CAM policy denying some instances, a quota that
//     only some of them hit); its default message names the first one;
//   - "operationFailure" faults are consumed when an Associate/Disassociate
//     or ModifyInstancesAttribute is accepted and make the async operation end FAILED.
// A fault without `count` and without `probability` fires on every matching
// call until removed. With `count`, it fires at most that many times and is
// then removed. With `probability`, each matching call fires with that chance.
// With `after` (error, http, drop), the first `after` matching calls pass
// untouched: a fault for the second DescribeInstances of a flow, say.

import { randomInt } from "node:crypto";
import { ApiFault, defaultMessage, instancesPhrase } from "./errors";
import { isAsyncAction } from "./model/operations";
import type { Fault, FaultInfo } from "./types";

export type FaultOutcome =
  | { kind: "error"; error: ApiFault; fault: string }
  | { kind: "http"; status: number; fault: string }
  | { kind: "drop"; afterCommit: boolean; fault: string };

export interface FaultDecision {
  latencyMs: number;
  outcome?: FaultOutcome;
}

/** Codes whose injected default message names the request's instances. */
const INSTANCE_SCOPED = new Set([
  "FailedOperation.SecurityGroupActionFailed",
  "InvalidInstanceId.Malformed",
  "InvalidInstanceId.NotFound",
  "InvalidParameterValue.InstanceIdMalformed",
  "LimitExceeded.AssociateUSGLimitExceeded",
  "MutexOperation.TaskRunning",
  "OperationDenied.InstanceOperationInProgress",
  "UnsupportedOperation",
  "UnsupportedOperation.InstanceStateIsolating",
  "UnsupportedOperation.InstanceStatePending",
]);

export class FaultValidationError extends Error {}

interface StoredFault {
  id: string;
  fault: Fault;
  remaining: number | null;
  /** Matching calls still to let through (`after`). */
  toPass: number;
}

function check(cond: unknown, message: string): asserts cond {
  if (!cond) throw new FaultValidationError(message);
}

function validateFault(f: unknown): Fault {
  check(f && typeof f === "object" && !Array.isArray(f), "fault must be an object");
  const o = f as Record<string, unknown>;
  const kinds = ["error", "transient", "http", "drop", "latency", "operationFailure"];
  check(
    typeof o.kind === "string" && kinds.includes(o.kind),
    `fault.kind must be one of ${kinds.join(", ")}`,
  );
  check(
    o.action === undefined || (typeof o.action === "string" && o.action !== ""),
    "fault.action must be a non-empty string",
  );
  check(
    o.count === undefined || (typeof o.count === "number" && Number.isInteger(o.count) && o.count >= 1),
    "fault.count must be an integer >= 1",
  );
  check(
    o.probability === undefined ||
      (typeof o.probability === "number" && o.probability >= 0 && o.probability <= 1),
    "fault.probability must be a number in [0, 1]",
  );
  check(o.message === undefined || typeof o.message === "string", "fault.message must be a string");
  check(
    o.instanceIds === undefined ||
      (Array.isArray(o.instanceIds) && o.instanceIds.every((x) => typeof x === "string")),
    "fault.instanceIds must be an array of strings",
  );
  check(
    o.instanceIds === undefined || ["error", "latency", "operationFailure"].includes(o.kind as string),
    "fault.instanceIds applies to error, latency and operationFailure faults",
  );
  check(
    o.after === undefined || (typeof o.after === "number" && Number.isInteger(o.after) && o.after >= 1),
    "fault.after must be an integer >= 1",
  );
  check(
    o.after === undefined || ["error", "http", "drop"].includes(o.kind as string),
    "fault.after applies to error, http and drop faults",
  );
  switch (o.kind) {
    case "error":
      check(
        typeof o.code === "string" && /^[A-Za-z][A-Za-z0-9.]*$/.test(o.code),
        "fault.code must be an error code",
      );
      break;
    case "transient":
      check(typeof o.probability === "number", "a transient fault needs a probability");
      break;
    case "http":
      check(
        typeof o.status === "number" && Number.isInteger(o.status) && o.status >= 300 && o.status <= 599,
        "fault.status must be an HTTP status in 300..599",
      );
      break;
    case "latency":
      check(typeof o.ms === "number" && o.ms >= 0 && o.ms <= 120_000, "fault.ms must be in 0..120000");
      break;
    case "drop":
      check(
        o.afterCommit === undefined || typeof o.afterCommit === "boolean",
        "fault.afterCommit must be a boolean",
      );
      break;
    case "operationFailure":
      check(
        o.action === undefined || isAsyncAction(o.action),
        "operationFailure applies to Associate/DisassociateSecurityGroups and ModifyInstancesAttribute",
      );
      break;
  }
  return JSON.parse(JSON.stringify(o)) as Fault;
}

export class FaultEngine {
  private faults: StoredFault[] = [];
  private nextId = 1;

  constructor(private readonly random: () => number = Math.random) {}

  add(f: unknown): string {
    const fault = validateFault(f);
    const id = `fault-${this.nextId++}`;
    const { count, after } = fault as { count?: number; after?: number };
    this.faults.push({ id, fault, remaining: count ?? null, toPass: after ?? 0 });
    return id;
  }

  remove(id: string): boolean {
    const before = this.faults.length;
    this.faults = this.faults.filter((f) => f.id !== id);
    return this.faults.length !== before;
  }

  clear(): void {
    this.faults = [];
  }

  list(): FaultInfo[] {
    return this.faults.map((f) => ({ ...f.fault, id: f.id, remaining: f.remaining }));
  }

  private consume(f: StoredFault): void {
    if (f.remaining === null) return;
    f.remaining -= 1;
    if (f.remaining <= 0) this.faults = this.faults.filter((x) => x !== f);
  }

  private fires(f: StoredFault): boolean {
    const p = (f.fault as { probability?: number }).probability;
    if (p !== undefined && !(this.random() < p)) return false;
    return true;
  }

  /** What the injected faults do to this call. */
  decide(action: string, instanceIds: string[] | undefined): FaultDecision {
    let latencyMs = 0;
    for (const f of [...this.faults]) {
      const fault = f.fault;
      if (fault.action !== undefined && fault.action !== action) continue;
      if (fault.kind === "operationFailure") continue;
      if (!namesAny(fault, instanceIds)) continue;
      if (fault.kind === "latency") {
        latencyMs += fault.ms;
        continue;
      }
      if (f.toPass > 0) {
        f.toPass -= 1;
        continue;
      }
      if (!this.fires(f)) continue;
      this.consume(f);
      return { latencyMs, outcome: this.outcomeOf(fault, action, instanceIds ?? []) };
    }
    return { latencyMs };
  }

  private outcomeOf(fault: Fault, action: string, instanceIds: string[]): FaultOutcome {
    switch (fault.kind) {
      case "error": {
        let message = fault.message;
        const hit = fault.instanceIds ? instanceIds.find((id) => fault.instanceIds!.includes(id)) : undefined;
        if (message === undefined && hit !== undefined) {
          // As CAM and quota errors do: the first resource concerned, not a list.
          message = `${defaultMessage(fault.code)} (resource: qcs::cvm:::instance/${hit})`;
        } else if (message === undefined) {
          message = defaultMessage(fault.code);
          if (INSTANCE_SCOPED.has(fault.code) && instanceIds.length)
            message = `${instancesPhrase(instanceIds)}: ${message}`;
        }
        return { kind: "error", error: new ApiFault(fault.code, message), fault: "error" };
      }
      case "http":
        return { kind: "http", status: fault.status, fault: "http" };
      case "drop":
        return { kind: "drop", afterCommit: fault.afterCommit === true, fault: "drop" };
      case "transient":
        return transientOutcome(action, instanceIds);
      default:
        throw new Error(`unexpected fault kind ${(fault as Fault).kind}`);
    }
  }

  /** Consumes the first matching operationFailure fault: instanceId -> error message. */
  operationFailures(action: string, instanceIds: string[]): Map<string, string> {
    const out = new Map<string, string>();
    for (const f of [...this.faults]) {
      const fault = f.fault;
      if (fault.kind !== "operationFailure") continue;
      if (fault.action !== undefined && fault.action !== action) continue;
      const targets = fault.instanceIds
        ? instanceIds.filter((id) => fault.instanceIds!.includes(id))
        : instanceIds;
      if (!targets.length) continue;
      this.consume(f);
      const message = fault.message ?? "security group operation failed (injected)";
      for (const id of targets) out.set(id, message);
      break;
    }
    return out;
  }
}

/** A fault without `instanceIds` matches every call; one with them, calls naming at least one. */
function namesAny(fault: Fault, instanceIds: string[] | undefined): boolean {
  const only = (fault as { instanceIds?: string[] }).instanceIds;
  if (only === undefined) return true;
  return (instanceIds ?? []).some((id) => only.includes(id));
}

function transientOutcome(action: string, instanceIds: string[]): FaultOutcome {
  const choices = isAsyncAction(action)
    ? ["limit", "busy", "mutex", "5xx", "drop"]
    : ["limit", "5xx", "drop"];
  const pick = choices[randomInt(choices.length)];
  const ids = instancesPhrase(instanceIds);
  switch (pick) {
    case "limit":
      return { kind: "error", error: new ApiFault("RequestLimitExceeded"), fault: "transient" };
    case "busy":
      return {
        kind: "error",
        error: new ApiFault(
          "OperationDenied.InstanceOperationInProgress",
          `${ids} have an operation in progress, try again later`,
        ),
        fault: "transient",
      };
    case "mutex":
      return {
        kind: "error",
        error: new ApiFault(
          "MutexOperation.TaskRunning",
          `an identical ${action} task is running for ${ids}`,
        ),
        fault: "transient",
      };
    case "5xx":
      return { kind: "http", status: [500, 502, 503, 504][randomInt(4)], fault: "transient" };
    default:
      return { kind: "drop", afterCommit: false, fault: "transient" };
  }
}
