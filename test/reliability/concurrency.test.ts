// Concurrency: one program whose resources bind different groups to the same
// instance and the same group to different instances, all at once. Every
// binding lands (no lost update), the emulator's per-instance rule (one
// operation at a time per instance) is respected, so no
// OperationDenied.InstanceOperationInProgress or MutexOperation.TaskRunning is
// even provoked, let alone shown to the user; and the 5-groups limit is met
// exactly without being exceeded.
import type { RunningEmulator } from "../../emulator";
import { expectOk, summary, type TestStack } from "../e2e/harness";
import { ins, REGION, seedWorld, startWorld } from "../e2e/world";
import { type AttachmentSpec, stackOn } from "./stacks";
import { expectOtherSgUntouched, expectStateMatchesWorld, expectWorld, seedBindingsOf } from "./invariants";
import { everythingOf, expectNoSecret } from "./output";
import { step } from "./steps";

jest.setTimeout(900_000);

const [A, B, C, D] = ["sg-aaaa0001", "sg-bbbb0002", "sg-cccc0003", "sg-dddd0004"];

const PROGRAM: AttachmentSpec[] = [
  // Four groups on ins1 at once (with OTHER_SG: exactly the limit of 5).
  { name: "one-a", securityGroupId: A, instanceIds: [ins(1)] },
  { name: "one-b", securityGroupId: B, instanceIds: [ins(1)] },
  { name: "one-c", securityGroupId: C, instanceIds: [ins(1)] },
  { name: "one-d", securityGroupId: D, instanceIds: [ins(1)] },
  // A on four instances through four resources.
  { name: "a-2", securityGroupId: A, instanceIds: [ins(2)] },
  { name: "a-3", securityGroupId: A, instanceIds: [ins(3)] },
  { name: "a-4", securityGroupId: A, instanceIds: [ins(4)] },
  { name: "a-5", securityGroupId: A, instanceIds: [ins(5)] },
  // Overlapping sets of other groups on the same instances.
  { name: "b-many", securityGroupId: B, instanceIds: [ins(2), ins(3), ins(4), ins(5), ins(6)] },
  { name: "c-some", securityGroupId: C, instanceIds: [ins(2), ins(3), ins(6)] },
  { name: "d-many", securityGroupId: D, instanceIds: [ins(2), ins(3), ins(4), ins(5), ins(6)] },
];

describe("concurrent bindings in one program", () => {
  let emulator: RunningEmulator;
  let stack: TestStack;
  const seed = seedWorld(6, [A, B, C, D]);
  const seedBindings = seedBindingsOf(seed);
  const BUSY = ["OperationDenied.InstanceOperationInProgress", "MutexOperation.TaskRunning"];

  beforeAll(async () => {
    // A long asynchronous operation widens every window for a collision.
    emulator = await startWorld(seed, 600);
    stack = await stackOn(emulator, PROGRAM);
  });
  afterAll(async () => {
    await stack?.cleanup();
    await emulator?.stop();
  });

  async function busyErrors() {
    return (await emulator.control.calls()).filter((c) => BUSY.includes(c.errorCode ?? ""));
  }

  /** The program's up, all at once. */
  const deployed = step(async () => expectOk(await stack.up(["--parallel", "64"])));
  /** Then its destroy, all at once. */
  const destroyed = step(async () => {
    await deployed();
    return expectOk(await stack.destroy(["--parallel", "64"]));
  });

  it("all bindings land, none lost, no instance ever asked to do two things at once", async () => {
    const up = await deployed();
    expect(summary(up.all)).toMatchObject({ created: PROGRAM.length + 1 });
    expect(up.all).not.toMatch(/OperationDenied|MutexOperation|InstanceOperationInProgress/);
    await emulator.control.waitIdle();
    await expectWorld(emulator, seedBindings, PROGRAM);
    expect((await emulator.control.bindings(REGION))[ins(1)]).toHaveLength(5);
    await expectStateMatchesWorld(stack, emulator, seedBindings);
    expect(await busyErrors()).toEqual([]);
  });

  it("a refresh agrees with the world", async () => {
    await deployed();
    expectOk(await stack.refresh(["--expect-no-changes"]));
  });

  it("all unbind concurrently, back to the seed", async () => {
    const destroy = await destroyed();
    expect(summary(destroy.all)).toMatchObject({ deleted: PROGRAM.length + 1 });
    expect(destroy.all).not.toMatch(/OperationDenied|MutexOperation|InstanceOperationInProgress/);
    await emulator.control.waitIdle();
    expect(await emulator.control.bindings(REGION)).toEqual(seedBindings);
    expect(await busyErrors()).toEqual([]);
  });

  it("never touched OTHER_SG, never showed the secret key", async () => {
    await destroyed();
    await expectOtherSgUntouched(emulator);
    expectNoSecret(await everythingOf(stack, [JSON.stringify(await emulator.control.calls())]));
  });
});
