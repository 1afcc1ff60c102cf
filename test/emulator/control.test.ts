import { EmulatorControl, startEmulator, type RunningEmulator } from "../../emulator";
import { cvmClient, MAIN, NO_RATE_LIMITS, REGION, sdkError, start, testSeed } from "./helpers";

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await start({ rateLimits: NO_RATE_LIMITS });
});
afterAll(() => emu.stop());
beforeEach(() => emu.control.reset());

test("the default seed (emulator/seeds/demo.json) has the demo credential, 4 SGs and 6 RUNNING instances", async () => {
  const demo = await startEmulator();
  try {
    expect(demo.url).toBe(`http://127.0.0.1:${demo.port}`);
    const st = await demo.control.state();
    const gz = st.regions["ap-guangzhou"];
    expect(gz.securityGroups.map((s) => s.id)).toEqual([
      "sg-web00001",
      "sg-db000001",
      "sg-ops00001",
      "sg-db000002",
    ]);
    expect(gz.instances).toHaveLength(6);
    for (const i of gz.instances) {
      expect(i).toMatchObject({
        zone: "ap-guangzhou-3",
        state: "RUNNING",
        securityGroupIds: ["sg-ops00001"],
      });
      expect(i.id).toMatch(/^ins-demo000[1-6]$/);
    }
    expect(st.regions["ap-shanghai"].instances.length).toBeGreaterThanOrEqual(1);
    const c = cvmClient(demo, {
      credential: {
        secretId: "AKIDEMULATORDEMO000000000000000000",
        secretKey: "emulator-demo-secret-key-0000000000",
      },
    });
    expect((await c.DescribeInstances({})).TotalCount).toBe(6);
  } finally {
    await demo.stop();
  }
});

test("state() has exactly the documented shape", async () => {
  const st = await emu.control.state();
  expect(Object.keys(st)).toEqual(["regions"]);
  expect(Object.keys(st.regions).sort()).toEqual(["ap-guangzhou", "ap-shanghai"]);
  expect(st.regions["ap-shanghai"]).toEqual({
    securityGroups: [{ id: "sg-shsh0001", name: "sh" }],
    instances: [
      {
        id: "ins-shsh0001",
        zone: "ap-shanghai-2",
        state: "RUNNING",
        securityGroupIds: ["sg-shsh0001"],
        latestOperation: null,
        latestOperationState: null,
        latestOperationRequestId: null,
        latestOperationErrorMsg: null,
      },
    ],
  });
});

test("bindings() per region and across regions", async () => {
  const gz = await emu.control.bindings(REGION);
  expect(Object.keys(gz)).toHaveLength(30);
  expect(gz["ins-shsh0001"]).toBeUndefined();
  const all = await emu.control.bindings();
  expect(all["ins-shsh0001"]).toEqual(["sg-shsh0001"]);
  expect(Object.keys(all)).toHaveLength(31);
});

test("calls() records every API call in order with the documented fields; counters() aggregates", async () => {
  const c = cvmClient(emu);
  const before = Date.now();
  await c.DescribeInstances({ InstanceIds: ["ins-run00001"] });
  const { RequestId } = await c.AssociateSecurityGroups({
    SecurityGroupIds: ["sg-web00001"],
    InstanceIds: ["ins-run00001", "ins-run00002"],
  });
  await sdkError(
    c.AssociateSecurityGroups({ SecurityGroupIds: ["sg-web00001"], InstanceIds: ["ins-gone0001"] }),
  );
  const calls = await emu.control.calls();
  expect(calls).toHaveLength(3);
  expect(calls.map((x) => x.seq)).toEqual([1, 2, 3]);
  expect(calls[0]).toMatchObject({
    action: "DescribeInstances",
    region: REGION,
    secretId: MAIN.secretId,
    instanceIds: ["ins-run00001"],
    httpStatus: 200,
  });
  expect(calls[0].errorCode).toBeUndefined();
  expect(calls[0].at).toBeGreaterThanOrEqual(before - 5);
  expect(calls[1]).toMatchObject({
    action: "AssociateSecurityGroups",
    securityGroupIds: ["sg-web00001"],
    instanceIds: ["ins-run00001", "ins-run00002"],
    requestId: RequestId,
  });
  expect(calls[2]).toMatchObject({ errorCode: "InvalidInstanceId.NotFound", instanceIds: ["ins-gone0001"] });
  expect(await emu.control.calls(2)).toHaveLength(1);
  expect(await emu.control.counters()).toEqual({
    byAction: {
      DescribeInstances: { total: 1, ok: 1, errors: {} },
      AssociateSecurityGroups: { total: 2, ok: 1, errors: { "InvalidInstanceId.NotFound": 1 } },
    },
  });
  await emu.control.reset();
  expect(await emu.control.calls()).toEqual([]);
  expect(await emu.control.counters()).toEqual({ byAction: {} });
});

