// Who owns a binding among the resources one provider process serves (one
// deployment), and the hand-over of a binding from one attachment to another.
//
// - Claims: the first create (or update) to claim a (group, instance) in this
//   process owns it; a second resource declaring it is refused, and a delete
//   leaves alone a binding another resource claimed in this deployment.
// - Hand-over: attachment R gives up instance y and attachment T of the same
//   group takes it, in one `up`. `diff` (called for each resource before its
//   update) announces both sides. Each side does the rest of its work, then
//   waits at the "rendezvous" for the other. Both there: the binding changes
//   hands with no API call (R drops y, T records it). Otherwise each side ends
//   safely on its own: R unbinds y as before ("withdrawn"; T, if it comes
//   later, binds y again after that unbind), and T refuses y when R failed,
//   never came, or keeps it. Waits end when the other side answers, when no
//   other operation runs in this process for `idleMs` (the engine runs one
//   step at a time, or the other side waits for this one), or after `waitMs`.
//
// Keys are `scope|sg|instance`, scope being the cloud and region.

export type Side = "releaser" | "taker";

/** What a side's rendezvous ended in. */
export type Rendezvous =
  /** Both sides met: the binding changes hands without an API call. */
  | "handedOver"
  /** The releaser unbinds (or unbound) it: the taker binds it again after that. */
  | "withdrawn"
  /** The other side failed, keeps the binding, or never came. */
  | "alone";

type PartyState = "announced" | "ready" | "withdrawn" | "gone" | "handedOver";

interface Party {
  id: string;
  state: PartyState;
}

interface HandOver {
  releaser?: Party;
  taker?: Party;
  wake: Set<() => void>;
}

export interface ClaimsOptions {
  /** True while some provider operation other than the `waiting` ones (distinct resources) runs in this process. */
  othersActive?: (waiting: number) => boolean;
  now?: () => number;
  /** Longest wait at a rendezvous. */
  waitMs?: number;
  /** A rendezvous ends when nothing else has run for this long. */
  idleMs?: number;
  /** How often a waiting side looks at the clock and the engine's load. */
  checkMs?: number;
}

const DEFAULT_HANDOVER_WAIT_MS = 60_000;
const DEFAULT_HANDOVER_IDLE_MS = 2_000;

export function claimKey(scope: string, sg: string, instanceId: string): string {
  return `${scope}|${sg}|${instanceId}`;
}

export class Claims {
  private readonly owners = new Map<string, string>();
  private readonly handOvers = new Map<string, HandOver>();
  /** Resources waiting at a rendezvous, with how many of their keys wait: one operation counts once. */
  private readonly waiting = new Map<string, number>();

  constructor(private readonly opts: ClaimsOptions = {}) {}

  // ---- claims --------------------------------------------------------------

  /** Claims every key for `owner`, or none: returns the keys other owners hold. */
  claim(keys: readonly string[], owner: string): string[] {
    const contested = keys.filter((k) => {
      const o = this.owners.get(k);
      return o !== undefined && o !== owner;
    });
    if (contested.length === 0) for (const k of keys) this.owners.set(k, owner);
    return contested;
  }

  /** Drops the claims `owner` holds among `keys`. */
  release(keys: readonly string[], owner: string): void {
    for (const k of keys) if (this.owners.get(k) === owner) this.owners.delete(k);
  }

  /** True when a resource other than `id` claimed the key in this process. */
  claimedByOther(key: string, id: string): boolean {
    const o = this.owners.get(key);
    return o !== undefined && o !== id;
  }

  // ---- hand-over -------------------------------------------------------------

  private entry(key: string): HandOver {
    let e = this.handOvers.get(key);
    if (!e) {
      e = { wake: new Set() };
      this.handOvers.set(key, e);
    }
    return e;
  }

  private set(key: string, side: Side, id: string, state: PartyState): void {
    const e = this.entry(key);
    e[side] = { id, state };
    for (const w of [...e.wake]) w();
  }

  /** From diff: resource `id` gives up (releaser) or newly wants (taker) the binding. */
  announce(key: string, side: Side, id: string): void {
    const e = this.entry(key);
    const p = e[side];
    // A later diff of the same resource (preview, then up) changes nothing.
    if (p && p.id === id && p.state !== "gone") return;
    this.set(key, side, id, "announced");
  }

