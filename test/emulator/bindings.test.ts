import { ERROR_CODES, instanceIdsFromMessage, type RunningEmulator } from "../../emulator";
import { cvmClient, NO_RATE_LIMITS, REGION, sdkError, start } from "./helpers";

let emu: RunningEmulator;
let client: any;
beforeAll(async () => {
  emu = await start({ operationLatencyMs: 30, rateLimits: NO_RATE_LIMITS });
  client = cvmClient(emu);
});
afterAll(() => emu.stop());
// reset() also returns the config to the start options: no test's configure() reaches the next.
beforeEach(() => emu.control.reset());

const associate = (sg: string | string[], ids: string[], c = client) =>
  c.AssociateSecurityGroups({ SecurityGroupIds: Array.isArray(sg) ? sg : [sg], InstanceIds: ids });
const disassociate = (sg: string | string[], ids: string[], c = client) =>
  c.DisassociateSecurityGroups({ SecurityGroupIds: Array.isArray(sg) ? sg : [sg], InstanceIds: ids });

describe("successful changes", () => {
  test("associate appends at the end (lowest priority); disassociate removes keeping the others' order", async () => {
    const r = await associate("sg-web00001", ["ins-run00001", "ins-run00002"]);
    expect(r.RequestId).toMatch(/^[0-9a-f-]{36}$/);
    await emu.control.waitIdle();
    await associate("sg-db000001", ["ins-run00001"]);
    await emu.control.waitIdle();
    let b = await emu.control.bindings(REGION);
    expect(b["ins-run00001"]).toEqual(["sg-base0001", "sg-web00001", "sg-db000001"]);
    expect(b["ins-run00002"]).toEqual(["sg-base0001", "sg-web00001"]);
    await disassociate("sg-web00001", ["ins-run00001"]);
    await emu.control.waitIdle();
    b = await emu.control.bindings(REGION);
    expect(b["ins-run00001"]).toEqual(["sg-base0001", "sg-db000001"]);
    expect(b["ins-run00002"]).toEqual(["sg-base0001", "sg-web00001"]);
    // the API agrees with the control plane
    const d = await client.DescribeInstances({ InstanceIds: ["ins-run00001"] });
    expect(d.InstanceSet[0].SecurityGroupIds).toEqual(["sg-base0001", "sg-db000001"]);
  });

  test("an instance may be left with zero security groups, and associate works on an empty list", async () => {
    await disassociate("sg-base0001", ["ins-run00003"]);
    await emu.control.waitIdle();
    expect((await emu.control.bindings(REGION))["ins-run00003"]).toEqual([]);
    await associate("sg-web00001", ["ins-empty001", "ins-run00003"]);
    await emu.control.waitIdle();
    const b = await emu.control.bindings(REGION);
    expect(b["ins-empty001"]).toEqual(["sg-web00001"]);
    expect(b["ins-run00003"]).toEqual(["sg-web00001"]);
  });

  test("STOPPED instances can be (dis)associated; duplicate ids in a request are deduplicated", async () => {
    await associate("sg-web00001", ["ins-stop0001", "ins-stop0001", "ins-run00004"]);
    await emu.control.waitIdle();
    const b = await emu.control.bindings(REGION);
    expect(b["ins-stop0001"]).toEqual(["sg-base0001", "sg-web00001"]);
    const calls = await emu.control.calls();
    expect(calls[calls.length - 1].instanceIds).toEqual(["ins-stop0001", "ins-stop0001", "ins-run00004"]);
  });

  test("100 instances in one call is allowed", async () => {
    const seed = await import("./helpers").then((h) => h.testSeed());
    seed.regions[REGION].instances = Array.from({ length: 100 }, (_, i) => ({
      id: `ins-big${String(i).padStart(5, "0")}`,
    }));
    await emu.control.reset(seed);
    await associate(
      "sg-web00001",
      seed.regions[REGION].instances.map((i) => i.id),
    );
    await emu.control.waitIdle();
    const b = await emu.control.bindings(REGION);
    expect(Object.values(b).every((l) => l.length === 1 && l[0] === "sg-web00001")).toBe(true);
    expect(Object.keys(b)).toHaveLength(100);
  });
});

