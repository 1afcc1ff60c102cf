// Request coalescing, per-instance sequencing, completion polling and
// failure splitting for the three CVM calls.
//
// One Scheduler exists per (endpoint, credentials, region) in the process and
// is shared by every resource the provider process serves:
//
// - bind/unbind work is queued per instance: the next operation on an
//   instance starts only after the previous one's asynchronous operation has
//   settled, so our own operations never make each other "busy";
// - operations that are ready at the same moment for the same (action, SG) -
//   from different resources or from one resource's many instances - wait a
//   short gather window (plus however long the rate limiter makes them wait)
//   and go out as ONE request of up to 100 instances;
// - a failed request is split: the instances the error names (or, when the
//   message names none, halves found by bisection) get their own answer, the
//   others are re-sent;
// - completion is observed by ONE poll loop for every waiting operation, whose
//   DescribeInstances look-ups are coalesced with everybody else's (≤100 ids
//   per request); an operation is first polled when the quickest recent ones
//   had settled, then more rarely as it ages.

import { ApiError, LOCAL_CODES } from "./errors";
import { isolationSplit } from "./isolate";
import { CvmTransport, InstanceView, toApiError } from "./api";
import type { Ticket } from "./rate-limit";
import { backoffDelay, classifyError, timeoutError } from "./retry";
import type { Tuning } from "./settings";
import { counters } from "./stats";
import { progress } from "./progress";

export type OpKind = "associate" | "disassociate";
export type LimiterName = OpKind | "describe";

export const ACTION_OF: Record<LimiterName, string> = {
  associate: "AssociateSecurityGroups",
  disassociate: "DisassociateSecurityGroups",
  describe: "DescribeInstances",
};

/** Why an operation ended well. */
export type DoneNote = "applied" | "alreadyInState" | "instanceGone" | "securityGroupGone";
/** Why an operation ended badly. */
export type FailReason =
  | "instanceNotFound"
  | "securityGroupNotFound"
  | "limitExceeded"
  | "operationFailed"
  | "rejected"
  | "timeout"
  | "notApplied";

/**
 * `unanswered`: a request of ours for this instance got no reply (a network
 * error or a non-200 reply): the API may have applied it without telling us.
 */
export type OpResult =
  | {
      instanceId: string;
      ok: true;
      note: DoneNote;
      instance: InstanceView | null;
      requestId: string;
      unanswered?: boolean;
    }
  | {
      instanceId: string;
      ok: false;
      reason: FailReason;
      error: ApiError;
      requestId: string;
      unanswered?: boolean;
    };

// ---------------------------------------------------------------------------
// Pure split logic
// ---------------------------------------------------------------------------

/** Instance ids named in an error message, in order, without duplicates. */
export function instanceIdsIn(message: string): string[] {
  const found = message.match(/ins-[a-z0-9]{8}(?![a-z0-9])/g) ?? [];
  return [...new Set(found)];
}

export type GuiltyAction =
  | { type: "retryBusy" }
  | { type: "fail"; reason: FailReason }
  | { type: "done"; note: DoneNote }
  /** Look at the instance: if it is already as wanted, fine; otherwise fail with the error. */
  | { type: "verify" };

/** What an instance-scoped error means for the instances it concerns; null when the code is not instance-scoped. */
export function guiltyAction(kind: OpKind, code: string): GuiltyAction | null {
  switch (code) {
    case "InvalidInstanceId.NotFound":
      return kind === "associate"
        ? { type: "fail", reason: "instanceNotFound" }
        : { type: "done", note: "instanceGone" };
    case "InvalidInstanceId.Malformed":
    case "InvalidParameterValue.InstanceIdMalformed":
      return { type: "fail", reason: "rejected" };
    case "LimitExceeded.AssociateUSGLimitExceeded":
      return { type: "fail", reason: "limitExceeded" };
    case "OperationDenied.InstanceOperationInProgress":
    case "MutexOperation.TaskRunning":
      return { type: "retryBusy" };
    case "FailedOperation.SecurityGroupActionFailed":
      // Associating a group already bound / disassociating one not bound may
      // be refused with this code: the instance is then already as we want.
      return { type: "verify" };
  }
  if (code.startsWith("UnsupportedOperation")) return { type: "fail", reason: "rejected" };
  return null;
}

export type BatchPlan =
  | { type: "retry"; cls: "throttling" | "transient" | "busy" }
  | { type: "all"; action: GuiltyAction }
  | { type: "blame"; guilty: string[]; innocent: string[]; action: GuiltyAction }
  | { type: "bisect"; halves: [string[], string[]] };

export function bisect<T>(items: T[]): [T[], T[]] {
  const mid = Math.ceil(items.length / 2);
  return [items.slice(0, mid), items.slice(mid)];
}

/**
 * Decides what to do with a failed batch request. The API rejects a request
 * as a whole, so instances not concerned by the error were not touched and can
 * be sent again.
 */
