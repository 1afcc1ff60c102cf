// Progress lines from the provider reach `pulumi up` / `pulumi destroy`
// output through the real CLI (package installed from its tarball): with a
// short progress interval and operations that stay OPERATING for seconds,
// the output carries `sg-…: N/4 bound` and `sg-…: N/4 unbound`.
import type { RunningEmulator } from "../../emulator";
import { expectOk, TestStack, userProject } from "./harness";
import { ins, providerEnv, seedWorld, stackConfig, stackSecrets, startWorld } from "./world";

jest.setTimeout(600_000);

const SG = "sg-aaaa0001";

describe("progress lines in the CLI output", () => {
  let emulator: RunningEmulator;
  let stack: TestStack;

  beforeAll(async () => {
    // Each operation stays OPERATING for 3 s: many times the 300 ms interval.
    emulator = await startWorld(seedWorld(4), 3_000);
    stack = new TestStack({
      projectDir: userProject(),
      env: { ...providerEnv(emulator), SGATTACH_PROGRESS_INTERVAL_MS: "300" },
    });
    await stack.init(stackConfig, stackSecrets);
    await stack.setSpec({
      attachments: [{ name: "app", securityGroupId: SG, instanceIds: [1, 2, 3, 4].map(ins) }],
    });
  });
  afterAll(async () => {
    await stack?.cleanup();
    await emulator?.stop();
  });

  it("shows `sg-…: N/4 bound` during up and `sg-…: N/4 unbound` during destroy", async () => {
    const up = expectOk(await stack.up());
    expect(up.all).toMatch(new RegExp(`${SG}: [0-3]/4 bound`));
    const destroy = expectOk(await stack.destroy());
    expect(destroy.all).toMatch(new RegExp(`${SG}: [0-3]/4 unbound`));
  });
});