describe("errors: all-or-nothing, and the message names the offending instances", () => {
  async function expectUnchanged(before: Record<string, string[]>) {
    await emu.control.waitIdle();
    expect(await emu.control.bindings(REGION)).toEqual(before);
    const st = await emu.control.state();
    expect(st.regions[REGION].instances.every((i) => i.latestOperation === null)).toBe(true);
  }

  const cases: [string, () => Promise<unknown>, string, string[] | undefined][] = [
    [
      "two SGs in one call",
      () => associate(["sg-web00001", "sg-db000001"], ["ins-run00001"]),
      "InvalidParameterValue.LimitExceeded",
      undefined,
    ],
    [
      "101 instances",
      () =>
        associate(
          "sg-web00001",
          Array.from({ length: 101 }, (_, i) => `ins-n${String(i).padStart(7, "0")}`),
        ),
      "InvalidParameterValue.LimitExceeded",
      undefined,
    ],
    ["malformed SG id", () => associate("sg-WEB", ["ins-run00001"]), "InvalidSgId.Malformed", undefined],
    [
      "malformed instance id",
      () => associate("sg-web00001", ["ins-run00001", "ins-12", "ins-ABCDEFGH"]),
      "InvalidInstanceId.Malformed",
      ["ins-12", "ins-ABCDEFGH"],
    ],
    [
      "not an instance id at all",
      () => disassociate("sg-base0001", ["ins-run00001", "vm-1"]),
      "InvalidParameterValue.InstanceIdMalformed",
      ["vm-1"],
    ],
    [
      "unknown SG",
      () => associate("sg-nope0001", ["ins-run00001"]),
      "InvalidSecurityGroupId.NotFound",
      undefined,
    ],
    [
      "SG of another region",
      () => associate("sg-shsh0001", ["ins-run00001"]),
      "InvalidSecurityGroupId.NotFound",
      undefined,
    ],
    [
      "unknown instances",
      () => associate("sg-web00001", ["ins-run00001", "ins-gone0001", "ins-gone0002", "ins-shsh0001"]),
      "InvalidInstanceId.NotFound",
      ["ins-gone0001", "ins-gone0002", "ins-shsh0001"],
    ],
    [
      "would exceed 5 SGs",
      () => associate("sg-ext00002", ["ins-run00001", "ins-full0001"]),
      "LimitExceeded.AssociateUSGLimitExceeded",
      ["ins-full0001"],
    ],
    [
      "associate on PENDING",
      () => associate("sg-web00001", ["ins-run00001", "ins-pend0001"]),
      "UnsupportedOperation.InstanceStatePending",
      ["ins-pend0001"],
    ],
    [
      "associate on ISOLATING",
      () => associate("sg-web00001", ["ins-isol0001", "ins-run00001"]),
      "UnsupportedOperation.InstanceStateIsolating",
      ["ins-isol0001"],
    ],
    [
      "disassociate on PENDING/ISOLATING",
      () => disassociate("sg-base0001", ["ins-pend0001", "ins-run00001", "ins-isol0001"]),
      "UnsupportedOperation",
      ["ins-pend0001", "ins-isol0001"],
    ],
    [
      "associate already bound",
      () => associate("sg-base0001", ["ins-run00001", "ins-empty001", "ins-run00002"]),
      "FailedOperation.SecurityGroupActionFailed",
      ["ins-run00001", "ins-run00002"],
    ],
    [
      "disassociate not bound",
      () => disassociate("sg-web00001", ["ins-run00001", "ins-full0001"]),
      "FailedOperation.SecurityGroupActionFailed",
      ["ins-run00001"],
    ],
    [
      "no SecurityGroupIds",
      () => client.AssociateSecurityGroups({ InstanceIds: ["ins-run00001"] }),
      "MissingParameter",
      undefined,
    ],
    ["empty SecurityGroupIds", () => associate([], ["ins-run00001"]), "MissingParameter", undefined],
    [
      "no InstanceIds",
      () => client.DisassociateSecurityGroups({ SecurityGroupIds: ["sg-base0001"] }),
      "MissingParameter",
      undefined,
    ],
    [
      "InstanceIds not an array",
      () =>
        client.AssociateSecurityGroups({ SecurityGroupIds: ["sg-web00001"], InstanceIds: "ins-run00001" }),
      "InvalidParameter",
      undefined,
    ],
    [
      "SecurityGroupIds element not a string",
      () => client.AssociateSecurityGroups({ SecurityGroupIds: [1], InstanceIds: ["ins-run00001"] }),
      "InvalidParameter",
      undefined,
    ],
    [
      "unknown parameter",
      () =>
        client.AssociateSecurityGroups({
          SecurityGroupIds: ["sg-web00001"],
          InstanceIds: ["ins-run00001"],
          Force: true,
        }),
      "UnknownParameter",
      undefined,
    ],
  ];

  test.each(cases)("%s", async (_name, call, code, named) => {
    const before = await emu.control.bindings(REGION);
    const e = await sdkError(call());
    expect(e.code).toBe(code);
    expect(e.requestId).toMatch(/^[0-9a-f-]{36}$/);
    if (named) expect(instanceIdsFromMessage(e.message)).toEqual(named);
    await expectUnchanged(before);
    const calls = await emu.control.calls();
    expect(calls[calls.length - 1]).toMatchObject({
      errorCode: code,
      httpStatus: 200,
      errorMessage: e.message,
    });
  });

  test("SG-side quota -> LimitExceeded.CvmsVifsPerSecGroupLimitExceeded (configurable)", async () => {
    // ins-full0001 already holds sg-web00001: 1 + 2 pending = 3, then 2 more would make 5 > 4
    await emu.control.configure({ maxInstancesPerSecurityGroup: 4 });
    await associate("sg-web00001", ["ins-run00001", "ins-run00002"]);
    const e = await sdkError(associate("sg-web00001", ["ins-run00003", "ins-run00004"]));
    expect(e.code).toBe("LimitExceeded.CvmsVifsPerSecGroupLimitExceeded");
    expect(e.message).toContain("security groups [sg-web00001]");
    await emu.control.waitIdle();
    await associate("sg-web00001", ["ins-run00003"]);
    await emu.control.waitIdle();
    expect(
      Object.values(await emu.control.bindings(REGION)).filter((l) => l.includes("sg-web00001")),
    ).toHaveLength(4);
  });

  test("the per-instance limit is configurable", async () => {
    await emu.control.configure({ maxSecurityGroupsPerInstance: 1 });
    const e = await sdkError(associate("sg-web00001", ["ins-run00001", "ins-empty001"]));
    expect(e.code).toBe("LimitExceeded.AssociateUSGLimitExceeded");
    expect(instanceIdsFromMessage(e.message)).toEqual(["ins-run00001"]);
  });
});

