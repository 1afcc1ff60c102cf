// Coalesced DescribeInstances: every look-up and every poll of the process's
// scheduler shares requests of up to `maxBatchSize` ids; failed requests are
// retried as the retry policy decides.

import { CvmTransport, InstanceView, toApiError } from "../api";
import type { Ticket } from "../rate-limit";
import { noRetries, RetryPolicy } from "../retry";
import type { Tuning } from "../settings";
import { counters } from "../stats";
import { Arrivals, Gather } from "./gathering";
import type { LimiterLike } from "./types";

/** Look-ups are cheap (higher limit, no asynchronous operation): they never gather longer than this. */
const LOOKUP_GATHER_MAX_MS = 1_000;

type Views = Map<string, InstanceView | null>;

/** One caller's look-up: settled once every id it asked for has been seen. */
interface Waiter {
  pending: Set<string>;
  result: Views;
  resolve: (m: Views) => void;
  reject: (e: unknown) => void;
  settled: boolean;
  deadline: number;
}

export interface LookupsContext {
  transport: CvmTransport;
  limiter: () => LimiterLike;
  tuning: () => Tuning;
  now: () => number;
  arrivals: Arrivals;
  policy: RetryPolicy;
  /** How soon the next completion poll fires (Infinity: none armed). */
  pollDueInMs: () => number;
}

export class Lookups {
  private readonly waiters = new Map<string, Waiter[]>();
  private flushScheduled = false;
  private readonly gather: Gather;
  private inflight = 0;

  constructor(private readonly cx: LookupsContext) {
    this.gather = new Gather(() => {
      this.flushScheduled = true;
      void this.flush();
    }, cx.now);
  }

  get idle(): boolean {
    return this.waiters.size === 0 && this.inflight === 0 && !this.flushScheduled && !this.gather.pending;
  }

  /**
   * Looks instances up; absent instances map to null. Rejects on a
   * non-retryable error or when retries run past the deadline. Look-ups gather
   * like binds (see `quietWindowMs`), within `LOOKUP_GATHER_MAX_MS`. A poll
   * (`forPoll`) is already timed and goes at once, taking the look-ups that
   * wait along; a look-up that arrives when a poll is due within
   * `pollIntervalMs` waits for it.
   */
  lookup(instanceIds: string[], deadline?: number, forPoll = false): Promise<Views> {
    const ids = [...new Set(instanceIds)];
    if (ids.length === 0) return Promise.resolve(new Map());
    return new Promise((resolve, reject) => {
      const t = this.cx.tuning();
      const waiter: Waiter = {
        pending: new Set(ids),
        result: new Map(),
        resolve,
        reject,
        settled: false,
        deadline: deadline ?? this.cx.now() + t.operationTimeoutMs,
      };
      for (const id of ids) {
        const list = this.waiters.get(id);
        if (list) list.push(waiter);
        else this.waiters.set(id, [waiter]);
      }
      const maxMs = Math.min(t.gatherMaxMs, LOOKUP_GATHER_MAX_MS);
      let quiet = forPoll ? 0 : this.cx.arrivals.quietMs("lookup", maxMs, t.describeRps);
      // A poll due within one poll interval takes this look-up along: wait for
      // it rather than send a request of our own (if it comes to nothing, the
      // look-up goes on its own just after).
      if (!forPoll) {
        const pollIn = this.cx.pollDueInMs();
        if (pollIn <= t.pollIntervalMs) quiet = Math.min(maxMs, Math.max(quiet, pollIn + 1));
      }
      this.scheduleFlush(this.waiters.size >= t.maxBatchSize ? 0 : quiet, maxMs);
    });
  }

  private scheduleFlush(quietMs: number, maxMs = quietMs): void {
    if (this.flushScheduled) return;
    this.gather.poke(quietMs, maxMs);
  }

  private async flush(): Promise<void> {
    const limiter = this.cx.limiter();
    const ticket = await limiter.acquire();
    const max = this.cx.tuning().maxBatchSize;
    const chunk = new Map<string, Waiter[]>();
    // (Deleting the entry being visited is safe while iterating a Map.)
    for (const [id, list] of this.waiters) {
      const live = list.filter((w) => !w.settled);
      if (live.length === 0) {
        this.waiters.delete(id);
        continue;
      }
      if (chunk.size >= max) break;
      chunk.set(id, live);
      this.waiters.delete(id);
    }
    this.flushScheduled = false;
    if (this.waiters.size > 0) this.scheduleFlush(0);
    if (chunk.size === 0) {
      ticket.cancel();
      return;
    }
    this.inflight++;
    try {
      await this.describe(chunk, ticket, limiter);
    } catch (bug) {
      const err = toApiError("DescribeInstances", bug);
      for (const list of chunk.values()) for (const w of list) rejectWaiter(w, err);
    } finally {
      this.inflight--;
    }
  }

  /** Sends one DescribeInstances for `chunk`, retrying until it is answered or the policy gives up. */
  private async describe(chunk: Map<string, Waiter[]>, ticket: Ticket, limiter: LimiterLike): Promise<void> {
    const ids = [...chunk.keys()];
    const waiters = new Set<Waiter>();
    for (const list of chunk.values()) for (const w of list) waiters.add(w);
    const deadline = Math.max(...[...waiters].map((w) => w.deadline));
    const retries = noRetries();
    for (;;) {
      try {
        const views = await this.cx.transport.describe(ids);
        ticket.done();
        const byId = new Map(views.map((v) => [v.instanceId, v] as const));
        for (const [id, list] of chunk) {
          const v = byId.get(id) ?? null;
          for (const w of list) {
            if (w.settled) continue;
            w.result.set(id, v);
            w.pending.delete(id);
            if (w.pending.size === 0) {
              w.settled = true;
              w.resolve(w.result);
            }
          }
        }
        return;
      } catch (e) {
        ticket.done();
        const d = this.cx.policy.decideOne(retries, deadline, toApiError("DescribeInstances", e));
        if (d.giveUp) {
          for (const w of waiters) rejectWaiter(w, d.giveUp);
          return;
        }
        if (d.cls === "throttling") limiter.penalize(d.delayMs);
        counters.retry();
        await new Promise((r) => setTimeout(r, d.delayMs));
        ticket = await limiter.acquire();
      }
    }
  }
}

/** Rejects a waiter that is not settled yet. */
function rejectWaiter(w: Waiter, err: unknown): void {
  if (w.settled) return;
  w.settled = true;
  w.reject(err);
}
