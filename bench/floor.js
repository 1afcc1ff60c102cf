// Pure parts of the benchmark: the per-scenario floor, the result record,
// the goals and the table. No I/O, so test/unit/bench-floor.test.ts covers them.
"use strict";

const RATE_PER_SECOND = 10;
const MAX_INSTANCES_PER_REQUEST = 100;
/** Mean of the realistic 1–3 s OPERATING latency. */
const MEAN_LATENCY_SECONDS = 2;
const RSS_LIMIT_MB = 150;
const PROVIDERS = ["ours", "naive", "baseline"];
const OPERATIONS = ["up", "destroy"];
const BUSY_CODES = ["OperationDenied.InstanceOperationInProgress", "MutexOperation.TaskRunning"];

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

function round2(x) {
  return Math.round(x * 100) / 100;
}

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

/** One result record (kind "run": ours, naive or baseline). */
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
  if (typeof rec.scenario !== "string" || !/^[a-d]-/.test(rec.scenario)) problems.push("scenario");
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

/** "a-200x1" → 200 instances; "c-1000" → 1000. */
function scenarioSize(name) {
  const m = /^[a-d]-(\d+)/.exec(name);
  return m ? parseInt(m[1], 10) : NaN;
}

function find(records, q) {
  return records.find(
    (r) =>
      r.kind === "run" &&
      r.scenario === q.scenario &&
      r.parallel === q.parallel &&
      r.provider === q.provider &&
      r.operation === q.operation,
  );
}

/**
 * Goals: reported, never asserted. Each: {goal, status: "pass"|"fail"|"n/a", details[]}.
 * `parallel64` is the explicit parallelism setting whose (a) request counts matter.
 */
