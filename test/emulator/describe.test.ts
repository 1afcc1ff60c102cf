import type { RunningEmulator } from "../../emulator";
import { commonClient, cvmClient, NO_RATE_LIMITS, sdkError, start } from "./helpers";

let emu: RunningEmulator;
let client: any;
beforeAll(async () => {
  emu = await start({ rateLimits: NO_RATE_LIMITS });
  client = cvmClient(emu);
});
afterAll(() => emu.stop());

describe("DescribeInstances", () => {
  test("lists the region's instances with TotalCount and realistic Instance fields", async () => {
    const r = await client.DescribeInstances({});
    expect(r.TotalCount).toBe(30);
    expect(r.InstanceSet).toHaveLength(20); // default Limit
    expect(r.RequestId).toMatch(/^[0-9a-f-]{36}$/);
    const i = r.InstanceSet[0];
    expect(i).toMatchObject({
      InstanceId: "ins-run00001",
      InstanceState: "RUNNING",
      Placement: { Zone: "ap-guangzhou-4", ProjectId: 0 },
      SecurityGroupIds: ["sg-base0001"],
      LatestOperation: null,
      LatestOperationState: null,
      LatestOperationRequestId: null,
      LatestOperationErrorMsg: null,
      InstanceChargeType: "POSTPAID_BY_HOUR",
    });
    expect(i.Uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(i.VirtualPrivateCloud.VpcId).toMatch(/^vpc-[a-z0-9]{8}$/);
    expect(i.PrivateIpAddresses[0]).toMatch(/^10\.\d+\.\d+\.\d+$/);
  });

  test("InstanceIds: known ones returned in region order, unknown ones simply absent", async () => {
    const r = await client.DescribeInstances({
      InstanceIds: ["ins-run00002", "ins-zzzz9999", "ins-run00001", "ins-shsh0001"],
    });
    expect(r.TotalCount).toBe(2);
    expect(r.InstanceSet.map((i: any) => i.InstanceId)).toEqual(["ins-run00001", "ins-run00002"]);
  });

  test("an empty InstanceIds list counts as absent (lists everything)", async () => {
    const r = await client.DescribeInstances({ InstanceIds: [] });
    expect(r.TotalCount).toBe(30);
  });

  test("filters: instance-id, security-group-id, instance-state, zone, instance-name, vpc-id (OR within, AND across)", async () => {
    const ids = (r: any) => r.InstanceSet.map((i: any) => i.InstanceId);
    expect(
      ids(
        await client.DescribeInstances({
          Filters: [{ Name: "instance-id", Values: ["ins-run00005", "ins-pend0001"] }],
        }),
      ),
    ).toEqual(["ins-run00005", "ins-pend0001"]);
    expect(
      (await client.DescribeInstances({ Filters: [{ Name: "security-group-id", Values: ["sg-ext00001"] }] }))
        .TotalCount,
    ).toBe(1);
    expect(
      ids(
        await client.DescribeInstances({
          Filters: [{ Name: "instance-state", Values: ["PENDING", "ISOLATING"] }],
        }),
      ),
    ).toEqual(["ins-pend0001", "ins-isol0001"]);
    const z4 = await client.DescribeInstances({
      Filters: [{ Name: "zone", Values: ["ap-guangzhou-4"] }],
      Limit: 100,
    });
    expect(z4.TotalCount).toBe(13);
    const both = await client.DescribeInstances({
      Filters: [
        { Name: "zone", Values: ["ap-guangzhou-3"] },
        { Name: "instance-state", Values: ["STOPPED"] },
      ],
    });
    expect(ids(both)).toEqual(["ins-stop0001"]);
    expect(
      (await client.DescribeInstances({ Filters: [{ Name: "instance-name", Values: ["emulated-full"] }] }))
        .TotalCount,
    ).toBe(1);
    const vpc = (await client.DescribeInstances({ Limit: 1 })).InstanceSet[0].VirtualPrivateCloud.VpcId;
    expect(
      (await client.DescribeInstances({ Filters: [{ Name: "vpc-id", Values: [vpc] }] })).TotalCount,
    ).toBe(30);
  });

  test("Offset/Limit paginate over TotalCount", async () => {
    const pages: string[] = [];
    for (let offset = 0; offset < 30; offset += 7) {
      const r = await client.DescribeInstances({ Offset: offset, Limit: 7 });
      expect(r.TotalCount).toBe(30);
      pages.push(...r.InstanceSet.map((i: any) => i.InstanceId));
    }
    expect(pages).toHaveLength(30);
    expect(new Set(pages).size).toBe(30);
    expect((await client.DescribeInstances({ Offset: 100 })).InstanceSet).toEqual([]);
    expect((await client.DescribeInstances({ Limit: 100 })).InstanceSet).toHaveLength(30);
  });

  test("region scoping: ap-shanghai sees only its own instances", async () => {
    const r = await cvmClient(emu, { region: "ap-shanghai" }).DescribeInstances({});
    expect(r.InstanceSet.map((i: any) => i.InstanceId)).toEqual(["ins-shsh0001"]);
    expect(r.InstanceSet[0].Placement.Zone).toBe("ap-shanghai-2");
  });

  const cases: [string, unknown, string, RegExp | undefined][] = [
    [
      "InstanceIds and Filters together",
      { InstanceIds: ["ins-run00001"], Filters: [{ Name: "zone", Values: ["x"] }] },
      "InvalidParameterCombination",
      undefined,
    ],
    [
      "101 InstanceIds",
      { InstanceIds: Array.from({ length: 101 }, (_, i) => `ins-x${String(i).padStart(7, "0")}`) },
      "InvalidParameterValue.LimitExceeded",
      /InstanceIds/,
    ],
    ["Limit 101", { Limit: 101 }, "InvalidParameterValue.LimitExceeded", /Limit/],
    ["Limit 0", { Limit: 0 }, "InvalidParameterValue", undefined],
    ["Offset -1", { Offset: -1 }, "InvalidParameterValue", undefined],
    [
      "11 filters",
      { Filters: Array.from({ length: 11 }, () => ({ Name: "zone", Values: ["a"] })) },
      "InvalidParameterValue.LimitExceeded",
      /Filters/,
    ],
    [
      "6 values in a filter",
      { Filters: [{ Name: "zone", Values: ["a", "b", "c", "d", "e", "f"] }] },
      "InvalidFilterValue.LimitExceeded",
      undefined,
    ],
    ["unknown filter name", { Filters: [{ Name: "colour", Values: ["red"] }] }, "InvalidFilter", /colour/],
    [
      "malformed instance id",
      { InstanceIds: ["ins-123"] },
      "InvalidInstanceId.Malformed",
      /instances \[ins-123\]/,
    ],
    [
      "not an instance id",
      { InstanceIds: ["i-abcdefgh"] },
      "InvalidParameterValue.InstanceIdMalformed",
      /instances \[i-abcdefgh\]/,
    ],
    [
      "malformed id in instance-id filter",
      { Filters: [{ Name: "instance-id", Values: ["ins-UPPER001"] }] },
      "InvalidInstanceId.Malformed",
      undefined,
    ],
    [
      "malformed sg in security-group-id filter",
      { Filters: [{ Name: "security-group-id", Values: ["sg-1"] }] },
      "InvalidSgId.Malformed",
      undefined,
    ],
    ["Limit as a string", { Limit: "10" }, "InvalidParameter", /Limit/],
    ["InstanceIds as a string", { InstanceIds: "ins-run00001" }, "InvalidParameter", /InstanceIds/],
    [
      "a number inside InstanceIds",
      { InstanceIds: ["ins-run00001", 7] },
      "InvalidParameter",
      /InstanceIds\.1/,
    ],
    ["Filters entry not an object", { Filters: ["zone"] }, "InvalidParameter", /Filters\.0/],
    ["unknown top-level parameter", { Foo: 1 }, "UnknownParameter", /`Foo`/],
    [
      "unknown nested parameter",
      { Filters: [{ Name: "zone", Values: ["a"], Extra: true }] },
      "UnknownParameter",
      /Filters\.0\.Extra/,
    ],
    ["filter without Name", { Filters: [{ Values: ["a"] }] }, "MissingParameter", /Filters\.0\.Name/],
    [
      "filter without Values",
      { Filters: [{ Name: "zone", Values: [] }] },
      "MissingParameter",
      /Filters\.0\.Values/,
    ],
  ];
  test.each(cases)("%s -> error", async (_name, req, code, msgRe) => {
    const e = await sdkError(client.DescribeInstances(req));
    expect(e.code).toBe(code);
    if (msgRe) expect(e.message).toMatch(msgRe);
  });

  test("unknown region -> UnsupportedRegion; no region -> MissingParameter", async () => {
    expect((await sdkError(cvmClient(emu, { region: "ap-nowhere" }).DescribeInstances({}))).code).toBe(
      "UnsupportedRegion",
    );
    const e = await sdkError(cvmClient(emu, { region: null }).DescribeInstances({}));
    expect(e.code).toBe("MissingParameter");
    expect(e.message).toContain("Region");
  });

  test("unknown action -> InvalidAction; other version -> NoSuchVersion (TC3 and v1)", async () => {
    expect((await sdkError(client.request("TerminateEverything", {}))).code).toBe("InvalidAction");
    expect(
      (await sdkError(cvmClient(emu, { signMethod: "HmacSHA256" }).request("NoSuchThing", {}))).code,
    ).toBe("InvalidAction");
    const e = await sdkError(commonClient(emu, "cvm", "2020-01-01").request("DescribeInstances", {}));
    expect(e.code).toBe("NoSuchVersion");
    const e2 = await sdkError(
      commonClient(emu, "cvm", "2022-02-02", { signMethod: "HmacSHA1", reqMethod: "GET" }).request(
        "DescribeInstances",
        {},
      ),
    );
    expect(e2.code).toBe("NoSuchVersion");
  });

  test("GET (HmacSHA256) with indexed Filters.N.Values.M works the same as POST JSON", async () => {
    const req = {
      Filters: [
        { Name: "instance-id", Values: ["ins-run00001", "ins-run00002", "ins-full0001"] },
        { Name: "security-group-id", Values: ["sg-web00001"] },
      ],
      Offset: 0,
      Limit: 5,
    };
    const post = await client.DescribeInstances(req);
    const get = await cvmClient(emu, { signMethod: "HmacSHA256", reqMethod: "GET" }).DescribeInstances(req);
    expect(get.TotalCount).toBe(1);
    expect(get.InstanceSet.map((i: any) => i.InstanceId)).toEqual(
      post.InstanceSet.map((i: any) => i.InstanceId),
    );
    expect(get.InstanceSet[0].SecurityGroupIds).toEqual([
      "sg-base0001",
      "sg-web00001",
      "sg-db000001",
      "sg-ops00001",
      "sg-ext00001",
    ]);
  });

  test("GET form: non-integer Limit -> InvalidParameter", async () => {
    const e = await sdkError(
      cvmClient(emu, { signMethod: "HmacSHA256", reqMethod: "GET" }).DescribeInstances({ Limit: "ten" }),
    );
    expect(e.code).toBe("InvalidParameter");
  });
});

describe("VPC DescribeSecurityGroups (same server)", () => {
  const vpc = () => commonClient(emu, "vpc");

  test("lists the region's security groups with string Offset/Limit", async () => {
    const r = await vpc().request("DescribeSecurityGroups", {});
    expect(r.TotalCount).toBe(7);
    expect(r.SecurityGroupSet[0]).toMatchObject({
      SecurityGroupId: "sg-base0001",
      SecurityGroupName: "base",
      ProjectId: "0",
    });
    const page = await vpc().request("DescribeSecurityGroups", { Offset: "2", Limit: "2" });
    expect(page.SecurityGroupSet.map((s: any) => s.SecurityGroupId)).toEqual(["sg-db000001", "sg-ops00001"]);
    expect(page.TotalCount).toBe(7);
  });

  test("SecurityGroupIds and name filter", async () => {
    const r = await vpc().request("DescribeSecurityGroups", {
      SecurityGroupIds: ["sg-web00001", "sg-nope0001"],
    });
    expect(r.SecurityGroupSet.map((s: any) => s.SecurityGroupId)).toEqual(["sg-web00001"]);
    const f = await vpc().request("DescribeSecurityGroups", {
      Filters: [{ Name: "security-group-name", Values: ["ext-"] }],
    });
    expect(f.TotalCount).toBe(3);
    const g = await commonClient(emu, "vpc", "2017-03-12", {
      signMethod: "HmacSHA1",
      reqMethod: "GET",
    }).request("DescribeSecurityGroups", {
      SecurityGroupIds: ["sg-ops00001"],
    });
    expect(g.SecurityGroupSet[0].SecurityGroupName).toBe("ops");
  });

  test.each([
    ["numeric Limit (must be a string)", { Limit: 5 }, "InvalidParameter"],
    [
      "ids and filters together",
      { SecurityGroupIds: ["sg-web00001"], Filters: [{ Name: "security-group-id", Values: ["x"] }] },
      "InvalidParameter.Coexist",
    ],
    ["malformed id", { SecurityGroupIds: ["sg-bad"] }, "InvalidParameterValue.Malformed"],
    ["unknown filter", { Filters: [{ Name: "colour", Values: ["x"] }] }, "InvalidParameter.FilterInvalidKey"],
    ["Limit out of range", { Limit: "500" }, "InvalidParameterValue.Range"],
    ["Offset not a number", { Offset: "x" }, "InvalidParameterValue.Malformed"],
  ])("%s -> error", async (_n, req, code) => {
    expect((await sdkError(vpc().request("DescribeSecurityGroups", req))).code).toBe(code);
  });
});