describe("already-bound / not-bound policies", () => {
  test('associateAlreadyBound "ignore": success, no duplicate, others still appended', async () => {
    await emu.control.configure({ associateAlreadyBound: "ignore" });
    await associate("sg-base0001", ["ins-run00001", "ins-empty001"]);
    await emu.control.waitIdle();
    const b = await emu.control.bindings(REGION);
    expect(b["ins-run00001"]).toEqual(["sg-base0001"]);
    expect(b["ins-empty001"]).toEqual(["sg-base0001"]);
    const st = await emu.control.state();
    const i = st.regions[REGION].instances.find((x) => x.id === "ins-run00001")!;
    expect(i.latestOperationState).toBe("SUCCESS");
  });

  test('disassociateNotBound "ignore": success no-op for those not bound', async () => {
    await emu.control.configure({ disassociateNotBound: "ignore" });
    await disassociate("sg-web00001", ["ins-run00001", "ins-full0001"]);
    await emu.control.waitIdle();
    const b = await emu.control.bindings(REGION);
    expect(b["ins-run00001"]).toEqual(["sg-base0001"]);
    expect(b["ins-full0001"]).toEqual(["sg-base0001", "sg-db000001", "sg-ops00001", "sg-ext00001"]);
  });
});

describe("codes reachable only through an injected error fault", () => {
  // Every catalogue code can be produced on demand (the natural ones are covered above and in other files).
  test("every catalogue code comes back through the SDK with its default message", async () => {
    const { ERROR_CATALOGUE } = await import("../../emulator");
    for (const code of ERROR_CODES) {
      await emu.control.addFault({ kind: "error", action: "DisassociateSecurityGroups", code, count: 1 });
      const e = await sdkError(disassociate("sg-base0001", ["ins-run00001"]));
      expect(e.code).toBe(code);
      expect(e.message).toContain(ERROR_CATALOGUE[code]);
    }
    expect(ERROR_CODES).toEqual(
      expect.arrayContaining([
        "SecGroupActionFailure",
        "LimitExceeded.SingleUSGQuota",
        "InternalError",
        "ServiceUnavailable",
        "ResourceUnavailable",
        "ResourceInUse",
        "UnauthorizedOperation",
        "AuthFailure.UnauthorizedOperation",
        "RequestLimitExceeded.UinLimitExceeded",
        "RequestLimitExceeded.IPLimitExceeded",
        "RequestLimitExceeded.GlobalRegionUinLimitExceeded",
      ]),
    );
    // nothing changed: every call was faulted
    expect((await emu.control.bindings(REGION))["ins-run00001"]).toEqual(["sg-base0001"]);
    const counters = await emu.control.counters();
    expect(counters.byAction.DisassociateSecurityGroups.total).toBe(ERROR_CODES.length);
    expect(counters.byAction.DisassociateSecurityGroups.ok).toBe(0);
  });

  test("an injected instance-scoped code names the request's instances", async () => {
    await emu.control.addFault({ kind: "error", code: "SecGroupActionFailure", message: "boom", count: 1 });
    expect((await sdkError(associate("sg-web00001", ["ins-run00001"]))).message).toBe("boom");
    await emu.control.addFault({
      kind: "error",
      code: "OperationDenied.InstanceOperationInProgress",
      count: 1,
    });
    const e = await sdkError(associate("sg-web00001", ["ins-run00001", "ins-run00002"]));
    expect(instanceIdsFromMessage(e.message)).toEqual(["ins-run00001", "ins-run00002"]);
  });
});
