// Asynchronous operations (Associate/Disassociate, ModifyInstancesAttribute). A
// submitted operation marks its instances OPERATING at once and applies (or
// fails) after a latency. Timers are unref'd so they never keep a process alive.

import type { InstanceAttribute, PendingOperationInfo } from "../types";
import type { PersistedOperation, World } from "./world";
import { securityGroupsPhrase } from "../errors";

export const BINDING_ACTIONS = ["AssociateSecurityGroups", "DisassociateSecurityGroups"] as const;
export type BindingAction = (typeof BINDING_ACTIONS)[number];

export const MODIFY_ACTION = "ModifyInstancesAttribute";
/** The actions that run as asynchronous operations (LatestOperation*). */
type AsyncAction = BindingAction | typeof MODIFY_ACTION;

export function isAsyncAction(action: unknown): action is AsyncAction {
  return action === MODIFY_ACTION || (BINDING_ACTIONS as readonly unknown[]).includes(action);
}

export interface OperationRequest {
  action: AsyncAction;
  region: string;
  /** The group of an Associate/Disassociate; "" for ModifyInstancesAttribute. */
  securityGroupId: string;
  /** ModifyInstancesAttribute only: what it sets on every instance. */
  attribute?: InstanceAttribute;
  instanceIds: string[];
  requestId: string;
  /** instanceId -> LatestOperationErrorMsg for the instances that will end FAILED. */
  failures: Map<string, string>;
}

interface PendingOperation extends OperationRequest {
  id: string;
  startedAt: number;
  dueAt: number;
  timer: NodeJS.Timeout | null;
}

export class OperationsEngine {
  private readonly pending = new Map<string, PendingOperation>();
  private nextId = 1;

  constructor(
    private readonly world: () => World,
    private readonly latencyMs: () => number,
    private readonly onChange: () => void,
  ) {}

  /** Marks the instances OPERATING and schedules completion. */
  submit(req: OperationRequest): string {
    const region = this.world().region(req.region);
    if (!region) throw new Error(`unknown region ${req.region}`);
    for (const id of req.instanceIds) {
      const inst = region.instances.get(id);
      if (!inst) continue;
      inst.latestOperation = req.action;
      inst.latestOperationState = "OPERATING";
      inst.latestOperationRequestId = req.requestId;
      inst.latestOperationErrorMsg = null;
    }
    const id = `op-${this.nextId++}`;
    const delay = Math.max(0, this.latencyMs());
    const now = Date.now();
    const op: PendingOperation = { ...req, id, startedAt: now, dueAt: now + delay, timer: null };
    op.timer = setTimeout(() => this.complete(id), delay);
    op.timer.unref();
    this.pending.set(id, op);
    this.onChange();
    return id;
  }

  /** Applies the operation now (SUCCESS, or FAILED for instances with a failure). */
  complete(id: string): void {
    const op = this.pending.get(id);
    if (!op) return;
    this.pending.delete(id);
    if (op.timer) clearTimeout(op.timer);
    applyOperation(this.world(), op);
    this.onChange();
  }

  completeAll(): number {
    const ids = [...this.pending.keys()];
    for (const id of ids) this.complete(id);
    return ids.length;
  }

  /** Cancels every pending operation without applying it (reset / stop). */
  clear(): void {
    for (const op of this.pending.values()) if (op.timer) clearTimeout(op.timer);
    this.pending.clear();
  }

  /** Stops the timers but keeps the pending list (for a final persistence flush). */
  freeze(): void {
    for (const op of this.pending.values()) {
      if (op.timer) clearTimeout(op.timer);
      op.timer = null;
    }
  }

  /** A pending operation with the same action, region, SG (or attribute) and instance set. */
  findIdentical(
    action: string,
    region: string,
    sgId: string,
    instanceIds: string[],
    attribute?: InstanceAttribute,
  ): PendingOperationInfo | undefined {
    const wanted = [...new Set(instanceIds)].sort().join(",");
    const wantedAttribute = JSON.stringify(attribute ?? null);
    for (const op of this.pending.values()) {
      if (op.action !== action || op.region !== region || op.securityGroupId !== sgId) continue;
      if (JSON.stringify(op.attribute ?? null) !== wantedAttribute) continue;
      if ([...op.instanceIds].sort().join(",") === wanted) return info(op);
    }
    return undefined;
  }