function evaluateGoals(records, { parallel64 = 64 } = {}) {
  const runs = records.filter((r) => r.kind === "run");
  const ours = runs.filter((r) => r.provider === "ours");
  const goals = [];
  const status = (details, measured) =>
    !measured ? "n/a" : details.some((d) => d.startsWith("FAIL")) ? "fail" : "pass";

  // 1. No throttling/busy error reaches the user (ours); naive failures reported.
  {
    const details = [];
    for (const r of ours) {
      const tb = r.userThrottleBusyErrors > 0;
      if (r.userErrors > 0 || r.exitCode !== 0 || r.timedOut)
        details.push(
          `FAIL ${r.scenario} p${r.parallel} ${r.operation}: exit ${r.exitCode}${r.timedOut ? " (timed out)" : ""}, ${r.userErrors} error(s)${tb ? ` (${r.userThrottleBusyErrors} throttling/busy)` : ""}: ${r.errorSamples[0] ?? ""}`,
        );
    }
    for (const r of runs.filter((x) => x.provider === "naive" && (x.userErrors > 0 || x.exitCode !== 0)))
      details.push(
        `info: naive ${r.scenario} p${r.parallel} ${r.operation}: ${r.userErrors} user-visible error(s), exit ${r.exitCode}`,
      );
    goals.push({
      goal: "no throttling/busy (or any) error reaches the user (ours)",
      status: status(details, ours.length > 0),
      details,
    });
  }

  // 2. (a) at --parallel 64: ≤ 10 Associate and ≤ 10 Disassociate requests.
  {
    const details = [];
    const aRuns = runs.filter((r) => r.scenario.startsWith("a-") && r.parallel === parallel64);
    for (const r of aRuns) {
      const action = r.operation === "up" ? "AssociateSecurityGroups" : "DisassociateSecurityGroups";
      const n = r.requests[action] ?? 0;
      // The goal is about (a) as the issue defines it, 200 instances; --large's
      // 1,000 are shown beside it.
      if (r.provider === "ours" && scenarioSize(r.scenario) === 200)
        details.push(`${n <= 10 ? "ok" : "FAIL"} ${r.scenario} ${action}: ${n} (≤ 10)`);
      else details.push(`info: ${r.provider} ${r.scenario} ${action}: ${n}`);
    }
    goals.push({
      goal: `(a) at --parallel ${parallel64}: ≤ 10 Associate and ≤ 10 Disassociate requests`,
      status: status(
        details,
        aRuns.some((r) => r.provider === "ours" && scenarioSize(r.scenario) === 200),
      ),
      details,
    });
  }

  // 3. wall ≤ baseline + 1.5 × floor, every scenario, parallelism and operation.
  {
    const details = [];
    let measured = false;
    for (const r of ours) {
      const base = find(runs, { ...r, provider: "baseline" });
      if (!base) continue;
      measured = true;
      const limit = round2(base.wallSeconds + 1.5 * r.floorSeconds);
      details.push(
        `${r.wallSeconds <= limit ? "ok" : "FAIL"} ${r.scenario} p${r.parallel} ${r.operation}: ${r.wallSeconds} s ≤ ${base.wallSeconds} + 1.5 × ${r.floorSeconds} = ${limit} s`,
      );
    }
    goals.push({
      goal: "wall ≤ baseline + 1.5 × floor (ours, every scenario)",
      status: status(details, measured),
      details,
    });
  }

  // 4. Provider RSS < 150 MB.
  {
    const details = [];
    for (const r of ours) {
      if (r.peakRssMb === null)
        details.push(`FAIL ${r.scenario} p${r.parallel} ${r.operation}: provider process not seen`);
      else if (r.peakRssMb >= RSS_LIMIT_MB)
        details.push(`FAIL ${r.scenario} p${r.parallel} ${r.operation}: ${r.peakRssMb} MB`);
    }
    const seen = ours.filter((r) => r.peakRssMb !== null);
    if (seen.length) {
      const max = seen.reduce((a, b) => (b.peakRssMb > a.peakRssMb ? b : a));
      details.push(`max ${max.peakRssMb} MB (${max.scenario} p${max.parallel} ${max.operation})`);
    }
    const triv = records.filter((r) => r.kind === "memory-baseline" && r.peakRssMb !== null);
    if (triv.length) details.push(`trivial provider max ${Math.max(...triv.map((r) => r.peakRssMb))} MB`);
    goals.push({
      goal: `provider peak RSS < ${RSS_LIMIT_MB} MB (ours)`,
      status: status(details, ours.length > 0),
      details,
    });
  }

  // 5. Linear-or-better growth, smaller → larger size of the same scenario letter.
  {
    const details = [];
    let measured = false;
    const letters = new Map();
    for (const r of ours) {
      const key = `${r.scenario[0]}|${r.parallel}|${r.operation}`;
      if (!letters.has(key)) letters.set(key, []);
      letters.get(key).push(r);
    }
    for (const group of letters.values()) {
      const sizes = [...new Set(group.map((r) => r.scenario))].sort(
        (x, y) => scenarioSize(x) - scenarioSize(y),
      );
      if (sizes.length < 2) continue;
      const small = group.find((r) => r.scenario === sizes[0]);
      const big = group.find((r) => r.scenario === sizes[sizes.length - 1]);
      measured = true;
      const factor = scenarioSize(big.scenario) / scenarioSize(small.scenario);
      const total = (rec) => Object.values(rec.requests).reduce((a, b) => a + b, 0);
      // The engine's own cost grows faster than linearly with the resource
      // count (it rewrites the whole checkpoint after every step): when the
      // trivial host ran the same sizes, the provider's cost is what ours
      // adds on top of it, and the raw wall time is shown for information.
      const trivialOf = (rec) =>
        records.find(
          (t) =>
            t.kind === "memory-baseline" &&
            t.scenario === rec.scenario &&
            t.parallel === rec.parallel &&
            t.operation === rec.operation,
        );
      const ts = trivialOf(small);
      const tb = trivialOf(big);
      const parts = [];
      if (ts && tb && ts.wallSeconds > 0) {
        parts.push([
          "wall beyond the trivial host",
          small.wallSeconds - ts.wallSeconds,
          big.wallSeconds - tb.wallSeconds,
        ]);
        details.push(
          `info: ${small.scenario}→${big.scenario} p${small.parallel} ${small.operation} wall: ×${round2(big.wallSeconds / small.wallSeconds)} (the trivial host's: ×${round2(tb.wallSeconds / ts.wallSeconds)})`,
        );
      } else {
        parts.push(["wall", small.wallSeconds, big.wallSeconds]);
      }
      parts.push(["requests", total(small), total(big)], ["RSS", small.peakRssMb, big.peakRssMb]);
      // The host's CPU also serves the engine's per-resource calls: like wall
      // time, judged on what ours uses beyond the trivial host when it ran.
      const cpu = (rec) => rec.providerCpuSeconds ?? null;
      if (ts && tb && cpu(small) !== null && cpu(big) !== null && cpu(ts) !== null && cpu(tb) !== null) {
        parts.push(["provider CPU beyond the trivial host", cpu(small) - cpu(ts), cpu(big) - cpu(tb)]);
        details.push(
          `info: ${small.scenario}→${big.scenario} p${small.parallel} ${small.operation} provider CPU: ×${round2(cpu(big) / cpu(small))} (the trivial host's: ×${round2(cpu(tb) / cpu(ts))})`,
        );
      } else {
        parts.push(["provider CPU", cpu(small), cpu(big)]);
      }
      for (const [what, a, b] of parts) {
        if (a === null || b === null) continue;
        if (!(a > 0)) {
          // Nothing to grow from (ours within the trivial host's noise at the smaller size): say so.
          details.push(
            `info: ${small.scenario}→${big.scenario} p${small.parallel} ${small.operation} ${what}: not judged (${round2(a)} at the smaller size, ${round2(b)} at the larger)`,
          );
          continue;
        }
        const ratio = round2(b / a);
        details.push(
          `${ratio <= factor ? "ok" : "FAIL"} ${small.scenario}→${big.scenario} p${small.parallel} ${small.operation} ${what}: ×${ratio} (size ×${round2(factor)})`,
        );
      }
    }
    goals.push({
      goal: "linear-or-better growth to 1,000 instances (ours; needs --large)",
      status: status(details, measured),
      details,
    });
  }
  return goals;
}

