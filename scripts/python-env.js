// The Python virtualenv for Python programs (the e2e suite, examples/python):
// .pulumi-local/python-venv with the Pulumi Python SDK from PyPI and this
// repository's generated SDK (sdk/python), each installed once and again only
// when its version or content changes. The Python language host (v3.68.0)
// ignores the project's `virtualenv` option, so a program's CLI run needs the
// venv's bin first on PATH (pythonPath).
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");
const { spawnSync } = require("child_process");
const { CLI_VERSION, REPO_ROOT, LOCAL_DIR } = require("./pulumi-cli");

const VENV = path.join(LOCAL_DIR, "python-venv");
const VENV_BIN = path.join(VENV, "bin");
const SDK_DIR = path.join(REPO_ROOT, "sdk", "python");
const STAMP = path.join(VENV, "sgattach-installed.json");

function mustRun(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: REPO_ROOT, stdio: ["ignore", "inherit", "inherit"] });
  if (r.error)
    throw new Error(
      `${cmd}: ${r.error.message}. Install Python >= 3.9 (or set SGATTACH_PYTHON to its path).`,
    );
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (exit ${r.status ?? r.signal})`);
}

/** A digest of every file under dir, so an SDK regeneration is installed again. */
function treeDigest(dir) {
  const hash = crypto.createHash("sha256");
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else hash.update(path.relative(dir, p)).update("\0").update(fs.readFileSync(p));
    }
  };
  walk(dir);
  return hash.digest("hex");
}

/**
 * Makes the venv (python3 >= 3.9 needed) and installs `pulumi==CLI_VERSION`
 * and sdk/python into it. Returns the venv's bin folder.
 */
function ensurePythonEnv() {
  const python = process.env.SGATTACH_PYTHON || "python3";
  const want = { pulumi: CLI_VERSION, sdk: treeDigest(SDK_DIR) };
  let have = {};
  try {
    have = JSON.parse(fs.readFileSync(STAMP, "utf8"));
  } catch {
    /* a new venv */
  }
  if (!fs.existsSync(path.join(VENV_BIN, "python"))) {
    process.stderr.write(`[python-env] creating ${VENV}\n`);
    mustRun(python, ["-m", "venv", VENV]);
    have = {};
  }
  const pip = (args) => mustRun(path.join(VENV_BIN, "python"), ["-m", "pip", "--quiet", ...args]);
  if (have.pulumi !== want.pulumi) {
    process.stderr.write(`[python-env] installing pulumi==${want.pulumi} from PyPI\n`);
    pip(["install", `pulumi==${want.pulumi}`]);
  }
  if (have.sdk !== want.sdk) {
    process.stderr.write(
      `[python-env] installing the generated SDK (${path.relative(REPO_ROOT, SDK_DIR)})\n`,
    );
    // From a copy: pip builds in the source folder (build/, *.egg-info).
    const copy = fs.mkdtempSync(path.join(LOCAL_DIR, "python-sdk-"));
    try {
      fs.cpSync(SDK_DIR, copy, { recursive: true });
      pip(["install", copy]); // a folder is always installed again; its dependencies only when missing
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  }
  fs.writeFileSync(STAMP, JSON.stringify(want));
  return VENV_BIN;
}

module.exports = { ensurePythonEnv };

if (require.main === module) console.log(ensurePythonEnv());
