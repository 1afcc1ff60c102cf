// The provider's statistics (one JSON line per provider process, in the file
// env SGATTACH_STATS_FILE names): totals and the change over one phase.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Stats } from "../../provider/impl/stats";

/** A temporary file for the provider's statistics lines. */
export function tempStatsFile(label: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `sgrel-${label}-`));
  return path.join(dir, "stats.jsonl");
}

/** The provider's counters summed over its processes (see provider/impl/stats.ts). */
type StatsTotals = Pick<
  Stats,
  "requests" | "errors" | "retries" | "throttled" | "busy" | "splits" | "polls" | "calls"
> & {
  processes: number;
  /** Requests that failed (and were retried or reported): the sum of `errors`. */
  failedRequests: number;
};

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
