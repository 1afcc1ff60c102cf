// The printed report: the table of a run's records, the README's comparison
// table, and the goals.
"use strict";

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

/** The provider plugin beside the dynamic resource (ours): one row per run both made. */
function formatPluginComparison(records) {
  const runs = records.filter((r) => r.kind === "run");
  const plugin = runs.filter((r) => r.provider === "plugin");
  if (plugin.length === 0) return "";
  const one = (x) => (x == null ? "" : String(Math.round(x * 10) / 10));
  const bind = (r) =>
    r.requests[r.operation === "up" ? "AssociateSecurityGroups" : "DisassociateSecurityGroups"] ?? 0;
  const head = [
    "scenario",
    "parallel",
    "op",
    "dynamic s",
    "plugin s",
    "dynamic bind req.",
    "plugin bind req.",
    "dynamic Describe",
    "plugin Describe",
    "plugin errors",
    "dynamic RSS MB",
    "plugin RSS MB",
    "dynamic CPU s",
    "plugin CPU s",
  ];
  const rows = [head, head.map(() => "---")];
  for (const p of plugin) {
    const o = runs.find(
      (r) =>
        r.provider === "ours" &&
        r.scenario === p.scenario &&
        r.parallel === p.parallel &&
        r.operation === p.operation,
    );
    rows.push([
      p.scenario,
      String(p.parallel),
      p.operation,
      one(o?.wallSeconds),
      one(p.wallSeconds),
      o ? String(bind(o)) : "",
      String(bind(p)),
      o ? String(o.requests.DescribeInstances ?? 0) : "",
      String(p.requests.DescribeInstances ?? 0),
      String(p.userErrors),
      one(o?.peakRssMb),
      one(p.peakRssMb),
      one(o?.providerCpuSeconds),
      one(p.providerCpuSeconds),
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

module.exports = { formatTable, formatComparison, formatPluginComparison, formatGoals };