export function planBatchError(kind: OpKind, ids: string[], err: ApiError): BatchPlan {
  const code = err.code;
  if (code === "InvalidSecurityGroupId.NotFound") {
    return {
      type: "all",
      action:
        kind === "disassociate"
          ? { type: "done", note: "securityGroupGone" }
          : { type: "fail", reason: "securityGroupNotFound" },
    };
  }
  const cls = classifyError(err);
  if (cls === "throttling" || cls === "transient") return { type: "retry", cls };
  if (code === "InvalidParameterValue.LimitExceeded" && ids.length > 1) {
    return { type: "bisect", halves: bisect(ids) };
  }
  const action = guiltyAction(kind, code);
  if (action) {
    const inBatch = new Set(ids);
    const named = instanceIdsIn(err.apiMessage).filter((id) => inBatch.has(id));
    if (named.length > 0) {
      const guilty = new Set(named);
      return { type: "blame", guilty: named, innocent: ids.filter((id) => !guilty.has(id)), action };
    }
    if (ids.length === 1) return { type: "all", action };
    // An identical job is running: the whole request is concerned.
    if (code === "MutexOperation.TaskRunning") return { type: "retry", cls: "busy" };
    return { type: "bisect", halves: bisect(ids) };
  }
  if (cls === "busy") return { type: "retry", cls: "busy" };
  // An error naming no culprit in a shared request (CAM deny, quota): split it.
  const halves = isolationSplit(ids, code, instanceIdsIn(err.apiMessage));
  if (halves) return { type: "bisect", halves };
  return { type: "all", action: { type: "fail", reason: "rejected" } };
}

/**
 * Judges one waiting operation from a DescribeInstances view.
 * - "wait": not settled yet;
 * - "done"/"fail": settled;
 * - "lost": the instance is idle, not in the wanted state, and our RequestId is
 *   not (or no longer) the latest operation: the request may have been lost.
 */
export type Verdict =
  | { type: "wait" }
  | { type: "done"; note: DoneNote }
  | { type: "fail"; reason: FailReason; message: string }
  | { type: "lost" };

export function judge(
  kind: OpKind,
  securityGroupId: string,
  requestId: string,
  view: InstanceView | null,
  verifying: boolean,
): Verdict {
  if (!view) {
    return kind === "associate"
      ? { type: "fail", reason: "instanceNotFound", message: "the instance no longer exists" }
      : { type: "done", note: "instanceGone" };
  }
  const holds = view.securityGroupIds.includes(securityGroupId);
  const wanted = kind === "associate" ? holds : !holds;
  const ours = requestId !== "" && view.latestOperationRequestId === requestId;
  const state = view.latestOperationState;
  if (ours) {
    if (state === "OPERATING") return { type: "wait" };
    if (state === "FAILED") {
      return {
        type: "fail",
        reason: "operationFailed",
        message: view.latestOperationErrorMsg || "the asynchronous operation ended in FAILED",
      };
    }
    if (wanted) return { type: "done", note: "applied" };
    return {
      type: "fail",
      reason: "notApplied",
      message:
        `the operation reported ${state || "completion"} but the instance ` +
        (kind === "associate" ? "does not hold" : "still holds") +
        ` ${securityGroupId}; something else changed it meanwhile`,
    };
  }
  if (state === "OPERATING") return { type: "wait" };
  if (wanted) return { type: "done", note: verifying || requestId === "" ? "alreadyInState" : "applied" };
  if (verifying) return { type: "fail", reason: "rejected", message: "" };
  return { type: "lost" };
}

// ---------------------------------------------------------------------------
// The scheduler
// ---------------------------------------------------------------------------

interface Item {
  kind: OpKind;
  sg: string;
  id: string;
  deadline: number;
  resolve: (r: OpResult) => void;
  phase: "queued" | "ready" | "sending" | "waiting" | "done";
  notBefore: number;
  transientFailures: number;
  busyAttempts: number;
  throttleAttempts: number;
  reissues: number;
  requestId: string;
  verifyError: ApiError | null;
  mismatchSince: number | null;
  lastError: ApiError | null;
  timer: NodeJS.Timeout | null;
  /** When the request this item waits on was accepted (or its verification began). */
  sentAt: number;
  /** When the item wants its next poll. */
  dueAt: number;
  /** A request for it got no reply (see OpResult). */
  unanswered: boolean;
}

interface Batch {
  kind: OpKind;
  sg: string;
  items: Item[];
  /** A flush has started (it may be waiting for a rate-limit ticket): it takes whatever joins meanwhile. */
  flushing: boolean;
  gather: Gather;
}

/**
 * A debounced trigger: fires `quietMs` after the last poke, but never later
 * than `maxMs` after the first one. Work for many resources reaches the
 * provider spread over hundreds of milliseconds (the engine starts each
 * resource's create on its own), while each asynchronous operation then takes
 * seconds: waiting for the stream to pause is what lets 200 one-instance
 * resources share a handful of requests, at the cost of a fraction of one
 * operation's latency.
 */
export class Gather {
  private timer: NodeJS.Timeout | null = null;
  private firstAt = 0;
  constructor(
    private readonly fire: () => void,
    private readonly now: () => number,
  ) {}
  poke(quietMs: number, maxMs: number): void {
    const now = this.now();
    if (this.timer) clearTimeout(this.timer);
    else this.firstAt = now;
    const due = Math.min(now + quietMs, this.firstAt + Math.max(maxMs, quietMs));
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.fire();
      },
      Math.max(0, due - now),
    );
  }
  get pending(): boolean {
    return this.timer !== null;
  }
}

/**
 * How many resource operations (create/update/delete/read) the engine has
 * handed this provider process at once: now, and the most so far. With
 * `--parallel N` the engine never has more than N in flight, so once the
 * count is back at its high-water mark every operation it can give us is
 * already here and waiting for more cannot make a request fuller.
 */
