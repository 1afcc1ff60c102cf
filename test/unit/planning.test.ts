import type { InstanceView } from "../../provider/impl/api";
import { ApiError } from "../../provider/impl/errors";
import {
  describeFailures,
  newResourceId,
  normaliseOutputs,
  observe,
  planCreate,
  planUpdate,
} from "../../provider/impl/operations";
import type { OpResult } from "../../provider/impl/scheduler";

const SG = "sg-abcd1234";

function v(id: string, sgs: string[]): InstanceView {
  return {
    instanceId: id,
    state: "RUNNING",
    securityGroupIds: sgs,
    latestOperation: "",
    latestOperationState: "SUCCESS",
    latestOperationRequestId: "",
    latestOperationErrorMsg: "",
  };
}

const full = ["sg-00000001", "sg-00000002", "sg-00000003", "sg-00000004", "sg-00000005"];

describe("planCreate", () => {
  it("sorts instances into missing / already bound / over the limit / to bind", () => {
    const views = new Map<string, InstanceView | null>([
      ["ins-aaaa1111", v("ins-aaaa1111", ["sg-other000"])],
      ["ins-bbbb2222", v("ins-bbbb2222", ["sg-other000", SG])],
      ["ins-cccc3333", v("ins-cccc3333", full)],
      ["ins-dddd4444", null],
      ["ins-eeee5555", v("ins-eeee5555", [...full.slice(0, 4), SG])],
    ]);
    const plan = planCreate(
      SG,
      ["ins-aaaa1111", "ins-bbbb2222", "ins-cccc3333", "ins-dddd4444", "ins-eeee5555", "ins-ffff6666"],
      views,
    );
    expect(plan).toEqual({
      missing: ["ins-dddd4444", "ins-ffff6666"],
      alreadyBound: ["ins-bbbb2222", "ins-eeee5555"],
      overLimit: [{ instanceId: "ins-cccc3333", securityGroupIds: full }],
      toBind: ["ins-aaaa1111"],
    });
  });
});

describe("planUpdate", () => {
  it("binds wanted instances that lack the group (added or drifted), unbinds removed ones that hold it", () => {
    const views = new Map<string, InstanceView | null>([
      ["ins-aaaa1111", v("ins-aaaa1111", [SG])], // kept, bound
      ["ins-bbbb2222", v("ins-bbbb2222", [])], // kept, drifted
      ["ins-cccc3333", v("ins-cccc3333", [])], // added
      ["ins-dddd4444", v("ins-dddd4444", [SG])], // added, already bound
      ["ins-eeee5555", v("ins-eeee5555", [SG])], // removed, bound
      ["ins-ffff6666", v("ins-ffff6666", [])], // removed, already unbound
      ["ins-gggg7777", null], // removed, gone
      ["ins-hhhh8888", v("ins-hhhh8888", full)], // added, full
      ["ins-iiii9999", null], // added, missing
    ]);
    const plan = planUpdate(
      SG,
      ["ins-aaaa1111", "ins-bbbb2222", "ins-eeee5555", "ins-ffff6666", "ins-gggg7777"],
      ["ins-aaaa1111", "ins-bbbb2222", "ins-cccc3333", "ins-dddd4444", "ins-hhhh8888", "ins-iiii9999"],
      views,
    );
    expect(plan).toEqual({
      missing: ["ins-iiii9999"],
      overLimit: [{ instanceId: "ins-hhhh8888", securityGroupIds: full }],
      toBind: ["ins-bbbb2222", "ins-cccc3333"],
      alreadyBoundAdded: ["ins-dddd4444"],
      toUnbind: ["ins-eeee5555"],
      alreadyUnbound: ["ins-ffff6666", "ins-gggg7777"],
    });
  });
});

