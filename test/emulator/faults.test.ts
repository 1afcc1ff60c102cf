import type { Fault, RunningEmulator } from "../../emulator";
import { FaultEngine } from "../../emulator/faults";
import { cvmClient, NO_RATE_LIMITS, raw, REGION, sdkError, start } from "./helpers";

let emu: RunningEmulator;
let client: any;
beforeAll(async () => {
  emu = await start({ operationLatencyMs: 30, rateLimits: NO_RATE_LIMITS });
  client = cvmClient(emu, { timeoutS: 5 });
});
afterAll(() => emu.stop());
beforeEach(() => emu.control.reset());

const associate = (ids: string[], sg = "sg-web00001") =>
  client.AssociateSecurityGroups({ SecurityGroupIds: [sg], InstanceIds: ids });

test("error fault with count: the next N matching calls fail, then it is gone; other actions unaffected", async () => {
  const { id } = await emu.control.addFault({
    kind: "error",
    action: "AssociateSecurityGroups",
    code: "RequestLimitExceeded",
    count: 2,
  });
  expect(id).toEqual(expect.any(String));
  expect((await emu.control.faults())[0]).toMatchObject({ id, remaining: 2 });
  expect((await client.DescribeInstances({ Limit: 1 })).TotalCount).toBe(30);
  expect((await sdkError(associate(["ins-run00001"]))).code).toBe("RequestLimitExceeded");
  expect((await sdkError(associate(["ins-run00001"]))).code).toBe("RequestLimitExceeded");
  await associate(["ins-run00001"]);
  expect(await emu.control.faults()).toEqual([]);
  const calls = await emu.control.calls();
  expect(calls.map((c) => c.fault ?? "-")).toEqual(["-", "error", "error", "-"]);
});

test("a fault with after: the first N matching calls pass, then it fires (count still applies)", async () => {
  await emu.control.addFault({
    kind: "error",
    action: "DescribeInstances",
    code: "AuthFailure.TokenFailure",
    count: 1,
    after: 2,
  });
  await associate(["ins-run00003"]);
  expect((await client.DescribeInstances({ Limit: 1 })).TotalCount).toBe(30);
  expect((await client.DescribeInstances({ Limit: 1 })).TotalCount).toBe(30);
  expect((await sdkError(client.DescribeInstances({ Limit: 1 }))).code).toBe("AuthFailure.TokenFailure");
  expect((await client.DescribeInstances({ Limit: 1 })).TotalCount).toBe(30);
  expect((await emu.control.calls()).map((c) => c.fault ?? "-")).toEqual(["-", "-", "-", "error", "-"]);
  await expect(
    emu.control.addFault({ kind: "latency", ms: 1, after: 1 } as unknown as Fault),
  ).rejects.toThrow(/fault.after applies to error, http and drop/);
  await expect(emu.control.addFault({ kind: "http", status: 503, after: 0 })).rejects.toThrow(
    /fault.after must be an integer >= 1/,
  );
});

test("faults apply before business logic: a faulted Associate changes nothing", async () => {
  await emu.control.addFault({ kind: "error", code: "InternalError", count: 1 });
  expect((await sdkError(associate(["ins-run00002"]))).code).toBe("InternalError");
  await emu.control.waitIdle();
  expect((await emu.control.bindings(REGION))["ins-run00002"]).toEqual(["sg-base0001"]);
});

test("probability 0 never fires, probability 1 always; a fault without count persists until removed", async () => {
  await emu.control.addFault({ kind: "error", code: "ServiceUnavailable", probability: 0 });
  for (let i = 0; i < 5; i++) await client.DescribeInstances({ Limit: 1 });
  await emu.control.clearFaults();
  const { id } = await emu.control.addFault({
    kind: "error",
    action: "DescribeInstances",
    code: "ResourceUnavailable",
  });
  for (let i = 0; i < 3; i++)
    expect((await sdkError(client.DescribeInstances({}))).code).toBe("ResourceUnavailable");
  await emu.control.removeFault(id);
  expect((await client.DescribeInstances({ Limit: 1 })).TotalCount).toBe(30);
});

