// Process-wide counters: `stats()` in the provider process (tests), and the
// JSON lines written to the file named by env SGATTACH_STATS_FILE, which the
// benchmark reads from outside the provider process.

import * as fs from "fs";

export interface Stats {
  pid: number;
  /** Requests sent, per action (every attempt counts). */
  requests: Record<string, number>;
  /** Instance ids carried by those requests, per action. */
  instances: Record<string, number>;
  /** Failed requests per error code. */
  errors: Record<string, number>;
  /** Requests answered RequestLimitExceeded*. */
  throttled: number;
  /** Requests answered busy (InstanceOperationInProgress / TaskRunning). */
  busy: number;
  /** Instances re-sent, any reason (a refused request of two instances sent again counts 2). */
  retries: number;
  /** Batches split because some of their instances failed. */
  splits: number;
  /** Completion polls (each may be several DescribeInstances requests). */
  polls: number;
  /** Provider calls completed, per method and outcome (`create.ok`, `delete.error`...). */
  calls: Record<string, number>;
  /** Time spent waiting for the client-side rate limiter, per action, ms. */
  rateLimitWaitMs: Record<string, number>;
}

function fresh(): Stats {
  return {
    pid: process.pid,
    requests: {},
    instances: {},
    errors: {},
    throttled: 0,
    busy: 0,
    retries: 0,
    splits: 0,
    polls: 0,
    calls: {},
    rateLimitWaitMs: {},
  };
}

let current = fresh();

export const counters = {
  request(action: string, instanceCount: number): void {
    current.requests[action] = (current.requests[action] ?? 0) + 1;
    current.instances[action] = (current.instances[action] ?? 0) + instanceCount;
  },
  error(code: string): void {
    current.errors[code] = (current.errors[code] ?? 0) + 1;
  },
  throttled(): void {
    current.throttled++;
  },
  busy(): void {
    current.busy++;
  },
  retry(): void {
    current.retries++;
  },
  split(): void {
    current.splits++;
  },
  poll(): void {
    current.polls++;
  },
  call(method: string, ok: boolean): void {
    const k = `${method}.${ok ? "ok" : "error"}`;
    current.calls[k] = (current.calls[k] ?? 0) + 1;
  },
  rateLimitWait(action: string, ms: number): void {
    current.rateLimitWaitMs[action] = (current.rateLimitWaitMs[action] ?? 0) + ms;
  },
};

/** A deep copy of the counters. */
export function snapshot(): Stats {
  return JSON.parse(JSON.stringify(current)) as Stats;
}

export function resetStats(): void {
  current = fresh();
}

/** The process's memory, in MB (rounded to 0.1): where a high RSS comes from. */
function memoryMb(): Record<string, number> {
  const m = process.memoryUsage();
  const mb = (x: number) => Math.round(x / 104857.6) / 10;
  let peak: number | undefined;
  try {
    // Linux: the high-water mark the benchmark reports (VmHWM, in kB).
    const kb = /VmHWM:\s+(\d+)/.exec(fs.readFileSync("/proc/self/status", "utf8"));
    if (kb) peak = Math.round(Number(kb[1]) / 102.4) / 10;
  } catch {
    // not Linux
  }
  return {
    ...(peak !== undefined ? { peakRss: peak } : {}),
    rss: mb(m.rss),
    heapTotal: mb(m.heapTotal),
    heapUsed: mb(m.heapUsed),
    external: mb(m.external),
    arrayBuffers: mb(m.arrayBuffers),
  };
}

/**
 * Appends one JSON line `{at, event, stats, memory}` to env SGATTACH_STATS_FILE when
 * set. Failures to write are ignored: statistics must never fail a deployment.
 */
export function writeStatsLine(event: string, env: Record<string, string | undefined> = process.env): void {
  const file = env.SGATTACH_STATS_FILE;
  if (!file) return;
  try {
    fs.appendFileSync(
      file,
      JSON.stringify({ at: new Date().toISOString(), event, stats: snapshot(), memory: memoryMb() }) + "\n",
    );
  } catch {
    // ignore
  }
}
