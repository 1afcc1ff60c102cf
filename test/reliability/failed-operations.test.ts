// Asynchronous operations that end FAILED (LatestOperationState FAILED with a
// LatestOperationErrorMsg): the API's message reaches the user, and afterwards
// the cloud holds no binding the stack does not know about: every managed
// binding in the world is in the state, `refresh` makes state and world equal,
// and a second refresh finds no drift.
import type { RunningEmulator } from "../../emulator";
import { expectOk, summary, type TestStack } from "../e2e/harness";
import { ins, outsideClient, REGION, seedWorld, startWorld } from "../e2e/world";
import { type AttachmentSpec, setSpec, stackOn } from "./stacks";
import {
  expectOtherSgUntouched,
  expectStateMatchesWorld,
  expectWorld,
  managedPairs,
  seedBindingsOf,
  statePairs,
} from "./invariants";
import { diagnostics, everythingOf, expectFailed, expectNoSecret } from "./output";
import { step } from "./steps";

jest.setTimeout(900_000);

const A = "sg-aaaa0001";
const APP = "app";

describe("an asynchronous operation that ends FAILED", () => {
  let emulator: RunningEmulator;
  let stack: TestStack;
  const seed = seedWorld(6, [A]);
  const seedBindings = seedBindingsOf(seed);
  const program = (ids: number[]): AttachmentSpec[] => [
    { name: APP, securityGroupId: A, instanceIds: ids.map(ins) },
  ];

  beforeAll(async () => {
    emulator = await startWorld(seed);
    stack = await stackOn(emulator, program([1, 2, 3]));
  });
  afterAll(async () => {
    await stack?.cleanup();
    await emulator?.stop();
  });

  /** No managed binding exists in the world that the state does not claim. */
  async function expectNoUnknownBinding() {
    await emulator.control.waitIdle();
    const world = managedPairs(await emulator.control.bindings(REGION), seedBindings);
    const state = new Set(await statePairs(stack));
    expect(world.filter((p) => !state.has(p))).toEqual([]);
  }

  /** `refresh` makes the state equal the world. */
  async function expectRefreshConverges() {
    expectOk(await stack.refresh());
    await expectStateMatchesWorld(stack, emulator, seedBindings);
  }

  /**
   * Right after a refresh, nothing has changed: a second refresh must report
   * no changes. (Pulumi 3.248 computes a refresh's changes with the provider's
   * diff of the refreshed outputs against the stored inputs, so this also
   * needs `read` to return inputs that match what it found.)
   */
  async function expectRefreshIdempotent() {
    const again = await stack.refresh(["--expect-no-changes"]);
    if (again.code !== 0) {
      throw new Error(
        `a refresh right after a refresh still reports changes (nothing changed in between):\n` +
          again.all.slice(again.all.indexOf("Resources:") - 400),
      );
    }
  }

  // The delete case's failing run, here because the last test checks it too.
  const DELETE_MESSAGE = "unbinding refused by the security-group service (injected failure 4713)";
  /** From app deployed on ins1-3, a destroy whose unbind of ins3 ends FAILED: what the user is told about app. */
  const failedDestroy = step(async () => {
    await setSpec(stack, program([1, 2, 3]));
    expectOk(await stack.up());
    // Judge the delete on its own: remove, as an outside actor, any binding
    // the update case above left behind unknown to the state (ins4).
    await emulator.control.waitIdle();
    const state = new Set(await statePairs(stack));
    const world = await emulator.control.bindings(REGION);
    for (const id of Object.keys(world)) {
      if (world[id].includes(A) && !state.has(`${A}|${id}`)) {
        await outsideClient(emulator).DisassociateSecurityGroups({
          SecurityGroupIds: [A],
          InstanceIds: [id],
        });
      }
    }
    await emulator.control.waitIdle();
    await emulator.control.addFault({
      kind: "operationFailure",
      action: "DisassociateSecurityGroups",
      instanceIds: [ins(3)],
      count: 1,
      message: DELETE_MESSAGE,
    });
    const destroy = expectFailed(await stack.destroy());
    return diagnostics(destroy.all)[APP] ?? "";
  });
  /** The refresh after that failed destroy. */
  const refreshed = step(async () => {
    await failedDestroy();
    await expectRefreshConverges();
  });

  describe("on create", () => {
    const message = "binding rejected by the security-group service (injected failure 4711)";
    /** The stack's first up, whose bind of ins2 ends FAILED: what the user is told about app. */
    const failedCreate = step(async () => {
      await emulator.control.addFault({
        kind: "operationFailure",
        action: "AssociateSecurityGroups",
        instanceIds: [ins(2)],
        count: 1,
        message,
      });
      const up = expectFailed(await stack.up());
      return diagnostics(up.all)[APP] ?? "";
    });

    it("reaches the user with the API's message and RequestId", async () => {
      const out = await failedCreate();
      expect(out).toContain(message);
      expect(out).toMatch(new RegExp(`AssociateSecurityGroups operation FAILED on ${ins(2)}`));
      expect(out).toMatch(/RequestId: [0-9a-f-]{36}/);
      expect(out).toMatch(/run pulumi up again/);
    });

    it("undoes what the attempt had bound, and says so", async () => {
      expect(await failedCreate()).toMatch(/unbound again; the instances are as they were/);
      await emulator.control.waitIdle();
      expect(await emulator.control.bindings(REGION)).toEqual(seedBindings);
      await expectNoUnknownBinding();
    });

    it("leaves state and world in agreement (refresh finds no drift)", async () => {
      await failedCreate();
      await expectRefreshConverges();
      await expectRefreshIdempotent();
    });

    it("succeeds on the next up once the cause is gone", async () => {
      await failedCreate();
      expect(await emulator.control.faults()).toEqual([]);
      expectOk(await stack.up());
      await expectWorld(emulator, seedBindings, program([1, 2, 3]));
      await expectStateMatchesWorld(stack, emulator, seedBindings);
    });
  });

  describe("on update (instances added)", () => {
    const message = "instance network interface is locked (injected failure 4712)";
    /** From app deployed on ins1-3 (a no-op after the create case), an update adding ins4 and ins5 whose bind of ins5 ends FAILED. */
    const failedUpdate = step(async () => {
      await setSpec(stack, program([1, 2, 3]));
      expectOk(await stack.up());
      await emulator.control.addFault({
        kind: "operationFailure",
        action: "AssociateSecurityGroups",
        instanceIds: [ins(5)],
        count: 1,
        message,
      });
      await setSpec(stack, program([1, 2, 3, 4, 5]));
      const up = expectFailed(await stack.up());
      return diagnostics(up.all)[APP] ?? "";
    });

    it("reaches the user with the API's message", async () => {
      const out = await failedUpdate();
      expect(out).toContain(message);
      expect(out).toMatch(new RegExp(`AssociateSecurityGroups operation FAILED on ${ins(5)}`));
    });

    it("leaves no binding the state does not know about", async () => {
      await failedUpdate();
      // ins4 was bound by the failed update. Either the update is undone, or
      // the state must record it; otherwise nobody knows about that binding.
      await expectNoUnknownBinding();
    });

    it("leaves state and world in agreement after refresh", async () => {
      await failedUpdate();
      await expectRefreshConverges();
    });

    it("reverting the program after the failed update leaves no orphaned binding", async () => {
      await failedUpdate();
      await setSpec(stack, program([1, 2, 3]));
      expectOk(await stack.up());
      await emulator.control.waitIdle();
      await expectWorld(emulator, seedBindings, program([1, 2, 3]));
      await expectStateMatchesWorld(stack, emulator, seedBindings);
    });
  });

  describe("on delete", () => {
    it("reaches the user with the API's message; the resource stays in the stack", async () => {
      const out = await failedDestroy();
      expect(out).toContain(DELETE_MESSAGE);
      expect(out).toMatch(new RegExp(`DisassociateSecurityGroups operation FAILED on ${ins(3)}`));
      expect(out).toMatch(/The resource stays in the stack; run the command again/);
      expect((await stack.resources()).map((r) => r.outputs.securityGroupId)).toEqual([A]);
      await expectNoUnknownBinding();
    });

    it("leaves state and world in agreement after refresh", async () => {
      await refreshed();
      expect(await statePairs(stack)).toEqual([`${A}|${ins(3)}`]);
    });

    it("a second refresh reports no changes", async () => {
      await refreshed();
      await expectRefreshIdempotent();
    });

    it("destroy succeeds once the cause is gone", async () => {
      await failedDestroy();
      const destroy = expectOk(await stack.destroy());
      expect(summary(destroy.all)).toMatchObject({ deleted: 2 });
      await emulator.control.waitIdle();
      expect(await emulator.control.bindings(REGION)).toEqual(seedBindings);
    });
  });

  it("never touched OTHER_SG, never showed the secret key", async () => {
    await failedDestroy();
    await expectOtherSgUntouched(emulator);
    expectNoSecret(await everythingOf(stack, [JSON.stringify(await emulator.control.calls())]));
  });
});
