// SecurityGroupAttachment through the real CLI, installed from the package
// tarball into a user project, against the emulator: create, no-op, update,
// replacement (order checked in the emulator's log), drift + refresh, destroy,
// and secrets kept out of state and output.
import type { RunningEmulator } from "../../emulator";
import { expectOk, summary, TestStack, userProject } from "./harness";
import {
  ins,
  OTHER_SG,
  outsideClient,
  providerEnv,
  REGION,
  SECRET_KEY,
  seedWorld,
  stackConfig,
  stackSecrets,
  startWorld,
} from "./world";

jest.setTimeout(900_000);

const SG_A = "sg-aaaa0001";
const SG_B = "sg-bbbb0002";

describe("SecurityGroupAttachment with the real pulumi CLI", () => {
  let emulator: RunningEmulator;
  let stack: TestStack;
  const seed = seedWorld(6);
  const seedBindings = Object.fromEntries(seed.regions[REGION].instances.map((i) => [i.id, [OTHER_SG]]));

  beforeAll(async () => {
    emulator = await startWorld(seed);
    stack = new TestStack({ projectDir: userProject(), env: providerEnv(emulator) });
    await stack.init(stackConfig, stackSecrets);
  });
  afterAll(async () => {
    await stack?.cleanup();
    await emulator?.stop();
  });

  const bindings = () => emulator.control.bindings(REGION);
  const attachment = async () => (await stack.resources())[0];

  it("previews without touching the cloud, then binds on up", async () => {
    // Unordered with a duplicate: the resource treats instanceIds as a set.
    await stack.setSpec({
      attachments: [
        { name: "app", securityGroupId: SG_A, instanceIds: [ins(3), ins(1), ins(4), ins(2), ins(1)] },
      ],
    });
    const preview = expectOk(await stack.preview());
    expect(summary(preview.all)).toMatchObject({ to_create: 2 });
    const mutating = (await emulator.control.calls()).filter((c) => c.action !== "DescribeInstances");
    expect(mutating).toHaveLength(0);
    expect(await bindings()).toEqual(seedBindings);

    const up = expectOk(await stack.up());
    expect(summary(up.all)).toMatchObject({ created: 2 });
    const b = await bindings();
    for (const i of [1, 2, 3, 4]) expect(b[ins(i)]).toEqual([OTHER_SG, SG_A]);
    for (const i of [5, 6]) expect(b[ins(i)]).toEqual([OTHER_SG]);

    const res = await attachment();
    expect(res.outputs.instanceIds).toEqual([ins(1), ins(2), ins(3), ins(4)]);
    expect(res.outputs.securityGroupId).toBe(SG_A);
    expect(res.outputs.region).toBe(REGION);
    expect(res.outputs.priorities).toEqual({ [ins(1)]: 1, [ins(2)]: 1, [ins(3)]: 1, [ins(4)]: 1 });
  });

  it("reports no changes for the same set in another order", async () => {
    await stack.setSpec({
      attachments: [{ name: "app", securityGroupId: SG_A, instanceIds: [ins(4), ins(3), ins(2), ins(1)] }],
    });
    const callsBefore = (await emulator.control.calls()).length;
    const up = expectOk(await stack.up(["--expect-no-changes"]));
    expect(summary(up.all)).toMatchObject({ unchanged: 2 });
    const mutating = (await emulator.control.calls())
      .slice(callsBefore)
      .filter((c) => c.action !== "DescribeInstances");
    expect(mutating).toHaveLength(0);
  });

  it("adds and removes instances in place", async () => {
    await stack.setSpec({
      attachments: [{ name: "app", securityGroupId: SG_A, instanceIds: [ins(2), ins(3), ins(4), ins(5)] }],
    });
    const preview = expectOk(await stack.preview());
    expect(summary(preview.all)).toMatchObject({ to_update: 1 });
    const up = expectOk(await stack.up());
    expect(summary(up.all)).toMatchObject({ updated: 1 });
    const b = await bindings();
    expect(b[ins(1)]).toEqual([OTHER_SG]);
    for (const i of [2, 3, 4, 5]) expect(b[ins(i)]).toEqual([OTHER_SG, SG_A]);
    expect(b[ins(6)]).toEqual([OTHER_SG]);
    expect((await attachment()).outputs.instanceIds).toEqual([ins(2), ins(3), ins(4), ins(5)]);
  });

  it("replaces on a new security group, binding the new one before unbinding the old", async () => {
    await stack.setSpec({
      attachments: [{ name: "app", securityGroupId: SG_B, instanceIds: [ins(2), ins(3), ins(4), ins(5)] }],
    });
    const preview = expectOk(await stack.preview());
    expect(summary(preview.all)).toMatchObject({ to_replace: 1 });
    const callsBefore = (await emulator.control.calls()).length;
    const up = expectOk(await stack.up());
    expect(summary(up.all)).toMatchObject({ replaced: 1 });
    const calls = (await emulator.control.calls()).slice(callsBefore).filter((c) => !c.errorCode);
    const firstAssociateB = calls.findIndex(
      (c) => c.action === "AssociateSecurityGroups" && c.securityGroupIds?.[0] === SG_B,
    );
    const firstDisassociateA = calls.findIndex(
      (c) => c.action === "DisassociateSecurityGroups" && c.securityGroupIds?.[0] === SG_A,
    );
    expect(firstAssociateB).toBeGreaterThanOrEqual(0);
    expect(firstDisassociateA).toBeGreaterThan(firstAssociateB);
    const b = await bindings();
    for (const i of [2, 3, 4, 5]) expect(b[ins(i)]).toEqual([OTHER_SG, SG_B]);
    for (const i of [1, 6]) expect(b[ins(i)]).toEqual([OTHER_SG]);
  });

  it("finds a binding removed outside Pulumi on refresh and restores it on up", async () => {
    // Another client of the cloud detaches the group from one instance.
    await outsideClient(emulator).DisassociateSecurityGroups({
      SecurityGroupIds: [SG_B],
      InstanceIds: [ins(3)],
    });
    await emulator.control.waitIdle();
    expect((await bindings())[ins(3)]).toEqual([OTHER_SG]);

    expectOk(await stack.refresh());
    expect((await attachment()).outputs.instanceIds).toEqual([ins(2), ins(4), ins(5)]);

    const up = expectOk(await stack.up());
    expect(summary(up.all)).toMatchObject({ updated: 1 });
    expect((await bindings())[ins(3)]).toEqual([OTHER_SG, SG_B]);
    expectOk(await stack.up(["--expect-no-changes"]));
  });

  it("destroys back to the seed, and never stores or prints the secret key", async () => {
    const state = await stack.exportState();
    expect(JSON.stringify(state)).not.toContain(SECRET_KEY);
    const destroy = expectOk(await stack.destroy());
    expect(summary(destroy.all)).toMatchObject({ deleted: 2 });
    expect(await bindings()).toEqual(seedBindings);

    const everything = [stack.transcript.join("\n"), stack.stateFilesText(), stack.lastExportText].join("\n");
    expect(everything).not.toContain(SECRET_KEY);
    // The key is in the stack's config file only in encrypted form.
    expect(everything.length).toBeGreaterThan(1000);
  });
});
