// `npm test`: does its own set-up (dependencies, the Pulumi CLI, the package
// tarball), checks lint/format/types, type-checks examples/, then runs the fast suites (unit,
// emulator, integration) and the end-to-end suites through the real CLI.
// `npm test -- --fast` skips the end-to-end suites and so neither needs nor
// obtains the Pulumi CLI nor packs the tarball; `npm test -- <pattern>` passes a
// jest path pattern to both runs, and fails when no test matches it.
"use strict";
const fs = require("fs");
const path = require("path");
const { spawnSync, execFileSync } = require("child_process");
const { ensureDependencies } = require("./setup");

const ROOT = path.resolve(__dirname, "..");
const args = process.argv.slice(2);
const fast = args.includes("--fast");
const patterns = args.filter((a) => !a.startsWith("--"));
const t0 = Date.now();

function step(msg) {
  process.stdout.write(`\n== ${msg} (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
}
function run(cmd, cmdArgs, opts = {}) {
  const r = spawnSync(cmd, cmdArgs, { cwd: ROOT, stdio: "inherit", ...opts });
  return r.status ?? 1;
}
function mustRun(cmd, cmdArgs, opts) {
  const code = run(cmd, cmdArgs, opts);
  if (code !== 0) {
    console.error(`\n${cmd} ${cmdArgs.join(" ")} failed (exit ${code})`);
    process.exit(code);
  }
}

/** `npm pack` into .pulumi-local/pack (emptied first); returns the tarball. */
function pack() {
  const packDir = path.join(ROOT, ".pulumi-local", "pack");
  fs.mkdirSync(packDir, { recursive: true });
  for (const f of fs.readdirSync(packDir)) fs.rmSync(path.join(packDir, f), { force: true });
  const name = execFileSync("npm", ["pack", "--silent", "--ignore-scripts", "--pack-destination", packDir], {
    cwd: ROOT,
    encoding: "utf8",
  })
    .trim()
    .split("\n")
    .pop();
  return path.join(packDir, name);
}

// 1. Dependencies (a fresh clone has none).
step("dependencies");
ensureDependencies();

// 2. The Pulumi CLI (built once from the Go module proxy when not on PATH); only
// the end-to-end suites run it.
let binDir = "";
if (!fast) {
  step("obtaining the Pulumi CLI");
  binDir = require("./pulumi-cli").ensurePulumi();
  console.log(`pulumi: ${binDir}`);
}

// 2b. The YAML and Python language hosts (Go builds, once) and the Python
// virtualenv: only the end-to-end suites use them.
if (!fast) {
  step("language hosts and the Python virtualenv");
  require("./pulumi-cli").ensureLanguageHosts(binDir);
  require("./python-env").ensurePythonEnv();
}

// 3. Static checks.
step("lint, format and type checks");
mustRun("npx", ["--no-install", "eslint", "."]);
mustRun("npx", ["--no-install", "prettier", "--check", "--log-level", "warn", "."]);
mustRun("npx", ["--no-install", "tsc", "-p", "tsconfig.json", "--noEmit"]);

// 4. Build (the examples and a fast suite load dist/); pack once for the
// end-to-end suites, which install the tarball as a user would.
step(fast ? "build" : "build and npm pack");
mustRun("npm", ["run", "build", "--silent"]);
const tarball = fast ? "" : pack();

// 5. Every example type-checks against the package's published types.
step("examples type-check");
mustRun(process.execPath, [path.join(ROOT, "scripts", "check-examples.js")]);

const env = {
  ...process.env,
  ...(fast ? {} : { SGATTACH_PULUMI_BIN_DIR: binDir, SGATTACH_TARBALL: tarball }),
  // Tests only ever talk to loopback; the Tencent SDK would honour a proxy.
  http_proxy: "",
  https_proxy: "",
  HTTP_PROXY: "",
  HTTPS_PROXY: "",
};
delete env.http_proxy;
delete env.https_proxy;
delete env.HTTP_PROXY;
delete env.HTTPS_PROXY;

const totals = { passed: 0, failed: 0, skipped: 0 };
function jest(label, jestArgs) {
  step(label);
  const out = path.join(ROOT, ".pulumi-local", `jest-${label.replace(/\W+/g, "-")}.json`);
  // A jest that dies before writing its summary must not report the previous run's.
  fs.rmSync(out, { force: true });
  const code = run(
    "npx",
    // Patterns first: `--selectProjects` takes every value that follows it.
    [
      "--no-install",
      "jest",
      ...patterns,
      "--json",
      `--outputFile=${out}`,
      ...jestArgs,
      // One run may match nothing (an e2e pattern in the fast run): the totals decide below.
      ...(patterns.length ? ["--passWithNoTests"] : []),
    ],
    { env },
  );
  try {
    const r = JSON.parse(fs.readFileSync(out, "utf8"));
    totals.passed += r.numPassedTests;
    totals.failed += r.numFailedTests + (r.numRuntimeErrorTestSuites || 0);
    totals.skipped += r.numPendingTests + r.numTodoTests;
  } catch {
    totals.failed += 1;
  }
  return code;
}

let failed = 0;
failed |= jest("unit, emulator and integration suites", ["--selectProjects", "fast"]);
// Two workers: a CLI run leaves a core idle much of the time (start-up, waits on the emulator).
if (!fast)
  failed |= jest("end-to-end suites (real pulumi CLI)", ["--selectProjects", "e2e", "--maxWorkers=2"]);

step("done");
console.log(`tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
if (totals.passed + totals.failed === 0) {
  console.error(`no test ran: nothing matches ${patterns.length ? patterns.join(" ") : "the suites"}`);
  failed = 1;
}
process.exit(failed ? 1 : 0);