test("reset(seed) loads another world and credentials; reset() goes back to the start seed", async () => {
  const seed = testSeed();
  seed.credentials = [{ secretId: "AKIDRESETONLY00000000000000000000", secretKey: "reset-key" }];
  seed.regions = {
    "eu-frankfurt": {
      securityGroups: [{ id: "sg-fra00001" }],
      instances: [{ id: "ins-fra00001", securityGroupIds: ["sg-fra00001"] }],
    },
  };
  await emu.control.reset(seed);
  const st = await emu.control.state();
  expect(Object.keys(st.regions)).toEqual(["eu-frankfurt"]);
  expect(st.regions["eu-frankfurt"].instances[0]).toMatchObject({ zone: "eu-frankfurt-1", state: "RUNNING" });
  expect(st.regions["eu-frankfurt"].securityGroups[0]).toEqual({ id: "sg-fra00001", name: "sg-fra00001" });
  expect((await sdkError(cvmClient(emu).DescribeInstances({}))).code).toBe("AuthFailure.SecretIdNotFound");
  const c = cvmClient(emu, {
    region: "eu-frankfurt",
    credential: { secretId: "AKIDRESETONLY00000000000000000000", secretKey: "reset-key" },
  });
  expect((await c.DescribeInstances({})).TotalCount).toBe(1);
  await emu.control.reset();
  expect(Object.keys((await emu.control.state()).regions).sort()).toEqual(["ap-guangzhou", "ap-shanghai"]);
});

test("reset with an invalid seed is rejected (400) and changes nothing", async () => {
  const bad = testSeed();
  bad.regions[REGION].instances.push({ id: "ins-BAD", securityGroupIds: [] });
  await expect(emu.control.reset(bad)).rejects.toThrow(/400.*invalid instance id/);
  const bad2 = testSeed();
  bad2.regions[REGION].instances.push({ id: "ins-orphan01", securityGroupIds: ["sg-nothere1"] });
  await expect(emu.control.reset(bad2)).rejects.toThrow(/400/);
  await expect(emu.control.reset({ credentials: [null], regions: {} } as any)).rejects.toThrow(/400/);
  await expect(emu.control.reset("/etc/hostname" as any)).rejects.toThrow(/file paths are not accepted/);
  expect(Object.keys(await emu.control.bindings(REGION))).toHaveLength(30);
});

test("configure() validates and patches; rateLimits merge", async () => {
  await emu.control.configure({
    operationLatencyMs: { min: 1, max: 2 },
    rateLimits: { DescribeSecurityGroups: 3 },
  });
  const cfg = await emu.control.config();
  expect(cfg.operationLatencyMs).toEqual({ min: 1, max: 2 });
  expect(cfg.rateLimits.DescribeSecurityGroups).toBe(3);
  expect(cfg.rateLimits["*"]).toBe(0);
  await expect(emu.control.configure({ associateAlreadyBound: "maybe" as any })).rejects.toThrow(/400/);
  await expect(emu.control.configure({ operationLatencyMs: { min: 5, max: 1 } })).rejects.toThrow(/400/);
  await expect(emu.control.configure({ nonsense: 1 } as any)).rejects.toThrow(/unknown config key/);
});

test("reset() returns the config to the start options, so no test's configure() outlives it", async () => {
  const start = await emu.control.config();
  await emu.control.configure({
    operationLatencyMs: 5000,
    rateLimits: { DescribeInstances: 1 },
    associateAlreadyBound: "ignore",
    maxInstancesPerSecurityGroup: 3,
    stsTokenLifetimeSeconds: 60,
  });
  expect(await emu.control.config()).not.toEqual(start);
  await emu.control.reset();
  expect(await emu.control.config()).toEqual(start);
  expect(start.rateLimits).toEqual(NO_RATE_LIMITS);
});

