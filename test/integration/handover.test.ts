// Hand-over between two attachments of one group, through the provider's own
// methods in one process (as the engine calls them): diff for each, then the
// two updates, together or one after the other.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PartialStateError } from "../../provider/impl/errors";
import { implementation, resetForTests } from "../../provider/impl/index";
import type { AttachmentOutputs } from "../../provider/types";
import { bindingCalls, create, errorOf, lastSeq, useHarness } from "./helpers";
import { ins, REGION, sg } from "./world";

const h = useHarness();

const news = (ids: string[]) => ({
  securityGroupId: sg(1),
  instanceIds: ids,
  region: REGION,
  adoptExisting: false,
});

/** A holds ins-1, ins-2; B holds ins-3; then a new deployment (a new process) where ins-2 moves to B. */
async function moving() {
  const a = await create(sg(1), [ins(1), ins(2)]);
  const b = await create(sg(1), [ins(3)]);
  resetForTests();
  const nA = news([ins(1)]);
  const nB = news([ins(2), ins(3)]);
  expect(await implementation.diff(a.id, a.outs, nA)).toEqual({ changes: true });
  expect(await implementation.diff(b.id, b.outs, nB)).toEqual({ changes: true });
  return {
    seq: await lastSeq(h.emu),
    updateA: () => implementation.update(a.id, a.outs, nA),
    updateB: () => implementation.update(b.id, b.outs, nB),
  };
}

async function holdsGroup(id: string): Promise<boolean> {
  await h.emu.control.waitIdle();
  return (await h.bindings())[id].includes(sg(1));
}

const owner = (name: string) => `proj/stack/${name}`;
const ownedNews = (name: string, ids: string[]) => ({ ...news(ids), owner: owner(name) });

/**
 * A holds ins-1, ins-2; B ins-3; C ins-4, ins-5. In a new deployment the three
 * change to `after` at once (diffs first, as the engine does), while C's own
 * bind of ins-6 fails for good; returns A as created and the three outcomes.
 */
async function threeWay(after: { a: string[]; b: string[]; c: string[] }) {
  const a = await create(sg(1), [ins(1), ins(2)], { owner: owner("a") });
  const b = await create(sg(1), [ins(3)], { owner: owner("b") });
  const c = await create(sg(1), [ins(4), ins(5)], { owner: owner("c") });
  resetForTests();
  const nA = ownedNews("a", after.a);
  const nB = ownedNews("b", after.b);
  const nC = ownedNews("c", after.c);
  await implementation.diff(a.id, a.outs, nA);
  await implementation.diff(b.id, b.outs, nB);
  await implementation.diff(c.id, c.outs, nC);
  await h.emu.control.addFault({
    kind: "operationFailure",
    action: "AssociateSecurityGroups",
    instanceIds: [ins(6)],
    message: "refused (injected)",
  });
  const results = await Promise.allSettled([
    implementation.update(a.id, a.outs, nA),
    implementation.update(b.id, b.outs, nB),
    implementation.update(c.id, c.outs, nC),
  ]);
  await h.emu.control.clearFaults();
  return { a, results };
}

