// The emulator's mutable state and the operations the control plane offers.
// Owns the world, credentials, configuration, async operations, faults, rate
// limiter, call log and persistence. No HTTP here.

import * as fs from "node:fs";
import * as path from "node:path";
import { CallLog } from "./callLog";
import { applyConfigPatch, defaultConfig, RUNTIME_CONFIG_KEYS, sampleLatency } from "./config";
import { FaultEngine } from "./faults";
import type { BindingRules } from "./model/bindings";
import { applyOperation, OperationsEngine } from "./model/operations";
import { World, WorldError, type PersistedWorld } from "./model/world";
import { loadStateFile, Persister } from "./persistence";
import type { CredentialLookup, StoredCredential } from "./protocol/auth";
import { IdentityError, IdentityStore } from "./model/identity";
import { ActionRateLimiter } from "./rateLimiter";
import type {
  EmulatorOptions,
  Mutation,
  PendingOperationInfo,
  RuntimeConfig,
  Seed,
  WorldSnapshot,
} from "./types";

export function defaultSeedPath(): string {
  const candidates = [
    path.join(__dirname, "seeds", "demo.json"),
    path.join(__dirname, "..", "..", "emulator", "seeds", "demo.json"),
  ];
  return candidates.find((p) => fs.existsSync(p)) ?? candidates[0];
}

export function loadSeed(seed: Seed | string | undefined): Seed {
  if (seed === undefined) seed = defaultSeedPath();
  if (typeof seed === "string") {
    let text: string;
    try {
      text = fs.readFileSync(seed, "utf8");
    } catch (e) {
      throw new WorldError(`cannot read seed file ${seed}: ${(e as Error).message}`);
    }
    try {
      return JSON.parse(text) as Seed;
    } catch (e) {
      throw new WorldError(`seed file ${seed} is not valid JSON: ${(e as Error).message}`);
    }
  }
  return JSON.parse(JSON.stringify(seed)) as Seed;
}

function identityOf(seed: Seed): IdentityStore {
  return new IdentityStore(seed.credentials, seed.roles ?? []);
}

export class EmulatorCore implements CredentialLookup {
  world: World;
  config: RuntimeConfig;
  readonly ops: OperationsEngine;
  readonly faults = new FaultEngine();
  readonly rateLimiter: ActionRateLimiter;
  readonly calls = new CallLog();
  readonly log: (line: string) => void;
  /** See EmulatorOptions.clock. */
  readonly clock: () => number;
  identity: IdentityStore;
  private readonly startSeed: Seed;
  private readonly persister?: Persister;

  constructor(options: EmulatorOptions = {}) {
    this.log = options.log ?? (() => {});
    this.clock = options.clock ?? Date.now;
    this.config = applyConfigPatch(defaultConfig(), pickConfig(options), false);
    this.startSeed = loadSeed(options.seed);
    this.identity = guard(() => identityOf(this.startSeed));
    this.ops = new OperationsEngine(
      () => this.world,
      () => sampleLatency(this.config.operationLatencyMs),
      () => this.changed(),
    );
    this.rateLimiter = new ActionRateLimiter(() => this.config.rateLimits);

    let persisted: PersistedWorld | undefined;
    if (options.stateFile) {
      persisted = loadStateFile(options.stateFile);
      this.persister = new Persister(
        options.stateFile,
        () => this.world.toPersisted(this.ops.toPersisted()),
        this.log,
      );
    }
    if (persisted) {
      this.world = guard(() => World.fromPersisted(persisted!));
      // Operations that were in flight when the state was saved complete now.
      for (const op of persisted.pendingOperations ?? []) applyOperation(this.world, op);
      for (const r of this.world.regions.values()) {
        for (const i of r.instances.values()) {
          if (i.latestOperationState === "OPERATING") {
            i.latestOperationState = "FAILED";
            i.latestOperationErrorMsg = "the operation was lost when the emulator restarted";
          }
        }
      }
      if (persisted.pendingOperations?.length) {
        this.log(
          `state: completed ${persisted.pendingOperations.length} in-flight operation(s) from ${options.stateFile}`,
        );
      }
      this.changed();
    } else {
      this.world = guard(() => World.fromSeed(this.startSeed));
      this.changed();
    }
  }

  get rules(): BindingRules {
    return {
      associateAlreadyBound: this.config.associateAlreadyBound,
      disassociateNotBound: this.config.disassociateNotBound,
      disassociateLastGroup: this.config.disassociateLastGroup,
      maxSecurityGroupsPerInstance: this.config.maxSecurityGroupsPerInstance,
      maxInstancesPerSecurityGroup: this.config.maxInstancesPerSecurityGroup,
    };
  }

  /** CredentialLookup */
  get(secretId: string): StoredCredential | undefined {
    return this.identity.get(secretId);
  }

  changed(): void {
    this.persister?.schedule();
  }

  // ---- control-plane operations ----

  reset(seed?: Seed): void {
    const s = seed === undefined ? this.startSeed : loadSeed(seed);
    // Validate before touching anything.
    const { world, identity } = guard(() => ({ world: World.fromSeed(s), identity: identityOf(s) }));
    this.ops.clear();
    this.faults.clear();
    this.calls.reset();
    this.rateLimiter.reset();
    this.world = world;
    this.identity = identity;
    this.changed();
  }

  snapshot(): WorldSnapshot {
    return this.world.snapshot();
  }

  configure(patch: unknown): RuntimeConfig {
    this.config = applyConfigPatch(this.config, patch);
    return this.config;
  }

  mutate(m: Mutation): void {
    if (!m || typeof m !== "object") throw new WorldError("mutation must be an object");
    const persisted = guard(() => {
      switch (m.op) {
        case "deleteInstance":
          this.world.deleteInstance(m.region, m.id);
          return true;
        case "addInstance":
          this.world.addInstance(m.region, m.instance);
          return true;
        case "deleteSecurityGroup":
          this.world.deleteSecurityGroup(m.region, m.id);
          return true;
        case "addSecurityGroup":
          this.world.addSecurityGroup(m.region, m.id, m.name);
          return true;
        case "setInstanceState":
          this.world.setInstanceState(m.region, m.id, m.state);
          return true;
        case "addCredential": {
          this.identity.addPermanent({
            secretId: m.secretId,
            secretKey: m.secretKey,
            ...(m.token !== undefined ? { token: m.token } : {}),
            ...(m.accountId !== undefined ? { accountId: m.accountId } : {}),
          });
          return false; // credentials are not part of the persisted world
        }
        default:
          throw new WorldError(`unknown mutation op ${JSON.stringify((m as { op?: unknown }).op)}`);
      }
    });
    if (persisted) this.changed();
  }

  operations(): PendingOperationInfo[] {
    return this.ops.list();
  }

  idle(): { idle: boolean; operating: number; pendingOperations: number } {
    const operating = this.world.operatingCount();
    return { idle: this.ops.size() === 0 && operating === 0, operating, pendingOperations: this.ops.size() };
  }

  /** Stops timers and writes the final state. */
  shutdown(): void {
    this.ops.freeze();
    this.persister?.flush();
    this.ops.clear();
  }
}

/** Turns any error of malformed input (e.g. a TypeError on a null entry) into a WorldError. */
function guard<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof WorldError) throw e;
    if (e instanceof IdentityError) throw new WorldError(e.message);
    throw new WorldError(`invalid input: ${(e as Error).message}`);
  }
}

function pickConfig(o: EmulatorOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of RUNTIME_CONFIG_KEYS) {
    if (o[k] !== undefined) out[k] = o[k];
  }
  return out;
}
