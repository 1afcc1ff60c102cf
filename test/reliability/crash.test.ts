// Crashes: SIGKILL of the whole process tree of a CLI run (the CLI, the
// language host, the program and the dynamic-provider process, which runs in
// a process group of its own and would otherwise live on as an orphan) midway
// through binding 50 instances, and midway through unbinding them. Then the
// recovery the README documents:
//
//   pulumi cancel --yes
//   pulumi refresh --clear-pending-creates --yes --skip-preview --non-interactive
//   pulumi up | pulumi destroy
//
// must converge to exactly the program's bindings (or to none), with nothing
// orphaned: no binding unknown to the state, no process left running, no
// pending operation left in the state. (Should the kill corrupt the file
// backend's checkpoint, "failed to load checkpoint: EOF", the documented
// repair comes first: see repairCheckpoint in stacks.ts.)
//
// Each test starts from the seed on a stack of its own and kills its own run.
import type { RunningEmulator } from "../../emulator";
import { expectOk, summary, type RunResult, type TestStack } from "../e2e/harness";
import { ins, REGION, seedWorld, startWorld } from "../e2e/world";
import { type AttachmentSpec, markOf, pendingOperations, repairCheckpoint, setSpec, stackOn } from "./stacks";
import { killRun, processesOf, waitFor, type ProcInfo } from "./processes";
import {
  expectOtherSgUntouched,
  expectStateMatchesWorld,
  expectWorld,
  managedPairs,
  seedBindingsOf,
  statePairs,
} from "./invariants";
import { everythingOf, expectFailed, expectNoSecret } from "./output";
import { recordResult, timed } from "./figures";

jest.setTimeout(900_000);

const A = "sg-aaaa0001";
const N = 50;

/** Spreads the work over a few seconds so that a kill lands midway: batches of 5, 2 requests/s. */
const SLOW_BIND = { SGATTACH_MAX_BATCH_SIZE: "5", SGATTACH_ASSOCIATE_RPS: "2" };
const SLOW_UNBIND = { SGATTACH_MAX_BATCH_SIZE: "5", SGATTACH_DISASSOCIATE_RPS: "2" };

function program(adoptExisting?: boolean): AttachmentSpec[] {
  return Array.from({ length: N }, (_, k) => ({
    name: `c${k + 1}`,
    securityGroupId: A,
    instanceIds: [ins(k + 1)],
    ...(adoptExisting === undefined ? {} : { adoptExisting }),
  }));
}

