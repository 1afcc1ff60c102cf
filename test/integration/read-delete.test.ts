import { implementation, stats } from "../../provider/impl/index";
import { bindingCalls, create, errorOf, Harness, ins, lastSeq, REGION, sg, startHarness } from "./helpers";

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.stop();
});
beforeEach(async () => {
  await h.reset();
});

/** Resolves once this process has sent a Disassociate request (it is then held by a latency fault). */
async function disassociateSent(before: number): Promise<void> {
  const until = Date.now() + 10_000;
  while ((stats().requests.DisassociateSecurityGroups ?? 0) <= before) {
    if (Date.now() > until) throw new Error("no Disassociate was sent");
    await new Promise((res) => setTimeout(res, 5));
  }
}

async function unbindOutside(group: string, ids: string[]): Promise<void> {
  // Another resource (another actor) unbinds: the same as a console click.
  await implementation.delete("outside", {
    securityGroupId: group,
    instanceIds: ids,
    region: REGION,
    adoptExisting: false,
    priorities: {},
    adoptedInstanceIds: [],
  });
}

describe("read (refresh)", () => {
  it("drops instances deleted or detached outside Pulumi; the next diff/update binds them again", async () => {
    const r = await create(sg(1), [ins(1), ins(2), ins(3)]);
    await h.emu.control.mutate({ op: "deleteInstance", region: REGION, id: ins(3) });
    await unbindOutside(sg(1), [ins(2)]);
    const read = await implementation.read(r.id, r.outs);
    expect(read.id).toBe(r.id);
    expect(read.props).toEqual({ ...r.outs, instanceIds: [ins(1)], priorities: { [ins(1)]: 1 } });

    const news = {
      securityGroupId: sg(1),
      instanceIds: [ins(1), ins(2)],
      region: REGION,
      adoptExisting: false,
    };
    expect(await implementation.diff(r.id, read.props!, news)).toEqual({ changes: true });
    const seq = await lastSeq(h.emu);
    const upd = await implementation.update(r.id, read.props!, news);
    expect(upd.outs.instanceIds).toEqual([ins(1), ins(2)]);
    expect((await bindingCalls(h.emu, seq)).map((c) => [c.action, c.instanceIds])).toEqual([
      ["AssociateSecurityGroups", [ins(2)]],
    ]);
    expect((await h.bindings())[ins(2)]).toEqual([sg(99), sg(1)]);
  });

  it("a deleted instance kept in the program makes the update fail with a clear message", async () => {
    const r = await create(sg(1), [ins(1), ins(3)]);
    await h.emu.control.mutate({ op: "deleteInstance", region: REGION, id: ins(3) });
    const read = await implementation.read(r.id, r.outs);
    const msg = await errorOf(() =>
      implementation.update(r.id, read.props!, { ...r.outs, instanceIds: [ins(1), ins(3)] }),
    );
    expect(msg).toMatch(/instances not found in ap-guangzhou: ins-00000003. Remove them from instanceIds/);
  });

  it("returns {} (resource gone) when nothing is bound any more", async () => {
    const r = await create(sg(1), [ins(1), ins(2)]);
    await unbindOutside(sg(1), [ins(1), ins(2)]);
    expect(await implementation.read(r.id, r.outs)).toEqual({});
  });

  it("returns {} when the security group was deleted", async () => {
    const r = await create(sg(2), [ins(4)]);
    await h.emu.control.mutate({ op: "deleteSecurityGroup", region: REGION, id: sg(2) });
    expect(await implementation.read(r.id, r.outs)).toEqual({});
  });

  it("reads outputs written by an older version (missing fields)", async () => {
    const r = await create(sg(1), [ins(1)]);
    const legacy = { securityGroupId: sg(1), instanceIds: [ins(1)] } as any;
    const read = await implementation.read(r.id, legacy);
    expect(read.props).toEqual({
      securityGroupId: sg(1),
      instanceIds: [ins(1)],
      region: REGION,
      adoptExisting: false,
      priorities: { [ins(1)]: 1 },
      adoptedInstanceIds: [],
    });
  });
});

