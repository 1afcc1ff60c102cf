// Transient faults: with 20% of all API calls failing transiently (a mix of
// RequestLimitExceeded, OperationDenied.InstanceOperationInProgress,
// MutexOperation.TaskRunning, HTTP 5xx and dropped connections), `pulumi up`
// and `pulumi destroy` of 50 attachments still succeed, and afterwards the
// cloud matches the program exactly. The provider's retry figures and the
// times go to .pulumi-local/reliability/runs.jsonl (`npm run reliability:report`).
//
// Coalescing makes 50 attachments cost only a dozen API calls with the default
// tuning, so 20% of them is only a few faults. The suite therefore runs twice:
// with the default tuning, and with batches capped at 5 instances
// (SGATTACH_MAX_BATCH_SIZE=5), which turns the same program into many
// requests and so many more faults (and real throttling by the emulator's
// 10 requests/s). In both, one fault of each kind is also forced.
import * as fs from "fs";
import * as path from "path";
import type { RunningEmulator } from "../../emulator";
import { expectOk, summary, type TestStack } from "../e2e/harness";
import { ins, REGION, seedWorld, startWorld } from "../e2e/world";
import { type AttachmentSpec, stackOn } from "./stacks";
import { expectOtherSgUntouched, expectStateMatchesWorld, expectWorld, seedBindingsOf } from "./invariants";
import { everythingOf, expectNoSecret } from "./output";
import { readStats, statsDelta, tempStatsFile } from "./stats";
import { step } from "./steps";
import { recordResult, timed } from "./figures";

jest.setTimeout(900_000);

const A = "sg-aaaa0001";
const B = "sg-bbbb0002";
const FAULT_RATE = 0.2;
const INSTANCES = 50;

/** 50 attachments, 100 bindings: A and B each on every instance, two instances per attachment. */
function program(): AttachmentSpec[] {
  const out: AttachmentSpec[] = [];
  for (let k = 0; k < 50; k++) {
    const j = k % 25;
    out.push({
      name: `t${k}`,
      securityGroupId: k < 25 ? A : B,
      instanceIds: [ins(2 * j + 1), ins(2 * j + 2)],
    });
  }
  return out;
}

const CONFIGS: { label: string; key: string; env: Record<string, string> }[] = [
  { label: "default tuning", key: "defaultTuning", env: {} },
  {
    label: "batches of 5 instances (many requests)",
    key: "smallBatches",
    env: { SGATTACH_MAX_BATCH_SIZE: "5" },
  },
];

