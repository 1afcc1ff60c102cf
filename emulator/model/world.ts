// The cloud's state: regions, each with its security groups and instances.
// Pure data + rules; knows nothing of HTTP, signatures or timers.

import { createHash } from "node:crypto";
import type {
  InstanceAttribute,
  InstanceSnapshot,
  OperationState,
  Seed,
  SeedInstance,
  SecurityGroupSnapshot,
  WorldSnapshot,
} from "../types";
import { isInstanceId, isSecurityGroupId, REGION_RE } from "./ids";

/** CVM instance states (InstanceStatus table) plus ISOLATING, which the emulator also models. */
const INSTANCE_STATES = [
  "PENDING",
  "LAUNCH_FAILED",
  "RUNNING",
  "STOPPED",
  "STARTING",
  "STOPPING",
  "REBOOTING",
  "SHUTDOWN",
  "TERMINATING",
  "ISOLATING",
] as const;

/** States in which Associate fails with UnsupportedOperation.InstanceStatePending. */
export const PENDING_LIKE_STATES: readonly string[] = ["PENDING", "LAUNCH_FAILED"];
/** States in which Associate fails with UnsupportedOperation.InstanceStateIsolating. */
export const ISOLATING_LIKE_STATES: readonly string[] = ["ISOLATING", "SHUTDOWN", "TERMINATING"];

const SEED_CREATED_TIME = "2024-05-01T08:00:00Z";

export interface InstanceData {
  id: string;
  name: string;
  zone: string;
  state: string;
  securityGroupIds: string[];
  createdTime: string;
  latestOperation: string | null;
  latestOperationState: OperationState | null;
  latestOperationRequestId: string | null;
  latestOperationErrorMsg: string | null;
}

export interface SecurityGroupData {
  id: string;
  name: string;
  createdTime: string;
}

export class RegionData {
  readonly instances = new Map<string, InstanceData>();
  readonly securityGroups = new Map<string, SecurityGroupData>();
  constructor(readonly name: string) {}

  /** Instances (in region order) that currently hold `sgId`. */
  instancesHolding(sgId: string): InstanceData[] {
    return [...this.instances.values()].filter((i) => i.securityGroupIds.includes(sgId));
  }
}

/** Thrown for a seed, persisted file or mutation that does not describe a valid world. */
export class WorldError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WorldError";
  }
}

/** The JSON written to a state file (no credentials). */
export interface PersistedWorld {
  format: "tencentcloud-cvm-emulator/world@1";
  savedAt: string;
  regions: Record<string, { securityGroups: SecurityGroupData[]; instances: InstanceData[] }>;
  pendingOperations: PersistedOperation[];
}

export interface PersistedOperation {
  action: string;
  region: string;
  securityGroupId: string;
  /** ModifyInstancesAttribute only. */
  attribute?: InstanceAttribute;
  instanceIds: string[];
  requestId: string;
  /** instanceId -> LatestOperationErrorMsg for the instances that will end FAILED. */
  failures: Record<string, string>;
}

export class World {
  readonly regions = new Map<string, RegionData>();

  region(name: string): RegionData | undefined {
    return this.regions.get(name);
  }

  /** Builds a world from a seed; throws WorldError on anything inconsistent. */
  static fromSeed(seed: Seed): World {
    if (!seed || typeof seed !== "object") throw new WorldError("seed must be an object");
    if (!seed.regions || typeof seed.regions !== "object" || Array.isArray(seed.regions)) {
      throw new WorldError("seed.regions must be an object keyed by region name");
    }
    const world = new World();
    for (const [regionName, r] of Object.entries(seed.regions)) {
      world.addRegion(regionName);
      if (!r || typeof r !== "object") throw new WorldError(`seed region ${regionName} must be an object`);
      const sgs = r.securityGroups ?? [];
      const instances = r.instances ?? [];
      if (!Array.isArray(sgs))
        throw new WorldError(`seed region ${regionName}: securityGroups must be an array`);
      if (!Array.isArray(instances))
        throw new WorldError(`seed region ${regionName}: instances must be an array`);
      for (const sg of sgs) world.addSecurityGroup(regionName, sg.id, sg.name, SEED_CREATED_TIME);
      for (const inst of instances) world.addInstance(regionName, inst, SEED_CREATED_TIME);
    }
    return world;
  }

