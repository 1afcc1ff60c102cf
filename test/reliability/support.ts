// Helpers for the reliability suites, on top of the end-to-end harness
// (test/e2e/harness.ts, test/e2e/world.ts), which they reuse as is:
// - stack set-up that stores the (non-secret) secretId in plain text;
// - killing EVERYTHING a CLI run started, including the dynamic-provider
//   process, which runs in a process group of its own and survives the CLI;
// - the invariants every suite checks: the world equals the program, the
//   state equals the world, OTHER_SG is never touched, the secret key never
//   appears anywhere;
// - the provider's statistics (env SGATTACH_STATS_FILE) and the figures file.
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { CallRecord, RunningEmulator } from "../../emulator";
import { REPO_ROOT, TestStack, userProject, type RunResult } from "../e2e/harness";
import { OTHER_SG, REGION, SECRET_ID, SECRET_KEY } from "../e2e/world";

/** Figures of every run, one JSON line per section (ignored by git; `npm run reliability:report` prints them). */
export const RESULTS_FILE = path.join(REPO_ROOT, ".pulumi-local", "reliability", "runs.jsonl");

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

export type Bindings = Record<string, string[]>;

// ---------------------------------------------------------------------------
// Stacks
// ---------------------------------------------------------------------------

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
      SGREL_MARK: mark,
      ...(statsFile ? { SGATTACH_STATS_FILE: statsFile } : {}),
    },
  });
}

export function markOf(stack: TestStack): string {
  return String(stack.env.SGREL_MARK);
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

/** A temporary file for the provider's statistics lines. */
export function tempStatsFile(label: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `sgrel-${label}-`));
  return path.join(dir, "stats.jsonl");
}

// ---------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------

export interface ProcInfo {
  pid: number;
  ppid: number;
  pgid: number;
  cmdline: string;
}

function readProc(pid: number): ProcInfo | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // comm may contain spaces and parentheses: fields after the last ")".
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
    return { pid, ppid: Number(rest[1]), pgid: Number(rest[2]), cmdline };
  } catch {
    return undefined;
  }
}

