// SecurityGroupMembership through the real CLI, installed from the package
// tarball, against the emulator: the preview names the bindings it did not
// make, the guard refuses them, `up` converges, a binding added by hand is
// reported by refresh and removed by the next `up`, destroy leaves what held
// the group before, and a membership beside an attachment of the same group
// is refused at preview. Each step asserts the cloud and the state.
import type { RunningEmulator } from "../../emulator";
import { step } from "../reliability/steps";
import { expectOk, summary, TestStack, userProject } from "./harness";
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

/** The instances holding `sg`, sorted. */
function holdersOf(bindings: Record<string, string[]>, sg: string): string[] {
  return Object.keys(bindings)
    .filter((i) => bindings[i].includes(sg))
    .sort();
}

describe("SecurityGroupMembership with the real pulumi CLI", () => {
  let emulator: RunningEmulator;
  let stack: TestStack;
  let outside: any;

  beforeAll(async () => {
    emulator = await startWorld(seedWorld(8), 50);
    outside = outsideClient(emulator);
    stack = new TestStack({ projectDir: userProject(), env: providerEnv(emulator) });
    await stack.init(stackConfig, stackSecrets);
    // Before the membership: a member already holds the group, two other instances too.
    await bindOutside([ins(1), ins(5), ins(6)]);
  });
  afterAll(async () => {
    await stack?.destroy();
    await stack?.cleanup();
    await emulator?.stop();
  });

  async function bindOutside(ids: string[]): Promise<void> {
    await outside.AssociateSecurityGroups({ SecurityGroupIds: [SG], InstanceIds: ids });
    await settled(ids);
  }
  async function settled(ids: string[]): Promise<void> {
    for (;;) {
      const r = await outside.DescribeInstances({ InstanceIds: ids });
      if (r.InstanceSet.every((i: any) => i.LatestOperationState !== "OPERATING")) return;
      await new Promise((res) => setTimeout(res, 50));
    }
  }
  const holders = async () => holdersOf(await emulator.control.bindings(REGION), SG);
  const mutatingCalls = async (from: number) =>
    (await emulator.control.calls()).slice(from).filter((c) => c.action !== "DescribeInstances");
  const membership = async () => (await stack.resources("SecurityGroupMembership"))[0];
  const spec = (maxForeignRemovals?: number) => ({
    memberships: [
      { name: "admins", securityGroupId: SG, instanceIds: [ins(3), ins(1), ins(2)], maxForeignRemovals },
    ],
  });

  it("previews the removals by instance id and refuses them without the guard raised", async () => {
    await stack.setSpec(spec());
    const before = (await emulator.control.calls()).length;
    const preview = await stack.preview(["--diff"]);
    expect(preview.code).not.toBe(0);
    expect(preview.all).toMatch(/maxForeignRemovals/);
    expect(preview.all).toContain(`${ins(5)}, ${ins(6)}`);
    const up = await stack.up();
    expect(up.code).not.toBe(0);
    expect(up.all).toContain(`${ins(5)}, ${ins(6)}`);
    expect(await mutatingCalls(before)).toHaveLength(0);
    expect(await holders()).toEqual([ins(1), ins(5), ins(6)]);
    expect(await stack.resources("SecurityGroupMembership")).toHaveLength(0);
  });

  /**
   * With the guard raised, the preview, then `up`: what the preview said and
   * who held the group after it. The later tests build on this `up` (run
   * alone with -t, a test runs it itself).
   */
  const guardedUp = step(async () => {
    await stack.setSpec(spec(2));
    const preview = expectOk(await stack.preview(["--diff"])).all;
    const holdersAfterPreview = await holders();
    expectOk(await stack.up());
    return { preview, holdersAfterPreview };
  });

  it("with the guard raised, the preview names them and up leaves exactly the declared instances", async () => {
    const { preview, holdersAfterPreview } = await guardedUp();
    expect(preview).toMatch(
      new RegExp(`bindingsToRemove[^\\n]*\\n[^\\n]*${ins(5)}[^\\n]*\\n[^\\n]*${ins(6)}`),
    );
    expect(holdersAfterPreview).toEqual([ins(1), ins(5), ins(6)]);

    expect(await holders()).toEqual([ins(1), ins(2), ins(3)]);
    const b = await emulator.control.bindings(REGION);
    expect(b[ins(5)]).toEqual([OTHER_SG]);
    const m = await membership();
    expect(m.outputs.instanceIds).toEqual([ins(1), ins(2), ins(3)]);
    expect(m.outputs.boundInstanceIds).toEqual([ins(2), ins(3)]);
    expect(m.outputs.preexistingInstanceIds).toEqual([ins(1)]);
    expect(m.outputs.bindingsToRemove).toEqual([]);
    // The state stores a require of the installed package, not code.
    expect(m.inputs.__provider).toContain('require("pulumi-tencentcloud-sg-attachment/membership-provider")');
  });

  it("previews no change when nothing foreign is bound, and refresh reports none", async () => {
    await guardedUp();
    const before = (await emulator.control.calls()).length;
    expectOk(await stack.refresh(["--expect-no-changes"]));
    const preview = expectOk(await stack.preview(["--expect-no-changes"]));
    expect(summary(preview.all)).toMatchObject({ unchanged: 2 });
    expect(await mutatingCalls(before)).toHaveLength(0);
  });

  it("reports a binding added by hand on refresh, previews it and removes it on the next up", async () => {
    await guardedUp();
    await bindOutside([ins(7)]);
    expectOk(await stack.refresh());
    expect((await membership()).outputs.foreignInstanceIds).toEqual([ins(7)]);
    expect(await holders()).toEqual([ins(1), ins(2), ins(3), ins(7)]);

    const preview = expectOk(await stack.preview(["--diff"]));
    expect(summary(preview.all)).toMatchObject({ to_update: 1 });
    expect(preview.all).toMatch(new RegExp(`bindingsToRemove[^\\n]*\\n[^\\n]*${ins(7)}`));
    expectOk(await stack.up());
    expect(await holders()).toEqual([ins(1), ins(2), ins(3)]);
    expect((await membership()).outputs.foreignInstanceIds).toEqual([]);
  });

  it("destroy unbinds what it bound and leaves what held the group before it", async () => {
    await guardedUp();
    expectOk(await stack.destroy());
    expect(await holders()).toEqual([ins(1)]);
    expect(await stack.resources("SecurityGroupMembership")).toHaveLength(0);
  });
});

