// Run-time configuration: defaults, validation of options and of control-plane
// patches, and latency sampling.

import { DEFAULT_RATE_LIMITS } from "./rateLimiter";
import type { LatencySetting, RuntimeConfig } from "./types";

const DEFAULT_OPERATION_LATENCY_MS = 100;

export function defaultConfig(): RuntimeConfig {
  return {
    operationLatencyMs: DEFAULT_OPERATION_LATENCY_MS,
    rateLimits: { ...DEFAULT_RATE_LIMITS },
    associateAlreadyBound: "error",
    disassociateNotBound: "error",
    disassociateLastGroup: "allow",
    maxSecurityGroupsPerInstance: 5,
    maxInstancesPerSecurityGroup: 2000,
    stsTokenLifetimeSeconds: null,
  };
}

export class ConfigError extends Error {}

function fail(message: string): never {
  throw new ConfigError(message);
}

function validLatency(v: unknown): v is LatencySetting {
  if (typeof v === "number") return Number.isFinite(v) && v >= 0 && v <= 3_600_000;
  if (v && typeof v === "object") {
    const { min, max } = v as { min?: unknown; max?: unknown };
    return typeof min === "number" && typeof max === "number" && min >= 0 && max >= min && max <= 3_600_000;
  }
  return false;
}

/** The keys of the run-time configuration (of the options and of a control-plane patch). */
export const RUNTIME_CONFIG_KEYS = Object.keys(defaultConfig()) as (keyof RuntimeConfig)[];

/** Applies a validated patch; rateLimits are merged key by key. Throws ConfigError. */
export function applyConfigPatch(config: RuntimeConfig, patch: unknown, strict = true): RuntimeConfig {
  if (!patch || typeof patch !== "object" || Array.isArray(patch)) fail("config patch must be an object");
  const p = patch as Record<string, unknown>;
  if (strict) {
    for (const k of Object.keys(p))
      if (!(RUNTIME_CONFIG_KEYS as string[]).includes(k)) fail(`unknown config key ${k}`);
  }
  const next: RuntimeConfig = { ...config, rateLimits: { ...config.rateLimits } };
  if (p.operationLatencyMs !== undefined) {
    if (!validLatency(p.operationLatencyMs))
      fail("operationLatencyMs must be a number >= 0 or {min, max} with 0 <= min <= max");
    next.operationLatencyMs =
      typeof p.operationLatencyMs === "number"
        ? p.operationLatencyMs
        : {
            min: (p.operationLatencyMs as { min: number }).min,
            max: (p.operationLatencyMs as { max: number }).max,
          };
  }
  if (p.rateLimits !== undefined) {
    const r = p.rateLimits;
    if (!r || typeof r !== "object" || Array.isArray(r))
      fail("rateLimits must be an object of action -> requests/s");
    for (const [k, v] of Object.entries(r as Record<string, unknown>)) {
      if (typeof v !== "number" || !Number.isFinite(v)) fail(`rateLimits.${k} must be a number`);
      next.rateLimits[k] = v;
    }
  }
  for (const k of ["associateAlreadyBound", "disassociateNotBound"] as const) {
    if (p[k] !== undefined) {
      if (p[k] !== "error" && p[k] !== "ignore") fail(`${k} must be "error" or "ignore"`);
      next[k] = p[k] as "error" | "ignore";
    }
  }
  if (p.disassociateLastGroup !== undefined) {
    if (p.disassociateLastGroup !== "allow" && p.disassociateLastGroup !== "error")
      fail(`disassociateLastGroup must be "allow" or "error"`);
    next.disassociateLastGroup = p.disassociateLastGroup;
  }
  for (const k of ["maxSecurityGroupsPerInstance", "maxInstancesPerSecurityGroup"] as const) {
    if (p[k] !== undefined) {
      const v = p[k];
      if (typeof v !== "number" || !Number.isInteger(v) || v < 0) fail(`${k} must be an integer >= 0`);
      next[k] = v;
    }
  }
  if (p.stsTokenLifetimeSeconds !== undefined) {
    const v = p.stsTokenLifetimeSeconds;
    if (v !== null && (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > 43200))
      fail("stsTokenLifetimeSeconds must be null or an integer between 1 and 43200");
    next.stsTokenLifetimeSeconds = v as number | null;
  }
  return next;
}

export function sampleLatency(l: LatencySetting, random: () => number = Math.random): number {
  if (typeof l === "number") return l;
  return Math.round(l.min + (l.max - l.min) * random());
}
