// Drift: bindings removed or added outside Pulumi (by another client of the
// cloud, the official SDK with credentials of its own) are found by `refresh`
// and corrected by `up`. Bindings the program does not manage (OTHER_SG, and a
// managed group bound by someone else to an instance the program does not
// list) are never touched by any operation.
import type { RunningEmulator } from "../../emulator";
import { expectOk, summary, type TestStack } from "../e2e/harness";
import { ins, OTHER_SG, REGION, SECRET_ID, seedWorld, startWorld } from "../e2e/world";
import { type AttachmentSpec, stackOn } from "./stacks";
import {
  expectOtherSgUntouched,
  expectStateMatchesWorld,
  normalise,
  seedBindingsOf,
  type Bindings,
} from "./invariants";
import { everythingOf, expectNoSecret } from "./output";
import { step } from "./steps";

jest.setTimeout(900_000);

const A = "sg-aaaa0001";
const B = "sg-bbbb0002";
const OUTSIDE_ID = "AKIDOUTSIDEACTOR00000000000000000000";
const OUTSIDE_KEY = "outside-actor-key-0000000000000000";

const PROGRAM: AttachmentSpec[] = [
  { name: "web", securityGroupId: A, instanceIds: [ins(1), ins(2), ins(3), ins(4)] },
  { name: "db", securityGroupId: B, instanceIds: [ins(3), ins(4), ins(5), ins(6)] },
];

