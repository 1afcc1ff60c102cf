import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startEmulator } from "../../emulator";
import { cvmClient, MAIN, REGION, sleep, TEMP, testSeed } from "./helpers";

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "cvm-emu-state-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

test("the world survives a restart; the state file takes precedence over the seed and holds no secrets", async () => {
  const stateFile = path.join(dir, "nested", "world.json");
  const a = await startEmulator({ seed: testSeed(), stateFile, operationLatencyMs: 30 });
  await cvmClient(a).AssociateSecurityGroups({
    SecurityGroupIds: ["sg-web00001"],
    InstanceIds: ["ins-run00001"],
  });
  await a.control.waitIdle();
  await a.control.mutate({ op: "setInstanceState", region: REGION, id: "ins-run00002", state: "STOPPED" });
  await a.stop();

  const text = fs.readFileSync(stateFile, "utf8");
  const saved = JSON.parse(text);
  expect(saved.format).toBe("tencentcloud-cvm-emulator/world@1");
  for (const secret of [MAIN.secretKey, TEMP.secretKey, TEMP.token]) expect(text).not.toContain(secret);
  // no temp files left behind
  expect(fs.readdirSync(path.dirname(stateFile))).toEqual(["world.json"]);

  // restart with a seed whose world differs: the file wins, credentials come from the seed
  const seed = testSeed();
  seed.regions[REGION].instances = seed.regions[REGION].instances.slice(0, 2);
  const b = await startEmulator({ seed, stateFile });
  try {
    const d = await cvmClient(b).DescribeInstances({
      InstanceIds: ["ins-run00001", "ins-run00002", "ins-run00020"],
    });
    expect(
      d.InstanceSet.map((i: any) => [
        i.InstanceId,
        i.InstanceState,
        i.SecurityGroupIds,
        i.LatestOperationState,
      ]),
    ).toEqual([
      ["ins-run00001", "RUNNING", ["sg-base0001", "sg-web00001"], "SUCCESS"],
      ["ins-run00002", "STOPPED", ["sg-base0001"], null],
      ["ins-run00020", "RUNNING", ["sg-base0001"], null],
    ]);
  } finally {
    await b.stop();
  }
});

test("every change is written (debounced) without waiting for stop", async () => {
  const stateFile = path.join(dir, "w.json");
  const a = await startEmulator({ seed: testSeed(), stateFile, operationLatencyMs: 20 });
  try {
    await a.control.mutate({ op: "addSecurityGroup", region: REGION, id: "sg-live0001" });
    // written well before stop (poll: the debounce is 20 ms)
    const deadline = Date.now() + 5000;
    while (!(fs.existsSync(stateFile) && fs.readFileSync(stateFile, "utf8").includes("sg-live0001"))) {
      if (Date.now() > deadline) throw new Error("state file not written");
      await sleep(20);
    }
    expect(JSON.parse(fs.readFileSync(stateFile, "utf8")).regions[REGION].securityGroups).toContainEqual(
      expect.objectContaining({ id: "sg-live0001" }),
    );
  } finally {
    await a.stop();
  }
});

test("operations in flight at shutdown are completed on reload", async () => {
  const stateFile = path.join(dir, "inflight.json");
  const a = await startEmulator({ seed: testSeed(), stateFile, operationLatencyMs: 60_000 });
  await a.control.addFault({
    kind: "operationFailure",
    instanceIds: ["ins-run00004"],
    message: "nope",
    count: 1,
  });
  const { RequestId } = await cvmClient(a).AssociateSecurityGroups({
    SecurityGroupIds: ["sg-web00001"],
    InstanceIds: ["ins-run00003", "ins-run00004"],
  });
  expect(
    (await a.control.state()).regions[REGION].instances.find((i) => i.id === "ins-run00003")!
      .latestOperationState,
  ).toBe("OPERATING");
  await a.stop();
  expect(JSON.parse(fs.readFileSync(stateFile, "utf8")).pendingOperations).toHaveLength(1);

  const b = await startEmulator({ seed: testSeed(), stateFile });
  try {
    await b.control.waitIdle(1000);
    const inst = (await b.control.state()).regions[REGION].instances;
    expect(inst.find((i) => i.id === "ins-run00003")).toMatchObject({
      latestOperationState: "SUCCESS",
      latestOperationRequestId: RequestId,
      securityGroupIds: ["sg-base0001", "sg-web00001"],
    });
    expect(inst.find((i) => i.id === "ins-run00004")).toMatchObject({
      latestOperationState: "FAILED",
      latestOperationErrorMsg: "nope",
      securityGroupIds: ["sg-base0001"],
    });
  } finally {
    await b.stop();
  }
});

test("reset() with a state file goes back to the seed and persists that", async () => {
  const stateFile = path.join(dir, "r.json");
  const a = await startEmulator({ seed: testSeed(), stateFile });
  await a.control.mutate({ op: "deleteInstance", region: REGION, id: "ins-run00001" });
  await a.control.reset();
  await a.stop();
  const saved = JSON.parse(fs.readFileSync(stateFile, "utf8"));
  expect(saved.regions[REGION].instances.map((i: any) => i.id)).toContain("ins-run00001");
});

test("a corrupt state file or a bad seed makes startEmulator reject", async () => {
  const stateFile = path.join(dir, "bad.json");
  fs.writeFileSync(stateFile, "{not json");
  await expect(startEmulator({ seed: testSeed(), stateFile })).rejects.toThrow(/not valid JSON/);
  fs.writeFileSync(stateFile, JSON.stringify({ hello: 1 }));
  await expect(startEmulator({ seed: testSeed(), stateFile })).rejects.toThrow(/not an emulator state file/);
  await expect(startEmulator({ seed: path.join(dir, "missing-seed.json") })).rejects.toThrow(
    /cannot read seed/,
  );
  const seedFile = path.join(dir, "seed.json");
  fs.writeFileSync(seedFile, JSON.stringify(testSeed()));
  const ok = await startEmulator({ seed: seedFile });
  expect(Object.keys(await ok.control.bindings(REGION))).toHaveLength(30);
  await ok.stop();
});
