// A fight through the real CLI: after each `up`, another manager of the
// instances' groups (the official SDK, doing what a tencentcloud_instance with
// orderly_security_groups does) replaces their whole list with
// ModifyInstancesAttribute. The first removal is silent; from the second on,
// `up --refresh` and `refresh` warn, naming the instance and the operation.
// Two attachments: one keeps another instance bound (the resource stays in
// the state anyway), one has a single instance (nothing bound after the
// removal: the resource must stay, with its count).
import type { RunningEmulator } from "../../emulator";
import { step } from "../reliability/steps";
import { expectOk, TestStack, userProject } from "./harness";
import {
  ins,
  OTHER_SG,
  outsideClient,
  providerEnv,
  REGION,
  seedWorld,
  stackConfig,
  stackSecrets,
  startWorld,
} from "./world";

jest.setTimeout(900_000);

const SG = "sg-aaaa0001";
const FIGHT = /another manager of (ins-e2e\d{5})'s security groups is undoing this resource/g;

describe("fights with another manager of an instance's groups", () => {
  let emulator: RunningEmulator;
  let stack: TestStack;

  /** The other manager: the instance's whole list becomes [OTHER_SG]. */
  const replaceGroups = async (ids: string[]) => {
    await outsideClient(emulator).ModifyInstancesAttribute({ InstanceIds: ids, SecurityGroups: [OTHER_SG] });
    await emulator.control.waitIdle();
  };
  /** The instances named by a fight warning (the CLI shows one on the stack's row and again under "Diagnostics"). */
  const fought = (output: string) => [...new Set([...output.matchAll(FIGHT)].map((m) => m[1]))].sort();
  /** The same, under "Diagnostics" only, where each warning is listed once. */
  const diagnosed = (output: string) => {
    const at = output.lastIndexOf("Diagnostics:");
    return at < 0 ? [] : [...output.slice(at).matchAll(FIGHT)].map((m) => m[1]).sort();
  };
  const removedOutside = async (name: string) =>
    (await stack.resources()).find((r) => r.urn.endsWith(`::${name}`))?.outputs.removedOutside;

  beforeAll(async () => {
    emulator = await startWorld(seedWorld(3));
    stack = new TestStack({ projectDir: userProject(), env: providerEnv(emulator) });
    await stack.init(stackConfig, stackSecrets);
    await stack.setSpec({
      attachments: [
        { name: "app", securityGroupId: SG, instanceIds: [ins(1), ins(2)] },
        { name: "solo", securityGroupId: "sg-bbbb0002", instanceIds: [ins(3)] },
      ],
    });
    expectOk(await stack.up());
  });
  afterAll(async () => {
    await stack?.cleanup();
    await emulator?.stop();
  });

  /** The other manager removes ins1's and ins3's groups once more, then `up --refresh`: its output. */
  const removeThenUp = async () => {
    await replaceGroups([ins(1), ins(3)]);
    return expectOk(await stack.up(["--refresh"])).all;
  };
  // Each test awaits the removals before its own (run alone with -t, it runs them itself).
  const firstRemoval = step(removeThenUp);
  const secondRemoval = step(async () => {
    await firstRemoval();
    return removeThenUp();
  });

  it("a single outside removal is counted and bound again, with no warning", async () => {
    const up = await firstRemoval();
    expect(fought(up)).toEqual([]);
    const b = await emulator.control.bindings(REGION);
    expect(b[ins(1)]).toEqual([OTHER_SG, SG]);
    expect(b[ins(3)]).toEqual([OTHER_SG, "sg-bbbb0002"]);
    expect(await removedOutside("app")).toEqual({ [ins(1)]: 1 });
    expect(await removedOutside("solo")).toEqual({ [ins(3)]: 1 });
  });

  it("the second removal: `up --refresh` warns, naming each instance and ModifyInstancesAttribute", async () => {
    const up = await secondRemoval();
    expect(fought(up)).toEqual([ins(1), ins(3)]);
    expect(diagnosed(up)).toEqual([ins(1), ins(3)]);
    expect(up).toMatch(/warning: .*another manager of ins-e2e00001's security groups/);
    expect(up).toMatch(/removed 2 times \(its latest operation is ModifyInstancesAttribute/);
    expect(up).toMatch(/drop orderly_security_groups/);
    // It still does its job: bound again.
    const b = await emulator.control.bindings(REGION);
    expect(b[ins(1)]).toEqual([OTHER_SG, SG]);
    expect(b[ins(3)]).toEqual([OTHER_SG, "sg-bbbb0002"]);
    expect(await removedOutside("app")).toEqual({ [ins(1)]: 2 });
  });

  it("`refresh` warns too, once per removal: a second refresh changes nothing; an instance never removed is never named", async () => {
    await secondRemoval();
    await replaceGroups([ins(1), ins(3)]);
    const refresh = expectOk(await stack.refresh());
    expect(fought(refresh.all)).toEqual([ins(1), ins(3)]);
    expect(diagnosed(refresh.all)).toEqual([ins(1), ins(3)]);
    expect(refresh.all).toContain("removed 3 times");
    expect(await removedOutside("app")).toEqual({ [ins(1)]: 3 });
    // solo now holds nothing: it stays in the state, listing none, with its count.
    const solo = (await stack.resources()).find((r) => r.urn.endsWith("::solo"));
    expect(solo?.outputs).toMatchObject({ instanceIds: [], removedOutside: { [ins(3)]: 3 } });
    const again = expectOk(await stack.refresh(["--expect-no-changes"]));
    expect(fought(again.all)).toEqual([]);
    expectOk(await stack.destroy());
  });
});
