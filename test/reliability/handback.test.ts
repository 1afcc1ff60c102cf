// A releaser whose update fails after it gave an instance up, through the real
// CLI against the emulator. The failed update records outputs without the
// instance (partial state); once a taker has bound it, the releaser's next
// `up` and its `destroy` must leave the taker's binding alone. Each step checks
// the cloud, `pulumi stack export` and what `destroy` leaves.
import type { RunningEmulator } from "../../emulator";
import { expectOk, type TestStack } from "../e2e/harness";
import { ins, REGION, seedWorld, startWorld } from "../e2e/world";
import { setSpec, stackOn, type AttachmentSpec } from "./stacks";
import {
  expectOtherSgUntouched,
  expectStateMatchesWorld,
  managedPairs,
  seedBindingsOf,
  statePairs,
} from "./invariants";
import { diagnostics, expectFailed } from "./output";

jest.setTimeout(300_000);

const SG = "sg-aaaa0001";
const seed = seedWorld(8, [SG]);
const seedBindings = seedBindingsOf(seed);

let emulator: RunningEmulator | undefined;
let stack: TestStack | undefined;

afterEach(async () => {
  await stack?.cleanup();
  await emulator?.stop();
  stack = undefined;
  emulator = undefined;
});

function att(name: string, ids: number[]): AttachmentSpec {
  return { name, securityGroupId: SG, instanceIds: ids.map(ins) };
}

async function boundInCloud(emu: RunningEmulator): Promise<string[]> {
  await emu.control.waitIdle();
  return managedPairs(await emu.control.bindings(REGION), seedBindings).map((p) => p.split("|")[1]);
}

/** Resource name -> the instances its state records; and each resource's URN. */
async function stateOf(
  st: TestStack,
): Promise<{ ids: Record<string, string[]>; urns: Record<string, string> }> {
  const out = { ids: {} as Record<string, string[]>, urns: {} as Record<string, string> };
  for (const r of await st.resources()) {
    const name = String(r.urn).split("::").pop()!;
    out.ids[name] = r.outputs?.instanceIds ?? [];
    out.urns[name] = String(r.urn);
  }
  return out;
}

it("after a failed update that unbound ins2 and ins6, their new owner keeps them through the releasers' destroy and next up", async () => {
  emulator = await startWorld(seed, 100);
  const emu = emulator;
  const st = (stack = await stackOn(emu, [att("a", [1, 2]), att("c", [7, 6]), att("b", [3])]));
  expectOk(await st.up());

  // The releasers a and c give up ins2 and ins6 (unbound) and add ins4 and ins5, whose binds fail.
  await emu.control.addFault({
    kind: "operationFailure",
    action: "AssociateSecurityGroups",
    instanceIds: [ins(4), ins(5)],
    message: "refused (injected)",
  });
  await setSpec(st, [att("a", [1, 4]), att("c", [7, 5]), att("b", [3])]);
  const failed = expectFailed(await st.up());
  const why = diagnostics(failed.all);
  expect(why["a"]).toContain("refused (injected)");
  expect(why["c"]).toContain("refused (injected)");
  expect(why["b"]).toBeUndefined();
  await emu.control.clearFaults();
  expect(await boundInCloud(emu)).toEqual([ins(1), ins(3), ins(7)]);
  // The failed updates recorded what they hold: not the instances given up.
  const kept = await stateOf(st);
  expect(kept.ids).toEqual({ a: [ins(1)], c: [ins(7)], b: [ins(3)] });

  // The taker b binds them (only b is updated).
  await setSpec(st, [att("a", [1, 4]), att("c", [7, 5]), att("b", [3, 2, 6])]);
  expectOk(await st.up(["--target", kept.urns.b]));
  expect(await boundInCloud(emu)).toEqual([ins(1), ins(2), ins(3), ins(6), ins(7)]);
  expect((await stateOf(st)).ids.b).toEqual([ins(2), ins(3), ins(6)]);

  // c's destroy unbinds what it owns (ins7), not b's ins6.
  expectOk(await st.destroy(["--target", kept.urns.c]));
  expect(await boundInCloud(emu)).toEqual([ins(1), ins(2), ins(3), ins(6)]);
  expect((await stateOf(st)).ids).toEqual({ a: [ins(1)], b: [ins(2), ins(3), ins(6)] });

  // a's next up binds ins4 and leaves b's ins2 bound.
  await setSpec(st, [att("a", [1, 4]), att("b", [3, 2, 6])]);
  expectOk(await st.up());
  expect(await boundInCloud(emu)).toEqual([ins(1), ins(2), ins(3), ins(4), ins(6)]);
  expect((await stateOf(st)).ids).toEqual({ a: [ins(1), ins(4)], b: [ins(2), ins(3), ins(6)] });
  await expectStateMatchesWorld(st, emu, seedBindings);

  // Nothing is left that no state holds: destroy leaves nothing, and no other group was named.
  expectOk(await st.destroy());
  expect(await boundInCloud(emu)).toEqual([]);
  expect(await statePairs(st)).toEqual([]);
  await expectOtherSgUntouched(emu);
});
