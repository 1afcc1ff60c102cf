// The provider plugin through the real CLI from a YAML program, installed
// with `pulumi plugin install --file` from the tarball of `npm run
// plugin:pack`, against the emulator: create (two resources in one request),
// no-op, update, replacement (new group bound first), drift + refresh, a
// binding made outside refused then adopted, `pulumi import` then no change,
// destroy; secrets never in state or output.
import * as fs from "fs";
import * as path from "path";
import type { RunningEmulator } from "../../emulator";
import { expectOk, REPO_ROOT, summary, TestStack } from "./harness";
import { ATTACHMENT, installPlugin, projectFolder, requireLanguageHost } from "./plugin";
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

jest.setTimeout(900_000);

const SG_A = "sg-aaaa0001";
const SG_B = "sg-bbbb0002";
const SG_C = "sg-cccc0003";

interface Attachment {
  name: string;
  sg: string;
  ids: number[];
  adopt?: boolean;
}

/** The YAML program: one resource per attachment, then `more` (lines under `resources:`). */
function program(attachments: Attachment[], more = ""): string {
  const lines = ["name: sgattach-yaml", "runtime: yaml", "resources:"];
  for (const a of attachments) {
    lines.push(`  ${a.name}:`, `    type: ${ATTACHMENT}`, "    properties:");
    lines.push(`      securityGroupId: ${a.sg}`, `      instanceIds: [${a.ids.map(ins).join(", ")}]`);
    if (a.adopt) lines.push("      adoptExisting: true");
  }
  return `${lines.join("\n")}\n${more}`;
}

