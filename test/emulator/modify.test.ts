// ModifyInstancesAttribute through the official SDK: SecurityGroups replaces
// an instance's whole list (asynchronously, LatestOperation recorded),
// InstanceName renames; errors change nothing. Also the disassociateLastGroup
// rule of DisassociateSecurityGroups.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startEmulator, type RunningEmulator } from "../../emulator";
import { cvmClient, NO_RATE_LIMITS, REGION, sdkError, start, testSeed } from "./helpers";

let emu: RunningEmulator;
let client: any;
beforeAll(async () => {
  emu = await start({ operationLatencyMs: 30, rateLimits: NO_RATE_LIMITS });
  client = cvmClient(emu);
});
afterAll(() => emu.stop());
beforeEach(async () => {
  await emu.control.reset();
  await emu.control.configure({
    operationLatencyMs: 30,
    disassociateLastGroup: "allow",
    maxInstancesPerSecurityGroup: 2000,
  });
});

const modify = (req: Record<string, unknown>) => client.ModifyInstancesAttribute(req);
const describeOne = async (id: string) =>
  (await client.DescribeInstances({ InstanceIds: [id] })).InstanceSet[0];

test("SecurityGroups replaces the whole list in the given order, asynchronously, with LatestOperation recorded", async () => {
  await emu.control.configure({ operationLatencyMs: 60_000 });
  await client.AssociateSecurityGroups({ SecurityGroupIds: ["sg-web00001"], InstanceIds: ["ins-run00001"] });
  await emu.control.completeOperations();
  const { RequestId } = await modify({
    InstanceIds: ["ins-run00001", "ins-run00002", "ins-run00001"],
    SecurityGroups: ["sg-db000001", "sg-base0001"],
  });
  const during = await describeOne("ins-run00001");
  expect(during).toMatchObject({
    LatestOperation: "ModifyInstancesAttribute",
    LatestOperationState: "OPERATING",
    LatestOperationRequestId: RequestId,
    SecurityGroupIds: ["sg-base0001", "sg-web00001"], // not applied yet
  });
  const ops = await emu.control.operations();
  expect(ops).toHaveLength(1);
  expect(ops[0]).toMatchObject({
    action: "ModifyInstancesAttribute",
    instanceIds: ["ins-run00001", "ins-run00002"], // deduplicated
    attribute: { securityGroupIds: ["sg-db000001", "sg-base0001"] },
  });
  await emu.control.completeOperations();
  for (const id of ["ins-run00001", "ins-run00002"]) {
    expect(await describeOne(id)).toMatchObject({
      LatestOperation: "ModifyInstancesAttribute",
      LatestOperationState: "SUCCESS",
      LatestOperationRequestId: RequestId,
      SecurityGroupIds: ["sg-db000001", "sg-base0001"], // sg-web00001 gone, order as given
    });
  }
  expect((await describeOne("ins-run00003")).LatestOperation).toBeNull();
  const [call] = (await emu.control.calls()).filter((c) => c.action === "ModifyInstancesAttribute");
  expect(call.securityGroupIds).toEqual(["sg-db000001", "sg-base0001"]);
});

test("InstanceName renames (one attribute per request)", async () => {
  await modify({ InstanceIds: ["ins-run00004"], InstanceName: "renamed" });
  await emu.control.waitIdle();
  expect(await describeOne("ins-run00004")).toMatchObject({
    InstanceName: "renamed",
    LatestOperation: "ModifyInstancesAttribute",
    LatestOperationState: "SUCCESS",
    SecurityGroupIds: ["sg-base0001"],
  });
});