describe("hand-over in one process", () => {
  it("both updates at once: handed over without any API call, both outputs true", async () => {
    const m = await moving();
    const [a, b] = await Promise.all([m.updateA(), m.updateB()]);
    expect(a.outs.instanceIds).toEqual([ins(1)]);
    expect(b.outs.instanceIds).toEqual([ins(2), ins(3)]);
    expect(b.outs.adoptedInstanceIds).toEqual([]);
    expect(await bindingCalls(h.emu, m.seq)).toEqual([]);
    expect(await holdsGroup(ins(2))).toBe(true);
  });

  it("the releaser alone first: it unbinds, then the taker binds it again", async () => {
    const m = await moving();
    expect((await m.updateA()).outs.instanceIds).toEqual([ins(1)]);
    expect((await m.updateB()).outs.instanceIds).toEqual([ins(2), ins(3)]);
    const calls = await bindingCalls(h.emu, m.seq);
    expect(calls.map((c) => [c.action, c.instanceIds])).toEqual([
      ["DisassociateSecurityGroups", [ins(2)]],
      ["AssociateSecurityGroups", [ins(2)]],
    ]);
    expect(await holdsGroup(ins(2))).toBe(true);
  });

  it("the taker alone first: refused, naming the instance and the way out; the binding stays", async () => {
    const m = await moving();
    const msg = await errorOf(m.updateB);
    expect(msg).toContain(`instances ${ins(2)} hold ${sg(1)} for another attachment`);
    expect(msg).toContain("Remove them from it first (one pulumi up), then add them here (the next one)");
    expect(await bindingCalls(h.emu, m.seq)).toEqual([]);
    expect(await holdsGroup(ins(2))).toBe(true);
  });

  it("the taker's update fails: the releaser unbinds as before (no binding in no state)", async () => {
    const a = await create(sg(1), [ins(1), ins(2)]);
    const b = await create(sg(1), [ins(3)]);
    resetForTests();
    const nA = news([ins(1)]);
    const nB = news([ins(2), ins(3), ins(4)]);
    await implementation.diff(a.id, a.outs, nA);
    await implementation.diff(b.id, b.outs, nB);
    // B's own bind of ins-4 fails for good.
    await h.emu.control.addFault({
      kind: "operationFailure",
      action: "AssociateSecurityGroups",
      instanceIds: [ins(4)],
      message: "refused (injected)",
    });
    const [ra, rb] = await Promise.allSettled([
      implementation.update(a.id, a.outs, nA),
      implementation.update(b.id, b.outs, nB),
    ]);
    expect(rb.status).toBe("rejected");
    expect(ra.status === "fulfilled" && ra.value.outs.instanceIds).toEqual([ins(1)]);
    // A's state no longer holds ins-2 and B's never did: it must not stay bound.
    expect(await holdsGroup(ins(2))).toBe(false);
    expect(await holdsGroup(ins(4))).toBe(false);
  });

  it("the taker fails after a hand-over: what was handed over is undone too (no binding in no state)", async () => {
    // ins-2 moves from A to B and ins-4 from C to B; C's own bind of ins-6 fails, so C keeps ins-4.
    const {
      results: [ra, rb, rc],
    } = await threeWay({ a: [ins(1)], b: [ins(2), ins(3), ins(4)], c: [ins(5), ins(6)] });
    expect([rb.status, rc.status]).toEqual(["rejected", "rejected"]);
    const msg = rb.status === "rejected" ? String(rb.reason?.message) : "";
    expect(msg).not.toContain("the instances are as they were");
    expect(msg).toContain(`now without ${sg(1)}: ${ins(2)}`);
    expect(ra.status === "fulfilled" && ra.value.outs.instanceIds).toEqual([ins(1)]);
    // A's state dropped ins-2 at the hand-over and B's keeps its old outputs: no state holds ins-2.
    expect(await holdsGroup(ins(2))).toBe(false);
    // C's old outputs still hold ins-4 and ins-5.
    expect(await holdsGroup(ins(4))).toBe(true);
    expect(await holdsGroup(ins(5))).toBe(true);
  });

  it("a delete leaves alone a binding another resource adopted in this deployment", async () => {
    const a = await create(sg(1), [ins(1), ins(2)]);
    resetForTests();
    // Another machine: A's create is not in this journal.
    process.env.SGATTACH_JOURNAL_DIR = fs.mkdtempSync(path.join(os.tmpdir(), "sgattach-journal-"));
    const b = await create(sg(1), [ins(2)], { adoptExisting: true });
    expect(b.outs.adoptedInstanceIds).toEqual([ins(2)]);
    await implementation.delete(a.id, a.outs);
    expect(await holdsGroup(ins(1))).toBe(false);
    expect(await holdsGroup(ins(2))).toBe(true);
  });
});

/** The outputs a failed update records (partial state), as the engine keeps them. */
function recorded(r: PromiseSettledResult<unknown>): AttachmentOutputs {
  expect(r.status).toBe("rejected");
  const e = (r as PromiseRejectedResult).reason;
  expect(e).toBeInstanceOf(PartialStateError);
  return e.properties;
}

/**
 * A hands ins-2 over to B and takes ins-4 from C; C's own bind of ins-6
 * fails, so C keeps ins-4 and A's update fails after its hand-over. Returns
 * A as the engine records it (partial state).
 */
async function failedAfterHandOver() {
  const {
    a,
    results: [ra, rb, rc],
  } = await threeWay({ a: [ins(1), ins(4)], b: [ins(2), ins(3)], c: [ins(5), ins(6)] });
  expect(rc.status).toBe("rejected");
  expect(rb.status === "fulfilled" && rb.value.outs.instanceIds).toEqual([ins(2), ins(3)]);
  expect(await holdsGroup(ins(2))).toBe(true);
  resetForTests();
  return { a: { id: a.id, outs: recorded(ra) } };
}

