// The command line of `npm run bench`.
"use strict";
const { PROVIDERS } = require("./records");

function usage() {
  return [
    "usage: npm run bench -- [--quick] [--large] [--only a,c] [--parallel default,64]",
    "                        [--providers ours,naive,baseline,plugin,trivial] [--out file] [--timeout-scale N]",
    "  --quick          small sizes (smoke run)",
    "  --large          add (a) and (c) at 1,000 instances (growth 200 → 1,000)",
    "  --only a,c       scenario letters or full names (a-200x1)",
    "  --parallel ...   'default' (the engine's, 4 × CPUs) and/or numbers; default: default,64",
    "  --providers ...  subset of ours,naive,baseline,plugin,trivial; default: all",
    "  --out file       results file (default .pulumi-local/bench/results.json, ignored by git)",
    "  --resume         keep the records already in the results file; run only what is missing",
    "  --record         when the run completes, also copy its results to bench/results.json (the documented run)",
    "  --report         run nothing: print the comparison table and the goals of bench/results.json",
    "                   (or of --out file, e.g. --out .pulumi-local/bench/results.json for the last run)",
    "  --dump-calls     also write each run's emulator call log and CLI output to .pulumi-local/bench/calls/",
  ].join("\n");
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
      throw new Error(`unknown provider ${p} (ours, naive, baseline, plugin, trivial)`);
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

module.exports = { parseArgs, selected, usage };
