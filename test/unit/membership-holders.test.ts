// Listing a group's holders: every page through the limiter, duplicates
// across pages merged, a throttled page retried, a fatal error thrown.
import { ApiError } from "../../provider/impl/errors";
import { holderListing, type GroupPages } from "../../provider/impl/membership/holders";
import { RetryPolicy } from "../../provider/impl/retry";
import { view } from "./instance-view";

const SG = "sg-aaaa0001";

function fakePages(total: number, script: ApiError[] = []): GroupPages & { calls: number[] } {
  const all = Array.from({ length: total }, (_, i) => view(`ins-${String(i).padStart(8, "0")}`, [SG], "r"));
  const calls: number[] = [];
  return {
    calls,
    async describeByGroup(sg, offset, limit) {
      calls.push(offset);
      const e = script.shift();
      if (e) throw e;
      expect(sg).toBe(SG);
      return { total, views: all.slice(offset, offset + limit) };
    },
  };
}

const acquired: number[] = [];
const limiter = () => ({
  acquire: async () => {
    acquired.push(1);
    return { done: () => undefined, cancel: () => undefined };
  },
  penalize: () => undefined,
});
const policy = new RetryPolicy(
  () => ({ baseDelayMs: 1, maxDelayMs: 2, maxTransientAttempts: 3 }),
  () => 0,
);

beforeEach(() => (acquired.length = 0));

describe("holderListing", () => {
  it("reads every page of 100, each through the limiter", async () => {
    const pages = fakePages(250);
    const holders = await holderListing(pages, limiter, policy)(SG, Date.now() + 10_000);
    expect(holders).toHaveLength(250);
    expect(pages.calls.sort((a, b) => a - b)).toEqual([0, 100, 200]);
    expect(acquired).toHaveLength(3);
  });

  it("retries a throttled page, and throws a fatal error", async () => {
    const throttled = new ApiError({
      action: "DescribeInstances",
      code: "RequestLimitExceeded",
      message: "slow down",
    });
    const pages = fakePages(50, [throttled]);
    expect(await holderListing(pages, limiter, policy)(SG, Date.now() + 10_000)).toHaveLength(50);
    expect(pages.calls).toEqual([0, 0]);

    const denied = new ApiError({
      action: "DescribeInstances",
      code: "UnauthorizedOperation",
      message: "no",
    });
    await expect(
      holderListing(fakePages(50, [denied]), limiter, policy)(SG, Date.now() + 10_000),
    ).rejects.toThrow(/UnauthorizedOperation/);
  });

  it("keeps only instances that hold the group, once each", async () => {
    const pages: GroupPages = {
      async describeByGroup(_sg, offset) {
        // The second page repeats one instance (the set shifted between pages) and one no longer holds it.
        return offset === 0
          ? { total: 101, views: [view("ins-a0000001", [SG], "r"), view("ins-a0000002", [SG], "r")] }
          : {
              total: 101,
              views: [view("ins-a0000002", [SG], "r"), view("ins-a0000003", ["sg-other001"], "r")],
            };
      },
    };
    const holders = await holderListing(pages, limiter, policy)(SG, Date.now() + 10_000);
    expect(holders.map((v) => v.instanceId).sort()).toEqual(["ins-a0000001", "ins-a0000002"]);
  });
});
