import { implementation } from "../../provider/impl/index";
import { bindingCalls, create, errorOf, lastSeq, useHarness } from "./helpers";
import { ins, makeSeed, REGION, sg } from "./world";

let seedWorld: Record<string, string[]>;

const h = useHarness();
beforeEach(async () => {
  seedWorld = await h.bindings();
});

const FULL = [sg(5), sg(6), sg(7), sg(8), sg(9)];

describe("create refuses before binding anything", () => {
  it("names missing instances; nothing bound, no Associate sent", async () => {
    const msg = await errorOf(() => create(sg(1), [ins(1), "ins-zzzz9999", "ins-yyyy8888"]));
    expect(msg).toMatch(/nothing was changed/);
    expect(msg).toMatch(/instances not found in ap-guangzhou: ins-yyyy8888, ins-zzzz9999/);
    expect(await bindingCalls(h.emu)).toEqual([]);
    expect(await h.bindings()).toEqual(seedWorld);
  });

  it("names instances already bound and points at adoptExisting", async () => {
    await h.reset(makeSeed({ extra: { [ins(2)]: [sg(99), sg(1)] } }));
    seedWorld = await h.bindings();
    const msg = await errorOf(() => create(sg(1), [ins(1), ins(2)]));
    expect(msg).toMatch(/already bound to sg-00000001: ins-00000002/);
    expect(msg).toMatch(/adoptExisting: true/);
    expect(await bindingCalls(h.emu)).toEqual([]);
    expect(await h.bindings()).toEqual(seedWorld);
  });

  it("adopts existing bindings with adoptExisting: true; delete then unbinds them too", async () => {
    await h.reset(makeSeed({ extra: { [ins(2)]: [sg(1), sg(99)] } }));
    const r = await create(sg(1), [ins(1), ins(2)], { adoptExisting: true });
    expect(r.outs.adoptedInstanceIds).toEqual([ins(2)]);
    expect(r.outs.adoptExisting).toBe(true);
    expect(r.outs.priorities).toEqual({ [ins(1)]: 1, [ins(2)]: 0 });
    const calls = await bindingCalls(h.emu);
    expect(calls.map((c) => c.instanceIds)).toEqual([[ins(1)]]);
    await implementation.delete(r.id, r.outs);
    const w = await h.bindings();
    expect(w[ins(1)]).toEqual([sg(99)]);
    expect(w[ins(2)]).toEqual([sg(99)]);
  });

  it("names instances at the 5-group limit and mentions deleteBeforeReplace", async () => {
    await h.reset(makeSeed({ extra: { [ins(3)]: FULL } }));
    seedWorld = await h.bindings();
    const msg = await errorOf(() => create(sg(1), [ins(1), ins(3)]));
    expect(msg).toMatch(/maximum of 5 security groups: ins-00000003 \(holds sg-00000005, .*sg-00000009\)/);
    expect(msg).toMatch(/deleteBeforeReplace: true/);
    expect(await bindingCalls(h.emu)).toEqual([]);
    expect(await h.bindings()).toEqual(seedWorld);
  });

  it("reports every problem at once", async () => {
    await h.reset(makeSeed({ extra: { [ins(3)]: FULL, [ins(2)]: [sg(1)] } }));
    const msg = await errorOf(() => create(sg(1), [ins(1), ins(2), ins(3), "ins-zzzz9999"]));
    expect(msg).toMatch(/not found.*ins-zzzz9999/);
    expect(msg).toMatch(/already bound.*ins-00000002/);
    expect(msg).toMatch(/maximum of 5.*ins-00000003/);
  });

  it("fails check (not create) on bad shapes, and create refuses them too", async () => {
    const r = await implementation.check(
      {},
      { securityGroupId: "sg-1", instanceIds: ["ins-00000001", "bad"], region: "x" },
    );
    expect(r.failures!.map((f) => f.property)).toEqual(["securityGroupId", "instanceIds[1]", "region"]);
    const msg = await errorOf(() => implementation.create({ securityGroupId: "sg-1", instanceIds: [] }));
    expect(msg).toMatch(/securityGroupId "sg-1"/);
    expect(msg).toMatch(/must not be empty/);
    expect((await h.emu.control.calls()).length).toBe(0);
  });

  it("fails check on region when no region is configured anywhere", async () => {
    const saved = process.env.TENCENTCLOUD_REGION;
    delete process.env.TENCENTCLOUD_REGION;
    try {
      const r = await implementation.check({}, { securityGroupId: sg(1), instanceIds: [ins(1)] });
      expect(r.failures).toEqual([
        expect.objectContaining({ property: "region", reason: expect.stringMatching(/tencentcloud:region/) }),
      ]);
    } finally {
      process.env.TENCENTCLOUD_REGION = saved;
    }
  });
});

