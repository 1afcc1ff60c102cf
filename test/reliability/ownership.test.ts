// Ownership of bindings (issue 14, part A), through the real CLI against the
// emulator. Each case checks the cloud, the state (`pulumi stack export`) and
// what `destroy` leaves:
// - an update refuses a binding made outside Pulumi, as a create does, unless
//   adopting (then the binding is recorded as adopted and destroy removes it);
// - an instance moved from one attachment to another of the same group in one
//   `up` stays bound, whatever order the engine runs the two updates in;
// - an error that names no culprit (a CAM deny, a quota) in a request shared
//   by several resources fails only the resources it concerns.
import type { RunningEmulator } from "../../emulator";
import { expectOk, type TestStack } from "../e2e/harness";
import {
  ins,
  outsideClient,
  providerEnv,
  REGION,
  seedWorld,
  stackConfig,
  stackSecrets,
  startWorld,
} from "../e2e/world";
import { initStack, newStack, setSpec, type AttachmentSpec } from "./stacks";
import {
  expectOtherSgUntouched,
  expectStateMatchesWorld,
  managedPairs,
  seedBindingsOf,
  statePairs,
} from "./invariants";
import { diagnostics, expectFailed } from "./output";

jest.setTimeout(900_000);

const SG = "sg-aaaa0001";
const seed = seedWorld(8, [SG]);
const seedBindings = seedBindingsOf(seed);

/** One emulator and one stack per test, removed after it. */
let emulator: RunningEmulator | undefined;
let stack: TestStack | undefined;

afterEach(async () => {
  await stack?.cleanup();
  await emulator?.stop();
  stack = undefined;
  emulator = undefined;
});

/** An emulator and a stack whose program starts as `attachments` (set with the rest of its config); `env` for its provider. */
async function world(
  attachments: AttachmentSpec[] = [],
  env: Record<string, string> = {},
): Promise<{ emu: RunningEmulator; st: TestStack }> {
  emulator = await startWorld(seed);
  stack = newStack({ ...providerEnv(emulator), ...env });
  await initStack(stack, stackConfig, stackSecrets, attachments);
  return { emu: emulator, st: stack };
}

function att(name: string, ids: number[], extra: Partial<AttachmentSpec> = {}): AttachmentSpec {
  return { name, securityGroupId: SG, instanceIds: ids.map(ins), ...extra };
}

/** Instances holding SG in the cloud, sorted. */
async function boundInCloud(emu: RunningEmulator): Promise<string[]> {
  await emu.control.waitIdle();
  return managedPairs(await emu.control.bindings(REGION), seedBindings).map((p) => p.split("|")[1]);
}

/** Resource name -> the instances its state records (and those it records as adopted). */
async function stateOf(st: TestStack): Promise<Record<string, { ids: string[]; adopted: string[] }>> {
  const out: Record<string, { ids: string[]; adopted: string[] }> = {};
  for (const r of await st.resources()) {
    const name = String(r.urn).split("::").pop()!;
    out[name] = { ids: r.outputs?.instanceIds ?? [], adopted: r.outputs?.adoptedInstanceIds ?? [] };
  }
  return out;
}

/** Every unbind request that named the instance. */
async function unbindsOf(emu: RunningEmulator, id: string): Promise<unknown[]> {
  return (await emu.control.calls()).filter(
    (c) => c.action === "DisassociateSecurityGroups" && (c.instanceIds ?? []).includes(id),
  );
}

async function bindOutside(emu: RunningEmulator, id: string): Promise<void> {
  await outsideClient(emu).AssociateSecurityGroups({ SecurityGroupIds: [SG], InstanceIds: [id] });
  await emu.control.waitIdle();
}

/** Destroy succeeds and leaves exactly `left` bound (the bindings nobody in the stack owned). */
async function expectDestroyLeaves(emu: RunningEmulator, st: TestStack, left: string[]): Promise<void> {
  expectOk(await st.destroy());
  expect(await boundInCloud(emu)).toEqual(left.slice().sort());
  expect(await statePairs(st)).toEqual([]);
  await expectOtherSgUntouched(emu);
}