describe("a CLI run killed midway (whole process tree)", () => {
  let emulator: RunningEmulator;
  let stack: TestStack;
  const seed = seedWorld(N, [A]);
  const seedBindings = seedBindingsOf(seed);
  /** Figures of this file's runs, recorded once all have run (never read by a test). */
  const figures: Record<string, unknown> = {};

  beforeAll(async () => {
    // A slow-ish async operation, so that some are still OPERATING at the kill.
    emulator = await startWorld(seed, 800);
  });
  beforeEach(async () => {
    await emulator.control.reset();
    stack = await stackOn(emulator, program());
  });
  afterEach(async () => {
    await killRun(markOf(stack)).catch(() => undefined);
    await stack.cleanup();
  });
  afterAll(async () => {
    recordResult("crash", figures);
    await emulator?.stop();
  });

  const boundCount = async () =>
    Object.values(await emulator.control.bindings(REGION)).filter((sgs) => sgs.includes(A)).length;

  /**
   * Starts `args` and SIGKILLs every process of the run as soon as
   * `midway(bound, operating)` holds for the world (instances holding A,
   * asynchronous operations still OPERATING). Returns what was killed and
   * the world as seen right before the kill.
   */
  async function killMidway(
    args: string[],
    env: Record<string, string>,
    midway: (bound: number, operating: number) => boolean,
  ): Promise<{ killed: ProcInfo[]; run: RunResult; bound: number; operating: number }> {
    const running = stack.run(args, { env });
    let seen = { bound: 0, operating: 0 };
    await waitFor(
      "the run to be midway",
      async () => {
        seen = { bound: await boundCount(), operating: (await emulator.control.operations()).length };
        return midway(seen.bound, seen.operating);
      },
      120_000,
      20,
    );
    const killed = await killRun(markOf(stack));
    const run = await running;
    return { killed, run, ...seen };
  }

  const killUpMidway = () =>
    killMidway(
      ["up", "--yes", "--skip-preview", "--non-interactive", "--color", "never", "--parallel", "64"],
      SLOW_BIND,
      // Midway, and with an asynchronous operation accepted but not finished.
      (bound, operating) => bound >= 10 && operating > 0,
    );

  /** The program fully bound, then its `destroy` killed midway. */
  async function killDestroyMidway() {
    expectOk(await stack.up(["--parallel", "64"]));
    await emulator.control.waitIdle();
    expect(await boundCount()).toBe(N);
    return killMidway(
      ["destroy", "--yes", "--skip-preview", "--non-interactive", "--color", "never", "--parallel", "64"],
      SLOW_UNBIND,
      (bound, operating) => bound <= N - 10 && operating > 0,
    );
  }

  /**
   * After the kill nothing of the run survives, so no API call can arrive any
   * more: the call log does not grow while the operations the kill left
   * settle and the checkpoint is checked (and repaired if the kill broke it).
   * Returns how the checkpoint was repaired.
   */
  async function settleAfterKill(killed: ProcInfo[]): Promise<string> {
    expect(killed.some((p) => p.cmdline.includes("cmd/dynamic-provider"))).toBe(true);
    expect(processesOf(markOf(stack))).toEqual([]);
    const before = (await emulator.control.calls()).length;
    const repair = (await repairCheckpoint(stack)) ?? "not needed";
    await emulator.control.waitIdle();
    expect((await emulator.control.calls()).length).toBe(before);
    return repair;
  }

  /**
   * Midway, once the operations the kill left have settled: some bound, not
   * all, and the kill hit an operation in flight. Returns the kill's figures.
   */
  async function expectKilledMidway(k: { bound: number; operating: number }) {
    const bound = await boundCount();
    expect(k.operating).toBeGreaterThan(0);
    expect(bound).toBeGreaterThan(0);
    expect(bound).toBeLessThan(N);
    return {
      boundAtKill: k.bound,
      operatingAtKill: k.operating,
      boundAfterOperationsSettled: bound,
      resourcesInState: (await stack.resources()).length,
      pendingOperations: (await pendingOperations(stack)).length,
    };
  }

  /** OTHER_SG never named nor moved, and the secret key nowhere in this test's output, state or API messages. */
  async function expectNoHarm() {
    await expectOtherSgUntouched(emulator);
    expectNoSecret(await everythingOf(stack, [JSON.stringify(await emulator.control.calls())]));
  }

  describe("pulumi up", () => {
    it("is killed while the bindings are being made", async () => {
      const k = await killUpMidway();
      expect(k.run.code).not.toBe(0);
      figures.upCheckpointRepair = await settleAfterKill(k.killed);
      figures.killedUp = {
        processesKilled: k.killed.map((p) => p.cmdline.split(" ").slice(0, 2).join(" ")),
        ...(await expectKilledMidway(k)),
      };
      await expectNoHarm();
    });

    it("leaves the stack locked until `pulumi cancel`", async () => {
      await settleAfterKill((await killUpMidway()).killed);
      const locked = expectFailed(await stack.refresh());
      expect(locked.all).toMatch(/locked/i);
      expectOk(await stack.run(["cancel", "--yes", stack.stack]));
      await expectNoHarm();
    });

    it("recovery: cancel, refresh --clear-pending-creates, then up, converges to exactly the program", async () => {
      await settleAfterKill((await killUpMidway()).killed);
      expectOk(await stack.run(["cancel", "--yes", stack.stack]));
      const refresh = expectOk(await stack.refresh(["--clear-pending-creates"]));
      expect(await pendingOperations(stack)).toEqual([]);
      const { value: up, ms } = await timed(() => stack.up(["--parallel", "64"]));
      figures.recoveryUp = {
        ms,
        exitCode: up.code,
        summary: summary(up.all),
        refreshSummary: summary(refresh.all),
      };
      if (up.code !== 0) {
        const world = managedPairs(await emulator.control.bindings(REGION), seedBindings);
        const state = new Set(await statePairs(stack));
        figures.recoveryUp = {
          ...(figures.recoveryUp as object),
          bindingsNotInState: world.filter((p) => !state.has(p)).length,
          firstError: (up.all.match(/error: .*/) ?? [""])[0].slice(0, 600),
        };
      }
      expectOk(up);
      await emulator.control.waitIdle();
      await expectWorld(emulator, seedBindings, program());
      await expectStateMatchesWorld(stack, emulator, seedBindings);
      expect(await pendingOperations(stack)).toEqual([]);
      await expectNoHarm();
    });

    it("workaround that converges today: after cancel and refresh, one up with adoptExisting: true takes the orphaned bindings over", async () => {
      await settleAfterKill((await killUpMidway()).killed);
      expectOk(await stack.run(["cancel", "--yes", stack.stack]));
      expectOk(await stack.refresh(["--clear-pending-creates"]));
      await setSpec(stack, program(true));
      expectOk(await stack.up(["--parallel", "64"]));
      await emulator.control.waitIdle();
      await expectWorld(emulator, seedBindings, program());
      await expectStateMatchesWorld(stack, emulator, seedBindings);
      expect(await pendingOperations(stack)).toEqual([]);
      await expectNoHarm();
    });
  });

  describe("pulumi destroy", () => {
    it("is killed while the bindings are being removed", async () => {
      const k = await killDestroyMidway();
      expect(k.run.code).not.toBe(0);
      figures.destroyCheckpointRepair = await settleAfterKill(k.killed);
      figures.killedDestroy = await expectKilledMidway(k);
      // Whatever is still bound is still in the state: nothing unknown.
      const world = managedPairs(await emulator.control.bindings(REGION), seedBindings);
      const state = new Set(await statePairs(stack));
      expect(world.filter((p) => !state.has(p))).toEqual([]);
      await expectNoHarm();
    });

    it("recovery: cancel, refresh, destroy leaves exactly the seed", async () => {
      await settleAfterKill((await killDestroyMidway()).killed);
      expectOk(await stack.run(["cancel", "--yes", stack.stack]));
      expectOk(await stack.refresh(["--clear-pending-creates"]));
      await expectStateMatchesWorld(stack, emulator, seedBindings);
      const { value: destroy, ms } = await timed(() => stack.destroy(["--parallel", "64"]));
      expectOk(destroy);
      figures.recoveryDestroyMs = ms;
      await emulator.control.waitIdle();
      expect(await emulator.control.bindings(REGION)).toEqual(seedBindings);
      expect(await stack.resources()).toEqual([]);
      expect(await pendingOperations(stack)).toEqual([]);
      await expectNoHarm();
    });
  });
});
