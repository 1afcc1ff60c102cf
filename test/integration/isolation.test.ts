// An error that names no culprit, in a request shared by several resources:
// only the resources it concerns fail (through the provider's own methods).
import { bindingCalls, create, lastSeq, useHarness } from "./helpers";
import { ins, sg } from "./world";

const h = useHarness();

describe("isolating an error that names no culprit", () => {
  it("a CAM deny of one instance: three creates sent together, only the denied one fails", async () => {
    await h.emu.control.addFault({
      kind: "error",
      action: "AssociateSecurityGroups",
      code: "UnauthorizedOperation",
      instanceIds: [ins(2)],
    });
    const seq = await lastSeq(h.emu);
    const [one, two, three] = await Promise.allSettled(
      [ins(1), ins(2), ins(3)].map((i) => create(sg(1), [i])),
    );
    expect(one.status).toBe("fulfilled");
    expect(three.status).toBe("fulfilled");
    expect(two.status === "rejected" && (two.reason as Error).message).toMatch(
      new RegExp(`${ins(2)}.*UnauthorizedOperation`, "s"),
    );
    const calls = await bindingCalls(h.emu, seq);
    // Sent together first; the named instance then alone, the others together.
    expect(calls.map((c) => [c.errorCode ?? "ok", [...(c.instanceIds ?? [])].sort()])).toEqual([
      ["UnauthorizedOperation", [ins(1), ins(2), ins(3)]],
      ["UnauthorizedOperation", [ins(2)]],
      ["ok", [ins(1), ins(3)]],
    ]);
    const world = await h.bindings();
    expect(world[ins(1)]).toContain(sg(1));
    expect(world[ins(2)]).not.toContain(sg(1));
    expect(world[ins(3)]).toContain(sg(1));
  });

  it("an error that fails every request alike is not split", async () => {
    await h.emu.control.addFault({
      kind: "error",
      action: "AssociateSecurityGroups",
      code: "AuthFailure.TokenFailure",
    });
    const seq = await lastSeq(h.emu);
    const results = await Promise.allSettled([ins(1), ins(2), ins(3)].map((i) => create(sg(1), [i])));
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected", "rejected"]);
    expect(
      (await bindingCalls(h.emu, seq)).filter((c) => c.action === "AssociateSecurityGroups"),
    ).toHaveLength(1);
  });
});