describe("one ownership rule: create and update treat a binding made by someone else alike", () => {
  it("an update that adds an instance bound outside Pulumi is refused, naming it; destroy leaves it", async () => {
    const { emu, st } = await world([att("app", [1])]);
    expectOk(await st.up());
    await bindOutside(emu, ins(2));

    await setSpec(st, [att("app", [1, 2])]);
    const up = expectFailed(await st.up());
    const why = diagnostics(up.all)["app"] ?? "";
    expect(why).toContain(`already bound to ${SG}: ${ins(2)}`);
    expect(why).toContain("adoptExisting: true");
    expect(await boundInCloud(emu)).toEqual([ins(1), ins(2)]);
    expect(await stateOf(st)).toEqual({ app: { ids: [ins(1)], adopted: [] } });

    // A create meets the same rule, in the same words.
    await setSpec(st, [att("app", [1]), att("other", [2])]);
    const create = expectFailed(await st.up());
    expect(diagnostics(create.all)["other"] ?? "").toContain(`already bound to ${SG}: ${ins(2)}`);
    expect(await stateOf(st)).toEqual({ app: { ids: [ins(1)], adopted: [] } });

    await expectDestroyLeaves(emu, st, [ins(2)]);
  });

  it("with adoptExisting the update adopts it, records it, and destroy removes it", async () => {
    const { emu, st } = await world([att("app", [1])]);
    expectOk(await st.up());
    await bindOutside(emu, ins(2));

    await setSpec(st, [att("app", [1, 2], { adoptExisting: true })]);
    expectOk(await st.up());
    expect(await boundInCloud(emu)).toEqual([ins(1), ins(2)]);
    expect(await stateOf(st)).toEqual({ app: { ids: [ins(1), ins(2)], adopted: [ins(2)] } });
    await expectStateMatchesWorld(st, emu, seedBindings);

    await expectDestroyLeaves(emu, st, []);
  });
});

