// `npm run demo`: the main job. Starts the embedded CVM emulator, runs the
// demo program (Pulumi.yaml → examples/demo) through `pulumi up`, shows each
// instance's security groups, runs `pulumi destroy`, shows them again, and
// stops the emulator. Everything stays on loopback and in .pulumi-local/.
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
    table("Before `pulumi up`:", await emulator.control.bindings(REGION));
    await pulumi(["up", "--yes", "--skip-preview", "--non-interactive"]);
    table("After `pulumi up`:", await emulator.control.bindings(REGION));
    await pulumi(["destroy", "--yes", "--skip-preview", "--non-interactive"]);
    table("After `pulumi destroy`:", await emulator.control.bindings(REGION));
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
