// `npm run pulumi -- <args>`: the project's Pulumi CLI, obtained on first use,
// run against the local file:// backend (see pulumi-cli.js).
"use strict";
const path = require("path");
const { spawnSync } = require("child_process");
const { ensurePulumi, pulumiEnv } = require("./pulumi-cli");

const binDir = ensurePulumi();
const r = spawnSync(path.join(binDir, "pulumi"), process.argv.slice(2), {
  stdio: "inherit",
  env: pulumiEnv(binDir),
});
process.exit(r.status ?? 1);
