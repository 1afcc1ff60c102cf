import { implementation, stats } from "../../provider/impl/index";
import { bindingCalls, create, errorOf, lastSeq, useHarness } from "./helpers";
import { ins, makeSeed, REGION, SECRET_ID, SECRET_KEY, sg, TOKEN } from "./world";

const h = useHarness();

/** Resolves once this process has sent a Disassociate request (it is then held by a latency fault). */
async function disassociateSent(before: number): Promise<void> {
  const until = Date.now() + 10_000;
  while ((stats().requests.DisassociateSecurityGroups ?? 0) <= before) {
    if (Date.now() > until) throw new Error("no Disassociate was sent");
    await new Promise((res) => setTimeout(res, 5));
  }
}

function outsideClient(): any {
  // Another client of the cloud (the official SDK, not this provider).
  const { cvm } = require("tencentcloud-sdk-nodejs-cvm");
  return new cvm.v20170312.Client({
    credential: { secretId: SECRET_ID, secretKey: SECRET_KEY, token: TOKEN },
    region: REGION,
    profile: { httpProfile: { endpoint: h.emu.url.replace(/^http:\/\//, ""), protocol: "http://" } },
  });
}

async function unbindOutside(group: string, ids: string[]): Promise<void> {
  // The same as a console click. (Not this provider's delete: in one process it
  // leaves alone a binding another resource claimed.)
  await outsideClient().DisassociateSecurityGroups({ SecurityGroupIds: [group], InstanceIds: ids });
  await h.emu.control.waitIdle();
}

async function bindOutside(group: string, ids: string[]): Promise<void> {
  await outsideClient().AssociateSecurityGroups({ SecurityGroupIds: [group], InstanceIds: ids });
  await h.emu.control.waitIdle();
}

/** DescribeInstances requests sent since `seq`. */
async function describeCalls(seq: number): Promise<number> {
  return (await h.emu.control.calls(seq)).filter((c) => c.action === "DescribeInstances").length;
}

describe("read (refresh)", () => {
  it("drops instances deleted or detached outside Pulumi; the next diff/update binds them again", async () => {
    const r = await create(sg(1), [ins(1), ins(2), ins(3)]);
    await h.emu.control.mutate({ op: "deleteInstance", region: REGION, id: ins(3) });
    await unbindOutside(sg(1), [ins(2)]);
    const read = await implementation.read(r.id, r.outs);
    expect(read.id).toBe(r.id);
    // The removal is counted (fights.ts); the deleted instance is not a removal.
    expect(read.props).toEqual({
      ...r.outs,
      instanceIds: [ins(1)],
      priorities: { [ins(1)]: 1 },
      removedOutside: { [ins(2)]: 1 },
    });

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

  it("keeps the resource, listing nothing, when operations outside removed all its bindings (the count must survive)", async () => {
    const r = await create(sg(1), [ins(1), ins(2)]);
    await unbindOutside(sg(1), [ins(1), ins(2)]);
    const read = await implementation.read(r.id, r.outs);
    expect(read).toMatchObject({
      id: r.id,
      props: {
        instanceIds: [],
        declaredInstanceIds: [ins(1), ins(2)],
        removedOutside: { [ins(1)]: 1, [ins(2)]: 1 },
      },
      inputs: { instanceIds: [] },
    });
    // The next up binds them again (an update, not a create).
    const news = {
      securityGroupId: sg(1),
      instanceIds: [ins(1), ins(2)],
      region: REGION,
      adoptExisting: false,
    };
    expect(await implementation.diff(r.id, read.props!, news)).toEqual({ changes: true });
    const upd = await implementation.update(r.id, read.props!, news);
    expect(upd.outs).toMatchObject({
      instanceIds: [ins(1), ins(2)],
      removedOutside: { [ins(1)]: 1, [ins(2)]: 1 },
    });
    expect((await h.bindings())[ins(1)]).toEqual([sg(99), sg(1)]);
  });

  it("returns {} (resource gone) when nothing is bound and no operation removed it (instances deleted)", async () => {
    const r = await create(sg(1), [ins(1), ins(2)]);
    for (const id of [ins(1), ins(2)])
      await h.emu.control.mutate({ op: "deleteInstance", region: REGION, id });
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
      declaredInstanceIds: [ins(1)],
      region: REGION,
      adoptExisting: false,
      priorities: { [ins(1)]: 1 },
      adoptedInstanceIds: [],
    });
  });

  it("a refresh drops an instance unbound outside Pulumi; bound again outside, the next refresh lists it again", async () => {
    const r = await create(sg(1), [ins(1), ins(2), ins(3)]);
    expect(r.outs.declaredInstanceIds).toEqual([ins(1), ins(2), ins(3)]);
    await unbindOutside(sg(1), [ins(2)]);
    const read1 = await implementation.read(r.id, r.outs);
    expect(read1.props).toEqual({
      ...r.outs,
      instanceIds: [ins(1), ins(3)],
      declaredInstanceIds: [ins(1), ins(2), ins(3)],
      priorities: { [ins(1)]: 1, [ins(3)]: 1 },
      removedOutside: { [ins(2)]: 1 },
    });
    expect(read1.inputs).toMatchObject({ instanceIds: [ins(1), ins(3)] });

    await bindOutside(sg(1), [ins(2)]);
    const seq = await lastSeq(h.emu);
    const read2 = await implementation.read(r.id, read1.props!);
    // One look-up (declared ∪ recorded) and nothing else.
    expect(await describeCalls(seq)).toBe(1);
    expect(await bindingCalls(h.emu, seq)).toEqual([]);
    expect(read2).toEqual({
      id: r.id,
      // The removal stays counted (fights.ts): cumulative, not reset when bound again.
      props: {
        ...r.outs,
        priorities: { [ins(1)]: 1, [ins(2)]: 1, [ins(3)]: 1 },
        removedOutside: { [ins(2)]: 1 },
      },
      inputs: {
        securityGroupId: sg(1),
        instanceIds: [ins(1), ins(2), ins(3)],
        region: REGION,
        adoptExisting: false,
      },
    });
    // The program (unchanged) against the refreshed outputs: nothing to do.
    const program = {
      securityGroupId: sg(1),
      instanceIds: [ins(1), ins(2), ins(3)],
      region: REGION,
      adoptExisting: false,
    };
    expect(await implementation.diff(r.id, read2.props!, program)).toEqual({ changes: false });
    // A second refresh: the same outputs, and outputs vs stored inputs show no change.
    const read3 = await implementation.read(r.id, read2.props!);
    expect(read3).toEqual(read2);
    expect(await implementation.diff(r.id, read3.props!, read3.inputs as any)).toEqual({ changes: false });
    // Delete unbinds it like the others.
    await implementation.delete(r.id, read3.props!);
    expect((await h.bindings())[ins(2)]).toEqual([sg(99)]);
  });

  it("an adopted instance found bound again after a drop is not counted as adopted", async () => {
    await h.reset(makeSeed({ extra: { [ins(1)]: [sg(99), sg(1)] } }));
    const r = await create(sg(1), [ins(1), ins(2)], { adoptExisting: true });
    expect(r.outs.adoptedInstanceIds).toEqual([ins(1)]);
    await unbindOutside(sg(1), [ins(1)]);
    const read1 = await implementation.read(r.id, r.outs);
    expect(read1.props).toMatchObject({ instanceIds: [ins(2)], adoptedInstanceIds: [] });
    await bindOutside(sg(1), [ins(1)]);
    const read2 = await implementation.read(r.id, read1.props!);
    expect(read2.props).toMatchObject({
      instanceIds: [ins(1), ins(2)],
      declaredInstanceIds: [ins(1), ins(2)],
      adoptedInstanceIds: [],
    });
    // Same rule when no refresh ran in between and the next update meets it bound.
    const upd = await implementation.update(r.id, read1.props!, {
      securityGroupId: sg(1),
      instanceIds: [ins(1), ins(2)],
      region: REGION,
      adoptExisting: true,
    });
    expect(upd.outs).toMatchObject({ instanceIds: [ins(1), ins(2)], adoptedInstanceIds: [] });
  });

  it("counts each removal once: an instance a refresh already dropped is not counted again", async () => {
    const r = await create(sg(1), [ins(1), ins(2)]);
    await unbindOutside(sg(1), [ins(2)]);
    const read1 = await implementation.read(r.id, r.outs);
    expect(read1.props).toMatchObject({ instanceIds: [ins(1)], removedOutside: { [ins(2)]: 1 } });
    await unbindOutside(sg(1), [ins(1)]);
    const read2 = await implementation.read(r.id, read1.props!);
    expect(read2.props).toMatchObject({
      instanceIds: [],
      declaredInstanceIds: [ins(1), ins(2)],
      removedOutside: { [ins(1)]: 1, [ins(2)]: 1 },
    });
  });

  it("outputs of an older version (no declaredInstanceIds) are read as declaring what they record", async () => {
    const r = await create(sg(1), [ins(1), ins(2), ins(3)]);
    // State written by an older build after its refresh had dropped ins-2.
    const { declaredInstanceIds: _d, ...legacy } = { ...r.outs, instanceIds: [ins(1), ins(3)] };
    await unbindOutside(sg(1), [ins(2)]);
    const read1 = await implementation.read(r.id, legacy as any);
    expect(read1.props).toMatchObject({
      instanceIds: [ins(1), ins(3)],
      declaredInstanceIds: [ins(1), ins(3)],
    });
    // What the older build had already forgotten stays forgotten...
    await bindOutside(sg(1), [ins(2)]);
    expect((await implementation.read(r.id, legacy as any)).props?.instanceIds).toEqual([ins(1), ins(3)]);
    // ...but from now on the recorded set is kept: ins-3 unbound, then bound again, is found.
    await unbindOutside(sg(1), [ins(3)]);
    const read2 = await implementation.read(r.id, read1.props!);
    expect(read2.props).toMatchObject({ instanceIds: [ins(1)], declaredInstanceIds: [ins(1), ins(3)] });
    await bindOutside(sg(1), [ins(3)]);
    const read3 = await implementation.read(r.id, read2.props!);
    expect(read3.props).toMatchObject({
      instanceIds: [ins(1), ins(3)],
      declaredInstanceIds: [ins(1), ins(3)],
    });
    // An update with the program writes the declared set. The program's ins-2,
    // forgotten by the older build and bound again outside, is someone else's
    // binding now: refused as a create would, adopted with adoptExisting.
    const seq = await lastSeq(h.emu);
    const news = { securityGroupId: sg(1), instanceIds: [ins(1), ins(2), ins(3)], region: REGION };
    expect(
      await errorOf(() => implementation.update(r.id, legacy as any, { ...news, adoptExisting: false })),
    ).toMatch(/already bound to sg-00000001: ins-00000002\./);
    const upd = await implementation.update(r.id, legacy as any, { ...news, adoptExisting: true });
    expect(upd.outs.declaredInstanceIds).toEqual([ins(1), ins(2), ins(3)]);
    expect(upd.outs.adoptedInstanceIds).toEqual([ins(2)]);
    expect(await bindingCalls(h.emu, seq)).toEqual([]);
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