describe("refused requests change nothing", () => {
  const ids101 = Array.from({ length: 101 }, (_, i) => `ins-x${String(i).padStart(7, "0")}`);
  const cases: [string, Record<string, unknown>, string, RegExp?][] = [
    ["no attribute", { InstanceIds: ["ins-run00001"] }, "MissingParameter"],
    [
      "an empty SecurityGroups (cannot leave an instance with no group)",
      { InstanceIds: ["ins-run00001"], SecurityGroups: [] },
      "MissingParameter",
    ],
    [
      "two attributes",
      { InstanceIds: ["ins-run00001"], InstanceName: "x", SecurityGroups: ["sg-web00001"] },
      "InvalidParameterCombination",
    ],
    [
      "more than 100 instances",
      { InstanceIds: ids101, SecurityGroups: ["sg-web00001"] },
      "InvalidParameterValue.LimitExceeded",
    ],
    [
      "more than 5 groups",
      {
        InstanceIds: ["ins-run00001"],
        SecurityGroups: [
          "sg-base0001",
          "sg-web00001",
          "sg-db000001",
          "sg-ops00001",
          "sg-ext00001",
          "sg-ext00002",
        ],
      },
      "LimitExceeded.AssociateUSGLimitExceeded",
    ],
    [
      "a group named twice",
      { InstanceIds: ["ins-run00001"], SecurityGroups: ["sg-web00001", "sg-web00001"] },
      "InvalidParameterValue",
      /security groups \[sg-web00001\]/,
    ],
    [
      "a malformed group id",
      { InstanceIds: ["ins-run00001"], SecurityGroups: ["sg-BAD"] },
      "InvalidParameterValue",
      /security groups \[sg-BAD\]/,
    ],
    [
      "an unknown group",
      { InstanceIds: ["ins-run00001"], SecurityGroups: ["sg-web00001", "sg-nope0001"] },
      "InvalidSecurityGroupId.NotFound",
      /security groups \[sg-nope0001\]/,
    ],
    [
      "an unknown instance",
      { InstanceIds: ["ins-run00001", "ins-nope0001"], SecurityGroups: ["sg-web00001"] },
      "InvalidInstanceId.NotFound",
      /instances \[ins-nope0001\]/,
    ],
    [
      "a malformed instance id",
      { InstanceIds: ["ins-BAD"], SecurityGroups: ["sg-web00001"] },
      "InvalidInstanceId.Malformed",
    ],
    [
      "a name over 60 characters",
      { InstanceIds: ["ins-run00001"], InstanceName: "n".repeat(61) },
      "InvalidInstanceName.TooLong",
    ],
    [
      "a PENDING instance",
      { InstanceIds: ["ins-run00001", "ins-pend0001"], SecurityGroups: ["sg-web00001"] },
      "UnsupportedOperation.InstanceStatePending",
      /instances \[ins-pend0001\]/,
    ],
    [
      "an ISOLATING instance",
      { InstanceIds: ["ins-isol0001"], SecurityGroups: ["sg-web00001"] },
      "UnsupportedOperation.InstanceStateIsolating",
    ],
    [
      "an attribute the emulator does not model",
      { InstanceIds: ["ins-run00001"], HostName: "h" },
      "UnknownParameter",
    ],
  ];
  // Rest parameters: rows without a message must not look like a `done` callback to jest.
  test.each(cases)("%s", async (...row) => {
    const [, req, code, message] = row;
    const before = await emu.control.bindings(REGION);
    const e = await sdkError(modify(req));
    expect(e.code).toBe(code);
    if (message) expect(e.message).toMatch(message);
    expect(await emu.control.operations()).toEqual([]);
    expect(await emu.control.bindings(REGION)).toEqual(before);
    expect((await describeOne("ins-run00001")).LatestOperation).toBeNull();
  });

  test("a STOPPED instance is accepted", async () => {
    await modify({ InstanceIds: ["ins-stop0001"], SecurityGroups: ["sg-web00001"] });
    await emu.control.waitIdle();
    expect((await emu.control.bindings(REGION))["ins-stop0001"]).toEqual(["sg-web00001"]);
  });
});

test("a busy instance is refused; an identical request still running is a mutex error", async () => {
  await emu.control.configure({ operationLatencyMs: 60_000 });
  const req = { InstanceIds: ["ins-run00005"], SecurityGroups: ["sg-web00001"] };
  await modify(req);
  expect((await sdkError(modify(req))).code).toBe("MutexOperation.TaskRunning");
  const busy = await sdkError(
    client.AssociateSecurityGroups({ SecurityGroupIds: ["sg-db000001"], InstanceIds: ["ins-run00005"] }),
  );
  expect(busy.code).toBe("OperationDenied.InstanceOperationInProgress");
  const other = await sdkError(modify({ InstanceIds: ["ins-run00005"], SecurityGroups: ["sg-db000001"] }));
  expect(other.code).toBe("OperationDenied.InstanceOperationInProgress");
  await emu.control.completeOperations();
  expect((await emu.control.bindings(REGION))["ins-run00005"]).toEqual(["sg-web00001"]);
});

