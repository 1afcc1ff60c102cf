// Finds or obtains the Pulumi CLI (with the Node.js language host and the
// dynamic-provider launcher beside it) and builds the environment under which
// this project runs it: a local file:// backend, an isolated PULUMI_HOME, no
// update check, no plugin downloads. Used by `npm run pulumi`, the demo, the
// tests and the benchmark.
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const { spawnSync } = require("child_process");

const CLI_VERSION = "3.248.0";
const REPO_ROOT = path.resolve(__dirname, "..");
const LOCAL_DIR = path.join(REPO_ROOT, ".pulumi-local");

function log(msg) {
  process.stderr.write(`[pulumi-cli] ${msg}\n`);
}

/** Compares dotted versions; returns <0, 0, >0. */
function compareVersions(a, b) {
  const pa = a.split(/[.-]/).map((x) => parseInt(x, 10) || 0);
  const pb = b.split(/[.-]/).map((x) => parseInt(x, 10) || 0);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i] - pb[i];
  return 0;
}

function versionOf(pulumiPath) {
  const r = spawnSync(pulumiPath, ["version"], {
    encoding: "utf8",
    env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" },
    timeout: 30_000,
  });
  if (r.status !== 0) return undefined;
  const m = /v?(\d+\.\d+\.\d+)/.exec(r.stdout || "");
  return m ? m[1] : undefined;
}

/** The folder where the official `pulumi` npm package (and we) keep CLI versions. */
function toolCacheBinDir() {
  const home =
    process.env.SGATTACH_PULUMI_TOOL_HOME || process.env.PULUMI_HOME || path.join(os.homedir(), ".pulumi");
  return path.join(home, "versions", CLI_VERSION, "bin");
}

function onPath(name) {
  for (const dir of (process.env.PATH || "").split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      /* keep looking */
    }
  }
  return undefined;
}

/** The dynamic-provider launcher ships inside @pulumi/pulumi; the CLI wants it beside itself. */
function installDynamicProviderLauncher(binDir) {
  const target = path.join(binDir, "pulumi-resource-pulumi-nodejs");
  if (fs.existsSync(target)) return;
  const src = require.resolve("@pulumi/pulumi/package.json", { paths: [REPO_ROOT] });
  fs.copyFileSync(path.join(path.dirname(src), "pulumi-resource-pulumi-nodejs"), target);
  fs.chmodSync(target, 0o755);
}

/**
 * Returns the folder holding `pulumi` (and, for a built one, its language host
 * and the dynamic-provider launcher). Order: a `pulumi` on PATH at
 * CLI_VERSION or newer; the cached copy; a build from the Go module proxy.
 */
function ensurePulumi() {
  if (process.env.SGATTACH_IGNORE_PATH_PULUMI !== "true") {
    const found = onPath("pulumi");
    if (found) {
      const v = versionOf(found);
      if (v && compareVersions(v, CLI_VERSION) >= 0) return path.dirname(fs.realpathSync(found));
      if (v) log(`ignoring ${found} (v${v}): this project needs Pulumi v${CLI_VERSION} or newer`);
    }
  }
  const binDir = toolCacheBinDir();
  const have = () =>
    fs.existsSync(path.join(binDir, "pulumi")) && fs.existsSync(path.join(binDir, "pulumi-language-nodejs"));
  if (!have()) {
    log(`Pulumi v${CLI_VERSION} not found on PATH or in ${binDir}; building it from the Go module proxy.`);
    const r = spawnSync("bash", [path.join(__dirname, "build-pulumi.sh"), binDir], { stdio: "inherit" });
    if (r.status !== 0 || !have()) {
      throw new Error(
        `Could not obtain the Pulumi CLI (build exit code ${r.status}). Install Pulumi v${CLI_VERSION} or newer by hand ` +
          `(https://www.pulumi.com/docs/install/) and put it on PATH, or install Go >= 1.25 with access to a Go module proxy ` +
          `and run: bash scripts/build-pulumi.sh ${binDir}`,
      );
    }
  }
  installDynamicProviderLauncher(binDir);
  return binDir;
}

const LANGUAGE_HOSTS = ["pulumi-language-yaml", "pulumi-language-python", "pulumi-language-python-exec"];

/**
 * Makes sure the YAML and Python language hosts sit beside the CLI in
 * `binDir` (a Pulumi install ships them; a CLI built here does not), building
 * the missing ones from the Go module proxy once. Returns `binDir`.
 */
function ensureLanguageHosts(binDir) {
  const missing = () => LANGUAGE_HOSTS.filter((h) => !fs.existsSync(path.join(binDir, h)));
  if (missing().length === 0) return binDir;
  try {
    fs.accessSync(binDir, fs.constants.W_OK);
  } catch {
    throw new Error(
      `${binDir} (the Pulumi CLI's folder) lacks ${missing().join(", ")} and is not writable. Install Pulumi ` +
        `v${CLI_VERSION} or newer from https://www.pulumi.com/docs/install/ (it ships these language hosts), or ` +
        `set SGATTACH_IGNORE_PATH_PULUMI=true to use a CLI built into ${toolCacheBinDir()}.`,
    );
  }
  log(`building ${missing().join(", ")} into ${binDir} from the Go module proxy.`);
  const r = spawnSync("bash", [path.join(__dirname, "build-language-hosts.sh"), binDir], {
    stdio: "inherit",
  });
  if (r.status !== 0 || missing().length) {
    throw new Error(
      `Could not obtain the language hosts ${missing().join(", ")} (build exit code ${r.status}). Install Go >= 1.25 ` +
        `with access to a Go module proxy and run: bash scripts/build-language-hosts.sh ${binDir}`,
    );
  }
  return binDir;
}

/**
 * The environment for every CLI run of this project. `stateDir` is the
 * file:// backend (default .pulumi-local/state); nothing touches ~/.pulumi.
 */
function pulumiEnv(binDir, { stateDir, home, passphrase, extra } = {}) {
  const state = stateDir || path.join(LOCAL_DIR, "state");
  const pulumiHome = home || path.join(LOCAL_DIR, "home");
  fs.mkdirSync(state, { recursive: true });
  fs.mkdirSync(pulumiHome, { recursive: true });
  const env = {
    ...process.env,
    PATH: `${binDir}${path.delimiter}${process.env.PATH || ""}`,
    PULUMI_HOME: pulumiHome,
    PULUMI_BACKEND_URL: `file://${state}`,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
    PULUMI_CONFIG_PASSPHRASE: passphrase ?? process.env.PULUMI_CONFIG_PASSPHRASE ?? "local-demo-passphrase",
    ...extra,
  };
  // The Tencent SDK sends everything through http_proxy when it is set; this
  // project only ever talks to loopback or to the endpoint the user chose.
  for (const k of ["http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"]) delete env[k];
  if (process.env.PULUMI_CONFIG_PASSPHRASE_FILE && !passphrase) delete env.PULUMI_CONFIG_PASSPHRASE;
  return env;
}

module.exports = {
  CLI_VERSION,
  REPO_ROOT,
  LOCAL_DIR,
  ensurePulumi,
  ensureLanguageHosts,
  pulumiEnv,
  compareVersions,
};

if (require.main === module) {
  // `node scripts/pulumi-cli.js [--language-hosts]` → make sure the CLI (and
  // the YAML and Python hosts) exist and print where.
  const binDir = ensurePulumi();
  if (process.argv.includes("--language-hosts")) ensureLanguageHosts(binDir);
  console.log(binDir);
}
