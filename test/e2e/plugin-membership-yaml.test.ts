// SecurityGroupMembership served by the provider plugin, from a YAML program
// through the real CLI against the emulator: over a group a foreign instance
// holds, the preview names the removal and refuses it without
// maxForeignRemovals; with it raised, `up` leaves exactly the declared
// instances; beside an attachment of the same group it is refused at
// preview; `pulumi import <group>@<region>` takes the holders as pre-existing
// members with no change after; destroy leaves what held the groups before.
import * as fs from "fs";
import * as path from "path";
import type { RunningEmulator } from "../../emulator";
import { expectOk, summary, TestStack } from "./harness";
import { ATTACHMENT, installPlugin, PLUGIN, projectFolder, requireLanguageHost } from "./plugin";
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

const MEMBERSHIP = `${PLUGIN}:index:SecurityGroupMembership`;
const SG = "sg-aaaa0001";
const SG_B = "sg-bbbb0002";

/** The YAML program: the membership `admins` of SG over ins-1 and ins-2, then `more` (lines under `resources:`). */
function program(maxForeignRemovals?: number, more = ""): string {
  const lines = ["name: sgattach-yaml-membership", "runtime: yaml", "resources:", "  admins:"];
  lines.push(`    type: ${MEMBERSHIP}`, "    properties:", `      securityGroupId: ${SG}`);
  lines.push(`      instanceIds: [${ins(2)}, ${ins(1)}]`);
  if (maxForeignRemovals !== undefined) lines.push(`      maxForeignRemovals: ${maxForeignRemovals}`);
  return `${lines.join("\n")}\n${more}`;
}

describe("SecurityGroupMembership from the provider plugin in a YAML program", () => {
  let emulator: RunningEmulator;
  let stack: TestStack;
  let dir: string;
  const write = (text: string) => fs.writeFileSync(path.join(dir, "Pulumi.yaml"), text);
  const holders = async (sg: string) => {
    const b = await emulator.control.bindings(REGION);
    return Object.keys(b)
      .filter((i) => b[i].includes(sg))
      .sort();
  };
  const mutating = async (n: number) =>
    (await emulator.control.calls()).slice(n).filter((c) => !c.errorCode && c.action !== "DescribeInstances");
  const byName = async (name: string) =>
    (await stack.resources("SecurityGroupMembership")).find((r) => r.urn.endsWith(`::${name}`));
  const bindOutside = async (sg: string, ids: string[]) => {
    await outsideClient(emulator).AssociateSecurityGroups({ SecurityGroupIds: [sg], InstanceIds: ids });
    await emulator.control.waitIdle();
  };

  beforeAll(async () => {
    requireLanguageHost("yaml");
    emulator = await startWorld(seedWorld(6));
    dir = projectFolder();
    write(program());
    stack = new TestStack({ projectDir: dir, env: providerEnv(emulator) });
    await installPlugin(stack);
    await stack.init(
      { [`${PLUGIN}:region`]: REGION, [`${PLUGIN}:secretId`]: SECRET_ID },
      { [`${PLUGIN}:secretKey`]: SECRET_KEY },
    );
    // Before the membership: a member (ins-1) and a foreign instance (ins-5) hold SG; ins-3 holds SG_B.
    await bindOutside(SG, [ins(1), ins(5)]);
    await bindOutside(SG_B, [ins(3)]);
  });
  afterAll(async () => {
    await stack?.cleanup();
    await emulator?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("previews the foreign removal by instance id and refuses it without maxForeignRemovals", async () => {
    const n = (await emulator.control.calls()).length;
    const preview = await stack.preview(["--diff"]);
    expect(preview.code).not.toBe(0);
    expect(preview.all).toContain(`maxForeignRemovals is 0`);
    expect(preview.all).toContain(ins(5));
    expect(await mutating(n)).toHaveLength(0);
    expect(await holders(SG)).toEqual([ins(1), ins(5)]);
  });

  it("with maxForeignRemovals raised, previews bindingsToRemove and up leaves exactly the declared instances", async () => {
    write(program(1));
    const preview = expectOk(await stack.preview(["--diff"]));
    expect(preview.all).toMatch(new RegExp(`bindingsToRemove[^\\n]*\\n[^\\n]*${ins(5)}`));
    expect(await holders(SG)).toEqual([ins(1), ins(5)]);

    expectOk(await stack.up());
    expect(await holders(SG)).toEqual([ins(1), ins(2)]);
    expect((await emulator.control.bindings(REGION))[ins(5)]).toEqual([OTHER_SG]);
    const m = await byName("admins");
    expect(m.outputs).toMatchObject({
      instanceIds: [ins(1), ins(2)],
      boundInstanceIds: [ins(2)],
      preexistingInstanceIds: [ins(1)],
      bindingsToRemove: [],
      maxForeignRemovals: 1,
      // The URN is the owner of the bindings.
      owner: m.urn,
    });
    expectOk(await stack.preview(["--expect-no-changes"]));
  });

  it("is refused at preview beside an attachment of the same group, naming both", async () => {
    const attachment = [`  web:`, `    type: ${ATTACHMENT}`, "    properties:"];
    attachment.push(`      securityGroupId: ${SG}`, `      instanceIds: [${ins(4)}]`, "");
    write(program(1, attachment.join("\n")));
    const n = (await emulator.control.calls()).length;
    const preview = await stack.preview();
    expect(preview.code).not.toBe(0);
    expect(preview.all).toMatch(/SecurityGroup(Membership|Attachment) "urn:[^"]*::(admins|web)" and /);
    expect(preview.all).toContain("manage the same security group and region");
    expect(await mutating(n)).toHaveLength(0);
    write(program(1));
  });

  it("imports <group>@<region> with its holders as pre-existing members; the printed program shows no change", async () => {
    const code = path.join(dir, "imported.yaml");
    const n = (await emulator.control.calls()).length;
    const args = ["import", MEMBERSHIP, "imp", `${SG_B}@${REGION}`, "--yes", "--non-interactive"];
    expectOk(await stack.run([...args, "--color", "never", "--out", code]));
    expect(await mutating(n)).toHaveLength(0);
    const imp = await byName("imp");
    expect(imp.outputs).toMatchObject({
      instanceIds: [ins(3)],
      boundInstanceIds: [],
      preexistingInstanceIds: [ins(3)],
      owner: imp.urn,
    });
    const printed = fs.readFileSync(code, "utf8");
    expect(printed).toContain(`securityGroupId: ${SG_B}`);
    write(program(1, printed.slice(printed.indexOf("resources:") + "resources:".length).replace(/^\n/, "")));
    expectOk(await stack.preview(["--expect-no-changes"]));
  });

  it("destroy unbinds what it bound and leaves what held the groups before", async () => {
    expectOk(await stack.run(["state", "unprotect", "--all", "--yes"]));
    expect(summary(expectOk(await stack.destroy()).all)).toMatchObject({ deleted: 3 });
    expect(await holders(SG)).toEqual([ins(1)]);
    expect(await holders(SG_B)).toEqual([ins(3)]);
    expect(await stack.resources("SecurityGroupMembership")).toHaveLength(0);
  });
});
