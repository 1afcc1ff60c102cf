// The benchmark's goals, judged over a run's records: reported, never asserted.
"use strict";
const { round2 } = require("./round");
const { scenarioSize } = require("./scenarios");

const RSS_LIMIT_MB = 150;

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

module.exports = { evaluateGoals };