/** Markdown table of the records (runs, with the trivial provider's RSS beside ours). */
function formatTable(records, { defaultParallel } = {}) {
  const runs = records.filter((r) => r.kind === "run");
  const triv = records.filter((r) => r.kind === "memory-baseline");
  const head = [
    "scenario",
    "parallel",
    "provider",
    "op",
    "wall s",
    "floor s",
    "assoc",
    "disassoc",
    "describe",
    "other",
    "throttled",
    "busy",
    "retries",
    "user errors",
    "RSS MB",
    "trivial RSS MB",
    "CPU s",
    "trivial CPU s",
  ];
  const rows = [head, head.map(() => "---")];
  for (const r of runs) {
    const known = ["AssociateSecurityGroups", "DisassociateSecurityGroups", "DescribeInstances"];
    const other = Object.entries(r.requests)
      .filter(([a]) => !known.includes(a))
      .reduce((s, [, n]) => s + n, 0);
    const t = triv.find(
      (x) => x.scenario === r.scenario && x.parallel === r.parallel && x.operation === r.operation,
    );
    rows.push([
      r.scenario,
      r.parallel === defaultParallel ? `${r.parallel} (default)` : String(r.parallel),
      r.provider,
      r.operation,
      r.timedOut ? `>${r.wallSeconds} (timeout)` : r.wallSeconds.toFixed(1),
      r.floorSeconds.toFixed(1),
      String(r.requests.AssociateSecurityGroups ?? 0),
      String(r.requests.DisassociateSecurityGroups ?? 0),
      String(r.requests.DescribeInstances ?? 0),
      String(other),
      String(r.throttled),
      String(r.busy),
      String(r.retries),
      [
        String(r.userErrors),
        r.userThrottleBusyErrors ? ` (${r.userThrottleBusyErrors} throttling/busy)` : "",
        r.exitCode === 0 ? "" : ` (exit ${r.exitCode})`,
      ].join(""),
      r.peakRssMb === null ? "-" : r.peakRssMb.toFixed(0),
      r.provider === "ours" && t && t.peakRssMb !== null ? t.peakRssMb.toFixed(0) : "",
      r.providerCpuSeconds == null ? "-" : r.providerCpuSeconds.toFixed(1),
      r.provider === "ours" && t && t.providerCpuSeconds != null ? t.providerCpuSeconds.toFixed(1) : "",
    ]);
  }
  return rows.map((row) => `| ${row.join(" | ")} |`).join("\n");
}

/**
 * The README's table: one row per scenario, parallelism and operation, ours
 * beside the baseline, the trivial host, the floor and the naive provider.
 */
