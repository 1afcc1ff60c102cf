// `npm run demo`: the main job. Starts the embedded CVM emulator and runs the
// demo program (Pulumi.yaml → demo/index.ts) through the real CLI: `pulumi up`,
// then (1) an instance removed: `pulumi preview --diff`, `pulumi up` (an update:
// only that binding goes), (2) an instance moved from one attachment of a group
// to another (the binding is handed over, never removed), (3) the `db` group
// changed (a replace, create-before-delete), (4) `pulumi destroy`. A table of
// each instance's security groups follows every step. Everything stays on
// loopback and in .pulumi-local/.
"use strict";
const fs = require("fs");
const path = require("path");
const { spawn } = require("child_process");
const { ROOT, setup } = require("./setup");

const REGION = "ap-guangzhou";
const STACK = "demo";

function table(title, bindings) {
  console.log(`\n${title}`);
  console.log("  instance       security groups (priority order)");
  for (const id of Object.keys(bindings).sort())
    console.log(`  ${id.padEnd(14)} ${bindings[id].join(", ") || "-"}`);
}

function step(title) {
  console.log(`\n${"=".repeat(78)}\n${title}\n${"=".repeat(78)}`);
}

async function main() {
  const binDir = setup();
  const { pulumiEnv, LOCAL_DIR } = require("./pulumi-cli");
  const { startEmulator } = require(path.join(ROOT, "dist", "emulator", "index.js"));
  const seedFile = path.join(ROOT, "emulator", "seeds", "demo.json");
  const seed = JSON.parse(fs.readFileSync(seedFile, "utf8"));
  const cred = seed.credentials[0];

  const emulator = await startEmulator({ seed, operationLatencyMs: { min: 300, max: 900 } });
  console.log(`CVM emulator listening on ${emulator.url}`);
  const stateDir = path.join(LOCAL_DIR, "demo-state");
  fs.rmSync(stateDir, { recursive: true, force: true });
  fs.rmSync(path.join(ROOT, `Pulumi.${STACK}.yaml`), { force: true }); // config left by an interrupted run
  const env = pulumiEnv(binDir, {
    stateDir,
    extra: {
      PULUMI_STACK: STACK,
      TENCENTCLOUD_CVM_ENDPOINT: emulator.url,
      TENCENTCLOUD_SKIP_CVM_ROLE: "true",
    },
  });
  // Asynchronous on purpose: the emulator runs in this process and must keep
  // answering while the CLI runs.
  const pulumi = (args, input) =>
    new Promise((resolve, reject) => {
      console.log(`\n$ pulumi ${args.join(" ")}`);
      const child = spawn(path.join(binDir, "pulumi"), args, {
        cwd: ROOT,
        env,
        stdio: [input === undefined ? "inherit" : "pipe", "inherit", "inherit"],
      });
      if (input !== undefined) child.stdin.end(input);
      child.on("error", reject);
      child.on("close", (code) =>
        code === 0 ? resolve() : reject(new Error(`pulumi ${args[0]} failed (exit ${code})`)),
      );
    });
  let failed = false;
  try {
    await pulumi(["stack", "init", STACK, "--non-interactive"]);
    await pulumi(["config", "set", "tencentcloud:region", REGION]);
    await pulumi(["config", "set", "--plaintext", "tencentcloud:secretId", cred.secretId]);
    // Read from stdin so the key never shows in a process list.
    await pulumi(["config", "set", "--secret", "tencentcloud:secretKey"], cred.secretKey);
    const show = async (title) => table(title, await emulator.control.bindings(REGION));
    const set = (key, value) => pulumi(["config", "set", key, JSON.stringify(value)]);
    const up = () => pulumi(["up", "--yes", "--skip-preview", "--non-interactive"]);
    await show(
      "Before `pulumi up` (every instance holds only sg-ops00001, which the program does not manage):",
    );

    step(
      "`pulumi up`: web = ins-demo0001..3, web-canary = ins-demo0006 (both sg-web00001), db = ins-demo0004..5",
    );
    await up();
    await show("After `pulumi up`:");

    step("(1) ins-demo0003 removed from web: an update in place that unbinds only that instance");
    await set("webInstances", ["ins-demo0001", "ins-demo0002"]);
    await pulumi(["preview", "--diff", "--non-interactive"]);
    await up();
    await show("After (1): ins-demo0003 no longer holds sg-web00001; nothing else changed:");

    step("(2) ins-demo0002 moved from web to web-canary: the binding is handed over, never removed");
    await set("webInstances", ["ins-demo0001"]);
    await set("canaryInstances", ["ins-demo0002", "ins-demo0006"]);
    await up();
    await show("After (2): ins-demo0002 still holds sg-web00001, now owned by web-canary:");

    step("(3) db's group changed to sg-db000002: a replace, create-before-delete");
    await pulumi(["config", "set", "dbSecurityGroupId", "sg-db000002"]);
    await pulumi(["preview", "--diff", "--non-interactive"]);
    await up();
    await show("After (3): ins-demo0004..5 hold sg-db000002 (bound before sg-db000001 was unbound):");

    step("(4) `pulumi destroy`: every binding the stack made is removed; sg-ops00001 stays");
    await pulumi(["destroy", "--yes", "--skip-preview", "--non-interactive"]);
    await show("After `pulumi destroy`:");
    await pulumi(["stack", "rm", "--yes", STACK]);
  } catch (e) {
    failed = true;
    console.error(`\ndemo failed: ${e.message}`);
  } finally {
    await emulator.stop();
    console.log("\nemulator stopped");
  }
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