export class EngineLoad {
  private activeOps = 0;
  private highWaterOps = 0;
  private grewAt = -Infinity;
  /** While the high-water mark rose this recently, the engine is still handing out its first operations. */
  static readonly RAMP_MS = 1_000;
  constructor(private readonly now: () => number = Date.now) {}
  enter(): void {
    this.activeOps++;
    if (this.activeOps > this.highWaterOps) {
      this.highWaterOps = this.activeOps;
      this.grewAt = this.now();
    }
  }
  leave(): void {
    if (this.activeOps > 0) this.activeOps--;
  }
  get active(): number {
    return this.activeOps;
  }
  get highWater(): number {
    return this.highWaterOps;
  }
  /**
   * True while the high-water mark rose within `RAMP_MS` and a second
   * operation has come: the engine is still handing out its first operations.
   * A lone operation is not a ramp: a deployment of one resource (or a first
   * arrival that nothing follows within the base window) would otherwise wait
   * a stretched window for its look-up and again for its bind, about 0.4 s of
   * nothing (measured on the one-resource scenario (c)). When a second one
   * comes, its arrival stretches the window still open.
   */
  get ramping(): boolean {
    return this.highWaterOps >= 2 && this.now() - this.grewAt < EngineLoad.RAMP_MS;
  }
  /**
   * True when waiting for more operations can make a request fuller *and* is
   * worth it: the engine is still ramping up, or it has fewer operations with
   * us than it has had and its parallelism is above `perSecondLimit`.
   *
   * Why the limit: every operation holds one of the engine's slots until its
   * asynchronous operation settles (a second or more), so with no more slots
   * than the action's requests per second, one request per arrival can never
   * reach the limit. Gathering would only hold the engine's next work back:
   * at the default `--parallel` (4 × cores) each round of operations then
   * went out and finished together, and the engine's serial per-resource
   * work (it rewrites the checkpoint after each step) never overlapped ours.
   */
  slackAbove(perSecondLimit: number): boolean {
    if (this.ramping) return true;
    return this.activeOps < this.highWaterOps && this.highWaterOps > perSecondLimit;
  }
}

/** The provider process's one engine load (entered and left by the provider's CRUD methods). */
export const engineLoad = new EngineLoad();

/** A stream of arrivals for one (action, SG): a smoothed gap between them. */
export class ArrivalGaps {
  private last = -Infinity;
  private smoothed: number | undefined;
  /** Gaps longer than this start a new stream (the smoothed gap is forgotten). */
  static readonly RESET_MS = 5_000;
  note(now: number): void {
    const gap = now - this.last;
    this.last = now;
    // Items of one call arrive in the same tick: that is one arrival.
    if (gap < 1) return;
    if (gap > ArrivalGaps.RESET_MS) this.smoothed = undefined;
    else this.smoothed = this.smoothed === undefined ? gap : 0.7 * this.smoothed + 0.3 * gap;
  }
  get gapMs(): number | undefined {
    return this.smoothed;
  }
  idleSince(now: number): number {
    return now - this.last;
  }
}

/**
 * How long a batch waits for the next arrival before it goes. The base window
 * suits bursts (and tests). While more work is worth waiting for (`slack`,
 * see `EngineLoad.slackAbove`) and the stream for this group is a trickle,
 * the window stretches to a few of its gaps so that a request is not sent
 * between two of them: at `--parallel 64` the engine hands over resources one
 * by one as earlier ones finish, tens of milliseconds apart. Otherwise the
 * base window stands.
 */
export function quietWindowMs(
  baseMs: number,
  maxMs: number,
  gapMs: number | undefined,
  slack: boolean,
): number {
  if (!slack) return baseMs;
  const cap = Math.max(baseMs, Math.min(STRETCH_CAP_MS, maxMs / 2));
  // No stream measured yet (the first work for this group): more is likely
  // on its way, at an unknown pace; a few base windows.
  if (gapMs === undefined) return Math.min(cap, STRETCH_FACTOR * baseMs);
  return Math.min(cap, Math.max(baseMs, STRETCH_FACTOR * gapMs));
}

const STRETCH_FACTOR = 3;
const STRETCH_CAP_MS = 1_500;
/** Look-ups are cheap (higher limit, no asynchronous operation): they never wait longer than this. */
const LOOKUP_GATHER_MAX_MS = 1_000;

/**
 * How long operations take, from the accepted request to the poll that saw
 * them settled (an upper bound of the true time): the last few, to place an
 * operation's first poll. The cloud's operations take a second or more; a
 * poll before the quickest of them ever settled only costs a request.
 */
export class OperationDurations {
  private readonly recent: number[] = [];
  static readonly KEEP = 32;
  note(ms: number): void {
    this.recent.push(ms);
    if (this.recent.length > OperationDurations.KEEP) this.recent.shift();
  }
  /** Three quarters of the quickest recent operation, within [base, cap]; base while nothing is known. */
  firstPollMs(baseMs: number, capMs: number): number {
    if (this.recent.length === 0) return baseMs;
    return Math.max(baseMs, Math.min(capMs, 0.75 * Math.min(...this.recent)));
  }
}

/**
 * When an operation that is `ageMs` old is next polled. Before its first poll
 * time, at that time; after it, every eighth of its age, at least `baseMs`
 * and at most 4 × `baseMs` apart. Operations of a few seconds are polled
 * every `baseMs` once they may have settled (the wait is on the critical
 * path of every resource); one that has run for many seconds has shown it
 * is slow, and asking it every `baseMs` would make DescribeInstances
 * requests follow wall time instead of work.
 */
