// Command line: npm run emulator -- [--host H] [--port N] [--seed FILE] [--state FILE]
//                                   [--latency-ms N|MIN-MAX] [--rate N] [--quiet]
// Prints "CVM emulator listening on http://127.0.0.1:PORT" and one line per API
// call; stops cleanly on SIGINT/SIGTERM.

import { startEmulator, type RunningEmulator } from "./index";
import type { EmulatorOptions, LatencySetting } from "./types";

export const USAGE = `Usage: npm run emulator -- [options]
  --host H              listen address (default 127.0.0.1)
  --port N              port (default 0 = a free port)
  --seed FILE           seed JSON (default emulator/seeds/demo.json)
  --state FILE          persist the world to FILE (loaded on start if it exists)
  --latency-ms N|MIN-MAX  how long Associate/Disassociate stay OPERATING (default 100)
  --rate N              requests/s per action per secretId for every action
  --quiet               do not print one line per API call
  --help                this text`;

export class UsageError extends Error {}

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
        out.rateLimits = {
          AssociateSecurityGroups: n,
          DisassociateSecurityGroups: n,
          DescribeInstances: n,
          "*": n,
        };
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
  try {
    emu = await startEmulator(options);
  } catch (e) {
    process.stderr.write(`emulator failed to start: ${(e as Error).message}\n`);
    process.exitCode = 1;
    return undefined;
  }
  process.stdout.write(`CVM emulator listening on ${emu.url}\n`);
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