describe("hand-over within one deployment: A gives up ins2, B of the same group takes it", () => {
  const before = [att("a", [1, 2]), att("b", [3])];

  async function handOver(
    after: AttachmentSpec[],
    upArgs: string[] = [],
    slow?: number,
  ): Promise<{ emu: RunningEmulator; st: TestStack }> {
    const { emu, st } = await world(before);
    expectOk(await st.up());
    expect(await boundInCloud(emu)).toEqual([ins(1), ins(2), ins(3)]);
    // One side has slow work of its own: it reaches the hand-over last.
    if (slow !== undefined) {
      await emu.control.addFault({
        kind: "latency",
        ms: 3000,
        action: "AssociateSecurityGroups",
        instanceIds: [ins(slow)],
      });
    }
    await setSpec(st, after);
    expectOk(await st.up(upArgs));
    return { emu, st };
  }

  async function expectMoved(emu: RunningEmulator, st: TestStack, extra: string[] = []): Promise<void> {
    expect(await boundInCloud(emu)).toEqual([ins(1), ins(2), ins(3), ...extra].sort());
    const s = await stateOf(st);
    expect(s.a.ids).not.toContain(ins(2));
    expect(s.b.ids).toContain(ins(2));
    expect(s.b.adopted).toEqual([]);
    await expectStateMatchesWorld(st, emu, seedBindings);
    await expectDestroyLeaves(emu, st, []);
  }

  it("both updates at once (after a preview): the binding stays, never unbound, both states true", async () => {
    const { emu, st } = await world(before);
    expectOk(await st.up());
    await setSpec(st, [att("a", [1]), att("b", [2, 3])]);
    // A preview diffs (announcing the hand-over) but updates nothing: no wait, no change.
    const binds = (await emu.control.calls()).filter((c) => c.action !== "DescribeInstances").length;
    expectOk(await st.preview());
    expect((await emu.control.calls()).filter((c) => c.action !== "DescribeInstances")).toHaveLength(binds);
    expect(await stateOf(st)).toEqual({
      a: { ids: [ins(1), ins(2)], adopted: [] },
      b: { ids: [ins(3)], adopted: [] },
    });
    expectOk(await st.up());
    expect(await unbindsOf(emu, ins(2))).toEqual([]);
    await expectMoved(emu, st);
  });

  it("to a new attachment: created with the instance A gives up, in the same up", async () => {
    const { emu, st } = await world(before);
    expectOk(await st.up());
    await setSpec(st, [att("a", [1]), att("b", [3]), att("c", [2])]);
    expectOk(await st.up());
    expect(await boundInCloud(emu)).toEqual([ins(1), ins(2), ins(3)]);
    expect(await stateOf(st)).toEqual({
      a: { ids: [ins(1)], adopted: [] },
      b: { ids: [ins(3)], adopted: [] },
      c: { ids: [ins(2)], adopted: [] },
    });
    await expectStateMatchesWorld(st, emu, seedBindings);
    await expectDestroyLeaves(emu, st, []);
  });

  it("the releaser is slow (it reaches the hand-over last)", async () => {
    const { emu, st } = await handOver([att("a", [1, 5]), att("b", [2, 3])], [], 5);
    expect(await unbindsOf(emu, ins(2))).toEqual([]);
    await expectMoved(emu, st, [ins(5)]);
  });

  it("the taker is slow (it reaches the hand-over last)", async () => {
    const { emu, st } = await handOver([att("a", [1]), att("b", [2, 3, 5])], [], 5);
    expect(await unbindsOf(emu, ins(2))).toEqual([]);
    await expectMoved(emu, st, [ins(5)]);
  });

  it("--parallel 1: one update at a time, in the engine's order; either way the binding stays", async () => {
    const { emu, st } = await world(before);
    expectOk(await st.up());
    await setSpec(st, [att("a", [1]), att("b", [2, 3])]);
    const up = await st.up(["--parallel", "1"]);
    if (up.code === 0) {
      // The releaser ran first: it unbound ins2 after waiting, the taker bound it again.
      await expectMoved(emu, st);
      return;
    }
    // The taker ran first: refused, ins2 stays with A.
    expect(diagnostics(up.all)["b"] ?? "").toContain(`instances ${ins(2)} hold ${SG} for another attachment`);
    expect(await boundInCloud(emu)).toEqual([ins(1), ins(2), ins(3)]);
    expect((await stateOf(st)).a.ids).toEqual([ins(1), ins(2)]);
    await expectStateMatchesWorld(st, emu, seedBindings);
    await expectDestroyLeaves(emu, st, []);
  });

  it("the taker depends on the releaser, --parallel 1: the releaser unbinds, the taker binds again", async () => {
    const { emu, st } = await handOver(
      [att("a", [1]), att("b", [2, 3], { dependsOnPrevious: true })],
      ["--parallel", "1"],
    );
    await expectMoved(emu, st);
  });

  it("the releaser depends on the taker: refused, the binding stays with A; two ups move it", async () => {
    const { emu, st } = await world([att("b", [3]), att("a", [1, 2], { dependsOnPrevious: true })]);
    expectOk(await st.up());
    await setSpec(st, [att("b", [2, 3]), att("a", [1], { dependsOnPrevious: true })]);
    // A registers only once B is done: B cannot know A gives ins2 up, and meets the ownership rule.
    const up = expectFailed(await st.up());
    const why = diagnostics(up.all)["b"] ?? "";
    expect(why).toContain(`already bound to ${SG}: ${ins(2)}`);
    expect(why).toContain("remove them there in the same pulumi up");
    expect(why).toContain("or in an earlier one");
    expect(await boundInCloud(emu)).toEqual([ins(1), ins(2), ins(3)]);
    expect(await stateOf(st)).toEqual({
      a: { ids: [ins(1), ins(2)], adopted: [] },
      b: { ids: [ins(3)], adopted: [] },
    });
    await expectStateMatchesWorld(st, emu, seedBindings);

    // The steps the message gives.
    await setSpec(st, [att("b", [3]), att("a", [1], { dependsOnPrevious: true })]);
    expectOk(await st.up());
    await setSpec(st, [att("b", [2, 3]), att("a", [1], { dependsOnPrevious: true })]);
    expectOk(await st.up());
    await expectMoved(emu, st);
  });

  it("the releaser is deleted: refused without adoptExisting; adopted with it, and the delete leaves it", async () => {
    const { emu, st } = await world(before);
    expectOk(await st.up());
    // Deletes get no diff and run last: B cannot know ins2 is given up.
    await setSpec(st, [att("b", [2, 3])]);
    const up = expectFailed(await st.up());
    expect(diagnostics(up.all)["b"] ?? "").toContain(`already bound to ${SG}: ${ins(2)}`);
    expect(await boundInCloud(emu)).toEqual([ins(1), ins(2), ins(3)]);
    expect(Object.keys(await stateOf(st)).sort()).toEqual(["a", "b"]);
    await expectStateMatchesWorld(st, emu, seedBindings);

    await setSpec(st, [att("b", [2, 3], { adoptExisting: true })]);
    expectOk(await st.up());
    expect(await boundInCloud(emu)).toEqual([ins(2), ins(3)]);
    expect(await stateOf(st)).toEqual({ b: { ids: [ins(2), ins(3)], adopted: [ins(2)] } });
    await expectStateMatchesWorld(st, emu, seedBindings);
    await expectDestroyLeaves(emu, st, []);
  });

  it("the taker's update fails: B records nothing of ins2; A, left alone, unbinds it", async () => {
    const { emu, st } = await world(before);
    expectOk(await st.up());
    // B also adds ins4, and that bind fails for good.
    await emu.control.addFault({
      kind: "operationFailure",
      action: "AssociateSecurityGroups",
      instanceIds: [ins(4)],
      message: "refused (injected)",
    });
    await setSpec(st, [att("a", [1]), att("b", [2, 3, 4])]);
    // --continue-on-error: A's update runs even when B has failed before the engine started it,
    // so the run is the same whichever the engine reaches first.
    expectFailed(await st.up(["--continue-on-error"]));
    await emu.control.clearFaults();
    expect(await boundInCloud(emu)).toEqual([ins(1), ins(3)]);
    expect(await stateOf(st)).toEqual({
      a: { ids: [ins(1)], adopted: [] },
      b: { ids: [ins(3)], adopted: [] },
    });
    await expectStateMatchesWorld(st, emu, seedBindings);
    await expectDestroyLeaves(emu, st, []);
  });
});

