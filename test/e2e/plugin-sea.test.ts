// The provider plugin as one executable (`npm run plugin:sea`), installed with
// `pulumi plugin install --file` and run with no Node.js on PATH (the YAML
// host and the CLI need none): create, import, destroy against the emulator.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import type { RunningEmulator } from "../../emulator";
import { expectOk, packageTarball, pulumiBinDir, REPO_ROOT, summary, TestStack } from "./harness";
import { ATTACHMENT, PLUGIN, projectFolder, requireLanguageHost, VERSION } from "./plugin";
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

const SG = "sg-aaaa0001";

describe("the provider plugin as a single executable", () => {
  let emulator: RunningEmulator;
  let stack: TestStack;
  let dir: string;
  let out: string;
  const seed = seedWorld(3);
  const seedBindings = Object.fromEntries(seed.regions[REGION].instances.map((i) => [i.id, [OTHER_SG]]));
  const bindings = () => emulator.control.bindings(REGION);

  beforeAll(async () => {
    requireLanguageHost("yaml");
    packageTarball(); // builds dist/ when the test runner did not
    out = fs.mkdtempSync(path.join(REPO_ROOT, ".pulumi-local", "sea-out-"));
    const tarball = execFileSync(
      process.execPath,
      [path.join(REPO_ROOT, "scripts", "plugin-sea.js"), "--out", out, "--skip-build"],
      {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      },
    )
      .trim()
      .split("\n")
      .pop()!;
    emulator = await startWorld(seed);
    dir = projectFolder();
    fs.writeFileSync(
      path.join(dir, "Pulumi.yaml"),
      [
        "name: sgattach-sea",
        "runtime: yaml",
        "resources:",
        "  web:",
        `    type: ${ATTACHMENT}`,
        "    properties:",
        `      securityGroupId: ${SG}`,
        `      instanceIds: [${ins(1)}]`,
        "",
      ].join("\n"),
    );
    // Only the CLI's folder on PATH: no `node` to fall back on.
    stack = new TestStack({ projectDir: dir, env: { ...providerEnv(emulator), PATH: pulumiBinDir() } });
    await stack.ok(["plugin", "install", "resource", PLUGIN, VERSION, "--file", tarball]);
    await stack.init(
      { "tencentcloud-sg-attachment:region": REGION, "tencentcloud-sg-attachment:secretId": SECRET_ID },
      { "tencentcloud-sg-attachment:secretKey": SECRET_KEY },
    );
  });
  afterAll(async () => {
    await stack?.cleanup();
    await emulator?.stop();
    for (const d of [dir, out]) if (d) fs.rmSync(d, { recursive: true, force: true });
  });

  it("binds, imports and unbinds without Node.js", async () => {
    expect(
      execFileSync("/bin/sh", ["-c", "command -v node || true"], { env: stack.env, encoding: "utf8" }),
    ).toBe("");
    expect(summary(expectOk(await stack.up()).all)).toMatchObject({ created: 2 });
    expect((await bindings())[ins(1)]).toEqual([OTHER_SG, SG]);

    await outsideClient(emulator).AssociateSecurityGroups({ SecurityGroupIds: [SG], InstanceIds: [ins(2)] });
    await emulator.control.waitIdle();
    const id = `${SG}@${REGION}:${ins(2)}`;
    expectOk(
      await stack.run(["import", ATTACHMENT, "imp", id, "--yes", "--protect=false", "--non-interactive"]),
    );
    const imported = (await stack.resources()).find((r) => r.urn.endsWith("::imp"));
    expect(imported.outputs).toMatchObject({ instanceIds: [ins(2)], owner: imported.urn });

    expectOk(await stack.destroy());
    expect(await bindings()).toEqual(seedBindings);
    expect([stack.transcript.join("\n"), stack.stateFilesText()].join("\n")).not.toContain(SECRET_KEY);
  });
});
