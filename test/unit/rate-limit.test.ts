import { getLimiter, limiterKey, RateLimiter, resetLimiters, Ticket } from "../../provider/impl/rate-limit";

describe("RateLimiter (fake clock)", () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  async function flush(): Promise<void> {
    for (let i = 0; i < 5; i++) await Promise.resolve();
  }

  it("grants N at once, then one more per expired slot, measured from completion", async () => {
    const l = new RateLimiter(3);
    const granted: number[] = [];
    const tickets: Ticket[] = [];
    for (let i = 0; i < 5; i++) {
      void l.acquire().then((t) => {
        granted.push(Date.now());
        tickets.push(t);
      });
    }
    await flush();
    expect(granted).toHaveLength(3);
    // The first three finish 50 ms later: their slots free at +1050.
    jest.advanceTimersByTime(50);
    tickets.forEach((t) => t.done());
    await flush();
    expect(granted).toHaveLength(3);
    jest.advanceTimersByTime(999);
    await flush();
    expect(granted).toHaveLength(3);
    jest.advanceTimersByTime(1);
    await flush();
    expect(granted).toHaveLength(5);
    expect(granted[3] - granted[0]).toBe(1050);
  });

  it("never lets more than N be in flight or recent in any window", async () => {
    const l = new RateLimiter(10);
    const grants: number[] = [];
    let outstanding = 0;
    const run = async () => {
      const t = await l.acquire();
      grants.push(Date.now());
      outstanding++;
      setTimeout(() => {
        outstanding--;
        t.done();
      }, 7);
    };
    for (let i = 0; i < 45; i++) void run();
    for (let i = 0; i < 6000; i += 5) {
      jest.advanceTimersByTime(5);
      await flush();
    }
    expect(grants).toHaveLength(45);
    expect(outstanding).toBe(0);
    for (let i = 10; i < grants.length; i++) {
      expect(grants[i] - grants[i - 10]).toBeGreaterThanOrEqual(1000);
    }
  });

  it("cancel frees a slot at once", async () => {
    const l = new RateLimiter(1);
    const t1 = await l.acquire();
    let second = false;
    void l.acquire().then(() => (second = true));
    await flush();
    expect(second).toBe(false);
    expect(l.pending()).toBe(1);
    t1.cancel();
    await flush();
    expect(second).toBe(true);
  });

  it("penalize holds every request", async () => {
    const l = new RateLimiter(100);
    l.penalize(300);
    let got = false;
    void l.acquire().then(() => (got = true));
    jest.advanceTimersByTime(299);
    await flush();
    expect(got).toBe(false);
    jest.advanceTimersByTime(1);
    await flush();
    expect(got).toBe(true);
  });

  it("supports fractional rates", async () => {
    const l = new RateLimiter(0.5);
    const t = await l.acquire();
    t.done();
    let got = false;
    void l.acquire().then(() => (got = true));
    jest.advanceTimersByTime(1999);
    await flush();
    expect(got).toBe(false);
    jest.advanceTimersByTime(1);
    await flush();
    expect(got).toBe(true);
  });

  it("rejects a non-positive rate and reports its usage", async () => {
    expect(() => new RateLimiter(0)).toThrow(/positive/);
    const l = new RateLimiter(2);
    const t = await l.acquire();
    expect(l.inUse()).toBe(1);
    t.done();
    t.done();
    expect(l.inUse()).toBe(1);
    jest.advanceTimersByTime(1000);
    expect(l.inUse()).toBe(0);
  });
});

describe("getLimiter registry", () => {
  afterEach(() => resetLimiters());

  it("shares one limiter per key and follows the latest rate", () => {
    const k = limiterKey({
      endpoint: "http://127.0.0.1:1",
      secretId: "AKID",
      action: "AssociateSecurityGroups",
    });
    expect(k).toBe("http://127.0.0.1:1|AKID|AssociateSecurityGroups");
    const a = getLimiter(k, 10);
    const b = getLimiter(k, 10);
    expect(a).toBe(b);
    getLimiter(k, 5);
    expect(a.rate).toBe(5);
    const other = getLimiter(k.replace("Associate", "Disassociate"), 10);
    expect(other).not.toBe(a);
  });
});
