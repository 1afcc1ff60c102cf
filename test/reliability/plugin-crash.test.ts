// A crash of a create through the provider plugin, recovered on "another
// machine" (no journal): the README's steps for the plugin. The whole process
// tree of `pulumi up` (CLI, YAML host, plugin) is SIGKILLed while the bind is
// accepted and still OPERATING; then
//
//   pulumi cancel; pulumi refresh --clear-pending-creates
//   pulumi up                       → refused: the bindings are in no state
//   pulumi import <type> web <sg>@<region>:<bound instances>
//   pulumi up                       → binds what the crash had not
//
// leaves the program's bindings owned by the state (destroy removes them all).
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { RunningEmulator } from "../../emulator";
import { expectOk, TestStack } from "../e2e/harness";
import { ATTACHMENT, installPlugin, projectFolder, requireLanguageHost } from "../e2e/plugin";
import {
  ins,
  OTHER_SG,
  providerEnv,
  REGION,
  SECRET_ID,
  SECRET_KEY,
  seedWorld,
  startWorld,
} from "../e2e/world";
import { killRun, MARK_VAR, processesOf, waitFor } from "./processes";
import { pendingOperations, repairCheckpoint } from "./stacks";

jest.setTimeout(900_000);

const SG = "sg-aaaa0001";
const IDS = [1, 2, 3, 4].map(ins);

describe("the provider plugin after a crash on another machine", () => {
  let emulator: RunningEmulator;
  let stack: TestStack;
  let dir: string;
  let journal: string;
  const seed = seedWorld(4);
  const seedBindings = Object.fromEntries(seed.regions[REGION].instances.map((i) => [i.id, [OTHER_SG]]));
  const bindings = () => emulator.control.bindings(REGION);

  beforeAll(async () => {
    requireLanguageHost("yaml");
    // Operations stay OPERATING long enough to be killed during one.
    emulator = await startWorld(seed, 1500);
    dir = projectFolder();
    journal = fs.mkdtempSync(path.join(os.tmpdir(), "sgattach-journal-"));
    const program = [
      "name: sgattach-crash",
      "runtime: yaml",
      "resources:",
      "  web:",
      `    type: ${ATTACHMENT}`,
    ];
    program.push(
      "    properties:",
      `      securityGroupId: ${SG}`,
      `      instanceIds: [${IDS.join(", ")}]`,
      "",
    );
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), program.join("\n"));
    stack = new TestStack({
      projectDir: dir,
      env: {
        ...providerEnv(emulator),
        SGATTACH_JOURNAL_DIR: journal,
        [MARK_VAR]: `sgrel-plugin-${process.pid}`,
      },
    });
    await installPlugin(stack);
    await stack.init(
      { "tencentcloud-sg-attachment:region": REGION, "tencentcloud-sg-attachment:secretId": SECRET_ID },
      { "tencentcloud-sg-attachment:secretKey": SECRET_KEY },
    );
  });
  afterAll(async () => {
    await killRun(String(stack?.env[MARK_VAR])).catch(() => undefined);
    await stack?.cleanup();
    await emulator?.stop();
    for (const d of [dir, journal]) if (d) fs.rmSync(d, { recursive: true, force: true });
  });

  it("recovers with cancel, refresh --clear-pending-creates and pulumi import", async () => {
    const mark = String(stack.env[MARK_VAR]);
    const running = stack.up();
    await waitFor(
      "a bind accepted and still running",
      async () => (await emulator.control.operations()).length > 0,
    );
    const killed = await killRun(mark);
    await running;
    expect(killed.some((p) => p.cmdline.includes("provider/plugin/main.js"))).toBe(true);
    expect(processesOf(mark)).toEqual([]);
    await repairCheckpoint(stack);
    await emulator.control.waitIdle();
    expect((await pendingOperations(stack)).map((o) => o.type)).toEqual(["creating"]);
    const world = await bindings();
    const bound = IDS.filter((i) => world[i].includes(SG));
    expect(bound.length).toBeGreaterThan(0);

    // Another machine: the journal is gone.
    fs.rmSync(journal, { recursive: true, force: true });
    expectOk(await stack.run(["cancel", "--yes", stack.stack]));
    expectOk(await stack.refresh(["--clear-pending-creates"]));
    expect(await pendingOperations(stack)).toEqual([]);
    const refused = await stack.up();
    expect(refused.code).not.toBe(0);
    expect(refused.all).toContain(`instances already bound to ${SG}: ${bound.sort().join(", ")}`);

    const id = `${SG}@${REGION}:${bound.join(",")}`;
    expectOk(
      await stack.run(["import", ATTACHMENT, "web", id, "--yes", "--protect=false", "--non-interactive"]),
    );
    expectOk(await stack.up());
    const b = await bindings();
    for (const i of IDS) expect(b[i]).toEqual([OTHER_SG, SG]);
    expectOk(await stack.preview(["--expect-no-changes"]));

    expectOk(await stack.destroy());
    expect(await bindings()).toEqual(seedBindings);
  });
});
