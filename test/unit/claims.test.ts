import { Claims, claimKey } from "../../provider/impl/claims";

const K = claimKey("http://127.0.0.1:1|ap-guangzhou", "sg-aaaa0001", "ins-aaaa0002");

describe("Claims: one owner per binding in the process", () => {
  it("the first claim wins; a delete of another resource leaves the binding alone", () => {
    const c = new Claims();
    expect(c.claim([K], "a")).toEqual([]);
    expect(c.claim([K], "b")).toEqual([K]);
    expect(c.claimedByOther(K, "b")).toBe(true);
    expect(c.claimedByOther(K, "a")).toBe(false);
    c.release([K], "b");
    expect(c.claimedByOther(K, "b")).toBe(true);
    c.release([K], "a");
    expect(c.claimedByOther(K, "b")).toBe(false);
  });
});

describe("Claims: hand-over", () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  /** A registry whose clock is jest's, with the engine busy or not as the test says. */
  function registry(busy: (waiting: number) => boolean = () => true): Claims {
    return new Claims({
      now: () => Date.now(),
      waitMs: 60_000,
      idleMs: 2_000,
      checkMs: 100,
      othersActive: busy,
    });
  }

  it("both sides meet: handed over, whichever reaches the rendezvous first", async () => {
    for (const releaserFirst of [true, false]) {
      const c = registry();
      c.announce(K, "releaser", "a");
      c.announce(K, "taker", "b");
      expect(c.startRelease(K, "a")).toBe("hold");
      expect(c.startTake(K, "b")).toBe("handOver");
      const first = releaserFirst ? c.rendezvous(K, "releaser", "a") : c.rendezvous(K, "taker", "b");
      await jest.advanceTimersByTimeAsync(1_000);
      const second = releaserFirst ? c.rendezvous(K, "taker", "b") : c.rendezvous(K, "releaser", "a");
      expect(await Promise.all([first, second])).toEqual(["handedOver", "handedOver"]);
    }
  });

  it("no taker announced: the releaser unbinds at once, and a later taker binds after it", () => {
    const c = registry();
    c.announce(K, "releaser", "a");
    expect(c.startRelease(K, "a")).toBe("unbind");
    expect(c.startTake(K, "b")).toBe("bindAfter");
  });

  it("nobody gives it up: the taker gets nothing (the ownership rule refuses it)", () => {
    expect(registry().startTake(K, "b")).toBe("none");
  });

  it("the taker fails before the rendezvous: the releaser ends alone (and unbinds)", async () => {
    const c = registry();
    c.announce(K, "taker", "b");
    c.announce(K, "releaser", "a");
    expect(c.startRelease(K, "a")).toBe("hold");
    const r = c.rendezvous(K, "releaser", "a");
    c.abandon(K, "taker", "b");
    await expect(r).resolves.toBe("alone");
    // A taker coming after that binds behind the unbind.
    expect(c.startTake(K, "b2")).toBe("bindAfter");
  });

  it("the releaser fails before the rendezvous: the taker ends alone (refuses)", async () => {
    const c = registry();
    c.announce(K, "releaser", "a");
    c.announce(K, "taker", "b");
    c.startTake(K, "b");
    const t = c.rendezvous(K, "taker", "b");
    c.abandon(K, "releaser", "a");
    await expect(t).resolves.toBe("alone");
  });

  it("the releaser gives up waiting and unbinds: a taker coming later binds after it", async () => {
    const c = registry(() => false);
    c.announce(K, "taker", "b");
    c.announce(K, "releaser", "a");
    c.startRelease(K, "a");
    const r = c.rendezvous(K, "releaser", "a");
    await jest.advanceTimersByTimeAsync(2_100);
    await expect(r).resolves.toBe("alone");
    expect(c.startTake(K, "b")).toBe("bindAfter");
  });

  it("a lone side waits while other operations run, and ends when the process is idle", async () => {
    let busy = true;
    const c = registry(() => busy);
    c.announce(K, "releaser", "a");
    c.startTake(K, "b");
    let ended: string | undefined;
    void c.rendezvous(K, "taker", "b").then((v) => (ended = v));
    await jest.advanceTimersByTimeAsync(30_000);
    expect(ended).toBeUndefined();
    busy = false;
    await jest.advanceTimersByTimeAsync(2_100);
    expect(ended).toBe("alone");
  });

  it("one operation waiting for several instances counts once against the engine's load", async () => {
    const K2 = claimKey("http://127.0.0.1:1|ap-guangzhou", "sg-aaaa0001", "ins-aaaa0003");
    // Two operations run: the taker (waiting) and the releaser (still binding elsewhere).
    const c = registry((waiting) => 2 > waiting);
    for (const k of [K, K2]) {
      c.announce(k, "releaser", "a");
      c.announce(k, "taker", "b");
      expect(c.startRelease(k, "a")).toBe("hold");
      expect(c.startTake(k, "b")).toBe("handOver");
    }
    const taken = Promise.all([c.rendezvous(K, "taker", "b"), c.rendezvous(K2, "taker", "b")]);
    await jest.advanceTimersByTimeAsync(5_000);
    const given = Promise.all([c.rendezvous(K, "releaser", "a"), c.rendezvous(K2, "releaser", "a")]);
    expect(await taken).toEqual(["handedOver", "handedOver"]);
    expect(await given).toEqual(["handedOver", "handedOver"]);
  });

  it("never waits longer than waitMs, however busy the process", async () => {
    const c = registry(() => true);
    c.announce(K, "releaser", "a");
    c.startTake(K, "b");
    let ended: string | undefined;
    void c.rendezvous(K, "taker", "b").then((v) => (ended = v));
    await jest.advanceTimersByTimeAsync(59_000);
    expect(ended).toBeUndefined();
    await jest.advanceTimersByTimeAsync(1_100);
    expect(ended).toBe("alone");
  });

  it("a diff repeated (preview, then up) changes nothing", () => {
    const c = registry();
    c.announce(K, "releaser", "a");
    c.announce(K, "taker", "b");
    c.announce(K, "taker", "b");
    expect(c.startRelease(K, "a")).toBe("hold");
  });
});
