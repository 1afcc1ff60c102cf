// Library entry of the local Tencent Cloud CVM API emulator.
//
//   const emu = await startEmulator({ operationLatencyMs: 50 });
//   // point the official SDK at it:
//   //   profile: { httpProfile: { endpoint: `127.0.0.1:${emu.port}`, protocol: "http://" } }
//   await emu.control.waitIdle();
//   await emu.stop();
//
// See emulator/README.md for the seed format, the control plane and the
// behaviour decisions.

import { EmulatorControl } from "./controlClient";
import { EmulatorCore } from "./core";
import { EmulatorHttpServer } from "./server";
import type { EmulatorOptions } from "./types";

export type {
  ActionCounters,
  CallRecord,
  Counters,
  EmulatorOptions,
  Fault,
  FaultInfo,
  InstanceSnapshot,
  LatencySetting,
  Mutation,
  OperationState,
  PendingOperationInfo,
  RuntimeConfig,
  RuntimeConfigPatch,
  Seed,
  SecurityGroupSnapshot,
  WorldSnapshot,
} from "./types";
export { EmulatorControl } from "./controlClient";
export type { ConfigPatch } from "./controlClient";
export {
  ERROR_CATALOGUE,
  ERROR_CODES,
  instanceIdsFromMessage,
  instancesPhrase,
  securityGroupsPhrase,
} from "./errors";
export type { ErrorCode } from "./errors";
export { defaultSeedPath } from "./core";

export interface RunningEmulator {
  /** http://HOST:PORT */
  url: string;
  port: number;
  control: EmulatorControl;
  /** Stops timers, flushes the state file, closes the server and its connections. */
  stop(): Promise<void>;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const core = new EmulatorCore(options);
  const http = new EmulatorHttpServer(core);
  const host = options.host ?? "127.0.0.1";
  let port: number;
  try {
    port = await http.listen(host, options.port ?? 0);
  } catch (e) {
    core.shutdown();
    throw e;
  }
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  let stopping: Promise<void> | undefined;
  return {
    url,
    port,
    control: new EmulatorControl(url),
    stop() {
      stopping ??= (async () => {
        await http.close();
        core.shutdown();
      })();
      return stopping;
    },
  };
}
