#!/usr/bin/env node
// Runs the local CVM API emulator:
//   npm run emulator -- [--port N] [--seed FILE] [--state FILE] [--latency-ms N|MIN-MAX] [--rate N] [--quiet]
// Uses the built dist/emulator/cli.js when present. Otherwise (fresh clone, no
// build step) it transpiles emulator/**/*.ts with the TypeScript compiler from
// node_modules into node_modules/.cache/cvm-emulator/<hash of the sources>/ and
// runs that; the cache makes later starts fast. If the cache cannot be written
// it falls back to ts-node (transpile-only).
// EMULATOR_FROM_SOURCE=1 ignores dist/ (always run the current sources).
import { createHash } from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(join(root, "package.json"));
const built = join(root, "dist", "emulator", "cli.js");

function sources(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") && !e.name.endsWith(".test.ts")) out.push(p);
  }
  return out.sort();
}

function compileToCache() {
  const srcRoot = join(root, "emulator");
  const files = sources(srcRoot);
  const hash = createHash("sha256");
  for (const f of files) {
    const st = statSync(f);
    hash.update(`${relative(root, f)}\0${st.size}\0${st.mtimeMs}\n`);
  }
  const cacheRoot = join(root, "node_modules", ".cache", "cvm-emulator");
  const dir = join(cacheRoot, hash.digest("hex").slice(0, 16));
  const entry = join(dir, "emulator", "cli.js");
  if (existsSync(entry)) return entry;
  const ts = require("typescript");
  const tmp = `${dir}.tmp-${process.pid}`;
  for (const f of files) {
    const out = ts.transpileModule(readFileSync(f, "utf8"), {
      fileName: f,
      compilerOptions: {
        module: ts.ModuleKind.CommonJS,
        target: ts.ScriptTarget.ES2022,
        esModuleInterop: true,
        sourceMap: false,
      },
    });
    const target = join(tmp, relative(root, f)).replace(/\.ts$/, ".js");
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, out.outputText);
  }
  cpSync(join(srcRoot, "seeds"), join(tmp, "emulator", "seeds"), { recursive: true });
  try {
    renameSync(tmp, dir);
  } catch {
    rmSync(tmp, { recursive: true, force: true }); // another process won the race
  }
  for (const old of readdirSync(cacheRoot)) {
    if (join(cacheRoot, old) !== dir && !old.includes(".tmp-"))
      rmSync(join(cacheRoot, old), { recursive: true, force: true });
  }
  return entry;
}

let cli;
if (existsSync(built) && process.env.EMULATOR_FROM_SOURCE !== "1") {
  cli = require(built);
} else {
  let entry;
  try {
    entry = compileToCache();
  } catch (e) {
    process.stderr.write(`emulator: compile cache unavailable (${e.message}); using ts-node\n`);
  }
  if (entry) {
    cli = require(entry);
  } else {
    process.env.TS_NODE_PROJECT ??= join(root, "tsconfig.json");
    process.env.TS_NODE_TRANSPILE_ONLY = "true";
    require("ts-node/register/transpile-only");
    cli = require(join(root, "emulator", "cli.ts"));
  }
}
await cli.main(process.argv.slice(2));