describe.each(CONFIGS)(`${FAULT_RATE * 100}% of API calls fail transiently, $label`, ({ key, env }) => {
  let emulator: RunningEmulator;
  let stack: TestStack;
  const seed = seedWorld(INSTANCES, [A, B]);
  const seedBindings = seedBindingsOf(seed);
  const statsFile = tempStatsFile(`transient-${key}`);
  const attachments = program();
  const figures: Record<string, unknown> = {
    faultRate: FAULT_RATE,
    attachments: 50,
    bindings: 100,
    tuning: env,
  };

  beforeAll(async () => {
    emulator = await startWorld(seed);
    stack = await stackOn(emulator, attachments, env, statsFile);
    // On top of the random 20%, one of each kind is forced, so that every kind
    // is exercised in every run whatever the dice say, including a reply lost
    // AFTER the operation was accepted (the client cannot know it was applied).
    for (const action of ["AssociateSecurityGroups", "DisassociateSecurityGroups"]) {
      await emulator.control.addFault({
        kind: "error",
        action,
        code: "OperationDenied.InstanceOperationInProgress",
        count: 1,
      });
      await emulator.control.addFault({
        kind: "error",
        action,
        code: "MutexOperation.TaskRunning",
        count: 1,
      });
      await emulator.control.addFault({ kind: "drop", action, afterCommit: true, count: 1 });
    }
    await emulator.control.addFault({ kind: "error", code: "RequestLimitExceeded", count: 1 });
    await emulator.control.addFault({ kind: "http", status: 503, count: 1 });
    await emulator.control.addFault({ kind: "transient", probability: FAULT_RATE });
  });
  afterAll(async () => {
    await stack?.cleanup();
    await emulator?.stop();
    fs.rmSync(path.dirname(statsFile), { recursive: true, force: true });
  });

  async function injected(sinceSeq = 0) {
    const calls = await emulator.control.calls(sinceSeq);
    const faulted = calls.filter((c) => c.fault !== undefined);
    const byKind: Record<string, number> = {};
    for (const c of faulted) byKind[c.errorCode ?? "?"] = (byKind[c.errorCode ?? "?"] ?? 0) + 1;
    return { calls: calls.length, injected: faulted.length, byKind, lastSeq: calls.at(-1)?.seq ?? sinceSeq };
  }

  /** The up under faults; its figures recorded. */
  const deployed = step(async () => {
    const { value: up, ms } = await timed(() => stack.up(["--parallel", "64"]));
    await emulator.control.waitIdle();
    const faults = await injected();
    const stats = readStats(statsFile);
    figures.up = {
      ms,
      apiCalls: faults.calls,
      injectedFaults: faults.injected,
      injectedByKind: faults.byKind,
      provider: stats,
    };
    return { up, faults, stats };
  });
  /** A refresh after it, still under faults. */
  const refreshed = step(async () => {
    const since = (await deployed()).faults.lastSeq;
    const before = readStats(statsFile);
    const { value: refresh, ms } = await timed(() =>
      stack.refresh(["--expect-no-changes", "--parallel", "64"]),
    );
    const faults = await injected(since);
    figures.refresh = {
      ms,
      apiCalls: faults.calls,
      injectedFaults: faults.injected,
      provider: statsDelta(readStats(statsFile), before),
    };
    return refresh;
  });
  /** The destroy, still under faults (after the refresh when that ran). */
  const destroyed = step(async () => {
    await deployed();
    const since = (await injected()).lastSeq;
    const before = readStats(statsFile);
    const { value: destroy, ms } = await timed(() => stack.destroy(["--parallel", "64"]));
    await emulator.control.waitIdle();
    const faults = await injected(since);
    figures.destroy = {
      ms,
      apiCalls: faults.calls,
      injectedFaults: faults.injected,
      injectedByKind: faults.byKind,
      provider: statsDelta(readStats(statsFile), before),
    };
    return { destroy, faults };
  });

  it("up of 50 attachments succeeds and binds exactly the program", async () => {
    const { up, faults, stats } = await deployed();
    expectOk(up);
    expect(summary(up.all)).toMatchObject({ created: 51 });
    await expectWorld(emulator, seedBindings, attachments);
    await expectStateMatchesWorld(stack, emulator, seedBindings);
    // The faults really happened (at least the five forced ones).
    expect(faults.injected).toBeGreaterThanOrEqual(5);
    expect(stats.retries).toBeGreaterThan(0);
    expect(Object.keys(faults.byKind)).toEqual(
      expect.arrayContaining([
        "OperationDenied.InstanceOperationInProgress",
        "MutexOperation.TaskRunning",
        "DROPPED",
      ]),
    );
  });

  it("refresh, still under faults, finds no drift", async () => {
    expectOk(await refreshed());
    await expectStateMatchesWorld(stack, emulator, seedBindings);
  });

  it("destroy of 50 attachments succeeds and leaves exactly the seed", async () => {
    const { destroy, faults } = await destroyed();
    expectOk(destroy);
    expect(summary(destroy.all)).toMatchObject({ deleted: 51 });
    expect(await emulator.control.bindings(REGION)).toEqual(seedBindings);
    expect(await stack.resources()).toEqual([]);
    // At least the three forced ones of Disassociate (coalescing keeps the call count low).
    expect(faults.injected).toBeGreaterThanOrEqual(3);
    expect(Object.keys(faults.byKind)).toEqual(
      expect.arrayContaining([
        "OperationDenied.InstanceOperationInProgress",
        "MutexOperation.TaskRunning",
        "DROPPED",
      ]),
    );
  });

  it("never touched OTHER_SG, never showed the secret key; figures recorded", async () => {
    await destroyed();
    await expectOtherSgUntouched(emulator);
    // Over the whole run, every kind of the mix occurred.
    const all = await injected();
    const kinds = Object.keys(all.byKind);
    expect(kinds).toContain("RequestLimitExceeded");
    expect(kinds.some((k) => /^HTTP_5\d\d$/.test(k))).toBe(true);
    expectNoSecret(await everythingOf(stack, [JSON.stringify(await emulator.control.calls())]));
    recordResult(`transientFaults.${key}`, { ...figures, providerTotals: readStats(statsFile) });
  });
});
