// The provider text stored in the state is a thin stub that loads the
// implementation from the installed package at call time: `up` with one build
// of the package, then `destroy` with another, and the new build's code runs
// the delete while the stored text stays the same.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { RunningEmulator } from "../../emulator";
import { expectOk, installTarball, packageTarball, REPO_ROOT, TestStack } from "./harness";
import {
  ins,
  OTHER_SG,
  providerEnv,
  REGION,
  seedWorld,
  stackConfig,
  stackSecrets,
  startWorld,
} from "./world";

jest.setTimeout(900_000);

/** A second build of the package: same code, a new version, and a line that records that it was loaded. */
function upgradedTarball(v1: string, work: string): string {
  const unpack = path.join(work, "v2");
  fs.mkdirSync(unpack, { recursive: true });
  execFileSync("tar", ["-xzf", v1, "-C", unpack]);
  const pkgDir = path.join(unpack, "package");
  const pkgJson = JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8"));
  pkgJson.version = `${pkgJson.version}-upgrade.1`;
  fs.writeFileSync(path.join(pkgDir, "package.json"), JSON.stringify(pkgJson, null, 2));
  const impl = path.join(pkgDir, "dist", "provider", "impl", "index.js");
  fs.appendFileSync(
    impl,
    '\nif (process.env.SGATTACH_UPGRADE_MARKER) require("fs").appendFileSync(process.env.SGATTACH_UPGRADE_MARKER, `loaded ${require("../../../package.json").version}\\n`);\n',
  );
  const name = execFileSync("npm", ["pack", "--silent", "--ignore-scripts", "--pack-destination", work], {
    cwd: pkgDir,
    encoding: "utf8",
  })
    .trim()
    .split("\n")
    .pop()!;
  return path.join(work, name);
}

describe("upgrading the package reaches existing stacks", () => {
  let emulator: RunningEmulator;
  let stack: TestStack;
  let work: string;

  beforeAll(async () => {
    emulator = await startWorld(seedWorld(3));
    work = fs.mkdtempSync(path.join(os.tmpdir(), "sgattach-upgrade-"));
    // A project of its own: its node_modules get upgraded mid-test.
    const projectDir = path.join(work, "project");
    fs.mkdirSync(projectDir);
    for (const f of ["Pulumi.yaml", "index.ts", "tsconfig.json"])
      fs.copyFileSync(path.join(REPO_ROOT, "test", "e2e", "fixture", f), path.join(projectDir, f));
    installTarball(projectDir, packageTarball());
    stack = new TestStack({ projectDir, env: providerEnv(emulator) });
    await stack.init(stackConfig, stackSecrets);
  });
  afterAll(async () => {
    await stack?.cleanup();
    await emulator?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it("runs destroy with the upgraded implementation", async () => {
    await stack.setSpec({
      attachments: [{ name: "app", securityGroupId: "sg-aaaa0001", instanceIds: [ins(1), ins(2)] }],
    });
    expectOk(await stack.up());
    expect((await emulator.control.bindings(REGION))[ins(1)]).toEqual([OTHER_SG, "sg-aaaa0001"]);
    const storedBefore = (await stack.resources())[0].outputs.__provider as string;
    // Installed under node_modules, the stored text is only a require of the
    // package's public provider module (see provider/stub.ts), not its code.
    expect(storedBefore).toContain('require("pulumi-tencentcloud-sg-attachment/provider")');
    expect(storedBefore.length).toBeLessThan(400);
    expect(storedBefore).not.toContain("AssociateSecurityGroups");

    const v2 = upgradedTarball(packageTarball(), work);
    execFileSync("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", v2], {
      cwd: stack.projectDir,
      stdio: ["ignore", "ignore", "inherit"], // npm's "added N packages" is noise; errors go to stderr
    });
    const marker = path.join(work, "marker.txt");
    stack.env.SGATTACH_UPGRADE_MARKER = marker;

    // refresh and destroy run the provider text stored in the state...
    expectOk(await stack.refresh());
    const storedAfterRefresh = (await stack.resources())[0].outputs.__provider as string;
    expect(storedAfterRefresh).toBe(storedBefore);
    expectOk(await stack.destroy());
    // ...and that text loaded the upgraded implementation.
    expect(fs.readFileSync(marker, "utf8")).toMatch(/loaded \d+\.\d+\.\d+-upgrade\.1/);
    expect((await emulator.control.bindings(REGION))[ins(1)]).toEqual([OTHER_SG]);
  });
});