describe("the provider plugin from a YAML program", () => {
  let emulator: RunningEmulator;
  let stack: TestStack;
  let dir: string;
  const seed = seedWorld(6);
  const seedBindings = Object.fromEntries(seed.regions[REGION].instances.map((i) => [i.id, [OTHER_SG]]));
  const write = (text: string) => fs.writeFileSync(path.join(dir, "Pulumi.yaml"), text);
  const bindings = () => emulator.control.bindings(REGION);
  const byName = async (name: string) => (await stack.resources()).find((r) => r.urn.endsWith(`::${name}`));
  const callsSince = async (n: number) =>
    (await emulator.control.calls()).slice(n).filter((c) => !c.errorCode);
  const mutating = async (n: number) => (await callsSince(n)).filter((c) => c.action !== "DescribeInstances");

  beforeAll(async () => {
    requireLanguageHost("yaml");
    emulator = await startWorld(seed);
    dir = projectFolder();
    write(program([{ name: "a", sg: SG_A, ids: [1, 2] }]));
    stack = new TestStack({ projectDir: dir, env: providerEnv(emulator) });
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

  it("previews without touching the cloud, then binds two resources' instances in one request", async () => {
    write(
      program([
        { name: "a", sg: SG_A, ids: [2, 1] },
        { name: "b", sg: SG_A, ids: [3] },
      ]),
    );
    expect(summary(expectOk(await stack.preview()).all)).toMatchObject({ to_create: 3 });
    expect(await mutating(0)).toHaveLength(0);

    // A gathering window far longer than the engine takes to start both creates.
    const up = expectOk(
      await stack.run(["up", "--yes", "--skip-preview", "--non-interactive", "--color", "never"], {
        env: { SGATTACH_GATHER_WINDOW_MS: "3000" },
      }),
    );
    expect(summary(up.all)).toMatchObject({ created: 3 });
    const sent = await mutating(0);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ action: "AssociateSecurityGroups", securityGroupIds: [SG_A] });
    expect([...sent[0].instanceIds!].sort()).toEqual([ins(1), ins(2), ins(3)]);
    const b = await bindings();
    for (const i of [1, 2, 3]) expect(b[ins(i)]).toEqual([OTHER_SG, SG_A]);

    const a = await byName("a");
    expect(a.id).toMatch(/^sg-aaaa0001@ap-guangzhou\//);
    expect(a.outputs).toMatchObject({
      securityGroupId: SG_A,
      instanceIds: [ins(1), ins(2)],
      region: REGION,
      priorities: { [ins(1)]: 1, [ins(2)]: 1 },
      // The URN is the owner of the bindings.
      owner: a.urn,
    });
  });

  it("reports no changes for the same program", async () => {
    const n = (await emulator.control.calls()).length;
    expectOk(await stack.preview(["--expect-no-changes"]));
    expect(await mutating(n)).toHaveLength(0);
  });

  it("updates the instance list in place", async () => {
    write(
      program([
        { name: "a", sg: SG_A, ids: [2, 4] },
        { name: "b", sg: SG_A, ids: [3] },
      ]),
    );
    expect(summary(expectOk(await stack.up()).all)).toMatchObject({ updated: 1 });
    const b = await bindings();
    expect(b[ins(1)]).toEqual([OTHER_SG]);
    for (const i of [2, 3, 4]) expect(b[ins(i)]).toEqual([OTHER_SG, SG_A]);
    expect((await byName("a")).outputs.instanceIds).toEqual([ins(2), ins(4)]);
  });

  it("replaces on a new group, binding the new one before unbinding the old", async () => {
    write(
      program([
        { name: "a", sg: SG_B, ids: [2, 4] },
        { name: "b", sg: SG_A, ids: [3] },
      ]),
    );
    const n = (await emulator.control.calls()).length;
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
    for (const i of [2, 4]) expect(b[ins(i)]).toEqual([OTHER_SG, SG_B]);
    expect(b[ins(3)]).toEqual([OTHER_SG, SG_A]);
  });

  it("finds a binding removed outside on refresh and binds it again on up", async () => {
    await outsideClient(emulator).DisassociateSecurityGroups({
      SecurityGroupIds: [SG_B],
      InstanceIds: [ins(4)],
    });
    await emulator.control.waitIdle();
    expectOk(await stack.refresh());
    expect((await byName("a")).outputs.instanceIds).toEqual([ins(2)]);
    expect(summary(expectOk(await stack.up()).all)).toMatchObject({ updated: 1 });
    expect((await bindings())[ins(4)]).toEqual([OTHER_SG, SG_B]);
    expectOk(await stack.preview(["--expect-no-changes"]));
  });

  it("refuses a binding made outside, naming it, and takes it with adoptExisting", async () => {
    await outsideClient(emulator).AssociateSecurityGroups({
      SecurityGroupIds: [SG_C],
      InstanceIds: [ins(5)],
    });
    await emulator.control.waitIdle();
    const base = [
      { name: "a", sg: SG_B, ids: [2, 4] },
      { name: "b", sg: SG_A, ids: [3] },
    ];
    write(program([...base, { name: "c", sg: SG_C, ids: [5] }]));
    const n = (await emulator.control.calls()).length;
    const refused = await stack.up();
    expect(refused.code).not.toBe(0);
    expect(refused.all).toContain(`instances already bound to ${SG_C}: ${ins(5)}`);
    expect(refused.all).toContain("adoptExisting: true");
    expect(await mutating(n)).toHaveLength(0);
    expect(await byName("c")).toBeUndefined();

    write(program([...base, { name: "c", sg: SG_C, ids: [5], adopt: true }]));
    expect(summary(expectOk(await stack.up()).all)).toMatchObject({ created: 1 });
    expect((await byName("c")).outputs).toMatchObject({
      instanceIds: [ins(5)],
      adoptedInstanceIds: [ins(5)],
    });
    expect((await bindings())[ins(5)]).toEqual([OTHER_SG, SG_C]);
  });

  it("imports an existing binding; the program the CLI prints then shows no change", async () => {
    await outsideClient(emulator).AssociateSecurityGroups({
      SecurityGroupIds: [SG_A],
      InstanceIds: [ins(6)],
    });
    await emulator.control.waitIdle();
    const code = path.join(dir, "imported.yaml");
    const id = `${SG_A}@${REGION}:${ins(6)}`;
    const n = (await emulator.control.calls()).length;
    expectOk(
      await stack.run([
        "import",
        ATTACHMENT,
        "imp",
        id,
        "--yes",
        "--non-interactive",
        "--color",
        "never",
        "--out",
        code,
      ]),
    );
    expect(await mutating(n)).toHaveLength(0);
    const printed = fs.readFileSync(code, "utf8");
    // YAML's short form of the token (the `index` module left out).
    expect(printed).toContain("type: tencentcloud-sg-attachment:SecurityGroupAttachment");
    expect(printed).toContain(`securityGroupId: ${SG_A}`);
    const imp = await byName("imp");
    expect(imp.id).toBe(id);
    expect(imp.outputs).toMatchObject({
      instanceIds: [ins(6)],
      adoptedInstanceIds: [ins(6)],
      owner: imp.urn,
    });
    expect(imp.protect).toBe(true);

    // The printed resource, added to the program as it is.
    const current = fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8");
    write(current + printed.slice(printed.indexOf("resources:") + "resources:".length).replace(/^\n/, ""));
    expectOk(await stack.preview(["--expect-no-changes"]));
    expectOk(await stack.up(["--expect-no-changes"]));
  });

  it("destroys back to the seed (the imported binding too), never storing or printing the secret key", async () => {
    expectOk(await stack.run(["state", "unprotect", "--all", "--yes"]));
    expect(summary(expectOk(await stack.destroy()).all)).toMatchObject({ deleted: 5 });
    expect(await bindings()).toEqual(seedBindings);
    expect(await stack.resources()).toHaveLength(0);
    const everything = [stack.transcript.join("\n"), stack.stateFilesText()].join("\n");
    expect(everything).not.toContain(SECRET_KEY);
    expect(everything.length).toBeGreaterThan(1000);
  });

  it("takes its settings from an explicit provider's arguments, the secret key kept secret", async () => {
    for (const key of ["region", "secretId", "secretKey"])
      expectOk(await stack.run(["config", "rm", `tencentcloud-sg-attachment:${key}`]));
    expectOk(await stack.run(["config", "set", "sgattach-yaml:deployerId", SECRET_ID]));
    expectOk(
      await stack.run(["config", "set", "--secret", "sgattach-yaml:deployerKey"], { input: SECRET_KEY }),
    );
    const provider = [
      "  sg:",
      "    type: pulumi:providers:tencentcloud-sg-attachment",
      "    properties:",
      `      region: ${REGION}`,
      "      secretId: ${deployerId}",
      "      secretKey: ${deployerKey}",
    ];
    write(
      program([{ name: "e", sg: SG_C, ids: [1] }]).replace(
        "resources:",
        "config:\n  deployerId: {type: string}\n  deployerKey: {type: string}\nresources:",
      ) + `${provider.join("\n")}\n`,
    );
    // Without the provider: no region, no credentials.
    const refused = await stack.up();
    expect(refused.code).not.toBe(0);
    expect(refused.all).toContain("tencentcloud-sg-attachment:region");

    const text = fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8");
    write(
      text.replace(
        "      instanceIds: [ins-e2e00001]",
        "      instanceIds: [ins-e2e00001]\n    options:\n      provider: ${sg}",
      ),
    );
    expect(summary(expectOk(await stack.up()).all)).toMatchObject({ created: 1 });
    expect((await bindings())[ins(1)]).toEqual([OTHER_SG, SG_C]);
    const [p] = await stack.resources("pulumi:providers:tencentcloud-sg-attachment");
    expect(p.inputs.region).toBe(REGION);
    expect(JSON.stringify(p.inputs.secretKey)).not.toContain(SECRET_KEY);

    expectOk(await stack.destroy());
    expect(await stack.resources("")).toHaveLength(0);
    expect(await bindings()).toEqual(seedBindings);
    const everything = [stack.transcript.join("\n"), stack.stateFilesText()].join("\n");
    expect(everything).not.toContain(SECRET_KEY);
  });

  it("runs examples/yaml as its README shows", async () => {
    const example = projectFolder();
    fs.copyFileSync(
      path.join(REPO_ROOT, "examples", "yaml", "Pulumi.yaml"),
      path.join(example, "Pulumi.yaml"),
    );
    const user = new TestStack({
      projectDir: example,
      env: { ...providerEnv(emulator), TENCENTCLOUD_REGION: REGION },
    });
    try {
      await installPlugin(user);
      await user.init(
        { "tencentcloud-sg-attachment:secretId": SECRET_ID, securityGroupId: SG_B },
        {
          "tencentcloud-sg-attachment:secretKey": SECRET_KEY,
        },
      );
      expectOk(await user.run(["config", "set", "--path", "instanceIds[0]", ins(5)]));
      expectOk(await user.run(["config", "set", "--path", "instanceIds[1]", ins(6)]));
      expectOk(await user.up());
      expect(await user.outputs()).toEqual({
        boundInstanceIds: [ins(5), ins(6)],
        priorities: { [ins(5)]: 1, [ins(6)]: 1 },
      });
      expectOk(await user.destroy());
      expect(await bindings()).toEqual(seedBindings);
    } finally {
      await user.cleanup();
      fs.rmSync(example, { recursive: true, force: true });
    }
  });
});