  /**
   * Instances of `region` touched by a pending operation of `sgId` and
   * `action`; for Associate, also those of a pending ModifyInstancesAttribute
   * whose list holds `sgId` (the per-SG quota counts them all).
   */
  pendingCount(region: string, sgId: string, action: BindingAction): number {
    let n = 0;
    for (const op of this.pending.values()) {
      if (op.region !== region) continue;
      const adds =
        action === "AssociateSecurityGroups" &&
        op.attribute !== undefined &&
        "securityGroupIds" in op.attribute &&
        op.attribute.securityGroupIds.includes(sgId);
      if ((op.securityGroupId === sgId && op.action === action) || adds) n += op.instanceIds.length;
    }
    return n;
  }

  size(): number {
    return this.pending.size;
  }

  list(): PendingOperationInfo[] {
    return [...this.pending.values()].map(info);
  }

  toPersisted(): PersistedOperation[] {
    return [...this.pending.values()].map((op) => ({
      action: op.action,
      region: op.region,
      securityGroupId: op.securityGroupId,
      ...(op.attribute ? { attribute: op.attribute } : {}),
      instanceIds: [...op.instanceIds],
      requestId: op.requestId,
      failures: Object.fromEntries(op.failures),
    }));
  }
}

function info(op: PendingOperation): PendingOperationInfo {
  return {
    id: op.id,
    action: op.action,
    region: op.region,
    securityGroupId: op.securityGroupId,
    ...(op.attribute ? { attribute: op.attribute } : {}),
    instanceIds: [...op.instanceIds],
    requestId: op.requestId,
    startedAt: op.startedAt,
    dueAt: op.dueAt,
  };
}

/**
 * Applies an operation to the world: associate appends the SG (lowest
 * priority), disassociate removes it keeping the others' order,
 * ModifyInstancesAttribute replaces the whole list (in the order given) or the
 * name. Instances that vanished meanwhile are skipped; instances whose latest
 * operation is no longer this one are left alone. A group deleted meanwhile
 * makes an associate or a list replacement end FAILED.
 */
export function applyOperation(world: World, op: OperationRequest | PersistedOperation): void {
  const region = world.region(op.region);
  if (!region) return;
  const failures: Map<string, string> =
    op.failures instanceof Map ? op.failures : new Map(Object.entries(op.failures ?? {}));
  for (const id of op.instanceIds) {
    const inst = region.instances.get(id);
    if (!inst || inst.latestOperationRequestId !== op.requestId) continue;
    const failure = failures.get(id);
    if (failure !== undefined) {
      inst.latestOperationState = "FAILED";
      inst.latestOperationErrorMsg = failure;
      continue;
    }
    const wanted =
      op.action === "AssociateSecurityGroups"
        ? [op.securityGroupId]
        : op.attribute && "securityGroupIds" in op.attribute
          ? op.attribute.securityGroupIds
          : [];
    const gone = wanted.filter((sg) => !region.securityGroups.has(sg));
    if (gone.length) {
      inst.latestOperationState = "FAILED";
      inst.latestOperationErrorMsg = `${securityGroupsPhrase(gone)} no longer exist`;
      continue;
    }
    if (op.action === "AssociateSecurityGroups") {
      if (!inst.securityGroupIds.includes(op.securityGroupId)) inst.securityGroupIds.push(op.securityGroupId);
    } else if (op.attribute && "securityGroupIds" in op.attribute) {
      inst.securityGroupIds = [...op.attribute.securityGroupIds];
    } else if (op.attribute) {
      inst.name = op.attribute.instanceName;
    } else {
      inst.securityGroupIds = inst.securityGroupIds.filter((s) => s !== op.securityGroupId);
    }
    inst.latestOperationState = "SUCCESS";
    inst.latestOperationErrorMsg = null;
  }
}