describe("delete", () => {
  it("unbinds only our group and keeps the others in order", async () => {
    const a = await create(sg(1), [ins(1), ins(2)]);
    const b = await create(sg(2), [ins(1)]);
    await implementation.delete(a.id, a.outs);
    const w = await h.bindings();
    expect(w[ins(1)]).toEqual([sg(99), sg(2)]);
    expect(w[ins(2)]).toEqual([sg(99)]);
    const dis = (await bindingCalls(h.emu)).filter((c) => c.action === "DisassociateSecurityGroups");
    expect(dis.every((c) => c.securityGroupIds![0] === sg(1))).toBe(true);
    await implementation.delete(b.id, b.outs);
  });

  it("succeeds when the security group was deleted first", async () => {
    const r = await create(sg(3), [ins(1), ins(2)]);
    await h.emu.control.mutate({ op: "deleteSecurityGroup", region: REGION, id: sg(3) });
    await expect(implementation.delete(r.id, r.outs)).resolves.toBeUndefined();
    expect((await h.bindings())[ins(1)]).toEqual([sg(99)]);
  });

  it("succeeds when the group is deleted while the unbind is in flight (InvalidSecurityGroupId.NotFound)", async () => {
    const r = await create(sg(3), [ins(1), ins(2)]);
    await h.emu.control.addFault({ kind: "latency", action: "DisassociateSecurityGroups", ms: 300 });
    const sent = stats().requests.DisassociateSecurityGroups ?? 0;
    const del = implementation.delete(r.id, r.outs);
    await disassociateSent(sent);
    await h.emu.control.mutate({ op: "deleteSecurityGroup", region: REGION, id: sg(3) });
    await expect(del).resolves.toBeUndefined();
    const dis = (await bindingCalls(h.emu)).filter((c) => c.action === "DisassociateSecurityGroups");
    expect(dis.map((c) => c.errorCode)).toEqual(["InvalidSecurityGroupId.NotFound"]);
    expect((await h.bindings())[ins(1)]).toEqual([sg(99)]);
  });

  it("treats an instance deleted while the unbind is in flight as done, and unbinds the rest", async () => {
    const r = await create(sg(1), [ins(1), ins(2)]);
    await h.emu.control.addFault({ kind: "latency", action: "DisassociateSecurityGroups", ms: 300 });
    const sent = stats().requests.DisassociateSecurityGroups ?? 0;
    const del = implementation.delete(r.id, r.outs);
    await disassociateSent(sent);
    await h.emu.control.mutate({ op: "deleteInstance", region: REGION, id: ins(1) });
    await expect(del).resolves.toBeUndefined();
    const dis = (await bindingCalls(h.emu)).filter((c) => c.action === "DisassociateSecurityGroups");
    expect(dis.map((c) => [c.errorCode ?? "ok", c.instanceIds])).toEqual([
      ["InvalidInstanceId.NotFound", [ins(1), ins(2)]],
      ["ok", [ins(2)]],
    ]);
    expect((await h.bindings())[ins(2)]).toEqual([sg(99)]);
  });

  it("does not report success when the API claims the group is gone but the instance still holds it", async () => {
    const r = await create(sg(3), [ins(1)]);
    await h.emu.control.addFault({
      kind: "error",
      action: "DisassociateSecurityGroups",
      code: "InvalidSecurityGroupId.NotFound",
      count: 1,
    });
    const msg = await errorOf(() => implementation.delete(r.id, r.outs));
    expect(msg).toMatch(/ins-00000001 still hold sg-00000003 after the operations finished/);
    expect(msg).toMatch(/stays in the stack/);
    await implementation.delete(r.id, r.outs);
    expect((await h.bindings())[ins(1)]).toEqual([sg(99)]);
  });

  it("is a no-op (no Disassociate) when already unbound", async () => {
    const r = await create(sg(1), [ins(1)]);
    await unbindOutside(sg(1), [ins(1)]);
    const seq = await lastSeq(h.emu);
    await implementation.delete(r.id, r.outs);
    expect(await bindingCalls(h.emu, seq)).toEqual([]);
  });

  it("a failed unbind keeps the resource (throws) and the next delete finishes the job", async () => {
    const r = await create(sg(1), [ins(1), ins(2)]);
    await h.emu.control.addFault({
      kind: "operationFailure",
      action: "DisassociateSecurityGroups",
      instanceIds: [ins(2)],
      count: 1,
      message: "backend unavailable",
    });
    const msg = await errorOf(() => implementation.delete(r.id, r.outs));
    expect(msg).toMatch(/Cannot unbind sg-00000001 in ap-guangzhou/);
    expect(msg).toMatch(/FAILED on ins-00000002: backend unavailable/);
    expect(msg).toMatch(/Unbound so far: \[ins-00000001\]/);
    expect(msg).toMatch(/stays in the stack/);
    expect((await h.bindings())[ins(2)]).toEqual([sg(99), sg(1)]);
    await implementation.delete(r.id, r.outs);
    expect((await h.bindings())[ins(2)]).toEqual([sg(99)]);
  });

  it("ignores outputs with nothing to do", async () => {
    await expect(implementation.delete("x", {} as any)).resolves.toBeUndefined();
    expect((await h.emu.control.calls()).length).toBe(0);
  });
});