  /**
   * A releaser's update starts: "hold" when a taker is announced (the unbind
   * waits for the rendezvous), "unbind" otherwise (withdrawn at once, so that a
   * taker coming later binds after this unbind).
   */
  startRelease(key: string, id: string): "hold" | "unbind" {
    const t = this.handOvers.get(key)?.taker;
    if (t && t.id !== id && (t.state === "announced" || t.state === "ready")) {
      this.set(key, "releaser", id, "announced");
      return "hold";
    }
    this.set(key, "releaser", id, "withdrawn");
    return "unbind";
  }

  /**
   * A taker found the instance already bound. "handOver": a releaser of this
   * deployment gives it up (meet at the rendezvous); "bindAfter": the releaser
   * unbinds it (bind it again, after that unbind); "none": nobody gives it up.
   */
  startTake(key: string, id: string): "handOver" | "bindAfter" | "none" {
    const r = this.handOvers.get(key)?.releaser;
    if (!r || r.id === id) return "none";
    if (r.state === "withdrawn") return "bindAfter";
    if (r.state === "announced" || r.state === "ready") {
      this.set(key, "taker", id, "announced");
      return "handOver";
    }
    return "none";
  }

  /** A side failed before its rendezvous: the releaser keeps the binding, the taker takes nothing. */
  abandon(key: string, side: Side, id: string): void {
    const p = this.handOvers.get(key)?.[side];
    if (p && p.id === id && p.state !== "handedOver") this.set(key, side, id, "gone");
  }

  /**
   * A side has done everything else and waits for the other. Resolves with
   * the outcome; a releaser that ends "alone" or "withdrawn" must unbind, and
   * is marked withdrawn before this resolves (so a taker coming later binds
   * after that unbind).
   */
  rendezvous(key: string, side: Side, id: string): Promise<Rendezvous> {
    const other: Side = side === "releaser" ? "taker" : "releaser";
    const now = this.opts.now ?? Date.now;
    const waitMs = this.opts.waitMs ?? DEFAULT_HANDOVER_WAIT_MS;
    const idleMs = this.opts.idleMs ?? DEFAULT_HANDOVER_IDLE_MS;
    const checkMs = this.opts.checkMs ?? 100;
    const start = now();
    let busyAt = start;
    const e = this.entry(key);
    let self: (() => void) | null = null;
    /** Sets sides' states, then wakes the other waiters (never this one: it is deciding). */
    const mark = (changes: [Side, Party][]): void => {
      for (const [s, p] of changes) e[s] = p;
      for (const w of [...e.wake]) if (w !== self) w();
    };

    const verdict = (timedOut: boolean): Rendezvous | null => {
      const me = e[side];
      if (!me || me.id !== id) return "alone";
      if (me.state === "handedOver") return "handedOver";
      const o = e[other];
      if (o && o.id !== id && o.state === "ready") {
        mark([
          [side, { id, state: "handedOver" }],
          [other, { id: o.id, state: "handedOver" }],
        ]);
        return "handedOver";
      }
      if (side === "taker" && o?.state === "withdrawn") {
        mark([[side, { id, state: "gone" }]]);
        return "withdrawn";
      }
      if (!timedOut && o && o.id !== id && o.state === "announced") return null;
      // The other side failed, never came, or gave up: end alone.
      mark([[side, { id, state: side === "releaser" ? "withdrawn" : "gone" }]]);
      return "alone";
    };

    mark([[side, { id, state: "ready" }]]);
    const first = verdict(false);
    if (first) return Promise.resolve(first);
    return new Promise<Rendezvous>((resolve) => {
      this.waiting.set(id, (this.waiting.get(id) ?? 0) + 1);
      const finish = (v: Rendezvous) => {
        if (self) e.wake.delete(self);
        self = null;
        clearInterval(timer);
        const left = (this.waiting.get(id) ?? 1) - 1;
        if (left > 0) this.waiting.set(id, left);
        else this.waiting.delete(id);
        resolve(v);
      };
      const onWake = () => {
        const v = verdict(false);
        if (v) finish(v);
      };
      self = onWake;
      e.wake.add(onWake);
      const timer = setInterval(() => {
        const t = now();
        if (this.opts.othersActive?.(this.waiting.size) ?? true) busyAt = t;
        const v = verdict(t - start >= waitMs || t - busyAt >= idleMs);
        if (v) finish(v);
      }, checkMs);
      timer.unref?.();
    });
  }

  /** Forgets everything (tests). */
  clear(): void {
    this.owners.clear();
    this.handOvers.clear();
  }
}
