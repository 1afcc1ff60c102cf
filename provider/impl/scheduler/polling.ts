// Completion polling: ONE poll loop for every waiting or verifying item. Its
// DescribeInstances look-ups are coalesced with everybody else's (lookups.ts).
// While a request has not been seen settled, one of its instances - its
// representative - is polled for all of them; an operation is first polled
// when the quickest recent ones had settled, then more rarely as it ages.

import { ApiError, LOCAL_CODES } from "../errors";
import { InstanceView, toApiError } from "../api";
import { classifyError } from "../retry";
import type { Tuning } from "../settings";
import { counters } from "../stats";
import type { Outcomes } from "./sequencing";
import { judge } from "./split";
import { ACTION_OF, Item } from "./types";

const POLL_MAX_FACTOR = 4;
/** However slow operations have been, the first poll comes within 8 × `pollIntervalMs`. */
const FIRST_POLL_MAX_FACTOR = 8;
/** Accepted requests that never took effect are re-sent at most this often per operation. */
const MAX_REISSUES = 2;

/**
 * How long operations take, from the accepted request to the poll that saw
 * them settled (an upper bound of the true time): the last few, to place an
 * operation's first poll. A poll before the quickest of them ever settled
 * only costs a request.
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
 * When an operation that is `ageMs` old is next polled: at its first poll
 * time, then every eighth of its age, at least `baseMs` and at most
 * 4 × `baseMs` apart. Quick operations are polled every `baseMs` once they may
 * have settled; a slow one has shown it is slow, and polling it often would
 * make DescribeInstances requests follow wall time instead of work.
 */
export function nextPollDelayMs(ageMs: number, baseMs: number, firstPollMs: number): number {
  if (ageMs < firstPollMs) return firstPollMs - ageMs;
  return Math.min(POLL_MAX_FACTOR * baseMs, Math.max(baseMs, ageMs / 8));
}

/** The item a poll looks at on behalf of `it`: its request's representative, or itself. */
function representativeOf(it: Item, representatives: Map<string, Item>): Item {
  return (it.mode === "waiting" && representatives.get(it.requestId)) || it;
}

export interface PollerContext {
  tuning: () => Tuning;
  now: () => number;
  outcomes: Outcomes;
  lookup: (ids: string[], deadline: number) => Promise<Map<string, InstanceView | null>>;
  /** Sends the items again (a lost request). */
  resend: (items: Item[]) => void;
}

export class Poller {
  private readonly watched = new Set<Item>();
  private timer: NodeJS.Timeout | null = null;
  private fireAt = Infinity;
  private polling = false;
  private readonly durations = new OperationDurations();
  /** Requests of which a polled instance was seen out of OPERATING: every watched instance of them is polled. */
  private readonly settledRequests = new Set<string>();

  constructor(private readonly cx: PollerContext) {}

  get empty(): boolean {
    return this.watched.size === 0;
  }

  /** How soon the next poll fires; Infinity when none is armed. */
  dueInMs(): number {
    return this.timer ? this.fireAt - this.cx.now() : Infinity;
  }

  /** The items of one request (or one verification) start being polled; the timer is armed once for all. */
  watch(items: Item[], mode: "waiting" | "verifying"): void {
    const first = this.firstPollMs();
    const base = this.cx.tuning().pollIntervalMs;
    for (const item of items) {
      if (item.mode === "done") continue;
      item.mode = mode;
      // A verification has no operation to wait for: look soon.
      item.dueAt = Math.min(item.sentAt + (mode === "waiting" ? first : base), item.deadline);
      this.watched.add(item);
    }
    this.schedule();
  }

  forget(item: Item): void {
    this.watched.delete(item);
  }

  private firstPollMs(): number {
    const base = this.cx.tuning().pollIntervalMs;
    return this.durations.firstPollMs(base, FIRST_POLL_MAX_FACTOR * base);
  }

