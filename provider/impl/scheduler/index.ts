// The scheduler of the three CVM calls: one per (endpoint, credentials,
// region) in the process, shared by every resource the provider serves. It
// composes one part per job (see docs/design/scheduler.md):
// sequencing.ts (one operation per instance at a time), sending.ts (gather,
// send, split a refused request), polling.ts (completion), lookups.ts
// (coalesced DescribeInstances), all retrying through one RetryPolicy.

import type { InstanceView } from "../api";
import { progress } from "../progress";
import { noRetries, RetryPolicy } from "../retry";
import { Arrivals, engineLoad } from "./gathering";
import { Lookups } from "./lookups";
import { Poller } from "./polling";
import { Sender } from "./sending";
import { Sequencer } from "./sequencing";
import type { Item, OpKind, OpResult, SchedulerDeps } from "./types";

export { ACTION_OF } from "./types";
export type {
  DoneNote,
  FailReason,
  LimiterLike,
  LimiterName,
  OpKind,
  OpResult,
  SchedulerDeps,
} from "./types";
export { bisect, guiltyAction, instanceIdsIn, judge, planBatchError } from "./split";
export type { BatchPlan, GuiltyAction, Verdict } from "./split";
export { ArrivalGaps, EngineLoad, engineLoad, Gather, quietWindowMs } from "./gathering";
export { nextPollDelayMs, OperationDurations } from "./polling";

export class Scheduler {
  private readonly sequencer: Sequencer;
  private readonly sender: Sender;
  private readonly poller: Poller;
  private readonly lookups: Lookups;

  constructor(private readonly deps: SchedulerDeps) {
    const now = deps.now ?? Date.now;
    const tuning = deps.tuning;
    const policy = new RetryPolicy(
      () => {
        const t = tuning();
        return {
          baseDelayMs: t.retryBaseDelayMs,
          maxDelayMs: t.retryMaxDelayMs,
          maxTransientAttempts: t.maxTransientAttempts,
        };
      },
      deps.random ?? Math.random,
      now,
    );
    const arrivals = new Arrivals(deps.load ?? engineLoad, () => tuning().gatherWindowMs, now);
    this.sequencer = new Sequencer(
      (item) => this.sender.start(item),
      (item) => this.poller.forget(item),
    );
    const outcomes = this.sequencer;
    this.lookups = new Lookups({
      transport: deps.transport,
      limiter: () => deps.limiter("describe"),
      tuning,
      now,
      arrivals,
      policy,
      pollDueInMs: () => this.poller.dueInMs(),
    });
    this.poller = new Poller({
      tuning,
      now,
      outcomes,
      lookup: (ids, deadline) => this.lookups.lookup(ids, deadline, true),
      resend: (items) => this.sender.retry(items, 0),
    });
    this.sender = new Sender({
      transport: deps.transport,
      limiter: deps.limiter,
      tuning,
      now,
      outcomes,
      arrivals,
      policy,
      watch: (items, mode) => this.poller.watch(items, mode),
    });
  }

  /** True when nothing is queued, in flight or being polled. */
  idle(): boolean {
    return this.sequencer.empty && this.poller.empty && this.lookups.idle;
  }

  /**
   * Binds (associate) or unbinds (disassociate) `sg` on every instance and
   * resolves with one result per distinct instance id once each has settled.
   * Never rejects: failures are per-instance results.
   */
  run(kind: OpKind, sg: string, instanceIds: string[], deadline: number): Promise<OpResult[]> {
    const ids = [...new Set(instanceIds)];
    const settled = progress.start(kind, sg, ids.length, this.deps.tuning().progressIntervalMs);
    return Promise.all(
      ids.map(
        (id) =>
          new Promise<OpResult>((resolve) => {
            const item: Item = {
              kind,
              sg,
              id,
              deadline,
              resolve: (r) => {
                settled();
                resolve(r);
              },
              mode: "queued",
              requestId: "",
              refusal: null,
              retries: noRetries(),
              reissues: 0,
              mismatchSince: null,
              lastError: null,
              sentAt: 0,
              dueAt: 0,
              unanswered: false,
            };
            this.sequencer.add(item);
          }),
      ),
    );
  }

  /** Looks instances up (see Lookups.lookup). Absent instances map to null. */
  lookup(
    instanceIds: string[],
    deadline?: number,
    forPoll = false,
  ): Promise<Map<string, InstanceView | null>> {
    return this.lookups.lookup(instanceIds, deadline, forPoll);
  }
}
