// A releaser whose update fails after it handed an instance over, through the
// provider's own methods in one process: Pulumi keeps its old outputs, which
// still list the instance; its next update, refresh and delete must leave the
// taker's binding alone (journal gifts), and its own bindings as before.
import { implementation, resetForTests } from "../../provider/impl/index";
import { create, Harness, ins, REGION, sg, startHarness } from "./helpers";

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

const owner = (name: string) => `proj/stack/${name}`;
const news = (name: string, ids: string[]) => ({
  securityGroupId: sg(1),
  instanceIds: ids,
  region: REGION,
  adoptExisting: false,
  owner: owner(name),
});

async function holdsGroup(id: string): Promise<boolean> {
  await h.emu.control.waitIdle();
  return (await h.bindings())[id].includes(sg(1));
}

/**
 * A hands ins-2 over to B and takes ins-4 from C in one deployment; C's own
 * bind of ins-6 fails, so C keeps ins-4 and A's update fails after its
 * hand-over. Returns A as the engine keeps it (old outputs) and B's outputs.
 */
async function failedAfterHandOver() {
  const a = await create(sg(1), [ins(1), ins(2)], { owner: owner("a") });
  const b = await create(sg(1), [ins(3)], { owner: owner("b") });
  const c = await create(sg(1), [ins(4), ins(5)], { owner: owner("c") });
  resetForTests();
  const nA = news("a", [ins(1), ins(4)]);
  const nB = news("b", [ins(2), ins(3)]);
  const nC = news("c", [ins(5), ins(6)]);
  await implementation.diff(a.id, a.outs, nA);
  await implementation.diff(b.id, b.outs, nB);
  await implementation.diff(c.id, c.outs, nC);
  await h.emu.control.addFault({
    kind: "operationFailure",
    action: "AssociateSecurityGroups",
    instanceIds: [ins(6)],
    message: "refused (injected)",
  });
  const [ra, rb, rc] = await Promise.allSettled([
    implementation.update(a.id, a.outs, nA),
    implementation.update(b.id, b.outs, nB),
    implementation.update(c.id, c.outs, nC),
  ]);
  await h.emu.control.clearFaults();
  expect([ra.status, rc.status]).toEqual(["rejected", "rejected"]);
  expect(rb.status === "fulfilled" && rb.value.outs.instanceIds).toEqual([ins(2), ins(3)]);
  expect(await holdsGroup(ins(2))).toBe(true);
  resetForTests();
  return { a };
}

describe("a releaser whose update failed after a hand-over", () => {
  it("its next update leaves the taker's binding and binds what it adds", async () => {
    const { a } = await failedAfterHandOver();
    expect(a.outs.instanceIds).toEqual([ins(1), ins(2)]);
    const next = await implementation.update(a.id, a.outs, news("a", [ins(1), ins(7)]));
    expect(next.outs.instanceIds).toEqual([ins(1), ins(7)]);
    expect(await holdsGroup(ins(2))).toBe(true);
    expect(await holdsGroup(ins(7))).toBe(true);
    // Declaring it again is taking a binding someone else owns: refused, like any other.
    const again = implementation.update(a.id, next.outs, news("a", [ins(1), ins(2), ins(7)]));
    await expect(again).rejects.toThrow(`already bound to ${sg(1)}: ${ins(2)}`);
  });

  it("declaring it again at once is refused too: the binding is B's", async () => {
    const { a } = await failedAfterHandOver();
    const again = implementation.update(a.id, a.outs, news("a", [ins(1), ins(2)]));
    await expect(again).rejects.toThrow(`already bound to ${sg(1)}: ${ins(2)}`);
    expect(await holdsGroup(ins(2))).toBe(true);
  });

  it("its refresh does not list it, and its delete unbinds only its own", async () => {
    const { a } = await failedAfterHandOver();
    const read = await implementation.read!(a.id, a.outs);
    expect(read.props?.instanceIds).toEqual([ins(1)]);
    await implementation.delete(a.id, a.outs);
    expect(await holdsGroup(ins(1))).toBe(false);
    expect(await holdsGroup(ins(2))).toBe(true);
  });
});