test("http fault: non-200 reply, the SDK reports httpCode and no business code", async () => {
  await emu.control.addFault({ kind: "http", status: 503, count: 1 });
  const e = await sdkError(client.DescribeInstances({}));
  expect(e.httpCode).toBe(503);
  expect(e.code).toBeUndefined();
  const calls = await emu.control.calls();
  expect(calls[0]).toMatchObject({ httpStatus: 503, errorCode: "HTTP_503", fault: "http" });
  expect((await emu.control.counters()).byAction.DescribeInstances.errors).toEqual({ HTTP_503: 1 });
});

test("drop fault: the connection closes without a reply; nothing was applied", async () => {
  await emu.control.addFault({ kind: "drop", action: "AssociateSecurityGroups", count: 1 });
  const e = await sdkError(associate(["ins-run00003"]));
  expect(e.code).toBeUndefined();
  expect(e.message).toMatch(/socket hang up|ECONNRESET|network/i);
  await emu.control.waitIdle();
  expect((await emu.control.bindings(REGION))["ins-run00003"]).toEqual(["sg-base0001"]);
  expect((await emu.control.calls())[0]).toMatchObject({ httpStatus: 0, errorCode: "DROPPED" });
});

test("drop fault with afterCommit: the client sees a network error but the change happened", async () => {
  await emu.control.addFault({
    kind: "drop",
    action: "AssociateSecurityGroups",
    count: 1,
    afterCommit: true,
  });
  await sdkError(associate(["ins-run00004"]));
  await emu.control.waitIdle();
  expect((await emu.control.bindings(REGION))["ins-run00004"]).toEqual(["sg-base0001", "sg-web00001"]);
});

test("latency fault delays the reply, of its action only", async () => {
  await emu.control.addFault({ kind: "latency", ms: 250, action: "DescribeInstances" });
  // A lower bound only: a slower machine makes the call longer, never shorter.
  const t0 = Date.now();
  await client.DescribeInstances({ Limit: 1 });
  expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
  // Which calls it delays: decided per call, without timing one.
  const engine = new FaultEngine();
  engine.add({ kind: "latency", ms: 250, action: "DescribeInstances" });
  engine.add({ kind: "latency", ms: 50, instanceIds: ["ins-run00002"] });
  expect(engine.decide("DescribeInstances", undefined).latencyMs).toBe(250);
  expect(engine.decide("AssociateSecurityGroups", ["ins-run00001"]).latencyMs).toBe(0);
  expect(engine.decide("DescribeInstances", ["ins-run00002"]).latencyMs).toBe(300);
  expect(await emu.control.faults()).toEqual([
    expect.objectContaining({ kind: "latency", action: "DescribeInstances", remaining: null }),
  ]);
});

test("hold fault: matching calls wait, counted, until it is removed; others pass", async () => {
  const { id } = await emu.control.addFault({ kind: "hold", action: "AssociateSecurityGroups" });
  let answered = false;
  const held = associate(["ins-run00001"]).then(() => (answered = true));
  await emu.control.waitHeld(id);
  // Held before any effect: nothing OPERATING, other actions answered meanwhile.
  expect((await client.DescribeInstances({ InstanceIds: ["ins-run00001"] })).InstanceSet[0]).toMatchObject({
    LatestOperation: null,
    SecurityGroupIds: ["sg-base0001"],
  });
  expect(answered).toBe(false);
  expect(await emu.control.faults()).toEqual([expect.objectContaining({ id, kind: "hold", held: 1 })]);
  await emu.control.removeFault(id);
  await held;
  await emu.control.waitIdle();
  expect((await emu.control.bindings(REGION))["ins-run00001"]).toEqual(["sg-base0001", "sg-web00001"]);
});

