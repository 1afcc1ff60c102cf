// The result records a benchmark run writes (one per scenario, parallelism,
// provider and operation), and the check of their shape.
"use strict";
const { round2 } = require("./round");

const PROVIDERS = ["ours", "naive", "baseline", "plugin"];
const OPERATIONS = ["up", "destroy"];

/** One result record (kind "run": ours, naive, baseline or plugin). */
function makeRecord(r) {
  return {
    kind: "run",
    scenario: r.scenario,
    parallel: r.parallel,
    provider: r.provider,
    operation: r.operation,
    wallSeconds: round2(r.wallSeconds),
    requests: r.requests,
    throttled: r.throttled,
    busy: r.busy,
    retries: r.retries,
    userErrors: r.userErrors,
    peakRssMb: r.peakRssMb === null ? null : round2(r.peakRssMb),
    /** CPU seconds (user + system) of the dynamic-provider host process(es). */
    providerCpuSeconds: r.providerCpuSeconds == null ? null : round2(r.providerCpuSeconds),
    floorSeconds: r.floorSeconds,
    exitCode: r.exitCode,
    timedOut: r.timedOut,
    bindingsExpected: r.bindingsExpected,
    bindingsOk: r.bindingsOk,
    errorSamples: r.errorSamples ?? [],
    /** Error responses per action and code (throttled/busy broken down). */
    apiErrors: r.apiErrors ?? {},
    /** Instances per Associate/Disassociate request. */
    batches: r.batches ?? {},
    /** 1-minute load average when the operation ended (other work on the machine skews wall times). */
    loadAvg: r.loadAvg ?? null,
    /** User-visible errors that are throttling or busy errors. */
    userThrottleBusyErrors: r.userThrottleBusyErrors ?? 0,
  };
}

/** The trivial-provider memory baseline (kind "memory-baseline", provider "trivial"). */
function makeMemoryRecord(r) {
  return {
    kind: "memory-baseline",
    scenario: r.scenario,
    parallel: r.parallel,
    provider: "trivial",
    operation: r.operation,
    resources: r.resources,
    wallSeconds: round2(r.wallSeconds),
    peakRssMb: r.peakRssMb === null ? null : round2(r.peakRssMb),
    providerCpuSeconds: r.providerCpuSeconds == null ? null : round2(r.providerCpuSeconds),
    userErrors: r.userErrors,
    exitCode: r.exitCode,
    loadAvg: r.loadAvg ?? null,
  };
}

/** Problems with a record's shape (empty when fine). */
function validateRecord(rec) {
  const problems = [];
  if (rec.kind === "memory-baseline") {
    if (rec.provider !== "trivial") problems.push("provider");
    return problems;
  }
  if (typeof rec.scenario !== "string" || !/^[a-dm]-/.test(rec.scenario)) problems.push("scenario");
  if (!(Number.isInteger(rec.parallel) && rec.parallel > 0)) problems.push("parallel");
  if (!PROVIDERS.includes(rec.provider)) problems.push("provider");
  if (!OPERATIONS.includes(rec.operation)) problems.push("operation");
  for (const k of ["wallSeconds", "throttled", "busy", "retries", "userErrors", "floorSeconds"])
    if (typeof rec[k] !== "number" || !Number.isFinite(rec[k]) || rec[k] < 0) problems.push(k);
  if (!rec.requests || typeof rec.requests !== "object") problems.push("requests");
  else for (const v of Object.values(rec.requests)) if (!Number.isInteger(v)) problems.push("requests");
  if (!(rec.peakRssMb === null || (typeof rec.peakRssMb === "number" && rec.peakRssMb > 0)))
    problems.push("peakRssMb");
  return problems;
}

module.exports = { PROVIDERS, OPERATIONS, makeRecord, makeMemoryRecord, validateRecord };
