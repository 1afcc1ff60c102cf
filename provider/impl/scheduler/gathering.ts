// Gathering: how long work for one (action, SG) - or for DescribeInstances -
// waits for more work before it goes out as one request. See
// docs/design/scheduler.md for why and for the figures behind the constants.

/** A debounced trigger: fires `quietMs` after the last poke, but never later than `maxMs` after the first one. */
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
  /** Forgets every operation (for tests). */
  reset(): void {
    this.activeOps = 0;
    this.highWaterOps = 0;
    this.grewAt = -Infinity;
  }
  get active(): number {
    return this.activeOps;
  }
  get highWater(): number {
    return this.highWaterOps;
  }
  /**
   * True while the high-water mark rose within `RAMP_MS` and a second
   * operation has come. A lone operation is not a ramp: nothing says more
   * will follow, and a one-resource deployment would wait for nothing.
   */
  get ramping(): boolean {
    return this.highWaterOps >= 2 && this.now() - this.grewAt < EngineLoad.RAMP_MS;
  }
  /**
   * True when waiting for more operations can make a request fuller *and* is
   * worth it: the engine is still ramping up, or it has fewer operations with
   * us than it has had and its parallelism is above `perSecondLimit`. (With no
   * more engine slots than the action's requests per second, one request per
   * arrival never reaches the limit: gathering would only hold work back.)
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

const STRETCH_FACTOR = 3;
const STRETCH_CAP_MS = 1_500;

/**
 * How long a batch waits for the next arrival before it goes. The base window
 * suits bursts. While more work is worth waiting for (`slack`, see
 * `EngineLoad.slackAbove`) and the stream is a trickle, the window stretches
 * to a few of its gaps so that a request is not sent between two of them.
 */
export function quietWindowMs(
  baseMs: number,
  maxMs: number,
  gapMs: number | undefined,
  slack: boolean,
): number {
  if (!slack) return baseMs;
  const cap = Math.max(baseMs, Math.min(STRETCH_CAP_MS, maxMs / 2));
  // No stream measured yet: more is likely on its way, at an unknown pace.
  if (gapMs === undefined) return Math.min(cap, STRETCH_FACTOR * baseMs);
  return Math.min(cap, Math.max(baseMs, STRETCH_FACTOR * gapMs));
}

/** The arrival streams of one scheduler, by key ("associate|sg-…", "lookup"). */
export class Arrivals {
  private readonly streams = new Map<string, ArrivalGaps>();
  constructor(
    private readonly load: EngineLoad,
    private readonly baseWindowMs: () => number,
    private readonly now: () => number,
  ) {}

  /** Notes an arrival on stream `key` and returns how long its batch should wait for the next one. */
  quietMs(key: string, maxMs: number, perSecondLimit: number): number {
    const gaps = this.streamOf(key);
    gaps.note(this.now());
    return quietWindowMs(this.baseWindowMs(), maxMs, gaps.gapMs, this.load.slackAbove(perSecondLimit));
  }

  private streamOf(key: string): ArrivalGaps {
    let gaps = this.streams.get(key);
    if (!gaps) {
      // One entry per (action, SG) ever used: prune the idle ones now and then.
      if (this.streams.size >= 1_000) {
        const now = this.now();
        for (const [k, g] of this.streams)
          if (g.idleSince(now) > ArrivalGaps.RESET_MS) this.streams.delete(k);
      }
      gaps = new ArrivalGaps();
      this.streams.set(key, gaps);
    }
    return gaps;
  }
}
