// The provider plugin through the real CLI from a Python program: the
// program of examples/python, with the generated SDK (sdk/python) installed
// by pip into .pulumi-local/python-venv, and the plugin installed with
// `pulumi plugin install --file`, against the emulator: create, no-op,
// update, replacement (new group bound first), drift + refresh, a binding
// made outside refused then adopted, destroy, `pulumi import` then no change,
// destroy again; two resources in one request; secrets never in state or output.
import * as fs from "fs";
import * as path from "path";
import type { RunningEmulator } from "../../emulator";
import { expectOk, pulumiBinDir, REPO_ROOT, summary, TestStack } from "./harness";
import { ATTACHMENT, installPlugin, projectFolder } from "./plugin";
import {
  ins,
  OTHER_SG,
  outsideClient,
  providerEnv,
  REGION,
  SECRET_ID,
  SECRET_KEY,
  seedWorld,
  startWorld,
} from "./world";

const { ensurePythonEnv } = require("../../scripts/python-env.js");
const { ensureLanguageHosts } = require("../../scripts/pulumi-cli.js");

jest.setTimeout(900_000);

const SG_A = "sg-aaaa0001";
const SG_B = "sg-bbbb0002";
const EXAMPLE = path.join(REPO_ROOT, "examples", "python");

describe("the provider plugin from a Python program (examples/python)", () => {
  let emulator: RunningEmulator;
  let stack: TestStack;
  let dir: string;
  const seed = seedWorld(6);
  const seedBindings = Object.fromEntries(seed.regions[REGION].instances.map((i) => [i.id, [OTHER_SG]]));
  const bindings = () => emulator.control.bindings(REGION);
  const web = async () => (await stack.resources()).find((r) => r.urn.endsWith("::web"));
  const mutating = async (n: number) =>
    (await emulator.control.calls()).slice(n).filter((c) => !c.errorCode && c.action !== "DescribeInstances");
  const callCount = async () => (await emulator.control.calls()).length;
  /** The program's stack config: the group and instances of `web`. */
  const declare = async (sg: string, ids: number[], adopt?: boolean) => {
    expectOk(await stack.run(["config", "set", "securityGroupId", sg]));
    expectOk(await stack.run(["config", "set", "instanceIds", JSON.stringify(ids.map(ins))]));
    if (adopt === undefined) await stack.run(["config", "rm", "adoptExisting"]);
    else expectOk(await stack.run(["config", "set", "adoptExisting", String(adopt)]));
  };

  beforeAll(async () => {
    ensureLanguageHosts(pulumiBinDir()); // built once; npm test's set-up has done it
    const venvBin: string = ensurePythonEnv();
    emulator = await startWorld(seed);
    dir = projectFolder();
    for (const f of ["Pulumi.yaml", "__main__.py", "requirements.txt"])
      fs.copyFileSync(path.join(EXAMPLE, f), path.join(dir, f));
    // The example's `virtualenv: venv`, for a Python host that reads it.
    fs.symlinkSync(path.dirname(venvBin), path.join(dir, "venv"));
    stack = new TestStack({
      projectDir: dir,
      // The Python host built here (v3.68.0) ignores that option: it runs the first python3 on PATH.
      env: {
        ...providerEnv(emulator),
        PATH: [venvBin, pulumiBinDir(), process.env.PATH].join(path.delimiter),
      },
    });
    await installPlugin(stack);
    await stack.init(
      { "tencentcloud-sg-attachment:region": REGION, "tencentcloud-sg-attachment:secretId": SECRET_ID },
      { "tencentcloud-sg-attachment:secretKey": SECRET_KEY },
    );
  });
  afterAll(async () => {
    await stack?.cleanup();
    await emulator?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("previews without touching the cloud, then binds on up", async () => {
    await declare(SG_A, [2, 1, 3]);
    expect(summary(expectOk(await stack.preview()).all)).toMatchObject({ to_create: 2 });
    expect(await mutating(0)).toHaveLength(0);

    expect(summary(expectOk(await stack.up()).all)).toMatchObject({ created: 2 });
    const b = await bindings();
    for (const i of [1, 2, 3]) expect(b[ins(i)]).toEqual([OTHER_SG, SG_A]);
    for (const i of [4, 5, 6]) expect(b[ins(i)]).toEqual([OTHER_SG]);
    const r = await web();
    expect(r.type).toBe(ATTACHMENT);
    expect(r.outputs).toMatchObject({
      securityGroupId: SG_A,
      instanceIds: [ins(1), ins(2), ins(3)],
      region: REGION,
      priorities: { [ins(1)]: 1, [ins(2)]: 1, [ins(3)]: 1 },
      owner: r.urn,
    });
    expect((await stack.outputs()).boundInstanceIds).toEqual([ins(1), ins(2), ins(3)]);
  });

  it("reports no changes for the same program", async () => {
    const n = await callCount();
    expectOk(await stack.preview(["--expect-no-changes"]));
    expect(await mutating(n)).toHaveLength(0);
  });

  it("updates the instance list in place", async () => {
    await declare(SG_A, [2, 3, 4]);
    expect(summary(expectOk(await stack.up()).all)).toMatchObject({ updated: 1 });
    const b = await bindings();
    expect(b[ins(1)]).toEqual([OTHER_SG]);
    for (const i of [2, 3, 4]) expect(b[ins(i)]).toEqual([OTHER_SG, SG_A]);
    expect((await web()).outputs.instanceIds).toEqual([ins(2), ins(3), ins(4)]);
  });

  it("replaces on a new group, binding the new one before unbinding the old", async () => {
    await declare(SG_B, [2, 3, 4]);
    const n = await callCount();
    expect(summary(expectOk(await stack.up()).all)).toMatchObject({ replaced: 1 });
    const calls = await mutating(n);
    const bindB = calls.findIndex(
      (c) => c.action === "AssociateSecurityGroups" && c.securityGroupIds?.[0] === SG_B,
    );
    const unbindA = calls.findIndex(
      (c) => c.action === "DisassociateSecurityGroups" && c.securityGroupIds?.[0] === SG_A,
    );
    expect(bindB).toBeGreaterThanOrEqual(0);
    expect(unbindA).toBeGreaterThan(bindB);
    const b = await bindings();
    for (const i of [2, 3, 4]) expect(b[ins(i)]).toEqual([OTHER_SG, SG_B]);
    for (const i of [1, 5, 6]) expect(b[ins(i)]).toEqual([OTHER_SG]);
  });

  it("finds a binding removed outside on refresh and binds it again on up", async () => {
    await outsideClient(emulator).DisassociateSecurityGroups({
      SecurityGroupIds: [SG_B],
      InstanceIds: [ins(3)],
    });
    await emulator.control.waitIdle();
    expectOk(await stack.refresh());
    expect((await web()).outputs.instanceIds).toEqual([ins(2), ins(4)]);
    expect(summary(expectOk(await stack.up()).all)).toMatchObject({ updated: 1 });
    expect((await bindings())[ins(3)]).toEqual([OTHER_SG, SG_B]);
    expectOk(await stack.preview(["--expect-no-changes"]));
  });

  it("refuses a binding made outside, naming it, and takes it with adoptExisting", async () => {
    await outsideClient(emulator).AssociateSecurityGroups({
      SecurityGroupIds: [SG_B],
      InstanceIds: [ins(5)],
    });
    await emulator.control.waitIdle();
    await declare(SG_B, [2, 3, 4, 5]);
    const n = await callCount();
    const refused = await stack.up();
    expect(refused.code).not.toBe(0);
    expect(refused.all).toContain(`instances already bound to ${SG_B}: ${ins(5)}`);
    expect(refused.all).toContain("adoptExisting");
    expect(await mutating(n)).toHaveLength(0);
    expect((await web()).outputs.instanceIds).toEqual([ins(2), ins(3), ins(4)]);

    await declare(SG_B, [2, 3, 4, 5], true);
    expect(summary(expectOk(await stack.up()).all)).toMatchObject({ updated: 1 });
    expect((await web()).outputs).toMatchObject({
      instanceIds: [ins(2), ins(3), ins(4), ins(5)],
      adoptedInstanceIds: [ins(5)],
    });
  });

  it("destroys back to the seed, the adopted binding too", async () => {
    expect(summary(expectOk(await stack.destroy()).all)).toMatchObject({ deleted: 2 });
    expect(await bindings()).toEqual(seedBindings);
    expect(await stack.resources()).toHaveLength(0);
  });

  it("imports an existing binding; the program then shows no change, and destroy unbinds it", async () => {
    await outsideClient(emulator).AssociateSecurityGroups({
      SecurityGroupIds: [SG_A],
      InstanceIds: [ins(1), ins(6)],
    });
    await emulator.control.waitIdle();
    const id = `${SG_A}@${REGION}:${ins(1)},${ins(6)}`;
    const n = await callCount();
    // --generate-code=false: the Python host built here (v3.68.0) has no
    // GenerateProgram; the program is the example's, as the README says.
    expectOk(
      await stack.run([
        "import",
        ATTACHMENT,
        "web",
        id,
        "--yes",
        "--non-interactive",
        "--color",
        "never",
        "--generate-code=false",
      ]),
    );
    expect(await mutating(n)).toHaveLength(0);
    const imported = await web();
    expect(imported.id).toBe(id);
    expect(imported.protect).toBe(true);
    expect(imported.outputs).toMatchObject({
      instanceIds: [ins(1), ins(6)],
      adoptedInstanceIds: [ins(1), ins(6)],
      owner: imported.urn,
    });

    await declare(SG_A, [6, 1]);
    expectOk(await stack.preview(["--expect-no-changes"]));
    expectOk(await stack.up(["--expect-no-changes"]));

    expectOk(await stack.run(["state", "unprotect", "--all", "--yes"]));
    expect(summary(expectOk(await stack.destroy()).all)).toMatchObject({ deleted: 2 });
    expect(await bindings()).toEqual(seedBindings);
  });

  it("sends one request for two resources of one group", async () => {
    // A program of two attachments (the example has one), written like the example.
    fs.writeFileSync(
      path.join(dir, "__main__.py"),
      [
        "import pulumi_tencentcloud_sg_attachment as sg_attachment",
        "",
        `sg_attachment.SecurityGroupAttachment("a", security_group_id="${SG_A}", instance_ids=["${ins(1)}", "${ins(2)}"])`,
        `sg_attachment.SecurityGroupAttachment("b", security_group_id="${SG_A}", instance_ids=["${ins(3)}"])`,
        "",
      ].join("\n"),
    );
    const n = await callCount();
    // A gathering window far longer than the engine takes to start both creates.
    const up = expectOk(
      await stack.run(["up", "--yes", "--skip-preview", "--non-interactive", "--color", "never"], {
        env: { SGATTACH_GATHER_WINDOW_MS: "3000" },
      }),
    );
    expect(summary(up.all)).toMatchObject({ created: 3 });
    const sent = await mutating(n);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ action: "AssociateSecurityGroups", securityGroupIds: [SG_A] });
    expect([...sent[0].instanceIds!].sort()).toEqual([ins(1), ins(2), ins(3)]);

    expect(summary(expectOk(await stack.destroy()).all)).toMatchObject({ deleted: 3 });
    expect(await bindings()).toEqual(seedBindings);
  });

  it("never stores or prints the secret key", async () => {
    const everything = [stack.transcript.join("\n"), stack.stateFilesText()].join("\n");
    expect(everything).toContain(SECRET_ID);
    expect(everything).not.toContain(SECRET_KEY);
  });
});
