// Sliding one-second window per (action, secretId). A request is admitted when
// fewer than `limit` requests were admitted in the last 1000 ms; rejected
// requests are not counted. A limit <= 0 means "no limit".

export const DEFAULT_RATE_LIMITS: Readonly<Record<string, number>> = {
  AssociateSecurityGroups: 10,
  DisassociateSecurityGroups: 10,
  ModifyInstancesAttribute: 10,
  DescribeInstances: 40,
  "*": 20,
};

/** The same limit for every action (the keys of the defaults). */
export function uniformRateLimits(requestsPerSecond: number): Record<string, number> {
  return Object.fromEntries(Object.keys(DEFAULT_RATE_LIMITS).map((action) => [action, requestsPerSecond]));
}

const WINDOW_MS = 1000;

export class ActionRateLimiter {
  private windows = new Map<string, number[]>();
  private admittedSincePrune = 0;

  constructor(private readonly limits: () => Record<string, number>) {}

  limitFor(action: string): number {
    const l = this.limits();
    if (Object.prototype.hasOwnProperty.call(l, action)) return l[action];
    if (Object.prototype.hasOwnProperty.call(l, "*")) return l["*"];
    return DEFAULT_RATE_LIMITS["*"];
  }

  /** true = admitted (and counted); false = over the limit. */
  admit(action: string, secretId: string, now: number): boolean {
    const limit = this.limitFor(action);
    if (!(limit > 0)) return true;
    const key = `${action}\u0000${secretId}`;
    let w = this.windows.get(key);
    if (!w) {
      w = [];
      this.windows.set(key, w);
    }
    while (w.length && w[0] <= now - WINDOW_MS) w.shift();
    if (w.length >= limit) return false;
    w.push(now);
    if (++this.admittedSincePrune > 10_000) this.prune(now);
    return true;
  }

  private prune(now: number): void {
    this.admittedSincePrune = 0;
    for (const [k, w] of this.windows) {
      if (!w.length || w[w.length - 1] <= now - WINDOW_MS) this.windows.delete(k);
    }
  }

  reset(): void {
    this.windows.clear();
  }
}