describe("observe", () => {
  it("reports bindings and priorities (position in the instance's list)", () => {
    const views = new Map<string, InstanceView | null>([
      ["ins-aaaa1111", v("ins-aaaa1111", ["sg-other000", SG])],
      ["ins-bbbb2222", v("ins-bbbb2222", [SG])],
      ["ins-cccc3333", v("ins-cccc3333", ["sg-other000"])],
      ["ins-dddd4444", null],
    ]);
    expect(
      observe(SG, ["ins-dddd4444", "ins-bbbb2222", "ins-cccc3333", "ins-aaaa1111", "ins-aaaa1111"], views),
    ).toEqual({
      bound: ["ins-aaaa1111", "ins-bbbb2222"],
      unbound: ["ins-cccc3333"],
      missing: ["ins-dddd4444"],
      priorities: { "ins-aaaa1111": 1, "ins-bbbb2222": 0 },
    });
  });
});

describe("normaliseOutputs", () => {
  it("fills in what older outputs lack and drops junk", () => {
    expect(
      normaliseOutputs(
        {
          securityGroupId: SG,
          instanceIds: ["ins-bbbb2222", 3, "ins-aaaa1111", "ins-bbbb2222"],
          priorities: { a: 1, b: "x" },
        },
        "ap-guangzhou",
      ),
    ).toEqual({
      securityGroupId: SG,
      instanceIds: ["ins-aaaa1111", "ins-bbbb2222"],
      region: "ap-guangzhou",
      adoptExisting: false,
      priorities: { a: 1 },
      adoptedInstanceIds: [],
    });
    expect(normaliseOutputs(undefined)).toMatchObject({ securityGroupId: "", instanceIds: [], region: "" });
  });
});

describe("newResourceId", () => {
  it("is <sg>@<region>/<8 hex>, unique", () => {
    const a = newResourceId(SG, "ap-guangzhou");
    expect(a).toMatch(/^sg-abcd1234@ap-guangzhou\/[0-9a-f]{8}$/);
    expect(newResourceId(SG, "ap-guangzhou")).not.toBe(a);
  });
});

describe("describeFailures", () => {
  const fail = (id: string, reason: any, code: string, message: string, requestId = "req-9"): OpResult => ({
    instanceId: id,
    ok: false,
    reason,
    error: new ApiError({ action: "AssociateSecurityGroups", code, message, requestId }),
    requestId,
  });

  it("groups failures by cause and says what to do, with code, message and RequestId", () => {
    const lines = describeFailures("associate", [
      fail(
        "ins-bbbb2222",
        "limitExceeded",
        "LimitExceeded.AssociateUSGLimitExceeded",
        "instances [ins-bbbb2222] would exceed",
      ),
      fail(
        "ins-aaaa1111",
        "limitExceeded",
        "LimitExceeded.AssociateUSGLimitExceeded",
        "instances [ins-bbbb2222] would exceed",
      ),
      fail("ins-cccc3333", "operationFailed", "ClientError.OperationFailed", "disk on fire", "req-op"),
      fail("ins-dddd4444", "instanceNotFound", "InvalidInstanceId.NotFound", "gone"),
      fail("ins-eeee5555", "timeout", "ClientError.Timeout", "gave up"),
      fail("ins-ffff6666", "rejected", "UnauthorizedOperation", "no permission"),
    ]);
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/ins-aaaa1111, ins-bbbb2222/);
    expect(lines[0]).toMatch(/LimitExceeded.AssociateUSGLimitExceeded/);
    expect(lines[0]).toMatch(/RequestId: req-9/);
    expect(lines[0]).toMatch(/deleteBeforeReplace: true/);
    expect(lines[1]).toMatch(/FAILED on ins-cccc3333: disk on fire \(RequestId: req-op\)/);
    expect(lines[2]).toMatch(/instances not found: ins-dddd4444/);
    expect(lines[3]).toMatch(/deadline/);
    expect(lines[4]).toMatch(/\[UnauthorizedOperation\] no permission/);
    expect(lines[4]).toMatch(/CAM policy/);
  });
});
