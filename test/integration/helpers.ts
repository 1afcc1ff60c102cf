// Shared set-up of the integration suites: a real emulator in-process, the
// official SDK over HTTP, `implementation.*` called directly; and the calls
// every suite makes (create, the error of a call, the binding calls sent).

import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { startEmulator, type RunningEmulator, type Seed } from "../../emulator/index";
import { implementation, resetForTests } from "../../provider/impl/index";
import type { AttachmentOutputs } from "../../provider/types";
import { makeSeed, REGION, SECRET_ID, SECRET_KEY, TOKEN } from "./world";

const TUNING_ENV: Record<string, string> = {
  SGATTACH_POLL_INTERVAL_MS: "15",
  SGATTACH_GATHER_WINDOW_MS: "10",
  SGATTACH_GATHER_MAX_MS: "100",
  SGATTACH_RETRY_BASE_DELAY_MS: "10",
  SGATTACH_RETRY_MAX_DELAY_MS: "120",
  SGATTACH_OPERATION_TIMEOUT_MS: "20000",
  SGATTACH_LOST_OPERATION_GRACE_MS: "400",
  SGATTACH_REQUEST_TIMEOUT_MS: "5000",
};

const ENV_KEYS = [
  "TENCENTCLOUD_SECRET_ID",
  "TENCENTCLOUD_SECRET_KEY",
  "TENCENTCLOUD_SECURITY_TOKEN",
  "TENCENTCLOUD_SESSION_TOKEN",
  "TENCENTCLOUD_REGION",
  "TENCENTCLOUD_CVM_ENDPOINT",
  "TENCENTCLOUD_SKIP_CVM_ROLE",
  "SGATTACH_STATS_FILE",
  "SGATTACH_JOURNAL_DIR",
  "http_proxy",
  "HTTP_PROXY",
  "https_proxy",
  "HTTPS_PROXY",
  ...Object.keys(TUNING_ENV),
];

export interface Harness {
  emu: RunningEmulator;
  seed: Seed;
  /** Restores the seed (or `seed`), clears faults/calls, forgets provider state. */
  reset(seed?: Seed): Promise<void>;
  bindings(): Promise<Record<string, string[]>>;
}

export interface HarnessOptions {
  seed?: Seed;
  operationLatencyMs?: number;
  /** Extra environment for the provider (on top of the harness's credentials, endpoint and tuning). */
  env?: Record<string, string>;
}

/**
 * The harness of one test file: started before its tests and stopped after
 * them, and reset before each test, so that every test starts from the seed
 * with no faults, no calls and no provider state. Call it at the top level of
 * the file; the harness is usable inside hooks and tests.
 */
export function useHarness(opts: HarnessOptions = {}): Harness {
  let running: (Harness & { stop(): Promise<void> }) | undefined;
  const live = () => {
    if (!running) throw new Error("the harness is used outside a test (it starts in beforeAll)");
    return running;
  };
  beforeAll(async () => {
    running = await startHarness(opts);
  });
  afterAll(async () => {
    await running?.stop();
    running = undefined;
  });
  beforeEach(() => live().reset());
  return {
    get emu() {
      return live().emu;
    },
    get seed() {
      return live().seed;
    },
    reset: (seed) => live().reset(seed),
    bindings: () => live().bindings(),
  };
}

async function startHarness(opts: HarnessOptions): Promise<Harness & { stop(): Promise<void> }> {
  const saved: Record<string, string | undefined> = {};
  for (const k of ENV_KEYS) saved[k] = process.env[k];
  const seed = opts.seed ?? makeSeed();
  const emu = await startEmulator({
    port: 0,
    seed,
    operationLatencyMs: opts.operationLatencyMs ?? 30,
  });
  for (const k of ["http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "SGATTACH_STATS_FILE"])
    delete process.env[k];
  Object.assign(process.env, {
    TENCENTCLOUD_SECRET_ID: SECRET_ID,
    TENCENTCLOUD_SECRET_KEY: SECRET_KEY,
    TENCENTCLOUD_SECURITY_TOKEN: TOKEN,
    TENCENTCLOUD_REGION: REGION,
    TENCENTCLOUD_CVM_ENDPOINT: emu.url,
    TENCENTCLOUD_SKIP_CVM_ROLE: "true",
    // Each harness its own crash-recovery journal (never the user's ~/.pulumi).
    SGATTACH_JOURNAL_DIR: fs.mkdtempSync(path.join(os.tmpdir(), "sgattach-journal-")),
    ...TUNING_ENV,
    ...(opts.env ?? {}),
  });
  resetForTests();
  let current = seed;
  return {
    emu,
    seed,
    async reset(s?: Seed) {
      current = s ?? seed;
      await emu.control.clearFaults();
      await emu.control.reset(current);
      resetForTests();
      // A new world: intents journalled against the old one must not apply.
      process.env.SGATTACH_JOURNAL_DIR = fs.mkdtempSync(path.join(os.tmpdir(), "sgattach-journal-"));
    },
    async stop() {
      resetForTests();
      await emu.stop();
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    },
    bindings: () => emu.control.bindings(REGION),
  };
}

/** Runs `fn`, expects it to throw, returns the message; asserts no secret leaks. */
export async function errorOf(fn: () => Promise<unknown>): Promise<string> {
  let message: string | undefined;
  try {
    await fn();
  } catch (e) {
    message = (e as Error).message;
    const stack = (e as Error).stack ?? "";
    for (const s of [SECRET_KEY, TOKEN]) {
      if (message.includes(s) || stack.includes(s)) throw new Error(`secret leaked in error: ${message}`);
    }
  }
  if (message === undefined) throw new Error("expected an error, got success");
  return message;
}

export function assertNoSecret(value: unknown): void {
  const text = JSON.stringify(value) ?? "";
  for (const s of [SECRET_KEY, TOKEN]) {
    if (text.includes(s)) throw new Error("secret leaked in output");
  }
}

export async function create(
  securityGroupId: string,
  instanceIds: string[],
  extra: Record<string, unknown> = {},
): Promise<{ id: string; outs: AttachmentOutputs }> {
  const checked = await implementation.check({}, { securityGroupId, instanceIds, ...extra });
  if (checked.failures && checked.failures.length) {
    throw new Error(`check failed: ${JSON.stringify(checked.failures)}`);
  }
  const r = await implementation.create(checked.inputs);
  assertNoSecret(r);
  return r;
}

/** Only our own Associate/Disassociate calls since `seq`. */
export async function bindingCalls(emu: RunningEmulator, sinceSeq = 0) {
  const calls = await emu.control.calls(sinceSeq);
  return calls.filter(
    (c) => c.action === "AssociateSecurityGroups" || c.action === "DisassociateSecurityGroups",
  );
}

export async function lastSeq(emu: RunningEmulator): Promise<number> {
  const calls = await emu.control.calls();
  return calls.length ? calls[calls.length - 1].seq : 0;
}
