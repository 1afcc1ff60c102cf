// One operation per instance at a time: the next operation on an instance
// starts only once the previous one has been answered, so our own operations
// never make each other "busy". Answering an item happens here too, since it
// is what lets the next one start.

import type { ApiError } from "../errors";
import type { InstanceView } from "../api";
import { timeoutError } from "../retry";
import type { DoneNote, FailReason, Item, OpResult } from "./types";

/** How the parts answer an item. */
export interface Outcomes {
  done(item: Item, note: DoneNote, instance: InstanceView | null): void;
  fail(item: Item, reason: FailReason, error: ApiError): void;
  /** The deadline passed: fail, quoting the last error. */
  timeout(item: Item): void;
}

export class Sequencer implements Outcomes {
  private readonly queues = new Map<string, Item[]>();

  constructor(
    /** The item is first in its instance's queue: get it sent. */
    private readonly start: (item: Item) => void,
    /** The item was answered: drop it from wherever it waited. */
    private readonly forget: (item: Item) => void,
  ) {}

  get empty(): boolean {
    return this.queues.size === 0;
  }

  add(item: Item): void {
    const q = this.queues.get(item.id);
    if (q) {
      q.push(item);
    } else {
      this.queues.set(item.id, [item]);
      this.start(item);
    }
  }

  done(item: Item, note: DoneNote, instance: InstanceView | null): void {
    this.finish(item, {
      instanceId: item.id,
      ok: true,
      note,
      instance,
      requestId: item.requestId,
      unanswered: item.unanswered,
    });
  }

  fail(item: Item, reason: FailReason, error: ApiError): void {
    this.finish(item, {
      instanceId: item.id,
      ok: false,
      reason,
      error,
      requestId: item.requestId,
      unanswered: item.unanswered,
    });
  }

  timeout(item: Item): void {
    this.fail(item, "timeout", timeoutError(item.lastError));
  }

  private finish(item: Item, result: OpResult): void {
    if (item.mode === "done") return;
    item.mode = "done";
    this.forget(item);
    const q = this.queues.get(item.id);
    if (q) {
      const idx = q.indexOf(item);
      if (idx >= 0) q.splice(idx, 1);
      if (q.length === 0) this.queues.delete(item.id);
      else if (idx === 0) this.start(q[0]);
    }
    item.resolve(result);
  }
}