describe("create failing midway is undone", () => {
  it("FAILED async operation: error carries LatestOperationErrorMsg, what was bound is unbound again", async () => {
    await h.emu.control.addFault({
      kind: "operationFailure",
      action: "AssociateSecurityGroups",
      instanceIds: [ins(4)],
      message: "security group service rejected the vif",
    });
    const msg = await errorOf(() => create(sg(1), [ins(1), ins(2), ins(3), ins(4)]));
    expect(msg).toMatch(
      /FAILED on ins-00000004: security group service rejected the vif \(RequestId: [0-9a-f-]+\)/,
    );
    expect(msg).toMatch(/unbound again; the instances are as they were/);
    expect(await h.bindings()).toEqual(seedWorld);
    const calls = await bindingCalls(h.emu);
    const undo = calls.filter((c) => c.action === "DisassociateSecurityGroups");
    expect(undo.flatMap((c) => c.instanceIds).sort()).toEqual([ins(1), ins(2), ins(3)]);
    // Other groups never touched: every Disassociate names our group only.
    expect(undo.every((c) => c.securityGroupIds?.length === 1 && c.securityGroupIds[0] === sg(1))).toBe(true);
  });

  it("the group does not exist: API error with code and RequestId, nothing changed", async () => {
    const msg = await errorOf(() => create(sg(55), [ins(1)]));
    expect(msg).toMatch(/\[InvalidSecurityGroupId.NotFound\]/);
    expect(msg).toMatch(/RequestId: [0-9a-f-]+/);
    expect(msg).toMatch(/Check securityGroupId and the region/);
    expect(await h.bindings()).toEqual(seedWorld);
  });

  it("the instance state forbids it: UnsupportedOperation reported, others undone", async () => {
    await h.emu.control.mutate({ op: "setInstanceState", region: REGION, id: ins(2), state: "PENDING" });
    const msg = await errorOf(() => create(sg(1), [ins(1), ins(2)]));
    expect(msg).toMatch(/UnsupportedOperation.InstanceStatePending/);
    expect(msg).toMatch(/ins-00000002/);
    expect(await h.bindings()).toEqual(seedWorld);
  });

  it("concurrent creates push an instance over 5 groups: the late one fails cleanly, the others land", async () => {
    await h.reset(makeSeed({ extra: { [ins(1)]: [sg(99)] } }));
    const results = await Promise.allSettled([1, 2, 3, 4, 5].map((n) => create(sg(n), [ins(1), ins(n + 1)])));
    const ok = results.filter((r) => r.status === "fulfilled");
    const bad = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(ok).toHaveLength(4);
    expect(bad).toHaveLength(1);
    expect(bad[0].reason.message).toMatch(/LimitExceeded.AssociateUSGLimitExceeded/);
    expect(bad[0].reason.message).toMatch(/deleteBeforeReplace: true/);
    expect(bad[0].reason.message).toMatch(/unbound again/);
    const w = await h.bindings();
    expect(w[ins(1)]).toHaveLength(5);
    expect(w[ins(1)][0]).toBe(sg(99));
    // The failed resource's second instance was undone as well.
    const failedSg = [1, 2, 3, 4, 5].map(sg).find((g) => !w[ins(1)].includes(g))!;
    const n = Number(failedSg.slice(3));
    expect(w[ins(n + 1)]).toEqual([sg(99)]);
  });

  it("a replacement blocked by the 5-group limit tells the user to set deleteBeforeReplace", async () => {
    await h.reset(makeSeed({ extra: { [ins(1)]: [sg(1), sg(6), sg(7), sg(8), sg(9)] } }));
    const old = await create(sg(1), [ins(1)], { adoptExisting: true });
    const diff = await implementation.diff(old.id, old.outs, { ...old.outs, securityGroupId: sg(2) });
    expect(diff).toEqual({ changes: true, replaces: ["securityGroupId"] });
    const seq = await lastSeq(h.emu);
    const msg = await errorOf(() => create(sg(2), [ins(1)]));
    expect(msg).toMatch(/deleteBeforeReplace: true/);
    expect(await bindingCalls(h.emu, seq)).toEqual([]);
    // With deleteBeforeReplace the old one goes first and then the new one fits.
    await implementation.delete(old.id, old.outs);
    const repl = await create(sg(2), [ins(1)]);
    expect(repl.outs.priorities).toEqual({ [ins(1)]: 4 });
  });
});

describe("two resources claiming one binding", () => {
  it("exactly one owns it; the other fails naming the instance and binds nothing", async () => {
    const results = await Promise.allSettled([
      create(sg(1), [ins(1), ins(2)]),
      create(sg(1), [ins(2), ins(3)]),
    ]);
    const failed = results.filter((r) => r.status === "rejected") as PromiseRejectedResult[];
    expect(failed).toHaveLength(1);
    expect(String(failed[0].reason.message)).toMatch(
      /claimed by another SecurityGroupAttachment.*ins-00000002/,
    );
    const w = await h.bindings();
    expect(w[ins(2)]).toEqual([sg(99), sg(1)]);
    // The loser bound nothing of its own.
    const winner = results.find((r) => r.status === "fulfilled") as PromiseFulfilledResult<{
      outs: { instanceIds: string[] };
    }>;
    const loserOnly = winner.value.outs.instanceIds.includes(ins(1)) ? ins(3) : ins(1);
    expect(w[loserOnly]).toEqual([sg(99)]);
  });
});
