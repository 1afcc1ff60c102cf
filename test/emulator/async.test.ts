import { instanceIdsFromMessage, type RunningEmulator } from "../../emulator";
import { cvmClient, NO_RATE_LIMITS, REGION, sdkError, start } from "./helpers";

let emu: RunningEmulator;
let client: any;
beforeAll(async () => {
  emu = await start({ operationLatencyMs: 60, rateLimits: NO_RATE_LIMITS });
  client = cvmClient(emu);
});
afterAll(() => emu.stop());
// reset() also returns the latency to the start option (60 ms).
beforeEach(() => emu.control.reset());

async function describeOne(id: string) {
  return (await client.DescribeInstances({ InstanceIds: [id] })).InstanceSet[0];
}

test("OPERATING at once with LatestOperation/RequestId, then SUCCESS and the change applied", async () => {
  // Far longer than the test: the look-up sees OPERATING however slow the machine.
  await emu.control.configure({ operationLatencyMs: 30_000 });
  const { RequestId } = await client.AssociateSecurityGroups({
    SecurityGroupIds: ["sg-web00001"],
    InstanceIds: ["ins-run00001", "ins-run00002"],
  });
  const during = await describeOne("ins-run00001");
  expect(during).toMatchObject({
    LatestOperation: "AssociateSecurityGroups",
    LatestOperationState: "OPERATING",
    LatestOperationRequestId: RequestId,
    LatestOperationErrorMsg: null,
    SecurityGroupIds: ["sg-base0001"], // not applied yet
  });
  const [op] = await emu.control.operations();
  expect(op.dueAt - op.startedAt).toBe(30_000); // the configured latency
  expect(await emu.control.completeOperations()).toBe(1);
  for (const id of ["ins-run00001", "ins-run00002"]) {
    expect(await describeOne(id)).toMatchObject({
      LatestOperation: "AssociateSecurityGroups",
      LatestOperationState: "SUCCESS",
      LatestOperationRequestId: RequestId,
      SecurityGroupIds: ["sg-base0001", "sg-web00001"],
    });
  }
  // instances outside the request are untouched
  expect((await describeOne("ins-run00003")).LatestOperation).toBeNull();
});

test("operationFailure fault: the op ends FAILED with the message, binding unchanged; only the named instances fail", async () => {
  await emu.control.addFault({
    kind: "operationFailure",
    action: "AssociateSecurityGroups",
    instanceIds: ["ins-run00002"],
    message: "vif quota hit",
    count: 1,
  });
  const { RequestId } = await client.AssociateSecurityGroups({
    SecurityGroupIds: ["sg-web00001"],
    InstanceIds: ["ins-run00001", "ins-run00002"],
  });
  await emu.control.waitIdle();
  expect(await describeOne("ins-run00002")).toMatchObject({
    LatestOperationState: "FAILED",
    LatestOperationErrorMsg: "vif quota hit",
    LatestOperationRequestId: RequestId,
    SecurityGroupIds: ["sg-base0001"],
  });
  expect(await describeOne("ins-run00001")).toMatchObject({
    LatestOperationState: "SUCCESS",
    SecurityGroupIds: ["sg-base0001", "sg-web00001"],
  });
  // count: 1 -> consumed; a retry succeeds
  expect(await emu.control.faults()).toEqual([]);
  await client.AssociateSecurityGroups({ SecurityGroupIds: ["sg-web00001"], InstanceIds: ["ins-run00002"] });
  await emu.control.waitIdle();
  expect((await describeOne("ins-run00002")).SecurityGroupIds).toEqual(["sg-base0001", "sg-web00001"]);
});

test("operationFailure on Disassociate leaves the SG bound", async () => {
  await emu.control.addFault({ kind: "operationFailure", count: 1 });
  await client.DisassociateSecurityGroups({
    SecurityGroupIds: ["sg-base0001"],
    InstanceIds: ["ins-run00005"],
  });
  await emu.control.waitIdle();
  const st = await emu.control.state();
  const i = st.regions[REGION].instances.find((x) => x.id === "ins-run00005")!;
  expect(i.latestOperationState).toBe("FAILED");
  expect(i.latestOperationErrorMsg).toEqual(expect.any(String));
  expect(i.securityGroupIds).toEqual(["sg-base0001"]);
});