describe("SecurityGroupMembership beside another manager of its group", () => {
  let emulator: RunningEmulator;
  let stack: TestStack;

  beforeAll(async () => {
    emulator = await startWorld(seedWorld(4), 50);
    stack = new TestStack({ projectDir: userProject(), env: providerEnv(emulator) });
    await stack.init(stackConfig, stackSecrets);
  });
  afterAll(async () => {
    await stack?.destroy();
    await stack?.cleanup();
    await emulator?.stop();
  });

  it("is refused at preview beside an attachment of the same group, naming both", async () => {
    await stack.setSpec({
      attachments: [{ name: "web", securityGroupId: SG, instanceIds: [ins(1)] }],
      memberships: [{ name: "admins", securityGroupId: SG, instanceIds: [ins(2)] }],
    });
    const preview = await stack.preview();
    expect(preview.code).not.toBe(0);
    expect(preview.all).toMatch(/SecurityGroupMembership "[^"]*\/admins"|SecurityGroupMembership "[^"]*"/);
    expect(preview.all).toContain("/admins");
    expect(preview.all).toContain("/web");
    expect((await emulator.control.calls()).filter((c) => c.action !== "DescribeInstances")).toHaveLength(0);
  });

  it("is refused at preview beside another membership of the same group", async () => {
    await stack.setSpec({
      memberships: [
        { name: "admins", securityGroupId: SG, instanceIds: [ins(2)] },
        { name: "ops", securityGroupId: SG, instanceIds: [ins(3)] },
      ],
    });
    const preview = await stack.preview();
    expect(preview.code).not.toBe(0);
    expect(preview.all).toContain("/admins");
    expect(preview.all).toContain("/ops");
  });
});

