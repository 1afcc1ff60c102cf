// Stacks of the reliability suites, on top of the end-to-end harness
// (test/e2e/harness.ts): a marker on every CLI run, config and the program's
// spec in plain text, and the repair of a checkpoint a kill left broken.
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import type { RunningEmulator } from "../../emulator";
import { TestStack, userProject } from "../e2e/harness";
import { providerEnv, stackConfig, stackSecrets } from "../e2e/world";
import { MARK_VAR } from "./processes";

/** A binding spec as the fixture program takes it (stack config `spec`). */
export interface AttachmentSpec {
  name: string;
  securityGroupId: unknown;
  instanceIds: unknown;
  region?: unknown;
  adoptExisting?: unknown;
  deleteBeforeReplace?: boolean;
  dependsOnPrevious?: boolean;
}

/**
 * A TestStack whose every CLI run carries a unique marker in its environment
 * (SGREL_MARK), inherited by everything the CLI starts: the language host, the
 * program, and the dynamic-provider process. That is how a crash test finds
 * and kills the whole tree, orphans included, and nothing else.
 */
export function newStack(env: Record<string, string | undefined>, statsFile?: string): TestStack {
  const mark = `sgrel-${crypto.randomBytes(6).toString("hex")}`;
  return new TestStack({
    projectDir: userProject(),
    env: {
      // Pulumi's own switch: run the TypeScript program without type-checking
      // it (halves the start-up of every preview/up; the program is fixed).
      PULUMI_NODEJS_TRANSPILE_ONLY: "true",
      ...env,
      [MARK_VAR]: mark,
      ...(statsFile ? { SGATTACH_STATS_FILE: statsFile } : {}),
    },
  });
}

export function markOf(stack: TestStack): string {
  return String(stack.env[MARK_VAR]);
}

/**
 * A new stack pointed at `emulator`, initialised with the suites' config and
 * secrets and the program `attachments` (`env`: extra environment for its runs).
 */
export async function stackOn(
  emulator: RunningEmulator,
  attachments: AttachmentSpec[],
  env: Record<string, string> = {},
  statsFile?: string,
): Promise<TestStack> {
  const stack = newStack({ ...providerEnv(emulator), ...env }, statsFile);
  await initStack(stack, stackConfig, stackSecrets, attachments);
  return stack;
}

/**
 * `pulumi stack init`, plain config (and the program's spec) in one
 * `config set-all --plaintext`, secrets on stdin like TestStack.init does
 * (never on a command line: process lists, transcripts).
 */
export async function initStack(
  stack: TestStack,
  config: Record<string, string>,
  secrets: Record<string, string>,
  attachments?: AttachmentSpec[],
): Promise<void> {
  await stack.ok(["stack", "init", stack.stack, "--non-interactive"]);
  const args = ["config", "set-all", "--stack", stack.stack];
  for (const [k, v] of Object.entries(config)) args.push("--plaintext", `${k}=${v}`);
  if (attachments) args.push("--plaintext", `spec=${JSON.stringify({ attachments })}`);
  if (args.length > 4) await stack.ok(args);
  for (const [k, v] of Object.entries(secrets))
    await stack.ok(["config", "set", "--stack", stack.stack, "--secret", k], { input: v });
}

export async function setSpec(stack: TestStack, attachments: AttachmentSpec[]): Promise<void> {
  await stack.ok([
    "config",
    "set",
    "--stack",
    stack.stack,
    "--plaintext",
    "spec",
    JSON.stringify({ attachments }),
  ]);
}

/**
 * A SIGKILL can land while the CLI writes its file backend: the checkpoint
 * is written to a temporary file and renamed (atomic), but its `.attrs`
 * sidecar is not, and an empty sidecar makes every later command fail with
 * "failed to load checkpoint: EOF". The repair (documented in the README):
 * delete empty `.attrs` files under `.pulumi/stacks`; if that is not enough,
 * put back `<stack>.json.bak` (the previous checkpoint). Returns what was done.
 */
export async function repairCheckpoint(stack: TestStack): Promise<string | undefined> {
  const probe = await stack.run(["stack", "export"]);
  if (probe.code === 0) return undefined;
  if (!/failed to load checkpoint/.test(probe.all)) throw new Error(`stack export failed:\n${probe.all}`);
  const dir = path.join(stack.stateDir, ".pulumi", "stacks");
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else files.push(p);
    }
  };
  walk(dir);
  const emptyAttrs = files.filter((f) => f.endsWith(".attrs") && fs.statSync(f).size === 0);
  for (const f of emptyAttrs) fs.rmSync(f);
  if (emptyAttrs.length > 0 && (await stack.run(["stack", "export"])).code === 0) {
    return `removed empty ${emptyAttrs.map((f) => path.basename(f)).join(", ")}`;
  }
  const checkpoint = files.find((f) => f.endsWith(`${path.sep}${stack.stack}.json`));
  if (!checkpoint || !fs.existsSync(`${checkpoint}.bak`))
    throw new Error(`no checkpoint backup to restore:\n${probe.all}`);
  fs.copyFileSync(`${checkpoint}.bak`, checkpoint);
  fs.rmSync(`${checkpoint}.attrs`, { force: true });
  const again = await stack.run(["stack", "export"]);
  if (again.code !== 0) throw new Error(`the checkpoint could not be repaired:\n${again.all}`);
  return `restored ${path.basename(checkpoint)}.bak (files: ${files.map((f) => `${path.basename(f)}=${fs.existsSync(f) ? fs.statSync(f).size : "gone"}`).join(", ")})`;
}

/** Pending operations recorded in the state (left by an interrupted run). */
export async function pendingOperations(stack: TestStack): Promise<any[]> {
  const st = await stack.exportState();
  return st.deployment.pending_operations ?? [];
}