export function nextPollDelayMs(ageMs: number, baseMs: number, firstPollMs: number): number {
  if (ageMs < firstPollMs) return firstPollMs - ageMs;
  return Math.min(POLL_MAX_FACTOR * baseMs, Math.max(baseMs, ageMs / 8));
}

const POLL_MAX_FACTOR = 4;
/** However slow operations have been, the first poll comes within 8 × `pollIntervalMs` (2 s by default). */
const FIRST_POLL_MAX_FACTOR = 8;

interface LookupRecord {
  pending: Set<string>;
  result: Map<string, InstanceView | null>;
  resolve: (m: Map<string, InstanceView | null>) => void;
  reject: (e: unknown) => void;
  settled: boolean;
  deadline: number;
}

/** The part of RateLimiter the scheduler uses. */
export interface LimiterLike {
  acquire(): Promise<Ticket>;
  penalize(ms: number): void;
}

export interface SchedulerDeps {
  transport: CvmTransport;
  tuning: () => Tuning;
  limiter: (name: LimiterName) => LimiterLike;
  now?: () => number;
  random?: () => number;
  /** Defaults to the process's `engineLoad`. */
  load?: EngineLoad;
}

const MAX_REISSUES = 2;

/** The item a poll looks at on behalf of `it` (see Scheduler.representatives): itself unless represented. */
function standIn(it: Item, reps: Map<string, Item>): Item {
  return (it.requestId && reps.get(it.requestId)) || it;
}

export class Scheduler {
  private readonly queues = new Map<string, Item[]>();
  private readonly batches = new Map<string, Batch>();
  private readonly waiting = new Set<Item>();
  private pollTimer: NodeJS.Timeout | null = null;
  private pollFireAt = Infinity;
  private readonly durations = new OperationDurations();
  private polling = false;
  /** Requests of which a polled instance was seen out of OPERATING: every waiting instance of them is polled. */
  private readonly settledRequests = new Set<string>();
  private readonly lookupWaiters = new Map<string, LookupRecord[]>();
  private lookupFlushScheduled = false;
  private readonly lookupGather: Gather;
  private inflightLookups = 0;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly load: EngineLoad;
  private readonly arrivals = new Map<string, ArrivalGaps>();

  constructor(private readonly deps: SchedulerDeps) {
    this.now = deps.now ?? Date.now;
    this.random = deps.random ?? Math.random;
    this.load = deps.load ?? engineLoad;
    this.lookupGather = new Gather(() => {
      this.lookupFlushScheduled = true;
      void this.flushLookups();
    }, this.now);
  }

  private get tuning(): Tuning {
    return this.deps.tuning();
  }

  /** True when nothing is queued, in flight or being polled. */
  idle(): boolean {
    return (
      this.queues.size === 0 &&
      this.waiting.size === 0 &&
      this.lookupWaiters.size === 0 &&
      this.inflightLookups === 0 &&
      !this.lookupFlushScheduled &&
      !this.lookupGather.pending
    );
  }

