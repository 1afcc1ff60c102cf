// The processes of a CLI run: finding them all by the run's marker (orphans
// included: the dynamic-provider process runs in a process group of its own
// and survives the CLI), killing them, waiting for a condition, and running
// several CLI runs at a time. /proc is read by bench/proc.js, shared with the
// benchmark.
const proc: {
  markedPids(name: string, marker: string): number[];
  processInfo(pid: number): ProcInfo | null;
  killPids(pids: number[]): number[];
} = require("../../bench/proc");

/** The environment variable that marks every process of one run (set by stacks.ts's newStack). */
export const MARK_VAR = "SGREL_MARK";

export interface ProcInfo {
  pid: number;
  ppid: number;
  pgid: number;
  /** The state letter of /proc/<pid>/stat ("Z": a zombie). */
  state: string;
  cmdline: string;
}

/** Every live process (not a zombie) started by a run with this marker, orphans included. */
export function processesOf(mark: string): ProcInfo[] {
  return proc
    .markedPids(MARK_VAR, mark)
    .map((pid) => proc.processInfo(pid))
    .filter((p): p is ProcInfo => p !== null && p.state !== "Z");
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
    const reached = new Set(proc.killPids(procs.map((p) => p.pid)));
    for (const p of procs) if (reached.has(p.pid)) killed.set(p.pid, p);
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

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
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