// A releaser whose update fails after it handed an instance over records
// outputs without it; its next update, refresh and delete leave the taker's
// binding alone.
describe("a releaser whose update failed after a hand-over", () => {
  it("its next update leaves the taker's binding and binds what it adds", async () => {
    const { a } = await failedAfterHandOver();
    expect(a.outs.instanceIds).toEqual([ins(1)]);
    expect(a.outs.declaredInstanceIds).toEqual([ins(1)]);
    const next = await implementation.update(a.id, a.outs, ownedNews("a", [ins(1), ins(7)]));
    expect(next.outs.instanceIds).toEqual([ins(1), ins(7)]);
    expect(await holdsGroup(ins(2))).toBe(true);
    expect(await holdsGroup(ins(7))).toBe(true);
    // Declaring it again is taking a binding someone else owns: refused, like any other.
    const again = implementation.update(a.id, next.outs, ownedNews("a", [ins(1), ins(2), ins(7)]));
    await expect(again).rejects.toThrow(`already bound to ${sg(1)}: ${ins(2)}`);
  });

  it("declaring it again at once is refused too: the binding is B's", async () => {
    const { a } = await failedAfterHandOver();
    const again = implementation.update(a.id, a.outs, ownedNews("a", [ins(1), ins(2)]));
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

// A releaser whose unbind itself failed still owns the binding, however the
// instance's latest operation changes afterwards (another group bound to it).
describe("a releaser whose unbind failed", () => {
  it("keeps the binding as its own: its refresh lists it and its next update unbinds it", async () => {
    const a = await create(sg(1), [ins(1), ins(2)], { owner: owner("a") });
    resetForTests();
    await h.emu.control.addFault({
      kind: "operationFailure",
      action: "DisassociateSecurityGroups",
      instanceIds: [ins(2)],
      message: "refused (injected)",
    });
    const [r] = await Promise.allSettled([implementation.update(a.id, a.outs, ownedNews("a", [ins(1)]))]);
    const failed = (r as PromiseRejectedResult).reason.message;
    expect(failed).toContain(
      `unbind: the asynchronous DisassociateSecurityGroups operation FAILED on ${ins(2)}`,
    );
    // Its state keeps listing it: the binding is still its own.
    const outs = recorded(r);
    expect(outs.instanceIds).toEqual([ins(1), ins(2)]);
    await h.emu.control.clearFaults();
    // Another attachment binds another group to the instance: its latest operation changes.
    await create(sg(2), [ins(2)], { owner: owner("other") });
    resetForTests();
    const read = await implementation.read!(a.id, outs);
    expect(read.props?.instanceIds).toEqual([ins(1), ins(2)]);
    const next = await implementation.update(a.id, outs, ownedNews("a", [ins(1)]));
    expect(next.outs.instanceIds).toEqual([ins(1)]);
    // Its state no longer lists ins-2: the binding must not stay.
    expect(await holdsGroup(ins(2))).toBe(false);
    expect((await h.bindings())[ins(2)]).toContain(sg(2));
  });
});

describe("a releaser whose unbind got no reply", () => {
  it("records the instance as given up once its unbind has ended and left it unbound", async () => {
    const a = await create(sg(1), [ins(1), ins(2)], { owner: owner("a") });
    resetForTests();
    // One attempt per request: the Disassociate applied, its reply lost, is not
    // retried; its operation still runs when the update fails.
    process.env.SGATTACH_MAX_TRANSIENT_ATTEMPTS = "1";
    await h.emu.control.configure({ operationLatencyMs: 1500 });
    try {
      await h.emu.control.addFault({ kind: "drop", action: "DisassociateSecurityGroups", afterCommit: true });
      const [r] = await Promise.allSettled([implementation.update(a.id, a.outs, ownedNews("a", [ins(1)]))]);
      expect(String((r as PromiseRejectedResult).reason?.message)).toContain(`unbind: ${ins(2)}`);
      expect(await holdsGroup(ins(2))).toBe(false);
      expect(recorded(r).instanceIds).toEqual([ins(1)]);
      expect(recorded(r).declaredInstanceIds).toEqual([ins(1)]);
    } finally {
      delete process.env.SGATTACH_MAX_TRANSIENT_ATTEMPTS;
      await h.emu.control.configure({ operationLatencyMs: 30 });
    }
  });
});

// A failed update that gave everything up records no instance; a refresh then
// drops the resource, and a create of the same owner starts afresh.
describe("a resource created again after a refresh dropped it", () => {
  it("unbinds on delete what it bound, though an earlier update of the owner gave it up", async () => {
    const a = await create(sg(1), [ins(1), ins(2)], { owner: owner("a") });
    resetForTests();
    await h.emu.control.addFault({
      kind: "operationFailure",
      action: "AssociateSecurityGroups",
      instanceIds: [ins(3)],
      message: "refused (injected)",
    });
    const [r] = await Promise.allSettled([implementation.update(a.id, a.outs, ownedNews("a", [ins(3)]))]);
    await h.emu.control.clearFaults();
    expect(await holdsGroup(ins(1))).toBe(false);
    expect(await holdsGroup(ins(2))).toBe(false);
    const outs = recorded(r);
    expect(outs.instanceIds).toEqual([]);
    // Nothing of it is bound: the refresh drops it from the state.
    expect(await implementation.read!(a.id, outs)).toEqual({});
    resetForTests();
    const again = await create(sg(1), [ins(1), ins(2)], { owner: owner("a") });
    await implementation.delete(again.id, again.outs);
    expect(await holdsGroup(ins(1))).toBe(false);
    expect(await holdsGroup(ins(2))).toBe(false);
  });
});