  static fromPersisted(p: PersistedWorld): World {
    if (!p || p.format !== "tencentcloud-cvm-emulator/world@1" || typeof p.regions !== "object") {
      throw new WorldError("not an emulator state file (format tencentcloud-cvm-emulator/world@1)");
    }
    const world = new World();
    for (const [regionName, r] of Object.entries(p.regions)) {
      world.addRegion(regionName);
      for (const sg of r.securityGroups) world.addSecurityGroup(regionName, sg.id, sg.name, sg.createdTime);
      for (const inst of r.instances) {
        world.addInstance(regionName, inst, inst.createdTime);
        const stored = world.regions.get(regionName)!.instances.get(inst.id)!;
        stored.name = inst.name;
        stored.latestOperation = inst.latestOperation ?? null;
        stored.latestOperationState = inst.latestOperationState ?? null;
        stored.latestOperationRequestId = inst.latestOperationRequestId ?? null;
        stored.latestOperationErrorMsg = inst.latestOperationErrorMsg ?? null;
      }
    }
    return world;
  }

  toPersisted(pendingOperations: PersistedOperation[]): PersistedWorld {
    const regions: PersistedWorld["regions"] = {};
    for (const [name, r] of this.regions) {
      regions[name] = {
        securityGroups: [...r.securityGroups.values()].map((sg) => ({ ...sg })),
        instances: [...r.instances.values()].map((i) => ({
          ...i,
          securityGroupIds: [...i.securityGroupIds],
        })),
      };
    }
    return {
      format: "tencentcloud-cvm-emulator/world@1",
      savedAt: new Date().toISOString(),
      regions,
      pendingOperations,
    };
  }

  snapshot(): WorldSnapshot {
    const regions: WorldSnapshot["regions"] = {};
    for (const [name, r] of this.regions) {
      regions[name] = {
        securityGroups: [...r.securityGroups.values()].map((sg): SecurityGroupSnapshot => ({
          id: sg.id,
          name: sg.name,
        })),
        instances: [...r.instances.values()].map((i): InstanceSnapshot => ({
          id: i.id,
          zone: i.zone,
          state: i.state,
          securityGroupIds: [...i.securityGroupIds],
          latestOperation: i.latestOperation,
          latestOperationState: i.latestOperationState,
          latestOperationRequestId: i.latestOperationRequestId,
          latestOperationErrorMsg: i.latestOperationErrorMsg,
        })),
      };
    }
    return { regions };
  }