describe("SecurityGroupMembership and another manager of its instances' groups", () => {
  let emulator: RunningEmulator;
  let stack: TestStack;
  const FIGHT = /another manager of (ins-e2e\d{5})'s security groups is undoing this resource/g;
  // The CLI may repeat a warning (on the row and under Diagnostics): the instances named, once each.
  const fought = (output: string) => [...new Set([...output.matchAll(FIGHT)].map((m) => m[1]))].sort();
  /** What a tencentcloud_instance with orderly_security_groups does: the whole list replaced. */
  const replaceGroups = async (ids: string[], groups: string[]) => {
    await outsideClient(emulator).ModifyInstancesAttribute({ InstanceIds: ids, SecurityGroups: groups });
    await emulator.control.waitIdle();
  };
  const membership = async () => (await stack.resources("SecurityGroupMembership"))[0];

  beforeAll(async () => {
    emulator = await startWorld(seedWorld(3), 50);
    stack = new TestStack({ projectDir: userProject(), env: providerEnv(emulator) });
    await stack.init(stackConfig, stackSecrets);
    await stack.setSpec({
      memberships: [
        { name: "admins", securityGroupId: SG, instanceIds: [ins(1), ins(2)], maxForeignRemovals: 5 },
      ],
    });
    expectOk(await stack.up());
  });
  afterAll(async () => {
    await stack?.destroy();
    await stack?.cleanup();
    await emulator?.stop();
  });

  it("a single outside removal is bound again without a warning; the second one warns, naming the operation", async () => {
    await replaceGroups([ins(1)], [OTHER_SG]);
    const first = expectOk(await stack.up(["--refresh"]));
    expect(fought(first.all)).toEqual([]);
    expect((await emulator.control.bindings(REGION))[ins(1)]).toEqual([OTHER_SG, SG]);
    expect((await membership()).outputs.removedOutside).toEqual({ [ins(1)]: 1 });

    await replaceGroups([ins(1)], [OTHER_SG]);
    const second = expectOk(await stack.up(["--refresh"]));
    expect(fought(second.all)).toEqual([ins(1)]);
    expect(second.all).toMatch(/removed 2 times \(its latest operation is ModifyInstancesAttribute/);
    expect((await emulator.control.bindings(REGION))[ins(1)]).toEqual([OTHER_SG, SG]);
    expect((await membership()).outputs.removedOutside).toEqual({ [ins(1)]: 2 });
    expect((await membership()).outputs.boundInstanceIds).toEqual([ins(1), ins(2)]);
  });

  it("refuses, before any change, to leave an instance with no security group at all", async () => {
    await replaceGroups([ins(3)], [SG]);
    const before = (await emulator.control.calls()).length;
    const preview = await stack.preview();
    expect(preview.code).not.toBe(0);
    expect(preview.all).toContain(`would leave ${ins(3)} with no security group at all`);
    const up = await stack.up();
    expect(up.code).not.toBe(0);
    const mutating = (await emulator.control.calls())
      .slice(before)
      .filter((c) => c.action !== "DescribeInstances");
    expect(mutating).toHaveLength(0);
    expect((await emulator.control.bindings(REGION))[ins(3)]).toEqual([SG]);
    // Once it holds another group, the removal goes ahead.
    await replaceGroups([ins(3)], [OTHER_SG, SG]);
    expectOk(await stack.up());
    expect((await emulator.control.bindings(REGION))[ins(3)]).toEqual([OTHER_SG]);
  });
});
