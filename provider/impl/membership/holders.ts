// Every instance of the region that holds a group: DescribeInstances filtered
// by `security-group-id`, 100 a page, each page through the process's
// DescribeInstances limiter and the one retry policy.

import { type InstanceView, toApiError } from "../api";
import type { RetryPolicy } from "../retry";
import { noRetries } from "../retry";
import type { LimiterLike } from "../scheduler";
import { counters } from "../stats";

/** The API's largest page. */
const PAGE = 100;

export interface GroupPages {
  describeByGroup(
    sg: string,
    offset: number,
    limit: number,
  ): Promise<{ total: number; views: InstanceView[] }>;
}

export type ListHolders = (sg: string, deadline: number) => Promise<InstanceView[]>;

export function holderListing(
  pages: GroupPages,
  limiter: () => LimiterLike,
  policy: RetryPolicy,
): ListHolders {
  const page = async (sg: string, offset: number, deadline: number) => {
    const l = limiter();
    const retries = noRetries();
    for (;;) {
      const ticket = await l.acquire();
      try {
        const res = await pages.describeByGroup(sg, offset, PAGE);
        ticket.done();
        return res;
      } catch (e) {
        ticket.done();
        const d = policy.decideOne(retries, deadline, toApiError("DescribeInstances", e));
        if (d.giveUp) throw d.giveUp;
        if (d.cls === "throttling") l.penalize(d.delayMs);
        counters.retry();
        await new Promise((r) => setTimeout(r, d.delayMs));
      }
    }
  };
  return async (sg, deadline) => {
    const first = await page(sg, 0, deadline);
    const byId = new Map(first.views.map((v) => [v.instanceId, v] as const));
    // The other pages at once: the limiter paces them.
    const rest: Promise<{ views: InstanceView[] }>[] = [];
    for (let offset = PAGE; offset < first.total; offset += PAGE) rest.push(page(sg, offset, deadline));
    for (const p of await Promise.all(rest)) for (const v of p.views) byId.set(v.instanceId, v);
    // A page may overlap another when holders change between pages; the filter is the truth.
    return [...byId.values()].filter((v) => v.securityGroupIds.includes(sg));
  };
}
