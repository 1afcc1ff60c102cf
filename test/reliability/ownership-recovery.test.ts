// Binding ownership across deployments and stacks, failed creates, and crash
// recovery (issue 14, part B), through the real CLI against the emulator.
// Every stack of a test shares one journal folder (SGATTACH_JOURNAL_DIR): one
// machine. Each test checks the cloud (emulator), the state (`pulumi stack
// export`) and what `destroy` leaves.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Fault, RunningEmulator } from "../../emulator";
import { expectOk, type RunResult, type TestStack } from "../e2e/harness";
import { ins, providerEnv, REGION, seedWorld, stackConfig, stackSecrets, startWorld } from "../e2e/world";
import {
  initStack,
  markOf,
  newStack,
  pendingOperations,
  repairCheckpoint,
  setSpec,
  type AttachmentSpec,
} from "./stacks";
import { killRun, waitFor } from "./processes";
import { expectOtherSgUntouched, managedPairs, seedBindingsOf, statePairs } from "./invariants";
import { diagnostics, expectFailed, expectNoSecret, everythingOf } from "./output";
import { recordResult, timed } from "./figures";

jest.setTimeout(900_000);

const A = "sg-aaaa0001";
const seed = seedWorld(12, [A]);
const seedBindings = seedBindingsOf(seed);
const figures: Record<string, unknown> = {};

let emulator: RunningEmulator;
let journalDir: string;
let stacks: TestStack[] = [];

