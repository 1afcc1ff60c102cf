// What a failed create or update leaves is recorded in the stack's state
// (partial state), so the next command finishes it from any machine (issue
// 22), through the real CLI against the emulator. Each case runs the failing
// command, then the next ones, once with the journal folder deleted in
// between (another machine, a new CI runner) and once with it kept (the same
// machine), and checks the cloud, `pulumi stack export` and what `destroy`
// leaves: no binding that no state holds, none removed that its resource
// does not own.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Fault, RunningEmulator } from "../../emulator";
import { expectOk, type RunResult, type TestStack } from "../e2e/harness";
import { ins, providerEnv, REGION, seedWorld, stackConfig, stackSecrets, startWorld } from "../e2e/world";
import { initStack, markOf, newStack, setSpec, type AttachmentSpec } from "./stacks";
import { killRun } from "./processes";
import { expectOtherSgUntouched, managedPairs, seedBindingsOf } from "./invariants";
import { diagnostics, expectFailed, expectNoSecret, everythingOf } from "./output";

jest.setTimeout(900_000);

const A = "sg-aaaa0001";
const seed = seedWorld(8, [A]);
const seedBindings = seedBindingsOf(seed);

let emulator: RunningEmulator;
let journalDir: string;
let stacks: TestStack[] = [];

beforeAll(async () => {
  emulator = await startWorld(seed);
});
afterAll(async () => {
  await emulator?.stop();
});
beforeEach(async () => {
  await emulator.control.reset();
  await emulator.control.configure({ operationLatencyMs: 150 });
  journalDir = fs.mkdtempSync(path.join(os.tmpdir(), "sgattach-journal-"));
});
afterEach(async () => {
  for (const s of stacks) {
    await killRun(markOf(s)).catch(() => undefined);
    await s.cleanup();
  }
  stacks = [];
  fs.rmSync(journalDir, { recursive: true, force: true });
});

async function stackWith(spec: AttachmentSpec[]): Promise<TestStack> {
  const s = newStack({ ...providerEnv(emulator), SGATTACH_JOURNAL_DIR: journalDir });
  stacks.push(s);
  await initStack(s, stackConfig, stackSecrets, spec);
  return s;
}

const att = (name: string, ids: number[]): AttachmentSpec => ({
  name,
  securityGroupId: A,
  instanceIds: ids.map(ins),
});

/** The instances holding A in the cloud, once no operation is in flight. */
async function cloud(): Promise<string[]> {
  await emulator.control.waitIdle();
  return managedPairs(await emulator.control.bindings(REGION), seedBindings).map((p) => p.split("|")[1]);
}

/** Resource name -> the instances its state records (`pulumi stack export`). */
async function state(s: TestStack): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const r of await s.resources()) out[String(r.urn).split("::").pop()!] = r.outputs?.instanceIds ?? [];
  return out;
}

async function urnOf(s: TestStack, name: string): Promise<string> {
  return String((await s.resources()).find((r) => String(r.urn).endsWith(`::${name}`))!.urn);
}

/** Every binding in the cloud is in exactly one resource's state, and the reverse. */
async function expectStatesMatchCloud(s: TestStack): Promise<void> {
  const listed = Object.values(await state(s))
    .flat()
    .sort();
  expect(listed).toEqual(await cloud());
}

/** Full destroy: nothing is left in the cloud or the state. */
async function expectDestroyLeavesNothing(s: TestStack): Promise<void> {
  expectOk(await s.destroy());
  expect(await cloud()).toEqual([]);
  expect(await state(s)).toEqual({});
  await expectOtherSgUntouched(emulator);
  expectNoSecret(await everythingOf(s));
}

/** What the CLI reported about resource `name` only ("" when nothing). */
function errorOf(r: RunResult, name: string): string {
  return diagnostics(r.all)[name] ?? "";
}

/**
 * `pulumi up` whose create fails and cannot undo: the completion poll of its
 * bind fails (fatal), then every unbind of the undo, so its binds stay. The
 * bind is held at the emulator while the faults go in: they are in place
 * before the operation is even accepted, whatever the machine's speed.
 */