  /**
   * Binds (associate) or unbinds (disassociate) `sg` on every instance and
   * resolves with one result per distinct instance id once each has settled.
   * Never rejects: failures are per-instance results.
   */
  run(kind: OpKind, sg: string, instanceIds: string[], deadline: number): Promise<OpResult[]> {
    const ids = [...new Set(instanceIds)];
    const settled = progress.start(kind, sg, ids.length, this.tuning.progressIntervalMs);
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
              phase: "queued",
              notBefore: 0,
              transientFailures: 0,
              busyAttempts: 0,
              throttleAttempts: 0,
              reissues: 0,
              requestId: "",
              verifyError: null,
              mismatchSince: null,
              lastError: null,
              timer: null,
              sentAt: 0,
              dueAt: 0,
              unanswered: false,
            };
            const q = this.queues.get(id);
            if (q) {
              q.push(item);
            } else {
              this.queues.set(id, [item]);
              this.activate(item);
            }
          }),
      ),
    );
  }

  /**
   * Looks instances up (coalesced with every other look-up and poll, ≤100 ids
   * per request). Absent instances map to null. Rejects on a non-retryable
   * error or when retries run past the deadline.
   *
   * Look-ups gather like binds (see `quietWindowMs`), within
   * `LOOKUP_GATHER_MAX_MS`: at `--parallel 64` every create and delete starts
   * with one, one resource at a time. A poll (`forPoll`) is already timed
   * and goes at once, taking the look-ups that wait along; a look-up that
   * arrives when a poll is due within `pollIntervalMs` waits for it.
   */
  lookup(
    instanceIds: string[],
    deadline?: number,
    forPoll = false,
  ): Promise<Map<string, InstanceView | null>> {
    const ids = [...new Set(instanceIds)];
    if (ids.length === 0) return Promise.resolve(new Map());
    return new Promise((resolve, reject) => {
      const rec: LookupRecord = {
        pending: new Set(ids),
        result: new Map(),
        resolve,
        reject,
        settled: false,
        deadline: deadline ?? this.now() + this.tuning.operationTimeoutMs,
      };
      for (const id of ids) {
        const list = this.lookupWaiters.get(id);
        if (list) list.push(rec);
        else this.lookupWaiters.set(id, [rec]);
      }
      const t = this.tuning;
      const maxMs = Math.min(t.gatherMaxMs, LOOKUP_GATHER_MAX_MS);
      // A poll is already timed: it goes at once, with whatever look-ups are waiting.
      let quiet = forPoll ? 0 : this.arrivalQuietMs("lookup", maxMs, t.describeRps);
      // A poll due within one poll interval takes this look-up along: wait for
      // it rather than send a request of our own. (When the engine hands over
      // resources one by one, a poll is nearly always that close; if it comes
      // to nothing, the look-up goes on its own just after.)
      if (!forPoll && this.pollTimer) {
        const pollIn = this.pollFireAt - this.now();
        if (pollIn <= t.pollIntervalMs) quiet = Math.min(maxMs, Math.max(quiet, pollIn + 1));
      }
      this.scheduleLookupFlush(this.lookupWaiters.size >= t.maxBatchSize ? 0 : quiet, maxMs);
    });
  }

  // ---- per-instance queue -------------------------------------------------

  private finish(item: Item, result: OpResult): void {
    if (item.phase === "done") return;
    item.phase = "done";
    if (item.timer) clearTimeout(item.timer);
    item.timer = null;
    this.waiting.delete(item);
    const q = this.queues.get(item.id);
    if (q) {
      const idx = q.indexOf(item);
      if (idx >= 0) q.splice(idx, 1);
      if (q.length === 0) this.queues.delete(item.id);
      else if (idx === 0) this.activate(q[0]);
    }
    item.resolve(result);
  }

  private fail(item: Item, reason: FailReason, error: ApiError): void {
    this.finish(item, {
      instanceId: item.id,
      ok: false,
      reason,
      error,
      requestId: item.requestId,
      unanswered: item.unanswered,
    });
  }

  private done(item: Item, note: DoneNote, instance: InstanceView | null): void {
    this.finish(item, {
      instanceId: item.id,
      ok: true,
      note,
      instance,
      requestId: item.requestId,
      unanswered: item.unanswered,
    });
  }

  private timeout(item: Item): void {
    const err = timeoutError(item.lastError);
    this.fail(item, "timeout", err);
  }

  /** The item is at the head of its instance queue: get it sent (after its backoff). */
  private activate(item: Item): void {
    if (item.phase === "done") return;
    const now = this.now();
    if (now >= item.deadline || item.notBefore >= item.deadline) {
      this.timeout(item);
      return;
    }
    item.phase = "queued";
    if (item.notBefore > now) {
      item.timer = setTimeout(() => {
        item.timer = null;
        this.joinBatch(item);
      }, item.notBefore - now);
    } else {
      this.joinBatch(item);
    }
  }

  private joinBatch(item: Item): void {
    if (item.phase === "done") return;
    if (this.now() >= item.deadline) {
      this.timeout(item);
      return;
    }
    const key = `${item.kind}|${item.sg}`;
    let batch = this.batches.get(key);
    if (!batch) {
      const b: Batch = {
        kind: item.kind,
        sg: item.sg,
        items: [],
        flushing: false,
        gather: new Gather(() => {
          b.flushing = true;
          void this.flush(b);
        }, this.now),
      };
      batch = b;
      this.batches.set(key, batch);
    }
    item.phase = "ready";
    batch.items.push(item);
    const t = this.tuning;
    const full = batch.items.length >= t.maxBatchSize;
    const limit = item.kind === "associate" ? t.associateRps : t.disassociateRps;
    const quiet = this.arrivalQuietMs(key, t.gatherMaxMs, limit);
    this.scheduleFlush(batch, full ? 0 : quiet, t.gatherMaxMs);
  }

  /** Notes an arrival on stream `key` and returns how long its batch should wait for the next one. */
  private arrivalQuietMs(key: string, maxMs: number, perSecondLimit: number): number {
    const gaps = this.arrivalsOf(key);
    gaps.note(this.now());
    return quietWindowMs(this.tuning.gatherWindowMs, maxMs, gaps.gapMs, this.load.slackAbove(perSecondLimit));
  }

  private arrivalsOf(key: string): ArrivalGaps {
    let gaps = this.arrivals.get(key);
    if (!gaps) {
      // One entry per (action, SG) ever used: prune the idle ones now and then.
      if (this.arrivals.size >= 1_000) {
        const now = this.now();
        for (const [k, g] of this.arrivals)
          if (g.idleSince(now) > ArrivalGaps.RESET_MS) this.arrivals.delete(k);
      }
      gaps = new ArrivalGaps();
      this.arrivals.set(key, gaps);
    }
    return gaps;
  }

  private scheduleFlush(batch: Batch, quietMs: number, maxMs = quietMs): void {
    if (batch.flushing) return;
    batch.gather.poke(quietMs, maxMs);
  }

  private async flush(batch: Batch): Promise<void> {
    const ticket = await this.deps.limiter(batch.kind).acquire();
    const take: Item[] = [];
    const max = this.tuning.maxBatchSize;
    while (batch.items.length > 0 && take.length < max) {
      const it = batch.items.shift()!;
      if (it.phase !== "ready") continue;
      if (this.now() >= it.deadline) this.timeout(it);
      else take.push(it);
    }
    batch.flushing = false;
    if (batch.items.length > 0) this.scheduleFlush(batch, 0);
    else if (this.batches.get(`${batch.kind}|${batch.sg}`) === batch)
      this.batches.delete(`${batch.kind}|${batch.sg}`);
    if (take.length === 0) {
      ticket.cancel();
      return;
    }
    await this.send(batch.kind, batch.sg, take, ticket);
  }

  /** Sends a fixed group (a bisection half) as its own request. */
  private async sendGroup(kind: OpKind, sg: string, items: Item[]): Promise<void> {
    const ticket = await this.deps.limiter(kind).acquire();
    const live: Item[] = [];
    for (const it of items) {
      if (it.phase === "done") continue;
      if (this.now() >= it.deadline) this.timeout(it);
      else live.push(it);
    }
    if (live.length === 0) {
      ticket.cancel();
      return;
    }
    await this.send(kind, sg, live, ticket);
  }

  private async send(kind: OpKind, sg: string, items: Item[], ticket: Ticket): Promise<void> {
    const ids = items.map((i) => i.id);
    for (const it of items) it.phase = "sending";
    let requestId: string;
    try {
      requestId =
        kind === "associate"
          ? await this.deps.transport.associate(sg, ids)
          : await this.deps.transport.disassociate(sg, ids);
    } catch (e) {
      ticket.done();
      try {
        this.handleBatchError(kind, sg, items, toApiError(ACTION_OF[kind], e));
      } catch (bug) {
        const err = toApiError(ACTION_OF[kind], bug);
        for (const it of items) this.fail(it, "rejected", err);
      }
      return;
    }
    ticket.done();
    const sentAt = this.now();
    for (const it of items) {
      it.requestId = requestId;
      it.verifyError = null;
      it.mismatchSince = null;
      it.sentAt = sentAt;
    }
    this.startWaiting(items);
  }

  private requeue(items: Item[], delay: number): void {
    const at = this.now() + delay;
    for (const it of items) {
      if (it.phase === "done") continue;
      counters.retry();
      it.notBefore = at;
      this.activate(it);
    }
  }

  private handleBatchError(kind: OpKind, sg: string, items: Item[], err: ApiError): void {
    const t = this.tuning;
    const noReply = err.code === LOCAL_CODES.network || err.code === LOCAL_CODES.http;
    for (const it of items) {
      it.lastError = err;
      if (noReply) it.unanswered = true;
    }
    const plan = planBatchError(
      kind,
      items.map((i) => i.id),
      err,
    );
    const byId = new Map(items.map((i) => [i.id, i] as const));
    switch (plan.type) {
      case "retry": {
        let attempt = 0;
        const retrying: Item[] = [];
        for (const it of items) {
          if (plan.cls === "transient") {
            it.transientFailures++;
            if (it.transientFailures >= t.maxTransientAttempts) {
              this.fail(it, "rejected", err);
              continue;
            }
            attempt = Math.max(attempt, it.transientFailures - 1);
          } else if (plan.cls === "throttling") {
            attempt = Math.max(attempt, it.throttleAttempts++);
          } else {
            attempt = Math.max(attempt, it.busyAttempts++);
          }
          retrying.push(it);
        }
        const delay = Math.max(
          plan.cls === "throttling" ? t.retryBaseDelayMs : 0,
          backoffDelay(
            attempt,
            { baseDelayMs: t.retryBaseDelayMs, maxDelayMs: t.retryMaxDelayMs },
            this.random,
          ),
        );
        if (plan.cls === "throttling") this.deps.limiter(kind).penalize(delay);
        this.requeue(retrying, delay);
        return;
      }
      case "all":
        this.apply(items, plan.action, err);
        return;
      case "blame": {
        counters.split();
        this.apply(
          plan.guilty.map((id) => byId.get(id)!),
          plan.action,
          err,
        );
        this.requeue(
          plan.innocent.map((id) => byId.get(id)!),
          0,
        );
        return;
      }
      case "bisect": {
        counters.split();
        for (const half of plan.halves) {
          if (half.length === 0) continue;
          const group = half.map((id) => byId.get(id)!);
          for (let i = 0; i < group.length; i++) counters.retry();
          void this.sendGroup(kind, sg, group);
        }
        return;
      }
    }
  }

  private apply(items: Item[], action: GuiltyAction, err: ApiError): void {
    switch (action.type) {
      case "fail":
        for (const it of items) this.fail(it, action.reason, err);
        return;
      case "done":
        for (const it of items) this.done(it, action.note, null);
        return;
      case "verify": {
        const now = this.now();
        for (const it of items) {
          it.requestId = "";
          it.verifyError = err;
          it.mismatchSince = null;
          it.sentAt = now;
        }
        this.startWaiting(items);
        return;
      }
      case "retryBusy": {
        const t = this.tuning;
        let attempt = 0;
        for (const it of items) attempt = Math.max(attempt, it.busyAttempts++);
        const delay = Math.max(
          t.retryBaseDelayMs,
          backoffDelay(
            attempt,
            { baseDelayMs: t.retryBaseDelayMs, maxDelayMs: t.retryMaxDelayMs },
            this.random,
          ),
        );
        this.requeue(items, delay);
        return;
      }
    }
  }

  // ---- completion polling -------------------------------------------------

  /**
   * The items of one request (or one verification) start waiting. The poll
   * timer is armed once for all of them: arming looks at every waiting item,
   * so arming per item made a 1,000-instance deployment do a million steps
   * (and allocate several MB) per send.
   */
  private startWaiting(items: Item[]): void {
    const first = this.firstPollMs();
    const base = this.tuning.pollIntervalMs;
    for (const item of items) {
      if (item.phase === "done") continue;
      item.phase = "waiting";
      // A verification has no operation to wait for: look soon.
      item.dueAt = Math.min(item.sentAt + (item.requestId ? first : base), item.deadline);
      this.waiting.add(item);
    }
    this.schedulePoll();
  }

  private firstPollMs(): number {
    const base = this.tuning.pollIntervalMs;
    return this.durations.firstPollMs(base, FIRST_POLL_MAX_FACTOR * base);
  }

  /** Arms the one poll timer for the earliest item due (none while a poll runs: it re-arms when done). */
  private schedulePoll(): void {
    if (this.polling || this.waiting.size === 0) return;
    // A represented item is polled when its representative is (pickPolled).
    const reps = this.representatives();
    let earliest = Infinity;
    for (const it of this.waiting) {
      const due = standIn(it, reps).dueAt;
      if (due < earliest) earliest = due;
    }
    if (this.pollTimer && this.pollFireAt <= earliest) return;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollFireAt = earliest;
    this.pollTimer = setTimeout(
      () => {
        this.pollTimer = null;
        this.pollFireAt = Infinity;
        void this.pollOnce();
      },
      Math.max(0, earliest - this.now()),
    );
  }

  /**
   * The items one poll looks at. Each waiting item is due on its own schedule,
   * but the instances of one request go OPERATING and settle together, so
   * while none of them has been seen settled one of them (the first) stands
   * for the request: a poll of a 1,000-instance deployment is one
   * DescribeInstances of ten representatives instead of ten of 100 instances
   * each (at 20 requests/s that was half a second a round). Taken: every
   * representative or ungrouped item due (or due within half a base
   * interval), then, while they fit in the request(s) this poll sends anyway,
   * the ones due soonest, represented or not (a look at them is free).
   */
  private pickPolled(now: number, reps: Map<string, Item>): Item[] {
    const soon = now + this.tuning.pollIntervalMs / 2;
    const due: Item[] = [];
    const later: Item[] = [];
    for (const it of this.waiting) {
      (it.dueAt <= soon && standIn(it, reps) === it ? due : later).push(it);
    }
    if (due.length === 0) return due;
    const max = this.tuning.maxBatchSize;
    const ids = new Set(due.map((i) => i.id));
    const room = Math.ceil(ids.size / max) * max;
    later.sort((a, b) => a.dueAt - b.dueAt);
    for (const it of later) {
      if (!ids.has(it.id)) {
        if (ids.size >= room) continue;
        ids.add(it.id);
      }
      due.push(it);
    }
    return due;
  }

  /**
   * The representative of each request not yet seen settled: its first
   * waiting instance. Recomputed for every poll (a representative that is
   * reissued or settles leaves the waiting set, and the next one takes over);
   * settled requests no longer waited on are forgotten here.
   */
  private representatives(): Map<string, Item> {
    const reps = new Map<string, Item>();
    const live = new Set<string>();
    for (const it of this.waiting) {
      if (!it.requestId) continue;
      live.add(it.requestId);
      if (!this.settledRequests.has(it.requestId) && !reps.has(it.requestId)) reps.set(it.requestId, it);
    }
    for (const r of this.settledRequests) if (!live.has(r)) this.settledRequests.delete(r);
    return reps;
  }

  private async pollOnce(): Promise<void> {
    const reps = this.representatives();
    const items = this.pickPolled(this.now(), reps);
    if (items.length === 0) {
      this.schedulePoll();
      return;
    }
    this.polling = true;
    counters.poll();
    try {
      const ids = [...new Set(items.map((i) => i.id))];
      let views: Map<string, InstanceView | null> | null = null;
      try {
        views = await this.lookup(ids, Math.max(...items.map((i) => i.deadline)), true);
      } catch (e) {
        const err = toApiError("DescribeInstances", e);
        if (classifyError(err) === "fatal" && err.code !== LOCAL_CODES.timeout) {
          for (const it of items) if (this.waiting.has(it)) this.fail(it, "rejected", err);
        } else {
          for (const it of items) it.lastError = err;
        }
      }
      if (views) {
        for (const it of items) {
          if (!this.waiting.has(it)) continue;
          const request = it.requestId;
          if (!this.evaluate(it, views.get(it.id) ?? null) && request) this.settledRequests.add(request);
        }
      }
      const now = this.now();
      const base = this.tuning.pollIntervalMs;
      const first = this.firstPollMs();
      const polled = new Set(items);
      for (const it of items) {
        if (!this.waiting.has(it)) continue;
        const age = now - it.sentAt;
        const delay = it.requestId ? nextPollDelayMs(age, base, first) : base;
        it.dueAt = Math.min(now + delay, it.deadline);
      }
      // The rest of a request follows its representative; once the request
      // is seen settled, they are all looked at straight away.
      for (const it of this.waiting) {
        if (polled.has(it) || !it.requestId) continue;
        if (this.settledRequests.has(it.requestId)) it.dueAt = Math.min(it.dueAt, now);
        else {
          const rep = standIn(it, reps);
          if (polled.has(rep) && rep.requestId === it.requestId) it.dueAt = rep.dueAt;
        }
      }
      for (const it of [...this.waiting]) if (now >= it.deadline) this.timeout(it);
    } catch (bug) {
      // Never let an unexpected error escape a timer callback (it would crash
      // the provider process): fail what was being polled instead.
      const err = toApiError("DescribeInstances", bug);
      for (const it of items) if (this.waiting.has(it)) this.fail(it, "rejected", err);
    } finally {
      this.polling = false;
      this.schedulePoll();
    }
  }

  /** Acts on what a poll saw of the item's instance; true while its operation is still running. */
  private evaluate(it: Item, view: InstanceView | null): boolean {
    const v = judge(it.kind, it.sg, it.requestId, view, it.verifyError !== null);
    switch (v.type) {
      case "wait":
        it.mismatchSince = null;
        return true;
      case "done":
        if (it.requestId && v.note === "applied") this.durations.note(this.now() - it.sentAt);
        this.done(it, v.note, view);
        return false;
      case "fail": {
        if (v.reason === "rejected" && it.verifyError) {
          this.fail(it, "rejected", it.verifyError);
          return false;
        }
        const code =
          v.reason === "operationFailed"
            ? LOCAL_CODES.operationFailed
            : v.reason === "instanceNotFound"
              ? "InvalidInstanceId.NotFound"
              : LOCAL_CODES.notApplied;
        this.fail(
          it,
          v.reason,
          new ApiError({
            action: ACTION_OF[it.kind],
            code,
            // LatestOperationErrorMsg as is; our own texts name the instance.
            message: v.reason === "operationFailed" ? v.message : `${it.id}: ${v.message}`,
            requestId: it.requestId,
          }),
        );
        return false;
      }
      case "lost": {
        const now = this.now();
        if (it.mismatchSince === null) it.mismatchSince = now;
        if (now - it.mismatchSince < this.tuning.lostOperationGraceMs) return false;
        const err = new ApiError({
          action: ACTION_OF[it.kind],
          code: LOCAL_CODES.notApplied,
          message: `${it.id}: the accepted request never took effect`,
          requestId: it.requestId,
        });
        it.lastError = err;
        if (it.reissues >= MAX_REISSUES) {
          this.fail(it, "notApplied", err);
          return false;
        }
        it.reissues++;
        this.waiting.delete(it);
        it.requestId = "";
        it.mismatchSince = null;
        this.requeue([it], 0);
        return false;
      }
    }
  }

  // ---- coalesced DescribeInstances -----------------------------------------

  private scheduleLookupFlush(quietMs: number, maxMs = quietMs): void {
    if (this.lookupFlushScheduled) return;
    this.lookupGather.poke(quietMs, maxMs);
  }

  private async flushLookups(): Promise<void> {
    const limiter = this.deps.limiter("describe");
    const ticket = await limiter.acquire();
    const max = this.tuning.maxBatchSize;
    const chunk = new Map<string, LookupRecord[]>();
    // (Deleting the entry being visited is safe while iterating a Map: no copy of a 1,000-entry map per flush.)
    for (const [id, recs] of this.lookupWaiters) {
      const live = recs.filter((r) => !r.settled);
      if (live.length === 0) {
        this.lookupWaiters.delete(id);
        continue;
      }
      if (chunk.size >= max) break;
      chunk.set(id, live);
      this.lookupWaiters.delete(id);
    }
    this.lookupFlushScheduled = false;
    if (this.lookupWaiters.size > 0) this.scheduleLookupFlush(0);
    if (chunk.size === 0) {
      ticket.cancel();
      return;
    }
    this.inflightLookups++;
    try {
      await this.runDescribe(chunk, ticket, limiter);
    } catch (bug) {
      const err = toApiError("DescribeInstances", bug);
      for (const list of chunk.values()) {
        for (const r of list) {
          if (r.settled) continue;
          r.settled = true;
          r.reject(err);
        }
      }
    } finally {
      this.inflightLookups--;
    }
  }

  private async runDescribe(
    chunk: Map<string, LookupRecord[]>,
    ticket: Ticket,
    limiter: LimiterLike,
  ): Promise<void> {
    const ids = [...chunk.keys()];
    const recs = new Set<LookupRecord>();
    for (const list of chunk.values()) for (const r of list) recs.add(r);
    const deadline = Math.max(...[...recs].map((r) => r.deadline));
    const t = this.tuning;
    let transientFailures = 0;
    for (let attempt = 0; ; attempt++) {
      try {
        const views = await this.deps.transport.describe(ids);
        ticket.done();
        const byId = new Map(views.map((v) => [v.instanceId, v] as const));
        for (const [id, list] of chunk) {
          const v = byId.get(id) ?? null;
          for (const r of list) {
            if (r.settled) continue;
            r.result.set(id, v);
            r.pending.delete(id);
            if (r.pending.size === 0) {
              r.settled = true;
              r.resolve(r.result);
            }
          }
        }
        return;
      } catch (e) {
        ticket.done();
        const err = toApiError("DescribeInstances", e);
        const cls = classifyError(err);
        let giveUp: ApiError | null = null;
        if (cls === "fatal") giveUp = err;
        else if (cls === "transient" && ++transientFailures >= t.maxTransientAttempts) giveUp = err;
        const delay = Math.max(
          cls === "throttling" || cls === "busy" ? t.retryBaseDelayMs : 0,
          backoffDelay(
            attempt,
            { baseDelayMs: t.retryBaseDelayMs, maxDelayMs: t.retryMaxDelayMs },
            this.random,
          ),
        );
        if (!giveUp && this.now() + delay >= deadline) giveUp = timeoutError(err);
        if (giveUp) {
          for (const r of recs) {
            if (r.settled) continue;
            r.settled = true;
            r.reject(giveUp);
          }
          return;
        }
        if (cls === "throttling") limiter.penalize(delay);
        counters.retry();
        await new Promise((r) => setTimeout(r, delay));
        ticket = await limiter.acquire();
      }
    }
  }
}