beforeAll(async () => {
  emulator = await startWorld(seed);
});
afterAll(async () => {
  recordResult("ownershipRecovery", figures);
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

/** A stack of this machine: the shared journal folder, its own backend. */
async function stackWith(spec: AttachmentSpec[], env: Record<string, string> = {}): Promise<TestStack> {
  const s = newStack({ ...providerEnv(emulator), SGATTACH_JOURNAL_DIR: journalDir, ...env });
  stacks.push(s);
  await initStack(s, stackConfig, stackSecrets, spec);
  return s;
}

const web = (ids: string[], extra: Partial<AttachmentSpec> = {}): AttachmentSpec[] => [
  { name: "web", securityGroupId: A, instanceIds: ids, ...extra },
];

/** Managed bindings in the cloud now, "sg|ins" pairs. */
async function cloudNow(): Promise<string[]> {
  return managedPairs(await emulator.control.bindings(REGION), seedBindings);
}

/** Managed bindings in the cloud once no operation is in flight. */
async function cloud(): Promise<string[]> {
  await emulator.control.waitIdle();
  return cloudNow();
}

const pairs = (ids: string[]) => ids.map((id) => `${A}|${id}`).sort();

/** The error the CLI printed for resource `name` ("" when it printed none for it: never another's). */
function errorOf(r: RunResult, name = "web"): string {
  return diagnostics(r.all)[name] ?? "";
}

/** Destroys every stack given, in order; the cloud must then hold only the seed. */
async function destroyAll(...list: TestStack[]): Promise<void> {
  for (const s of list) expectOk(await s.destroy());
  expect(await cloud()).toEqual([]);
  for (const s of list) expect(await statePairs(s)).toEqual([]);
}

/** Starts `up` and adds `fault` once an Associate was accepted (its operation is in flight). */
async function upFaultingAfterAccept(s: TestStack, faults: Fault[]): Promise<RunResult> {
  const running = s.up();
  await waitFor(
    "an accepted Associate",
    async () => (await emulator.control.operations()).length > 0,
    120_000,
    5,
  );
  for (const f of faults) await emulator.control.addFault(f);
  return running;
}

describe("across stacks (failure 3)", () => {
  it("a second stack declaring the same binding is refused; destroying it leaves the first stack's binding", async () => {
    const one = await stackWith(web([ins(1)]));
    const two = await stackWith(web([ins(1)]));
    expectOk(await one.up());
    const r = expectFailed(await two.up());
    expect(errorOf(r)).toMatch(/already bound to sg-aaaa0001: ins-e2e00001.*adoptExisting: true/s);
    expect(await cloud()).toEqual(pairs([ins(1)]));
    expect(await statePairs(one)).toEqual(pairs([ins(1)]));
    expect(await statePairs(two)).toEqual([]);
    expectOk(await two.destroy());
    expect(await cloud()).toEqual(pairs([ins(1)]));
    await destroyAll(one);
  });

  it("two stacks creating the same binding at the same moment: exactly one owns it, the other is refused", async () => {
    // Every Associate waits 8 s before the API handles it: both stacks look the
    // instance up (unbound) before either bind lands.
    await emulator.control.addFault({ kind: "latency", ms: 8000, action: "AssociateSecurityGroups" });
    const one = await stackWith(web([ins(2)]));
    const two = await stackWith(web([ins(2)]));
    const [r1, r2] = await Promise.all([one.up(), two.up()]);
    const codes = [r1.code, r2.code];
    figures.concurrentStacks = { exitCodes: codes };
    expect(codes.filter((c) => c === 0)).toHaveLength(1);
    const [owner, refused, lost] = r1.code === 0 ? [one, two, r2] : [two, one, r1];
    expect(errorOf(lost)).toMatch(/ins-e2e00002.*(already bound|by another request).*adoptExisting: true/s);
    expect(await cloud()).toEqual(pairs([ins(2)]));
    expect(await statePairs(owner)).toEqual(pairs([ins(2)]));
    expect(await statePairs(refused)).toEqual([]);
    await emulator.control.clearFaults();
    expectOk(await refused.destroy());
    expect(await cloud()).toEqual(pairs([ins(2)]));
    await destroyAll(owner);
  });
});

describe("a failed create undoes what the API accepted (failure 4)", () => {
  const tokenFailure = (action: string, count?: number): Fault => ({
    kind: "error",
    code: "AuthFailure.TokenFailure",
    action,
    ...(count === undefined ? {} : { count }),
  });

  it("a fatal error while polling: the accepted bind is unbound again, and the message says so", async () => {
    await emulator.control.configure({ operationLatencyMs: 2000 });
    const s = await stackWith(web([ins(3), ins(4)]));
    const r = expectFailed(await upFaultingAfterAccept(s, [tokenFailure("DescribeInstances", 1)]));
    const msg = errorOf(r);
    expect(msg).toMatch(/AuthFailure\.TokenFailure/);
    expect(msg).not.toMatch(/Nothing had been bound/);
    expect(msg).toMatch(/was unbound again.*ins-e2e00003, ins-e2e00004/s);
    expect(await cloud()).toEqual([]);
    expect(await statePairs(s)).toEqual([]);
    await destroyAll(s);
  });

  it("where the undo fails too, the error names exactly what stays, the state records it, and the next up keeps it without adoptExisting", async () => {
    await emulator.control.configure({ operationLatencyMs: 2000 });
    const s = await stackWith(web([ins(5)]));
    const r = expectFailed(
      await upFaultingAfterAccept(s, [
        tokenFailure("DescribeInstances", 1),
        tokenFailure("DisassociateSecurityGroups"),
      ]),
    );
    const msg = errorOf(r);
    expect(msg).toMatch(/UNDO FAILED: these bindings stay: ins-e2e00005 hold sg-aaaa0001/);
    expect(msg).not.toMatch(/Nothing had been bound/);
    expect(msg).toMatch(/kept in the stack's state: the next pulumi up finishes it/);
    expect(await cloud()).toEqual(pairs([ins(5)]));
    expect(await statePairs(s)).toEqual(pairs([ins(5)]));
    // Another stack of this machine still may not take it.
    const other = await stackWith(web([ins(5)]));
    await emulator.control.clearFaults();
    expectFailed(await other.up());
    expectOk(await s.up());
    expect(await cloud()).toEqual(pairs([ins(5)]));
    expect(await statePairs(s)).toEqual(pairs([ins(5)]));
    expect((await s.resources())[0].outputs.adoptedInstanceIds).toEqual([]);
    await destroyAll(other, s);
  });

  it("a failed update: a fatal error while polling undoes the added bind; the state keeps the old outputs", async () => {
    const s = await stackWith(web([ins(3)]));
    expectOk(await s.up());
    await emulator.control.configure({ operationLatencyMs: 2000 });
    await setSpec(s, web([ins(3), ins(4)]));
    const r = expectFailed(await upFaultingAfterAccept(s, [tokenFailure("DescribeInstances", 1)]));
    const msg = errorOf(r);
    expect(msg).toMatch(/AuthFailure\.TokenFailure/);
    expect(msg).not.toMatch(/Nothing had been bound/);
    expect(msg).toMatch(/Binds undone: What this attempt had bound \(1 instance\(s\)\) was unbound again/);
    expect(await cloud()).toEqual(pairs([ins(3)]));
    expect(await statePairs(s)).toEqual(pairs([ins(3)]));
    await destroyAll(s);
  });

  it("a failed update whose undo fails: names what stays, the state records it; the next up keeps it without adoptExisting", async () => {
    const s = await stackWith(web([ins(5)]));
    expectOk(await s.up());
    await emulator.control.configure({ operationLatencyMs: 2000 });
    await setSpec(s, web([ins(5), ins(6)]));
    const r = expectFailed(
      await upFaultingAfterAccept(s, [
        tokenFailure("DescribeInstances", 1),
        tokenFailure("DisassociateSecurityGroups"),
      ]),
    );
    expect(errorOf(r)).toMatch(/UNDO FAILED: these bindings stay: ins-e2e00006 hold sg-aaaa0001/);
    expect(await cloud()).toEqual(pairs([ins(5), ins(6)]));
    expect(await statePairs(s)).toEqual(pairs([ins(5), ins(6)]));
    await emulator.control.clearFaults();
    expectOk(await s.up());
    expect(await cloud()).toEqual(pairs([ins(5), ins(6)]));
    expect(await statePairs(s)).toEqual(pairs([ins(5), ins(6)]));
    expect((await s.resources())[0].outputs.adoptedInstanceIds).toEqual([]);
    await destroyAll(s);
  });

  it("a reply lost on the last transient attempt: the bind the API applied is found and undone", async () => {
    const s = await stackWith(web([ins(6)]), { SGATTACH_MAX_TRANSIENT_ATTEMPTS: "1" });
    await emulator.control.addFault({
      kind: "drop",
      action: "AssociateSecurityGroups",
      afterCommit: true,
      count: 1,
    });
    const r = expectFailed(await s.up());
    const msg = errorOf(r);
    expect(msg).not.toMatch(/Nothing had been bound/);
    expect(msg).toMatch(/was unbound again.*ins-e2e00006/s);
    expect(await cloud()).toEqual([]);
    expect(await statePairs(s)).toEqual([]);
    await destroyAll(s);
  });

  it("a reply lost before a retry: the binding counts as the provider's own", async () => {
    const s = await stackWith(web([ins(7)]));
    await emulator.control.addFault({
      kind: "drop",
      action: "AssociateSecurityGroups",
      afterCommit: true,
      count: 1,
    });
    expectOk(await s.up());
    const dropped = (await emulator.control.calls()).filter((c) => c.errorCode === "DROPPED");
    expect(dropped).toHaveLength(1);
    expect(await cloud()).toEqual(pairs([ins(7)]));
    expect(await statePairs(s)).toEqual(pairs([ins(7)]));
    expect((await s.resources())[0].outputs.adoptedInstanceIds).toEqual([]);
    await destroyAll(s);
  });

  it("killed between the provider's return and the state write: the next up takes the binding back, another stack may not", async () => {
    const s = await stackWith(web([ins(8), ins(9)]));
    expectOk(await s.up());
    // The state as such a kill leaves it: the create returned, the resource was never written.
    const urn = (await s.resources())[0].urn;
    expectOk(await s.run(["state", "delete", urn, "--yes"]));
    expect(await statePairs(s)).toEqual([]);
    expect(await cloud()).toEqual(pairs([ins(8), ins(9)]));
    const other = await stackWith(web([ins(8)]));
    expectFailed(await other.up());
    expectOk(await s.up());
    expect(await cloud()).toEqual(pairs([ins(8), ins(9)]));
    expect(await statePairs(s)).toEqual(pairs([ins(8), ins(9)]));
    expect((await s.resources())[0].outputs.adoptedInstanceIds).toEqual([]);
    await destroyAll(other, s);
  });
});

describe("crash recovery: `up` killed midway (whole process tree), then the README's steps", () => {
  const N = 8;
  const program = (adopt: string[] = []): AttachmentSpec[] =>
    Array.from({ length: N }, (_, k) => ({
      name: `c${k + 1}`,
      securityGroupId: A,
      instanceIds: [ins(k + 1)],
      ...(adopt.includes(`c${k + 1}`) ? { adoptExisting: true } : {}),
    }));
  const all = () => pairs(Array.from({ length: N }, (_, k) => ins(k + 1)));

  /** Kills `up` once some bindings are made and one is in flight; returns the stack, cancelled (unlocked). */
  async function crashedUp(): Promise<{ stack: TestStack; boundAtKill: number }> {
    await emulator.control.configure({ operationLatencyMs: 800 });
    const s = await stackWith(program(), { SGATTACH_MAX_BATCH_SIZE: "1", SGATTACH_ASSOCIATE_RPS: "1" });
    const running = s.up(["--parallel", "64"]);
    let bound = 0;
    await waitFor(
      "the up to be midway",
      async () => {
        bound = (await cloudNow()).length;
        return bound >= 2 && (await emulator.control.operations()).length > 0;
      },
      120_000,
      20,
    );
    await killRun(markOf(s));
    expect((await running).code).not.toBe(0);
    await repairCheckpoint(s);
    const left = (await cloud()).length;
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThan(N);
    // Orphans: bindings in the cloud that the state does not hold.
    const inState = new Set(await statePairs(s));
    expect((await cloud()).filter((p) => !inState.has(p)).length).toBeGreaterThan(0);
    expectOk(await s.run(["cancel", "--yes", s.stack]));
    await emulator.control.configure({ operationLatencyMs: 150 });
    return { stack: s, boundAtKill: bound };
  }

  it("same machine: refresh --clear-pending-creates, up, then destroy leave no orphan", async () => {
    const { stack: s, boundAtKill } = await crashedUp();
    expectOk(await s.refresh(["--clear-pending-creates"]));
    const { value: up, ms } = await timed(() => s.up(["--parallel", "64"]));
    expectOk(up);
    expect(await cloud()).toEqual(all());
    expect(await statePairs(s)).toEqual(all());
    for (const r of await s.resources()) expect(r.outputs.adoptedInstanceIds).toEqual([]);
    expect(await pendingOperations(s)).toEqual([]);
    await destroyAll(s);
    figures.sameMachine = { boundAtKill, recoveryUpMs: ms };
  });

  it("another machine (journal gone): the up refuses the orphans; adoptExisting on the interrupted resources recovers", async () => {
    const { stack: s, boundAtKill } = await crashedUp();
    fs.rmSync(journalDir, { recursive: true, force: true });
    // Step: the interrupted resources are the pending creates of the state.
    const interrupted = (await pendingOperations(s))
      .filter((op) => op.type === "creating")
      .map((op) => String(op.resource.urn).split("::").pop()!)
      .sort();
    const inState = new Set(await statePairs(s));
    const orphans = (await cloud()).filter((p) => !inState.has(p));
    expect(interrupted.length).toBeGreaterThan(0);
    expectOk(await s.refresh(["--clear-pending-creates"]));
    // Without the journal, a plain up refuses the orphans (it cannot tell them from another stack's).
    const refused = expectFailed(await s.up(["--parallel", "64", "--continue-on-error"]));
    for (const p of orphans) expect(refused.all).toContain(p.split("|")[1]);
    // Step: one up with adoptExisting on exactly the interrupted resources, then back to the program.
    await setSpec(s, program(interrupted));
    expectOk(await s.up(["--parallel", "64"]));
    await setSpec(s, program());
    const back = expectOk(await s.up(["--parallel", "64"]));
    expect(back.all).not.toMatch(/updated|created|deleted|replaced/);
    expect(await cloud()).toEqual(all());
    expect(await statePairs(s)).toEqual(all());
    expect(await pendingOperations(s)).toEqual([]);
    await destroyAll(s);
    figures.otherMachine = { boundAtKill, interrupted: interrupted.length, orphans: orphans.length };
  });
});

describe("the journal folder", () => {
  it("cannot be written: the up warns (visibly) and still binds", async () => {
    const file = path.join(journalDir, "a-file");
    fs.writeFileSync(file, "");
    const s = await stackWith(web([ins(10)]), { SGATTACH_JOURNAL_DIR: path.join(file, "journal") });
    const up = expectOk(await s.up());
    expect(up.all).toMatch(
      /warning: SecurityGroupAttachment: the crash-recovery journal folder .* cannot be written/,
    );
    expect(await cloud()).toEqual(pairs([ins(10)]));
    expect(await statePairs(s)).toEqual(pairs([ins(10)]));
    await destroyAll(s);
  });

  it("holds no owner's entry once the resources are destroyed", async () => {
    const s = await stackWith(web([ins(11)]));
    expectOk(await s.up());
    expect(fs.readdirSync(journalDir).filter((f) => f.endsWith(".json"))).toHaveLength(1);
    await destroyAll(s);
    expect(fs.readdirSync(journalDir)).toEqual([]);
  });
});

describe("upgrading a stack whose outputs have no owner", () => {
  it("shows no change, and the next update records the owner", async () => {
    const s = await stackWith(web([ins(12)]));
    expectOk(await s.up());
    // The state as an older version wrote it: no owner in inputs or outputs.
    const st = await s.exportState();
    for (const r of st.deployment.resources) {
      delete r.inputs?.owner;
      delete r.outputs?.owner;
    }
    const file = path.join(journalDir, "old-state.json");
    fs.writeFileSync(file, JSON.stringify(st));
    expectOk(await s.run(["stack", "import", "--file", file]));
    fs.rmSync(file);
    expect((await s.resources())[0].outputs.owner).toBeUndefined();
    expectOk(await s.preview(["--expect-no-changes"]));
    expectOk(await s.up(["--expect-no-changes"]));
    expectOk(await s.refresh(["--expect-no-changes"]));
    await setSpec(s, web([ins(12), ins(11)]));
    expectOk(await s.up());
    const outs = (await s.resources())[0].outputs;
    expect(outs.owner).toMatch(/\/web$/);
    expect(await cloud()).toEqual(pairs([ins(11), ins(12)]));
    expect(await statePairs(s)).toEqual(pairs([ins(11), ins(12)]));
    await destroyAll(s);
  });
});

describe("hygiene", () => {
  it("never touched the unmanaged group; never showed the secret key", async () => {
    const s = await stackWith(web([ins(1)]));
    expectOk(await s.up());
    await expectOtherSgUntouched(emulator);
    expectNoSecret(await everythingOf(s));
    await destroyAll(s);
  });
});
