// `npm run setup`: everything the demo and the tests need, idempotent and
// cached: npm dependencies, the Pulumi CLI (see pulumi-cli.js), the build.
"use strict";
const fs = require("fs");
const path = require("path");
const { spawnSync } = require("child_process");

const ROOT = path.resolve(__dirname, "..");

function mustRun(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: "inherit", ...opts });
  if (r.status !== 0) {
    console.error(`\n${cmd} ${args.join(" ")} failed (exit ${r.status})`);
    process.exit(r.status ?? 1);
  }
}

/** `npm ci` when node_modules is missing or older than the lock file. */
function ensureDependencies() {
  const stamp = path.join(ROOT, "node_modules", ".package-lock.json");
  const lock = path.join(ROOT, "package-lock.json");
  if (!fs.existsSync(stamp) || fs.statSync(stamp).mtimeMs < fs.statSync(lock).mtimeMs) {
    console.log("== installing dependencies (npm ci)");
    mustRun("npm", ["ci", "--no-audit", "--no-fund"]);
  }
}

/** Compiles provider/ and emulator/ into dist/ (what the package ships). */
function build() {
  mustRun("npm", ["run", "build", "--silent"]);
}

function setup() {
  ensureDependencies();
  const { ensurePulumi } = require("./pulumi-cli");
  const binDir = ensurePulumi();
  build();
  return binDir;
}

module.exports = { ROOT, mustRun, ensureDependencies, build, setup };

if (require.main === module) {
  const t0 = Date.now();
  const bin = setup();
  console.log(`setup done in ${((Date.now() - t0) / 1000).toFixed(1)} s; pulumi in ${bin}`);
}