async function upWithUndoFailing(s: TestStack): Promise<RunResult> {
  const gate = await emulator.control.addFault({ kind: "hold", action: "AssociateSecurityGroups" });
  const running = s.up();
  await emulator.control.waitHeld(gate.id, 1, 300_000);
  await emulator.control.addFault({
    kind: "error",
    code: "AuthFailure.TokenFailure",
    action: "DescribeInstances",
    count: 1,
  });
  await emulator.control.addFault({
    kind: "error",
    code: "AuthFailure.TokenFailure",
    action: "DisassociateSecurityGroups",
  });
  await emulator.control.removeFault(gate.id);
  return running;
}

const bindFails = (ids: number[]): Fault => ({
  kind: "operationFailure",
  action: "AssociateSecurityGroups",
  instanceIds: ids.map(ins),
  message: "refused (injected)",
});

const machines: [string, boolean][] = [
  ["another machine (the journal folder deleted)", true],
  ["the same machine (the journal folder kept)", false],
];

describe.each(machines)("then the next command on %s", (_machine, newMachine) => {
  /** Between the failing command and the next: a new CI runner has no journal folder. */
  const nextMachine = () => {
    if (newMachine) fs.rmSync(journalDir, { recursive: true, force: true });
  };

  it("a create whose undo failed: the state holds exactly what stays; the next up converges, destroy removes it", async () => {
    const s = await stackWith([att("web", [5, 6])]);
    const msg = errorOf(expectFailed(await upWithUndoFailing(s)), "web");
    expect(msg).toMatch(/UNDO FAILED: these bindings stay: ins-e2e00005, ins-e2e00006 hold sg-aaaa0001/);
    expect(msg).toMatch(/kept in the stack's state: the next pulumi up finishes it \(from any machine\)/);
    expect(await cloud()).toEqual([ins(5), ins(6)]);
    // The engine recorded the resource with what stays, as its own, and the failure.
    const [web] = await s.resources();
    expect(web.outputs.instanceIds).toEqual([ins(5), ins(6)]);
    expect(web.outputs.adoptedInstanceIds).toEqual([]);
    expect(web.initErrors?.[0]).toMatch(/UNDO FAILED/);
    await emulator.control.clearFaults();

    nextMachine();
    // Another stack still may not take the binding.
    const other = await stackWith([att("web", [5])]);
    expect(errorOf(expectFailed(await other.up()), "web")).toMatch(
      /already bound to sg-aaaa0001: ins-e2e00005/,
    );
    await setSpec(s, [att("web", [5, 7])]);
    expectOk(await s.up());
    expect(await cloud()).toEqual([ins(5), ins(7)]);
    const [after] = await s.resources();
    expect(after.outputs.instanceIds).toEqual([ins(5), ins(7)]);
    expect(after.outputs.adoptedInstanceIds).toEqual([]);
    expect(after.initErrors ?? []).toEqual([]);
    expectOk(await other.destroy());
    expect(await cloud()).toEqual([ins(5), ins(7)]);
    await expectDestroyLeavesNothing(s);
  });

  it("a create whose undo failed, then destroy: it removes what stayed", async () => {
    const s = await stackWith([att("web", [4])]);
    expectFailed(await upWithUndoFailing(s));
    await emulator.control.clearFaults();
    expect(await cloud()).toEqual([ins(4)]);
    nextMachine();
    // read and delete run the provider stored with the recorded outputs (`__provider`).
    expectOk(await s.refresh());
    expect(await state(s)).toEqual({ web: [ins(4)] });
    expect((await s.resources())[0].initErrors ?? []).toEqual([]);
    await expectDestroyLeavesNothing(s);
  });

  it("a releaser whose update failed after it unbound an instance: a taker binds it; the releaser's next up and destroy leave it", async () => {
    const s = await stackWith([att("a", [1, 2]), att("b", [3])]);
    expectOk(await s.up());
    // a gives ins2 up (unbound) and adds ins4, whose bind fails.
    await emulator.control.addFault(bindFails([4]));
    await setSpec(s, [att("a", [1, 4]), att("b", [3])]);
    const failed = expectFailed(await s.up());
    expect(errorOf(failed, "a")).toMatch(/refused \(injected\)/);
    expect(errorOf(failed, "a")).toMatch(/Kept in the stack's state: this resource holds \[ins-e2e00001\]/);
    await emulator.control.clearFaults();
    expect(await cloud()).toEqual([ins(1), ins(3)]);
    expect(await state(s)).toEqual({ a: [ins(1)], b: [ins(3)] });

    nextMachine();
    // The taker b binds ins2, updated alone.
    await setSpec(s, [att("a", [1, 4]), att("b", [3, 2])]);
    expectOk(await s.up(["--target", await urnOf(s, "b")]));
    expect(await cloud()).toEqual([ins(1), ins(2), ins(3)]);
    expect(await state(s)).toEqual({ a: [ins(1)], b: [ins(2), ins(3)] });
    // a's next up binds ins4 and leaves b's ins2.
    expectOk(await s.up());
    expect(await cloud()).toEqual([ins(1), ins(2), ins(3), ins(4)]);
    expect(await state(s)).toEqual({ a: [ins(1), ins(4)], b: [ins(2), ins(3)] });
    // a's destroy unbinds what it owns only.
    expectOk(await s.destroy(["--target", await urnOf(s, "a")]));
    expect(await cloud()).toEqual([ins(2), ins(3)]);
    await expectStatesMatchCloud(s);
    await expectDestroyLeavesNothing(s);
  });

  it("a releaser whose update failed after it handed an instance over: the taker keeps it through the releaser's next up and destroy", async () => {
    const s = await stackWith([att("a", [1, 2]), att("b", [3]), att("c", [4, 5])]);
    expectOk(await s.up());
    // In one up: a hands ins2 over to b and takes ins4 from c; c's own bind
    // of ins6 fails, so c keeps ins4, and a fails after its hand-over.
    await emulator.control.addFault(bindFails([6]));
    await setSpec(s, [att("a", [1, 4]), att("b", [2, 3]), att("c", [5, 6])]);
    const failed = expectFailed(await s.up());
    const why = diagnostics(failed.all);
    expect(why["c"]).toMatch(/refused \(injected\)/);
    expect(why["a"]).toMatch(/ins-e2e00004 hold sg-aaaa0001 for another attachment/);
    expect(why["b"]).toBeUndefined();
    await emulator.control.clearFaults();
    expect(await cloud()).toEqual([ins(1), ins(2), ins(3), ins(4), ins(5)]);
    expect(await state(s)).toEqual({ a: [ins(1)], b: [ins(2), ins(3)], c: [ins(4), ins(5)] });

    nextMachine();
    expectOk(await s.up());
    expect(await cloud()).toEqual([1, 2, 3, 4, 5, 6].map(ins));
    expect(await state(s)).toEqual({ a: [ins(1), ins(4)], b: [ins(2), ins(3)], c: [ins(5), ins(6)] });
    expectOk(await s.destroy(["--target", await urnOf(s, "a")]));
    expect(await cloud()).toEqual([2, 3, 5, 6].map(ins));
    await expectStatesMatchCloud(s);
    await expectDestroyLeavesNothing(s);
  });

  it("after such a failure, declaring the instance for the releaser again is refused (the taker's binding), never listed twice", async () => {
    const s = await stackWith([att("a", [1, 2]), att("b", [3])]);
    expectOk(await s.up());
    await emulator.control.addFault(bindFails([4]));
    await setSpec(s, [att("a", [1, 4]), att("b", [3])]);
    expectFailed(await s.up());
    await emulator.control.clearFaults();
    await setSpec(s, [att("a", [1, 4]), att("b", [3, 2])]);
    expectOk(await s.up(["--target", await urnOf(s, "b")]));

    nextMachine();
    // The program as before the failed update: a declares ins2 again.
    await setSpec(s, [att("a", [1, 2]), att("b", [3, 2])]);
    const again = expectFailed(await s.up());
    expect(errorOf(again, "a")).toMatch(/already bound to sg-aaaa0001: ins-e2e00002.*adoptExisting: true/s);
    expect(await cloud()).toEqual([ins(1), ins(2), ins(3)]);
    expect(await state(s)).toEqual({ a: [ins(1)], b: [ins(2), ins(3)] });
    await expectStatesMatchCloud(s);
    expectOk(await s.destroy(["--target", await urnOf(s, "a")]));
    expect(await cloud()).toEqual([ins(2), ins(3)]);
    await expectDestroyLeavesNothing(s);
  });
});