/** The official SDK, as another client of the cloud with its own key. */
function outsider(emulator: RunningEmulator): any {
  const { cvm } = require("tencentcloud-sdk-nodejs-cvm");
  return new cvm.v20170312.Client({
    credential: { secretId: OUTSIDE_ID, secretKey: OUTSIDE_KEY },
    region: REGION,
    profile: { httpProfile: { endpoint: emulator.url.replace(/^http:\/\//, ""), protocol: "http://" } },
  });
}

describe("drift made outside Pulumi", () => {
  let emulator: RunningEmulator;
  let stack: TestStack;
  let outside: any;
  const seed = seedWorld(8, [A, B]);
  const seedBindings = seedBindingsOf(seed);

  beforeAll(async () => {
    emulator = await startWorld(seed);
    await emulator.control.mutate({ op: "addCredential", secretId: OUTSIDE_ID, secretKey: OUTSIDE_KEY });
    outside = outsider(emulator);
    stack = await stackOn(emulator, PROGRAM);
  });
  afterAll(async () => {
    await stack?.cleanup();
    await emulator?.stop();
  });

  const bind = async (sg: string, id: string) => {
    await outside.AssociateSecurityGroups({ SecurityGroupIds: [sg], InstanceIds: [id] });
    await emulator.control.waitIdle();
  };
  const unbind = async (sg: string, id: string) => {
    await outside.DisassociateSecurityGroups({ SecurityGroupIds: [sg], InstanceIds: [id] });
    await emulator.control.waitIdle();
  };
  const outputsOf = async (name: string) =>
    (await stack.resources()).find((r) => r.urn.endsWith(`::${name}`))?.outputs;
  const stateOf = async (name: string) => (await outputsOf(name))?.instanceIds;
  /** The program's bindings plus what the outside actor bound on instances the program does not list. */
  const expected = (extra: Bindings = {}): Bindings => {
    const out: Bindings = {};
    for (const [id, sgs] of Object.entries(seedBindings)) out[id] = [...sgs];
    for (const a of PROGRAM)
      for (const id of a.instanceIds as string[]) out[id].push(a.securityGroupId as string);
    for (const [id, sgs] of Object.entries(extra)) out[id].push(...sgs);
    return normalise(out, seedBindings);
  };

  /** The program deployed, then drift: A off ins2 and B off ins5, and A on ins7 (not the program's). */
  const drifted = step(async () => {
    expectOk(await stack.up());
    await unbind(A, ins(2));
    await unbind(B, ins(5));
    await bind(A, ins(7));
  });
  /** The refresh that finds that drift. */
  const firstRefresh = step(async () => {
    await drifted();
    return expectOk(await stack.refresh());
  });
  /** After it, the outside actor binds A on ins2 again, and a refresh. */
  const secondRefresh = step(async () => {
    await firstRefresh();
    await bind(A, ins(2));
    return expectOk(await stack.refresh());
  });
  /** Then an up, from the emulator's call `callsBefore` on. */
  const restored = step(async () => {
    await secondRefresh();
    const callsBefore = (await emulator.control.calls()).length;
    return { up: expectOk(await stack.up()), callsBefore };
  });

  it("refresh finds bindings removed outside Pulumi", async () => {
    const refresh = await firstRefresh();
    expect(summary(refresh.all)).toMatchObject({ updated: 2 });
    expect(await stateOf("web")).toEqual([ins(1), ins(3), ins(4)]);
    expect(await stateOf("db")).toEqual([ins(3), ins(4), ins(6)]);
    // The declared set stays in the state, for the next refresh to look up.
    expect((await outputsOf("web"))?.declaredInstanceIds).toEqual([ins(1), ins(2), ins(3), ins(4)]);
  });

  it("an outside actor binds a dropped instance again: the next refresh puts it back in the state", async () => {
    // The state (after the first refresh) says web is not bound to ins2; the
    // outside actor binds it again. The next refresh must notice.
    const refresh = await secondRefresh();
    expect(summary(refresh.all)).toMatchObject({ updated: 1 });
    expect(await stateOf("web")).toEqual([ins(1), ins(2), ins(3), ins(4)]);
    expect((await outputsOf("web"))?.declaredInstanceIds).toEqual([ins(1), ins(2), ins(3), ins(4)]);
    // db is still drifted (ins5), and a refresh keeps saying so.
    expect(await stateOf("db")).toEqual([ins(3), ins(4), ins(6)]);
  });

  it("up restores exactly what is missing, and leaves the foreign binding alone", async () => {
    const { up, callsBefore } = await restored();
    // Only db: web's state already lists ins2 again.
    expect(summary(up.all)).toMatchObject({ updated: 1 });
    await emulator.control.waitIdle();
    expect(normalise(await emulator.control.bindings(REGION), seedBindings)).toEqual(
      expected({ [ins(7)]: [A] }),
    );
    // The only change needed: B back on ins5 (no call for ins2, which holds A again).
    const mutating = (await emulator.control.calls(callsBefore)).filter(
      (c) => c.action !== "DescribeInstances",
    );
    expect(mutating.map((c) => `${c.action} ${c.securityGroupIds} ${c.instanceIds}`)).toEqual([
      `AssociateSecurityGroups ${B} ${ins(5)}`,
    ]);
    expect(await stateOf("web")).toEqual([ins(1), ins(2), ins(3), ins(4)]);
    expect(await stateOf("db")).toEqual([ins(3), ins(4), ins(5), ins(6)]);
    // The foreign binding is not the stack's: compare without it.
    await expectStateMatchesWorld(stack, emulator, { ...seedBindings, [ins(7)]: [OTHER_SG, A] });
    expectOk(await stack.refresh(["--expect-no-changes"]));
  });

  it("destroy removes only the program's bindings", async () => {
    await restored();
    expectOk(await stack.destroy());
    await emulator.control.waitIdle();
    expect(await emulator.control.bindings(REGION)).toEqual({ ...seedBindings, [ins(7)]: [OTHER_SG, A] });
    // No call by the provider ever named the foreign binding's instance.
    const providerCalls = (await emulator.control.calls()).filter(
      (c) => c.secretId === SECRET_ID && c.action !== "DescribeInstances",
    );
    expect(providerCalls.filter((c) => (c.instanceIds ?? []).includes(ins(7)))).toEqual([]);
  });

  it("never touched OTHER_SG, never showed the secret key", async () => {
    await restored();
    await expectOtherSgUntouched(emulator);
    expectNoSecret(await everythingOf(stack, [JSON.stringify(await emulator.control.calls())]));
  });
});
