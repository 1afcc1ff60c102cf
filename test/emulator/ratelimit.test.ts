import type { RunningEmulator } from "../../emulator";
import { commonClient, cvmClient, MAIN, ManualClock, OTHER, REGION, sdkError, start } from "./helpers";

// The windows slide only when a test advances the clock (signatures carry the
// real time, which stays well within the 300 s the emulator allows).
const clock = new ManualClock();
let emu: RunningEmulator;
beforeAll(async () => {
  emu = await start({ clock: clock.now });
});
afterAll(() => emu.stop());
beforeEach(async () => {
  clock.set(Date.now());
  await emu.control.reset();
});

async function settle(ps: Promise<unknown>[]): Promise<string[]> {
  const rs = await Promise.allSettled(ps);
  return rs.map((r) => (r.status === "fulfilled" ? "OK" : ((r.reason as { code?: string }).code ?? "?")));
}

test("defaults: Associate/Disassociate/ModifyInstancesAttribute 10/s, DescribeInstances 40/s, others 20/s", async () => {
  const cfg = await emu.control.config();
  expect(cfg.rateLimits).toEqual({
    AssociateSecurityGroups: 10,
    DisassociateSecurityGroups: 10,
    ModifyInstancesAttribute: 10,
    DescribeInstances: 40,
    "*": 20,
  });
});

test("the 11th Associate within a second gets RequestLimitExceeded (HTTP 200 business error), before business checks", async () => {
  const c = cvmClient(emu);
  // an unknown SG: the admitted calls fail with their business error, the throttled one with RequestLimitExceeded
  // the clock stands still, so all 11 land in the same one-second window
  const codes = await settle(
    Array.from({ length: 11 }, () =>
      c.AssociateSecurityGroups({ SecurityGroupIds: ["sg-nope0001"], InstanceIds: ["ins-run00001"] }),
    ),
  );
  expect(codes.filter((x) => x === "InvalidSecurityGroupId.NotFound")).toHaveLength(10);
  expect(codes.filter((x) => x === "RequestLimitExceeded")).toHaveLength(1);
  const calls = await emu.control.calls();
  expect(calls.filter((x) => x.errorCode === "RequestLimitExceeded")).toEqual([
    expect.objectContaining({ action: "AssociateSecurityGroups", secretId: MAIN.secretId, httpStatus: 200 }),
  ]);
  // another secretId has its own window, another action too
  expect(
    (
      await sdkError(
        cvmClient(emu, { credential: OTHER }).AssociateSecurityGroups({
          SecurityGroupIds: ["sg-nope0001"],
          InstanceIds: ["ins-run00001"],
        }),
      )
    ).code,
  ).toBe("InvalidSecurityGroupId.NotFound");
  expect(
    (
      await sdkError(
        c.DisassociateSecurityGroups({ SecurityGroupIds: ["sg-nope0001"], InstanceIds: ["ins-run00001"] }),
      )
    ).code,
  ).toBe("InvalidSecurityGroupId.NotFound");
  const counters = await emu.control.counters();
  expect(counters.byAction.AssociateSecurityGroups.errors.RequestLimitExceeded).toBe(1);
});

test("the window slides: after a second, requests are admitted again", async () => {
  await emu.control.configure({ rateLimits: { DescribeInstances: 3 } });
  const c = cvmClient(emu);
  const first = await settle(Array.from({ length: 5 }, () => c.DescribeInstances({ Limit: 1 })));
  expect(first.filter((x) => x === "OK")).toHaveLength(3);
  expect(first.filter((x) => x === "RequestLimitExceeded")).toHaveLength(2);
  // 999 ms later the three admitted calls are still in the window
  clock.advance(999);
  expect((await sdkError(c.DescribeInstances({ Limit: 1 }))).code).toBe("RequestLimitExceeded");
  clock.advance(1);
  const second = await settle(Array.from({ length: 3 }, () => c.DescribeInstances({ Limit: 1 })));
  expect(second).toEqual(["OK", "OK", "OK"]);
  await emu.control.configure({ rateLimits: { DescribeInstances: 40 } });
});

test('the "*" limit applies to other actions (DescribeSecurityGroups), and 0 disables limiting', async () => {
  await emu.control.configure({ rateLimits: { "*": 2 } });
  const vpc = commonClient(emu);
  const r = await settle(Array.from({ length: 4 }, () => vpc.request("DescribeSecurityGroups", {})));
  expect(r.filter((x) => x === "OK")).toHaveLength(2);
  expect(r.filter((x) => x === "RequestLimitExceeded")).toHaveLength(2);
  await emu.control.configure({ rateLimits: { DescribeInstances: 0 } });
  const many = await settle(Array.from({ length: 60 }, () => cvmClient(emu).DescribeInstances({ Limit: 1 })));
  expect(many.every((x) => x === "OK")).toBe(true);
  await emu.control.configure({ rateLimits: { "*": 20, DescribeInstances: 40 } });
});

test("the control plane is neither rate limited nor logged as API calls", async () => {
  await emu.control.configure({ rateLimits: { "*": 1 } });
  for (let i = 0; i < 30; i++) await emu.control.bindings(REGION);
  expect(await emu.control.calls()).toEqual([]);
  await emu.control.configure({ rateLimits: { "*": 20 } });
});

test("reset() clears the rate-limit windows", async () => {
  await emu.control.configure({ rateLimits: { DescribeInstances: 1 } });
  const c = cvmClient(emu);
  await c.DescribeInstances({ Limit: 1 });
  expect((await sdkError(c.DescribeInstances({ Limit: 1 }))).code).toBe("RequestLimitExceeded");
  await emu.control.reset();
  expect((await c.DescribeInstances({ Limit: 1 })).TotalCount).toBe(30);
  await emu.control.configure({ rateLimits: { DescribeInstances: 40 } });
});
