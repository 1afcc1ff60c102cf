// `npm run plugin:sea`: the provider plugin as one executable that needs no
// Node.js installation (a Node.js single-executable application): the plugin
// and its dependencies bundled by esbuild into one script, injected by
// postject into a copy of this Node.js binary (about 100 MB). Packed as a
// tarball for `pulumi plugin install resource tencentcloud-sg-attachment
// <version> --file <tarball>`, for this machine's platform only.
//
//   node scripts/plugin-sea.js [--out <folder>] [--skip-build]
//
// --skip-build: dist/ is current (the test runner built it).
//
// Prints the path of the plugin tarball.
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const { execFileSync } = require("child_process");

const ROOT = path.resolve(__dirname, "..");
const EXECUTABLE = "pulumi-resource-tencentcloud-sg-attachment";
/** Node's sentinel for the injected blob (documented with single-executable applications). */
const FUSE = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";

// What serve() loads as @pulumi/pulumi's own: static requires, so that the
// bundle holds them (one @grpc/grpc-js for @pulumi/pulumi and the mending).
const ENTRY = `"use strict";
const modules = {
  "@grpc/grpc-js": require("@grpc/grpc-js"),
  "google-protobuf/google/protobuf/struct_pb": require("google-protobuf/google/protobuf/struct_pb"),
  "@pulumi/pulumi/provider": require("@pulumi/pulumi/provider"),
  "@pulumi/pulumi/proto/engine_grpc_pb": require("@pulumi/pulumi/proto/engine_grpc_pb"),
  "@pulumi/pulumi/proto/engine_pb": require("@pulumi/pulumi/proto/engine_pb"),
};
const { serve } = require(${JSON.stringify(path.join(ROOT, "dist", "provider", "plugin", "serve.js"))});
void serve(process.argv.slice(2), (id) => modules[id]);
`;

function arg(name) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function run(cmd, args, cwd = ROOT) {
  execFileSync(cmd, args, { cwd, stdio: ["ignore", "ignore", "inherit"] });
}

function platform() {
  const arch = { x64: "amd64", arm64: "arm64" }[os.arch()] ?? os.arch();
  return `${os.platform()}-${arch}`;
}

function build() {
  if (os.platform() !== "linux") throw new Error("plugin:sea is made and tested on Linux only");
  const version = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).version;
  const out = path.resolve(arg("--out") ?? path.join(ROOT, "dist", "plugin"));
  // Inside the repository, so that the entry's requires resolve from its node_modules.
  const work = fs.mkdtempSync(path.join(ROOT, ".pulumi-local", "sea-"));
  try {
    if (!process.argv.includes("--skip-build")) run("npm", ["run", "build", "--silent"]);
    fs.writeFileSync(path.join(work, "entry.js"), ENTRY);
    const bin = path.join(ROOT, "node_modules", ".bin");
    run(
      path.join(bin, "esbuild"),
      [
        "entry.js",
        "--bundle",
        "--platform=node",
        `--target=node${process.versions.node.split(".")[0]}`,
        "--outfile=plugin.js",
        "--log-level=error",
      ],
      work,
    );
    const config = { main: "plugin.js", output: "plugin.blob", disableExperimentalSEAWarning: true };
    fs.writeFileSync(path.join(work, "sea-config.json"), JSON.stringify(config));
    run(process.execPath, ["--experimental-sea-config", "sea-config.json"], work);
    const dir = path.join(work, "plugin");
    fs.mkdirSync(dir);
    const exe = path.join(dir, EXECUTABLE);
    fs.copyFileSync(process.execPath, exe);
    fs.chmodSync(exe, 0o755);
    run(path.join(bin, "postject"), [
      exe,
      "NODE_SEA_BLOB",
      path.join(work, "plugin.blob"),
      "--sentinel-fuse",
      FUSE,
    ]);
    fs.mkdirSync(out, { recursive: true });
    const file = path.join(out, `${EXECUTABLE}-v${version}-${platform()}-sea.tar.gz`);
    run("tar", ["-czf", file, "-C", dir, EXECUTABLE]);
    return file;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module) console.log(build());