  /** instanceId -> ordered SG ids, for one region or all. */
  bindings(region?: string): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const [name, r] of this.regions) {
      if (region !== undefined && name !== region) continue;
      for (const i of r.instances.values()) out[i.id] = [...i.securityGroupIds];
    }
    return out;
  }

  // ---- mutations (used by seeds and by the control plane) ----

  addRegion(name: string): RegionData {
    if (typeof name !== "string" || !REGION_RE.test(name))
      throw new WorldError(`invalid region name ${JSON.stringify(name)}`);
    let r = this.regions.get(name);
    if (!r) {
      r = new RegionData(name);
      this.regions.set(name, r);
    }
    return r;
  }

  private requireRegion(name: string): RegionData {
    const r = this.regions.get(name);
    if (!r) throw new WorldError(`unknown region ${JSON.stringify(name)}`);
    return r;
  }

  addSecurityGroup(region: string, id: string, name?: string, createdTime?: string): SecurityGroupData {
    const r = this.requireRegion(region);
    if (typeof id !== "string" || !isSecurityGroupId(id)) {
      throw new WorldError(
        `invalid security group id ${JSON.stringify(id)} (expected sg- + 8 lowercase letters/digits)`,
      );
    }
    if (this.findSecurityGroupAnywhere(id)) throw new WorldError(`security group ${id} already exists`);
    if (name !== undefined && typeof name !== "string")
      throw new WorldError(`security group ${id}: name must be a string`);
    const sg: SecurityGroupData = { id, name: name ?? id, createdTime: createdTime ?? nowTime() };
    r.securityGroups.set(id, sg);
    return sg;
  }

  addInstance(region: string, inst: SeedInstance & { name?: string }, createdTime?: string): InstanceData {
    const r = this.requireRegion(region);
    if (!inst || typeof inst !== "object") throw new WorldError("instance must be an object");
    const { id } = inst;
    if (typeof id !== "string" || !isInstanceId(id)) {
      throw new WorldError(
        `invalid instance id ${JSON.stringify(id)} (expected ins- + 8 lowercase letters/digits)`,
      );
    }
    if (this.findInstanceAnywhere(id)) throw new WorldError(`instance ${id} already exists`);
    const state = inst.state ?? "RUNNING";
    assertState(state);
    const zone = inst.zone ?? `${region}-1`;
    if (typeof zone !== "string" || !zone.startsWith(region + "-")) {
      throw new WorldError(`instance ${id}: zone ${JSON.stringify(zone)} is not in region ${region}`);
    }
    const sgIds = inst.securityGroupIds ?? [];
    if (!Array.isArray(sgIds)) throw new WorldError(`instance ${id}: securityGroupIds must be an array`);
    const seen = new Set<string>();
    for (const sg of sgIds) {
      if (!r.securityGroups.has(sg))
        throw new WorldError(`instance ${id}: security group ${sg} not in region ${region}`);
      if (seen.has(sg)) throw new WorldError(`instance ${id}: security group ${sg} listed twice`);
      seen.add(sg);
    }
    const data: InstanceData = {
      id,
      name: typeof inst.name === "string" ? inst.name : `emulated-${id.slice(4)}`,
      zone,
      state,
      securityGroupIds: [...sgIds],
      createdTime: createdTime ?? nowTime(),
      latestOperation: null,
      latestOperationState: null,
      latestOperationRequestId: null,
      latestOperationErrorMsg: null,
    };
    r.instances.set(id, data);
    return data;
  }

  deleteInstance(region: string, id: string): void {
    const r = this.requireRegion(region);
    if (!r.instances.delete(id)) throw new WorldError(`instance ${id} not found in ${region}`);
  }

  /** Out-of-band deletion: the SG also disappears from every instance that held it. */
  deleteSecurityGroup(region: string, id: string): void {
    const r = this.requireRegion(region);
    if (!r.securityGroups.delete(id)) throw new WorldError(`security group ${id} not found in ${region}`);
    for (const i of r.instances.values()) i.securityGroupIds = i.securityGroupIds.filter((s) => s !== id);
  }

  setInstanceState(region: string, id: string, state: string): void {
    const r = this.requireRegion(region);
    const i = r.instances.get(id);
    if (!i) throw new WorldError(`instance ${id} not found in ${region}`);
    assertState(state);
    i.state = state;
  }

  private findInstanceAnywhere(id: string): InstanceData | undefined {
    for (const r of this.regions.values()) {
      const i = r.instances.get(id);
      if (i) return i;
    }
    return undefined;
  }

  private findSecurityGroupAnywhere(id: string): SecurityGroupData | undefined {
    for (const r of this.regions.values()) {
      const sg = r.securityGroups.get(id);
      if (sg) return sg;
    }
    return undefined;
  }

  /** Number of instances that are OPERATING, across regions. */
  operatingCount(): number {
    let n = 0;
    for (const r of this.regions.values()) {
      for (const i of r.instances.values()) if (i.latestOperationState === "OPERATING") n++;
    }
    return n;
  }
}

function assertState(state: unknown): asserts state is string {
  if (typeof state !== "string" || !(INSTANCE_STATES as readonly string[]).includes(state)) {
    throw new WorldError(
      `invalid instance state ${JSON.stringify(state)} (one of ${INSTANCE_STATES.join(", ")})`,
    );
  }
}

function nowTime(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Deterministic pseudo-random hex derived from a string (for uuids, IPs, ...). */
export function digest(s: string): string {
  return createHash("sha256").update(s).digest("hex");
}
