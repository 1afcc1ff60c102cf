// Sending: items ready for the same (action, SG) gather into one batch and go
// out as one request of up to `maxBatchSize` instances; a refused request is
// split (split.ts) and its items answered, re-sent, or retried after the
// retry policy's backoff.

import type { ApiError } from "../errors";
import { LOCAL_CODES } from "../errors";
import { toApiError } from "../api";
import type { Ticket } from "../rate-limit";
import type { ErrorClass, RetryPolicy } from "../retry";
import type { Tuning } from "../settings";
import { counters } from "../stats";
import { Arrivals, Gather } from "./gathering";
import type { Outcomes } from "./sequencing";
import { GuiltyAction, planBatchError } from "./split";
import { ACTION_OF, Item, OpKind, SchedulerDeps } from "./types";

interface Batch {
  key: string;
  kind: OpKind;
  sg: string;
  items: Item[];
  /** A flush has started (it may be waiting for a rate-limit ticket): it takes whatever joins meanwhile. */
  flushing: boolean;
  gather: Gather;
}

export interface SenderContext {
  transport: SchedulerDeps["transport"];
  limiter: SchedulerDeps["limiter"];
  tuning: () => Tuning;
  now: () => number;
  outcomes: Outcomes;
  arrivals: Arrivals;
  policy: RetryPolicy;
  /** The items' request was accepted (waiting) or refused in a way to verify: poll them. */
  watch: (items: Item[], mode: "waiting" | "verifying") => void;
}

export class Sender {
  private readonly batches = new Map<string, Batch>();

  constructor(private readonly cx: SenderContext) {}

  /** The item is first in its instance's queue: send it, at once or at `at` (after a retry's backoff). */
  start(item: Item, at = 0): void {
    if (item.mode === "done") return;
    const now = this.cx.now();
    if (now >= item.deadline || at >= item.deadline) {
      this.cx.outcomes.timeout(item);
      return;
    }
    item.mode = "queued";
    if (at > now) setTimeout(() => this.gather(item), at - now);
    else this.gather(item);
  }

  /** Sends the items again after `delayMs`. */
  retry(items: Item[], delayMs: number): void {
    const at = this.cx.now() + delayMs;
    for (const it of items) {
      if (it.mode === "done") continue;
      counters.retry();
      this.start(it, at);
    }
  }

  private gather(item: Item): void {
    if (item.mode === "done") return;
    if (this.cx.now() >= item.deadline) {
      this.cx.outcomes.timeout(item);
      return;
    }
    const key = `${item.kind}|${item.sg}`;
    let batch = this.batches.get(key);
    if (!batch) {
      const b: Batch = {
        key,
        kind: item.kind,
        sg: item.sg,
        items: [],
        flushing: false,
        gather: new Gather(() => {
          b.flushing = true;
          void this.flush(b);
        }, this.cx.now),
      };
      batch = b;
      this.batches.set(key, batch);
    }
    item.mode = "gathering";
    batch.items.push(item);
    const t = this.cx.tuning();
    const full = batch.items.length >= t.maxBatchSize;
    const limit = item.kind === "associate" ? t.associateRps : t.disassociateRps;
    const quiet = this.cx.arrivals.quietMs(key, t.gatherMaxMs, limit);
    this.scheduleFlush(batch, full ? 0 : quiet, t.gatherMaxMs);
  }

  private scheduleFlush(batch: Batch, quietMs: number, maxMs = quietMs): void {
    if (batch.flushing) return;
    batch.gather.poke(quietMs, maxMs);
  }

  private async flush(batch: Batch): Promise<void> {
    const ticket = await this.cx.limiter(batch.kind).acquire();
    const take: Item[] = [];
    const max = this.cx.tuning().maxBatchSize;
    while (batch.items.length > 0 && take.length < max) {
      const it = batch.items.shift()!;
      if (it.mode !== "gathering") continue;
      if (this.cx.now() >= it.deadline) this.cx.outcomes.timeout(it);
      else take.push(it);
    }
    batch.flushing = false;
    if (batch.items.length > 0) this.scheduleFlush(batch, 0);
    else if (this.batches.get(batch.key) === batch) this.batches.delete(batch.key);
    if (take.length === 0) {
      ticket.cancel();
      return;
    }
    await this.send(batch.kind, batch.sg, take, ticket);
  }

  /** Sends a fixed group (a bisection half) as its own request. */
  private async sendGroup(kind: OpKind, sg: string, items: Item[]): Promise<void> {
    const ticket = await this.cx.limiter(kind).acquire();
    const live: Item[] = [];
    for (const it of items) {
      if (it.mode === "done") continue;
      if (this.cx.now() >= it.deadline) this.cx.outcomes.timeout(it);
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
    for (const it of items) it.mode = "sending";
    let requestId: string;
    try {
      requestId =
        kind === "associate"
          ? await this.cx.transport.associate(sg, ids)
          : await this.cx.transport.disassociate(sg, ids);
    } catch (e) {
      ticket.done();
      try {
        this.onBatchError(kind, sg, items, toApiError(ACTION_OF[kind], e));
      } catch (bug) {
        const err = toApiError(ACTION_OF[kind], bug);
        for (const it of items) this.cx.outcomes.fail(it, "rejected", err);
      }
      return;
    }
    ticket.done();
    const sentAt = this.cx.now();
    for (const it of items) {
      it.requestId = requestId;
      it.refusal = null;
      it.mismatchSince = null;
      it.sentAt = sentAt;
    }
    this.cx.watch(items, "waiting");
  }

  private onBatchError(kind: OpKind, sg: string, items: Item[], err: ApiError): void {
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
      case "retry":
        this.retryPerPolicy(kind, items, err, plan.cls);
        return;
      case "all":
        this.apply(kind, items, plan.action, err);
        return;
      case "blame":
        counters.split();
        this.apply(
          kind,
          plan.guilty.map((id) => byId.get(id)!),
          plan.action,
          err,
        );
        this.retry(
          plan.innocent.map((id) => byId.get(id)!),
          0,
        );
        return;
      case "bisect":
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

  /** Answers items whose part of a refused request is known. */
  private apply(kind: OpKind, items: Item[], action: GuiltyAction, err: ApiError): void {
    switch (action.type) {
      case "fail":
        for (const it of items) this.cx.outcomes.fail(it, action.reason, err);
        return;
      case "done":
        for (const it of items) this.cx.outcomes.done(it, action.note, null);
        return;
      case "verify": {
        const now = this.cx.now();
        for (const it of items) {
          it.requestId = "";
          it.refusal = err;
          it.mismatchSince = null;
          it.sentAt = now;
        }
        this.cx.watch(items, "verifying");
        return;
      }
      case "retryBusy":
        this.retryPerPolicy(kind, items, err, "busy");
        return;
    }
  }

  /** Items that failed together retry together, or give up, as the retry policy decides. */
  private retryPerPolicy(kind: OpKind, items: Item[], err: ApiError, cls: ErrorClass): void {
    const d = this.cx.policy.decide(
      items,
      (it) => it.retries,
      (it) => it.deadline,
      err,
      cls,
    );
    for (const g of d.giveUp)
      this.cx.outcomes.fail(g.subject, g.atDeadline ? "timeout" : "rejected", g.error);
    if (d.cls === "throttling") this.cx.limiter(kind).penalize(d.delayMs);
    this.retry(d.retry, d.delayMs);
  }
}
