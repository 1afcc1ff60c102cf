// A create that takes an instance over from a releaser that gave up waiting
// binds it late; when the look-up after that late bind fails, the create
// still undoes what it bound and drops its claims (a fake scheduler).
import { view } from "./instance-view";
import { ApiError } from "../../provider/impl/errors";
import { Claims, claimKey } from "../../provider/impl/claims";
import type { OpContext } from "../../provider/impl/flows/context";
import { createFlow } from "../../provider/impl/flows/create";
import type { OpResult, Scheduler } from "../../provider/impl/scheduler";
import type { Tuning } from "../../provider/impl/settings";

const SG = "sg-aaaa0001";
const SCOPE = "http://127.0.0.1:1|ap-guangzhou";

it("a failed look-up after a late bind still undoes the create's binds and drops its claims", async () => {
  const claims = new Claims({ othersActive: () => true, waitMs: 20, idleMs: 20, checkMs: 5 });
  const given = claimKey(SCOPE, SG, "ins-2");
  claims.announce(given, "releaser", "a");
  const sent: [string, string[]][] = [];
  let lookups = 0;
  const scheduler = {
    async lookup(ids: string[]) {
      lookups++;
      // The look-up that verifies the late bind fails; the others answer.
      if (lookups === 2)
        throw new ApiError({ action: "DescribeInstances", code: "InternalError", message: "down" });
      const bound = lookups === 1 ? ["ins-2"] : ["ins-1", "ins-2"];
      return new Map(ids.map((id) => [id, view(id, bound.includes(id) ? [SG] : [], `r-${id}`)]));
    },
    async run(kind: string, _sg: string, ids: string[]): Promise<OpResult[]> {
      sent.push([kind, ids]);
      if (kind === "associate" && ids.includes("ins-1")) {
        // The releaser gives up waiting before the create reaches the hand-over.
        expect(await claims.rendezvous(given, "releaser", "a")).toBe("alone");
      }
      return ids.map((id) =>
        kind === "associate" && id === "ins-2"
          ? {
              instanceId: id,
              ok: false,
              reason: "rejected",
              error: new ApiError({ action: "AssociateSecurityGroups", code: "InternalError", message: "x" }),
              requestId: "",
            }
          : {
              instanceId: id,
              ok: true,
              note: "applied",
              instance: view(id, [SG], `r-${id}`),
              requestId: `r-${id}`,
            },
      );
    },
  } as unknown as Scheduler;
  const ctx: OpContext = {
    scheduler,
    tuning: { operationTimeoutMs: 60_000 } as Tuning,
    scope: SCOPE,
    claims,
  };
  await expect(
    createFlow(ctx, {
      securityGroupId: SG,
      instanceIds: ["ins-1", "ins-2"],
      region: "ap-guangzhou",
      adoptExisting: false,
    }),
  ).rejects.toThrow(/unbound again/);
  expect(sent).toEqual([
    ["associate", ["ins-1"]],
    ["associate", ["ins-2"]],
    ["disassociate", ["ins-1"]],
  ]);
  expect(claims.claimedByOther(claimKey(SCOPE, SG, "ins-1"), "someone else")).toBe(false);
});