test("hold fault with instanceIds holds only calls naming them; clearFaults and reset release", async () => {
  const { id } = await emu.control.addFault({ kind: "hold", instanceIds: ["ins-run00002"] });
  await associate(["ins-run00001"]);
  const one = associate(["ins-run00002", "ins-run00003"]);
  const two = client.DescribeInstances({ InstanceIds: ["ins-run00002"] });
  await emu.control.waitHeld(id, 2);
  await emu.control.clearFaults();
  await one;
  expect((await two).TotalCount).toBe(1);
  const again = await emu.control.addFault({ kind: "hold", action: "DescribeInstances" });
  const three = client.DescribeInstances({ Limit: 1 });
  await emu.control.waitHeld(again.id);
  await emu.control.reset();
  expect((await three).TotalCount).toBe(30);
  await expect(emu.control.addFault({ kind: "hold", count: 1 } as any)).rejects.toThrow(/hold fault lasts/);
});

test("transient fault: a random mix of retryable failures, each well-formed", async () => {
  await emu.control.addFault({ kind: "transient", probability: 1, action: "AssociateSecurityGroups" });
  const seen = new Set<string>();
  for (let i = 0; i < 40; i++) {
    const e = await sdkError(associate(["ins-run00006"]));
    seen.add(e.code ?? (e.httpCode ? "5xx" : "network"));
  }
  for (const s of seen) {
    expect([
      "RequestLimitExceeded",
      "OperationDenied.InstanceOperationInProgress",
      "MutexOperation.TaskRunning",
      "5xx",
      "network",
    ]).toContain(s);
  }
  expect(seen.size).toBeGreaterThanOrEqual(3);
  expect((await emu.control.bindings(REGION))["ins-run00006"]).toEqual(["sg-base0001"]);
});

test("invalid faults are rejected with HTTP 400; reset clears faults", async () => {
  await expect(emu.control.addFault({ kind: "explode" } as any)).rejects.toThrow(/400/);
  await expect(emu.control.addFault({ kind: "http", status: 200 })).rejects.toThrow(/status/);
  await expect(emu.control.addFault({ kind: "transient" } as any)).rejects.toThrow(/probability/);
  await expect(emu.control.addFault({ kind: "error", code: "X", count: 0 })).rejects.toThrow(/count/);
  await emu.control.addFault({ kind: "error", code: "InternalError" });
  await emu.control.reset();
  expect(await emu.control.faults()).toEqual([]);
});

test("an injected HTTP status reply still carries a JSON envelope", async () => {
  await emu.control.addFault({ kind: "http", status: 502, count: 1 });
  const r = await raw(emu, {
    headers: { "Content-Type": "application/json", "X-TC-Action": "DescribeInstances" },
    body: "{}",
  });
  // authentication comes first: the unsigned request is rejected before faults apply
  expect(r.status).toBe(200);
  expect(r.json.Response.Error.Code).toBe("MissingParameter");
  expect((await emu.control.faults())[0].remaining).toBe(1);
});

test("error fault with instanceIds: a CAM-style deny of chosen instances, named in the message", async () => {
  await emu.control.addFault({
    kind: "error",
    action: "AssociateSecurityGroups",
    code: "UnauthorizedOperation",
    instanceIds: ["ins-run00002"],
  });
  const e = await sdkError(associate(["ins-run00001", "ins-run00002", "ins-run00003"]));
  expect(e.code).toBe("UnauthorizedOperation");
  expect(e.message).toContain("instance/ins-run00002");
  await associate(["ins-run00001", "ins-run00003"]);
  expect((await sdkError(associate(["ins-run00002"]))).code).toBe("UnauthorizedOperation");
  await emu.control.waitIdle();
  const world = await emu.control.bindings(REGION);
  expect(world["ins-run00001"]).toContain("sg-web00001");
  expect(world["ins-run00002"]).not.toContain("sg-web00001");
  await expect(
    emu.control.addFault({ kind: "http", status: 500, instanceIds: ["ins-run00001"] } as any),
  ).rejects.toThrow(/instanceIds applies to/);
});
