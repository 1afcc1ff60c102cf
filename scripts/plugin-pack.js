// `npm run plugin:pack`: the provider plugin as a tarball that
// `pulumi plugin install resource tencentcloud-sg-attachment <version> --file <tarball>`
// installs. It holds the executable `pulumi-resource-tencentcloud-sg-attachment`
// at its root (a launcher that runs the package's plugin with the `node` on
// PATH, Node.js >= 20) and the package with its production dependencies and
// @pulumi/pulumi in node_modules/.
//
//   node scripts/plugin-pack.js [--from <package .tgz>] [--out <folder>]
//
// Without --from it builds and packs this repository first. Prints the path
// of the plugin tarball.
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const { execFileSync } = require("child_process");

const ROOT = path.resolve(__dirname, "..");
const PLUGIN = "tencentcloud-sg-attachment";
const EXECUTABLE = `pulumi-resource-${PLUGIN}`;
const LAUNCHER = `#!/bin/sh
exec node "$(dirname "$0")/node_modules/pulumi-tencentcloud-sg-attachment/dist/provider/plugin/main.js" "$@"
`;

function arg(name) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function run(cmd, args, cwd) {
  return execFileSync(cmd, args, {
    cwd,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, npm_config_update_notifier: "false" },
  });
}

/** The package tarball: the one given, or a fresh `npm pack` of this repository. */
function packageTarball(into) {
  const given = arg("--from");
  if (given) return path.resolve(given);
  run("npm", ["run", "build", "--silent"], ROOT);
  const name = run("npm", ["pack", "--silent", "--ignore-scripts", "--pack-destination", into], ROOT)
    .trim()
    .split("\n")
    .pop();
  return path.join(into, name);
}

/** `linux-amd64`, `darwin-arm64`, ...: the platform part of Pulumi's plugin file names. */
function platform() {
  const arch = { x64: "amd64", arm64: "arm64" }[os.arch()] ?? os.arch();
  return `${os.platform() === "win32" ? "windows" : os.platform()}-${arch}`;
}

function pack() {
  const root = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
  const out = path.resolve(arg("--out") ?? path.join(ROOT, "dist", "plugin"));
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), "sgattach-plugin-"));
  try {
    const tarball = packageTarball(stage);
    const dir = path.join(stage, "plugin");
    fs.mkdirSync(dir);
    const manifest = {
      name: `${PLUGIN}-plugin`,
      private: true,
      dependencies: {
        "pulumi-tencentcloud-sg-attachment": `file:${tarball}`,
        "@pulumi/pulumi": root.devDependencies["@pulumi/pulumi"],
      },
    };
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify(manifest, null, 2));
    run(
      "npm",
      ["install", "--omit=dev", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"],
      dir,
    );
    fs.writeFileSync(path.join(dir, EXECUTABLE), LAUNCHER, { mode: 0o755 });
    fs.mkdirSync(out, { recursive: true });
    const file = path.join(out, `${EXECUTABLE}-v${root.version}-${platform()}.tar.gz`);
    run("tar", ["-czf", file, "-C", dir, "."], ROOT);
    return file;
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
}

if (require.main === module) console.log(pack());
