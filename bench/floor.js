// The floor of one scenario: the least time any provider could take for an
// `up` or `destroy`, given the API's rate limit, its operation latency and the
// engine's parallelism. Pure: test/unit/bench-floor.test.ts covers it.
"use strict";
const { round2 } = require("./round");

const RATE_PER_SECOND = 10;
const MAX_INSTANCES_PER_REQUEST = 100;
/** Mean of the realistic 1–3 s OPERATING latency. */
const MEAN_LATENCY_SECONDS = 2;

/** The engine's default parallelism: 4 × GOMAXPROCS (pulumi/pkg cmd/pulumi/operations/up.go). */
function defaultParallelism(cpus) {
  return 4 * cpus;
}

/** Fewest Associate (or Disassociate) requests: one SG per request, ≤ 100 instances each. */
function minimumRequests(attachments) {
  const perGroup = new Map();
  for (const a of attachments) {
    const set = perGroup.get(a.securityGroupId) ?? new Set();
    for (const id of a.instanceIds) set.add(id);
    perGroup.set(a.securityGroupId, set);
  }
  let n = 0;
  for (const set of perGroup.values()) n += Math.ceil(set.size / MAX_INSTANCES_PER_REQUEST);
  return n;
}

/**
 * Rounds of operation latency that cannot overlap: the engine runs at most
 * `parallel` resource operations at once, and an instance takes one security
 * group operation at a time.
 */
function rounds({ resources, parallel, maxOpsPerInstance = 1 }) {
  if (resources === 0) return 0;
  return Math.max(Math.ceil(resources / parallel), maxOpsPerInstance);
}

/**
 * Floor of one `up` or `destroy`: max(minimum requests ÷ rate, mean latency ×
 * rounds). Both operations have the same floor (Associate and Disassociate
 * share shape, limit and latency).
 */
function floorSeconds({
  attachments,
  parallel,
  maxOpsPerInstance = 1,
  ratePerSecond = RATE_PER_SECOND,
  latencySeconds = MEAN_LATENCY_SECONDS,
}) {
  const byRate = minimumRequests(attachments) / ratePerSecond;
  const byLatency = latencySeconds * rounds({ resources: attachments.length, parallel, maxOpsPerInstance });
  return round2(Math.max(byRate, byLatency));
}

module.exports = { defaultParallelism, minimumRequests, rounds, floorSeconds };
