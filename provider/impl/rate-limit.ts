// Client-side rate limiting: at most N requests per rolling second, per action.
//
// One limiter exists per (endpoint, secretId, action) in the whole
// process (see getLimiter), because one provider process serves every dynamic
// resource of a deployment and their calls run concurrently.
//
// A request occupies its slot from the moment it is granted until one window
// after its response arrived (`ticket.done()`). The server counts the moment
// the request arrived, which lies somewhere between the two, so measuring from
// the response keeps us under the server's rolling window whatever the
// network latency, at the cost of one round-trip of slack per request.

export interface Ticket {
  /** The request finished (with any outcome): its slot expires one window from now. */
  done(): void;
  /** The request was not sent after all: free the slot at once. */
  cancel(): void;
}

interface Slot {
  /** When the request finished; null while it is in flight. */
  t: number | null;
}

export class RateLimiter {
  private capacity = 1;
  private windowMs = 1000;
  private readonly slots: Slot[] = [];
  private readonly waiters: ((t: Ticket) => void)[] = [];
  private blockedUntil = 0;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = 0;

  constructor(private rps: number) {
    this.setRate(rps);
  }

  private now(): number {
    return Date.now();
  }

  /** Requests per second. Fractional rates give one request per 1/rps seconds. */
  setRate(rps: number): void {
    if (!(rps > 0)) throw new Error(`rate must be positive, got ${rps}`);
    this.rps = rps;
    if (rps >= 1) {
      this.capacity = Math.floor(rps);
      this.windowMs = (1000 * this.capacity) / rps;
    } else {
      this.capacity = 1;
      this.windowMs = 1000 / rps;
    }
    this.pump();
  }

  get rate(): number {
    return this.rps;
  }

  /** Slots in use (in flight or finished less than a window ago). */
  inUse(): number {
    this.prune(this.now());
    return this.slots.length;
  }

  pending(): number {
    return this.waiters.length;
  }

  acquire(): Promise<Ticket> {
    return new Promise<Ticket>((resolve) => {
      this.waiters.push(resolve);
      this.pump();
    });
  }

  /** The server throttled us anyway (another client shares the quota): hold every request for `ms`. */
  penalize(ms: number): void {
    this.blockedUntil = Math.max(this.blockedUntil, this.now() + Math.max(0, ms));
    this.pump();
  }

  private prune(now: number): void {
    for (let i = this.slots.length - 1; i >= 0; i--) {
      const t = this.slots[i].t;
      if (t !== null && t + this.windowMs <= now) this.slots.splice(i, 1);
    }
  }

  private grant(): Ticket {
    const slot: Slot = { t: null };
    this.slots.push(slot);
    let settled = false;
    return {
      done: () => {
        if (settled) return;
        settled = true;
        slot.t = this.now();
        this.pump();
      },
      cancel: () => {
        if (settled) return;
        settled = true;
        const i = this.slots.indexOf(slot);
        if (i >= 0) this.slots.splice(i, 1);
        this.pump();
      },
    };
  }

  private pump(): void {
    const now = this.now();
    this.prune(now);
    while (this.waiters.length > 0 && now >= this.blockedUntil && this.slots.length < this.capacity) {
      const w = this.waiters.shift()!;
      w(this.grant());
    }
    if (this.waiters.length === 0) return;
    let wakeAt: number | null = null;
    if (now < this.blockedUntil) {
      wakeAt = this.blockedUntil;
    } else {
      for (const s of this.slots) {
        if (s.t !== null) {
          const at = s.t + this.windowMs;
          if (wakeAt === null || at < wakeAt) wakeAt = at;
        }
      }
    }
    // All slots in flight: ticket.done()/cancel() will pump.
    if (wakeAt === null) return;
    if (this.timer && this.timerAt <= wakeAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = wakeAt;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.pump();
      },
      Math.max(0, wakeAt - now),
    );
  }
}

const registry = new Map<string, RateLimiter>();

/** The process-wide limiter for `key`; its rate follows the latest `rps` asked for. */
export function getLimiter(key: string, rps: number): RateLimiter {
  let l = registry.get(key);
  if (!l) {
    l = new RateLimiter(rps);
    registry.set(key, l);
  } else if (l.rate !== rps) {
    l.setRate(rps);
  }
  return l;
}

export function limiterKey(parts: { endpoint: string; secretId: string; action: string }): string {
  return `${parts.endpoint}|${parts.secretId}|${parts.action}`;
}

/** For tests. */
export function resetLimiters(): void {
  registry.clear();
}
