#!/usr/bin/env node
// `npm run reliability:report [-- --last N] [-- FILE]`: prints the figures of
// test/reliability/README.md from the runs the reliability suites recorded in
// .pulumi-local/reliability/runs.jsonl (ignored by git): for each figure, the
// range over the last N runs (default 10).
"use strict";
const fs = require("fs");
const path = require("path");

const args = process.argv.slice(2);
const lastAt = args.indexOf("--last");
const last = lastAt >= 0 ? Number(args[lastAt + 1]) : 10;
const fileArg = args.find((a, i) => !a.startsWith("--") && (lastAt < 0 || i !== lastAt + 1));
const file = fileArg ?? path.join(__dirname, "..", "..", ".pulumi-local", "reliability", "runs.jsonl");

if (!Number.isInteger(last) || last < 1) {
  console.error("--last expects a positive integer");
  process.exit(2);
}
if (!fs.existsSync(file)) {
  console.error(
    `no recorded runs in ${file}: run the reliability suites first (node scripts/test.js reliability)`,
  );
  process.exit(1);
}

/** section → its last `last` records' data, oldest first. */
const bySection = new Map();
for (const line of fs.readFileSync(file, "utf8").split("\n")) {
  if (!line.trim()) continue;
  const { section, data } = JSON.parse(line);
  if (!bySection.has(section)) bySection.set(section, []);
  bySection.get(section).push(data);
}
for (const [k, v] of bySection) bySection.set(k, v.slice(-last));

const range = (values, fmt = String) => {
  const xs = values.filter((v) => typeof v === "number");
  if (xs.length === 0) return "-";
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  return lo === hi ? fmt(lo) : `${fmt(lo)}–${fmt(hi)}`;
};
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

const rows = [];
for (const [key, label] of [
  ["transientFaults.defaultTuning", "default"],
  ["transientFaults.smallBatches", "batches of 5 instances"],
]) {
  const runs = bySection.get(key) ?? [];
  for (const step of ["up", "destroy"]) {
    const of = (f) => runs.map((r) => (r[step] ? f(r[step]) : undefined));
    rows.push([
      label,
      step,
      String(runs.length),
      range(of((s) => s.apiCalls)),
      range(of((s) => s.injectedFaults)),
      range(of((s) => s.provider?.failedRequests)),
      range(
        of((s) => s.ms),
        seconds,
      ),
    ]);
  }
}
const header = ["tuning", "step", "runs", "API calls", "faults", "failed requests", "time"];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
console.log(`Transient faults (20% of API calls), ranges over the last ${last} runs of ${file}:\n`);
console.log(line(header));
console.log(line(widths.map((w) => "-".repeat(w))));
for (const r of rows) console.log(line(r));

const crash = bySection.get("crash") ?? [];
if (crash.length > 0) {
  const of = (f) => crash.map(f);
  console.log(
    `\nCrash (${crash.length} runs): up killed with ${range(of((c) => c.killedUp?.boundAtKill))} of 50 bound;`,
  );
  console.log(
    `  recovery up ${range(
      of((c) => c.recoveryUp?.ms),
      seconds,
    )}, recovery destroy ${range(
      of((c) => c.recoveryDestroyMs),
      seconds,
    )}`,
  );
}