function hasMark(pid: number, mark: string): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/environ`, "latin1").split("\0").includes(`SGREL_MARK=${mark}`);
  } catch {
    return false;
  }
}

/** Every live process (not a zombie) started by a run with this marker, orphans included. */
export function processesOf(mark: string): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const e of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    if (pid === process.pid || !hasMark(pid, mark)) continue;
    try {
      if (/\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"))) continue;
    } catch {
      continue;
    }
    const info = readProc(pid);
    if (info) out.push(info);
  }
  return out;
}

/**
 * SIGKILLs, by pid, every process of the run (the CLI, the language host, the
 * program, the dynamic-provider process with `cmd/dynamic-provider` in its
 * command line), repeating until none is left. Returns what was killed.
 */
export async function killRun(mark: string): Promise<ProcInfo[]> {
  const killed = new Map<number, ProcInfo>();
  for (let round = 0; round < 50; round++) {
    const procs = processesOf(mark);
    if (procs.length === 0) break;
    for (const p of procs) {
      try {
        process.kill(p.pid, "SIGKILL");
        killed.set(p.pid, p);
      } catch {
        /* gone meanwhile */
      }
    }
    await sleep(50);
  }
  const left = processesOf(mark);
  if (left.length > 0) throw new Error(`processes survived SIGKILL: ${JSON.stringify(left)}`);
  return [...killed.values()];
}

/** Resolves when `pred` holds (polled), rejects after `timeoutMs`. */
export async function waitFor(
  what: string,
  pred: () => Promise<boolean> | boolean,
  timeoutMs = 60_000,
  everyMs = 25,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await pred()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// ---------------------------------------------------------------------------
// World and state
// ---------------------------------------------------------------------------

/** What the world must look like: the seed's groups, then the program's bindings (any order). */
export function expectedBindings(seed: Bindings, attachments: AttachmentSpec[]): Bindings {
  const out: Bindings = {};
  for (const [id, sgs] of Object.entries(seed)) out[id] = [...sgs];
  for (const a of attachments) {
    for (const id of a.instanceIds as string[]) {
      out[id] ??= [];
      if (!out[id].includes(a.securityGroupId as string)) out[id].push(a.securityGroupId as string);
    }
  }
  return out;
}

/**
 * Compares bindings: per instance, the seed's groups must be first and in
 * their seed order (priority of what the program does not manage is kept);
 * the managed groups after them are compared as sets (their order depends on
 * which request landed first).
 */
export function normalise(b: Bindings, seed: Bindings): Bindings {
  const out: Bindings = {};
  for (const id of Object.keys(b).sort()) {
    const fixed = seed[id] ?? [];
    const head = b[id].slice(0, fixed.length);
    const tail = b[id].slice(fixed.length).sort();
    out[id] = [...head, ...tail];
  }
  return out;
}

export async function expectWorld(emulator: RunningEmulator, seed: Bindings, attachments: AttachmentSpec[]) {
  const world = await emulator.control.bindings(REGION);
  expect(normalise(world, seed)).toEqual(normalise(expectedBindings(seed, attachments), seed));
}

/** Bindings of the managed groups in the world: "sg|ins" pairs, sorted. */
export function managedPairs(world: Bindings, seed: Bindings): string[] {
  const out: string[] = [];
  for (const [id, sgs] of Object.entries(world)) {
    const fixed = new Set(seed[id] ?? []);
    for (const sg of sgs) if (!fixed.has(sg)) out.push(`${sg}|${id}`);
  }
  return out.sort();
}

/** Bindings the stack's state claims: "sg|ins" pairs, sorted (duplicates kept, to catch double ownership). */
export async function statePairs(stack: TestStack): Promise<string[]> {
  const out: string[] = [];
  for (const r of await stack.resources()) {
    const o = r.outputs ?? {};
    for (const id of o.instanceIds ?? []) out.push(`${o.securityGroupId}|${id}`);
  }
  return out.sort();
}

/** State and world agree: every managed binding in the world is in the state, exactly once, and the reverse. */
export async function expectStateMatchesWorld(stack: TestStack, emulator: RunningEmulator, seed: Bindings) {
  const world = await emulator.control.bindings(REGION);
  expect(await statePairs(stack)).toEqual(managedPairs(world, seed));
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

/**
 * The unmanaged group OTHER_SG: no API call ever named it, and every instance
 * still has it in first position.
 */
export async function expectOtherSgUntouched(emulator: RunningEmulator, calls?: CallRecord[]) {
  const all = calls ?? (await emulator.control.calls());
  const naming = all.filter(
    (c) =>
      (c.securityGroupIds ?? []).includes(OTHER_SG) && c.action !== "DescribeInstances" && c.action !== "",
  );
  expect(naming).toEqual([]);
  const world = await emulator.control.bindings(REGION);
  const displaced = Object.entries(world).filter(([, sgs]) => sgs[0] !== OTHER_SG);
  expect(displaced).toEqual([]);
}

export function seedBindingsOf(seed: { regions: Record<string, { instances: any[] }> }): Bindings {
  return Object.fromEntries(
    seed.regions[REGION].instances.map((i) => [i.id, [...(i.securityGroupIds ?? [])]]),
  );
}

// ---------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------

/**
 * The "Diagnostics:" section of a CLI run, per resource name:
 *   pulumi-nodejs:dynamic/tencentcloud:SecurityGroupAttachment (name):
 *     error: ...
 */
export function diagnostics(output: string): Record<string, string> {
  const out: Record<string, string> = {};
  const start = output.lastIndexOf("\nDiagnostics:\n");
  if (start < 0) return out;
  let current: string | undefined;
  for (const line of output.slice(start + 14).split("\n")) {
    const header = /^ {2}(\S+) \((.+)\):$/.exec(line);
    if (header) {
      current = header[2];
      out[current] = out[current] ?? "";
      continue;
    }
    if (/^\S/.test(line)) break;
    if (current !== undefined && line.trim() !== "") out[current] += line.trim() + "\n";
  }
  return out;
}

/**
 * Runs `fn` over `items`, at most `limit` at a time. After a failure no new
 * item starts, and the first failure is thrown once the running ones have
 * ended (so that no CLI run outlives the test that started it).
 */
export async function pool<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (next < items.length && !failure) {
      const i = next++;
      try {
        results[i] = await fn(items[i]);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
  return results;
}

/** Fails with the whole output when the run did not fail. */
export function expectFailed(r: RunResult): RunResult {
  if (r.code === 0) throw new Error(`expected the run to fail, but it succeeded:\n${r.all}`);
  return r;
}

/**
 * Every place a secret could leak to, for one stack: everything the CLI
 * printed (the provider's messages and diagnostics included), the raw state
 * files of the backend, and `pulumi stack export` (skipped with
 * `exportToo: false` where the raw files already hold the same checkpoint).
 */
export async function everythingOf(
  stack: TestStack,
  extra: string[] = [],
  exportToo = true,
): Promise<string> {
  let exported = "";
  if (exportToo) {
    try {
      exported = JSON.stringify(await stack.exportState());
    } catch (e) {
      exported = String(e);
    }
  }
  return [stack.transcript.join("\n"), stack.stateFilesText(), exported, ...extra].join("\n");
}

/** The secret key (and any other secrets given) must appear nowhere. */
export function expectNoSecret(text: string, secrets: string[] = [SECRET_KEY]) {
  for (const s of secrets) {
    expect(text.length).toBeGreaterThan(0);
    const at = text.indexOf(s);
    if (at >= 0)
      throw new Error(`secret found in output: ...${text.slice(Math.max(0, at - 200), at + 50)}...`);
  }
}

export { SECRET_ID, SECRET_KEY };

// ---------------------------------------------------------------------------
// Provider statistics and figures
// ---------------------------------------------------------------------------

export interface StatsTotals {
  processes: number;
  /** Requests that failed (and were retried or reported): the sum of `errors`. */
  failedRequests: number;
  requests: Record<string, number>;
  errors: Record<string, number>;
  retries: number;
  throttled: number;
  busy: number;
  splits: number;
  polls: number;
  calls: Record<string, number>;
}

/** Sums the last statistics line of each provider process in the file. */
export function readStats(file: string): StatsTotals {
  const last = new Map<number, any>();
  if (fs.existsSync(file)) {
    for (const line of fs.readFileSync(file, "utf8").split("\n")) {
      if (!line.trim()) continue;
      const { stats } = JSON.parse(line);
      last.set(stats.pid, stats);
    }
  }
  const t: StatsTotals = {
    processes: last.size,
    failedRequests: 0,
    requests: {},
    errors: {},
    retries: 0,
    throttled: 0,
    busy: 0,
    splits: 0,
    polls: 0,
    calls: {},
  };
  const add = (into: Record<string, number>, from: Record<string, number> = {}) => {
    for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
  };
  for (const s of last.values()) {
    add(t.requests, s.requests);
    add(t.errors, s.errors);
    add(t.calls, s.calls);
    t.retries += s.retries;
    t.throttled += s.throttled;
    t.busy += s.busy;
    t.splits += s.splits;
    t.polls += s.polls;
  }
  t.failedRequests = Object.values(t.errors).reduce((a, b) => a + b, 0);
  return t;
}

/** The counters of `after` minus those of `before` (for one phase of a run). */
export function statsDelta(after: StatsTotals, before: StatsTotals): StatsTotals {
  const sub = (a: Record<string, number>, b: Record<string, number>) =>
    Object.fromEntries(
      Object.entries(a)
        .map(([k, v]) => [k, v - (b[k] ?? 0)] as const)
        .filter(([, v]) => v !== 0),
    );
  return {
    processes: after.processes - before.processes,
    failedRequests: after.failedRequests - before.failedRequests,
    requests: sub(after.requests, before.requests),
    errors: sub(after.errors, before.errors),
    retries: after.retries - before.retries,
    throttled: after.throttled - before.throttled,
    busy: after.busy - before.busy,
    splits: after.splits - before.splits,
    polls: after.polls - before.polls,
    calls: sub(after.calls, before.calls),
  };
}

/** Appends one section's figures to RESULTS_FILE (read by test/reliability/report.js). */
export function recordResult(section: string, data: unknown): void {
  fs.mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
  fs.appendFileSync(
    RESULTS_FILE,
    JSON.stringify({ section, recordedAt: new Date().toISOString(), data }) + "\n",
  );
}

/** Wall-clock timing of an async step. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = Date.now();
  const value = await fn();
  return { value, ms: Date.now() - t0 };
}

export { OTHER_SG, REGION };