test("mutate(): add/delete instance and SG, set state, add credential", async () => {
  await emu.control.mutate({ op: "addSecurityGroup", region: REGION, id: "sg-new00001", name: "new" });
  await emu.control.mutate({
    op: "addInstance",
    region: REGION,
    instance: { id: "ins-new00001", zone: "ap-guangzhou-6", securityGroupIds: ["sg-new00001"] },
  });
  await emu.control.mutate({ op: "setInstanceState", region: REGION, id: "ins-run00001", state: "PENDING" });
  await emu.control.mutate({ op: "deleteInstance", region: REGION, id: "ins-run00002" });
  await emu.control.mutate({ op: "deleteSecurityGroup", region: REGION, id: "sg-base0001" });
  await emu.control.mutate({
    op: "addCredential",
    secretId: "AKIDADDED000000000000000000000000",
    secretKey: "added-key",
    token: "added-token",
  });
  const st = await emu.control.state();
  const gz = st.regions[REGION];
  expect(gz.securityGroups.find((s) => s.id === "sg-new00001")).toEqual({ id: "sg-new00001", name: "new" });
  expect(gz.securityGroups.find((s) => s.id === "sg-base0001")).toBeUndefined();
  expect(gz.instances.find((i) => i.id === "ins-new00001")).toMatchObject({
    zone: "ap-guangzhou-6",
    state: "RUNNING",
    securityGroupIds: ["sg-new00001"],
  });
  expect(gz.instances.find((i) => i.id === "ins-run00002")).toBeUndefined();
  // deleting an SG removes it from every instance (out-of-band)
  expect(gz.instances.find((i) => i.id === "ins-run00003")!.securityGroupIds).toEqual([]);
  const c = cvmClient(emu, {
    credential: {
      secretId: "AKIDADDED000000000000000000000000",
      secretKey: "added-key",
      token: "added-token",
    },
  });
  const d = await c.DescribeInstances({ InstanceIds: ["ins-run00001", "ins-run00002", "ins-new00001"] });
  expect(d.InstanceSet.map((i: any) => [i.InstanceId, i.InstanceState])).toEqual([
    ["ins-run00001", "PENDING"],
    ["ins-new00001", "RUNNING"],
  ]);
  expect(
    (
      await sdkError(
        c.AssociateSecurityGroups({ SecurityGroupIds: ["sg-new00001"], InstanceIds: ["ins-run00001"] }),
      )
    ).code,
  ).toBe("UnsupportedOperation.InstanceStatePending");
});

test("invalid mutations -> 400 with a reason", async () => {
  await expect(
    emu.control.mutate({ op: "deleteInstance", region: REGION, id: "ins-nope0001" }),
  ).rejects.toThrow(/400.*not found/);
  await expect(
    emu.control.mutate({ op: "addInstance", region: "xx-nowhere", instance: { id: "ins-new00002" } }),
  ).rejects.toThrow(/unknown region/);
  await expect(
    emu.control.mutate({ op: "addInstance", region: REGION, instance: { id: "ins-run00001" } }),
  ).rejects.toThrow(/already exists/);
  await expect(
    emu.control.mutate({ op: "setInstanceState", region: REGION, id: "ins-run00001", state: "DANCING" }),
  ).rejects.toThrow(/invalid instance state/);
  await expect(emu.control.mutate({ op: "fly" } as any)).rejects.toThrow(/unknown mutation/);
  await expect(emu.control.mutate({ op: "addCredential", secretId: "", secretKey: "" })).rejects.toThrow(
    /400/,
  );
});

test("unknown routes and methods; raw HTTP access with any client", async () => {
  const r404 = await fetch(`${emu.url}/_emulator/nope`);
  expect(r404.status).toBe(404);
  expect(r404.headers.get("content-type")).toBe("application/json");
  const r405 = await fetch(`${emu.url}/_emulator/state`, { method: "DELETE" });
  expect(r405.status).toBe(405);
  const bad = await fetch(`${emu.url}/_emulator/faults`, {
    method: "POST",
    body: "{nope",
    headers: { "Content-Type": "application/json" },
  });
  expect(bad.status).toBe(400);
  const health = await fetch(`${emu.url}/_emulator/health`);
  expect(await health.json()).toEqual({ ok: true });
  const idle = await fetch(`${emu.url}/_emulator/idle`);
  expect(await idle.json()).toEqual({ idle: true, operating: 0, pendingOperations: 0 });
  // a separate EmulatorControl built from the URL works the same
  expect(await new EmulatorControl(emu.url + "/").health()).toBe(true);
});

test("waitIdle() rejects after its timeout when an operation never finishes in time", async () => {
  await emu.control.configure({ operationLatencyMs: 5000 });
  await cvmClient(emu).AssociateSecurityGroups({
    SecurityGroupIds: ["sg-web00001"],
    InstanceIds: ["ins-run00001"],
  });
  await expect(emu.control.waitIdle(100)).rejects.toThrow(/not idle/);
  await emu.control.completeOperations();
  await emu.control.waitIdle(100);
});
