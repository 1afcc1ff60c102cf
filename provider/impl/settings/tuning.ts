// The provider's tuning knobs: defaults, allowed ranges, and reading them from
// config `tencentcloud-sg-attachment:<key>`, else env SGATTACH_<KEY>, else the default.

import { ConfigSource, Env, fromConfig, fromEnv, PROVIDER_NAMESPACE, SettingsError } from "./sources";

export interface Tuning {
  /** Overall deadline of one create/update/delete/read, including waits. */
  operationTimeoutMs: number;
  /** Client-side request budget per rolling second, per action. */
  associateRps: number;
  disassociateRps: number;
  describeRps: number;
  /** How often the completion of asynchronous operations is polled. */
  pollIntervalMs: number;
  /** How long a request waits for others of the same kind to join it. */
  gatherWindowMs: number;
  /** The longest a request waits for others to join it while they keep coming. */
  gatherMaxMs: number;
  /** Exponential backoff with full jitter: base and cap. */
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  /** Attempts for transient failures (network, 5xx, InternalError) of one request. */
  maxTransientAttempts: number;
  /** Timeout of one HTTP request. */
  requestTimeoutMs: number;
  /** Instances per Associate/Disassociate/DescribeInstances request (1..100). */
  maxBatchSize: number;
  /**
   * An accepted operation whose RequestId never shows up on the instance while
   * the instance is idle and not in the wanted state is re-sent after this long.
   */
  lostOperationGraceMs: number;
  /** During long work, at most one progress line per group this often (`sg-…: 240/1000 bound`). */
  progressIntervalMs: number;
}

export const DEFAULT_TUNING: Tuning = {
  operationTimeoutMs: 10 * 60 * 1000,
  associateRps: 10,
  disassociateRps: 10,
  describeRps: 20,
  pollIntervalMs: 250,
  gatherWindowMs: 100,
  gatherMaxMs: 4000,
  retryBaseDelayMs: 250,
  retryMaxDelayMs: 10_000,
  maxTransientAttempts: 5,
  requestTimeoutMs: 30_000,
  maxBatchSize: 100,
  lostOperationGraceMs: 5_000,
  progressIntervalMs: 5_000,
};

interface Range {
  min: number;
  max: number;
  integer: boolean;
}

const whole = (min: number, max: number): Range => ({ min, max, integer: true });
const REQUESTS_PER_SECOND: Range = { min: 0.1, max: 1000, integer: false };

const RANGES: Record<keyof Tuning, Range> = {
  operationTimeoutMs: whole(1, 24 * 3600 * 1000),
  associateRps: REQUESTS_PER_SECOND,
  disassociateRps: REQUESTS_PER_SECOND,
  describeRps: REQUESTS_PER_SECOND,
  pollIntervalMs: whole(1, 60_000),
  gatherWindowMs: whole(0, 5_000),
  gatherMaxMs: whole(0, 30_000),
  retryBaseDelayMs: whole(0, 60_000),
  retryMaxDelayMs: whole(0, 600_000),
  maxTransientAttempts: whole(1, 100),
  requestTimeoutMs: whole(100, 600_000),
  maxBatchSize: whole(1, 100),
  lostOperationGraceMs: whole(0, 3_600_000),
  progressIntervalMs: whole(100, 3_600_000),
};

/** `operationTimeoutMs` → `SGATTACH_OPERATION_TIMEOUT_MS`. */
export function tuningEnvName(key: keyof Tuning): string {
  return "SGATTACH_" + key.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();
}

export function tuningConfigKey(key: keyof Tuning): string {
  return `${PROVIDER_NAMESPACE}:${key}`;
}

/** The defaults with every set knob applied; throws SettingsError naming the knob when out of range. */
export function readTuning(config: ConfigSource, env: Env): Tuning {
  const tuning: Tuning = { ...DEFAULT_TUNING };
  for (const key of Object.keys(RANGES) as (keyof Tuning)[]) {
    const found = fromConfig(config, tuningConfigKey(key)) ?? fromEnv(env, tuningEnvName(key));
    if (found === undefined) continue;
    const n = Number(found.value);
    const range = RANGES[key];
    if (!Number.isFinite(n) || n < range.min || n > range.max || (range.integer && !Number.isInteger(n))) {
      throw new SettingsError(
        `${found.name} must be ${range.integer ? "an integer" : "a number"} between ${range.min} and ${range.max}, got "${found.value}".`,
      );
    }
    tuning[key] = n;
  }
  if (tuning.retryMaxDelayMs < tuning.retryBaseDelayMs) tuning.retryMaxDelayMs = tuning.retryBaseDelayMs;
  return tuning;
}