function formatComparison(records) {
  const runs = records.filter((r) => r.kind === "run");
  const triv = records.filter((r) => r.kind === "memory-baseline");
  const same = (a, b) =>
    a.scenario === b.scenario && a.parallel === b.parallel && a.operation === b.operation;
  const bindRequests = (r) =>
    r.requests[r.operation === "up" ? "AssociateSecurityGroups" : "DisassociateSecurityGroups"] ?? 0;
  const one = (x) => (x == null ? "" : String(Math.round(x * 10) / 10));
  const head = [
    "scenario",
    "parallel",
    "op",
    "ours s",
    "baseline s",
    "trivial host s",
    "floor s",
    "ours ≤ baseline + 1.5×floor",
    "ours bind req.",
    "ours Describe",
    "naive bind req.",
    "naive user errors",
    "ours throttled+busy (retried)",
    "ours RSS MB",
    "trivial host RSS MB",
    "ours CPU s",
    "trivial host CPU s",
  ];
  const rows = [head, head.map(() => "---")];
  for (const o of runs.filter((r) => r.provider === "ours")) {
    const b = runs.find((r) => r.provider === "baseline" && same(r, o));
    const n = runs.find((r) => r.provider === "naive" && same(r, o));
    const t = triv.find((r) => same(r, o));
    const budget = b ? b.wallSeconds + 1.5 * o.floorSeconds : null;
    rows.push([
      o.scenario,
      String(o.parallel),
      o.operation,
      o.timedOut ? `>${o.wallSeconds} (timeout)` : one(o.wallSeconds),
      one(b?.wallSeconds),
      one(t?.wallSeconds),
      one(o.floorSeconds),
      budget === null ? "" : o.wallSeconds <= budget && !o.timedOut ? "yes" : `NO (${budget.toFixed(1)})`,
      String(bindRequests(o)),
      String(o.requests.DescribeInstances ?? 0),
      n ? String(bindRequests(n)) : "",
      n ? String(n.userErrors) : "",
      `${o.throttled + o.busy}${o.retries ? ` (${o.retries})` : ""}`,
      one(o.peakRssMb),
      one(t?.peakRssMb),
      one(o.providerCpuSeconds),
      one(t?.providerCpuSeconds),
    ]);
  }
  return rows.map((row) => `| ${row.join(" | ")} |`).join("\n");
}

function formatGoals(goals) {
  const out = [];
  for (const g of goals) {
    out.push(`[${g.status.toUpperCase()}] ${g.goal}`);
    for (const d of g.details) out.push(`    ${d}`);
  }
  return out.join("\n");
}

/** Command-line options of `npm run bench`. */
function parseArgs(argv) {
  const opts = {
    quick: false,
    large: false,
    only: null,
    parallel: null,
    providers: null,
    out: null,
    dumpCalls: false,
    resume: false,
    report: false,
    record: false,
    timeoutScale: 1,
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (a.includes("=")) return a.slice(a.indexOf("=") + 1);
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const name = a.split("=")[0];
    if (name === "--quick") opts.quick = true;
    else if (name === "--large") opts.large = true;
    else if (name === "--only")
      opts.only = value()
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
    else if (name === "--parallel")
      opts.parallel = value()
        .split(",")
        .map((s) => s.trim());
    else if (name === "--providers")
      opts.providers = value()
        .split(",")
        .map((s) => s.trim());
    else if (name === "--out") opts.out = value();
    else if (name === "--dump-calls") opts.dumpCalls = true;
    else if (name === "--resume") opts.resume = true;
    else if (name === "--report") opts.report = true;
    else if (name === "--record") opts.record = true;
    else if (name === "--timeout-scale") opts.timeoutScale = Number(value());
    else if (name === "--help" || name === "-h") opts.help = true;
    else throw new Error(`unknown option ${a}`);
  }
  for (const p of opts.providers ?? [])
    if (![...PROVIDERS, "trivial"].includes(p))
      throw new Error(`unknown provider ${p} (ours, naive, baseline, trivial)`);
  for (const p of opts.parallel ?? [])
    if (p !== "default" && !(parseInt(p, 10) > 0))
      throw new Error(`bad --parallel value ${p} (default or a number)`);
  return opts;
}

/** Does scenario `name` pass the --only filter ("a", "c", or a full name such as "a-200x1")? */
function selected(name, only) {
  if (!only || only.length === 0) return true;
  return only.some((o) => name === o || name.startsWith(`${o}-`));
}

module.exports = {
  RATE_PER_SECOND,
  MEAN_LATENCY_SECONDS,
  RSS_LIMIT_MB,
  PROVIDERS,
  OPERATIONS,
  BUSY_CODES,
  defaultParallelism,
  minimumRequests,
  rounds,
  floorSeconds,
  tallyCalls,
  userErrorsOf,
  throttleOrBusyVisible,
  makeRecord,
  makeMemoryRecord,
  validateRecord,
  evaluateGoals,
  formatTable,
  formatComparison,
  formatGoals,
  parseArgs,
  selected,
  scenarioSize,
};