  /** Arms the one poll timer for the earliest item due (none while a poll runs: it re-arms when done). */
  private schedule(): void {
    if (this.polling || this.watched.size === 0) return;
    const representatives = this.representatives();
    let earliest = Infinity;
    for (const it of this.watched) {
      const due = representativeOf(it, representatives).dueAt;
      if (due < earliest) earliest = due;
    }
    if (this.timer && this.fireAt <= earliest) return;
    if (this.timer) clearTimeout(this.timer);
    this.fireAt = earliest;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.fireAt = Infinity;
        void this.pollOnce();
      },
      Math.max(0, earliest - this.cx.now()),
    );
  }

  /**
   * The items one poll looks at: every representative or unrepresented item
   * due (or due within half a base interval), then, while they fit in the
   * request(s) this poll sends anyway, the ones due soonest (a look is free).
   */
  private pickPolled(now: number, representatives: Map<string, Item>): Item[] {
    const t = this.cx.tuning();
    const soon = now + t.pollIntervalMs / 2;
    const due: Item[] = [];
    const later: Item[] = [];
    for (const it of this.watched) {
      (it.dueAt <= soon && representativeOf(it, representatives) === it ? due : later).push(it);
    }
    if (due.length === 0) return due;
    const ids = new Set(due.map((i) => i.id));
    const room = Math.ceil(ids.size / t.maxBatchSize) * t.maxBatchSize;
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
   * waiting instance, recomputed for every poll. Settled requests no longer
   * waited on are forgotten here.
   */
  private representatives(): Map<string, Item> {
    const representatives = new Map<string, Item>();
    const live = new Set<string>();
    for (const it of this.watched) {
      if (it.mode !== "waiting") continue;
      live.add(it.requestId);
      if (!this.settledRequests.has(it.requestId) && !representatives.has(it.requestId))
        representatives.set(it.requestId, it);
    }
    for (const r of this.settledRequests) if (!live.has(r)) this.settledRequests.delete(r);
    return representatives;
  }

  private async pollOnce(): Promise<void> {
    const representatives = this.representatives();
    const items = this.pickPolled(this.cx.now(), representatives);
    if (items.length === 0) {
      this.schedule();
      return;
    }
    this.polling = true;
    counters.poll();
    try {
      const views = await this.look(items);
      if (views) {
        for (const it of items) {
          if (!this.watched.has(it)) continue;
          const waitedOn = it.mode === "waiting" ? it.requestId : "";
          if (!this.evaluate(it, views.get(it.id) ?? null) && waitedOn) this.settledRequests.add(waitedOn);
        }
      }
      this.reschedule(items, representatives);
    } catch (bug) {
      // Never let an unexpected error escape a timer callback (it would crash
      // the provider process): fail what was being polled instead.
      const err = toApiError("DescribeInstances", bug);
      for (const it of items) if (this.watched.has(it)) this.cx.outcomes.fail(it, "rejected", err);
    } finally {
      this.polling = false;
      this.schedule();
    }
  }

  /** Looks the items' instances up; null when that failed (a fatal failure fails the items). */
  private async look(items: Item[]): Promise<Map<string, InstanceView | null> | null> {
    const ids = [...new Set(items.map((i) => i.id))];
    try {
      return await this.cx.lookup(ids, Math.max(...items.map((i) => i.deadline)));
    } catch (e) {
      const err = toApiError("DescribeInstances", e);
      if (classifyError(err) === "fatal" && err.code !== LOCAL_CODES.timeout) {
        for (const it of items) if (this.watched.has(it)) this.cx.outcomes.fail(it, "rejected", err);
      } else {
        for (const it of items) it.lastError = err;
      }
      return null;
    }
  }

  /** Sets when each item is next due, after a poll of `polled`; times out the items past their deadline. */
  private reschedule(polledItems: Item[], representatives: Map<string, Item>): void {
    const now = this.cx.now();
    const base = this.cx.tuning().pollIntervalMs;
    const first = this.firstPollMs();
    const polled = new Set(polledItems);
    for (const it of polledItems) {
      if (!this.watched.has(it)) continue;
      const delay = it.mode === "waiting" ? nextPollDelayMs(now - it.sentAt, base, first) : base;
      it.dueAt = Math.min(now + delay, it.deadline);
    }
    // The rest of a request follows its representative; once the request
    // is seen settled, they are all looked at straight away.
    for (const it of this.watched) {
      if (polled.has(it) || it.mode !== "waiting") continue;
      if (this.settledRequests.has(it.requestId)) it.dueAt = Math.min(it.dueAt, now);
      else {
        const representative = representativeOf(it, representatives);
        if (polled.has(representative) && representative.requestId === it.requestId)
          it.dueAt = representative.dueAt;
      }
    }
    for (const it of [...this.watched]) if (now >= it.deadline) this.cx.outcomes.timeout(it);
  }

  /** Acts on what a poll saw of the item's instance; true while its operation is still running. */
  private evaluate(it: Item, view: InstanceView | null): boolean {
    const verifying = it.mode === "verifying";
    const v = judge(it.kind, it.sg, it.requestId, view, verifying);
    switch (v.type) {
      case "wait":
        it.mismatchSince = null;
        return true;
      case "done":
        if (!verifying && v.note === "applied") this.durations.note(this.cx.now() - it.sentAt);
        this.cx.outcomes.done(it, v.note, view);
        return false;
      case "fail": {
        if (v.reason === "rejected" && verifying && it.refusal) {
          this.cx.outcomes.fail(it, "rejected", it.refusal);
          return false;
        }
        const code =
          v.reason === "operationFailed"
            ? LOCAL_CODES.operationFailed
            : v.reason === "instanceNotFound"
              ? "InvalidInstanceId.NotFound"
              : LOCAL_CODES.notApplied;
        this.cx.outcomes.fail(
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
      case "lost":
        this.onLost(it);
        return false;
    }
  }

  /** The instance is idle and not as wanted: after a grace period, re-send (a few times) or fail. */
  private onLost(it: Item): void {
    const now = this.cx.now();
    if (it.mismatchSince === null) it.mismatchSince = now;
    if (now - it.mismatchSince < this.cx.tuning().lostOperationGraceMs) return;
    const err = new ApiError({
      action: ACTION_OF[it.kind],
      code: LOCAL_CODES.notApplied,
      message: `${it.id}: the accepted request never took effect`,
      requestId: it.requestId,
    });
    it.lastError = err;
    if (it.reissues >= MAX_REISSUES) {
      this.cx.outcomes.fail(it, "notApplied", err);
      return;
    }
    it.reissues++;
    this.watched.delete(it);
    it.requestId = "";
    it.mismatchSince = null;
    this.cx.resend([it]);
  }
}
