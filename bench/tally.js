// What one run did, from the emulator's call log (requests, throttled and busy
// responses, batch sizes) and from what the CLI printed (the errors the user saw).
"use strict";
const { round2 } = require("./round");

const BUSY_CODES = ["OperationDenied.InstanceOperationInProgress", "MutexOperation.TaskRunning"];

/** Emulator call log (slice) → requests per action, throttled and busy responses. */
function tallyCalls(calls) {
  const requests = {};
  const errors = {};
  let throttled = 0;
  let busy = 0;
  for (const c of calls) {
    const action = c.action || "(none)";
    requests[action] = (requests[action] ?? 0) + 1;
    if (c.errorCode) {
      const byCode = (errors[action] ??= {});
      byCode[c.errorCode] = (byCode[c.errorCode] ?? 0) + 1;
    }
    if (c.errorCode && c.errorCode.startsWith("RequestLimitExceeded")) throttled++;
    if (c.errorCode && BUSY_CODES.includes(c.errorCode)) busy++;
  }
  return { requests, throttled, busy, errors, batches: batchSizes(calls) };
}

/**
 * Instances carried per Associate/Disassociate request: {action: {requests,
 * instances, mean, max}} over every request (errors included).
 */
function batchSizes(calls) {
  const out = {};
  for (const c of calls) {
    if (c.action !== "AssociateSecurityGroups" && c.action !== "DisassociateSecurityGroups") continue;
    const b = (out[c.action] ??= { requests: 0, instances: 0, mean: 0, max: 0 });
    const n = (c.instanceIds ?? []).length;
    b.requests++;
    b.instances += n;
    b.max = Math.max(b.max, n);
    b.mean = round2(b.instances / b.requests);
  }
  return out;
}

/** Throttling or busy, by code or by the API's message for it. */
const THROTTLE_OR_BUSY =
  /RequestLimitExceeded|request frequency|InstanceOperationInProgress|operation in progress|MutexOperation|identical job is running/i;

/**
 * Errors the CLI showed the user: `error:` diagnostics, not counting the
 * summary line the engine adds when anything failed ("update failed").
 * `throttleOrBusy` counts those that are throttling or busy errors.
 */
function userErrorsOf(output) {
  const lines = output.split("\n").filter((l) => /^\s*error: /.test(l));
  const real = lines.filter((l) => !/^\s*error: (update|destroy|preview) failed\s*$/.test(l));
  return {
    count: real.length,
    throttleOrBusy: real.filter((l) => THROTTLE_OR_BUSY.test(l)).length,
    samples: [...new Set(real.map((l) => l.trim().slice(0, 240)))].slice(0, 3),
  };
}

/** True when the text (e.g. the CLI's error lines) shows a throttling or busy error. */
function throttleOrBusyVisible(text) {
  return THROTTLE_OR_BUSY.test(text);
}

module.exports = { tallyCalls, userErrorsOf, throttleOrBusyVisible };
