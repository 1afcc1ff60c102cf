// Public data shapes of the emulator. Re-exported by emulator/index.ts; kept in
// their own module so that the model, the protocol layer and the control
// plane can share them without importing the library entry.

/** Initial world and credentials. See emulator/README.md ("Seed format"). */
export interface Seed {
  /** `accountId` (digits) is what GetCallerIdentity reports; default 100000000001. */
  credentials: { secretId: string; secretKey: string; token?: string; accountId?: string }[];
  /** CAM roles STS AssumeRole (and the CVM metadata service) can issue temporary keys for. */
  roles?: { arn: string; externalId?: string }[];
  regions: Record<
    string,
    {
      securityGroups: { id: string; name?: string }[];
      instances: { id: string; zone?: string; state?: string; securityGroupIds?: string[] }[];
    }
  >;
}

export type LatencySetting = number | { min: number; max: number };

export interface EmulatorOptions {
  /** Default "127.0.0.1". */
  host?: string;
  /** Default 0 = a free port. */
  port?: number;
  /** Seed object or path to a JSON seed file; default emulator/seeds/demo.json. */
  seed?: Seed | string;
  /** Optional JSON persistence of the world, written atomically; loaded on start if it exists. */
  stateFile?: string;
  /** How long an Associate/Disassociate stays OPERATING. Library default 100 ms. */
  operationLatencyMs?: LatencySetting;
  /** Requests/s per action per secretId; "*" = default for other actions. */
  rateLimits?: Record<string, number>;
  /** Associate of an SG the instance already holds. Default "error". */
  associateAlreadyBound?: "error" | "ignore";
  /** Disassociate of an SG the instance does not hold. Default "error". */
  disassociateNotBound?: "error" | "ignore";
  /**
   * Disassociate of an instance's only SG: "allow" (default) leaves it with
   * none; "error" refuses (FailedOperation.SecurityGroupActionFailed). The real
   * API's answer is unconfirmed (see README.md).
   */
  disassociateLastGroup?: "allow" | "error";
  /** Default 5. */
  maxSecurityGroupsPerInstance?: number;
  /** SG-side quota of bound instances (LimitExceeded.CvmsVifsPerSecGroupLimitExceeded). Default 2000. */
  maxInstancesPerSecurityGroup?: number;
  /**
   * Lifetime of every temporary key STS AssumeRole or the metadata service
   * issues, replacing the asked DurationSeconds. Default null (as asked; 7200 s
   * for the metadata service).
   */
  stsTokenLifetimeSeconds?: number | null;
  /** One line per API call and notable event. Default: silent in library mode. */
  log?: (line: string) => void;
  /**
   * The time (ms since the epoch) behaviour depends on: rate-limit windows,
   * signature timestamps, issuing and expiring temporary keys. Default
   * Date.now; tests pass a manual clock. Latencies (operations, faults) run on
   * real timers, and the call log and log lines keep real time.
   */
  clock?: () => number;
}

/** The part of the options that can be changed at run time (control plane /config). */
export type RuntimeConfigPatch = Partial<Pick<EmulatorOptions, keyof RuntimeConfig>>;

export interface RuntimeConfig {
  operationLatencyMs: LatencySetting;
  rateLimits: Record<string, number>;
  associateAlreadyBound: "error" | "ignore";
  disassociateNotBound: "error" | "ignore";
  disassociateLastGroup: "allow" | "error";
  maxSecurityGroupsPerInstance: number;
  maxInstancesPerSecurityGroup: number;
  stsTokenLifetimeSeconds: number | null;
}

export type OperationState = "OPERATING" | "SUCCESS" | "FAILED";

export interface InstanceSnapshot {
  id: string;
  zone: string;
  state: string;
  securityGroupIds: string[];
  latestOperation: string | null;
  latestOperationState: OperationState | null;
  latestOperationRequestId: string | null;
  latestOperationErrorMsg: string | null;
}

export interface SecurityGroupSnapshot {
  id: string;
  name: string;
}

export interface WorldSnapshot {
  regions: Record<string, { securityGroups: SecurityGroupSnapshot[]; instances: InstanceSnapshot[] }>;
}

export interface CallRecord {
  seq: number;
  /** ms since the epoch, when the request was received. */
  at: number;
  /** "" when the request named no action. */
  action: string;
  /** "" when the request named no region. */
  region: string;
  /** The secretId the request claimed ("" if none). Never the key or the token. */
  secretId: string;
  securityGroupIds?: string[];
  instanceIds?: string[];
  /** Business error code, or "HTTP_<status>" for an injected non-200 reply, or "DROPPED". */
  errorCode?: string;
  errorMessage?: string;
  requestId: string;
  /** 0 when the connection was dropped. */
  httpStatus: number;
  /** Kind of the injected fault that decided this call, if any. */
  fault?: string;
}

export interface ActionCounters {
  total: number;
  ok: number;
  errors: Record<string, number>;
}

export interface Counters {
  byAction: Record<string, ActionCounters>;
}

export type Fault =
  | {
      kind: "error";
      action?: string;
      code: string;
      message?: string;
      count?: number;
      probability?: number;
      /** Fires only for requests naming at least one of these instances (a CAM deny rule, a quota hit). */
      instanceIds?: string[];
      /** Lets the first `after` matching calls through untouched. */
      after?: number;
    }
  | { kind: "transient"; probability: number; action?: string }
  | { kind: "http"; status: number; action?: string; count?: number; probability?: number; after?: number }
  | {
      kind: "drop";
      action?: string;
      count?: number;
      probability?: number;
      afterCommit?: boolean;
      after?: number;
    }
  | { kind: "latency"; ms: number; action?: string; instanceIds?: string[] }
  | { kind: "operationFailure"; action?: string; instanceIds?: string[]; count?: number; message?: string };

export type FaultInfo = Fault & { id: string; remaining: number | null };

export type SeedInstance = { id: string; zone?: string; state?: string; securityGroupIds?: string[] };

export type Mutation =
  | { op: "deleteInstance"; region: string; id: string }
  | { op: "addInstance"; region: string; instance: SeedInstance }
  | { op: "deleteSecurityGroup"; region: string; id: string }
  | { op: "addSecurityGroup"; region: string; id: string; name?: string }
  | { op: "setInstanceState"; region: string; id: string; state: string }
  | { op: "addCredential"; secretId: string; secretKey: string; token?: string; accountId?: string };

/** What one ModifyInstancesAttribute sets on every instance it names. */
export type InstanceAttribute = { securityGroupIds: string[] } | { instanceName: string };

export interface PendingOperationInfo {
  id: string;
  action: string;
  region: string;
  /** The group of an Associate/Disassociate; "" for ModifyInstancesAttribute. */
  securityGroupId: string;
  /** ModifyInstancesAttribute only. */
  attribute?: InstanceAttribute;
  instanceIds: string[];
  requestId: string;
  startedAt: number;
  dueAt: number;
}
