#!/usr/bin/env node
// Command line of the emulator: `npx tencentcloud-cvm-emulator [options]` in a
// project that installed the package (its `bin`), `npm run emulator -- [options]`
// in a clone. Prints "CVM emulator listening on http://127.0.0.1:PORT", the
// environment lines that point the provider at it, then one line per API
// call; stops cleanly on SIGINT/SIGTERM.

import { uniformRateLimits } from "./rateLimiter";
import { loadSeed } from "./core";
import { startEmulator, type RunningEmulator } from "./index";
import type { EmulatorOptions, LatencySetting, Seed } from "./types";

/** Fixed, so that the environment lines stay valid from one start to the next. */
export const DEFAULT_PORT = 18080;

export const USAGE = `Usage: npx tencentcloud-cvm-emulator [options]   (in a clone: npm run emulator -- [options])
  --host H              listen address (default 127.0.0.1)
  --port N              port (default ${DEFAULT_PORT}; 0 = a free port)
  --seed FILE           seed JSON: regions, groups, instances, credentials (default: the demo seed)
  --state FILE          persist the world to FILE (loaded on start if it exists)
  --latency-ms N|MIN-MAX  how long Associate/Disassociate stay OPERATING (default 100)
  --rate N              requests/s per action per secretId for every action
  --quiet               do not print one line per API call
  -h, --help            this text`;

/**
 * What a user sets to point this package's provider at the emulator, and the
 * credentials the official SDK's environment provider reads. The emulator's
 * credentials are made-up ones from its seed, not secrets.
 */
export function environmentLines(url: string, seed: Seed): string[] {
  const cred = seed.credentials?.[0];
  const region = Object.keys(seed.regions ?? {})[0];
  return [
    `export TENCENTCLOUD_CVM_ENDPOINT=${url}`,
    ...(cred
      ? [`export TENCENTCLOUD_SECRET_ID=${cred.secretId}`, `export TENCENTCLOUD_SECRET_KEY=${cred.secretKey}`]
      : []),
    ...(cred?.token ? [`export TENCENTCLOUD_SESSION_TOKEN=${cred.token}`] : []),
    ...(region ? [`export TENCENTCLOUD_REGION=${region}`] : []),
  ];
}

function banner(url: string, seed: Seed): string {
  const host = url.replace(/^http:\/\//, "");
  return [
    "Point the provider at it (and unset http_proxy / https_proxy, which the Tencent Cloud SDK honours):",
    ...environmentLines(url, seed).map((l) => `  ${l}`),
    `The official Node SDK: profile: { httpProfile: { endpoint: "${host}", protocol: "http://" } }.`,
    "",
  ].join("\n");
}

class UsageError extends Error {}

function parseLatency(v: string): LatencySetting {
  const m = /^(\d+)(?:-(\d+))?$/.exec(v);
  if (!m) throw new UsageError(`--latency-ms expects N or MIN-MAX, got ${v}`);
  if (m[2] === undefined) return Number(m[1]);
  const min = Number(m[1]);
  const max = Number(m[2]);
  if (max < min) throw new UsageError(`--latency-ms ${v}: MAX must be >= MIN`);
  return { min, max };
}

export function parseArgs(argv: string[]): EmulatorOptions & { help?: boolean; quiet?: boolean } {
  const out: EmulatorOptions & { help?: boolean; quiet?: boolean } = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf("=");
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      if (eq > 0) return arg.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${name} needs a value`);
      return v;
    };
    switch (name) {
      case "--host":
        out.host = value();
        break;
      case "--port": {
        const v = value();
        if (!/^\d+$/.test(v) || Number(v) > 65535) throw new UsageError(`--port expects 0..65535, got ${v}`);
        out.port = Number(v);
        break;
      }
      case "--seed":
        out.seed = value();
        break;
      case "--state":
        out.stateFile = value();
        break;
      case "--latency-ms":
        out.operationLatencyMs = parseLatency(value());
        break;
      case "--rate": {
        const v = value();
        if (!/^\d+$/.test(v)) throw new UsageError(`--rate expects a non-negative integer, got ${v}`);
        const n = Number(v);
        out.rateLimits = uniformRateLimits(n);
        break;
      }
      case "--quiet":
        out.quiet = true;
        break;
      case "--help":
      case "-h":
        out.help = true;
        break;
      default:
        throw new UsageError(`unknown option ${arg}`);
    }
  }
  return out;
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<RunningEmulator | undefined> {
  let opts: ReturnType<typeof parseArgs>;
  try {
    opts = parseArgs(argv);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
    process.exitCode = 2;
    return undefined;
  }
  if (opts.help) {
    process.stdout.write(USAGE + "\n");
    return undefined;
  }
  const { quiet, help: _help, ...options } = opts;
  if (!quiet) options.log = (line) => process.stdout.write(line + "\n");
  let emu: RunningEmulator;
  let seed: Seed;
  try {
    seed = loadSeed(options.seed);
    emu = await startEmulator({ ...options, seed, port: options.port ?? DEFAULT_PORT });
  } catch (e) {
    const inUse = (e as NodeJS.ErrnoException).code === "EADDRINUSE" ? " (choose another with --port N)" : "";
    process.stderr.write(`emulator failed to start: ${(e as Error).message}${inUse}\n`);
    process.exitCode = 1;
    return undefined;
  }
  process.stdout.write(`CVM emulator listening on ${emu.url}\n${banner(emu.url, seed)}`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`received ${signal}, stopping\n`);
    emu.stop().then(
      () => process.exit(0),
      (e) => {
        process.stderr.write(`error while stopping: ${(e as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
  return emu;
}

if (require.main === module) void main();