test("while OPERATING: identical request -> MutexOperation.TaskRunning; other request on a busy instance -> OperationDenied naming it", async () => {
  await emu.control.configure({ operationLatencyMs: 30_000 });
  const req = { SecurityGroupIds: ["sg-web00001"], InstanceIds: ["ins-run00001", "ins-run00002"] };
  await client.AssociateSecurityGroups(req);
  const mutex = await sdkError(
    client.AssociateSecurityGroups({ ...req, InstanceIds: ["ins-run00002", "ins-run00001"] }),
  );
  expect(mutex.code).toBe("MutexOperation.TaskRunning");
  const busy = await sdkError(
    client.AssociateSecurityGroups({
      SecurityGroupIds: ["sg-db000001"],
      InstanceIds: ["ins-run00003", "ins-run00002"],
    }),
  );
  expect(busy.code).toBe("OperationDenied.InstanceOperationInProgress");
  expect(instanceIdsFromMessage(busy.message)).toEqual(["ins-run00002"]);
  const busy2 = await sdkError(
    client.DisassociateSecurityGroups({ SecurityGroupIds: ["sg-base0001"], InstanceIds: ["ins-run00001"] }),
  );
  expect(busy2.code).toBe("OperationDenied.InstanceOperationInProgress");
  // the rejected requests changed nothing, in particular not ins-run00003
  expect((await describeOne("ins-run00003")).LatestOperation).toBeNull();
  expect(await emu.control.completeOperations()).toBe(1);
  await emu.control.configure({ operationLatencyMs: 60 });
  // once done, the same associate is "already bound"
  const again = await sdkError(client.AssociateSecurityGroups(req));
  expect(again.code).toBe("FailedOperation.SecurityGroupActionFailed");
  // and the disassociate now goes through
  await client.DisassociateSecurityGroups({
    SecurityGroupIds: ["sg-base0001"],
    InstanceIds: ["ins-run00001"],
  });
  await emu.control.waitIdle();
  expect((await emu.control.bindings(REGION))["ins-run00001"]).toEqual(["sg-web00001"]);
});

test("latency range {min,max} is honoured and completeOperations() fast-forwards", async () => {
  await emu.control.configure({ operationLatencyMs: { min: 5000, max: 6000 } });
  await client.AssociateSecurityGroups({ SecurityGroupIds: ["sg-web00001"], InstanceIds: ["ins-run00007"] });
  const ops = await emu.control.operations();
  expect(ops).toHaveLength(1);
  expect(ops[0].dueAt - ops[0].startedAt).toBeGreaterThanOrEqual(5000);
  expect(ops[0].dueAt - ops[0].startedAt).toBeLessThanOrEqual(6000);
  expect((await describeOne("ins-run00007")).LatestOperationState).toBe("OPERATING");
  // Still pending after that look-up: only completeOperations() ends it.
  expect(await emu.control.completeOperations()).toBe(1);
  expect(await describeOne("ins-run00007")).toMatchObject({
    LatestOperationState: "SUCCESS",
    SecurityGroupIds: ["sg-base0001", "sg-web00001"],
  });
  expect(await emu.control.operations()).toEqual([]);
});

test("an instance deleted while OPERATING is skipped; the others complete", async () => {
  await emu.control.configure({ operationLatencyMs: 30_000 });
  await client.AssociateSecurityGroups({
    SecurityGroupIds: ["sg-web00001"],
    InstanceIds: ["ins-run00008", "ins-run00009"],
  });
  await emu.control.mutate({ op: "deleteInstance", region: REGION, id: "ins-run00008" });
  await emu.control.completeOperations();
  const b = await emu.control.bindings(REGION);
  expect(b["ins-run00008"]).toBeUndefined();
  expect(b["ins-run00009"]).toEqual(["sg-base0001", "sg-web00001"]);
});

test("an SG deleted while an associate is OPERATING makes it end FAILED", async () => {
  await emu.control.configure({ operationLatencyMs: 30_000 });
  await client.AssociateSecurityGroups({ SecurityGroupIds: ["sg-ext00003"], InstanceIds: ["ins-run00010"] });
  await emu.control.mutate({ op: "deleteSecurityGroup", region: REGION, id: "sg-ext00003" });
  await emu.control.completeOperations();
  const i = (await emu.control.state()).regions[REGION].instances.find((x) => x.id === "ins-run00010")!;
  expect(i.latestOperationState).toBe("FAILED");
  expect(i.latestOperationErrorMsg).toContain("sg-ext00003");
  expect(i.securityGroupIds).toEqual(["sg-base0001"]);
});

test("reset() cancels pending operations", async () => {
  await emu.control.configure({ operationLatencyMs: 10_000 });
  await client.AssociateSecurityGroups({ SecurityGroupIds: ["sg-web00001"], InstanceIds: ["ins-run00011"] });
  await emu.control.reset();
  await emu.control.waitIdle(1000);
  expect(await emu.control.operations()).toEqual([]);
  expect((await emu.control.bindings(REGION))["ins-run00011"]).toEqual(["sg-base0001"]);
});

test("stop() with a long operation pending returns promptly", async () => {
  // An operation of an hour: a stop() that waited for it would exceed the test's timeout.
  const other = await start({ operationLatencyMs: 3_600_000 });
  await cvmClient(other).AssociateSecurityGroups({
    SecurityGroupIds: ["sg-web00001"],
    InstanceIds: ["ins-run00001"],
  });
  expect(await other.control.operations()).toHaveLength(1);
  await other.stop();
});