describe("an error naming no instance, in a request shared by several resources", () => {
  const program = [att("one", [1]), att("two", [2]), att("three", [3])];

  it("a CAM policy denying one instance fails only that resource", async () => {
    // The three creates must share a request: a batch goes only when it holds their three
    // instances (batch size 3) or after 5 s without another arrival, however loaded the machine.
    const { emu, st } = await world(program, {
      SGATTACH_MAX_BATCH_SIZE: "3",
      SGATTACH_GATHER_WINDOW_MS: "5000",
      SGATTACH_GATHER_MAX_MS: "30000",
    });
    await emu.control.addFault({
      kind: "error",
      action: "AssociateSecurityGroups",
      code: "UnauthorizedOperation",
      instanceIds: [ins(2)],
    });
    const up = expectFailed(await st.up());
    const d = diagnostics(up.all);
    expect(d["two"]).toMatch(new RegExp(`${ins(2)}.*UnauthorizedOperation`, "s"));
    expect(d["one"]).toBeUndefined();
    expect(d["three"]).toBeUndefined();
    // The three went out together at first (one request), then were split.
    const binds = (await emu.control.calls()).filter((c) => c.action === "AssociateSecurityGroups");
    expect(binds[0].instanceIds?.slice().sort()).toEqual([ins(1), ins(2), ins(3)]);
    expect(await boundInCloud(emu)).toEqual([ins(1), ins(3)]);
    expect(Object.keys(await stateOf(st)).sort()).toEqual(["one", "three"]);
    await expectStateMatchesWorld(st, emu, seedBindings);
    await expectDestroyLeaves(emu, st, []);
  });

  it("a group quota reached by the third instance fails one resource, binds the others", async () => {
    const { emu, st } = await world(program);
    await emu.control.configure({ maxInstancesPerSecurityGroup: 2 });
    const up = expectFailed(await st.up());
    const d = diagnostics(up.all);
    const failed = Object.keys(d).filter((n) => /LimitExceeded\.CvmsVifsPerSecGroupLimitExceeded/.test(d[n]));
    expect(failed).toHaveLength(1);
    expect(await boundInCloud(emu)).toHaveLength(2);
    expect(Object.keys(await stateOf(st))).toHaveLength(2);
    await expectStateMatchesWorld(st, emu, seedBindings);
    await expectDestroyLeaves(emu, st, []);
  });
});