test("an operationFailure fault ends it FAILED with the list unchanged", async () => {
  await emu.control.addFault({
    kind: "operationFailure",
    action: "ModifyInstancesAttribute",
    instanceIds: ["ins-run00006"],
    message: "refused by the host",
    count: 1,
  });
  await modify({ InstanceIds: ["ins-run00006", "ins-run00007"], SecurityGroups: ["sg-web00001"] });
  await emu.control.waitIdle();
  expect(await describeOne("ins-run00006")).toMatchObject({
    LatestOperationState: "FAILED",
    LatestOperationErrorMsg: "refused by the host",
    SecurityGroupIds: ["sg-base0001"],
  });
  expect((await describeOne("ins-run00007")).SecurityGroupIds).toEqual(["sg-web00001"]);
});

test("a group deleted while the operation runs makes it end FAILED", async () => {
  await emu.control.configure({ operationLatencyMs: 60_000 });
  await modify({ InstanceIds: ["ins-run00008"], SecurityGroups: ["sg-ext00003", "sg-base0001"] });
  await emu.control.mutate({ op: "deleteSecurityGroup", region: REGION, id: "sg-ext00003" });
  await emu.control.completeOperations();
  expect(await describeOne("ins-run00008")).toMatchObject({
    LatestOperationState: "FAILED",
    LatestOperationErrorMsg: expect.stringContaining("security groups [sg-ext00003]"),
    SecurityGroupIds: ["sg-base0001"],
  });
});

test("the per-group quota counts the instances a list adds", async () => {
  // sg-base0001 is held by 29 seeded instances; sg-web00001 by ins-full0001 only
  await emu.control.configure({ maxInstancesPerSecurityGroup: 2 });
  const e = await sdkError(
    modify({ InstanceIds: ["ins-run00001", "ins-run00002"], SecurityGroups: ["sg-web00001", "sg-base0001"] }),
  );
  expect(e.code).toBe("LimitExceeded.CvmsVifsPerSecGroupLimitExceeded");
  expect(e.message).toMatch(/security groups \[sg-web00001\]/);
  await modify({ InstanceIds: ["ins-run00001"], SecurityGroups: ["sg-web00001", "sg-base0001"] });
  await emu.control.waitIdle();
  expect((await emu.control.bindings(REGION))["ins-run00001"]).toEqual(["sg-web00001", "sg-base0001"]);
});

test('disassociateLastGroup "error" refuses to unbind an instance\'s only group, naming it', async () => {
  await emu.control.configure({ disassociateLastGroup: "error" });
  const e = await sdkError(
    client.DisassociateSecurityGroups({
      SecurityGroupIds: ["sg-base0001"],
      InstanceIds: ["ins-run00001", "ins-full0001"],
    }),
  );
  expect(e.code).toBe("FailedOperation.SecurityGroupActionFailed");
  expect(e.message).toMatch(/instances \[ins-run00001\] would be left with no security group/);
  expect((await emu.control.bindings(REGION))["ins-run00001"]).toEqual(["sg-base0001"]);
  // an instance holding another group loses this one
  await client.DisassociateSecurityGroups({
    SecurityGroupIds: ["sg-base0001"],
    InstanceIds: ["ins-full0001"],
  });
  await emu.control.waitIdle();
  expect((await emu.control.bindings(REGION))["ins-full0001"]).not.toContain("sg-base0001");
});

test("a ModifyInstancesAttribute in flight at shutdown is completed on reload", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "emu-modify-"));
  const stateFile = path.join(dir, "w.json");
  const a = await startEmulator({ seed: testSeed(), stateFile, operationLatencyMs: 60_000 });
  try {
    await cvmClient(a).ModifyInstancesAttribute({
      InstanceIds: ["ins-run00009"],
      SecurityGroups: ["sg-web00001"],
    });
  } finally {
    await a.stop();
  }
  const b = await startEmulator({ seed: testSeed(), stateFile });
  try {
    await b.control.waitIdle();
    const inst = (await b.control.state()).regions[REGION].instances.find((i) => i.id === "ins-run00009")!;
    expect(inst).toMatchObject({
      latestOperation: "ModifyInstancesAttribute",
      latestOperationState: "SUCCESS",
      securityGroupIds: ["sg-web00001"],
    });
  } finally {
    await b.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
